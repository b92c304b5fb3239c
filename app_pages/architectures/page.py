"""Lesson: classic CNN architectures, layer by layer, with totals that match the published counts.

controls -> ``compute`` (pure, cached, frozen results) -> ``views`` / ``representation`` (render only).
"""

import streamlit as st

from app_pages.architectures import questions, representation
from app_pages.architectures import views as arch_views
from ui import lesson, quiz

t, url, (net, size) = lesson.header("arch", lambda: arch_views.url_state(representation.n_digits()),
                                    arch_views.choose, boxed=False)

result = arch_views.load(t, net, size)
if result is not None:
    arch_views.summary(t, net, result)
    arch_views.diagram(t, net, result)
    st.subheader(t("arch.table_title"))
    arch_views.table(t, result)
    st.subheader(t("arch.notes_title"))
    arch_views.notes(t, net)
    if net == "deepid":
        representation.show(t, url)

quiz.show(t, "arch", questions.build(quiz.url_values(url)))
