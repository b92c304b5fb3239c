"""Questions of the sliding-window lesson, built from its page of digits (cnnlab.nn.fcn computes the answers)."""

from __future__ import annotations

from functools import lru_cache

from cnnlab import quiz
from cnnlab.nn import fcn
from ui.fmt import num

DEFAULTS = {"rows": 1, "cols": 6, "gap": 4, "seed": 0, "digits": ""}


def page_of(settings):
    """``(rows, cols, gap, seed, digits)`` of the lesson's URL values (unknown values: the defaults)."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    rows = quiz.clamp_int(s["rows"], 1, fcn.MAX_ROWS, 1)
    cols = quiz.clamp_int(s["cols"], 1, fcn.MAX_COLS, 6)
    gap = quiz.clamp_int(s["gap"], 0, fcn.MAX_GAP, 4)
    seed = quiz.clamp_int(s["seed"], 0, 9999, 0)
    try:
        digits = fcn.parse_digits(s["digits"])
    except ValueError:
        digits = ()
    return rows, cols, gap, seed, digits


@lru_cache(maxsize=8)
def _compute(rows, cols, gap, seed, digits):
    from ui.models import pretrained_model

    page = fcn.compose_page(rows, cols, gap, seed, digits=digits)
    return page, fcn.class_maps(pretrained_model(), page.image)


def build(settings, page=None, maps=None):
    """``settings``: the lesson's URL values; ``page``, ``maps``: what the lesson computed (else computed here)."""
    if page is None or maps is None:
        try:
            page, maps = _compute(*page_of(settings))
        except ValueError:            # digits that do not fit the rows: ask about the default page
            page, maps = _compute(*page_of({}))
    h, w = page.image.shape
    n_rows, n_cols = maps.fcn.shape[1:]
    top, left = (int(v) for v in page.boxes[0][:2])
    i, j, _ = maps.window(maps.position_of(top, left))
    first = int(maps.sliding[:, i, j].argmax())
    per_window = maps.macs_sliding // maps.positions
    common = {"h": h, "w": w, "side": maps.side, "s": maps.stride, "p": maps.pad, "n": maps.positions}
    return [
        quiz.numeric("fcn.cols", "fcn.q.cols", n_cols, "fcn.q.cols_why", rows=n_rows, **common),
        quiz.numeric("fcn.ratio", "fcn.q.ratio", round(maps.macs_sliding / maps.macs_fcn, 2), "fcn.q.ratio_why",
                     tolerance=round(0.1 * maps.macs_sliding / maps.macs_fcn, 2), per=f"{per_window:,}",
                     sliding=f"{maps.macs_sliding:,}", fcn=f"{maps.macs_fcn:,}", **common),
        quiz.choice("fcn.first", "fcn.q.first", tuple(str(d) for d in range(10)), first, "fcn.q.first_why",
                    i=i, j=j, truth=int(page.labels[0]), p_first=num(maps.sliding[first, i, j]), **common),
    ]
