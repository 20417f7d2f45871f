"""Priorities: which areas to serve first, with adjustable weights, reasons and downloads."""

import streamlit as st
from streamlit_folium import st_folium

from gapmap.analysis.ranking import add_reasons, compute_area_rows, compute_priority_rows, rank_areas, rank_tracts
from gapmap.outputs.export import priority_about
from gapmap.ui.loaders import load_map_geometry, region_options
from gapmap.ui.priorities import render_priority_downloads, render_weights
from gapmap.ui.state import PRESET
from gapmap.ui.widgets import show_table, start_page
from gapmap.viz.maps import build_priority_map

view, result = start_page("Priorities, ages {band}")
weights, top = render_weights(view, len(result.tracts))

ranked = add_reasons(rank_tracts(result, weights), weights, top)
show_table(
    compute_priority_rows(ranked, top),
    key="priority_table",
    row_height=84,  # above 4rem the grid wraps text: "Why this rank" shows whole
    column_config={"Why this rank": st.column_config.TextColumn(width="large"), "Score": st.column_config.NumberColumn(format="%.1f")},
)
left, right = st.columns([3, 2])
with left:
    fmap = build_priority_map(result, ranked, top, geometry=load_map_geometry(view.region), narrow=True)
    st_folium(fmap, key="priority_map", returned_objects=[], height=480, use_container_width=True, render=False)
with right:
    st.markdown("**Priority areas**: neighbouring tracts of the top list, grouped")
    areas = rank_areas(result, ranked, top)
    show_table(compute_area_rows(areas), key="areas_table")

label = region_options().get(view.region, view.region)
prob = result.desert_probability()
about = priority_about(
    label,
    view.params,
    weights,
    PRESET.get() or "balanced",
    top,
    prob.about() if prob else None,
    result.travel.source if result.travel else None,
)
render_priority_downloads(result, ranked, areas, weights, top, about, label)
