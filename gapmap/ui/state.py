"""Session-state keys and the URL: the current view (region, band, measure, parameters) lives in
``st.query_params`` so that a view can be shared as a link."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from gapmap import schema as S
from gapmap.config import DECAYS, DEFAULT_PARAMS, AnalysisParams
from gapmap.viz.measures import MEASURES

__all__ = ["KEYS", "View", "init_state", "current_view", "sync_query_params", "REGIONS"]

#: Regions the sidebar offers (key -> label). Only the demo for now.
REGIONS = {"demo": "Demo region (synthetic demo data)"}


class KEYS:
    region = "region"
    band = "band"
    measure = "measure"
    utilization = "utilization"
    catchment_km = "catchment_km"
    decay = "decay"
    privacy = "privacy"
    show_providers = "show_providers"
    selected_geoid = "selected_geoid"
    tract_map = "tract_map"


_DEFAULTS = {
    KEYS.region: "demo",
    KEYS.band: "under_5",
    KEYS.measure: "osu_class",
    KEYS.utilization: DEFAULT_PARAMS.utilization,
    KEYS.catchment_km: DEFAULT_PARAMS.catchment_km,
    KEYS.decay: DEFAULT_PARAMS.decay,
}
_ALLOWED = {KEYS.region: set(REGIONS), KEYS.band: set(S.BANDS), KEYS.measure: set(MEASURES), KEYS.decay: set(DECAYS)}
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
    if key in _ALLOWED:
        return raw if raw in _ALLOWED[key] else None
    if key in _FLOATS:
        try:
            value = float(raw)
        except ValueError:
            return None
        lo, hi = _FLOATS[key]
        return value if lo <= value <= hi else None
    return None


def init_state() -> None:
    """Fill missing session-state keys from the URL, else from the defaults (once per session)."""
    for key, default in _DEFAULTS.items():
        if key not in st.session_state:
            from_url = _from_url(key)
            st.session_state[key] = from_url if from_url is not None else default


def current_view() -> View:
    """The view the widgets (or the URL, or the defaults) describe."""
    init_state()
    ss = st.session_state
    params = DEFAULT_PARAMS.replace(
        utilization=float(ss[KEYS.utilization]), catchment_km=float(ss[KEYS.catchment_km]), decay=ss[KEYS.decay]
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
