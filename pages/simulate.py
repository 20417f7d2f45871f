"""Simulate: add or lose slots, open or close sites, and see who leaves (or enters) a desert."""

import streamlit as st

from gapmap.ui.scenario import (
    place_site_default,
    render_change_forms,
    render_changes_editor,
    render_kept_scenarios,
    render_notice,
    render_outcomes,
    render_scenario_files,
    render_scenario_map,
    render_site_suggestions,
    simulate_or_stop,
)
from gapmap.ui.widgets import start_page

view, result = start_page("Simulate, ages {band}")
place_site_default(result)
scenario, sim = simulate_or_stop(result)

left, right = st.columns([3, 2])
with left:
    render_scenario_map(view, result, sim)
with right:
    render_change_forms(result)

st.subheader("Changes")
render_changes_editor(result)

st.subheader("Before and after")
render_notice()
render_outcomes(view, sim)

st.subheader("Compare scenarios")
render_kept_scenarios(view, result)

st.subheader("Suggest sites")
render_site_suggestions(view, result)

st.subheader("Save or load")
render_scenario_files(result, scenario)
