"""The teacher's dashboard and projector view: code, QR, the open question's live answers, reveal, close.

The projector view fits 1024x768: it hides the sidebar (the toggle brings it back)
and the page's top padding, shows the question, the count and the bars on the
left, and the join code in very large type over a QR code (segno, scaled to the
column: about 400 px at 1024 px, enough to scan from the back of a room) on the right.
"""

from __future__ import annotations

import streamlit as st

from cnnlab import quiz as core
from services import class_store
from ui import classroom, figures
from ui import quiz as quiz_ui

# static CSS (no user text): the projector needs the whole width and height of the screen
PROJECTOR_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"]
  { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem !important; padding-left: 2rem !important;
  padding-right: 2rem !important; max-width: 100% !important; }
.st-key-class-code h1 { font-size: 5.5rem !important; line-height: 1.05 !important; letter-spacing: 0.12em;
  padding: 0 !important; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.st-key-class-live [data-testid="stMarkdownContainer"] p { font-size: 1.4rem !important; line-height: 1.4; }
</style>"""
CODE_CSS = """<style>
.st-key-class-code h1 { font-size: 3.5rem !important; letter-spacing: 0.1em; padding: 0 !important;
  font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
</style>"""


def show(t):
    code = classroom.code()
    secret = st.session_state[classroom.K_SECRET]
    lang = st.session_state.get("lang", "en")
    projector = st.toggle(t("class.projector"), key="class.projector", help=t("class.projector_help"))
    st.html(PROJECTOR_CSS if projector else CODE_CSS)
    join = classroom.join_link(code, lang)
    left, right = st.columns([1, 1], gap="medium")
    with right:
        st.markdown(t("class.join_at"))
        with st.container(key="class-code"):
            st.markdown(f"# {code}")          # 6 symbols of the store's alphabet, never user text
        st.code(join, language=None, wrap_lines=True)
        st.caption(t("class.qr_caption"))
        # 400 px on the projector (a QR code of about 50 modules: 8 px a module, readable from the back row)
        figures.picture(st, classroom.qr_png(join), width=400 if projector else "stretch",
                        alt=t("class.qr_alt", code=code))
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
    with st.container(key="class-live"):
        _live(t, code, secret)


def _live(t, code, secret):
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
