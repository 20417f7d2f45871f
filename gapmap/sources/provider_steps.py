"""The steps of a provider import, each small and tested alone (see :func:`gapmap.sources.providers.standardize_providers`,
which runs them in order):

    read -> recognise_columns -> map_values -> compute_capacity -> locate -> check_region -> check_status -> report

Every step takes the file's table of text cells (and what earlier steps found) and returns its values plus
*per-row reasons* (``reasons[i]`` lists why row ``i`` cannot be used; empty when it can) and *notes* for the
report. Only what the analysis needs can reject a row: a location (coordinates, or an address to
geocode), a capacity, and (unless kept on purpose) a license status that means the provider operates.
Everything else degrades to a code with a note: a type no vocabulary knows becomes ``other``, a funding
word ``unknown``.

Vocabularies of types, funding and statuses live in one data file, ``vocabularies.json`` beside this
module, each with its public source (Oregon DELC's facility types among them); users add their own with
a value mapping (``{"type": {"GFDC": "family_home"}, ...}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gapmap import schema as S
from gapmap.errors import MissingColumnError, ParameterError
from gapmap.schema import parse_numbers

if TYPE_CHECKING:
    from gapmap.sources.geocode import GeocodeOutcome

__all__ = [
    "FIELD_SYNONYMS",
    "VALUE_FIELDS",
    "STATUS",
    "OPERATING",
    "NOT_OPERATING",
    "ASSUMED_BAND_SHARES",
    "ColumnPlan",
    "ValueStep",
    "CapacityStep",
    "LocationStep",
    "header_key",
    "recognise_columns",
    "vocabulary",
    "guess_value",
    "value_choices",
    "map_values",
    "check_value_mapping",
    "OPTIONS",
    "compute_capacity",
    "parse_numbers",
    "locate",
    "check_region",
    "check_status",
]

#: The column of a license status (not part of the provider contract; used to leave out closed providers).
STATUS = "status"
OPERATING, NOT_OPERATING = "operating", "not_operating"
STATUS_CODES = {OPERATING: "operating", NOT_OPERATING: "not operating (closed, revoked, suspended, expired...)"}
#: Fields whose values a user can map to codes: field -> the codes allowed.
VALUE_FIELDS: dict[str, dict[str, str]] = {S.PROVIDER_TYPE: S.PROVIDER_TYPES, S.FUNDING: S.FUNDING_TYPES, STATUS: STATUS_CODES}
#: The import's options, in the neutral words its messages use; the CLI and the app each name their own
#: control for them (``--fix-swapped``, a checkbox...).
OPTIONS = {
    "fix_swapped": "the 'fix swapped coordinates' option",
    "geocode": "the 'geocode addresses' option",
    "keep_inactive": "the 'keep inactive' option",
    "crs": "the 'coordinate system' option",
    "values": "the value mapping",
}
#: What a value no vocabulary knows counts as.
_FALLBACK = {S.PROVIDER_TYPE: "other", S.FUNDING: "unknown", STATUS: OPERATING}


def _rows(k: int) -> str:
    return f"{k:,} row" + ("" if k == 1 else "s")


def header_key(text: object) -> str:
    """Header and value normal form: camelCase split, lower case, letters and digits separated by single spaces."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(text))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", spaced.lower()).split())


