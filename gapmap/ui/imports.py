"""Widgets of a provider import on the Your data page: the value mapping table and the import report."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st
from census.core import ACS5Client
from streamlit_folium import st_folium

from gapmap.errors import GapmapError
from gapmap.outputs.export import to_csv_bytes
from gapmap.sources.census import KEY_HELP
from gapmap.sources.files import UserFile, display_name
from gapmap.sources.geography import STATES, fetch_region, read_tracts
from gapmap.sources.provider_steps import OPTIONS, VALUE_FIELDS
from gapmap.sources.providers import ProviderImport, import_choices, read_value_mapping
from gapmap.ui import loaders
from gapmap.ui.loaders import census_key, load_region, read_upload, region_options
from gapmap.ui.state import KEYS
from gapmap.ui.widgets import plain, render_error

__all__ = ["render_value_mapping", "render_import_report", "render_tract_sources", "OPTION_LABELS"]

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
    d2.download_button(
        "Download the value mapping (JSON)",
        report.value_mapping_json,  # made when clicked
        file_name="gapmap_value_mapping.json",
        mime="application/json",
        key="dl_value_mapping",
        help="Load it next time under 'What the values mean', or give it to the command line with --values-file.",
    )
    if len(report.rejected):
        st.markdown("**Rejected rows**, with the reason for each")
        shown = report.rejected.assign(reason=report.rejected["reason"].map(for_this_page))
        st.dataframe(shown, hide_index=True, width="stretch", column_order=["row", "reason", *[c for c in shown.columns if c not in ("row", "reason")]])
        d1.download_button("Download the rejected rows (CSV)", to_csv_bytes(report.rejected), file_name="rejected_rows.csv", mime="text/csv", key="dl_rejected")
    st.markdown("**Preview of the providers**")
    with_rejected = st.checkbox("Also show the rejected rows that have coordinates", key="preview_rejected", disabled=not len(report.rejected_points))
    from gapmap.viz.maps import build_provider_preview_map

    fmap = build_provider_preview_map(report.accepted, report.rejected_points if with_rejected else None, privacy=privacy)
    st_folium(fmap, key="import_preview", returned_objects=[], height=380, use_container_width=True)


def render_tract_sources():
    """The three ways to tracts (fetch from the Census Bureau, upload a file, the tracts of the demo or a
    saved dataset); what arrives waits in the session until saved. Returns the tracts waiting, or None."""
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
                tracts, path = fetch_region(state, wanted, int(year), key, loaders.new_http_session(), loaders.CACHE_DIR / "regions", progress)
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
                st.session_state[KEYS.pending_tracts_source] = f"uploaded {display_name(up.name)}"
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
    return tracts
