"""Compare regions: counties, hubs or your own regions side by side, and who lives in the deserts."""

import streamlit as st

from gapmap.regions import ALL_TRACTS
from gapmap.regions.compare import compute_chance_rows, compute_compare_rows
from gapmap.ui.compare import (
    choose_regions,
    render_compare_downloads,
    render_equity,
    render_region_map,
    render_region_uploads,
    run_comparison,
    with_ruca,
)
from gapmap.ui.widgets import plain, show_table, start_page
from gapmap.viz.charts import build_compare_bar_chart, build_desert_share_chart, build_need_supply_chart

view, result = start_page("Compare regions, ages {band}")
render_region_uploads()
result = with_ruca(view, result)
region_set, assignment, chosen = choose_regions(result)
comparison = run_comparison(view, result, region_set, assignment, chosen)
roll = comparison.rollup

st.subheader("Side by side")
every_band = st.toggle("Show every age band", key="compare_all_bands")
rows = compute_compare_rows(roll, result.bands if every_band else [view.band], as_text=True)
show_table(rows, key="compare_table", height=35 * (len(rows) + 1) + 3)
st.caption(
    f"Counts are sums over each region's tracts; ratios are recomputed from those sums; margins of error combine "
    f"as the square root of the sum of squares; access (E2SFCA: slots within reach, shared among the children who "
    f"can reach them) is averaged over children. Priority tracts: the top {comparison.priority_top} of all "
    f"{len(result.tracts)} tracts. '{ALL_TRACTS}' is the whole data."
)

left, right = st.columns(2)
left.plotly_chart(build_compare_bar_chart(roll, view.band, view.params), key="chart_bars", width="stretch")
right.plotly_chart(build_need_supply_chart(roll, view.band, view.params), key="chart_scatter", width="stretch")
left.plotly_chart(build_compare_bar_chart(roll, view.band, view.params, "access_per_100"), key="chart_access", width="stretch")
right.plotly_chart(build_desert_share_chart(roll, view.band), key="chart_shares", width="stretch")

st.subheader("Map of the regions")
render_region_map(view, result, comparison)

st.subheader("Who lives in the deserts")
render_equity(comparison)

if comparison.chance is not None:
    st.subheader("How sure: children in deserts, with the range of the margins of error")
    show_table(compute_chance_rows(comparison.chance, view.band), key="chance_table")
    st.caption(
        "The children each region is expected to have in deserts when the children of every tract are drawn many times "
        "within their ACS margins of error (the desert chance), and the range that holds 90% of those draws. "
        "A wide range means the margins leave the count open."
    )

for note in comparison.notes:
    st.caption(plain(note))
if region_set.notes:
    st.caption(f"About these regions: {plain(region_set.notes)}")
render_compare_downloads(view, result, comparison)
