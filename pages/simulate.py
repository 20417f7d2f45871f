"""Simulate: add or lose slots, open or close sites, and see who leaves (or enters) a desert."""


import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from gapmap import schema as S
from gapmap.analysis.scenarios import AddSlots, CloseProvider, NewSite, compare_outcomes, scenario_to_json
from gapmap.analysis.siting import OBJECTIVES, band_slots, build_coverage, suggest_sites_greedy
from gapmap.ui.frame import ensure_frame
from gapmap.ui.loaders import load_map_geometry
from gapmap.ui.scenario import add_changes, changes, load_scenario_upload, simulate_or_stop, store_changes
from gapmap.ui.state import current_view
from gapmap.ui.widgets import metrics_or_stop, render_data_badge
from gapmap.viz.maps import build_scenario_map

ensure_frame()
view = current_view()
band = S.BANDS[view.band]
st.title(f"Simulate, ages {band.short}")
render_data_badge(view)
result = metrics_or_stop(view)
_minx, _miny, _maxx, _maxy = result.tracts.total_bounds
st.session_state.setdefault("site_lat", float((_miny + _maxy) / 2))
st.session_state.setdefault("site_lon", float((_minx + _maxx) / 2))


def add(*new) -> bool:
    return add_changes(result, *new)


scenario, sim = simulate_or_stop(result)

left, right = st.columns([3, 2])
with left:
    when = st.radio("Show", ["After", "Before"], horizontal=True, key="sim_when")
    new_sites = pd.DataFrame([c for c in changes() if c["kind"] == "new_site"])
    fmap = build_scenario_map(
        result,
        sim.after if when == "After" else sim.before,
        view.band,
        sim.changed_tracts,
        new_sites if len(new_sites) else None,
        geometry=load_map_geometry(view.region),
    )
    clicked = st_folium(fmap, key="sim_map", returned_objects=["last_clicked"], height=460, use_container_width=True) or {}
    point = clicked.get("last_clicked")
    if point and point != st.session_state.get("_last_click"):  # a new click: move the site there
        st.session_state["_last_click"] = point
        st.session_state["site_lat"], st.session_state["site_lon"] = float(point["lat"]), float(point["lng"])
    st.caption("Click the map to place a new site there.")
with right:
    with st.form("new_site"):
        st.markdown("**Open a new site**")
        name = st.text_input("Name", value="New site", key="site_name")
        c1, c2 = st.columns(2)
        lat = c1.number_input("Latitude", format="%.5f", key="site_lat")
        lon = c2.number_input("Longitude", format="%.5f", key="site_lon")
        c3, c4 = st.columns(2)
        s02 = c3.number_input("Slots 0-2", 0, 500, 16, key="site_02")
        s35 = c4.number_input("Slots 3-5", 0, 500, 20, key="site_35")
        if st.form_submit_button("Add this site") and add(NewSite(name, lat, lon, float(s02), float(s35))):
            st.rerun()
    with st.form("provider_change"):
        st.markdown("**Change a provider**")
        prov = result.providers
        pid = st.selectbox(
            "Provider",
            prov[S.PROVIDER_ID],
            format_func=lambda p: f"{prov.loc[prov[S.PROVIDER_ID] == p, S.PROVIDER_NAME].iloc[0]} ({p})",
            key="prov_pick",
        )
        c5, c6 = st.columns(2)
        d02 = c5.number_input("Add slots 0-2 (negative removes)", -500, 500, 10, key="prov_02")
        d35 = c6.number_input("Add slots 3-5", -500, 500, 0, key="prov_35")
        a, b = st.columns(2)
        if a.form_submit_button("Add slots") and add(AddSlots(pid, float(d02), float(d35))):
            st.rerun()
        if b.form_submit_button("Close it") and add(CloseProvider(pid)):
            st.rerun()

st.subheader("Changes")
edited = st.data_editor(pd.DataFrame(changes()), num_rows="dynamic", key="changes_editor", width="stretch")
if st.button("Apply edits to the changes", key="apply_edits") and store_changes(
    result, [{k: v for k, v in rec.items() if pd.notna(v)} for rec in edited.to_dict("records")], "apply the edits"
):
    st.rerun()

st.subheader("Before and after")
summary = compare_outcomes(sim).set_index("band").loc[band.label]
m1, m2, m3 = st.columns(3)
m1.metric(
    "Children in access deserts",
    f"{summary['children_in_access_deserts_after']:,.0f}",
    f"{summary['children_in_access_deserts_change']:+,.0f}",
    delta_color="inverse",
)
m2.metric(
    "CAP desert tracts", f"{summary['cap_desert_tracts_after']:,}", f"{summary['cap_desert_tracts_change']:+,}", delta_color="inverse"
)
m3.metric("Slots per 100 children", f"{summary['slots_per_100_after']:.1f}", f"{summary['slots_per_100_change']:+.1f}")
st.dataframe(compare_outcomes(sim, by="county"), hide_index=True, width="stretch", key="by_county")

st.subheader("Suggest sites")
c7, c8, c9 = st.columns(3)
k = int(c7.number_input("How many sites", 1, 20, 5, key="suggest_k"))
slots = float(c8.number_input("Slots at each", 5, 300, 60, key="suggest_slots"))
sband = c9.selectbox("For ages", list(S.BANDS), format_func=lambda b: S.BANDS[b].short, key="suggest_band")
objective = st.radio("Aim", list(OBJECTIVES), format_func=lambda o: OBJECTIVES[o], key="suggest_objective")
if st.button("Suggest where they help most", key="suggest"):
    bar = st.progress(0.0, text="Choosing sites...")
    cov = build_coverage(result, sband, slots, objective=objective)
    choice = suggest_sites_greedy(cov, k, progress=lambda n, total: bar.progress(n / total, text=f"Site {n} of {total} chosen"))
    suggested = [
        NewSite(f"Suggested: {r.name}"[:200], float(r.latitude), float(r.longitude), *band_slots(sband, slots))
        for r in cov.candidates.iloc[choice.chosen].itertuples(index=False)
    ]
    if add(*suggested):
        st.success(f"{len(choice.chosen)} sites added ({choice.covered_children:,.0f} children by the chosen aim).")
        st.rerun()

st.subheader("Save or load")
d1, d2 = st.columns(2)
d1.download_button(
    "Download this scenario (JSON)",
    lambda: scenario_to_json(scenario),  # made when clicked
    file_name="gapmap_scenario.json",
    mime="application/json",
    key="dl_scenario",
)
load_scenario_upload(result, d2.file_uploader("Load a scenario (JSON)", type=["json"], key="load_scenario"))
