"""Draw a computational graph (from ``cnnlab.calculus.autograd.trace``) left to right with Plotly.

No Graphviz: the layout is a tidy tree computed here. The output node sits at
the right; each node's inputs are stacked to its left in the order they were
written; a node used twice (a variable, say) is placed once, left of its first
use, and its edges fan out. Pages pass translated text; the math labels
(``x = -2``, ``∂f/∂x = -4``) are language-neutral.
"""

from __future__ import annotations

import plotly.graph_objects as go

from ui import frames as ui_frames
from ui.fmt import math_num

VALUE = "#3b82f6"     # blue: forward values
GRAD = "#ef4444"      # red: gradients
ACTIVE = "#f59e0b"    # amber: the current step
INPUT = "#0ea5e9"
CONST = "#94a3b8"
OP = "#6d28d9"
EDGE = "rgba(128,128,128,0.55)"

SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "neg": "−x", "exp": "exp",
           "log": "log", "tanh": "tanh", "sigmoid": "σ", "relu": "ReLU", "max": "max",
           "min": "min", "abs": "|x|", "sqrt": "√", "sin": "sin", "cos": "cos"}


num = math_num  # a number as a student would write it (ui.fmt.math_num)


def symbol(node):
    """The operation's symbol, e.g. ``×`` or ``^2``."""
    if node["kind"] != "op":
        return node["label"]
    return node["label"] if node["op"] == "pow" else SYMBOLS.get(node["op"], node["op"])


def node_names(tr):
    """Short names: variables keep theirs, numbers show themselves, operations are n1, n2, ... and the output f."""
    names, k = {}, 0
    for n in tr["nodes"]:
        if n["id"] == tr["root"]:
            names[n["id"]] = "f"
        elif n["kind"] == "op":
            k += 1
            names[n["id"]] = f"n{k}"
        else:
            names[n["id"]] = n["label"]
    return names


def layout(tr):
    """``{id: (column, row)}``: column = distance from the inputs, rows from a tidy tree."""
    children = {n["id"]: [] for n in tr["nodes"]}
    parents = {n["id"]: [] for n in tr["nodes"]}
    for c, p, _ in tr["edges"]:
        children[p].append(c)
        parents[c].append(p)
    depth = {}
    for i in tr["forward"]:                                # topological: children first
        depth[i] = 1 + max((depth[c] for c in children[i]), default=-1)
    for i in reversed(tr["forward"]):                      # leaves sit just left of first use
        if not children[i] and parents[i]:
            depth[i] = min(depth[p] for p in parents[i]) - 1
    is_const = {n["id"]: n["kind"] == "const" for n in tr["nodes"]}
    row, slot = {}, [0]

    def place(i):
        # constants are left out of the tree, so a chain such as 1 / (1 + exp(-z)) stays straight
        kids = [c for c in dict.fromkeys(children[i]) if c not in row and not is_const[c]]
        for c in kids:
            row[c] = None                                  # claim before recursing
        for c in kids:
            place(c)
        if kids:
            row[i] = sum(row[c] for c in kids) / len(kids)
        else:
            row[i] = float(slot[0])
            slot[0] += 1

    row[tr["root"]] = None
    place(tr["root"])
    pos = {i: (depth[i], row[i]) for i in row}
    for i in tr["forward"]:                                # then each constant just above or
        for c in children[i]:                              # below its user, in a free spot
            if c in pos:
                continue
            col = depth[i] - 1
            taken = [y for x, y in pos.values() if x == col]
            for off in (-0.9, 0.9, -1.8, 1.8, -2.7, 2.7, -3.6, 3.6):
                if all(abs(row[i] + off - y) >= 0.85 for y in taken):
                    break
            pos[c] = (col, row[i] + off)
    top = min(y for _, y in pos.values())
    return {i: (x, y - top) for i, (x, y) in pos.items()}


def step_state(tr, step):
    """What is visible after ``step`` steps (0 = only the inputs).

    Steps ``1..F`` compute the operation nodes forward; steps ``F+1..F+B`` are the
    backward steps of ``tr["backward"]``. Returns a dict with ``phase``
    ("start", "forward", "backward"), ``values`` (ids whose value is shown),
    ``grads`` ({id: gradient so far}), ``node`` (the node of this step) and
    ``step`` (the backward step dict, or None).
    """
    ops = [i for i in tr["forward"] if tr["nodes"][i]["kind"] == "op"]
    leaves = [i for i in tr["forward"] if tr["nodes"][i]["kind"] != "op"]
    f = len(ops)
    if step <= f:
        return {"phase": "start" if step == 0 else "forward", "values": set(leaves + ops[:step]),
                "grads": {}, "node": ops[step - 1] if step else None, "step": None,
                "index": step, "total": f}
    k = step - f
    grads = {tr["root"]: 1.0}
    for s in tr["backward"][:k]:
        grads[s["child"]] = s["grad_after"]
    return {"phase": "backward", "values": set(tr["forward"]), "grads": grads,
            "node": tr["backward"][k - 1]["child"], "step": tr["backward"][k - 1],
            "index": k, "total": len(tr["backward"])}


def total_steps(tr):
    return sum(n["kind"] == "op" for n in tr["nodes"]) + len(tr["backward"])


LABEL_PX = 16          # values, gradients and the step title: readable when projected (issue 18)
OFFSET = 0.42          # value above / gradient below a node, in rows (a row is ~95 px high)


