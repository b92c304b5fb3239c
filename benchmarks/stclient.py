"""A small client that speaks Streamlit's own websocket protocol, like a browser tab does.

The browser talks to ``/_stcore/stream``: it sends ``BackMsg`` protobufs
(``rerun_script`` with the widget values, ``file_urls_request`` before an
upload) and receives ``ForwardMsg`` protobufs (``new_session``, ``delta`` for
every element, ``script_finished``). Uploads are a multipart HTTP ``PUT`` to
the URL the server hands out, carrying the XSRF token of the
``_streamlit_xsrf`` cookie. This module does exactly that with the
``websockets`` package and the protobuf classes installed with Streamlit, so
sixty "students" fit in one small process (a headless Chromium page costs
~100 MB and a core; this costs a few MB).

It renders nothing: it records which widgets a run produced (id, kind,
options, range) so a simulated student can change one, and how long the run
took from sending the change until ``script_finished``.
"""

from __future__ import annotations

import asyncio
import http.cookies
import random
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import FileURLsRequest, UploadedFileInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

WIDGET_KINDS = ("selectbox", "radio", "slider", "number_input", "checkbox", "button",
                "button_group", "file_uploader", "text_input")
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY: "ok", ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile_error",
            ForwardMsg.FINISHED_EARLY_FOR_RERUN: "interrupted",
            ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment_ok"}


@dataclass
class Widget:
    id: str
    kind: str
    label: str
    proto: object          # the element's protobuf (options, min, max, value ...)
    in_sidebar: bool
    fragment_id: str = ""  # the fragment that drew it (a click inside a fragment reruns only that fragment)


@dataclass
class RunResult:
    status: str                     # ok / fragment_ok / interrupted / compile_error / timeout
    seconds: float
    exceptions: list = field(default_factory=list)   # tracebacks shown on the page (st.exception)
    alerts: list = field(default_factory=list)       # st.error texts the page chose to show
    elements: int = 0
    shown: list = field(default_factory=list)        # Markdown and message bodies of the run (what one reads)
    finished_at: float = 0.0                         # time.monotonic() when script_finished arrived


