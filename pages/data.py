"""Your data: tracts (fetched from the Census Bureau, or uploaded) and a provider list, saved as a dataset."""

import streamlit as st
from census.core import ACS5Client

from gapmap.datasets import MAX_NAME_CHARS, existing_dataset, save_dataset
from gapmap.errors import GapmapError
from gapmap.metrics.supply import compute_import_warnings
from gapmap.sources.census import KEY_HELP
from gapmap.sources.files import display_name
from gapmap.sources.geocode import geocode_addresses
from gapmap.sources.geography import STATES, fetch_region, read_tracts
from gapmap.sources.providers import FIELD_SYNONYMS, RegionBounds, read_provider_table, standardize_providers
from gapmap.ui.frame import ensure_frame
from gapmap.ui.imports import for_this_page, render_import_report, render_value_mapping
from gapmap.ui.loaders import CACHE_DIR, DATASETS_DIR, census_key, load_region, new_http_session, read_upload, region_options
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
fetch_tab, upload_tab, known_tab = st.tabs(["Fetch from the Census Bureau", "Upload a tract file", "Use a region you have"])
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
            render_error(exc, f"read {display_name(up.name)}")

with known_tab:
    regions = region_options()
    known = st.selectbox("Tracts of", list(regions), format_func=regions.get, key="known_region", help="Pair a new provider list with the tracts of the demo or of a saved dataset.")
    if st.button("Use these tracts", key="use_known"):
        try:
            st.session_state[KEYS.pending_tracts] = load_region(known)[0]
            st.session_state[KEYS.pending_tracts_source] = f"the tracts of {regions[known]}"
        except GapmapError as exc:
            render_error(exc, "load those tracts")

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
        render_error(exc, f"read {display_name(pup.name)}")
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
            fix_swapped = st.checkbox("Fix swapped coordinates (latitude and longitude back where they look swapped)", key="fix_swapped")
            keep_inactive = st.checkbox("Keep providers that are not operating (closed, revoked, suspended, expired...)", key="keep_inactive")
            crs = st.text_input("Coordinate system of projected X/Y columns (e.g. EPSG:3857)", key="provider_crs") or None
            geocode = st.checkbox("Geocode addresses: find coordinates for rows that have an address and none (Census geocoder, needs internet)", key="geocode")
        value_maps = render_value_mapping(table, mapping, pup.name)
        bounds = RegionBounds.of_tracts(tracts) if tracts is not None else None
        geocoder = None
        if geocode:
            status = st.empty()

            def geocoder(addresses):
                return geocode_addresses(addresses, new_http_session(), CACHE_DIR / "geocoder.json", progress=status.info)

        try:
            report = standardize_providers(table, display_name(pup.name), mapping, bounds, fix_swapped, crs, geocoder, value_maps, keep_inactive)
        except GapmapError as exc:
            render_error(for_this_page(str(exc)), "import the provider list")
if report is not None:
    render_import_report(report, privacy=bool(st.session_state.get(KEYS.privacy)))
    if bounds is None:
        st.caption("Add tracts above to check that providers lie in the region.")

st.subheader("3. Save")
ready = tracts is not None and report is not None and len(report.accepted) > 0
name = st.text_input("Dataset name", placeholder="e.g. South Coast hub 2023", key="dataset_name", max_chars=MAX_NAME_CHARS)
taken = existing_dataset(DATASETS_DIR, name) if name else None
replace = st.checkbox(f"Replace the saved dataset {plain(taken)!s}", key="replace_dataset") if taken else False
warnings = compute_import_warnings(tracts, report) if ready else []
for warning in warnings:
    st.warning(plain(warning))
confirmed = st.checkbox("Save anyway", key="save_anyway") if warnings else True
if st.button("Save dataset and use it", key="save_dataset", type="primary"):
    if not (ready and name):
        st.warning("Give the dataset a name; saving needs tracts and at least one accepted provider.")
        st.stop()
    if not confirmed:
        st.warning("Read the warnings above, then tick 'Save anyway' to save this dataset as it is.")
        st.stop()
    sources = {"tracts": st.session_state[KEYS.pending_tracts_source], "providers": report.summary()}
    try:
        key = save_dataset(DATASETS_DIR, name, tracts, report.accepted, sources, replace, report.about(), report.rejected)
    except GapmapError as exc:
        render_error(exc, "save the dataset")
    else:
        switch_region(key)
        st.rerun()
if not ready:
    st.caption("Saving needs tracts and at least one accepted provider.")
