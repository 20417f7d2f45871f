"""The Travel time page: access by straight-line distance against by travel time, and the tracts whose
access class changes (only for data with a travel-time table)."""

from __future__ import annotations

import streamlit as st

from gapmap import schema as S
from gapmap.errors import GapmapError
from gapmap.metrics.access_compare import compute_access_comparison
from gapmap.metrics.travel import describe_travel
from gapmap.ui.frame import ensure_frame
from gapmap.ui.loaders import load_metrics, load_travel_source
from gapmap.ui.state import current_view
from gapmap.ui.widgets import plain, render_data_badge, render_download, render_error, show_table, term_help
from gapmap.viz.charts import build_access_comparison_chart

__all__ = ["render_travel_page", "COMPARISON_LABELS"]

#: Column labels of the comparison table, in a planner's words.
COMPARISON_LABELS = {
    S.NAME: "Tract",
    S.COUNTY: "County",
    "children": "Children",
    "access_per_100_by_distance": "Slots within reach per 100 children, by distance",
    "access_per_100_by_time": "Slots within reach per 100 children, by travel time",
    "difference_per_100": "Difference (travel time minus distance)",
    "class_by_distance": "Access class by distance",
    "class_by_time": "Access class by travel time",
    "change": "What changes",
}


def render_travel_page() -> None:
    ensure_frame()
    view = current_view()
    band = S.BANDS[view.band]
    st.title(f"Travel time or distance, ages {band.short}")
    render_data_badge(view)
    source = load_travel_source(view.region)
    if not source:
        st.info(
            "This data has no travel times, so access is measured by straight-line distance only. Add a travel-time "
            "table on the Your data page (step 3: bring one made elsewhere, or make one from an OpenStreetMap extract), "
            "or on the command line: `gapmap travel-times --osm region.osm.pbf ...`."
        )
        st.stop()
    params = view.params.replace(access_by="travel_time")
    try:
        result = load_metrics(view.region, params)
        cmp = compute_access_comparison(result, view.band)
    except GapmapError as exc:
        render_error(exc, "compare access by distance and by travel time")
        st.stop()
    st.caption(
        plain(
            f"Both use E2SFCA (slots within reach shared among the children who can reach them, across tract lines). "
            f"By distance: every provider within {params.catchment_km:g} km in a straight line ({params.decay} decay). "
            f"By travel time, from {source}: {describe_travel(params)}."
        ),
        help=term_help("Where a river, a bay or a mountain lies between, the road is much longer than the line.", "Travel time"),
    )
    moved = cmp["change"].value_counts()
    kids = cmp.groupby("change")["children"].sum()
    m1, m2, m3 = st.columns(3)
    m1.metric(
        "Tracts worse by travel time",
        f"{moved.get('worse by travel time', 0):,}",
        help=f"{kids.get('worse by travel time', 0):,.0f} children: their access class is lower measured on the road.",
    )
    m2.metric(
        "Tracts better by travel time",
        f"{moved.get('better by travel time', 0):,}",
        help=f"{kids.get('better by travel time', 0):,.0f} children.",
    )
    m3.metric("Tracts in the same class", f"{moved.get('same class', 0):,}")
    st.plotly_chart(build_access_comparison_chart(cmp, view.band, params), key="access_comparison", width="stretch")
    changed_only = st.toggle("Only the tracts whose class changes", value=True, key="tt_changed_only")
    shown = cmp[cmp["change"].isin(["worse by travel time", "better by travel time"])] if changed_only else cmp
    table = shown.drop(columns=[S.GEOID]).rename(columns=COMPARISON_LABELS)
    table.insert(0, "GEOID", shown[S.GEOID].to_numpy())
    show_table(table, key="access_comparison_table")
    render_download(
        f"Download the comparison, ages {band.short} (CSV)",
        cmp.rename(columns=COMPARISON_LABELS),
        f"gapmap_distance_vs_travel_time_{view.band}.csv",
        view,
        "dl_access_comparison",
    )
