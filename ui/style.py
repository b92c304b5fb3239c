"""One plot style for every lesson: how a Plotly chart is shown (``st.plotly_chart(fig, **PLOT)``).

The Streamlit theme (light and dark follow the app), full column width, no mode bar (a projected
lesson has no use for zoom buttons over the numbers).
"""

from __future__ import annotations

PLOT = {"theme": "streamlit", "width": "stretch", "config": {"displayModeBar": False}}
