"""Is a session still there? Streamlit's runtime knows; trainer threads ask it here.

A training job belongs to the session that pressed Train. When that session's
websocket closes - the tab was closed or reloaded, the laptop went to sleep, the
network dropped - Streamlit keeps the session for ``server.disconnectedSessionTTL``
so a reconnecting browser gets it back, but nobody watches the job any more. The
runtime cannot tell a closed tab from a short network drop, so a job stops when
its session has been away for :data:`services.training.GONE_AFTER_S` seconds in a
row (a Wi-Fi hiccup is shorter) and keeps its model for a session that comes back.

:func:`session_state` answers from ``Runtime.instance()`` (``is_active_session``
is documented thread-safe); outside a running server (unit tests, scripts) every
session counts as present.
"""

from __future__ import annotations

ACTIVE, AWAY, SHUTDOWN = "active", "away", "shutdown"


def current_session_id():
    """The id of the session whose script is running in this thread (None outside a script run)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        ctx = get_script_run_ctx(suppress_warning=True)
    except Exception:  # noqa: BLE001 - no Streamlit context at all: a plain Python caller
        return None
    return getattr(ctx, "session_id", None)


def session_state(session_id):
    """``"active"`` (connected), ``"away"`` (disconnected or gone) or ``"shutdown"`` (the server stops)."""
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.runtime import RuntimeState
    except ImportError:  # pragma: no cover - Streamlit is a dependency of the app
        return ACTIVE
    if not Runtime.exists():
        return ACTIVE
    runtime = Runtime.instance()
    if runtime.state in (RuntimeState.STOPPING, RuntimeState.STOPPED):
        return SHUTDOWN
    if session_id is None or runtime.is_active_session(session_id):
        return ACTIVE
    return AWAY
