"""The Map page's panels: the county overview of a large region, the map options, the tract map and the
clicked tract's details."""

from __future__ import annotations

import os

import streamlit as st
import streamlit_folium  # called through the module, as tests answer for it

from gapmap import schema as S
from gapmap.metrics import compute_metrics_table, compute_tract_details, find_nearest_providers
from gapmap.ui import webmap
from gapmap.ui.loaders import load_county_map, load_map_geometry, load_provider_layer, load_tract_layer, load_tract_style
from gapmap.ui.places import render_view_controls
from gapmap.ui.state import KEYS, SELECTED_GEOID, TRACT_MAP_VALUE, View, is_new
from gapmap.ui.widgets import plain, render_download, show_table, term_help
from gapmap.viz import maps  # the draw limit read from the module: tests lower it
from gapmap.viz.maps import (
    PROVIDER_DRAW_LIMIT,
    REGION_MEASURES,
    TRACT_PROPERTY,
    build_region_map,
    build_tract_map,
    region_measure_for,
)

__all__ = ["tracts_to_draw", "render_tract_map", "render_tract_details", "render_tracts_download", "FOLIUM_MAP"]

#: ``GAPMAP_MAP_ENGINE=folium`` draws the Map page with folium as before the map component (one HTML page
#: per rerun, with the geometry in it): kept to measure the component against (benchmarks/bench_map.py).
FOLIUM_MAP = os.environ.get("GAPMAP_MAP_ENGINE", "").strip().lower() == "folium"


def tracts_to_draw(view: View, result):
    """The result and map geometry to draw (folium map only: the map component draws every tract, by
    county when zoomed in). Above :data:`gapmap.viz.maps.TRACT_DRAW_LIMIT` tracts the map shows counties
    (and stops the page) until a county is picked, then that county's tracts."""
    if not FOLIUM_MAP:
        return result, None
    geometry = load_map_geometry(view.region)
    if len(result.tracts) <= maps.TRACT_DRAW_LIMIT:
        return result, geometry
    shapes, county_rollup, county_of = load_county_map(view.region, view.params)
    county = st.selectbox(
        "County",
        ["All counties"] + list(shapes["region"]),
        key="map_county",
        help=f"This data has {len(result.tracts):,} tracts: the map shows counties until you pick one.",
    )
    if county == "All counties":
        measure_key = region_measure_for(view.measure)
        st.caption(
            f"Counties coloured by {REGION_MEASURES[measure_key][1].lower()}, from the sums of their tracts. Pick a county to see its tracts."
        )
        fmap = build_region_map(shapes, county_rollup, view.band, view.params, measure_key)
        streamlit_folium.st_folium(fmap, key="county_map", returned_objects=[], height=560, use_container_width=True)
        st.stop()
    keep = county_of == county
    return result.select_tracts(keep), [g for g, k in zip(geometry, keep) if k]


def render_tract_map(view: View, result, geometry) -> tuple[str | None, bool]:
    """The map options and the tract map; a click on a tract selects it. Returns the selected tract's
    GEOID (or None) and whether privacy mode is on."""
    c1, c2 = st.columns(2)
    show_providers = c1.toggle(
        "Show providers",
        value=len(result.providers) <= PROVIDER_DRAW_LIMIT,
        key=KEYS.show_providers,
        help=f"Regions with more than {PROVIDER_DRAW_LIMIT:,} providers start with them hidden: thousands of circles slow the map down.",
    )
    privacy = c2.toggle(
        "Privacy mode: hide family child care homes",
        key=KEYS.privacy,
        help=term_help(
            "On by default. Family child care homes are residences; many states keep their addresses confidential. "
            "When on, no home's location reaches the map, the search, a link or a file.",
            "Privacy mode",
        ),
    )
    shown = render_view_controls(view, "map", select_tract=True)
    selected = SELECTED_GEOID.get()
    if not FOLIUM_MAP:
        clicked = _draw_component(view, result, show_providers, privacy, selected, shown)
        if clicked and clicked != selected:
            SELECTED_GEOID.set(clicked)
            st.rerun()
        return selected, privacy
    fmap = build_tract_map(
        result,
        view.band,
        view.measure,
        show_providers=show_providers,
        privacy=privacy,
        selected_geoid=selected,
        geometry=geometry,
        bounds=shown.bounds,
    )
    state = streamlit_folium.st_folium(
        fmap,
        key=KEYS.tract_map + (f"_{shown.nonce}" if shown.nonce else ""),  # a reset draws the map anew
        returned_objects=["last_active_drawing"],
        height=560,
        use_container_width=True,
        render=False,
    )
    clicked = ((state or {}).get("last_active_drawing") or {}).get("properties", {}).get(TRACT_PROPERTY["geoid"])
    if clicked and clicked != selected:
        SELECTED_GEOID.set(clicked)
        st.rerun()
    return selected, privacy


