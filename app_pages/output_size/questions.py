"""Questions of the output-size lesson, built from its settings (cnnlab.geometry.shapes computes the answers)."""

from __future__ import annotations

from cnnlab import quiz
from cnnlab.geometry import shapes

DEFAULTS = {"mode": "conv", "square": True, "ceil": False, "op": 0,
            "i_r": 5, "k_r": 3, "p_r": 1, "s_r": 2, "d_r": 1, "i_c": 5, "k_c": 3, "p_c": 1, "s_c": 2, "d_c": 1}


def _axis(s, a):
    return {f: quiz.clamp_int(s[f"{f}_{a}"], lo, hi, DEFAULTS[f"{f}_r"])
            for f, lo, hi in (("i", 1, 40), ("k", 1, 11), ("p", 0, 10), ("s", 0, 8), ("d", 1, 5))}


def build(settings):
    """``settings``: the lesson's URL values -> list of Questions (rows axis; cols too for the total)."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    mode = s["mode"] if s["mode"] in ("conv", "pool", "transposed") else "conv"
    square = str(s["square"]).lower() in ("true", "1")
    ceil = str(s["ceil"]).lower() in ("true", "1")
    op = quiz.clamp_int(s["op"], 0, 7, 0)
    r = _axis(s, "r")
    c = r if square else _axis(s, "c")
    mode_key = f"size.mode_{mode}"

    def size(a):
        return shapes.output_size(mode, a["i"], a["k"], a["s"], a["p"], a["d"], ceil_mode=ceil, output_padding=op)

    out = []
    try:
        rows, cols = size(r), size(c)
    except ValueError:
        out.append(quiz.choice("size.valid", "size.q.valid", ("quiz.yes", "quiz.no"), 1, "size.q.valid_why",
                               mode=mode_key, **r))
    else:
        out.append(quiz.numeric("size.rows", "size.q.rows", rows, "size.q.rows_why", mode=mode_key, **r))
        out.append(quiz.numeric("size.total", "size.q.total", rows * cols, "size.q.total_why", mode=mode_key,
                                rows=rows, cols=cols, ic=c["i"], kc=c["k"], pc=c["p"], sc=c["s"], dc=c["d"], **r))
    keff = shapes.effective_kernel(r["k"], r["d"])
    out.append(quiz.numeric("size.keff", "size.q.keff", keff, "size.q.keff_why", k=r["k"], d=r["d"]))
    before, after = shapes.same_padding(r["k"], r["d"])
    out.append(quiz.numeric("size.same", "size.q.same", before + after, "size.q.same_why", k=r["k"], d=r["d"],
                            before=before, after=after))
    return out
