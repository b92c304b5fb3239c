"""Class mode: start a class (teacher), join one (student), and the teacher's dashboard / projector view."""

import streamlit as st

from app_pages.classroom import dashboard
from services import class_store
from ui import classroom
from ui.i18n import translator

t = translator()
role = classroom.role()
if not (role == "teacher" and st.session_state.get("class.projector")):
    st.title(t("class.title"))
if role == "teacher":
    dashboard.show(t)
elif role == "student":
    st.success(t("class.joined", code=classroom.code()), icon=":material/how_to_reg:")
    st.markdown(t("class.student_help"))
    if st.button(t("class.leave"), icon=":material/logout:"):
        classroom.leave()
        st.rerun()
else:
    st.markdown(t("class.intro"))
    join_col, start_col = st.columns(2, gap="large")
    with join_col, st.container(border=True):
        st.subheader(t("class.join_title"))
        with st.form("class.join_form"):
            typed = st.text_input(t("class.code"), value=st.query_params.get("code", "")[:12], max_chars=12,
                                  key="class.typed_code", placeholder="ABC123")
            name = st.text_input(t("class.name"), max_chars=class_store.NAME_MAX, key="class.typed_name",
                                 help=t("class.name_help"))
            if st.form_submit_button(t("class.join"), icon=":material/login:", type="primary"):
                if classroom.join(t, typed, name):
                    st.rerun()
    with start_col, st.container(border=True):
        st.subheader(t("class.start_title"))
        st.markdown(t("class.start_help"))
        if st.button(t("class.start"), icon=":material/co_present:", key="class.start"):
            classroom.start(t)
            st.rerun()
