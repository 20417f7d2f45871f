"""Travel times in the app: bring a table or make one from an OpenStreetMap extract (Your data), and the
Travel time page's comparison of access by distance and by travel time."""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from gapmap import schema as S
from gapmap.errors import GapmapError
from gapmap.outputs.export import to_csv_bytes
from gapmap.sources.files import display_name
from gapmap.sources.travel_times import TravelTimesImport, check_travel_times, import_travel_times
from gapmap.ui import loaders
from gapmap.ui.loaders import read_upload
from gapmap.ui.state import PENDING_TRAVEL
from gapmap.ui.widgets import download_button, plain, render_error, term_help

__all__ = ["render_travel_times", "render_travel_report", "pending_travel"]

_INSTALL = "uv sync --extra routing"


def pending_travel(tracts, providers: pd.DataFrame | None) -> TravelTimesImport | None:
    """The travel times made or uploaded on this page, if they are of these tracts and providers."""
    kept = PENDING_TRAVEL.get()
    if not kept or tracts is None or providers is None:
        return None
    imp, token = kept
    return imp if token == _token(tracts, providers) else None


def _token(tracts, providers: pd.DataFrame) -> str:
    h = hashlib.sha256("|".join(tracts[S.GEOID].astype(str)).encode())
    h.update("|".join(providers[S.PROVIDER_ID].astype(str)).encode())
    return h.hexdigest()[:16]


def render_travel_report(imp: TravelTimesImport) -> None:
    """Rows read / accepted / rejected, the notes, and the rejected rows with their reasons (downloadable)."""
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Rows read", f"{imp.rows_read:,}")
    m2.metric("Accepted", f"{len(imp.times):,}")
    m3.metric("Rejected", f"{len(imp.rejected):,}")
    m4.metric("Tracts with no provider within reach", f"{len(imp.tracts_without_rows):,}")
    for note in imp.notes:
        st.caption(plain(note))
    if len(imp.rejected):
        st.markdown("**Rejected rows**, with the reason for each")
        st.dataframe(
            imp.rejected.head(1000),
            hide_index=True,
            width="stretch",
            column_order=["row", "reason", S.GEOID, S.PROVIDER_ID, "minutes"],
            column_config={
                "row": st.column_config.NumberColumn("Row of the file"),
                "reason": st.column_config.TextColumn("Why it was rejected", width="large"),
            },
        )
        download_button(st, "Download the rejected rows (CSV)", to_csv_bytes(imp.rejected), "rejected_travel_times.csv", "dl_rejected_tt")


def render_travel_times(tracts, providers: pd.DataFrame | None) -> TravelTimesImport | None:
    """Travel times for the dataset being made (optional): a table from elsewhere, or made here from an
    OpenStreetMap extract. Returns the checked table, or None."""
    st.caption(
        "Optional. With travel times, access counts providers by minutes on the road instead of kilometres in a "
        "straight line, which matters across rivers, bays and mountains. Without them, access is by distance."
    )
    if tracts is None or providers is None or not len(providers):
        st.caption("Add tracts and a provider list above first: travel times are checked against them.")
        return None
    geoids, ids = tracts[S.GEOID].to_numpy(object), providers[S.PROVIDER_ID].to_numpy(object)
    bring, make = st.tabs(["Bring a table made elsewhere", "Make them from OpenStreetMap"])
    with bring:
        st.caption(
            "A CSV or Parquet file with one row per tract and provider: geoid, provider_id, minutes (from ArcGIS Network "
            "Analyst's OD cost matrix, OSRM, Valhalla, r5 or your state's GIS office). A pair with no row is out of reach."
        )
        up = st.file_uploader("Travel-time table (CSV or Parquet)", type=["csv", "parquet"], key="upload_travel_times")
        if up is not None:
            try:
                imp = read_upload(up, lambda f: import_travel_times(f, geoids, ids))
            except GapmapError as exc:
                render_error(exc, f"read {display_name(up.name)}")
            else:
                PENDING_TRAVEL.set((imp, _token(tracts, providers)))
    with make:
        _render_make(tracts, providers)
    imp = pending_travel(tracts, providers)
    if imp is not None:
        st.markdown(f"**Travel times in use**: {plain(imp.summary())}")
        render_travel_report(imp)
    return imp


def _render_make(tracts, providers: pd.DataFrame) -> None:
    from gapmap.sources.routing import routing_available

    st.caption(
        "Download your state's extract (a .osm.pbf file) from download.geofabrik.de (North America > United States), "
        "or a smaller one cut to your region, and upload it here. gapmap routes from each tract's point to every "
        "provider within the time you choose, county by county; a run that stops keeps the counties it finished."
    )
    if not routing_available():
        st.info(f"Making travel times needs the routing extra on the server: run `{_INSTALL}` and start the app again.")
        return
    osm = st.file_uploader("OpenStreetMap extract (.osm.pbf)", type=["pbf"], key="upload_osm")
    max_minutes = st.number_input(
        "Look up to (minutes on the road)",
        5.0,
        120.0,
        30.0,
        step=5.0,
        key="tt_max_minutes",
        help=term_help("The longest trip kept.", "Travel time"),
    )
    if osm is None or not st.button("Make travel times", key="make_travel_times", type="primary"):
        return
    from gapmap.metrics import compute_tract_points
    from gapmap.sources.routing import build_travel_times, read_road_network

    bar = st.progress(0.0, text="Reading the roads...")
    try:
        net = read_upload(osm, read_road_network)
        parts = loaders.CACHE_DIR / "travel-parts" / net.digest

        def progress(done: int, total: int, county: str) -> None:
            label = f"Routing county {done + 1} of {total} ({county})" if county else "Done"
            bar.progress(min(done / max(total, 1), 1.0), text=label)

        build = build_travel_times(net, tracts, compute_tract_points(tracts), providers, float(max_minutes), parts, progress)
        geoids, ids = tracts[S.GEOID].to_numpy(object), providers[S.PROVIDER_ID].to_numpy(object)
        imp = check_travel_times(
            build.table, geoids, ids, f"{net.source} (roads, {max_minutes:g} minutes)", float(max_minutes), build.router
        )
    except GapmapError as exc:
        render_error(exc, "make the travel times")
        return
    bar.progress(1.0, text=plain(build.summary()))
    PENDING_TRAVEL.set((imp, _token(tracts, providers)))
    st.success(plain(build.summary()))
    download_button(st, "Download the snap distances (CSV)", to_csv_bytes(build.snaps.frame()), "snap_distances.csv", "dl_snaps")
    download_button(st, "Download the travel times (CSV)", to_csv_bytes(build.table), "travel_times.csv", "dl_travel_times")


def travel_frame(imp: TravelTimesImport, tracts, providers: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The accepted rows as a table to save with the dataset, and what about.json says of them."""
    return imp.times.to_frame(tracts[S.GEOID].to_numpy(object), providers[S.PROVIDER_ID].to_numpy(object)), imp.about()