#: Column names licensing exports use for each field (compared in :func:`header_key` form, in order of preference).
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    S.PROVIDER_ID: ("provider id", "providerid", "provider number", "provider no", "license number", "license no", "license id",
                    "licence number", "license", "facility id", "facility number", "program id", "site id", "operation number", "id"),
    S.PROVIDER_NAME: ("name", "provider name", "facility name", "program name", "business name", "site name", "operation name",
                      "provider", "doing business as", "dba", "center name", "facility"),
    S.PROVIDER_TYPE: ("type", "provider type", "facility type", "license type", "licence type", "program type", "care type", "setting",
                      "setting type", "type of care", "license category", "facility category", "operation type", "program category"),
    S.LATITUDE: ("latitude", "lat", "y coord latitude", "geo latitude", "point latitude", "site latitude"),
    S.LONGITUDE: ("longitude", "lon", "long", "lng", "geo longitude", "point longitude", "site longitude"),
    S.CAPACITY: ("capacity", "licensed capacity", "total capacity", "total licensed capacity", "authorized capacity", "max capacity",
                 "maximum capacity", "licensed slots", "total slots", "slots", "licensed center capacity", "capacity total"),
    S.SLOTS_0_2: ("slots 0 2", "capacity 0 2", "infant toddler capacity", "infant toddler slots"),
    S.SLOTS_3_5: ("slots 3 5", "capacity 3 5", "preschool capacity", "preschool slots", "prek capacity"),
    S.FUNDING: ("funding", "funding type", "funding source", "public private", "ownership type", "auspice"),
    S.QUALITY_RATING: ("quality rating", "qris", "qris rating", "star rating", "stars", "spark rating", "rating", "quality level"),
    STATUS: ("status", "license status", "licence status", "facility status", "program status", "operating status", "current status",
             "operation status", "license state"),
}  # fmt: skip
XY_SYNONYMS = {"x": ("x", "x coord", "x coordinate", "point x", "easting"), "y": ("y", "y coord", "y coordinate", "point y", "northing")}
ADDRESS_SYNONYMS: dict[str, tuple[str, ...]] = {
    "street": ("address", "street address", "street", "address 1", "address1", "address line 1", "site address", "physical address",
               "location address", "facility address"),
    "city": ("city", "site city", "physical city", "location city", "facility city"),
    "state": ("state", "st", "site state"),
    "zip": ("zip", "zip code", "zipcode", "postal code", "zip5", "site zip", "facility zip"),
}  # fmt: skip

#: When a file gives no capacity by age at all, the bands are estimated from the total capacity (less any
#: school-age capacity) with these shares (0-2, 3-5) per type, and every such row is flagged ``slots_estimated``.
#: They are assumptions (typical of licensing mixes), shown in the import report.
ASSUMED_BAND_SHARES: dict[str, tuple[float, float]] = {
    "center": (0.25, 0.45),
    "family_home": (0.30, 0.40),
    "head_start": (0.0, 1.0),  # "Early Head Start" in the name: (1.0, 0.0)
    "school_prek": (0.0, 1.0),
    "other": (0.15, 0.50),
}

# --- capacity columns by meaning ------------------------------------------------------------------
_UNIT = {"capacity", "capacities", "cap", "slots", "slot", "spaces", "space", "places", "seats", "licensed", "number", "num", "count",
         "max", "maximum", "total", "authorized"}  # fmt: skip
_NOT_CAPACITY = {"enrolled", "enrollment", "enrolment", "vacancy", "vacancies", "openings", "opening", "waitlist", "waiting", "rate",
                 "rates", "cost", "costs", "fee", "fees", "ratio", "ratios", "served", "serve", "desired", "staff", "percent", "pct",
                 "notes", "note", "comment", "comments", "date", "description", "group", "size", "hours", "days"}  # fmt: skip
_BAND_PATTERNS = (
    ("0_2", re.compile(r"\b(infants?|toddlers?|babies|baby|0 2|0 to 2|birth to 2|birth 2|under 3|0 3 years|infant toddler)\b")),
    ("3_5", re.compile(r"\b(preschool(er)?s?|pre school|pre k|prek|pre kindergarten|3 5|3 to 5|3 4|preschool age)\b")),
    ("school_age", re.compile(r"\b(school age|schoolage|school aged|sa|kindergarten|kinder|school)\b")),
)


def _age_band(words: str) -> str | None | bool:
    """The band an age-capacity column counts (``0_2``, ``3_5``, ``school_age``), None when it is none,
    False when it names two bands (ambiguous)."""
    tokens = set(words.split())
    if tokens & _NOT_CAPACITY:
        return None
    hits = [band for band, pattern in _BAND_PATTERNS if pattern.search(words)]
    if "0_2" in hits and "school_age" in hits and "kindergarten" not in words and "school" not in words.replace("preschool", ""):
        hits.remove("school_age")
    if "3_5" in hits and "school_age" in hits and not re.search(r"\bschool (age|aged)\b|\bschoolage\b|\bsa\b", words):
        hits.remove("school_age")  # "preschool" is not school age
    if not hits:
        return None
    if len(hits) > 1:
        return False
    if not (tokens & _UNIT) and len(tokens) > 2:
        return None  # "Ages served infant toddler" describes, it does not count
    if hits == ["school_age"] and "sa" in tokens and not (tokens & _UNIT):
        return None
    return hits[0]