class StreamlitSession:
    """One browser tab: a cookie jar, a websocket, the current page's widgets."""

    def __init__(self, base_url, *, query="lang=en", timeout=60.0):
        self.base_url = base_url.rstrip("/")
        self.query = query
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.ws = None
        self.session_id = None
        self.pages: dict[str, str] = {}        # url_pathname -> page_script_hash
        self.page_hash = ""
        self.widgets: dict[str, Widget] = {}
        self.values: dict[str, WidgetState] = {}  # widget values this "student" has set
        self.messages = 0
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._reader = None
        # st.fragment(run_every=...): the server asks for periodic fragment reruns and the
        # browser sends them; so do we (one run at a time, like the tab's script queue).
        self.autos: dict[str, float] = {}
        self.auto_results: list[RunResult] = []
        self._auto_task = None
        self._lock = asyncio.Lock()

    # --- HTTP (cookies, uploads) -------------------------------------------------------
    def _http(self, method, path, data=None, headers=None):
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers=dict(headers or {}))
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        with urllib.request.urlopen(req, timeout=self.timeout) as r:
            for value in r.headers.get_all("Set-Cookie") or []:
                c = http.cookies.SimpleCookie()
                c.load(value)
                for k, morsel in c.items():
                    self.cookies[k] = morsel.value
            return r.status, r.read()

    # --- websocket -------------------------------------------------------------------
    async def connect(self, page=""):
        """Open the app like a browser: GET health (cookies), open the stream, run ``page``."""
        await asyncio.to_thread(self._http, "GET", "/_stcore/health")
        url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        protocols = ["streamlit"] + ([self.cookies["_streamlit_xsrf"]] if "_streamlit_xsrf" in self.cookies
                                     else [])
        headers = {"Origin": self.base_url}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.ws = await websockets.connect(url, subprotocols=protocols, additional_headers=headers,
                                           max_size=None, compression=None, open_timeout=self.timeout,
                                           ping_interval=None)
        self._reader = asyncio.create_task(self._read())
        self._auto_task = asyncio.create_task(self._auto_loop())
        return await self.run(page_name=page)

    async def close(self):
        for task in (self._auto_task,):
            if task is not None:
                task.cancel()
        if self.ws is not None:
            await self.ws.close()
        for task in (self._auto_task, self._reader):
            if task is not None:
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass

    async def _auto_loop(self):
        due: dict[str, float] = {}
        while True:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            for fid, interval in list(self.autos.items()):
                if now < due.setdefault(fid, now + interval):
                    continue
                due[fid] = now + interval
                async with self._lock:
                    if fid in self.autos:
                        try:
                            self.auto_results.append(await self._run(fragment_id=fid))
                        except (ConnectionError, websockets.ConnectionClosed):
                            return

    async def _read(self):
        try:
            async for data in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self.messages += 1
                await self._inbox.put(msg)
        except websockets.ConnectionClosed:
            pass
        await self._inbox.put(None)

    async def _next(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        msg = await asyncio.wait_for(self._inbox.get(), left)
        if msg is None:
            raise ConnectionError("the server closed the websocket")
        return msg

    def _drain(self):
        while not self._inbox.empty():
            if self._inbox.get_nowait() is None:
                raise ConnectionError("the server closed the websocket")

    async def run(self, page_name=None, page_hash=None, widget_states=None):
        """Send one ``rerun_script`` and wait for ``script_finished``; returns a RunResult."""
        async with self._lock:
            return await self._run(page_name, page_hash, widget_states)

    async def _run(self, page_name=None, page_hash=None, widget_states=None, fragment_id=None, auto=True):
        self._drain()
        state = BackMsg()
        cs = state.rerun_script
        cs.query_string = self.query
        if fragment_id is not None:
            cs.fragment_id = fragment_id
            cs.is_auto_rerun = auto
            cs.page_script_hash = self.page_hash
        elif page_hash is not None:
            cs.page_script_hash = page_hash
        elif page_name is not None:
            cs.page_name = page_name
        else:
            cs.page_script_hash = self.page_hash
        for ws in (widget_states if widget_states is not None else self.values.values()):
            cs.widget_states.widgets.append(ws)
        ci = cs.context_info
        ci.locale = "zh-CN" if "lang=zh" in self.query else "en-US"
        ci.timezone = "UTC"
        ci.url = f"{self.base_url}/{page_name or ''}?{self.query}"
        t0 = time.monotonic()
        await self.ws.send(state.SerializeToString())
        return await self._collect(t0, t0 + self.timeout)

    async def _collect(self, t0, deadline):
        result = RunResult("timeout", 0.0)
        seen: dict[str, Widget] = {}
        fragment = False
        try:
            while True:
                msg = await self._next(deadline)
                kind = msg.WhichOneof("type")
                if kind == "new_session":  # a script run starts (a fragment run names its fragments)
                    self.session_id = msg.new_session.initialize.session_id or self.session_id
                    self.page_hash = msg.new_session.page_script_hash
                    if not msg.metadata.run.fragment_ids:
                        self.autos.clear()  # a full run registers its fragments' intervals again
                elif kind == "auto_rerun":
                    self.autos[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
                elif kind == "stop_auto_rerun":
                    for fid in msg.stop_auto_rerun.fragment_ids:
                        self.autos.pop(fid, None)
                elif kind == "navigation":
                    self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
                    self.page_hash = msg.navigation.page_script_hash or self.page_hash
                elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    fragment = fragment or bool(msg.delta.fragment_id)
                    self._element(msg, seen, result)
                elif kind == "script_finished":
                    result.status = FINISHED.get(msg.script_finished, str(msg.script_finished))
                    if result.status == "interrupted":
                        continue  # a newer run follows (e.g. st.rerun, a query-param sync)
                    break
        except TimeoutError:
            result.status = "timeout"
        result.finished_at = time.monotonic()
        result.seconds = result.finished_at - t0
        if result.status == "ok" and not fragment:
            self.widgets = seen
            self.values = {k: v for k, v in self.values.items() if k in seen}
        else:
            self.widgets.update(seen)
        return result

    def _element(self, msg, seen, result):
        el = msg.delta.new_element
        kind = el.WhichOneof("type")
        result.elements += 1
        if kind == "exception":
            result.exceptions.append(f"{el.exception.type}: {el.exception.message}")
        elif kind == "alert":
            result.shown.append(el.alert.body)
            if el.alert.format == el.alert.ERROR:
                result.alerts.append(el.alert.body)
        elif kind == "markdown":
            result.shown.append(el.markdown.body)
        elif kind in WIDGET_KINDS or (kind == "dataframe" and el.dataframe.id):  # st.data_editor has an id
            proto = getattr(el, kind)
            in_sidebar = bool(msg.metadata.delta_path) and msg.metadata.delta_path[0] == 1
            kind = "data_editor" if kind == "dataframe" else kind
            seen[proto.id] = Widget(proto.id, kind, getattr(proto, "label", ""), proto, in_sidebar,
                                    msg.delta.fragment_id)

    # --- acting like a student -------------------------------------------------------
    def open_page(self, url_pathname):
        """Navigate to a lesson (as clicking it in the menu does)."""
        self.values = {}
        return self.run(page_hash=self.pages[url_pathname], widget_states=[])

    def changeable(self, kinds=("selectbox", "radio", "slider", "number_input", "checkbox",
                                "button_group")):
        return [w for w in self.widgets.values() if w.kind in kinds and not w.in_sidebar
                and not getattr(w.proto, "disabled", False)]

    def find(self, kind, label_part=""):
        for w in self.widgets.values():
            if w.kind == kind and label_part.lower() in w.label.lower():
                return w
        return None

    async def change(self, widget, rng):
        """Give ``widget`` a different valid value and rerun; returns the RunResult."""
        self.values[widget.id] = new_value(widget, rng)
        return await self.run()

    async def click(self, widget):
        ws = WidgetState(id=widget.id, trigger_value=True)
        result = await self.run(widget_states=list(self.values.values()) + [ws])
        return result

    async def submit(self, button, states):
        """Submit a form: its widgets' ``states`` and the submit button's trigger in one run (the fragment's
        only, when the form is inside a fragment, as the browser does)."""
        trigger = WidgetState(id=button.id, trigger_value=True)
        async with self._lock:
            return await self._run(widget_states=list(self.values.values()) + list(states) + [trigger],
                                   fragment_id=button.fragment_id or None, auto=False)

    async def set_value(self, widget, state):
        self.values[widget.id] = state
        return await self.run()

    async def upload(self, widget, name, data, mime="image/png"):
        """Upload ``data`` into a file_uploader the way the browser does, then rerun."""
        req = BackMsg(file_urls_request=FileURLsRequest(request_id=uuid.uuid4().hex, file_names=[name],
                                                        session_id=self.session_id))
        async with self._lock:
            self._drain()
            await self.ws.send(req.SerializeToString())
            deadline = time.monotonic() + self.timeout
            while True:
                msg = await self._next(deadline)
                if msg.WhichOneof("type") == "file_urls_response":
                    break
        urls = msg.file_urls_response.file_urls[0]
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                f"Content-Type: {mime}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        path = urllib.parse.urlparse(urls.upload_url).path if "://" in urls.upload_url else urls.upload_url
        if not path.startswith("/"):
            path = "/" + path
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
                   "X-Xsrftoken": self.cookies.get("_streamlit_xsrf", "")}
        await asyncio.to_thread(self._http, "PUT", path, body, headers)
        state = WidgetState(id=widget.id)
        state.file_uploader_state_value.uploaded_file_info.append(
            UploadedFileInfo(file_id=urls.file_id, name=name, size=len(data), file_urls=urls))
        return await self.set_value(widget, state)


def new_value(widget, rng: random.Random) -> WidgetState:
    """A different valid value for a widget, as the browser would send it."""
    p, ws = widget.proto, WidgetState(id=widget.id)
    if widget.kind in ("selectbox", "radio"):
        options = list(p.options)
        current = p.raw_value if p.HasField("raw_value") else (options[p.default] if options else "")
        others = [o for o in options if o != current] or options
        ws.string_value = rng.choice(others)
    elif widget.kind == "button_group":
        options = [o.content for o in p.options]
        ws.string_array_value.data.append(rng.choice(options))
    elif widget.kind == "slider" and p.type == p.SELECT_SLIDER:  # st.select_slider: option labels
        picks = sorted(rng.sample(range(len(p.options)), min(len(p.default) or 1, len(p.options))))
        ws.string_array_value.data.extend(p.options[k] for k in picks)
    elif widget.kind == "slider":
        steps = max(1, round((p.max - p.min) / (p.step or 1)))
        values = [p.min + (p.step or 1) * rng.randint(0, steps) for _ in range(len(p.default) or 1)]
        ws.double_array_value.data.extend(sorted(min(v, p.max) for v in values))
    elif widget.kind == "number_input":
        lo = p.min if p.has_min else p.value - 10 * (p.step or 1)
        hi = p.max if p.has_max else p.value + 10 * (p.step or 1)
        step = p.step or 1
        v = lo + step * rng.randint(0, max(0, int((hi - lo) / step)))
        ws.double_value = float(round(v) if p.data_type == p.INT else v)  # ints travel as doubles too
    elif widget.kind == "checkbox":
        ws.bool_value = not (p.value if p.set_value else p.default)
    elif widget.kind == "text_input":
        ws.string_value = p.value or p.default
    else:
        raise ValueError(f"cannot change a {widget.kind}")
    return ws
