"""Questions of the architectures lesson, built from the chosen network (cnnlab.geometry.architectures counts)."""

from __future__ import annotations

from cnnlab import quiz
from cnnlab.geometry import architectures

DEFAULTS = {"net": "lenet5", "fcn_size": 384}


def _name(row):
    """A layer as a choice: its catalog key when its name is a phrase (shown translated), else its name."""
    return f"arch.layer.{row['label']}" if row.get("label") else row["name"]


def _candidates(rows, field):
    """Four layer names: the one with the most ``field`` and three others spread over the network."""
    best = max(range(len(rows)), key=lambda i: rows[i][field])
    # not a reshape (no parameters, no work), and never a second layer with the same count: one right answer
    others = [i for i in range(len(rows)) if i != best and rows[i]["name"] != rows[best]["name"]
              and rows[i]["kind"] != "flatten" and rows[i][field] != rows[best][field]]
    step = max(len(others) // 3, 1)
    picked = sorted({best, *others[::step][:3]})
    names = [_name(rows[i]) for i in picked]
    return names, picked.index(best)


def build(settings):
    """``settings``: the lesson's URL values (``net, fcn_size``) -> list of Questions."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    net = s["net"] if s["net"] in architectures.NETWORKS else "lenet5"
    size = quiz.clamp_int(s["fcn_size"], 224, 1024, 384) if net == "fcn" else None
    try:
        result = architectures.network(net, size)
    except ValueError:          # a size the page itself refuses (with its message): ask about LeNet-5
        net, result = "lenet5", architectures.network("lenet5")
    rows = result["rows"]
    names, best = _candidates(rows, "params")
    mac_names, mac_best = _candidates(rows, "macs")
    common = {"net": f"arch.net_{net}"}
    out = [
        quiz.choice("arch.most_params", "arch.q.most_params", names, best, "arch.q.most_params_why", **common),
        quiz.numeric("arch.total", "arch.q.total", round(result["params"] / 1e6, 3), "arch.q.total_why",
                     tolerance=max(0.1 * result["params"] / 1e6, 0.001), exact=f"{result['params']:,}", **common),
        quiz.choice("arch.most_macs", "arch.q.most_macs", mac_names, mac_best, "arch.q.most_macs_why", **common),
    ]
    with_rf = [r for r in rows if r.get("rf") and r["kind"] != "flatten"]
    if with_rf:
        last = with_rf[-1]
        out.append(quiz.numeric("arch.rf", "arch.q.rf", last["rf"], "arch.q.rf_why", layer=_name(last), **common))
    return out