@dataclass(frozen=True)
class ColumnPlan:
    """Which column of the file gives what."""

    fields: dict[str, str]  # field -> column (provider_id, name, type, latitude, longitude, capacity, funding, quality_rating, status)
    ages: dict[str, list[str]]  # "0_2", "3_5", "school_age" -> columns summed into it
    home_capacity: str | None = None  # a separate capacity of family child care homes
    xy: dict[str, str] = field(default_factory=dict)
    address: dict[str, str | None] | None = None
    ambiguous: tuple[str, ...] = ()

    def described(self) -> dict[str, str]:
        """field -> the column(s) used, for the report."""
        out = dict(self.fields)
        for band, key in (("0_2", S.SLOTS_0_2), ("3_5", S.SLOTS_3_5), ("school_age", "school_age_capacity")):
            if self.ages.get(band) and key not in out:
                out[key] = " + ".join(self.ages[band])
        if self.home_capacity:
            out["home_capacity"] = self.home_capacity
        for axis, col in self.xy.items():
            out.setdefault(f"projected_{axis}", col)
        return out


def recognise_columns(columns: list[str], mapping: dict[str, str] | None = None) -> ColumnPlan:
    """Find each field's column: an explicit ``mapping`` first, then the names of :data:`FIELD_SYNONYMS`,
    then capacity columns by meaning (infant, toddler, preschool, school-age, total and home capacity in
    the forms licensing systems write them: "LICENSED CENTER INFANT CAPACITY", "NUMBER_OF_INFANTS",
    "infant_capacity", "Cap Toddler")."""
    mapping = dict(mapping or {})
    keyed = {header_key(c): c for c in columns}
    found: dict[str, str] = {}
    for fld, col in mapping.items():
        if fld not in FIELD_SYNONYMS:
            raise ParameterError(f"mapping {fld}={col}: unknown field {fld!r}; expected one of {', '.join(FIELD_SYNONYMS)}")
        if col not in columns:
            raise MissingColumnError(col, f"the mapping {fld}={col}", list(columns))
        found[fld] = col
    used = set(found.values())
    for fld, names in FIELD_SYNONYMS.items():
        if fld in found:
            continue
        match = next((keyed[n] for n in names if n in keyed and keyed[n] not in used), None)
        if match is not None:
            found[fld] = match
            used.add(match)
    ages: dict[str, list[str]] = {"0_2": [], "3_5": [], "school_age": []}
    home: str | None = None
    ambiguous: list[str] = []
    totals = []
    for col in columns:
        if col in used:
            continue
        words = header_key(col)
        tokens = set(words.split())
        band = _age_band(words)
        if band is False:
            ambiguous.append(col)
        elif isinstance(band, str):
            ages[band].append(col)
        elif tokens & {"capacity", "cap", "slots", "spaces", "places", "seats"} and not tokens & _NOT_CAPACITY:
            if tokens & {"home", "homes", "family"}:
                home = home or col
            else:
                totals.append(col)
    for band, key in (("0_2", S.SLOTS_0_2), ("3_5", S.SLOTS_3_5)):
        if key in found:
            ages[band] = []  # an explicit band column wins over its parts
    if S.CAPACITY not in found and totals:
        preferred = sorted(totals, key=lambda c: 0 if set(header_key(c).split()) & {"total", "licensed", "max", "maximum"} else 1)
        found[S.CAPACITY] = preferred[0]
    used = set(found.values()) | {c for cols in ages.values() for c in cols} | ({home} if home else set())
    xy = {}
    for axis, names in XY_SYNONYMS.items():
        match = next((keyed[n] for n in names if n in keyed and keyed[n] not in used), None)
        if match is not None:
            xy[axis] = match
    address = {part: next((keyed[n] for n in names if n in keyed), None) for part, names in ADDRESS_SYNONYMS.items()}
    return ColumnPlan(found, ages, home, xy, address if address["street"] else None, tuple(ambiguous))


