"""The Compare page's panels: your own regions and RUCA codes, the choice of regions, the comparison's
options, the region map, who lives in the deserts, and the downloads."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import streamlit_folium  # called through the module, as tests answer for it

from gapmap.analysis.ranking import PRESETS, preset_label
from gapmap.errors import GapmapError
from gapmap.metrics import compute_tract_metrics
from gapmap.outputs.export import to_compare_bytes, to_csv_bytes
from gapmap.regions import ALL_TRACTS, assign_regions, county_region_set, dissolve_regions, read_region_file, region_sets_for
from gapmap.regions.compare import compare_about, compare_regions
from gapmap.regions.equity import DESERT_RULES, attach_ruca, compute_equity_rows, read_ruca
from gapmap.sources.files import display_name
from gapmap.ui.loaders import load_region, load_region_sets, region_options
from gapmap.ui.state import COMPARE_SET, COMPARE_SHARE, CUSTOM_REGIONS, RUCA_CODES, View
from gapmap.ui.widgets import FILE_KINDS, plain, render_downloads, render_error, show_table, term_help

__all__ = [
    "render_region_uploads",
    "with_ruca",
    "choose_regions",
    "run_comparison",
    "render_region_map",
    "render_equity",
    "render_compare_downloads",
]


def render_region_uploads() -> None:
    """Upload a region file, or RUCA codes by tract; kept in the session for this page."""
    with st.expander("Use your own regions, or RUCA codes", expanded=False):
        st.markdown(
            "**Regions**: a region file (`.json`, see `data/regions/README.md`), polygons (`.geojson`, `.gpkg`, zipped "
            "shapefile; one feature per region with a `name` or `region` column; tracts join by representative point), "
            "or a table of tracts (`.csv`, `.xlsx` with `geoid` and `region` columns)."
        )
        up = st.file_uploader("Region file", type=["json", "geojson", "gpkg", "zip", "csv", "xlsx"], key="region_upload")
        if up is not None:
            try:
                CUSTOM_REGIONS.set(read_region_file(up.getvalue(), up.name))
            except GapmapError as exc:
                render_error(exc, f"read the regions in {display_name(up.name)}")
        st.markdown(
            "**RUCA codes** (USDA ERS rural-urban commuting areas) by tract, for the rural/urban view. Without them "
            "gapmap uses population density: urban at 1,000 or more people per square mile."
        )
        ruca_up = st.file_uploader("RUCA codes (CSV or Excel)", type=["csv", "xlsx"], key="ruca_upload")
        if ruca_up is not None:
            try:
                RUCA_CODES.set(read_ruca(ruca_up.getvalue(), ruca_up.name))
            except GapmapError as exc:
                render_error(exc, f"read the RUCA codes in {display_name(ruca_up.name)}")


def with_ruca(view: View, result):
    """The metrics again with the uploaded RUCA codes attached (the same result when there are none)."""
    codes = RUCA_CODES.get()
    if codes is None:
        return result
    tracts, providers = load_region(view.region)
    return compute_tract_metrics(attach_ruca(tracts, codes), providers, view.params)


def choose_regions(result):
    """The region set, the assignment of the tracts to it, and the regions picked (two or more), or a
    message and a stopped page."""
    sets = {"county": county_region_set(result.tracts)}
    for rs in region_sets_for(result.tracts, load_region_sets()):
        sets[rs.key] = rs
    custom = CUSTOM_REGIONS.get()
    if custom is not None:
        sets["custom"] = custom
    c1, c2 = st.columns([1, 2])
    if COMPARE_SET.get() not in sets:  # first visit, or a link's set that this data does not have
        COMPARE_SET.set(list(sets)[len(sets) - 1 if "custom" in sets else (1 if len(sets) > 1 else 0)])
    set_key = c1.selectbox(
        "Regions",
        list(sets),
        format_func=lambda k: f"{sets[k].label} (your file)" if k == "custom" else sets[k].label,
        key=COMPARE_SET.key,
    )
    region_set = sets[set_key]
    try:
        assignment = assign_regions(result.tracts, region_set)
    except GapmapError as exc:
        render_error(exc, f"place the tracts in the regions of {region_set.label}")
        st.stop()
    present = assignment.present
    if not present:
        st.warning(f"No tract of this data lies in any region of {plain(region_set.label)}. Choose other regions.")
        st.stop()
    chosen = c2.multiselect("Compare", present, default=present, key=f"compare_regions_{set_key}")
    if len(chosen) < 2:
        st.info("Pick two or more regions to compare.")
        st.stop()
    return region_set, assignment, chosen


def run_comparison(view: View, result, region_set, assignment, chosen):
    """The comparison's options (priority weights and share, the desert rule), and the comparison."""
    o1, o2, o3 = st.columns(3)
    preset = o1.selectbox(
        "Priority tracts: weights",
        list(PRESETS),
        key="compare_preset",
        format_func=preset_label,
        help=term_help(
            "A priority tract is one in the top share of all tracts ranked with these weights (see the Priorities page).", "Priority score"
        ),
    )
    COMPARE_SHARE.setdefault(0.10)
    share = o2.slider(
        "Priority tracts: top share of all tracts",
        0.05,
        0.5,
        step=0.05,
        key=COMPARE_SHARE.key,
        format="%.2f",
        help="0.10 = the top 10% of all tracts.",
    )
    rule = o3.selectbox(
        "Deserts in 'who lives in the deserts'", list(DESERT_RULES), format_func=lambda r: DESERT_RULES[r], key="compare_rule"
    )
    return compare_regions(
        result, region_set, chosen, PRESETS[preset or "balanced"], share, rule or "osu", assignment=assignment, band=view.band
    )