def _dynamic(tr, state, pos, names, title):
    """What changes from one step to the next: the arrows of the step, the ring around its node, the values
    and gradients known so far, the step's title. One patch per dynamic trace (see :func:`graph`)."""
    nodes = {n["id"]: n for n in tr["nodes"]}
    ids = list(pos)
    active = state.get("step")
    hot = []
    if active is not None:                                   # backward: parent -> child
        hot = [(active["node"], active["child"])]
    elif state["phase"] == "forward":                        # forward: every input -> the node
        hot = [(c, p) for c, p, _ in tr["edges"] if p == state["node"]]
    ax, ay, sizes = [], [], []
    for a, b in hot:                       # both ends stop short of the nodes: no symbol ("−", "+") hidden
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax += [x0 + 0.25 * (x1 - x0), x0 + 0.75 * (x1 - x0), None]
        ay += [y0 + 0.25 * (y1 - y0), y0 + 0.75 * (y1 - y0), None]
        sizes += [0, 18, 0]
    current = state["node"]
    ring = ([pos[current][0]], [pos[current][1]]) if current is not None else ([None], [None])
    values, grads = [], []
    for i in ids:
        if i in state["values"]:
            label = names[i] if nodes[i]["kind"] != "const" else ""
            value = num(nodes[i]["value"], 3)
            values.append(f"<b>{label} = {value}</b>" if label else f"<b>{value}</b>")
        else:
            values.append("")
        grads.append(f"<b>∂f/∂{names[i]} = {num(state['grads'][i], 3)}</b>" if i in state["grads"] else "")
    return [dict(x=ax or [None], y=ay or [None], marker=dict(size=sizes or [0], symbol="arrow",
                                                            angleref="previous", color=ACTIVE)),
            dict(x=ring[0], y=ring[1]), dict(text=values), dict(text=grads), dict(text=[title])]


def graph(tr, state, title="", height=None):
    """The graph with the values and gradients visible in ``state`` (see :func:`step_state`).

    Every label is a trace (no annotations), so that browser frames can change them (:func:`steps`):
    traces 0-1 are fixed (edges, nodes), then come the dynamic traces of :func:`_dynamic`."""
    pos = layout(tr)
    names = node_names(tr)
    nodes = {n["id"]: n for n in tr["nodes"]}
    xs, ys, seen = [], [], {}
    for c, p, _ in tr["edges"]:
        (x0, y0), (x1, y1) = pos[c], pos[p]
        k = seen[(c, p)] = seen.get((c, p), -1) + 1
        if k == 0:
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        else:                                            # x * x: bend the second edge
            bend = 0.35 * k
            xs += [x0, (x0 + x1) / 2, x1, None]
            ys += [y0, (y0 + y1) / 2 + bend, y1, None]
    ids = list(pos)
    rows = max(p[1] for p in pos.values()) + 1
    cols = max(p[0] for p in pos.values()) + 1
    colours = [OP if nodes[i]["kind"] == "op" else CONST if nodes[i]["kind"] == "const" else INPUT for i in ids]
    px, py = [pos[i][0] for i in ids], [pos[i][1] for i in ids]
    arrows, ring, values, grads, head = _dynamic(tr, state, pos, names, title)
    data = [
        dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color=EDGE, width=2), hoverinfo="skip"),
        dict(type="scatter", x=px, y=py, mode="markers+text",
             marker=dict(size=[52 if nodes[i]["kind"] == "op" else 44 for i in ids], color=colours,
                         symbol=["circle" if nodes[i]["kind"] == "op" else "square" for i in ids],
                         line=dict(width=1, color="white")),
             text=[symbol(nodes[i]) for i in ids],
             textfont=dict(color="white", size=[24 if len(symbol(nodes[i])) == 1 else 16 for i in ids]),
             hovertext=[f"{names[i]}: {symbol(nodes[i])}" for i in ids], hoverinfo="text"),
        dict(type="scatter", mode="lines+markers", line=dict(color=ACTIVE, width=5), hoverinfo="skip", **arrows),
        dict(type="scatter", mode="markers", hoverinfo="skip",
             marker=dict(size=56, symbol="circle-open", color=ACTIVE, line=dict(width=4)), **ring),
        dict(type="scatter", x=px, y=[y - OFFSET for y in py], mode="text", hoverinfo="skip", cliponaxis=False,
             textfont=dict(color=VALUE, size=LABEL_PX), **values),
        dict(type="scatter", x=px, y=[y + OFFSET for y in py], mode="text", hoverinfo="skip", cliponaxis=False,
             textfont=dict(color=GRAD, size=LABEL_PX), **grads),
        dict(type="scatter", x=[(cols - 1) / 2], y=[-0.95], mode="text", textposition="middle center",
             hoverinfo="skip", cliponaxis=False, textfont=dict(size=LABEL_PX + 1), **head),
    ]
    return go.Figure(data=data, layout=dict(
        height=height or int(max(340, min(960, 100 * rows + 150))), showlegend=False,
        margin=dict(l=10, r=10, t=44, b=24),
        xaxis=dict(visible=False, range=[-0.6, cols - 0.4]),
        yaxis=dict(visible=False, autorange=False, range=[rows - 0.4, -1.15])))   # the title's row on top


DYNAMIC = range(2, 7)  # the traces of graph() that frames change (arrows, ring, values, gradients, title)


def steps(tr, total, title_of):
    """The key frames of the whole walk (``title_of(state)`` -> translated title), for ``ui.frames``."""
    pos = layout(tr)
    names = node_names(tr)
    keys = []
    for k in range(total + 1):
        state = step_state(tr, k)
        keys.append(ui_frames.frame(k, dict(zip(DYNAMIC, _dynamic(tr, state, pos, names, title_of(state))))))
    return keys