# --- values ---------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _vocabularies() -> dict:
    return json.loads((Path(__file__).with_name("vocabularies.json")).read_text(encoding="utf-8"))


@lru_cache(maxsize=8)
def vocabulary(fld: str) -> tuple[dict[str, tuple[str, str]], tuple[tuple[str, str], ...]]:
    """(normal-form value -> (code, vocabulary name), contains rules) of a value field."""
    data = _vocabularies()[{S.PROVIDER_TYPE: "type", S.FUNDING: "funding", STATUS: "status"}[fld]]
    exact: dict[str, tuple[str, str]] = {}
    for vocab in data["vocabularies"]:
        for value, code in vocab["values"].items():
            exact.setdefault(header_key(value), (code, vocab["name"]))
    for code, label in VALUE_FIELDS[fld].items():
        exact.setdefault(header_key(label), (code, "gapmap"))
    return exact, tuple((header_key(w), c) for w, c in data["contains"])


def guess_value(fld: str, value: str) -> tuple[str | None, str]:
    """(code, how) for one value of a type, funding or status column: an exact vocabulary name, else the
    first "contains" rule, else (None, "unknown")."""
    key = header_key(value)
    if not key:
        return None, "empty"
    exact, contains = vocabulary(fld)
    if key in exact:
        return exact[key][0], exact[key][1]
    for word, code in contains:
        if re.search(r"(^| )" + re.escape(word), key):
            return code, f"contains '{word}'"
    return None, "unknown"


def value_choices(table: pd.DataFrame, plan: ColumnPlan) -> dict[str, pd.DataFrame]:
    """Per value field present in the file: its distinct values with their row counts, the code each will
    get (gapmap's guess, else the fallback) and where that comes from (the table a planner edits)."""
    out = {}
    for fld in VALUE_FIELDS:
        col = plan.fields.get(fld)
        if col is None:
            continue
        counts = table[col].astype(str).str.strip().value_counts(sort=True)
        rows = []
        for value, k in counts.items():
            if value:
                code, how = guess_value(fld, value)
                rows.append((value, int(k), code or _FALLBACK[fld], how if code else f"not known: counted as {_FALLBACK[fld]}"))
        out[fld] = pd.DataFrame(rows, columns=["value", "rows", "code", "from"])
    return out


def check_value_mapping(maps: dict, source: str = "value mapping") -> None:
    """Raise :class:`ParameterError` unless ``maps`` is ``{field: {value: code}}`` with known fields and codes."""
    if not isinstance(maps, dict):
        raise ParameterError(f"{source}: expected an object such as {{'type': {{'GFDC': 'family_home'}}}}")
    for fld, m in maps.items():
        if fld not in VALUE_FIELDS:
            raise ParameterError(f"{source}: unknown field {fld!r}; expected one of {', '.join(VALUE_FIELDS)}")
        if not isinstance(m, dict):
            raise ParameterError(f"{source}: {fld!r} must map values to codes")
        for value, code in m.items():
            if code not in VALUE_FIELDS[fld]:
                raise ParameterError(
                    f"{source}: {fld} value {value!r} -> {code!r}; expected one of {', '.join(VALUE_FIELDS[fld])} ({code!r} is not a {fld} code)"
                )


@dataclass
class ValueStep:
    codes: dict[str, np.ndarray]  # field -> code per row (None where the field is absent or the cell empty)
    notes: list[str]
    used: dict[str, dict[str, str]]  # field -> {value: code} as applied (the mapping file's contents)


