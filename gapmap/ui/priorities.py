"""The Priorities page's panels: the weights, the ranked table and its downloads."""

from __future__ import annotations

import json

import streamlit as st

from gapmap import schema as S
from gapmap.analysis.ranking import COMPONENT_LABELS, COMPONENTS, CONFIDENT_RULES, PRESETS, RankWeights, implied_band, preset_label
from gapmap.errors import ParameterError
from gapmap.outputs.export import to_priority_bytes
from gapmap.outputs.report import to_report_html
from gapmap.ui.state import (
    BAND,
    BAND_NOTE,
    CONFIDENT_FIRST,
    PRESET,
    PRIVACY,
    SCENARIO_CHANGES,
    TOP_N,
    View,
    set_weight,
    weight,
    weight_or_none,
)
from gapmap.ui.widgets import FILE_KINDS, render_downloads, term_help

__all__ = ["render_weights", "render_priority_downloads"]


def _apply_preset() -> None:
    """The preset's weights on the sliders; a preset made for one age band (infant/toddler focus: ages 0-2)
    switches the sidebar's band to it, and says so."""
    preset = PRESETS[PRESET.get() or "balanced"]
    for name in COMPONENTS:
        set_weight(name, float(getattr(preset, name)))
    implied = implied_band(PRESET.get() or "balanced")
    if implied is not None and BAND.get() != implied:
        BAND.set(implied)
        BAND_NOTE.set(
            f"The {preset_label(PRESET.get() or 'balanced')} preset ranks {S.BANDS[implied].label.lower()}: the age band is now {S.BANDS[implied].short}."
        )


def render_weights(view: View, n_tracts: int) -> tuple[RankWeights, int]:
    """The preset, how many tracts, the down-weighting and the weight sliders: the weights and the number
    of tracts to show (an all-zero set of weights says so and stops the page). Preset, weights and the
    number of tracts come from the link the page was opened with, when it has them."""
    if PRESET.get() is None:
        PRESET.set("balanced")
    preset = PRESETS[PRESET.get() or "balanced"]
    for name in COMPONENTS:  # a weight the link did not give is the preset's
        if weight_or_none(name) is None:
            set_weight(name, float(getattr(preset, name)))
    note = BAND_NOTE.get()
    if note:
        BAND_NOTE.clear()
        st.info(note)
    TOP_N.set(min(max(1, int(TOP_N.get() or min(25, n_tracts))), n_tracts))
    c1, c2, c3 = st.columns([2, 1, 1])
    c1.selectbox(
        "Start from a preset",
        list(PRESETS),
        key=PRESET.key,
        on_change=_apply_preset,
        format_func=preset_label,
        help=term_help("Infant/toddler focus ranks the 0-2 band: choosing it switches the age band to 0-2.", "Priority score"),
    )
    top = int(c2.number_input("How many tracts", 1, n_tracts, step=5 if n_tracts >= 10 else 1, key=TOP_N.key))
    down = c3.checkbox(
        "Down-weight unreliable estimates",
        key="down_weight",
        help=term_help(
            "Scores of tracts whose children estimate has a CV (coefficient of variation) above 0.40 are halved.", "Reliability (CV)"
        ),
    )
    first = st.selectbox(
        "Rank confident deserts first",
        ["", *CONFIDENT_RULES],
        key=CONFIDENT_FIRST.key,
        format_func=lambda r: "No: by score alone" if not r else f"Yes: {CONFIDENT_RULES[r]} (a chance of 90% or more)",
        help=term_help(
            "A tract's chance of being a desert comes from many draws of its children within the ACS margin of error. "
            "Tracts that are deserts in 90% or more of the draws come first, each group in score order.",
            "Desert chance (how sure)",
        ),
    )
    with st.expander("Weights", expanded=True):
        for col, (name, text) in zip(st.columns(len(COMPONENTS)), COMPONENTS.items()):
            col.slider(COMPONENT_LABELS[name], 0.0, 1.0, step=0.05, key=f"w_{name}", help=term_help(text, "Priority score"))
    try:
        weights = RankWeights(
            unmet_need=weight("unmet_need"),
            access_gap=weight("access_gap"),
            desert=weight("desert"),
            poverty=weight("poverty"),
            working_parents=weight("working_parents"),
            band=view.band,
            unreliable_factor=0.5 if down else 1.0,
            confident_first=first or "",
        )
    except ParameterError as exc:  # all-zero weights: say so and stop
        st.warning(str(exc))
        st.stop()
    return weights, top


def render_priority_downloads(result, ranked, areas, weights: RankWeights, top: int, about: dict, label: str) -> None:
    """The priority list as CSV, Excel, GeoJSON and GeoPackage, and the printable summary."""
    scenario = SCENARIO_CHANGES.get()
    privacy = bool(PRIVACY.get())
    st.markdown("**Download**")
    files = [
        (
            f"Priorities: {FILE_KINDS[suffix]}",
            lambda suffix=suffix: to_priority_bytes(suffix, result, ranked, weights, top, about, scenario, privacy),
            f"gapmap_priorities{suffix}",
            f"dl_priorities{suffix}",
        )
        for suffix in (".csv", ".zip", ".xlsx", ".geojson", ".gpkg")
    ]
    report = (
        "Printable summary",
        lambda: to_report_html(result, ranked, areas, about | {"_weights": weights}, f"Child care priorities: {label}", min(top, 10)),
        "gapmap_summary.html",
        "dl_report",
    )
    token = (
        about.get("data"),
        result.params,
        weights,
        top,
        about.get("preset"),
        json.dumps(scenario, sort_keys=True, default=str),
        privacy,
    )
    render_downloads([*files, report], token)
