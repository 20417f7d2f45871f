"""The session, typed: every read and write of ``st.session_state`` goes through this module.

The current view (region, band, measure, parameters) lives in ``st.query_params`` so that a view can be
shared as a link (:func:`current_view`, :func:`sync_query_params`). Everything else a page keeps between
runs is a :class:`Slot`, a typed accessor of one session key (``PENDING_TRACTS.get()``,
``SELECTED_GEOID.set(geoid)``); widget keys are the strings of :class:`KEYS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import streamlit as st

from gapmap import schema as S
from gapmap.analysis.ranking import COMPONENTS, PRESETS
from gapmap.config import DECAYS, DEFAULT_PARAMS, AnalysisParams
from gapmap.regions.equity import DESERT_RULES
from gapmap.viz.measures import MEASURES

__all__ = [
    "KEYS",
    "View",
    "Slot",
    "init_state",
    "carry_over_widget_state",
    "current_view",
    "sync_query_params",
    "switch_region",
    "is_new",
    "forget",
    "weight",
    "weight_or_none",
    "BAND",
    "BAND_NOTE",
    "view_link",
    "TOP_N",
    "COMPARE_SET",
    "COMPARE_SHARE",
    "SCENARIO_LINK_PROBLEM",
    "NOTICE",
    "take_widget_value",
    "set_weight",
    "PENDING_TRACTS",
    "PENDING_TRACTS_SOURCE",
    "SELECTED_GEOID",
    "TRACT_MAP_VALUE",
    "SCENARIO_CHANGES",
    "CUSTOM_REGIONS",
    "RUCA_CODES",
    "IN_FRAME",
    "CENSUS_KEY",
    "CENSUS_KEY_PROBLEM",
    "DOWNLOADS",
    "PRIVACY",
    "PRIVACY_DEFAULT",
    "REGION",
    "PRESET",
    "SITE_LAT",
    "SITE_LON",
    "KEPT_SCENARIOS",
    "PINNED_DOWNLOADS",
    "COMPARED_SCENARIOS",
    "SUGGEST_BAND",
    "map_view_slots",
]


class KEYS:
    region = "region"
    band = "band"
    measure = "measure"
    utilization = "utilization"
    catchment_km = "catchment_km"
    by_place = "catchment_by_place"
    decay = "decay"
    access_by = "access_by"
    travel_weighting = "travel_weighting"
    privacy = "privacy"
    show_providers = "show_providers"
    selected_geoid = "selected_geoid"
    tract_map = "tract_map"
    next_region = "_gapmap_next_region"
    pending_tracts = "_gapmap_pending_tracts"
    pending_tracts_source = "_gapmap_pending_tracts_source"
    scenario_changes = "scenario_changes"
    custom_regions = "custom_region_set"
    ruca_codes = "ruca_codes"
    in_frame = "_gapmap_in_frame"
    preset = "preset"
    site_lat = "site_lat"
    site_lon = "site_lon"
    seen = "_gapmap_seen"
    compare_set = "compare_set"
    compare_preset = "compare_preset"
    compare_share = "compare_share"
    compare_rule = "compare_rule"
    top_n = "top_n"
    confident_first = "confident_first"
    url_read = "_gapmap_url_read"
    census_key = "_gapmap_census_key"
    downloads = "_gapmap_downloads"


T = TypeVar("T")


class Slot(Generic[T]):
    """A typed accessor of one session-state key."""

    def __init__(self, key: str, default: Callable[[], T] | None = None) -> None:
        self.key = key
        self._default = default

    def get(self) -> T | None:
        """The value, or the default (None when the slot has none) when nothing is stored."""
        if self.key in st.session_state:
            return st.session_state[self.key]
        return self._default() if self._default is not None else None

    def value(self) -> T:
        """The value, storing the default first when nothing is stored (a slot with a default only)."""
        if self.key not in st.session_state:
            if self._default is None:
                raise KeyError(self.key)
            st.session_state[self.key] = self._default()
        return st.session_state[self.key]

    def set(self, value: T) -> None:
        st.session_state[self.key] = value

    def setdefault(self, value: T) -> T:
        if self.key not in st.session_state:
            st.session_state[self.key] = value
        return st.session_state[self.key]

    def clear(self) -> None:
        st.session_state.pop(self.key, None)


#: Tracts read or fetched on the Your data page, waiting for a provider list; and where they came from.
PENDING_TRACTS: Slot[Any] = Slot(KEYS.pending_tracts)
PENDING_TRACTS_SOURCE: Slot[str] = Slot(KEYS.pending_tracts_source)
#: The travel times made or uploaded on Your data, with a token of the tracts and providers they were checked against.
PENDING_TRAVEL: Slot[tuple[Any, str]] = Slot("_gapmap_pending_travel")
#: The tract clicked on the Map page.
SELECTED_GEOID: Slot[str] = Slot(KEYS.selected_geoid)
#: What the Map page's map component last said (its widget value): the last click ``{"geoid", "click"}``
#: and, for a split layer, the ``"tiles"`` in view.
TRACT_MAP_VALUE: Slot[dict] = Slot(KEYS.tract_map, dict)
#: The Simulate page's scenario: its changes, as dicts of the scenario JSON.
SCENARIO_CHANGES: Slot[list[dict]] = Slot(KEYS.scenario_changes, list)
#: Scenarios kept on the Simulate page to compare side by side: name -> changes (this session only).
KEPT_SCENARIOS: Slot[dict[str, list[dict]]] = Slot("_gapmap_kept_scenarios", dict)
#: A region set uploaded on the Compare page, and RUCA codes by tract.
CUSTOM_REGIONS: Slot[Any] = Slot(KEYS.custom_regions)
RUCA_CODES: Slot[Any] = Slot(KEYS.ruca_codes)
#: Files made for the download buttons: widget key -> (what they were made from, bytes).
DOWNLOADS: Slot[dict[str, tuple[object, bytes]]] = Slot(KEYS.downloads, dict)
#: The last side-by-side table of kept scenarios, with what it was made from: (token, table).
COMPARED_SCENARIOS: Slot[tuple[object, Any]] = Slot("_gapmap_compared_scenarios")
#: The age band the site suggestions are for (starts as the page's).
SUGGEST_BAND: Slot[str] = Slot("suggest_band")
#: Every file a download button shows: widget key -> (bytes, MIME type, file name). Registered again
#: first thing in each run (see gapmap.ui.widgets.pin_downloads), so a run stopped early cannot orphan them.
PINNED_DOWNLOADS: Slot[dict[str, tuple[bytes, str, str]]] = Slot("_gapmap_pinned_downloads", dict)
#: A Census API key entered on the Your data page: this session's memory only (never in a widget, the URL,
#: a log or a file; see gapmap.ui.loaders.census_key).
CENSUS_KEY: Slot[str] = Slot(KEYS.census_key)
#: Why the last key entered was refused (shown once, next to the field).
CENSUS_KEY_PROBLEM: Slot[str] = Slot(KEYS.census_key + "_problem")
#: Whether app.py framed this run (see :func:`gapmap.ui.frame.ensure_frame`).
IN_FRAME: Slot[bool] = Slot(KEYS.in_frame, lambda: False)
#: Privacy mode starts on: a family child care home is a residence, and many states keep its address
#: confidential, so a shared server shows and exports no home's location until a planner turns it off.
#: A link says privacy=False only when the sender turned it off.
PRIVACY_DEFAULT = True
#: Widget values other code reads: privacy mode, the data source, the ranking preset, a new site's point.
PRIVACY: Slot[bool] = Slot(KEYS.privacy, lambda: PRIVACY_DEFAULT)
REGION: Slot[str] = Slot(KEYS.region)
PRESET: Slot[str] = Slot(KEYS.preset)
TOP_N: Slot[int] = Slot(KEYS.top_n)
#: The Priorities page's "confident deserts first" rule ("" for none).
CONFIDENT_FIRST: Slot[str] = Slot(KEYS.confident_first)
COMPARE_SET: Slot[str] = Slot(KEYS.compare_set)
COMPARE_SHARE: Slot[float] = Slot(KEYS.compare_share)
#: Why the scenario of the link the app was opened with could not be used (shown on Simulate).
SCENARIO_LINK_PROBLEM: Slot[str] = Slot("_gapmap_scenario_link_problem")
#: What the last change on the Simulate page did (shown until the next change).
NOTICE: Slot[str] = Slot("_gapmap_notice")
BAND: Slot[str] = Slot(KEYS.band)
#: Said once on the next run: why the age band changed (a preset made for one band).
BAND_NOTE: Slot[str] = Slot("_gapmap_band_note")
SITE_LAT: Slot[float] = Slot(KEYS.site_lat)
SITE_LON: Slot[float] = Slot(KEYS.site_lon)


def map_view_slots(prefix: str) -> tuple[Slot[str], Slot[str], Slot[int]]:
    """The view controls of the map ``prefix`` ("map", "sim"): its 'Zoom to' and 'Find a place' widgets,
    and a counter that 'Reset view' raises so the map is drawn anew."""
    return Slot(f"{prefix}_zoom"), Slot(f"{prefix}_find"), Slot(f"_gapmap_{prefix}_view_nonce", lambda: 0)


def is_new(what: str, token: object) -> bool:
    """Whether ``token`` (an upload's name and size, a map click) is new for ``what`` since the last call
    that saw it; remembers it. Pages use it to act on an upload or a click once, not on every rerun."""
    seen: dict[str, object] = st.session_state.setdefault(KEYS.seen, {})
    if seen.get(what) == token:
        return False
    seen[what] = token
    return True


def forget(what: str) -> None:
    """Forget the token :func:`is_new` last saw for ``what``."""
    st.session_state.setdefault(KEYS.seen, {}).pop(what, None)


def take_widget_value(key: str) -> object:
    """A widget's value, emptied in the session (for a callback: a field that must not keep what was typed)."""
    value = st.session_state.get(key)
    st.session_state[key] = ""
    return value


def weight_or_none(name: str) -> float | None:
    """The ranking weight ``name``, or None when no slider or link has set it yet."""
    value = st.session_state.get(f"w_{name}")
    return None if value is None else float(value)


def weight(name: str) -> float:
    """The value of the ranking weight slider ``name``."""
    return float(st.session_state[f"w_{name}"])


def set_weight(name: str, value: float) -> None:
    st.session_state[f"w_{name}"] = float(value)


_DEFAULTS = {
    KEYS.region: "demo",
    KEYS.band: "under_5",
    KEYS.measure: "osu_class",
    KEYS.utilization: DEFAULT_PARAMS.utilization,
    KEYS.catchment_km: DEFAULT_PARAMS.catchment_km,
    KEYS.by_place: DEFAULT_PARAMS.catchment_by_place,
    KEYS.decay: DEFAULT_PARAMS.decay,
    KEYS.access_by: DEFAULT_PARAMS.access_by,
    KEYS.travel_weighting: "bands_30",
}
#: The travel-time weightings the sidebar offers: key -> (label, AnalysisParams fields).
TRAVEL_WEIGHTINGS: dict[str, tuple[str, dict[str, object]]] = {
    "bands_30": (
        "0-5 / 5-10 / 10-15 / 15-30 minutes: 1 / 0.68 / 0.22 / 0.03",
        {"travel_bands": DEFAULT_PARAMS.travel_bands, "travel_weights": DEFAULT_PARAMS.travel_weights, "travel_decay": "bands"},
    ),
    "bands_15": (
        "0-5 / 5-10 / 10-15 minutes: 1 / 0.68 / 0.22 (Lee 2026)",
        {"travel_bands": (5.0, 10.0, 15.0), "travel_weights": (1.0, 0.68, 0.22), "travel_decay": "bands"},
    ),
    "gaussian_30": (
        "Gaussian on minutes, none beyond 30",
        {"travel_bands": DEFAULT_PARAMS.travel_bands, "travel_weights": DEFAULT_PARAMS.travel_weights, "travel_decay": "gaussian"},
    ),
}
_ALLOWED = {
    KEYS.band: set(S.BANDS),
    KEYS.measure: set(MEASURES),
    KEYS.decay: set(DECAYS),
    KEYS.access_by: {"travel_time", "distance"},
    KEYS.travel_weighting: set(TRAVEL_WEIGHTINGS),
}
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


#: Parts of the view that live on one page (privacy mode and the clicked tract on the Map, the preset,
#: weights and number of tracts on Priorities): in the URL when set, and left to the page otherwise.
#: key -> (its value when not in the URL, how to read it from the URL).
_PAGE_KEYS: dict[str, tuple[object, Callable[[str], object]]] = {}


def _page_key(key: str, default: object, parse: Callable[[str], object]) -> None:
    _PAGE_KEYS[key] = (default, parse)


def _parse_choice(allowed: Callable[[], Iterable[str]]) -> Callable[[str], object]:
    return lambda raw: raw if raw in set(allowed()) else None


def _parse_number(lo: float, hi: float, kind: type = float) -> Callable[[str], object]:
    def parse(raw: str) -> object:
        try:
            value = kind(raw)
        except ValueError:
            return None
        return value if lo <= value <= hi else None

    return parse


_page_key(KEYS.privacy, PRIVACY_DEFAULT, {"True": True, "False": False}.get)
_page_key(KEYS.selected_geoid, None, lambda raw: raw if re.fullmatch(r"\d{11}", raw) else None)
_page_key(KEYS.preset, "balanced", _parse_choice(lambda: PRESETS))
_page_key(KEYS.top_n, 25, _parse_number(1, 100_000, int))
# the Compare page: which regions (checked against the data's region sets on the page), the weights of its
# priority tracts, their share, and the desert rule of "who lives in the deserts"
_page_key(KEYS.compare_set, None, lambda raw: raw if re.fullmatch(r"[A-Za-z0-9_.-]{1,80}", raw) else None)
_page_key(KEYS.compare_preset, "balanced", _parse_choice(lambda: PRESETS))
_page_key(KEYS.compare_share, 0.10, _parse_number(0.05, 0.5))
_page_key(KEYS.compare_rule, "osu", _parse_choice(lambda: DESERT_RULES))
for _name in COMPONENTS:
    _page_key(f"w_{_name}", None, _parse_number(0.0, 1.0))


def carry_over_widget_state() -> None:
    """Re-assign the sidebar's values, so widgets drawn from another script keep them (Streamlit resets
    a keyed widget whose id changed unless its value was set through ``st.session_state``)."""
    for key in (*_DEFAULTS, *_PAGE_KEYS, KEYS.site_lat, KEYS.site_lon):
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
    if not st.session_state.get(KEYS.url_read):  # a page's part of the view, from the link it was opened with
        st.session_state[KEYS.url_read] = True
        for key, (_default, parse) in _PAGE_KEYS.items():
            raw = st.query_params.get(key)
            value = parse(raw) if raw is not None else None
            if value is not None and key not in st.session_state:
                st.session_state[key] = value
        _scenario_from_url()
    if KEYS.privacy not in st.session_state:
        st.session_state[KEYS.privacy] = PRIVACY_DEFAULT


def current_view() -> View:
    """The view the widgets (or the URL, or the defaults) describe."""
    init_state()
    ss = st.session_state
    params = DEFAULT_PARAMS.replace(
        utilization=float(ss[KEYS.utilization]),
        catchment_km=float(ss[KEYS.catchment_km]),
        decay=ss[KEYS.decay],
        catchment_by_place=bool(ss[KEYS.by_place]),
        access_by=ss[KEYS.access_by],
        **TRAVEL_WEIGHTINGS.get(ss[KEYS.travel_weighting], TRAVEL_WEIGHTINGS["bands_30"])[1],
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
    _scenario_to_url()
    weights_are_preset = _weights_are_preset()
    for key, (default, _parse) in _PAGE_KEYS.items():
        value = ss.get(key)
        plain = value is None or value == default or (key.startswith("w_") and weights_are_preset)
        if plain:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


#: The URL parameter of the Simulate page's scenario (a compact code, see gapmap.analysis.scenarios).
SCENARIO_PARAM = "scenario"


def _scenario_from_url() -> None:
    from dataclasses import asdict

    from gapmap.analysis.scenarios import scenario_from_code
    from gapmap.errors import GapmapError

    code = st.query_params.get(SCENARIO_PARAM)
    if not code or SCENARIO_CHANGES.get():
        return
    try:
        SCENARIO_CHANGES.set([asdict(c) for c in scenario_from_code(code).changes])
    except GapmapError as exc:
        SCENARIO_LINK_PROBLEM.set(str(exc))


def _scenario_to_url() -> None:
    from gapmap.analysis.scenarios import scenario_from_dict, scenario_to_code
    from gapmap.errors import GapmapError

    changes = SCENARIO_CHANGES.get()
    code = None
    if changes:
        try:
            code = scenario_to_code(scenario_from_dict({"name": "plan", "changes": changes}))
        except GapmapError:
            code = None
    if code is None:
        if SCENARIO_PARAM in st.query_params:
            del st.query_params[SCENARIO_PARAM]
    elif st.query_params.get(SCENARIO_PARAM) != code:
        st.query_params[SCENARIO_PARAM] = code


def _weights_are_preset() -> bool:
    """Whether the weight sliders hold the chosen preset's weights (then the preset alone says them)."""
    preset = PRESETS.get(st.session_state.get(KEYS.preset) or "balanced")
    return preset is not None and all(
        st.session_state.get(f"w_{n}") is None or abs(float(st.session_state[f"w_{n}"]) - float(getattr(preset, n))) < 1e-9
        for n in COMPONENTS
    )


def view_link(base: str) -> str:
    """A link to the view as it is (``base``: the app's address): the URL's query as the page keeps it."""
    from urllib.parse import urlencode

    query = urlencode(dict(st.query_params.items()))
    return base.split("?")[0] + ("?" + query if query else "")