def map_values(table: pd.DataFrame, plan: ColumnPlan, value_maps: dict[str, dict[str, str]] | None = None) -> ValueStep:
    """Codes of the type, funding and status columns: the user's value mapping first, then the
    vocabularies. Unknown types become ``other`` and unknown funding ``unknown``, each listed in a note
    with its row count; unknown statuses are kept (taken as operating) and listed."""
    check_value_mapping(value_maps or {})
    value_maps = {f: {header_key(k): v for k, v in m.items()} for f, m in (value_maps or {}).items()}
    n = len(table)
    codes: dict[str, np.ndarray] = {}
    notes: list[str] = []
    used: dict[str, dict[str, str]] = {}
    fallback = _FALLBACK
    for fld in VALUE_FIELDS:
        col = plan.fields.get(fld)
        out = np.full(n, None, dtype=object)
        if col is None:
            codes[fld] = out
            continue
        raw = table[col].astype(str).str.strip()
        applied: dict[str, str] = {}
        unknown: dict[str, int] = {}
        for value, rows in raw.groupby(raw, sort=False).groups.items():
            if not value:
                continue
            code = value_maps.get(fld, {}).get(header_key(value))
            if code is None:
                code, _how = guess_value(fld, value)
            if code is None:
                unknown[value] = len(rows)
                code = fallback[fld]
            applied[value] = code
            out[np.asarray([table.index.get_loc(r) for r in rows])] = code
        codes[fld] = out
        used[fld] = applied
        if unknown:
            listed = ", ".join(f"{v!r} ({k:,} row{'s' if k != 1 else ''})" for v, k in sorted(unknown.items(), key=lambda kv: -kv[1])[:8])
            more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
            what = {
                S.PROVIDER_TYPE: "other: map them to a type",
                S.FUNDING: "unknown funding: map them",
                STATUS: "kept as operating: map them if they mean closed",
            }[fld]
            notes.append(f"Column {col!r}: values no vocabulary knows, {listed}{more} -> {what} ({OPTIONS['values']}).")
    return ValueStep(codes, notes, used)


# --- capacity -------------------------------------------------------------------------------------
@dataclass
class CapacityStep:
    capacity: np.ndarray
    slots_0_2: np.ndarray
    slots_3_5: np.ndarray
    estimated: np.ndarray
    reasons: list[list[str]]
    notes: list[str]


