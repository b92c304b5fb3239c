"""The gradient-descent charts written as plain Plotly JSON (ui.frames.Plain): Plotly's own validation is the
oracle, and the typed arrays decode back to the paths."""

import base64

import numpy as np
import plotly.graph_objects as go

from app_pages.gradient_descent import compute
from app_pages.gradient_descent import figures as figs
from cnnlab.calculus import descent, surfaces
from ui import frames


def _decode(arr):
    return np.frombuffer(base64.b64decode(arr["bdata"]), dtype="<" + arr["dtype"])


def _paths(steps=40):
    surf = surfaces.quadratic(kappa=10.0)
    return surf, {o: descent.run_optimizer(surf, o, surf.start, steps, lr) for o, lr in
                  (("sgd", 0.1), ("momentum", 0.05), ("adam", 0.1))}


def test_map_with_frames_passes_plotly_validation_and_frames_hold_the_paths():
    surf, paths = _paths()
    s = compute.surface_data("quadratic", 10.0, "")
    positions = frames.spaced(0, 40, 60)
    fig = figs.contour_figure(s.xs, s.ys, s.z, s.log, paths, {o: o for o in paths}, minima=s.minima,
                              start=surf.start, click=True, title="Map", click_hover="click",
                              play=(positions, "Play", "Pause"))
    checked = go.Figure(fig.spec)                     # raises on any property Plotly does not know
    assert checked.data[0].type == "contour" and len(checked.frames) == len(positions)
    assert checked.layout.updatemenus[0].buttons[0].method == "animate"
    assert fig.spec["layout"]["images"], "the still picture that keeps the contour on screen while playing"
    names = [tr.get("name") for tr in fig.spec["data"]]
    i = names.index("momentum")
    last = fig.spec["frames"][-1]
    at = last["traces"].index(i)
    np.testing.assert_allclose(_decode(last["data"][at]["x"]), paths["momentum"].points[:, 0], rtol=1e-6)
    mid = fig.spec["frames"][10]
    n = int(mid["name"]) + 1
    np.testing.assert_allclose(_decode(mid["data"][mid["traces"].index(i)]["y"]),
                               paths["momentum"].points[:n, 1], rtol=1e-6, atol=1e-7)
    fig.to_json()                                     # serialises as Streamlit sends it


def test_loss_chart_passes_plotly_validation():
    surf, paths = _paths()
    fig = figs.loss_figure(paths, {o: o for o in paths}, 0.0, title="Loss", xlabel="it", ylabel="f")
    checked = go.Figure(fig.spec)
    assert checked.layout.yaxis.type == "log" and [tr.name for tr in checked.data] == list(paths)
    np.testing.assert_allclose(_decode(fig.spec["data"][0]["y"]), np.maximum(paths["sgd"].losses, 1e-16))


def test_typed_arrays_round_trip_with_their_shape():
    z = np.arange(6, dtype=float).reshape(2, 3)
    spec = frames.typed(z, "<f8")
    assert spec["dtype"] == "f8" and spec["shape"] == "2,3"
    np.testing.assert_array_equal(_decode(spec).reshape(2, 3), z)
    assert frames.typed([1, 2], "<i4")["dtype"] == "i4" and "shape" not in frames.typed([1.0])
