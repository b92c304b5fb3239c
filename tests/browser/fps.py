"""How fast a chart's own animation (ui/frames.py: Plotly frames, Play in the chart) is drawn in the browser.

The rate is measured on what reaches the screen: a ``requestAnimationFrame`` loop stamps every browser paint
at which Plotly has moved on to a new frame (``plotly_animatingframe``), over the whole animation (until
``plotly_animated``); frames Plotly handled between two paints count once, as the student sees them.
The page is idle first (no script running). On a shared machine other work can starve the browser: when the
rate is too low and the load average is high, the measurement is taken once more, and the reason printed.
"""

from __future__ import annotations

import os

from tests.browser.conftest import wait_idle

MIN_FPS = 10.0

_START = """() => {
  const gd = (CHART)();
  const m = window.__fps = {stamps: [], frames: 0, seen: 0, done: false};
  gd.on('plotly_animatingframe', () => { m.frames += 1; });
  gd.on('plotly_animated', () => { m.done = true; });
  const tick = (ts) => {
    if (m.frames > m.seen) { m.seen = m.frames; m.stamps.push(ts); }
    if (!m.done) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def _busy():
    """The 1-minute load average per core, and whether it is high (more than one waiting task per core)."""
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    return load, load > 1.0


def measure(page, chart, click, frames_at_least=20, timeout=90_000):
    """Frames per second of one animation: ``chart`` is JS source of a function returning the chart's div,
    ``click`` starts the animation. Returns ``(fps, painted frames, Plotly frames)``."""
    wait_idle(page)
    page.evaluate(_START.replace("CHART", chart))
    click()
    page.wait_for_function(f"() => window.__fps.done || window.__fps.seen >= {frames_at_least * 10}",
                           timeout=timeout)
    m = page.evaluate("() => window.__fps")
    stamps = m["stamps"]
    assert len(stamps) >= frames_at_least, f"only {len(stamps)} frames reached the screen"
    fps = (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1000)
    return fps, len(stamps), m["frames"]


def assert_plays_smoothly(page, name, chart, start, reopen):
    """``start()`` clicks Play; ``reopen()`` loads the page again for a second measurement."""
    fps, painted, frames = measure(page, chart, start)
    print(f"{name}: {painted} of {frames} frames painted, {fps:.1f} frames per second")
    load, busy = _busy()
    if fps < MIN_FPS and busy:
        print(f"{name}: load average {load:.1f} per core: measured again once, the browser was starved")
        reopen()
        fps, painted, frames = measure(page, chart, start)
        print(f"{name}: again {painted} of {frames} frames painted, {fps:.1f} frames per second")
    assert fps >= MIN_FPS, f"{name}: {fps:.1f} frames per second (load average {load:.1f} per core)"
    return fps