def compute_capacity(table: pd.DataFrame, plan: ColumnPlan, types: np.ndarray, names: np.ndarray) -> CapacityStep:
    """Licensed capacity and slots by band of every row.

    capacity: the total column; for family child care homes a separate home-capacity column when the
    file has one; else the sum of every age column. Bands: the age columns summed (infant + toddler ->
    0-2, preschool -> 3-5; school-age counts in the total only); when the file has no 0-5 age column at
    all, estimated from the total (less school-age capacity) by type with :data:`ASSUMED_BAND_SHARES`.
    Bands that add up to more than the total are scaled down to it (age capacities that overlap). A row
    is rejected only when it has no usable capacity.
    """
    n = len(table)
    reasons: list[list[str]] = [[] for _ in range(n)]
    notes: list[str] = []

    def numbers(col: str) -> np.ndarray:
        values, bad = parse_numbers(table[col])
        cells = table[col].to_numpy(dtype=object)
        for i in np.flatnonzero(bad.to_numpy()):
            reasons[i].append(f"column {col!r} value {cells[i]!r} is not a number")
        return values.to_numpy(float)

    band_values = {band: [numbers(c) for c in cols] for band, cols in plan.ages.items()}
    for band, key in (("0_2", S.SLOTS_0_2), ("3_5", S.SLOTS_3_5)):
        if key in plan.fields:
            band_values[band] = [numbers(plan.fields[key])]
    sums = {band: (np.nansum(np.vstack(v), axis=0) if v else np.zeros(n)) for band, v in band_values.items()}
    any_age = {band: (np.isfinite(np.vstack(v)).any(axis=0) if v else np.zeros(n, dtype=bool)) for band, v in band_values.items()}
    cap_col = plan.fields.get(S.CAPACITY)
    if cap_col:
        cap = numbers(cap_col)
    elif any(band_values.values()):
        cap = np.where(any_age["0_2"] | any_age["3_5"] | any_age["school_age"], sums["0_2"] + sums["3_5"] + sums["school_age"], np.nan)
        parts = [c for cols in plan.ages.values() for c in cols]
        notes.append(f"No total capacity column: capacity = the sum of {', '.join(parts)}.")
    else:
        raise MissingColumnError(
            "capacity (or licensed capacity, total capacity, infant capacity...)", "a provider list", list(table.columns)
        )
    if plan.home_capacity:
        home = numbers(plan.home_capacity)
        use = (types == "family_home") & np.isfinite(home)
        cap = np.where(use, home, cap)
        if use.any():
            notes.append(f"Family child care homes: capacity from {plan.home_capacity!r} ({_rows(int(use.sum()))}).")
    cap_name = cap_col or "capacity"
    unreadable = np.array([bool(r) for r in reasons])
    for i in np.flatnonzero(~np.isfinite(cap) & ~unreadable):
        reasons[i].append(f"column {cap_name!r} is empty: a licensed capacity is needed")
    for i in np.flatnonzero(np.isfinite(cap) & (cap <= 0)):
        shown = table[cap_col].iloc[i] if cap_col else f"{cap[i]:g}"
        reasons[i].append(f"column {cap_name!r} value {shown!r}: capacity must be greater than 0")
    for i in np.flatnonzero(np.isfinite(cap) & (cap > S.MAX_CAPACITY)):
        shown = table[cap_col].iloc[i] if cap_col else f"{cap[i]:g}"
        reasons[i].append(f"column {cap_name!r} value {shown!r}: capacity must be at most {S.MAX_CAPACITY:,}")

    has_bands = bool(band_values["0_2"] or band_values["3_5"])
    s02, s35 = sums["0_2"].astype(float), sums["3_5"].astype(float)
    estimated = np.zeros(n, dtype=bool)
    if not has_bands:
        base = np.clip(np.nan_to_num(cap) - sums["school_age"], 0, None)
        shares = np.array([ASSUMED_BAND_SHARES.get(t, ASSUMED_BAND_SHARES["other"]) for t in types], dtype=float).reshape(n, 2)
        early = (types == "head_start") & pd.Series(names, dtype=object).astype(str).str.contains("early head start", case=False).to_numpy()
        shares[early] = (1.0, 0.0)
        s02, s35 = np.floor(base * shares[:, 0]), np.floor(base * shares[:, 1])
        estimated[:] = True
        less = " less school-age capacity" if band_values["school_age"] else ""
        notes.append(
            f"No capacity by age for children under 6 in the file: slots by band are ESTIMATED from the total capacity{less} by type "
            f"({', '.join(f'{t} {a:.0%}/{b:.0%}' for t, (a, b) in ASSUMED_BAND_SHARES.items())} for ages 0-2/3-5)."
        )
    over = np.isfinite(cap) & (cap > 0) & (s02 + s35 > cap)
    if over.any():
        scale = np.where(over, cap / np.where(s02 + s35 > 0, s02 + s35, 1), 1.0)
        s02, s35 = np.floor(s02 * scale), np.floor(s35 * scale)
        notes.append(
            f"{_rows(int(over.sum()))} give capacities by age that add up to more than the total: their bands were scaled down to the total."
        )
    return CapacityStep(cap, s02, s35, estimated, reasons, notes)


# --- location -------------------------------------------------------------------------------------
@dataclass
class LocationStep:
    latitude: np.ndarray
    longitude: np.ndarray
    reasons: list[list[str]]
    notes: list[str]


