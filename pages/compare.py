"""Compare regions: counties, hubs or your own regions side by side, and who lives in the deserts."""

import streamlit as st
from streamlit_folium import st_folium

from gapmap import schema as S
from gapmap.analysis.ranking import PRESETS
from gapmap.errors import GapmapError
from gapmap.metrics import compute_tract_metrics
from gapmap.outputs.export import to_compare_bytes, to_csv_bytes
from gapmap.regions import ALL_TRACTS, assign_regions, county_region_set, dissolve_regions, read_region_file, region_sets_for
from gapmap.regions.compare import compare_about, compare_regions, compute_compare_rows
from gapmap.regions.equity import DESERT_RULES, attach_ruca, read_ruca
from gapmap.ui.frame import ensure_frame
from gapmap.ui.loaders import load_region, load_region_sets, region_options
from gapmap.ui.state import current_view
from gapmap.ui.widgets import metrics_or_stop, plain, render_data_badge, render_error
from gapmap.viz.charts import build_compare_bar_chart, build_desert_share_chart, build_equity_chart, build_need_supply_chart
from gapmap.viz.maps import REGION_MEASURES, build_region_map

CUSTOM = "custom_region_set"
RUCA_CODES = "ruca_codes"

ensure_frame()
view = current_view()
band = S.BANDS[view.band]
st.title(f"Compare regions, ages {band.short}")
render_data_badge(view)
result = metrics_or_stop(view)

with st.expander("Use your own regions, or RUCA codes", expanded=False):
    st.markdown(
        "**Regions**: a region file (`.json`, see `data/regions/README.md`), polygons (`.geojson`, `.gpkg`, zipped "
        "shapefile; one feature per region with a `name` or `region` column; tracts join by representative point), "
        "or a table of tracts (`.csv`, `.xlsx` with `geoid` and `region` columns)."
    )
    up = st.file_uploader("Region file", type=["json", "geojson", "gpkg", "zip", "csv", "xlsx"], key="region_upload")
    if up is not None:
        try:
            st.session_state[CUSTOM] = read_region_file(up.getvalue(), up.name)
        except GapmapError as exc:
            render_error(exc, f"read the regions in {up.name}")
    st.markdown(
        "**RUCA codes** (USDA ERS rural-urban commuting areas) by tract, for the rural/urban view. Without them "
        "gapmap uses population density: urban at 1,000 or more people per square mile."
    )
    ruca_up = st.file_uploader("RUCA codes (CSV or Excel)", type=["csv", "xlsx"], key="ruca_upload")
    if ruca_up is not None:
        try:
            st.session_state[RUCA_CODES] = read_ruca(ruca_up.getvalue(), ruca_up.name)
        except GapmapError as exc:
            render_error(exc, f"read the RUCA codes in {ruca_up.name}")

if st.session_state.get(RUCA_CODES) is not None:
    tracts, providers = load_region(view.region)
    result = compute_tract_metrics(attach_ruca(tracts, st.session_state[RUCA_CODES]), providers, view.params)

sets = {"county": county_region_set(result.tracts)}
for rs in region_sets_for(result.tracts, load_region_sets()):
    sets[rs.key] = rs
if st.session_state.get(CUSTOM) is not None:
    sets["custom"] = st.session_state[CUSTOM]

