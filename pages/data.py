"""Your data: tracts (fetched from the Census Bureau, or uploaded) and a provider list, saved as a dataset."""

import streamlit as st

from gapmap.errors import GapmapError
from gapmap.metrics.supply import compute_import_warnings
from gapmap.sources.datasets import MAX_NAME_CHARS, existing_dataset, save_dataset
from gapmap.sources.files import display_name
from gapmap.sources.geocode import geocode_addresses
from gapmap.sources.providers import FIELD_SYNONYMS, RegionBounds, read_provider_table, standardize_providers
from gapmap.ui.frame import ensure_frame
from gapmap.ui.imports import for_this_page, render_import_report, render_tract_sources, render_value_mapping
from gapmap.ui.loaders import CACHE_DIR, DATASETS_DIR, new_http_session, read_upload
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
tracts = render_tract_sources()

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