def locate(
    table: pd.DataFrame,
    plan: ColumnPlan,
    source_crs: str | None = None,
    geocoder: Callable[[pd.DataFrame], GeocodeOutcome] | None = None,
) -> LocationStep:
    """Latitude and longitude of every row: degree columns, or projected X/Y converted from
    ``source_crs``, or the address geocoded (rows with coordinates are never geocoded)."""
    n = len(table)
    reasons: list[list[str]] = [[] for _ in range(n)]
    notes: list[str] = []
    lat_col, lon_col = plan.fields.get(S.LATITUDE), plan.fields.get(S.LONGITUDE)
    xy = plan.xy
    if lat_col and lon_col:
        lat, lat_bad = parse_numbers(table[lat_col])
        lon, lon_bad = parse_numbers(table[lon_col])
        if xy:
            notes.append(
                f"Coordinates from {lat_col!r}/{lon_col!r}; the projected columns {', '.join(repr(c) for c in xy.values())} are ignored."
            )
    elif "x" in xy and "y" in xy:
        x, lon_bad = parse_numbers(table[xy["x"]])
        y, lat_bad = parse_numbers(table[xy["y"]])
        degrees = (x.abs() <= 180) & (y.abs() <= 90)
        if degrees[x.notna() & y.notna()].all():
            lon, lat = x, y
            notes.append(f"Coordinates from {xy['x']!r} (longitude) and {xy['y']!r} (latitude), which hold degrees.")
        elif source_crs:
            from pyproj import Transformer
            from pyproj.exceptions import CRSError

            try:
                tr = Transformer.from_crs(source_crs, "EPSG:4326", always_xy=True)
            except CRSError:
                raise ParameterError(
                    f"coordinate system {source_crs!r}: not one gapmap knows; give an EPSG code such as EPSG:3857"
                ) from None
            lon_v, lat_v = tr.transform(x.to_numpy(), y.to_numpy())
            lon, lat = pd.Series(lon_v), pd.Series(lat_v)
            notes.append(f"Coordinates converted from {source_crs} ({xy['x']!r}, {xy['y']!r}).")
        else:
            example = f"{x.dropna().iloc[0]:,.0f}, {y.dropna().iloc[0]:,.0f}" if x.notna().any() else "?"
            raise ParameterError(
                f"columns {xy['x']!r}/{xy['y']!r} hold projected coordinates (e.g. {example}), not degrees. Give their coordinate "
                f"system ({OPTIONS['crs']}: EPSG:3857 for Web Mercator, or your state plane's EPSG code), or map "
                "latitude/longitude columns."
            )
    else:
        lat = pd.Series(np.nan, index=range(n))
        lon = pd.Series(np.nan, index=range(n))
        lat_bad = lon_bad = pd.Series(False, index=range(n))
    for col, bad in ((lat_col or xy.get("y"), lat_bad), (lon_col or xy.get("x"), lon_bad)):
        if col:
            for i in np.flatnonzero(bad.to_numpy()):
                reasons[i].append(f"column {col!r} value {table[col].iloc[i]!r} is not a number")
    lat_v, lon_v = lat.to_numpy(float).copy(), lon.to_numpy(float).copy()
    missing = (~np.isfinite(lat_v) | ~np.isfinite(lon_v)) & ~lat_bad.to_numpy() & ~lon_bad.to_numpy()
    address = _addresses(table, plan)
    has_address = address["street"].str.strip().ne("").to_numpy() if address is not None else np.zeros(n, dtype=bool)
    if geocoder is not None and address is not None and (missing & has_address).any():
        todo = address[missing & has_address]
        outcome = geocoder(todo).table.set_index("id")
        matched = outcome["status"].eq("Match")
        for i in todo["id"]:
            if matched.get(i, False):
                lat_v[i], lon_v[i] = float(outcome.at[i, "latitude"]), float(outcome.at[i, "longitude"])
            else:
                status = outcome.at[i, "status"] if i in outcome.index else "No answer"
                a = address.loc[i]
                where = ", ".join(p for p in (a.street, a.city, f"{a.state} {a.zip}".strip()) if p)
                reasons[i].append(f"no coordinates, and the Census geocoder answered {status!r} for '{where}'")
            missing[i] = False
        notes.append(f"Geocoded {int(matched.sum())} of {len(todo)} addresses with the Census geocoder.")
    why = (
        f"columns {lat_col or xy.get('y')!r}/{lon_col or xy.get('x')!r} are empty"
        if (lat_col or xy)
        else "the file has no latitude/longitude columns"
    )
    for i in np.flatnonzero(missing & has_address):
        reasons[i].append(f"no coordinates ({why}), but an address: geocode it ({OPTIONS['geocode']})")
    for i in np.flatnonzero(missing & ~has_address):
        reasons[i].append(f"no coordinates: {why} and there is no address to geocode")
    return LocationStep(lat_v, lon_v, reasons, notes)


