"""The gradient-descent lesson through AppTest, in English and Chinese."""

import base64
import json

import numpy as np
import pytest

from cnnlab.calculus import descent
from cnnlab.calculus.surfaces import get_surface, quadratic
from tests.conftest import assert_ok, run_page
from ui.i18n import catalog

PAGE = "app_pages/gradient_descent/page.py"


def values(v):
    """A Plotly data array (plain list, or Plotly's base64 ``{"dtype", "bdata"}`` encoding)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
    return np.asarray(v)


def chart_with_title(at, text):
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        if text in json.dumps(spec["layout"].get("title", {}), ensure_ascii=False):
            return spec
    raise AssertionError(f"no chart titled {text!r}")


def open_tab(at, name, lang="en"):
    """Select a tab (the tabs are lazy: only the open one runs) and run the page."""
    at.session_state["gd.tab"] = catalog(lang)[f"gd.tab.{name}"]
    return at.run()


def texts(at):
    return " ".join([e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info])


def _bowl_divergence():
    """Plain gradient descent on the lesson's default bowl, computed here with the formula by hand.

    f = ½ pᵀAp, A = R(0.5) diag(1, 10) R(0.5)ᵀ; the lesson's "too large" rate is 2.2 / 10 (2.2 over the
    largest curvature); start (-2.5, 2); a path has diverged when it leaves the window (-3..3)² grown
    four times, i.e. |x| or |y| > 12. Returns (learning rate, the update at which it left).
    """
    c, s = np.cos(0.5), np.sin(0.5)
    rot = np.array([[c, -s], [s, c]])
    a = rot @ np.diag([1.0, 10.0]) @ rot.T
    lr, p = 2.2 / 10.0, np.array([-2.5, 2.0])
    for k in range(1, 100):
        p = p - lr * (a @ p)
        if np.abs(p).max() > 12:
            return lr, k
    raise AssertionError("no divergence")


def test_renders_with_every_view(lang):
    at = run_page(PAGE, lang)
    assert_ok(at)
    cat = catalog(lang)
    assert at.title[0].value == cat["gd.title"]
    assert len(at.tabs) == 4
    assert len(at.get("plotly_chart")) == 2                       # lazy tabs: the map and its loss curves
    # learning rates: three maps, their loss curves, the schedules
    open_tab(at, "lr", lang)
    assert_ok(at)
    assert len(at.get("plotly_chart")) == 5
    assert cat["gd.lr.large.explain"] in " ".join(m.value for m in at.markdown)
    # the too-large learning rate diverges on the default bowl, and says at which step
    lr, step = _bowl_divergence()
    assert (round(lr, 2), step) == (0.22, 9)
    assert cat["gd.diverged.box"].format(name=f"η = {lr:.2g}", step=step) in [e.value for e in at.error]
    open_tab(at, "data", lang)
    assert_ok(at)
    assert len(at.get("plotly_chart")) == 3
    open_tab(at, "search", lang)
    assert_ok(at)
    assert len(at.get("plotly_chart")) == 2
    # the map tab's settings survived while it was closed
    open_tab(at, "map", lang)
    assert at.selectbox(key="gd.surface").value == "quadratic" and at.slider(key="gd.steps").value == 100


def test_changing_the_surface_changes_the_map():
    at = run_page(PAGE, "en")
    before = chart_with_title(at, "Contour map")
    at.selectbox(key="gd.surface").set_value("himmelblau").run()
    assert_ok(at)
    after = chart_with_title(at, "Contour map")
    assert after["data"][0]["z"] != before["data"][0]["z"]
    # the start moved to the surface's own start and learning rates were suggested for it
    assert at.number_input(key="gd.x0").value == 0.0 and at.number_input(key="gd.y0").value == -0.5
    tuned = descent.suggested_settings(get_surface("himmelblau"))
    assert at.number_input(key="gd.lr_sgd").value == pytest.approx(tuned.lrs["sgd"])
    assert at.slider(key="gd.mom").value == pytest.approx(tuned.momentum)
    # another tab and back: the choice is kept (lazy tabs do not draw the map's widgets meanwhile)
    open_tab(at, "search")
    assert "Himmelblau" in texts(at) or chart_with_title(at, "From the same start")
    open_tab(at, "map")
    assert at.selectbox(key="gd.surface").value == "himmelblau"
    assert at.number_input(key="gd.y0").value == -0.5
    assert at.query_params["surface"] == ["himmelblau"] or at.query_params["surface"] == "himmelblau"


def test_divergent_learning_rate_is_reported_not_raised(lang):
    at = run_page(PAGE, lang)
    at.number_input(key="gd.lr_sgd").set_value(5.0).run()
    assert_ok(at)
    name = catalog(lang)["gd.opt.sgd"]
    warnings = [w.value for w in at.warning if w.value.startswith(name)]
    assert warnings, [w.value for w in at.warning]
    step = 1 if lang == "en" else None
    assert "step 1" in warnings[0] if step else "第 1 步" in warnings[0]
    # the rest of the page still works
    assert len(at.get("plotly_chart")) == 2


def test_start_far_outside_the_map_is_explained():
    at = run_page(PAGE, "en", query={"x0": "90", "y0": "90"})
    assert_ok(at)
    assert any("cannot start there" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 2
    open_tab(at, "lr")
    assert_ok(at)
    assert len(at.get("plotly_chart")) == 5
    assert sum("cannot start there" in e.value for e in at.error) == 3
    open_tab(at, "search")
    assert_ok(at)
    assert len(at.get("plotly_chart")) == 2


def test_typed_surface_with_an_error_keeps_the_page_working(lang):
    at = run_page(PAGE, lang)
    at.selectbox(key="gd.surface").set_value("typed").run()
    assert_ok(at)
    assert at.text_input(key="gd.formula").value
    assert len(at.get("plotly_chart")) == 2
    at.text_input(key="gd.formula").set_value("x^^2 + y").run()
    assert_ok(at)
    cat = catalog(lang)
    assert cat["error.expr_syntax"].split("{")[0][:6] in texts(at)
    assert len(at.get("plotly_chart")) == 0
    open_tab(at, "lr", lang)
    assert_ok(at)
    assert cat["gd.fix_surface_first"] in texts(at)
    open_tab(at, "data", lang)                                    # does not depend on the surface
    assert_ok(at)
    assert len(at.get("plotly_chart")) == 3
    open_tab(at, "map", lang)
    at.text_input(key="gd.formula").set_value("x^2 + 3*y^2").run()
    assert_ok(at)
    assert len(at.get("plotly_chart")) == 2


def test_optimizer_choice_and_3d_view():
    at = run_page(PAGE, "en")
    at.multiselect(key="gd._opts").set_value(["nesterov", "rmsprop"]).run()
    assert_ok(at)
    names = [t.get("name") for t in chart_with_title(at, "Contour map")["data"]]
    assert "Nesterov" in names and "RMSProp" in names and "Adam" not in names
    assert at.query_params["opts"] in ("nesterov,rmsprop", ["nesterov,rmsprop"])
    at.toggle(key="gd.show3d").set_value(True).run()
    assert_ok(at)
    assert chart_with_title(at, "3-D")["data"][0]["type"] == "surface"
    at.multiselect(key="gd._opts").set_value([]).run()
    assert_ok(at)
    assert "at least one optimizer" in texts(at)


def test_step_buttons_move_the_shown_iteration_and_the_link_keeps_it():
    at = run_page(PAGE, "en")
    assert at.slider(key="gd.it").value == 100
    assert not [b for b in at.button if b.key == "gd.play_btn"]   # one way to play: the map's own Play
    at.button(key="gd.first_btn").click().run()
    assert at.slider(key="gd.it").value == 0
    at.button(key="gd.next_btn").click().run()
    at.button(key="gd.next_btn").click().run()
    assert at.slider(key="gd.it").value == 2                   # one iteration per step
    path = [t for t in chart_with_title(at, "Contour map")["data"] if t.get("name") == "Gradient descent"][0]
    assert len(values(path["x"])) == 3
    at.run()                                                   # a whole-page run keeps it in the link too
    assert at.query_params["it"] in ("2", ["2"])
    opened = run_page(PAGE, "en", query={"it": "2"})           # the link opens at that iteration
    assert opened.slider(key="gd.it").value == 2
    path = [t for t in chart_with_title(opened, "Contour map")["data"] if t.get("name") == "Gradient descent"][0]
    assert len(values(path["x"])) == 3
    old = run_page(PAGE, "en", query={"steps": "40"})          # an old link (no it=) shows the whole paths
    assert old.slider(key="gd.it").value == 40 and not old.warning


def test_settings_come_from_the_url_and_bad_values_are_ignored():
    at = run_page(PAGE, "zh", query={"surface": "rosenbrock", "steps": "40", "x0": "oops", "sched": "cosine",
                                      "lr_adam": "-3", "data": "logistic"})
    assert_ok(at)
    assert at.selectbox(key="gd.surface").value == "rosenbrock"
    assert at.slider(key="gd.steps").value == 40
    assert at.number_input(key="gd.x0").value == -1.5           # malformed: Rosenbrock's own start
    rosen = descent.suggested_settings(get_surface("rosenbrock")).lrs["sgd"]
    assert at.number_input(key="gd.lr_sgd").value == pytest.approx(rosen)     # suggested for Rosenbrock
    assert at.number_input(key="gd.lr_adam").value > 0          # out of bounds: the default
    open_tab(at, "data", "zh")
    assert at.radio(key="gd.data").value == "logistic"


def test_data_and_search_settings_change_their_charts():
    at = run_page(PAGE, "en")
    open_tab(at, "data")
    before = chart_with_title(at, "Objective over")
    at.slider(key="gd.l2").set_value(1.0).run()
    assert_ok(at)
    after = chart_with_title(at, "Objective over")
    assert after["data"][0]["z"] != before["data"][0]["z"]          # the L2 term changes the landscape
    at.radio(key="gd.data").set_value("logistic").run()
    assert_ok(at)
    assert "cross-entropy" in " ".join(m.value for m in at.markdown)
    open_tab(at, "search")
    s_before = chart_with_title(at, "From the same start")
    at.number_input(key="gd.sseed").set_value(7).run()
    assert_ok(at)
    assert chart_with_title(at, "From the same start")["data"] != s_before["data"]


def _table(at):
    return at.dataframe[0].value


def test_default_view_shows_momentum_beating_gradient_descent():
    at = run_page(PAGE, "en")
    assert_ok(at)
    tuned = descent.suggested_settings(quadratic(10.0))
    assert at.slider(key="gd.mom").value == pytest.approx(tuned.momentum)
    assert at.number_input(key="gd.lr_momentum").value == pytest.approx(tuned.lrs["momentum"])
    table = _table(at)
    loss = {row["Method"]: float(row["Final loss"]) for _, row in table.iterrows()}
    assert loss["Momentum (SGDM)"] < loss["Gradient descent"]
    # a new condition number re-tunes the rates for the new bowl
    at.slider(key="gd.kappa").set_value(50.0).run()
    assert_ok(at)
    fifty = descent.suggested_settings(quadratic(50.0))
    assert at.number_input(key="gd.lr_sgd").value == pytest.approx(fifty.lrs["sgd"])
    loss = {row["Method"]: float(row["Final loss"]) for _, row in _table(at).iterrows()}
    assert loss["Momentum (SGDM)"] < 1e-6 * loss["Gradient descent"]


@pytest.mark.parametrize("typed", [0.0, -1.0, 1e9])
def test_out_of_range_learning_rate_is_explained_in_the_page_language(typed):
    at = run_page(PAGE, "zh")
    at.number_input(key="gd.lr_sgd").set_value(typed).run()
    assert_ok(at)
    cat = catalog("zh")
    expected = cat["gd.lr_out_of_range"].format(name=cat["gd.opt.sgd"], limit="10", value=f"{typed:g}")
    assert expected in [e.value for e in at.error]
    # that optimizer is left out, the others still run
    methods = list(_table(at).iloc[:, 0])
    assert cat["gd.opt.sgd"] not in methods and cat["gd.opt.momentum"] in methods


def test_data_learning_rate_out_of_range_keeps_the_last_good_one():
    at = run_page(PAGE, "zh")
    open_tab(at, "data", "zh")
    at.number_input(key="gd.dlr").set_value(0.0).run()
    assert_ok(at)
    cat = catalog("zh")
    assert cat["gd.data.lr_out_of_range"].format(limit="10", value="0", old="0.3") in [e.value for e in at.error]
    assert len(at.get("plotly_chart")) == 3          # the charts still show the last good run


@pytest.mark.parametrize("formula, note", [("x", "no_minimum"), ("-(x^2+y^2)", "no_minimum"), ("3", "flat")])
def test_surfaces_without_a_minimum_are_explained(formula, note):
    at = run_page(PAGE, "en", query={"surface": "typed", "formula": formula})
    assert_ok(at)
    cat = catalog("en")
    assert cat[f"gd.note.{note}"] in [i.value for i in at.info]
    assert not any("learning rate is too large" in w.value for w in at.warning)
    if note == "no_minimum":
        assert any("has no minimum" in w.value for w in at.warning)
