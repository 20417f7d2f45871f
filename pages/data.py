"""Your data: tracts (fetched from the Census Bureau, or uploaded) and a provider list, saved as a dataset."""

import pandas as pd
import streamlit as st
from census.core import ACS5Client

from gapmap import schema as S
from gapmap.datasets import MAX_NAME_CHARS, existing_dataset, save_dataset
from gapmap.errors import GapmapError
from gapmap.sources.census import KEY_HELP
from gapmap.sources.geocode import geocode_addresses
from gapmap.sources.geography import STATES, fetch_region, read_tracts
from gapmap.sources.providers import FIELD_SYNONYMS, RegionBounds, read_provider_table, standardize_providers
from gapmap.ui.frame import ensure_frame
from gapmap.ui.loaders import CACHE_DIR, DATASETS_DIR, census_key, new_http_session, read_upload
from gapmap.ui.state import KEYS, switch_region
from gapmap.ui.widgets import plain, render_error

AUTO = "(recognised automatically)"

ensure_frame()
st.title("Your data")
st.caption(
    "Bring your own region: census tracts with ACS estimates, and your state's provider list (the licensing "
    "export as it is). Save them as a dataset, and every page can use it from the Data menu in the sidebar."
)

st.subheader("1. Tracts")
fetch_tab, upload_tab = st.tabs(["Fetch from the Census Bureau", "Upload a tract file"])
with fetch_tab:
    c1, c2, c3 = st.columns([2, 3, 1])
    state = c1.selectbox("State", list(STATES), format_func=lambda f: STATES[f][1], index=list(STATES).index("41"), key="fetch_state")
    counties = c2.text_input("Counties (names or FIPS codes, comma-separated; empty = whole state)", key="fetch_counties")
    year = c3.number_input("ACS 5-year", min_value=2013, max_value=ACS5Client.default_year, value=ACS5Client.default_year, key="fetch_year")
    key = census_key()
    if not key:
        st.warning(KEY_HELP)
    if st.button("Fetch tracts and ACS estimates", disabled=not key, key="fetch_go"):
        bar = st.progress(0.0, text="Starting...")
        steps = []

        def progress(message: str) -> None:
            steps.append(message)
            bar.progress(min(0.95, len(steps) / (len(steps) + 2)), text=message)

        wanted = [c.strip() for c in counties.split(",") if c.strip()] or None
        try:
            tracts, path = fetch_region(state, wanted, int(year), key, new_http_session(), CACHE_DIR / "regions", progress)
        except GapmapError as exc:
            bar.empty()
            render_error(exc, "fetch the tracts")  # the data already loaded stays in use
        else:
            bar.progress(1.0, text=f"{len(tracts)} tracts ready")
            st.session_state[KEYS.pending_tracts] = tracts
            st.session_state[KEYS.pending_tracts_source] = f"ACS 5-year {int(year)}, {STATES[state][1]}" + (
                f" ({counties})" if wanted else ""
            )
with upload_tab:
    up = st.file_uploader(
        "Tract file",
        type=["geojson", "json", "gpkg", "parquet", "zip"],
        key="upload_tracts",
        help="Columns: geoid, geometry, and child counts such as children_0_2, children_3_5, children_under_5.",
    )
    if up is not None and st.session_state.get("_tracts_upload_name") != (up.name, up.size):
        try:
            st.session_state[KEYS.pending_tracts] = read_upload(up, read_tracts)
            st.session_state[KEYS.pending_tracts_source] = f"uploaded {up.name}"
            st.session_state["_tracts_upload_name"] = (up.name, up.size)
        except GapmapError as exc:
            render_error(exc, f"read {up.name}")

tracts = st.session_state.get(KEYS.pending_tracts)
if tracts is not None:
    st.success(f"Tracts: {len(tracts)} from {plain(st.session_state[KEYS.pending_tracts_source])}.")

st.subheader("2. Providers")
pup = st.file_uploader("Provider list (CSV, Excel or GeoJSON)", type=["csv", "xlsx", "geojson", "json"], key="upload_providers")
report = None
if pup is not None:
    try:
        table = read_upload(pup, read_provider_table)
    except GapmapError as exc:
        render_error(exc, f"read {pup.name}")
        table = None
    if table is not None:
        with st.expander("Column mapping and options"):
            st.caption("gapmap recognises common licensing-export column names. Choose a column here to override.")
            cols = st.columns(3)
            mapping = {}
            for i, fld in enumerate(FIELD_SYNONYMS):
                choice = cols[i % 3].selectbox(fld, [AUTO, *table.columns], key=f"map_{fld}")
                if choice != AUTO:
                    mapping[fld] = choice
            fix_swapped = st.checkbox("Swap latitude and longitude back where they look swapped", key="fix_swapped")
            crs = st.text_input("Coordinate system of projected X/Y columns (e.g. EPSG:3857)", key="provider_crs") or None
            geocode = st.checkbox(
                "Find coordinates for rows that have an address and none (Census geocoder, needs internet)", key="geocode"
            )
        bounds = RegionBounds.of_tracts(tracts) if tracts is not None else None
        geocoder = None
        if geocode:
            status = st.empty()

            def geocoder(addresses):
                return geocode_addresses(addresses, new_http_session(), CACHE_DIR / "geocoder.json", progress=status.info)

        try:
            report = standardize_providers(table, pup.name, mapping, bounds, fix_swapped, crs, geocoder)
        except GapmapError as exc:
            render_error(exc, f"import {pup.name}")
if report is not None:
    m1, m2, m3 = st.columns(3)
    m1.metric("Rows read", f"{report.rows_read:,}")
    m2.metric("Accepted", f"{len(report.accepted):,}")
    m3.metric("Rejected", f"{len(report.rejected):,}")
    for note in report.notes:
        st.caption(plain(note))
    st.dataframe(pd.DataFrame({"field": list(report.mapping), "column in the file": list(report.mapping.values())}), hide_index=True)
    if len(report.rejected):
        st.markdown("**Rejected rows**, with the reason for each")
        st.dataframe(report.rejected, hide_index=True, width="stretch")
        st.download_button(
            "Download the rejected rows (CSV)",
            report.rejected_csv_bytes(),
            file_name=f"rejected_{pup.name}.csv",
            mime="text/csv",
            key="dl_rejected",
        )
    if bounds is None:
        st.caption("Add tracts above to check that providers lie in the region.")

st.subheader("3. Save")
ready = tracts is not None and report is not None and len(report.accepted) > 0
name = st.text_input("Dataset name", placeholder="e.g. South Coast hub 2023", key="dataset_name", max_chars=MAX_NAME_CHARS)
taken = existing_dataset(DATASETS_DIR, name) if name else None
replace = st.checkbox(f"Replace the saved dataset {plain(taken)!s}", key="replace_dataset") if taken else False
if st.button("Save dataset and use it", key="save_dataset", type="primary"):
    if not (ready and name):
        st.warning("Give the dataset a name; saving needs tracts and at least one accepted provider.")
        st.stop()
    sources = {"tracts": st.session_state[KEYS.pending_tracts_source], "providers": report.summary()}
    try:
        key = save_dataset(DATASETS_DIR, name, tracts, report.accepted[list(S.PROVIDER_COLUMNS)], sources, overwrite=replace)
    except GapmapError as exc:
        render_error(exc, "save the dataset")
    else:
        switch_region(key)
        st.rerun()
if not ready:
    st.caption("Saving needs tracts and at least one accepted provider.")