def _draw_component(view: View, result, show_providers: bool, privacy: bool, selected: str | None, shown) -> str | None:
    """The tract map as the map component: the layer files by address (written once per dataset), the
    style of this band and measure, the legend and the view. Returns the GEOID of a tract clicked."""
    from gapmap.viz.webmap import component_args, county_style, order_fingerprint

    index, fingerprint, index_data, tile_rows = load_tract_layer(view.region)
    if fingerprint != order_fingerprint(result.tracts):  # a style is one class per tract, in the layer's order
        raise RuntimeError("the map layer and the analysis list the tracts in different orders")
    style = load_tract_style(view.region, view.params, view.band, view.measure)
    providers, types = load_provider_layer(view.region, privacy) if show_providers else (None, [])
    counties = None
    tiles = None  # every tile's tracts styled
    if len(tile_rows) > 1:  # a split layer: counties, and the tracts of the tiles the map has in view
        shapes, county_rollup, _county_of = load_county_map(view.region, view.params)
        counties = county_style(shapes, county_rollup, view.band, view.params, region_measure_for(view.measure))
        tiles = (TRACT_MAP_VALUE.get() or {}).get("tiles") or []
    args = component_args(
        index,
        style,
        tile_rows=tile_rows,
        tiles_in_view=tiles,
        bounds=result.tracts.total_bounds if shown.bounds is None else shown.bounds,
        view_key=shown.nonce,
        counties=counties,
        providers_url=providers,
        provider_types=types,
        privacy=privacy,
        selected=selected,
        tiles=webmap.TILES,
        height=webmap.MAP_HEIGHT,
        index_data=index_data,
    )
    value = webmap.draw_map(args, key=KEYS.tract_map) or {}
    # a click is acted on once (the value also carries the tiles in view, which change without a click)
    if value.get("geoid") and is_new("tract map click", value.get("click")):
        return value["geoid"]
    return None


def render_tract_details(view: View, result, selected: str | None, privacy: bool) -> None:
    """The clicked tract's figures and nearest providers (family homes hidden in privacy mode)."""
    if not selected:
        st.info("Click a tract on the map to see its figures and its nearest providers.")
        return
    name = result.tracts.loc[result.tracts[S.GEOID] == selected, S.NAME]
    st.subheader(f"Tract {selected}" + (f": {plain(name.iloc[0])}" if len(name) else ""))
    details = compute_tract_details(result, selected)
    show_table(details)
    st.markdown("**Nearest providers** (straight-line distance)" + (", family child care homes hidden (privacy mode)" if privacy else ""))
    homes = int((result.providers[S.PROVIDER_TYPE] == "family_home").sum()) if privacy else 0
    nearest = find_nearest_providers(result, selected, k=5 + homes)
    if privacy:  # the 5 nearest that are not family homes
        nearest = nearest[nearest[S.PROVIDER_TYPE] != S.PROVIDER_TYPES["family_home"]].head(5)
    show_table(nearest.rename(columns=S.PROVIDER_LABELS))
    render_download("Download this tract's figures (CSV)", details, f"gapmap_tract_{selected}.csv", view, key="dl_tract")


def render_tracts_download(view: View, result) -> None:
    table = compute_metrics_table(result, view.band)
    render_download("Download every tract's figures (CSV)", table, f"gapmap_tracts_{view.band}.csv", view, key="dl_tracts")
