"""The teacher's dashboard and projector view: code, QR, the open question's live answers, reveal, close.

The projector view fits 1024x768 beside the sidebar: the question, the count and
the bars on the left, the join code and a QR code (segno, scaled to the column) on the right.
"""

from __future__ import annotations

import streamlit as st

from cnnlab import quiz as core
from services import class_store
from ui import classroom, figures
from ui import quiz as quiz_ui


def show(t):
    code = classroom.code()
    secret = st.session_state[classroom.K_SECRET]
    lang = st.session_state.get("lang", "en")
    projector = st.toggle(t("class.projector"), key="class.projector", help=t("class.projector_help"))
    join = classroom.join_link(code, lang)
    left, right = st.columns([1, 1], gap="medium")
    with right:
        st.markdown(t("class.join_at", code=code))
        figures.picture(st, classroom.qr_png(join), width="stretch", alt=t("class.qr_alt", code=code))
        st.caption(t("class.qr_caption"))
        st.code(join, language=None, wrap_lines=True)
    with left:
        live(t, code, secret)
    if not projector:
        st.divider()
        with st.expander(t("class.teacher_link"), icon=":material/key:"):
            st.caption(t("class.teacher_link_help"))
            st.code(classroom.teacher_link(code, secret, lang), language=None, wrap_lines=True)
        with st.expander(t("class.names"), icon=":material/group:"):
            names = classroom.store().names(code, secret)
            st.text(", ".join(names) if names else t("class.no_names"))   # plain text, never Markdown
        if st.button(t("class.close"), icon=":material/close:", key="class.close"):
            classroom.store().close(code, secret)
            classroom.leave()
            st.rerun()


@st.fragment(run_every=classroom.POLL_SECONDS)
def live(t, code, secret):
    """How many joined and answered, the distribution (right bar only after the reveal), reveal."""
    info = classroom.store().info(code)
    if info is None or info.closed:
        st.info(t("class.ended"))
        return
    st.markdown(t("class.members", n=info.members))
    if not (info.qnum and info.question):
        st.info(t("class.no_question"), icon=":material/quiz:")
        return
    q = core.Question.from_dict(info.question)
    st.markdown(f"#### {t('class.question', n=info.qnum)}")
    st.markdown(quiz_ui.text(t, q, q.prompt))
    responses = classroom.store().responses(code, secret, info.qnum)
    dist = core.distribution(q, responses)
    st.markdown(t("class.answered_big", n=dist.total, total=info.members))
    if not info.revealed and st.button(t("class.reveal"), icon=":material/visibility:", type="primary",
                                       key="class.reveal"):
        try:
            classroom.store().reveal(code, secret, info.qnum)
        except class_store.StoreError as exc:
            st.error(t(f"class.err_{exc.code}"))
        st.rerun(scope="fragment")
    figures.chart(st, quiz_ui.distribution_figure(t, q, dist, reveal=info.revealed, height=300),
                    config={"displayModeBar": False, "staticPlot": True}, key=f"class.dist.{info.qnum}")
    if info.revealed:
        st.markdown(t("class.right_count", n=dist.correct, total=dist.total))
        quiz_ui.feedback(t, q, None, False)
