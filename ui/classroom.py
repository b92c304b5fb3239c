"""Class mode in the frame: who this browser is in a class, the sidebar panel, following the teacher.

``app.py`` calls :func:`sidebar` once per run, after ``st.navigation``. The panel
is a fragment that polls the class store every ``POLL_SECONDS``:

- a **student** sees "in class X", the class's open question (answer, change it
  until the reveal, then the right answer and why), and follows the teacher:
  when the teacher's view (page + URL settings) changes, the student's page
  switches to it; "catch up" does the same on demand.
- a **teacher** sees the class code, how many joined and answered, "show this
  to everyone" and "students follow me live".

Who is who lives in ``st.session_state`` and, for a student, in the URL
(``?class=CODE&me=ID``) so a reconnect after a replica restart finds the class
again. The teacher's secret never stays in the URL (the projector shows it).
"""

from __future__ import annotations

import io
import logging
import os
import secrets
from urllib.parse import urlencode, urlsplit

import streamlit as st

from cnnlab import quiz as core
from cnnlab.checks import LessonError
from services import class_store
from ui import errors
from ui import quiz as quiz_ui

logger = logging.getLogger(__name__)
POLL_SECONDS = 1.5
CLASS_PAGE = "class"                  # url path of the classroom page
PRIVATE = ("class", "me", "teacher", "code", "lang", "view")   # never sent as the teacher's view
K_CODE, K_MEMBER, K_SECRET = "class.code", "class.member", "class.secret"
K_SEEN, K_FOLLOW, K_PAGE, K_PUSHED, K_LIVE = "class.seen", "class.follow", "class.page", "class.pushed", "class.live"
K_GOTO, K_ANNOUNCED = "class.goto", "class.announced"


@st.cache_resource(show_spinner=False)
def store():
    """The process's handle on the class store (a connection factory; the data lives in the database)."""
    s = class_store.open_store()
    logger.info("class store: %s", class_store.backend_name(s))
    return s


# ---------------------------------------------------------------------------
# who am I
# ---------------------------------------------------------------------------
def role():
    """``"teacher"``, ``"student"`` or None for this browser session."""
    if st.session_state.get(K_CODE) is None:
        return None
    return "teacher" if st.session_state.get(K_SECRET) else "student"


def code():
    return st.session_state.get(K_CODE)


