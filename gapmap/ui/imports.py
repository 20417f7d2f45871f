"""Widgets of a provider import on the Your data page: the value mapping table and the import report."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from gapmap.errors import GapmapError
from gapmap.sources.files import UserFile
from gapmap.sources.provider_steps import VALUE_FIELDS
from gapmap.sources.providers import ProviderImport, import_choices, read_value_mapping
from gapmap.ui.widgets import plain, render_error

__all__ = ["render_value_mapping", "render_import_report", "OPTION_LABELS"]

#: The core's neutral option names -> this page's controls.
OPTION_LABELS = {
    "the 'fix swapped coordinates' option": "'Fix swapped coordinates' under Column mapping and options",
    "the 'geocode addresses' option": "'Geocode addresses' under Column mapping and options",
    "the 'keep inactive' option": "'Keep providers that are not operating' under Column mapping and options",
    "the 'coordinate system' option": "'Coordinate system of projected X/Y columns' under Column mapping and options",
    "(the value mapping)": "(the value table under 'What the values mean')",
}
_FIELD_LABELS = {"type": "Provider type", "funding": "Funding", "status": "License status"}


def for_this_page(text: str) -> str:
    for words, label in OPTION_LABELS.items():
        text = text.replace(words, label)
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
        d1.download_button("Download the rejected rows (CSV)", report.rejected_csv_bytes, file_name="rejected_rows.csv", mime="text/csv", key="dl_rejected")
    st.markdown("**Preview of the providers**")
    with_rejected = st.checkbox("Also show the rejected rows that have coordinates", key="preview_rejected", disabled=not len(report.rejected_points))
    from gapmap.viz.maps import build_provider_preview_map

    fmap = build_provider_preview_map(report.accepted, report.rejected_points if with_rejected else None, privacy=privacy)
    st_folium(fmap, key="import_preview", returned_objects=[], height=380, use_container_width=True)
