"""Priorities: which areas to serve first, with adjustable weights, reasons and downloads."""

import streamlit as st
from streamlit_folium import st_folium

from gapmap import schema as S
from gapmap.analysis.ranking import COMPONENTS, PRESETS, RankWeights, add_reasons, rank_areas, rank_tracts
from gapmap.outputs.export import priority_about, to_priority_bytes
from gapmap.outputs.report import to_report_html
from gapmap.ui.frame import ensure_frame
from gapmap.ui.loaders import load_map_geometry, region_options
from gapmap.ui.state import current_view
from gapmap.ui.widgets import metrics_or_stop, render_data_badge
from gapmap.viz.maps import build_priority_map

LABELS = {
    "unmet_need": "Unmet need",
    "access_gap": "Access gap",
    "desert": "Desert class",
    "poverty": "Poverty",
    "working_parents": "Working parents",
}


def apply_preset() -> None:
    preset = PRESETS[st.session_state["preset"]]
    for name in COMPONENTS:
        st.session_state[f"w_{name}"] = float(getattr(preset, name))


ensure_frame()
view = current_view()
st.title(f"Priorities, ages {S.BANDS[view.band].short}")
render_data_badge(view)
result = metrics_or_stop(view)

if "preset" not in st.session_state:
    st.session_state["preset"] = "balanced"
    apply_preset()
c1, c2, c3 = st.columns([2, 1, 1])
c1.selectbox(
    "Start from a preset",
    list(PRESETS),
    key="preset",
    on_change=apply_preset,
    format_func=lambda p: p.replace("_", " ").capitalize(),
    help="Infant/toddler focus is meant for the 0-2 band (choose it in the sidebar).",
)
n_tracts = len(result.tracts)
top = int(c2.number_input("How many tracts", 1, n_tracts, value=min(25, n_tracts), step=5 if n_tracts >= 10 else 1, key="top_n"))
down = c3.checkbox(
    "Down-weight unreliable estimates", key="down_weight", help="Scores of tracts whose children estimate has a CV above 0.40 are halved."
)
with st.expander("Weights", expanded=True):
    cols = st.columns(len(COMPONENTS))
    for col, (name, text) in zip(cols, COMPONENTS.items()):
        col.slider(LABELS[name], 0.0, 1.0, step=0.05, key=f"w_{name}", help=text)
try:
    weights = RankWeights(**{n: st.session_state[f"w_{n}"] for n in COMPONENTS}, band=view.band, unreliable_factor=0.5 if down else 1.0)
except Exception as exc:  # noqa: BLE001 - all-zero weights: say so and stop
    st.warning(str(exc))
    st.stop()

ranked = add_reasons(rank_tracts(result, weights), weights, top)
shown = ranked.head(top)
table = shown[["rank", S.NAME, S.COUNTY, "score", "unmet_children", *[f"{c}_points" for c in COMPONENTS], "unreliable", "why"]]
table = table.round({f"{c}_points": 1 for c in COMPONENTS})
st.dataframe(
    table.rename(
        columns={
            S.NAME: "Tract",
            S.COUNTY: "County",
            "score": "Score",
            "unmet_children": "Children without a slot in reach",
            **{f"{c}_points": f"{LABELS[c]} (points)" for c in COMPONENTS},
            "unreliable": "Unreliable estimate",
            "why": "Why this rank",
        }
    ),
    hide_index=True,
    width="stretch",
    key="priority_table",
    column_config={
        "Score": st.column_config.NumberColumn(format="%.1f"),
        "Children without a slot in reach": st.column_config.NumberColumn(format="%.0f"),
    },
)
left, right = st.columns([3, 2])
with left:
    st_folium(build_priority_map(result, ranked, top, geometry=load_map_geometry(view.region)), key="priority_map", returned_objects=[], height=480, use_container_width=True, render=False)
with right:
    st.markdown("**Priority areas**: neighbouring tracts of the top list, grouped")
    areas = rank_areas(result, ranked, top)
    st.dataframe(areas, hide_index=True, width="stretch", key="areas_table")

label = region_options().get(view.region, view.region)
about = priority_about(label, view.params, weights, st.session_state["preset"], top)
st.markdown("**Download**")
scenario = st.session_state.get("scenario_changes")
d = st.columns(5)
for col, (suffix, mime) in zip(
    d,
    (
        (".csv", "text/csv"),
        (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (".geojson", "application/geo+json"),
        (".gpkg", "application/geopackage+sqlite3"),
    ),
):
    col.download_button(
        f"Priorities {suffix}",
        lambda suffix=suffix: to_priority_bytes(suffix, result, ranked, weights, top, about, scenario),  # made when clicked
        file_name=f"gapmap_priorities{suffix}",
        mime=mime,
        key=f"dl_priorities{suffix}",
    )
d[4].download_button(
    "Printable summary",
    lambda: to_report_html(result, ranked, areas, about | {"_weights": weights}, f"Child care priorities: {label}", min(top, 10)),
    file_name="gapmap_summary.html",
    mime="text/html",
    key="dl_report",
)
