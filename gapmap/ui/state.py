"""Session-state keys and the URL: the current view (region, band, measure, parameters) lives in
``st.query_params`` so that a view can be shared as a link."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from gapmap import schema as S
from gapmap.config import DECAYS, DEFAULT_PARAMS, AnalysisParams
from gapmap.viz.measures import MEASURES

__all__ = ["KEYS", "View", "init_state", "carry_over_widget_state", "current_view", "sync_query_params", "switch_region"]


class KEYS:
    region = "region"
    band = "band"
    measure = "measure"
    utilization = "utilization"
    catchment_km = "catchment_km"
    by_place = "catchment_by_place"
    decay = "decay"
    privacy = "privacy"
    show_providers = "show_providers"
    selected_geoid = "selected_geoid"
    tract_map = "tract_map"
    next_region = "_gapmap_next_region"
    pending_tracts = "_gapmap_pending_tracts"
    pending_tracts_source = "_gapmap_pending_tracts_source"


_DEFAULTS = {
    KEYS.region: "demo",
    KEYS.band: "under_5",
    KEYS.measure: "osu_class",
    KEYS.utilization: DEFAULT_PARAMS.utilization,
    KEYS.catchment_km: DEFAULT_PARAMS.catchment_km,
    KEYS.by_place: DEFAULT_PARAMS.catchment_by_place,
    KEYS.decay: DEFAULT_PARAMS.decay,
}
_ALLOWED = {KEYS.band: set(S.BANDS), KEYS.measure: set(MEASURES), KEYS.decay: set(DECAYS)}
_FLOATS = {KEYS.utilization: (0.5, 1.0), KEYS.catchment_km: (1.0, 60.0)}


@dataclass(frozen=True)
class View:
    region: str
    band: str
    measure: str
    params: AnalysisParams


def _from_url(key: str):
    raw = st.query_params.get(key)
    if raw is None:
        return None
    if key == KEYS.region:
        from gapmap.ui.loaders import region_options

        return raw if raw in region_options() else None
    if key in _ALLOWED:
        return raw if raw in _ALLOWED[key] else None
    if key == KEYS.by_place:
        return {"True": True, "False": False}.get(raw)
    if key in _FLOATS:
        try:
            value = float(raw)
        except ValueError:
            return None
        lo, hi = _FLOATS[key]
        return value if lo <= value <= hi else None
    return None


def switch_region(region: str) -> None:
    """Make ``region`` the data source from the next run on (the sidebar widget owns the key now)."""
    st.session_state[KEYS.next_region] = region
    st.session_state.pop(KEYS.selected_geoid, None)


def carry_over_widget_state() -> None:
    """Re-assign the sidebar's values, so widgets drawn from another script keep them (Streamlit resets
    a keyed widget whose id changed unless its value was set through ``st.session_state``)."""
    for key in _DEFAULTS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def init_state() -> None:
    """Fill missing session-state keys from the URL, else from the defaults (once per session)."""
    if KEYS.next_region in st.session_state:
        st.session_state[KEYS.region] = st.session_state.pop(KEYS.next_region)
    for key, default in _DEFAULTS.items():
        if key not in st.session_state:
            from_url = _from_url(key)
            st.session_state[key] = from_url if from_url is not None else default


def current_view() -> View:
    """The view the widgets (or the URL, or the defaults) describe."""
    init_state()
    ss = st.session_state
    params = DEFAULT_PARAMS.replace(
        utilization=float(ss[KEYS.utilization]),
        catchment_km=float(ss[KEYS.catchment_km]),
        decay=ss[KEYS.decay],
        catchment_by_place=bool(ss[KEYS.by_place]),
    )
    return View(ss[KEYS.region], ss[KEYS.band], ss[KEYS.measure], params)


def sync_query_params() -> None:
    """Write the current view into the URL (only the keys that differ from the defaults)."""
    ss = st.session_state
    for key, default in _DEFAULTS.items():
        value = ss.get(key, default)
        if value == default:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)