c1, c2 = st.columns([1, 2])
set_key = c1.selectbox(
    "Regions",
    list(sets),
    index=len(sets) - 1 if "custom" in sets else (1 if len(sets) > 1 else 0),
    format_func=lambda k: f"{sets[k].label} (your file)" if k == "custom" else sets[k].label,
    key="compare_set",
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

o1, o2, o3 = st.columns(3)
preset = o1.selectbox(
    "Priority tracts: weights",
    list(PRESETS),
    key="compare_preset",
    format_func=lambda p: p.replace("_", " ").capitalize(),
    help="A priority tract is one in the top share of all tracts ranked with these weights (see the Priorities page).",
)
share = o2.slider("Priority tracts: top share of all tracts", 0.05, 0.5, 0.10, 0.05, key="compare_share", format="%.2f")
rule = o3.selectbox("Deserts in 'who lives in the deserts'", list(DESERT_RULES), format_func=DESERT_RULES.get, key="compare_rule")

comparison = compare_regions(result, region_set, chosen, PRESETS[preset], share, rule, assignment=assignment, band=view.band)
roll = comparison.rollup

st.subheader("Side by side")
every_band = st.toggle("Show every age band", key="compare_all_bands")
rows = compute_compare_rows(roll, result.bands if every_band else [view.band], as_text=True)
st.dataframe(rows, hide_index=True, width="stretch", height=35 * (len(rows) + 1) + 3, key="compare_table")
st.caption(
    f"Counts are sums over each region's tracts; ratios are recomputed from those sums; margins of error combine "
    f"as the square root of the sum of squares; access is averaged over children. Priority tracts: the top "
    f"{comparison.priority_top} of all {len(result.tracts)} tracts. '{ALL_TRACTS}' is the whole data."
)

left, right = st.columns(2)
left.plotly_chart(build_compare_bar_chart(roll, view.band, view.params), key="chart_bars", width="stretch")
right.plotly_chart(build_need_supply_chart(roll, view.band, view.params), key="chart_scatter", width="stretch")
left.plotly_chart(build_compare_bar_chart(roll, view.band, view.params, "access_per_100"), key="chart_access", width="stretch")
right.plotly_chart(build_desert_share_chart(roll, view.band), key="chart_shares", width="stretch")

st.subheader("Map of the regions")
measure = st.selectbox("Colour regions by", list(REGION_MEASURES), format_func=lambda k: REGION_MEASURES[k][1], key="compare_measure")
shapes = dissolve_regions(result.tracts, assignment, chosen)
st_folium(
    build_region_map(shapes, roll, view.band, view.params, measure),
    key="compare_map",
    returned_objects=[],
    height=460,
    use_container_width=True,
)

st.subheader("Who lives in the deserts")
st.caption(
    f"Share of each group's children living in desert tracts (rule: {DESERT_RULES[rule]}; band: children under 5). "
    f"Race and ethnicity: ACS B01001A-I, children under 5 (Hispanic or Latino children may be of any race). "
    f"Family income: children under 6 (ACS B17024). Rural or urban: {comparison.urbanicity_method}."
)
equity = comparison.equity
has_groups = (equity["dimension"] != "All").any()
if not has_groups:
    st.info("This data has no counts by race, ethnicity or income, so only the total can be shown.")
tabs = st.tabs([plain(c) for c in [*chosen, ALL_TRACTS]])
for tab, name in zip(tabs, [*chosen, ALL_TRACTS]):
    with tab:
        st.plotly_chart(build_equity_chart(equity, name, DESERT_RULES[rule]), key=f"equity_{name}", width="stretch")
        part = equity[equity["region"] == name].drop(columns="region")
        st.dataframe(
            part.assign(
                children=part["children"].round(0),
                children_moe=part["children_moe"].round(0),
                children_in_deserts=part["children_in_deserts"].round(0),
                share_in_deserts=(100 * part["share_in_deserts"]).round(1),
                gap_points=part["gap_points"].round(1),
            ).rename(
                columns={
                    "dimension": "Dimension",
                    "group": "Group",
                    "children": "Children",
                    "children_moe": "± MOE (90%)",
                    "children_in_deserts": "Children in deserts",
                    "share_in_deserts": "In deserts (%)",
                    "gap_points": "Gap vs all children (points)",
                }
            ),
            hide_index=True,
            width="stretch",
            key=f"equity_table_{name}",
        )

for note in comparison.notes:
    st.caption(plain(note))
if region_set.notes:
    st.caption(f"About these regions: {plain(region_set.notes)}")

about = compare_about(comparison, region_options().get(view.region, view.region), view.params)
st.markdown("**Download**")
d = st.columns(4)
for col, (suffix, mime) in zip(
    d,
    (
        (".csv", "text/csv"),
        (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (".geojson", "application/geo+json"),
    ),
):
    col.download_button(
        f"Comparison {suffix}",
        lambda suffix=suffix: to_compare_bytes(suffix, comparison, result, about),  # made when clicked
        file_name=f"gapmap_compare{suffix}",
        mime=mime,
        key=f"dl_compare{suffix}",
    )
d[3].download_button(
    "Who lives in the deserts (CSV)",
    lambda: to_csv_bytes(equity, about),
    file_name="gapmap_who_lives_in_deserts.csv",
    mime="text/csv",
    key="dl_equity",
)
