"""Scenarios: what adding or losing slots does to deserts and access, computed incrementally.

A :class:`Scenario` is a list of changes: :class:`AddSlots` to an existing provider (negative numbers
remove slots), :class:`NewSite` at a latitude/longitude, :class:`CloseProvider`, :class:`SetUtilization`.

Why incremental updates are exact (GUIDE.md section 5): in E2SFCA a provider's ratio is
:math:`R_j = S_j / D_j` with demand :math:`D_j = \\sum_i w_{ij} P_i`, which does not depend on any supply.
Changing :math:`S_j` changes only :math:`R_j`, and so only the tracts within its catchment:
:math:`\\Delta A_i = w_{ij} \\Delta S_j / D_j`. Each changed or new provider needs one radius query
for its pairs and its demand; no pair is stored. A
utilization change scales every slot, so access scales by the same factor. Results equal a full
recompute (the tests check it).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import shapely

from gapmap import measures as M
from gapmap import schema as S
from gapmap.config import DEFAULT_PARAMS, UTILIZATION_EXPECTED, AnalysisParams, is_utilization
from gapmap.errors import ScenarioError
from gapmap.metrics import MetricsResult, rollup_tracts
from gapmap.metrics.access import compute_decay_weights
from gapmap.metrics.band import BandInputs, compute_band_measures
from gapmap.metrics.travel import TravelAccess

__all__ = [
    "AddSlots",
    "NewSite",
    "CloseProvider",
    "SetUtilization",
    "Scenario",
    "ScenarioError",
    "scenario_from_json",
    "scenario_from_dict",
    "check_scenario",
    "MAX_CHANGES",
    "scenario_to_json",
    "scenario_to_code",
    "scenario_from_code",
    "simulate_scenario",
    "compare_outcomes",
    "compute_outcome_rows",
    "compute_changed_tract_rows",
    "KIND_LABELS",
    "FIELD_LABELS",
    "compare_scenarios",
]


@dataclass(frozen=True)
class AddSlots:
    provider_id: str
    slots_0_2: float = 0.0
    slots_3_5: float = 0.0
    kind: str = field(default="add_slots", init=False)


@dataclass(frozen=True)
class NewSite:
    name: str
    latitude: float
    longitude: float
    slots_0_2: float = 0.0
    slots_3_5: float = 0.0
    type: str = "center"
    funding: str = "public"
    kind: str = field(default="new_site", init=False)


@dataclass(frozen=True)
class CloseProvider:
    provider_id: str
    kind: str = field(default="close_provider", init=False)


@dataclass(frozen=True)
class SetUtilization:
    utilization: float
    kind: str = field(default="set_utilization", init=False)


#: One change of a scenario.
Change = AddSlots | NewSite | CloseProvider | SetUtilization

_KINDS: dict[str, type[Change]] = {
    "add_slots": AddSlots,
    "new_site": NewSite,
    "close_provider": CloseProvider,
    "set_utilization": SetUtilization,
}
#: Each kind of change, as a planner reads it.
KIND_LABELS: dict[str, str] = {
    "new_site": "Open a new site",
    "add_slots": "Add or remove slots",
    "close_provider": "Close a provider",
    "set_utilization": "Set utilization",
}
#: The fields of a change, as a planner reads them.
FIELD_LABELS: dict[str, str] = {
    "kind": "Change",
    "name": "Name",
    "provider_id": "Provider id",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "slots_0_2": "Slots 0-2",
    "slots_3_5": "Slots 3-5",
    "type": "Type",
    "funding": "Funding",
    "utilization": "Utilization",
}


@dataclass(frozen=True)
class Scenario:
    name: str
    changes: tuple = ()


#: At most this many changes in one scenario: 1,000 new sites simulate in about a second; a file with
#: more is refused with this number (split it, or use the site suggestions).
MAX_CHANGES = 1_000
#: Largest scenario file read (1,000 changes take about 200 KB).
MAX_SCENARIO_BYTES = 2 * 1024 * 1024
MAX_TEXT = 200
_MAX_SLOT_CHANGE = S.MAX_CAPACITY


def scenario_to_json(scenario: Scenario) -> str:
    return json.dumps({"name": scenario.name, "changes": [asdict(c) for c in scenario.changes]}, indent=2)


def _text_field(value: object, where: str, field_name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ScenarioError(f"{where}: {field_name} {_shown(value)} must be text")
    text = str(value).strip()
    if not text or len(text) > MAX_TEXT:
        raise ScenarioError(f"{where}: {field_name} must be text of 1 to {MAX_TEXT} characters")
    return text


def _number_field(value: object, where: str, field_name: str, lo: float, hi: float, lo_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ScenarioError(f"{where}: {field_name} {_shown(value)} must be a number")
    if value < lo or value > hi or (lo_open and value == lo):
        low = f"greater than {lo:g}" if lo_open else f"at least {lo:g}"
        raise ScenarioError(f"{where}: {field_name} {value!r} must be {low} and at most {hi:g}")
    return float(value)


def _shown(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _change_from_dict(raw: object, n: int) -> Change:
    if not isinstance(raw, dict):
        raise ScenarioError(f"change {n}: {_shown(raw)} is not a change (expected an object with a 'kind')")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ScenarioError(f"change {n}: unknown kind {_shown(kind)}; expected one of {', '.join(_KINDS)}")
    cls = _KINDS[kind]
    fields = {k: v for k, v in raw.items() if k != "kind"}
    allowed = {f.name for f in dataclasses.fields(cls) if f.name != "kind"}
    unknown = sorted(str(u) for u in set(fields) - allowed)
    if unknown:
        hint = " (age bands are slots_0_2 and slots_3_5)" if any(u.startswith("slots") for u in unknown) else ""
        raise ScenarioError(
            f"change {n} ({kind}): unknown field {', '.join(map(repr, unknown))}; expected {', '.join(sorted(allowed))}{hint}"
        )
    where = f"change {n} ({kind})"
    required = {
        "add_slots": ("provider_id",),
        "close_provider": ("provider_id",),
        "new_site": ("name", "latitude", "longitude"),
        "set_utilization": ("utilization",),
    }[kind]
    missing = [f for f in required if f not in fields]
    if missing:
        raise ScenarioError(f"{where}: needs {', '.join(missing)}")
    out: dict[str, object] = {}
    for key, value in fields.items():
        if key in ("provider_id", "name"):
            out[key] = _text_field(value, where, key)
        elif key in ("slots_0_2", "slots_3_5"):
            lo = -_MAX_SLOT_CHANGE if kind == "add_slots" else 0.0
            out[key] = _number_field(value, where, key, lo, _MAX_SLOT_CHANGE)
        elif key == "latitude":
            out[key] = _number_field(value, where, key, -90, 90)
        elif key == "longitude":
            out[key] = _number_field(value, where, key, -180, 180)
        elif key == "utilization":
            out[key] = _number_field(value, where, key, -math.inf, math.inf)
            if not is_utilization(float(out[key])):  # type: ignore[arg-type]
                raise ScenarioError(f"{where}: utilization {value!r}: expected {UTILIZATION_EXPECTED}")
        elif key == "type":
            if value not in S.PROVIDER_TYPES:
                raise ScenarioError(f"{where}: type {_shown(value)}; expected one of {', '.join(S.PROVIDER_TYPES)}")
            out[key] = value
        elif key == "funding":
            if value not in S.FUNDING_TYPES:
                raise ScenarioError(f"{where}: funding {_shown(value)}; expected one of {', '.join(S.FUNDING_TYPES)}")
            out[key] = value
    return cls(**out)  # type: ignore[arg-type]  # every field was checked above


def scenario_from_dict(data: object, source: str = "the scenario") -> Scenario:
    """A scenario from its parsed JSON, every field checked: an object with an optional ``name`` and a
    ``changes`` list of at most :data:`MAX_CHANGES` changes, each of a known kind with fields of the
    right type and range (finite numbers, text of at most 200 characters). A bad one raises
    :class:`ScenarioError` naming the change and the field."""
    if not isinstance(data, dict):
        kind = {list: "a list", type(None): "null", str: "text", bool: "true or false"}.get(type(data), "a number")
        raise ScenarioError(f'{source} is {kind}; expected a JSON object such as {{"name": "plan", "changes": [...]}}')
    unknown = sorted(str(k) for k in set(data) - {"name", "changes"})
    if unknown:
        raise ScenarioError(f"{source}: unknown field {', '.join(map(repr, unknown))}; expected name and changes")
    name = data.get("name", "scenario")
    name = _text_field(name, source, "name") if name is not None else "scenario"
    raw_changes = data.get("changes", [])
    if not isinstance(raw_changes, list):
        raise ScenarioError(f"{source}: 'changes' must be a list of changes")
    if len(raw_changes) > MAX_CHANGES:
        raise ScenarioError(
            f"{source} has {len(raw_changes):,} changes; gapmap simulates at most {MAX_CHANGES:,} at once: split it into smaller scenarios"
        )
    return Scenario(name, tuple(_change_from_dict(raw, n) for n, raw in enumerate(raw_changes, start=1)))


#: Longest scenario code a link carries (a browser keeps URLs to a few thousand characters).
MAX_CODE_CHARS = 1_800


def scenario_to_code(scenario: Scenario) -> str | None:
    """The scenario as a short code for a link (its JSON, compressed, URL-safe base64), or None when it
    is longer than :data:`MAX_CODE_CHARS` (then it travels as a file)."""
    import base64
    import zlib

    raw = json.dumps({"name": scenario.name, "changes": [asdict(c) for c in scenario.changes]}, separators=(",", ":"))
    code = base64.urlsafe_b64encode(zlib.compress(raw.encode("utf-8"), 9)).decode("ascii").rstrip("=")
    return code if len(code) <= MAX_CODE_CHARS else None


def scenario_from_code(code: str) -> Scenario:
    """The scenario a link's code holds (:func:`scenario_to_code`), validated like a scenario file. A code
    that is too long, not base64, not zlib, inflates past :data:`MAX_SCENARIO_BYTES` or is not a scenario
    raises :class:`ScenarioError`."""
    import base64
    import binascii
    import zlib

    if not isinstance(code, str) or len(code) > MAX_CODE_CHARS or not re.fullmatch(r"[A-Za-z0-9_-]+", code):
        raise ScenarioError("the link's scenario code is damaged: open the scenario file instead")
    try:
        packed = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_SCENARIO_BYTES)
        if inflater.unconsumed_tail:
            raise ScenarioError("the link's scenario is larger than a scenario may be")
    except (binascii.Error, zlib.error, ValueError):
        raise ScenarioError("the link's scenario code is damaged: open the scenario file instead") from None
    return scenario_from_json(raw, "the link's scenario")


def scenario_from_json(text: str | bytes, source: str = "the scenario") -> Scenario:
    """A scenario from its JSON text or a file's bytes (UTF-8, UTF-16 with a BOM, or latin-1); see
    :func:`scenario_from_dict`. Files over :data:`MAX_SCENARIO_BYTES` are refused."""
    from gapmap.errors import DataSourceError
    from gapmap.sources.files import UserFile, read_json

    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"{source} is {len(data) / 1e6:,.1f} MB; a scenario file holds at most {MAX_SCENARIO_BYTES / 1e6:,.0f} MB")
    try:
        parsed = read_json(UserFile(source, data), "scenario file")
    except DataSourceError as exc:
        raise ScenarioError(str(exc)) from None
    return scenario_from_dict(parsed, source)


def check_scenario(result: MetricsResult, scenario: Scenario) -> None:
    """Raise :class:`ScenarioError` when a change cannot apply to this region (unknown provider, a
    site outside the region...), before anything is stored or computed."""
    _validate(result, scenario)


@dataclass
class SimulationResult:
    """Per-tract outcomes before and after, the comparison, and the providers of the scenario."""

    before: pd.DataFrame
    after: pd.DataFrame
    providers: pd.DataFrame
    changed_tracts: np.ndarray
    params: AnalysisParams = DEFAULT_PARAMS
    #: plain-language caveats (such as a new site's travel times being approximate)
    notes: tuple[str, ...] = ()


def _outcomes(result: MetricsResult, slots_in: dict[str, np.ndarray], access: dict[str, np.ndarray]) -> pd.DataFrame:
    t = result.tracts
    out = pd.DataFrame({S.GEOID: t[S.GEOID].to_numpy(), S.NAME: t[S.NAME].to_numpy(), S.COUNTY: t[S.COUNTY].to_numpy()})
    for b in result.bands:
        kids = t[S.BANDS[b].children].to_numpy(float)
        out[S.BANDS[b].children] = kids
        out[M.column("slots", b)] = slots_in[b]
        for col, values in compute_band_measures(b, BandInputs(kids, slots_in[b], access[b], result.params)).items():
            out[col] = values
    return out


def _base(result: MetricsResult) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], pd.DataFrame]:
    """The slots inside each tract, the access and the outcomes of the data as it is (computed once per
    metrics run and kept with it; callers get copies)."""

    def build() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], pd.DataFrame]:
        t = result.tracts
        slots = {b: t[M.column("slots", b)].to_numpy(float).copy() for b in result.bands}
        access = {b: t[M.column("access_per_100", b)].to_numpy(float) / 100 for b in result.bands}
        return slots, access, _outcomes(result, slots, access)

    return result._keep("scenario_base", build)


def _with_rows(column: object, rows: np.ndarray, values: object) -> object:
    """A copy of ``column`` (a column's array) with ``values`` at positions ``rows``, built on arrays (a
    class column through its codes): Series.iloc assignment costs 0.1-0.3 ms a column, 27 times a change."""
    if isinstance(column, pd.Categorical):
        codes = column.codes.copy()
        codes[rows] = (
            values.codes if isinstance(values, pd.Categorical) else column.categories.get_indexer(np.asarray(values, dtype=object))
        )
        return pd.Categorical.from_codes(codes, dtype=column.dtype)
    if isinstance(column, pd.arrays.BooleanArray):
        out = column.copy()
        out[rows] = values
        return out
    out_np = np.array(column, copy=True)
    out_np[rows] = np.asarray(values, dtype=out_np.dtype)
    return out_np


def _outcomes_after(
    result: MetricsResult, before: pd.DataFrame, slots_in: dict[str, np.ndarray], access: dict[str, np.ndarray], rows: np.ndarray
) -> pd.DataFrame:
    """The outcomes after a scenario: ``before`` with only the changed ``rows`` reclassified."""
    if len(rows) * 4 > len(before):  # most tracts changed (a utilization change): all at once
        return _outcomes(result, slots_in, access)
    after = before.copy(deep=False)  # copy on write: only the columns set below are copied
    arrays = result._keep("scenario_arrays", lambda: {c: before[c].array for c in before.columns})
    for b in result.bands:
        kids = np.asarray(arrays[S.BANDS[b].children], dtype=float)[rows]
        values = {M.column("slots", b): slots_in[b][rows]}
        values.update(compute_band_measures(b, BandInputs(kids, slots_in[b][rows], access[b][rows], result.params)))
        for col, v in values.items():
            after[col] = _with_rows(arrays[col], rows, v)
    return after


def _validate(result: MetricsResult, scenario: Scenario) -> None:
    ids = result.provider_position()
    minx, miny, maxx, maxy = result._keep("bounds", lambda: result.tracts.total_bounds)
    for n, c in enumerate(scenario.changes, start=1):
        where = f"change {n} ({c.kind})"
        if isinstance(c, (AddSlots, CloseProvider)) and c.provider_id not in ids:
            raise ScenarioError(f"{where}: no provider with id {c.provider_id!r} in this region")
        if isinstance(c, NewSite):
            if min(c.slots_0_2, c.slots_3_5) < 0 or c.slots_0_2 + c.slots_3_5 <= 0:
                raise ScenarioError(
                    f"{where}: a new site needs slots at least 0 in each band and some in total (got {c.slots_0_2:g}, {c.slots_3_5:g})"
                )
            if not (minx <= c.longitude <= maxx and miny <= c.latitude <= maxy):
                raise ScenarioError(f"{where}: {c.latitude:g}, {c.longitude:g} is outside the region")
        if isinstance(c, SetUtilization) and not is_utilization(c.utilization):
            raise ScenarioError(f"{where}: utilization {c.utilization!r}: expected {UTILIZATION_EXPECTED}")


def simulate_scenario(result: MetricsResult, scenario: Scenario) -> SimulationResult:
    """Apply a scenario to a metrics run incrementally (only the catchments the changes touch)."""
    _validate(result, scenario)
    params = result.params
    prov = result.providers.copy(deep=False)  # copy on write: a change copies only what it touches
    t = result.tracts
    bands = result.bands
    n_t = len(t)
    kids = result._keep(
        "scenario_kids", lambda: np.nan_to_num(np.column_stack([t[S.BANDS[b].children].to_numpy(float) for b in bands]), nan=0.0)
    )
    engine = result.access_engine()
    notes: list[str] = []

    def catchment_of(lon: float, lat: float, provider: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Tracts reaching a location (a provider's, or a new site's), their weights, and its demand D per
        band (no stored pairs): by the travel-time table when the run has one, else by distance."""
        if isinstance(engine, TravelAccess):
            if provider is not None:
                rows, w = engine.provider_reach(provider)
            else:
                rows, w, approximate = engine.point_reach(lon, lat)
                if approximate:
                    notes.append(f"The new site at {lat:.5f}, {lon:.5f} has travel times that are {engine.approximation()}.")
            return rows, w, w @ kids[rows]
        index = result.tract_index()
        rows, d_km = index.reach(lon, lat)
        w = compute_decay_weights(d_km, index.radius[rows], params.decay)
        return rows, w, w @ kids[rows]

    base_slots, base_access, before = _base(result)
    access = {b: v.copy() for b, v in base_access.items()}
    slots_in = {b: v.copy() for b, v in base_slots.items()}
    pos_of = result.provider_position()
    home_of = result.provider_home()
    util = params.utilization
    changed = np.zeros(n_t, dtype=bool)
    added: list[dict] = []
    band_cols = {b: S.BANDS[b].slot_columns for b in bands}

    def delta_slots(d02: float, d35: float) -> dict[str, float]:
        per = {S.SLOTS_0_2: d02, S.SLOTS_3_5: d35}
        return {b: sum(per[c] for c in band_cols[b]) * util for b in bands}

    def apply_delta(col_rows: np.ndarray, col_w: np.ndarray, dem: np.ndarray, d: dict[str, float], home: int | None) -> None:
        for k, b in enumerate(bands):
            if d[b] == 0:
                continue
            if dem[k] > 0:
                access[b][col_rows] += col_w * d[b] / dem[k]
                changed[col_rows] = True
            if home is not None and home >= 0:
                slots_in[b][home] += d[b]
                changed[home] = True

    for c in scenario.changes:
        if isinstance(c, SetUtilization):
            factor = c.utilization / util
            for b in bands:
                access[b] *= factor
                slots_in[b] *= factor
            util = c.utilization
            changed[:] = True
            continue
        if isinstance(c, (AddSlots, CloseProvider)):
            j = pos_of[c.provider_id]
            rows, w, dem_j = catchment_of(float(prov.at[j, S.LONGITUDE]), float(prov.at[j, S.LATITUDE]), j)
            home = int(home_of[j])
            if isinstance(c, CloseProvider):
                d02, d35 = -prov.at[j, S.SLOTS_0_2], -prov.at[j, S.SLOTS_3_5]
            else:
                d02, d35 = c.slots_0_2, c.slots_3_5
                if prov.at[j, S.SLOTS_0_2] + d02 < 0 or prov.at[j, S.SLOTS_3_5] + d35 < 0:
                    raise ScenarioError(f"{c.kind} for {c.provider_id!r}: removes more slots than the provider has")
            apply_delta(rows, w, dem_j, delta_slots(d02, d35), home)
            prov.at[j, S.SLOTS_0_2] += d02
            prov.at[j, S.SLOTS_3_5] += d35
            prov.at[j, S.CAPACITY] = max(prov.at[j, S.CAPACITY] + d02 + d35, prov.at[j, S.SLOTS_0_2] + prov.at[j, S.SLOTS_3_5], 1e-9)
            continue
        # a new site: its pairs from one radius query
        rows, w, dem = catchment_of(c.longitude, c.latitude)
        inside = t.sindex.query(shapely.Point(c.longitude, c.latitude), predicate="intersects")
        home = int(inside.min()) if len(inside) else -1
        apply_delta(rows, w, dem, delta_slots(c.slots_0_2, c.slots_3_5), home)
        new = {
            S.PROVIDER_ID: f"NEW-{len(prov) + len(added) + 1}",
            S.PROVIDER_NAME: c.name,
            S.PROVIDER_TYPE: c.type,
            S.LATITUDE: c.latitude,
            S.LONGITUDE: c.longitude,
            S.CAPACITY: c.slots_0_2 + c.slots_3_5,
            S.SLOTS_0_2: c.slots_0_2,
            S.SLOTS_3_5: c.slots_3_5,
            S.FUNDING: c.funding,
            S.GEOID: t[S.GEOID].iloc[home] if home >= 0 else None,
        }
        added.append(new)

    if added:
        prov = pd.concat([prov, pd.DataFrame(added)], ignore_index=True)
    rows = np.flatnonzero(changed)
    after = _outcomes_after(result, before, slots_in, access, rows)
    return SimulationResult(before.copy(deep=False), after, prov, rows, result.params, tuple(notes))


