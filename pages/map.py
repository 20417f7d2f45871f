"""Map: tracts coloured by the chosen measure, providers on top; click a tract for its details."""

import streamlit as st
from streamlit_folium import st_folium

from gapmap import schema as S
from gapmap.metrics import compute_metrics_table, compute_tract_details, find_nearest_providers
from gapmap.ui.frame import ensure_frame
from gapmap.ui.loaders import load_county_map, load_map_geometry
from gapmap.ui.state import KEYS, current_view
from gapmap.ui.widgets import metrics_or_stop, plain, render_data_badge, render_download
from gapmap.viz.maps import (
    PROVIDER_DRAW_LIMIT,
    REGION_MEASURES,
    TRACT_DRAW_LIMIT,
    TRACT_PROPERTY,
    build_region_map,
    build_tract_map,
    region_measure_for,
)
from gapmap.viz.measures import MEASURES

ensure_frame()
view = current_view()
measure = MEASURES[view.measure]
st.title(f"Map: {measure.label}, ages {S.BANDS[view.band].short}")
render_data_badge(view)
st.caption(measure.description + " Hover a tract for its numbers; click it for details and its nearest providers.")

result = metrics_or_stop(view)
geometry = load_map_geometry(view.region)
if len(result.tracts) > TRACT_DRAW_LIMIT:
    # a large extent: counties first, a county's tracts once it is picked
    shapes, county_rollup, county_of = load_county_map(view.region, view.params)
    county = st.selectbox(
        "County",
        ["All counties"] + list(shapes["region"]),
        key="map_county",
        help=f"This data has {len(result.tracts):,} tracts: the map shows counties until you pick one.",
    )
    if county == "All counties":
        measure_key = region_measure_for(view.measure)
        st.caption(f"Counties coloured by {REGION_MEASURES[measure_key][1].lower()}, from the sums of their tracts. Pick a county to see its tracts.")
        st_folium(
            build_region_map(shapes, county_rollup, view.band, view.params, measure_key),
            key="county_map",
            returned_objects=[],
            height=560,
            use_container_width=True,
        )
        st.stop()
    keep = county_of == county
    result = result.select_tracts(keep)
    geometry = [g for g, k in zip(geometry, keep) if k]
c1, c2 = st.columns(2)
show_providers = c1.toggle(
    "Show providers",
    value=len(result.providers) <= PROVIDER_DRAW_LIMIT,
    key=KEYS.show_providers,
    help=f"Regions with more than {PROVIDER_DRAW_LIMIT:,} providers start with them hidden: thousands of circles slow the map down.",
)
privacy = c2.toggle(
    "Privacy mode: hide family child care homes",
    value=False,
    key=KEYS.privacy,
    help="Family child care homes are residences; many states keep their addresses confidential.",
)
selected = st.session_state.get(KEYS.selected_geoid)
fmap = build_tract_map(
    result,
    view.band,
    view.measure,
    show_providers=show_providers,
    privacy=privacy,
    selected_geoid=selected,
    geometry=geometry,
)
state = st_folium(fmap, key=KEYS.tract_map, returned_objects=["last_active_drawing"], height=560, use_container_width=True, render=False)

clicked = ((state or {}).get("last_active_drawing") or {}).get("properties", {}).get(TRACT_PROPERTY["geoid"])
if clicked and clicked != selected:
    st.session_state[KEYS.selected_geoid] = clicked
    st.rerun()

if selected:
    name = result.tracts.loc[result.tracts[S.GEOID] == selected, S.NAME]
    st.subheader(f"Tract {selected}" + (f": {plain(name.iloc[0])}" if len(name) else ""))
    details = compute_tract_details(result, selected)
    st.dataframe(details, hide_index=True, width="stretch")
    st.markdown("**Nearest providers** (straight-line distance)")
    nearest = find_nearest_providers(result, selected, k=5)
    if privacy:
        nearest = nearest[nearest[S.PROVIDER_TYPE] != S.PROVIDER_TYPES["family_home"]]
    st.dataframe(nearest.rename(columns=S.PROVIDER_LABELS), hide_index=True, width="stretch")
    render_download("Download this tract's figures (CSV)", details, f"gapmap_tract_{selected}.csv", view, key="dl_tract")
else:
    st.info("Click a tract on the map to see its figures and its nearest providers.")

render_download(
    "Download every tract's figures (CSV)",
    compute_metrics_table(result, view.band),
    f"gapmap_tracts_{view.band}.csv",
    view,
    key="dl_tracts",
)
