"""Widgets shared by the pages: the sidebar, the synthetic-data badge, error display, downloads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import streamlit as st

from gapmap import __version__
from gapmap import schema as S
from gapmap.config import DECAYS, DEFAULT_PARAMS
from gapmap.errors import GapmapError
from gapmap.glossary import FIGURES
from gapmap.outputs.export import to_bundle_bytes, to_csv_bytes
from gapmap.sources.demo import DEMO_LABEL
from gapmap.ui import loaders
from gapmap.ui.loaders import region_options
from gapmap.ui.state import (
    DOWNLOADS,
    KEYS,
    PINNED_DOWNLOADS,
    PRIVACY,
    REGION,
    TRAVEL_WEIGHTINGS,
    View,
    carry_over_widget_state,
    current_view,
    init_state,
    sync_query_params,
    view_link,
)
from gapmap.viz.measures import MEASURES

#: Served by Streamlit itself (a Material icon would make the browser fetch it from Google).
FAVICON = str(Path(__file__).with_name("assets") / "favicon.png")

__all__ = [
    "start_page",
    "render_downloads",
    "MIME",
    "metrics_or_stop",
    "FAVICON",
    "render_sidebar",
    "render_data_badge",
    "render_error",
    "render_download",
    "about_view",
    "plain",
    "number_formats",
    "show_table",
    "download_button",
    "pin_downloads",
    "term_help",
    "plain_lines",
    "render_import_summary",
]


def render_sidebar() -> View:
    """Region, age band, map measure and method settings. Returns the resulting view."""
    carry_over_widget_state()  # drawn from app.py or from a page (ensure_frame): same values either way
    init_state()
    with st.sidebar:
        options = region_options()
        if REGION.get() not in options:  # a dataset deleted on disk
            REGION.set("demo")
        st.selectbox(
            "Data",
            list(options),
            format_func=lambda k: options[k],
            key=KEYS.region,
            help="Every page uses this data. The demo region is synthetic; add your own on the Your data page.",
        )
        st.radio(
            "Age band",
            list(S.BANDS),
            format_func=lambda b: S.BANDS[b].label,
            key=KEYS.band,
            help=term_help("Every page, table and file shows this band's children and slots.", "Age bands"),
        )
        st.selectbox(
            "Map measure",
            list(MEASURES),
            format_func=lambda m: MEASURES[m].label,
            key=KEYS.measure,
            help=term_help("What the map colours tracts by.", FIGURES),
        )
        from gapmap.ui.loaders import load_travel_source

        travel = load_travel_source(REGION.get() or "demo")
        if travel:
            st.radio(
                "Measure access by",
                ["travel_time", "distance"],
                format_func=lambda k: {"travel_time": "Travel time on the road", "distance": "Straight-line distance"}[k],
                key=KEYS.access_by,
                help=term_help(
                    f"This data has travel times ({plain(travel)}): access counts the providers within minutes on the road, "
                    "weighted by time band. Straight-line distance uses the catchment in km below instead.",
                    "Travel time",
                ),
            )
            st.selectbox(
                "Travel-time weighting",
                list(TRAVEL_WEIGHTINGS),
                format_func=lambda k: TRAVEL_WEIGHTINGS[k][0],
                key=KEYS.travel_weighting,
                disabled=st.session_state.get(KEYS.access_by) == "distance",
                help=term_help(
                    "How much a provider counts by its minutes away (E2SFCA time bands). Luo & Qi (2009) weights; "
                    "0.03 for 15-30 minutes is gapmap's choice (the same curve at 15 minutes).",
                    "Travel time",
                ),
            )
        with st.expander("Method settings"):
            st.slider(
                "Utilization of licensed capacity",
                0.5,
                1.0,
                step=0.05,
                key=KEYS.utilization,
                help=term_help(
                    "Licensed capacity overstates operating slots (staffing). 1.0 = licensed as is; 0.85 is a published choice.",
                    "Utilization",
                ),
            )
            st.slider(
                "Catchment (km)",
                1.0,
                60.0,
                step=1.0,
                key=KEYS.catchment_km,
                help=term_help(
                    "How far families travel for care in the access measure. NSECE: average trip 7.4 km (under 3), 6.3 km (3-5).",
                    "Catchment",
                ),
            )
            st.toggle(
                "Catchment by place",
                key=KEYS.by_place,
                help=(
                    f"Urban tracts (RUCA 1-3, or 1,000+ people per sq. mile) {DEFAULT_PARAMS.catchment_urban_km:g} km, the NSECE "
                    f"average trip for under-3s; micropolitan (RUCA 4-6) {DEFAULT_PARAMS.catchment_town_km:g} km; small-town and "
                    f"rural {DEFAULT_PARAMS.catchment_rural_km:g} km (gapmap's choices: rural families travel farther). Tracts "
                    "that cannot be classified keep the catchment above."
                ),
            )
            st.selectbox(
                "Distance decay",
                list(DECAYS),
                key=KEYS.decay,
                help=term_help("\n\n".join(f"**{k}**: {v}" for k, v in DECAYS.items()), "Distance decay"),
            )
            st.caption(
                f"Desert rules: CAP = more than {DEFAULT_PARAMS.cap_min_children:g} children and more than "
                f"{DEFAULT_PARAMS.desert_children_per_slot:g} children per slot; OSU extreme desert = at most 1 slot per "
                f"{DEFAULT_PARAMS.extreme_children_per_slot:g} children."
            )
    sync_query_params()
    with st.sidebar:
        render_view_link()
        st.caption(f"gapmap {__version__}")
    return current_view()


def render_view_link() -> None:
    """The address of this view (data, band, measure, parameters, privacy, the clicked tract, the
    ranking's preset, weights and length) with a copy button: whoever opens it sees the same view."""
    with st.expander("Link to this view"):
        st.code(view_link(st.context.url or ""), language=None, wrap_lines=True)
        st.caption("Copy it with the button at its right. It holds no data and no key: only what the view shows.")


def render_data_badge(view: View) -> None:
    """Say, on every page, what data this is."""
    if view.region == "demo":
        st.info(f"**Demo region: {DEMO_LABEL}.** Generated for illustration; no number describes a real place.", icon="ℹ️")
    else:
        from gapmap.sources.datasets import dataset_about

        about = dataset_about(loaders.DATASETS_DIR, view.region)
        sources = "; ".join(f"{k}: {v}" for k, v in about.get("sources", {}).items())
        st.caption(f"Data: **{plain(about.get('name', view.region))}**, saved {plain(about.get('saved', ''))} ({plain(sources)})")


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=&])")