def render_region_map(view: View, result, comparison) -> None:
    from gapmap.viz.maps import REGION_MEASURES, build_region_map

    measure = st.selectbox("Colour regions by", list(REGION_MEASURES), format_func=lambda k: REGION_MEASURES[k][1], key="compare_measure")
    shapes = dissolve_regions(result.tracts, comparison.assignment, list(comparison.regions))
    fmap = build_region_map(shapes, comparison.rollup, view.band, view.params, measure)
    streamlit_folium.st_folium(fmap, key="compare_map", returned_objects=[], height=460, use_container_width=True)


def render_equity(comparison) -> None:
    """Who lives in the deserts: a chart and a table per region, and for all tracts."""
    from gapmap.viz.charts import build_equity_chart

    rule = DESERT_RULES[comparison.rule]
    st.caption(
        f"Share of each group's children living in desert tracts (rule: {rule}; band: children under 5). "
        f"Race and ethnicity: ACS B01001A-I, children under 5 (Hispanic or Latino children may be of any race). "
        f"Family income: children under 6 (ACS B17024). Rural or urban: {comparison.urbanicity_method}."
    )
    equity = comparison.equity
    if not (equity["dimension"] != "All").any():
        st.info("This data has no counts by race, ethnicity or income, so only the total can be shown.")
    names = [*comparison.regions, ALL_TRACTS]
    for tab, name in zip(st.tabs([plain(c) for c in names]), names):
        with tab:
            st.plotly_chart(build_equity_chart(equity, name, rule), key=f"equity_{name}", width="stretch")
            show_table(compute_equity_rows(equity, name), key=f"equity_table_{name}")


def render_compare_downloads(view: View, result, comparison) -> None:
    travel = result.travel.source if result.travel is not None else None
    about = compare_about(comparison, region_options().get(view.region, view.region), view.params, travel)
    st.markdown("**Download**")
    files = [
        (
            f"Comparison: {FILE_KINDS[suffix]}",
            lambda suffix=suffix: to_compare_bytes(suffix, comparison, result, about),
            f"gapmap_compare{suffix}",
            f"dl_compare{suffix}",
        )
        for suffix in (".csv", ".zip", ".xlsx", ".geojson")
    ]
    equity = (
        "Who lives in the deserts (CSV)",
        lambda: to_csv_bytes(comparison.equity),
        "gapmap_who_lives_in_deserts.csv",
        "dl_equity",
    )
    codes = RUCA_CODES.get()
    ruca = None if codes is None else int(pd.util.hash_pandas_object(codes).sum())
    c = comparison
    token = (view, c.region_set, c.regions, c.rule, c.weights, c.priority_top, ruca)
    render_downloads([*files, equity], token)