def address_lines(table: pd.DataFrame, plan: ColumnPlan) -> list[str | None]:
    """Each row's address on one line ("12 Main St, Bend, OR 97701"), None where the street is empty."""
    parts = _addresses(table, plan)
    if parts is None:
        return [None] * len(table)
    lines: list[str | None] = []
    for street, city, state, zip_ in zip(parts["street"], parts["city"], parts["state"], parts["zip"]):
        clean = [p if p.lower() not in ("nan", "none", "<na>") else "" for p in (street, city, state, zip_)]
        if not clean[0]:
            lines.append(None)
            continue
        place = " ".join(p for p in clean[2:] if p)
        lines.append(", ".join(p for p in (clean[0], clean[1], place) if p)[:300])
    return lines


def _addresses(table: pd.DataFrame, plan: ColumnPlan) -> pd.DataFrame | None:
    """id (row position), street, city, state, zip of every row, or None when there is no street column."""
    if plan.address is None:
        return None
    out = pd.DataFrame({"id": np.arange(len(table))})
    for part, col in plan.address.items():
        out[part] = table[col].astype(str).str.strip().to_numpy() if col else ""
    return out


def check_region(
    lat: np.ndarray, lon: np.ndarray, bounds, fix_swapped: bool = False
) -> tuple[np.ndarray, np.ndarray, list[list[str]], list[str], int]:
    """(latitude, longitude, reasons, notes, rows swapped back): rows outside the region (its bounding box
    widened by its margin) are rejected; rows whose latitude and longitude look swapped are swapped back
    with ``fix_swapped``, else rejected saying so. Without ``bounds``, only valid degrees are checked."""
    n = len(lat)
    reasons: list[list[str]] = [[] for _ in range(n)]
    notes: list[str] = []
    have = np.isfinite(lat) & np.isfinite(lon)
    if bounds is not None:
        inside = bounds.contains(lon, lat)
        swapped = have & ~inside & bounds.contains(lat, lon)
    else:
        inside = (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        swapped = have & ~inside & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    n_swapped = int(swapped.sum())
    if n_swapped and fix_swapped:
        lat, lon = np.where(swapped, lon, lat), np.where(swapped, lat, lon)
        notes.append(f"{_rows(n_swapped)} had latitude and longitude swapped; they were swapped back as asked.")
    else:
        for i in np.flatnonzero(swapped):
            reasons[i].append(f"latitude {lat[i]:g} and longitude {lon[i]:g} look swapped (swap them back with {OPTIONS['fix_swapped']})")
    outside = have & ~swapped & ~inside
    where = f"outside the region (more than {bounds.margin_km:g} km beyond its bounding box)" if bounds is not None else "not valid degrees"
    for i in np.flatnonzero(outside):
        reasons[i].append(f"latitude {lat[i]:g}, longitude {lon[i]:g} is {where}")
    return lat, lon, reasons, notes, n_swapped if fix_swapped else 0


def check_status(
    status: np.ndarray, table: pd.DataFrame, plan: ColumnPlan, keep_inactive: bool = False
) -> tuple[list[list[str]], list[str], int]:
    """(reasons, notes, rows not operating): rows whose license status means the provider does not
    operate are rejected with that reason, unless ``keep_inactive``."""
    n = len(status)
    reasons: list[list[str]] = [[] for _ in range(n)]
    col = plan.fields.get(STATUS)
    inactive = np.asarray([s == NOT_OPERATING for s in status], dtype=bool)
    k = int(inactive.sum())
    if col is None or not k:
        return reasons, [], 0
    if keep_inactive:
        return reasons, [f"{_rows(k)} have a status that means not operating in {col!r}; they were kept as asked."], 0
    cells = table[col].to_numpy(dtype=object)
    for i in np.flatnonzero(inactive):
        reasons[i].append(
            f"column {col!r} value {cells[i]!r}: the provider is not operating (keep such rows with {OPTIONS['keep_inactive']})"
        )
    return reasons, [f"{_rows(k)} left out because their status in {col!r} means not operating."], k