def term_help(text: str, term: str) -> str:
    """A help text that ends with a link to the term on the Glossary page (opened in a new tab, so the
    planner's session stays as it is)."""
    from gapmap.glossary import term_anchor

    return f"{text}\n\n[More: {term}, in Words used here](/glossary#{term_anchor(term)})"


def number_formats(df: pd.DataFrame, given: dict | None = None) -> dict:
    """Column settings that show every number column with thousands separators and at most 3 decimals
    (17,913 and 95.19, never 17913 or 95.19041952707856); ``given`` settings win."""
    out: dict = {}
    for col in df.columns:
        if pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]):
            out[col] = st.column_config.NumberColumn(format="localized")
    out.update(given or {})
    return out


def show_table(df: pd.DataFrame, key: str | None = None, column_config: dict | None = None, **kwargs) -> None:
    """A table as every page shows one: the full width, no index, numbers formatted (:func:`number_formats`)."""
    st.dataframe(df, hide_index=True, width="stretch", key=key, column_config=number_formats(df, column_config), **kwargs)


def plain(text: object) -> str:
    """User text (a file, dataset, region or column name, a message quoting a cell) made safe for
    Streamlit markdown: every markdown character is backslash-escaped, so it shows as the text it is and
    never as a heading, link, image, LaTeX or coloured span. Line breaks become spaces."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def plain_lines(text: object) -> str:
    """:func:`plain`, keeping the line breaks (as markdown hard breaks)."""
    return "  \n".join(plain(line) for line in str(text).splitlines() if line.strip())


def render_import_summary(view: View) -> None:
    """For a saved dataset: how its provider list was imported, with its rejected rows to download."""
    if view.region == "demo":
        return
    from gapmap.sources.datasets import dataset_about, read_dataset_rejected

    about = dataset_about(loaders.DATASETS_DIR, view.region).get("import")
    if not about:
        return
    line = (
        f"Provider import: {about['rows_read']:,} rows read from {plain(about.get('file', 'the file'))}, {about['accepted']:,} accepted, "
        f"{about['rejected']:,} rejected" + (f" ({about['not_operating']:,} not operating)" if about.get("not_operating") else "") + "."
    )
    from gapmap.metrics.supply import WARN_REJECTED_SHARE

    with st.expander(line, expanded=about["rejected"] / max(about["rows_read"], 1) > WARN_REJECTED_SHARE):
        for note in about.get("notes", []):
            st.caption(plain(note))
        if about["rejected"]:
            rejected = read_dataset_rejected(loaders.DATASETS_DIR, view.region)
            download_button(
                st, "Download the rejected rows (CSV)", to_csv_bytes(rejected), f"rejected_{view.region}.csv", "dl_dataset_rejected"
            )


def render_error(exc: GapmapError | str, doing: str = "") -> None:
    """Show a gapmap error as a planner can act on it: what failed, the details, what to do next.
    The message is shown as text (markdown in a file name or cell never renders)."""
    head = f"Could not {plain(doing)}." if doing else "Something in the data needs attention."
    st.error(f"**{head}**\n\n{plain_lines(exc)}\n\nFix the file or setting named above, or switch to the demo region.")


def metrics_or_stop(view: View):
    """The metrics of the current view, or an error message and a stopped page."""
    from gapmap.ui.loaders import load_metrics

    try:
        result = load_metrics(view.region, view.params)
    except GapmapError as exc:
        render_error(exc, "compute the metrics of this region")
        st.stop()
    if view.band not in result.bands:
        band = S.BANDS[view.band]
        st.warning(
            f"This data has no `{band.children}` column, so the {band.short} band cannot be shown. Choose another age band in the sidebar."
        )
        st.stop()
    return result


def about_view(view: View) -> dict[str, object]:
    """Where a downloaded table came from and with which parameters."""
    from gapmap.glossary import describe_params, describe_privacy

    return {
        "Data": f"{region_options().get(view.region, view.region)}.",
        "Made by": f"gapmap {__version__}.",
        "Age band": f"The figures are for {S.BANDS[view.band].label.lower()}.",
        **describe_params(view.params, _travel_of(view)),
        **_about_chance(view),
        "Privacy": describe_privacy(bool(PRIVACY.get())),
    }


def _travel_of(view: View) -> str | None:
    """Where the view's travel times came from, when its access is measured on them."""
    from gapmap.ui.loaders import load_travel_source

    if view.params.access_by != "travel_time":
        return None
    try:
        return load_travel_source(view.region)
    except GapmapError:
        return None