def client_ids():
    """``(session, address)`` for rate limiting (the address from the proxy's X-Forwarded-For, if any)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        session = get_script_run_ctx().session_id
    except Exception:  # noqa: BLE001 (no context in bare tests)
        session = "none"
    try:
        forwarded = (st.context.headers.get("X-Forwarded-For") or "").split(",")[0].strip()
        ip = forwarded or st.context.ip_address or ""
    except Exception:  # noqa: BLE001
        ip = ""
    return session, ip[:64]


def leave():
    for key in (K_CODE, K_MEMBER, K_SECRET, K_SEEN, K_PUSHED, K_ANNOUNCED):
        st.session_state.pop(key, None)
    for key in ("class", "me", "teacher"):
        st.query_params.pop(key, None)


def join(t, typed_code, name):
    """Join the class ``typed_code``; True on success (an error is shown otherwise)."""
    code_ = class_store.normalize_code(typed_code)
    session, ip = client_ids()
    member = secrets.token_urlsafe(12)
    try:
        if not code_:
            raise class_store.NotFound()
        store().join(code_, member, name, client=session, ip=ip)
    except class_store.StoreError as exc:
        st.error(t(f"class.err_{exc.code}"), icon=":material/error:")
        logger.info("join refused: %s", exc.code)
        return False
    st.session_state.update({K_CODE: code_, K_MEMBER: member, K_SEEN: 0, K_FOLLOW: True})
    st.session_state.pop(K_SECRET, None)
    st.query_params.update({"class": code_, "me": member})
    logger.info("student joined a class")
    return True


def start(t):
    code_, secret = store().create_class()
    st.session_state.update({K_CODE: code_, K_SECRET: secret, K_LIVE: True})
    st.session_state.pop(K_MEMBER, None)
    return code_, secret


def restore_from_url():
    """Pick the class up from the URL: a reconnecting student (``class`` + ``me``) or a teacher link."""
    qp = st.query_params
    c = class_store.normalize_code(qp.get("class", ""))
    if not c:
        return
    if qp.get("teacher"):
        secret = qp.get("teacher")
        if store().is_teacher(c, secret):
            st.session_state.update({K_CODE: c, K_SECRET: secret})
            st.session_state.pop(K_MEMBER, None)
            st.session_state.setdefault(K_LIVE, True)
        st.query_params.pop("teacher", None)     # the secret never stays on a projected URL bar
        return
    member = qp.get("me", "")
    if role() is None and member and len(member) <= 64 and store().is_member(c, member):
        st.session_state.update({K_CODE: c, K_MEMBER: member, K_FOLLOW: True, K_SEEN: 0})
        logger.info("student reconnected to a class")


# ---------------------------------------------------------------------------
# links and QR
# ---------------------------------------------------------------------------
def base_url():
    explicit = os.environ.get("CNNLAB_PUBLIC_URL", "").rstrip("/")
    if explicit:
        return explicit
    try:
        parts = urlsplit(st.context.url)
        return f"{parts.scheme}://{parts.netloc}"
    except Exception:  # noqa: BLE001
        return ""


def join_link(code_, lang="en"):
    return f"{base_url()}/{CLASS_PAGE}?{urlencode({'code': code_, 'lang': lang})}"


def teacher_link(code_, secret, lang="en"):
    return f"{base_url()}/{CLASS_PAGE}?{urlencode({'class': code_, 'teacher': secret, 'lang': lang})}"


@st.cache_data(show_spinner=False, max_entries=64)
def qr_png(link, scale=12):
    """The QR code of ``link`` as PNG bytes (segno; error correction M, a quiet zone of 4 modules)."""
    import segno

    buf = io.BytesIO()
    segno.make(link, error="m").save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


# ---------------------------------------------------------------------------
# following the teacher
# ---------------------------------------------------------------------------
def current_view():
    params = {k: v for k, v in st.query_params.items() if k not in PRIVATE}
    return {"page": st.session_state.get(K_PAGE, ""), "params": params}


def _lesson_path(url_path):
    from ui.lessons import HOME, LESSONS

    for lesson in [HOME, *LESSONS]:
        if lesson.url == url_path and lesson.available:
            return lesson.path
    return None


def _forget_settings(params):
    """Drop the widget state of the lesson the view belongs to, so its URL settings take over.

    A lesson keeps its settings under ``<prefix>.<name>``; the prefix whose keys
    match most of the view's parameter names is that lesson's. Its whole state
    goes (a follower sees the teacher's view, not a mix).
    """
    names = set(params)
    votes = {}
    for key in list(st.session_state):
        prefix, _, name = str(key).partition(".")
        if name in names and prefix not in ("class", "quiz"):
            votes[prefix] = votes.get(prefix, 0) + 1
    if not votes:
        return
    prefix, n = max(votes.items(), key=lambda kv: kv[1])
    if n * 2 >= len(names):
        for key in [k for k in list(st.session_state) if str(k).startswith(prefix + ".")]:
            del st.session_state[key]


def apply_view(info):
    """Switch this student's page and settings to the teacher's view (reruns the whole app)."""
    st.session_state[K_SEEN] = info.view_version
    view = info.view or {}
    path = _lesson_path(str(view.get("page", "")))
    if path is None:
        return
    params = {str(k): str(v) for k, v in dict(view.get("params", {})).items() if k not in PRIVATE}
    _forget_settings(params)
    params.update({"class": code(), "me": st.session_state.get(K_MEMBER, ""),
                   "lang": st.session_state.get("lang", "en")})
    st.switch_page(path, query_params=params)


def push_view(force=False):
    """Teacher: send the current page + settings to everyone (if they changed, or ``force``)."""
    view = current_view()
    if not view["page"] or view["page"] == CLASS_PAGE:
        return
    if force or view != st.session_state.get(K_PUSHED):
        try:
            store().set_view(code(), st.session_state[K_SECRET], view)
        except class_store.StoreError:
            logger.warning("teacher view not sent")
            return
        st.session_state[K_PUSHED] = view


# ---------------------------------------------------------------------------
# the sidebar panel
# ---------------------------------------------------------------------------
def sidebar(t, current):
    """Call once per run from app.py: remember the page, pick the class up from the URL, draw the panel."""
    st.session_state[K_PAGE] = getattr(current, "url_path", "")
    try:
        restore_from_url()
    except Exception:  # noqa: BLE001 (the store is down: the lessons still work)
        logger.exception("class store unreachable")
        return
    if role() == "teacher" and st.session_state[K_PAGE] == CLASS_PAGE:
        return        # the dashboard polls by itself: one polling fragment per page (two raced in the browser)
    if role() is not None:
        with st.sidebar:
            panel(t, in_sidebar=True)


@st.fragment(run_every=POLL_SECONDS)
def panel(t, in_sidebar=False):
    """The class panel: a student's class and question, or the teacher's controls. ``in_sidebar``: drawn in
    the (on a phone collapsed) sidebar, so a new question or a reveal is also announced by a toast."""
    if role() is None:
        return
    goto = st.session_state.pop(K_GOTO, None)
    if goto:
        st.switch_page(goto)
    try:
        info = store().info(code())
    except Exception:  # noqa: BLE001
        logger.warning("class store unreachable; retrying")
        st.caption(t("class.reconnecting"))
        return
    with st.container(border=True):
        if info is None or info.closed:
            st.info(t("class.ended"), icon=":material/door_front:")
            if st.button(t("class.leave"), key="class.leave_ended"):
                leave()
                st.rerun()
            return
        if role() == "teacher":
            teacher_panel(t, info)
        else:
            student_panel(t, info, in_sidebar)


def teacher_panel(t, info):
    st.text(t("class.teaching", code=info.code, n=info.members))
    live = st.toggle(t("class.live"), key=K_LIVE, help=t("class.live_help"))
    if st.button(t("class.show_all"), icon=":material/cast:", key="class.show_all"):
        push_view(force=True)
    elif live:
        push_view()
    if info.qnum and info.question:
        st.caption(t("class.answered", n=store().answer_count(info.code, info.qnum), total=info.members))
    st.page_link(_classroom_path(), label=t("class.dashboard"), icon=":material/co_present:")


def _classroom_path():
    return "app_pages/classroom/page.py"


def announce(t, info):
    """A toast when a question opens or is revealed (once per change): on a phone the sidebar is closed."""
    state = [info.qnum, bool(info.revealed)] if info.qnum and info.question else None
    if state is None or st.session_state.get(K_ANNOUNCED) == state:
        return
    st.session_state[K_ANNOUNCED] = state
    key = "class.toast_revealed" if info.revealed else "class.toast_question"
    st.toast(t(key, n=info.qnum), icon=":material/quiz:", duration="long")


def student_panel(t, info, in_sidebar=False):
    st.text(t("class.in_class", code=info.code))
    follow = st.toggle(t("class.follow"), key=K_FOLLOW, help=t("class.follow_help"))
    if info.view and info.view_version > st.session_state.get(K_SEEN, 0) and follow:
        apply_view(info)
    if info.view and current_view() != info.view:
        # the toggle above already has its value for this run: a callback (it runs before the next run)
        # switches following back on, and the next run applies the teacher's view
        st.button(t("class.catch_up"), icon=":material/sync:", key="class.catch_up", on_click=_follow_again)
    for k, v in (("class", info.code), ("me", st.session_state.get(K_MEMBER, ""))):
        if st.query_params.get(k) != v:   # a lesson rewrote the URL: keep the way back to the class
            st.query_params[k] = v
    if info.qnum and info.question:
        if in_sidebar:
            announce(t, info)
        class_question(t, info)


def _follow_again():
    st.session_state[K_FOLLOW] = True
    st.session_state[K_SEEN] = 0         # the current view counts as unseen: the next run switches to it


def class_question(t, info):
    """The open class question on a student's screen: answer until the reveal, then the right answer."""
    q = core.Question.from_dict(info.question)
    member = st.session_state.get(K_MEMBER)
    mine = store().my_answer(info.code, member, info.qnum)
    st.markdown(f"**{t('class.question', n=info.qnum)}**")
    st.markdown(quiz_ui.text(t, q, q.prompt))
    if info.revealed:
        correct = mine is not None and core.is_correct(q, mine)
        quiz_ui.feedback(t, q, mine, correct)
        return
    key = f"class.q{info.qnum}"
    with st.form(key + ".form", border=False):
        raw = quiz_ui.ask_input(t, q, key + ".in")
        sent = st.form_submit_button(t("class.send"), icon=":material/send:")
    if sent:
        try:
            response = core.parse_response(q, raw if raw is not None else "")
            ok = store().answer(info.code, member, info.qnum, response)
        except LessonError as exc:
            errors.show(exc, t)
            return
        except class_store.StoreError as exc:
            st.error(t(f"class.err_{exc.code}"), icon=":material/error:")
            return
        if not ok:
            st.warning(t("class.too_late"), icon=":material/timer_off:")
            return
        mine = response
    if mine is not None:
        st.success(t("class.sent", answer=quiz_ui.response_text(t, q, mine)), icon=":material/done:")


# ---------------------------------------------------------------------------
# the hook under every lesson question
# ---------------------------------------------------------------------------
def question_hook():
    """For a teacher in a class: a function drawing "ask the class" under a question; else None."""
    if role() != "teacher":
        return None

    def hook(t, q, key):
        if st.button(t("class.ask"), key=key + ".ask", icon=":material/campaign:"):
            ask(q)

    return hook


def ask(q):
    """Teacher: send the picture and open ``q`` for the class, then go to the projector view."""
    secret = st.session_state[K_SECRET]
    push_view(force=True)
    store().ask(code(), secret, q.to_dict())
    st.switch_page(_classroom_path())
