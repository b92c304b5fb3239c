"""Streamlit-side helpers shared by the pages: translation, URL state, errors, figures."""