def _about_chance(view: View) -> dict[str, object]:
    """The desert chance's sentence, when the view's metrics have it."""
    from gapmap.ui.loaders import load_chance_about

    try:
        sentence = load_chance_about(view.region, view.params)
    except GapmapError:
        return {}
    return {"Desert chance": sentence} if sentence else {}


#: The element coordinates under which :func:`pin_downloads` registers a button's file (not an element's).
PIN_COORDINATES = "gapmap.pinned-download."


def pin_downloads(pins: dict[str, tuple[bytes, str, str]] | None = None, manager=None) -> None:
    """Register again every file a download button of this session shows, before anything else runs.

    Why: each run starts by dropping the session's file references and ends by collecting files no
    reference holds; a downloadable file goes when two runs in a row end without it. A run stopped early
    by a new rerun request (a map's first value, a second click) ends before the page reaches its buttons,
    while the browser still shows the buttons of the last whole run: two such runs and a click answers 404
    ("canceled"). Pinned here, under coordinates of their own, the files outlive any run that stops early;
    a file replaced under the same key is collected as before. ``pins`` and ``manager`` default to the
    session's and the runtime's (tests pass their own)."""
    if manager is None:
        from streamlit import runtime

        if not runtime.exists():  # AppTest and bare mode: no media files to keep
            return
        manager = runtime.get_instance().media_file_mgr
    for key, (data, mime, file_name) in (PINNED_DOWNLOADS.value() if pins is None else pins).items():
        manager.add(data, mime, PIN_COORDINATES + key, file_name=file_name, is_for_static_download=True)