def compute_outcome_rows(outcomes: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare_outcomes` as a planner reads it: the group and band, then each figure before, after
    and its change, labelled in words (from the measure registry), counts rounded."""
    out = pd.DataFrame({"Area": outcomes["group"], "Age band": outcomes["band"]})
    when_words = {"before": "before", "after": "after", "change": "change"}
    for key in OUTCOME_MEASURES:
        label = M.measure(key).label_for(None)
        for when, word in when_words.items():
            values = pd.to_numeric(outcomes[f"{key}_{when}"], errors="coerce")
            out[f"{label}: {word}"] = values.round(1 if key == "slots_per_100" else 0)
    return out


#: The figures of :func:`compare_outcomes`, as registry keys.
OUTCOME_MEASURES: tuple[str, ...] = ("children_in_cap_deserts", "children_in_access_deserts", "cap_desert_tracts", "slots_per_100")


def compare_outcomes(sim: SimulationResult, by: str | None = None) -> pd.DataFrame:
    """Before/after figures per band (and per ``by`` group, e.g. ``county``): children in CAP deserts and
    access deserts, desert tracts, slots per 100 children (:data:`OUTCOME_MEASURES`, each the roll-up
    of :func:`gapmap.metrics.rollup_tracts`), with the change."""
    rows = []
    groups = [("All", slice(None))] if by is None else [(g, sim.before[by] == g) for g in sorted(sim.before[by].unique())]
    bands = [b for b in S.BANDS if S.BANDS[b].children in sim.before.columns]
    for label, mask in groups:
        rolled = {when: rollup_tracts(df[mask], bands, sim.params) for when, df in (("before", sim.before), ("after", sim.after))}
        for b in bands:
            rec: dict[str, object] = {"group": label, "band": S.BANDS[b].label}
            for key in OUTCOME_MEASURES:
                for when in ("before", "after"):
                    rec[f"{key}_{when}"] = rolled[when][M.column(key, b)]
            for key in OUTCOME_MEASURES:
                rec[f"{key}_change"] = rec[f"{key}_after"] - rec[f"{key}_before"]  # type: ignore[operator]
            rows.append(rec)
    return pd.DataFrame(rows)


def _yes_no(values: pd.Series) -> list[str]:
    return ["yes" if bool(v) else "no" for v in values.fillna(False)]


def compute_changed_tract_rows(sim: SimulationResult, band: str) -> pd.DataFrame:
    """The tracts a scenario changed, before and after, as a planner reads them: children of ``band``,
    slots within reach (access x children), access per 100 children, the access class, the CAP desert
    flag, and the children who gain a slot within reach (the change in children x min(1, access); a
    loss is negative). Labels come from the measure registry and name the band; the biggest gains first."""
    b = S.get_band(band)
    rows = np.asarray(sim.changed_tracts, dtype=np.int64)
    before, after = sim.before.iloc[rows], sim.after.iloc[rows]
    kids = before[b.children].to_numpy(float)

    def reach(df: pd.DataFrame) -> np.ndarray:
        return df[M.column("access_per_100", b.key)].to_numpy(float) / 100 * np.nan_to_num(kids)

    def label(key: str) -> str:
        return M.measure(key).label_for(b.key)

    reached = M.measure("children_reached").column(b.key)
    gain = after[reached].to_numpy(float) - before[reached].to_numpy(float)
    out = pd.DataFrame(
        {
            "Tract": before[S.NAME].astype(str).to_numpy(),
            "Tract GEOID": before[S.GEOID].to_numpy(),
            "County": before[S.COUNTY].to_numpy(),
            label("children"): np.round(kids, 0),
            "Children who gain a slot within reach": np.round(gain, 0),
            "Slots within reach: before": np.round(reach(before), 1),
            "Slots within reach: after": np.round(reach(after), 1),
            f"{M.measure('access_per_100').short_label}: before": np.round(before[M.column("access_per_100", b.key)].to_numpy(float), 1),
            f"{M.measure('access_per_100').short_label}: after": np.round(after[M.column("access_per_100", b.key)].to_numpy(float), 1),
            f"{M.measure('access_class').short_label}: before": before[M.column("access_class", b.key)].astype(str).to_numpy(),
            f"{M.measure('access_class').short_label}: after": after[M.column("access_class", b.key)].astype(str).to_numpy(),
            f"{M.measure('cap_desert').short_label}: before": _yes_no(before[M.column("cap_desert", b.key)]),
            f"{M.measure('cap_desert').short_label}: after": _yes_no(after[M.column("cap_desert", b.key)]),
        }
    )
    order = np.lexsort((out["Tract GEOID"].to_numpy(), -gain))
    return out.iloc[order].reset_index(drop=True)


def compare_scenarios(result: MetricsResult, scenarios: dict[str, Scenario], band: str) -> pd.DataFrame:
    """Scenarios side by side for ``band``: one row each (and "No changes" first) with the children in
    CAP and access deserts, desert tracts, slots per 100 children, the slots each adds (after
    utilization) and the children who gain a slot within reach, all against the data as it is."""
    b = S.get_band(band)
    reached = M.column("children_reached", b.key)
    slots = M.column("slots", b.key)
    rows = []
    for name, scenario in {"No changes": Scenario("No changes"), **scenarios}.items():
        sim = simulate_scenario(result, scenario)
        rolled = {when: rollup_tracts(df, [b.key], sim.params) for when, df in (("before", sim.before), ("after", sim.after))}
        rec: dict[str, object] = {"Scenario": name, "Changes": len(scenario.changes)}
        for key in OUTCOME_MEASURES:
            rec[M.measure(key).label_for(b.key)] = rolled["after"][M.column(key, b.key)]
        rec[f"Slots added, ages {b.short}"] = float(sim.after[slots].sum() - sim.before[slots].sum())
        rec["Children who gain a slot within reach"] = float(sim.after[reached].sum() - sim.before[reached].sum())
        rows.append(rec)
    out = pd.DataFrame(rows)
    for col in out.columns[2:]:
        out[col] = pd.to_numeric(out[col]).round(1 if "per 100" in col else 0)
    return out
