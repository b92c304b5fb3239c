"""Kit widget: a lesson's questions, predict then reveal, with a small per-lesson progress count.

Usage in a lesson page::

    from app_pages.pooling import questions
    quiz.show(t, "pool", questions.build(quiz.url_values(url)))

Alone, a student types a prediction, checks it and reads the explanation; the
count of right answers lives in ``st.session_state`` only (nothing personal
goes to the server). A teacher in class mode gets an "ask the class" button on
every question (:mod:`ui.classroom`).

Text from the question's parameters (which can come from a link, e.g. an
expression) is escaped before it reaches Markdown; choices are shown as plain
text.
"""

from __future__ import annotations

import logging
import re

import plotly.graph_objects as go
import streamlit as st

from cnnlab import quiz as core
from cnnlab.checks import LessonError
from ui import errors

logger = logging.getLogger(__name__)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
PROGRESS = "quiz.progress"     # session key: {lesson: {qid: True/False}}


def escape_md(text):
    """``text`` with every Markdown / HTML special character backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def url_values(url):
    """A lesson's current URL settings as a plain dict (what ``questions.build`` takes)."""
    return {name: url.get(name) for name in url.defaults}


def _param(t, value):
    if isinstance(value, str) and t.has(value):
        return escape_md(t(value))
    if isinstance(value, float):
        value = f"{value:g}"
    return escape_md(value)


def text(t, q, key):
    """The catalog text ``key`` of question ``q``, its parameters escaped and filled in."""
    params = {k: _param(t, v) for k, v in q.params}
    try:
        return t(key, **params)
    except (KeyError, IndexError, ValueError):
        logger.warning("question text %s does not fit its parameters", key)
        return t(key)


def choice_label(t, choice):
    """A choice as plain text: its translation when it is a catalog key, else the literal label."""
    return t(choice) if t.has(choice) else str(choice)


def answer_text(t, q):
    """The right answer as plain text."""
    if q.kind == "choice":
        return choice_label(t, q.choices[q.answer])
    return f"{q.answer:g}"


def response_text(t, q, response):
    if response is None:
        return ""
    if q.kind == "choice":
        return choice_label(t, q.choices[int(response)])
    return f"{float(response):g}"


def progress(lesson):
    return st.session_state.setdefault(PROGRESS, {}).setdefault(lesson, {})


def ask_input(t, q, key, disabled=False):
    """The answer widget of ``q`` inside a form; returns the raw response (str or choice index) or None."""
    if q.kind == "choice":
        return st.radio(t("quiz.your_answer"), range(len(q.choices)), index=None, key=key, disabled=disabled,
                        format_func=lambda i: choice_label(t, q.choices[i]))
    hint = t("quiz.tolerance", tol=f"{q.tolerance:g}") if q.tolerance else t("quiz.exact")
    return st.text_input(t("quiz.your_answer"), key=key, max_chars=core.MAX_TEXT, disabled=disabled, help=hint,
                         placeholder=hint)


def feedback(t, q, response, correct):
    """Right or wrong, the right answer, and the explanation that points at the picture."""
    if correct:
        st.success(t("quiz.right", answer=answer_text(t, q)), icon=":material/check_circle:")
    elif response is None:
        st.info(t("quiz.answer_is", answer=answer_text(t, q)), icon=":material/info:")
    else:
        st.warning(t("quiz.wrong", yours=response_text(t, q, response), answer=answer_text(t, q)),
                   icon=":material/cancel:")
    if q.explanation:
        st.markdown(text(t, q, q.explanation))


def _one(t, lesson, index, q, teacher_hook):
    done = progress(lesson)
    key = f"quiz.{lesson}.{index}.{q.key()}"
    with st.container(border=True):
        st.markdown(f"**{index + 1}.** " + text(t, q, q.prompt))
        with st.form(key + ".form", border=False):
            raw = ask_input(t, q, key + ".in")
            checked = st.form_submit_button(t("quiz.check"), icon=":material/task_alt:")
        if checked:
            try:
                response, correct = core.grade(q, raw if raw is not None else "")
            except LessonError as exc:
                errors.show(exc, t)
            else:
                st.session_state[key + ".result"] = (response, correct)
                done[q.qid] = correct
        result = st.session_state.get(key + ".result")
        if result is not None:
            feedback(t, q, *result)
        if teacher_hook is not None:
            teacher_hook(t, q, key)


def show(t, lesson, questions, teacher_hook=None):
    """The lesson's questions in one expander, with "n of m right" (this browser session only).

    ``teacher_hook(t, question, key)``, when given, draws extra controls under each question
    (class mode uses it for "ask the class"); by default :func:`ui.classroom.question_hook`.
    """
    if teacher_hook is None:
        from ui import classroom
        teacher_hook = classroom.question_hook()
    done = progress(lesson)
    right = sum(1 for q in questions if done.get(q.qid))
    st.divider()
    with st.expander(t("quiz.title", right=right, total=len(questions)), icon=":material/quiz:",
                     expanded=teacher_hook is not None):
        st.caption(t("quiz.intro"))
        for i, q in enumerate(questions):
            _one(t, lesson, i, q, teacher_hook)


def distribution_figure(t, q, dist, reveal=False, height=360):
    """Bars of how the class answered; the right bar is marked only after the reveal."""
    labels, counts, colours = [], [], []
    for label, n, right in dist.bars:
        if label == "other":
            labels.append(t("quiz.other"))
        elif q.kind == "choice":
            labels.append(choice_label(t, q.choices[label]))
        else:
            labels.append(f"{label:g}")
        counts.append(n)
        colours.append("#2ca02c" if reveal and right else "#4c78a8")
    fig = go.Figure(go.Bar(x=[str(s) for s in labels], y=counts, marker_color=colours, text=counts,
                           textposition="auto", textfont={"size": 22},
                           hovertemplate="%{x}: %{y}<extra></extra>"))
    fig.update_layout(height=height, margin={"l": 40, "r": 10, "t": 40, "b": 40},
                      title={"text": t("quiz.dist_title", n=dist.total), "font": {"size": 22}},
                      xaxis={"title": t("quiz.dist_answer"), "type": "category", "tickfont": {"size": 20}},
                      yaxis={"title": t("quiz.dist_count"), "rangemode": "tozero", "dtick": 1 if max(
                          counts or [0]) <= 10 else None, "tickfont": {"size": 16}})
    return fig
