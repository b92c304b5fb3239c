"""One plot style for every lesson: how a Plotly chart is shown (``st.plotly_chart(fig, **PLOT)``).

The Streamlit theme (light and dark follow the app), full column width, no mode bar (a projected
lesson has no use for zoom buttons over the numbers).
"""

from __future__ import annotations

PLOT = {"theme": "streamlit", "width": "stretch", "config": {"displayModeBar": False}}


# Controls that wrap instead of cutting their text ("R…", "Transposed convolu…") at projector and phone
# widths: widget labels, segmented-control options, horizontal radio options and toggle labels.
# Captions (st.caption) in the theme's text colour, a little lighter: Streamlit's 60 % opacity gave 3.9:1 on
# white, below WCAG AA (4.5:1); 82 % gives about 7.5:1 light and 11:1 dark.
# Chart text that Streamlit's light Plotly theme writes in grey rgb(128, 132, 149) (tick labels, axis titles,
# diagram names: 3.7:1 on white) takes the page's text colour; the dark theme's grey (230, 234, 241) passes.
# A static table's cells break Chinese only between words (卷积 stayed 卷 / 积 in a narrow column).
# A constant (no user or URL text ever goes into it).
_WRAP_CSS = """<style>
[data-testid="stWidgetLabel"] p, [data-testid="stWidgetLabel"] div { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }
[data-testid="stButtonGroup"] > div { flex-wrap: wrap !important; }
[data-testid="stButtonGroup"] button { white-space: normal !important; min-width: 0 !important;
  height: auto !important; }
[data-testid="stButtonGroup"] button p { white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; }
div[role="radiogroup"] { flex-wrap: wrap !important; }
[data-testid="stCheckbox"] label p, [data-testid="stRadio"] label p { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }
[class*="st-key-cnnlab_grid_"] [data-testid="stElementToolbar"] { display: none !important; }
@media (max-width: 640px) { [data-testid="stElementContainer"]:has([data-testid="stPlotlyChart"])
  [data-testid="stElementToolbar"] { display: none !important; } }
[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [class*="st-key-cnnlab_grid_"]) {
  flex-wrap: wrap !important; }
[data-testid="stCaptionContainer"] { color: inherit !important; opacity: 0.82; }
[data-testid="stTable"] td, [data-testid="stTable"] td * { word-break: keep-all !important; }
[data-testid="stPlotlyChart"] text[style*="fill: rgb(128, 132, 149)"] { fill: currentColor !important; }
</style>"""


def wrap_controls():
    """Let every option and label of the page's controls wrap, and captions be readable (call once per run,
    before the controls)."""
    import streamlit as st

    st.html(_WRAP_CSS)
