"""Widgets of a provider import on the Your data page: the value mapping table and the import report."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st
from census.core import ACS5Client
from streamlit_folium import st_folium

from gapmap.errors import GapmapError
from gapmap.metrics.supply import compute_import_warnings
from gapmap.outputs.export import to_csv_bytes
from gapmap.sources.census import check_key
from gapmap.sources.datasets import MAX_NAME_CHARS, delete_dataset, existing_dataset, list_datasets, rename_dataset, save_dataset
from gapmap.sources.files import UserFile, display_name
from gapmap.sources.geocode import GeocodeOutcome, geocode_addresses
from gapmap.sources.geography import STATES, fetch_region, read_tracts
from gapmap.sources.provider_steps import OPTIONS, VALUE_FIELDS
from gapmap.sources.providers import (
    FIELD_SYNONYMS,
    ProviderImport,
    RegionBounds,
    import_choices,
    read_provider_table,
    read_value_mapping,
    standardize_providers,
)
from gapmap.ui import loaders
from gapmap.ui.loaders import census_key, load_region, read_upload, region_options
from gapmap.ui.state import (
    CENSUS_KEY,
    CENSUS_KEY_PROBLEM,
    PENDING_TRACTS,
    PENDING_TRACTS_SOURCE,
    PRIVACY,
    REGION,
    forget,
    is_new,
    switch_region,
    take_widget_value,
)
from gapmap.ui.widgets import download_button, plain, render_error

__all__ = [
    "render_value_mapping",
    "render_import_report",
    "render_tract_sources",
    "render_provider_import",
    "render_save",
    "render_saved_datasets",
    "OPTION_LABELS",
    "AUTO",
]

#: The import's options (gapmap.sources.provider_steps.OPTIONS) -> this page's controls.
OPTION_LABELS = {
    "fix_swapped": "'Fix swapped coordinates' under Column mapping and options",
    "geocode": "'Geocode addresses' under Column mapping and options",
    "keep_inactive": "'Keep providers that are not operating' under Column mapping and options",
    "crs": "'Coordinate system of projected X/Y columns' under Column mapping and options",
    "values": "the value table under 'What the values mean'",
}
_FIELD_LABELS = {"type": "Provider type", "funding": "Funding", "status": "License status"}


def for_this_page(text: str) -> str:
    for key, label in OPTION_LABELS.items():
        text = text.replace(OPTIONS[key], label)
    return text


def render_value_mapping(table: pd.DataFrame, mapping: dict[str, str], upload_name: str) -> dict[str, dict[str, str]]:
    """A table per value column (type, funding, status) of the file's distinct values, each with the code it
    will get (gapmap's guess, pre-filled) for the planner to change; a mapping file can pre-fill it. Returns
    the value mapping to import with."""
    choices = import_choices(table, mapping)
    if not choices:
        return {}
    unknown = any(c["from"].str.startswith("not known").any() for c in choices.values())
    with st.expander("What the values mean (provider type, funding, license status)", expanded=unknown):
        st.caption(
            "Each distinct value of your file, how many rows have it and what gapmap will count it as. Change a choice to "
            "map your state's own words; download the mapping after the import to reuse it next time."
        )
        loaded = st.file_uploader("Load a value mapping (JSON)", type=["json"], key="values_file")
        preset: dict[str, dict[str, str]] = {}
        if loaded is not None:
            try:
                preset = read_value_mapping(UserFile.of(loaded.name, loaded.getvalue()))
            except GapmapError as exc:
                render_error(exc, "read the value mapping")
        version = hashlib.sha1(repr((upload_name, sorted(preset.items()))).encode()).hexdigest()[:8]
        out: dict[str, dict[str, str]] = {}
        for fld, frame in choices.items():
            frame = frame.copy()
            guessed = dict(zip(frame["value"], frame["code"]))
            if fld in preset:
                frame["code"] = [preset[fld].get(v, c) for v, c in zip(frame["value"], frame["code"])]
                frame["from"] = ["your mapping file" if v in preset[fld] else f for v, f in zip(frame["value"], frame["from"])]
            st.markdown(f"**{_FIELD_LABELS[fld]}**")
            edited = st.data_editor(
                frame,
                key=f"values_{fld}_{version}",
                hide_index=True,
                width="stretch",
                disabled=["value", "rows", "from"],
                column_config={
                    "value": st.column_config.TextColumn("Value in your file"),
                    "rows": st.column_config.NumberColumn("Rows", format="%d"),
                    "code": st.column_config.SelectboxColumn("Counts as", options=list(VALUE_FIELDS[fld]), required=True),
                    "from": st.column_config.TextColumn("Why"),
                },
            )
            # only what the planner (or the file) decided: untouched guesses stay guesses, so the report still lists unknown values
            out[fld] = {v: c for v, c in zip(edited["value"], edited["code"]) if c != guessed.get(v) or v in preset.get(fld, {})}
    return out


def render_import_report(report: ProviderImport, privacy: bool) -> None:
    """Rows read / accepted / rejected, the notes, the columns used, the rejected rows with their reasons,
    downloads (rejected rows, the value mapping) and a preview map."""
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Rows read", f"{report.rows_read:,}")
    m2.metric("Accepted", f"{len(report.accepted):,}")
    m3.metric("Rejected", f"{len(report.rejected):,}")
    m4.metric("Not operating", f"{report.inactive:,}", help="Rejected because their license status means closed, revoked, expired...")
    for note in report.notes:
        st.caption(plain(for_this_page(note)))
    st.dataframe(pd.DataFrame({"field": list(report.mapping), "column in the file": list(report.mapping.values())}), hide_index=True)
    d1, d2 = st.columns(2)
    download_button(
        d2,
        "Download the value mapping (JSON)",
        report.value_mapping_json().encode("utf-8"),
        "gapmap_value_mapping.json",
        "dl_value_mapping",
        help="Load it next time under 'What the values mean', or give it to the command line with --values-file.",
    )
    if len(report.rejected):
        st.markdown("**Rejected rows**, with the reason for each")
        shown = report.rejected.assign(reason=report.rejected["reason"].map(for_this_page))
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_order=["row", "reason", *[c for c in shown.columns if c not in ("row", "reason")]],
            column_config={
                "row": st.column_config.NumberColumn("Row of the file"),
                "reason": st.column_config.TextColumn("Why it was rejected", width="large"),
            },
        )
        download_button(d1, "Download the rejected rows (CSV)", to_csv_bytes(report.rejected), "rejected_rows.csv", "dl_rejected")
    st.markdown("**Preview of the providers**")
    with_rejected = st.checkbox(
        "Also show the rejected rows that have coordinates", key="preview_rejected", disabled=not len(report.rejected_points)
    )
    from gapmap.viz.maps import build_provider_preview_map

    fmap = build_provider_preview_map(report.accepted, report.rejected_points if with_rejected else None, privacy=privacy)
    st_folium(fmap, key="import_preview", returned_objects=[], height=380, use_container_width=True)


_KEY_FIELD = "census_key_field"


def _take_census_key() -> None:
    """Before the rerun: keep the key typed (if it is one) and empty the field, so the key is never sent
    back to the browser."""
    entered = str(take_widget_value(_KEY_FIELD) or "")
    if not entered.strip():
        return
    try:
        CENSUS_KEY.set(check_key(entered))
    except GapmapError as exc:
        CENSUS_KEY_PROBLEM.set(str(exc))


def render_census_key() -> str | None:
    """The Census API key in use, and a password field to enter one for this session. The field is
    cleared when submitted (the key never stays in the page), the key is checked before it is kept, and it
    is never shown, logged or written; "Forget the key" drops it."""
    key = census_key()
    with st.form("census_key_form", border=False):
        c1, c2 = st.columns([3, 1])
        c1.text_input(
            "Census API key" + (" (one is set; enter another to replace it)" if key else ""),
            type="password",
            key=_KEY_FIELD,
            help="Kept in this browser session's memory only: never saved, logged or shown. Free at https://api.census.gov/data/key_signup.html",
        )
        c2.form_submit_button("Use this key", on_click=_take_census_key)
    problem = CENSUS_KEY_PROBLEM.get()
    if problem:
        CENSUS_KEY_PROBLEM.clear()
        render_error(problem, "use that key")
    key = census_key()
    if CENSUS_KEY.get():
        st.caption("A Census API key is set for this session.")
        if st.button("Forget the key", key="census_key_forget"):
            CENSUS_KEY.clear()
            key = census_key()
    if not key:
        st.warning(
            "Fetching needs a Census API key: get one free at https://api.census.gov/data/key_signup.html and enter it "
            "above (kept for this session only), or ask whoever runs this server to set CENSUS_API_KEY."
        )
    return key


def render_tract_sources():
    """The three ways to tracts (fetch from the Census Bureau, upload a file, the tracts of the demo or a
    saved dataset); what arrives waits in the session until saved. Returns the tracts waiting, or None."""
    fetch_tab, upload_tab, known_tab = st.tabs(["Fetch from the Census Bureau", "Upload a tract file", "Use a region you have"])
    with fetch_tab:
        c1, c2, c3 = st.columns([2, 3, 1])
        state = c1.selectbox("State", list(STATES), format_func=lambda f: STATES[f][1], index=list(STATES).index("41"), key="fetch_state")
        counties = c2.text_input("Counties (names or FIPS codes, comma-separated; empty = whole state)", key="fetch_counties")
        year = c3.number_input(
            "ACS 5-year", min_value=2013, max_value=ACS5Client.default_year, value=ACS5Client.default_year, key="fetch_year"
        )
        key = render_census_key()
        if st.button("Fetch tracts and ACS estimates", disabled=not key, key="fetch_go"):
            bar = st.progress(0.0, text="Starting...")
            steps = []

            def progress(message: str) -> None:
                steps.append(message)
                bar.progress(min(0.95, len(steps) / (len(steps) + 2)), text=message)

            wanted = [c.strip() for c in counties.split(",") if c.strip()] or None
            try:
                tracts, path = fetch_region(
                    state, wanted, int(year), key, loaders.new_http_session(), loaders.CACHE_DIR / "regions", progress
                )
            except GapmapError as exc:
                bar.empty()
                render_error(exc, "fetch the tracts")  # the data already loaded stays in use
            else:
                bar.progress(1.0, text=f"{len(tracts)} tracts ready")
                PENDING_TRACTS.set(tracts)
                PENDING_TRACTS_SOURCE.set(f"ACS 5-year {int(year)}, {STATES[state][1]}" + (f" ({counties})" if wanted else ""))
    with upload_tab:
        up = st.file_uploader(
            "Tract file",
            type=["geojson", "json", "gpkg", "parquet", "zip"],
            key="upload_tracts",
            help="Columns: geoid, geometry, and child counts such as children_0_2, children_3_5, children_under_5.",
        )
        if up is not None and is_new("tracts upload", (up.name, up.size)):
            try:
                PENDING_TRACTS.set(read_upload(up, read_tracts))
                PENDING_TRACTS_SOURCE.set(f"uploaded {display_name(up.name)}")
            except GapmapError as exc:
                forget("tracts upload")  # read it again next time: the error stays on screen
                render_error(exc, f"read {display_name(up.name)}")

    with known_tab:
        regions = region_options()
        known = st.selectbox(
            "Tracts of",
            list(regions),
            format_func=lambda k: regions[k],
            key="known_region",
            help="Pair a new provider list with the tracts of the demo or of a saved dataset.",
        )
        if known is not None and st.button("Use these tracts", key="use_known"):
            try:
                PENDING_TRACTS.set(load_region(known)[0])
                PENDING_TRACTS_SOURCE.set(f"the tracts of {regions[known]}")
            except GapmapError as exc:
                render_error(exc, "load those tracts")
    tracts = PENDING_TRACTS.get()
    if tracts is not None:
        st.success(f"Tracts: {len(tracts)} from {plain(PENDING_TRACTS_SOURCE.get() or '')}.")
    return tracts


#: The column-mapping choice that leaves a field to gapmap's recognition.
AUTO = "(recognised automatically)"


def _geocoder(status):
    """The Census geocoder for rows with an address and no coordinates, its progress shown in ``status``."""

    def say(message: str) -> None:
        status.info(message)

    def geocode(addresses: pd.DataFrame) -> GeocodeOutcome:
        return geocode_addresses(addresses, loaders.new_http_session(), loaders.CACHE_DIR / "geocoder.json", progress=say)

    return geocode


def render_provider_import(tracts) -> ProviderImport | None:
    """Upload a provider list, map its columns and values, and import it against the tracts (when there
    are any): the import's report, or None when no file is there or it cannot be imported."""
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
                fix_swapped = st.checkbox(
                    "Fix swapped coordinates (latitude and longitude back where they look swapped)", key="fix_swapped"
                )
                keep_inactive = st.checkbox(
                    "Keep providers that are not operating (closed, revoked, suspended, expired...)", key="keep_inactive"
                )
                crs = st.text_input("Coordinate system of projected X/Y columns (e.g. EPSG:3857)", key="provider_crs") or None
                geocode = st.checkbox(
                    "Geocode addresses: find coordinates for rows that have an address and none (Census geocoder, needs internet)",
                    key="geocode",
                )
            value_maps = render_value_mapping(table, mapping, pup.name)
            bounds = RegionBounds.of_tracts(tracts) if tracts is not None else None
            geocoder = _geocoder(st.empty()) if geocode else None

            try:
                report = standardize_providers(
                    table, display_name(pup.name), mapping, bounds, fix_swapped, crs, geocoder, value_maps, keep_inactive
                )
            except GapmapError as exc:
                render_error(for_this_page(str(exc)), "import the provider list")
    if report is not None:
        render_import_report(report, privacy=bool(PRIVACY.get()))
        if bounds is None:
            st.caption("Add tracts above to check that providers lie in the region.")

    return report


def render_save(tracts, report: ProviderImport | None, travel=None) -> None:
    """Name the dataset, read the warnings, and save it (then use it on every page), with its travel times
    (a :class:`~gapmap.sources.travel_times.TravelTimesImport`) when there are some."""
    ready = tracts is not None and report is not None and len(report.accepted) > 0
    if not ready:
        report = None  # nothing to save yet
    name = st.text_input("Dataset name", placeholder="e.g. South Coast hub 2023", key="dataset_name", max_chars=MAX_NAME_CHARS)
    taken = existing_dataset(loaders.DATASETS_DIR, name) if name else None
    replace = st.checkbox(f"Replace the saved dataset {plain(taken)!s}", key="replace_dataset") if taken else False
    warnings = compute_import_warnings(tracts, report) if report is not None else []
    for warning in warnings:
        st.warning(plain(warning))
    confirmed = st.checkbox("Save anyway", key="save_anyway") if warnings else True
    if st.button("Save dataset and use it", key="save_dataset", type="primary"):
        if report is None or not name:
            st.warning("Give the dataset a name; saving needs tracts and at least one accepted provider.")
            st.stop()
        if not confirmed:
            st.warning("Read the warnings above, then tick 'Save anyway' to save this dataset as it is.")
            st.stop()
        sources = {"tracts": PENDING_TRACTS_SOURCE.get() or "", "providers": report.summary()}
        try:
            extra = {}
            if travel is not None:
                from gapmap.ui.travel import travel_frame

                table, about = travel_frame(travel, tracts, report.accepted)
                router = travel.times.router
                extra = {"travel_times": table, "travel_about": about, "roads": router.net if router is not None else None}
                sources["travel_times"] = travel.summary()
            key = save_dataset(
                loaders.DATASETS_DIR, name, tracts, report.accepted, sources, replace, report.about(), report.rejected, **extra
            )
        except GapmapError as exc:
            render_error(exc, "save the dataset")
        else:
            switch_region(key)
            st.rerun()
    if not ready:
        st.caption("Saving needs tracts and at least one accepted provider.")


def render_saved_datasets() -> None:
    """Rename or delete a saved dataset (deleting asks to be confirmed). The data in use follows a
    rename, and falls back to the demo when it is deleted."""
    saved = list_datasets(loaders.DATASETS_DIR)
    if not saved:
        st.caption("No saved datasets yet.")
        return
    key = st.selectbox("Dataset", list(saved), format_func=lambda k: saved[k], key="manage_dataset")
    if key is None:
        return
    c1, c2 = st.columns([3, 1])
    new_name = c1.text_input("New name", value=saved[key], key=f"rename_{key}", max_chars=MAX_NAME_CHARS)
    if c2.button("Rename", key="rename_dataset") and new_name.strip() and new_name.strip() != saved[key]:
        try:
            new_key = rename_dataset(loaders.DATASETS_DIR, key, new_name)
        except GapmapError as exc:
            render_error(exc, "rename the dataset")
        else:
            if REGION.get() == key:
                switch_region(new_key)
            st.rerun()
    sure = st.checkbox(f"Yes, delete {plain(saved[key])} and its files", key=f"delete_sure_{key}")
    if st.button("Delete this dataset", key="delete_dataset", disabled=not sure, type="secondary"):
        try:
            delete_dataset(loaders.DATASETS_DIR, key)
        except GapmapError as exc:
            render_error(exc, "delete the dataset")
        else:
            if REGION.get() == key:
                switch_region("demo")
            st.rerun()