def download_button(container, label: str, data: bytes, file_name: str, key: str, mime: str | None = None, help: str | None = None) -> None:
    """A download button whose file is pinned (:func:`pin_downloads`); clicking it does not rerun the page.
    Every download of the app goes through here."""
    mime = mime or MIME.get(file_name[file_name.rfind(".") :], "application/octet-stream")
    PINNED_DOWNLOADS.value()[key] = (data, mime, file_name)
    container.download_button(label, data, file_name=file_name, mime=mime, key=key, on_click="ignore", help=help)


@st.cache_data(show_spinner=False, max_entries=32)
def _table_files(df, about: Mapping[str, object], stem: str) -> tuple[bytes, bytes]:
    """A table's CSV and ZIP, made once per table content (a state's tract table takes a quarter of a
    second to write; a rerun that changes only the map's colours keeps the same table)."""
    return to_csv_bytes(df), to_bundle_bytes({stem: df}, about, stem)


def render_download(label: str, df, file_name: str, view: View, key: str) -> None:
    """A table as a CSV (header on line 1) and as a ZIP of the CSV with a note of where it came from."""
    stem = file_name.removesuffix(".csv")
    about = about_view(view)
    csv, bundle = _table_files(df, about, stem)
    c1, c2 = st.columns(2)
    download_button(c1, label, csv, file_name, key)
    download_button(
        c2,
        "With where it came from (ZIP)",
        bundle,
        stem + ".zip",
        key + "_zip",
        help="The CSV and a text file naming the data, the age band and every parameter behind the figures.",
    )


#: MIME types of the files gapmap hands out, by suffix.
MIME = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".geojson": "application/geo+json",
    ".gpkg": "application/geopackage+sqlite3",
    ".html": "text/html",
    ".json": "application/json",
    ".zip": "application/zip",
}


#: How a download button names each kind of file.
FILE_KINDS = {
    ".csv": "CSV",
    ".zip": "CSV + where it came from (ZIP)",
    ".xlsx": "Excel workbook",
    ".geojson": "Map file (GeoJSON)",
    ".gpkg": "GIS file (GeoPackage)",
    ".html": "Printable summary",
}


def start_page(title: str, *, import_summary: bool = False):
    """The start of every page that shows an analysis: frame, view, title (``{band}`` becomes the band,
    e.g. "Simulate, ages {band}"; ``{measure}`` the map measure), the data badge, and the metrics (or a message and a stopped page).
    Returns ``(view, result)``."""
    from gapmap.ui.frame import ensure_frame

    ensure_frame()
    view = current_view()
    st.title(title.format(band=S.BANDS[view.band].short, measure=MEASURES[view.measure].label_for(None)))
    render_data_badge(view)
    if import_summary:
        render_import_summary(view)
    return view, metrics_or_stop(view)


def render_downloads(items, token: object) -> None:
    """Download buttons, three to a row. ``items``: (label, make_bytes, file name, widget key). ``token`` names
    everything the files depend on (the view, the page's options): a file is made once per token and
    kept in the session, so reruns that change nothing (a map pan, another download) do not make it again.

    Every button gets its bytes, never a callable: Streamlit 1.67 drops a deferred (callable) download's
    id when the page reruns, so a click after any rerun answered "Deferred file ... not found" and no file
    arrived. Each file is pinned (:func:`pin_downloads`), so a run stopped early cannot take it away from
    a button still on screen. Clicking does not rerun the page (``on_click="ignore"``)."""
    items = list(items)
    made = DOWNLOADS.value()
    per_row = 3  # so a button's label shows whole at 1400 px
    cols = [c for start in range(0, len(items), per_row) for c in st.columns(per_row)][: len(items)]
    for col, (label, make, file_name, key) in zip(cols, items):
        kept = made.get(key)
        if kept is None or kept[0] != token:
            kept = (token, make())
            made[key] = kept
        download_button(col, label, kept[1], file_name, key)
