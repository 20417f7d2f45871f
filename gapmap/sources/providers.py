"""Provider lists as states export them: CSV (UTF-8, UTF-8 with BOM, UTF-16, latin-1), XLSX, GeoJSON.

Two ways in:

* :func:`import_providers` / :func:`standardize_providers` (lenient, for real exports): the steps of
  :mod:`gapmap.sources.provider_steps` in order (recognise columns -> map values -> capacity ->
  coordinates / geocode -> region check -> status), and a :class:`ProviderImport` report: every row read
  is either accepted or rejected with its reason (``rows_read == accepted + rejected``). Only a missing
  location or capacity, or a status that means closed, rejects a row; a type no vocabulary knows becomes
  ``other`` with a note, and a value mapping (:func:`parse_value_mapping`, :func:`read_value_mapping`)
  maps a state's own words.
* :func:`read_providers` (strict): the file must already follow the contract; any bad value raises.

Every cell is read as text so that messages quote exactly what the file says.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gapmap import schema as S
from gapmap.errors import DataSourceError, MissingColumnError, ParameterError
from gapmap.sources.files import (
    DEFAULT_LIMITS,
    ReadLimits,
    UserFile,
    as_user_file,
    read_geo,
    read_json,
    read_table,
    sniff_format,
    xlsx_sheet_names,
)
from gapmap.sources.geocode import GeocodeOutcome
from gapmap.sources.provider_steps import (
    ASSUMED_BAND_SHARES,
    FIELD_SYNONYMS,
    STATUS,
    VALUE_FIELDS,
    ColumnPlan,
    address_lines,
    check_region,
    check_status,
    check_value_mapping,
    compute_capacity,
    header_key,
    locate,
    map_values,
    recognise_columns,
    value_choices,
)

__all__ = [
    "PROVIDER_FORMATS",
    "FIELD_SYNONYMS",
    "VALUE_FIELDS",
    "ASSUMED_BAND_SHARES",
    "ProviderImport",
    "RegionBounds",
    "read_provider_table",
    "read_providers",
    "import_providers",
    "standardize_providers",
    "parse_mapping",
    "parse_value_mapping",
    "read_value_mapping",
    "value_mapping_json",
    "value_choices",
    "recognise_columns",
    "import_choices",
]

PROVIDER_FORMATS = (".csv", ".xlsx", ".geojson", ".json")
VALUE_MAPPING_FORMAT = "gapmap-values/1"


@dataclass(frozen=True)
class RegionBounds:
    """A region's bounding box in degrees, widened by ``margin_km`` (providers just across the line
    still serve the region's families, so they are kept)."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    margin_km: float = 10.0

    @classmethod
    def of_tracts(cls, tracts, margin_km: float = 10.0) -> RegionBounds:
        minx, miny, maxx, maxy = (float(v) for v in tracts.total_bounds)
        return cls(minx, miny, maxx, maxy, margin_km)

    def contains(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        dlat = self.margin_km / 111.0
        dlon = self.margin_km / (111.0 * max(np.cos(np.radians((self.min_lat + self.max_lat) / 2)), 0.05))
        return (lon >= self.min_lon - dlon) & (lon <= self.max_lon + dlon) & (lat >= self.min_lat - dlat) & (lat <= self.max_lat + dlat)


@dataclass
class ProviderImport:
    """What an import did: accepted rows (the contract's columns), rejected rows with reasons, and how.

    ``rejected`` holds the file's own columns plus ``row`` (1-based data row) and ``reason``.
    """

    source: str
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    mapping: dict[str, str]
    rows_read: int
    notes: list[str] = field(default_factory=list)
    swapped_fixed: int = 0
    inactive: int = 0  # rows rejected because their status means not operating
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {value in the file: code}, as applied
    #: rejected rows that have coordinates (row, name, reason, latitude, longitude), for a map of them
    rejected_points: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row", "name", "reason", "latitude", "longitude"]))

    def __post_init__(self) -> None:
        if self.rows_read != len(self.accepted) + len(self.rejected):  # nothing may be dropped silently
            raise DataSourceError(
                f"{self.source}: {self.rows_read} rows read but {len(self.accepted)} accepted + {len(self.rejected)} rejected"
            )

    def summary(self) -> str:
        inactive = f" ({self.inactive:,} not operating)" if self.inactive else ""
        return f"{self.source}: {self.rows_read:,} rows read, {len(self.accepted):,} accepted, {len(self.rejected):,} rejected{inactive}"

    @property
    def rejected_share(self) -> float:
        return len(self.rejected) / self.rows_read if self.rows_read else 0.0

    def about(self) -> dict:
        """What a saved dataset records of its import (about.json)."""
        return {
            "file": self.source,
            "rows_read": self.rows_read,
            "accepted": len(self.accepted),
            "rejected": len(self.rejected),
            "not_operating": self.inactive,
            "columns": dict(self.mapping),
            "values": self.values,
            "notes": list(self.notes),
        }

    def value_mapping_json(self) -> str:
        """The values as applied, as a mapping file the next import of the same export can use."""
        return value_mapping_json(self.values)


# --- reading files ------------------------------------------------------------------------------
def read_provider_table(source: str | Path | UserFile, limits: ReadLimits = DEFAULT_LIMITS, sheet: str | None = None) -> pd.DataFrame:
    """Read a provider file (a path, or a :class:`~gapmap.sources.files.UserFile` from an upload) as a
    table of text cells, without validating it. Opened by the safe reader (:mod:`gapmap.sources.files`):
    CSV, XLSX (the sheet named, else the first sheet that looks like a provider list), or GeoJSON whose
    point geometry gives ``longitude``/``latitude`` when the properties have no such columns."""
    file = as_user_file(source, limits)
    fmt = sniff_format(file, ("csv", "xlsx", "geojson"))
    if fmt == "xlsx":
        return _provider_sheet(file, limits, sheet)
    if fmt != "geojson":
        return read_table(file, limits)
    import shapely

    gdf = read_geo(file, limits, formats=("geojson",))
    if not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs(4326)
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
    is_point = shapely.get_type_id(gdf.geometry.values) == 0
    if not any(header_key(c) in FIELD_SYNONYMS[S.LONGITUDE] for c in table.columns):
        table[S.LONGITUDE] = pd.Series(shapely.get_x(gdf.geometry.values)).where(is_point).astype(object)
    if not any(header_key(c) in FIELD_SYNONYMS[S.LATITUDE] for c in table.columns):
        table[S.LATITUDE] = pd.Series(shapely.get_y(gdf.geometry.values)).where(is_point).astype(object)
    return table.map(_cell_text)


def _provider_sheet(file: UserFile, limits: ReadLimits, sheet: str | None) -> pd.DataFrame:
    """The sheet named, else the first sheet whose header names a capacity or coordinates (an export
    often has a cover or notes sheet first)."""
    if sheet is not None:
        return read_table(file, limits, sheet=sheet)
    names = xlsx_sheet_names(file, limits)
    first = None
    for name in names:
        try:
            table = read_table(file, limits, sheet=name)
        except DataSourceError:
            continue  # an empty sheet
        first = table if first is None else first
        plan = recognise_columns([str(c) for c in table.columns])
        if S.CAPACITY in plan.fields or any(plan.ages.values()) or S.LATITUDE in plan.fields or plan.address:
            return table
    if first is None:
        raise DataSourceError(f"{file.name}: every sheet is empty ({', '.join(map(repr, names))})")
    return first


def _cell_text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def read_providers(source: str | Path | UserFile) -> pd.DataFrame:
    """Read and validate a provider file that follows the contract exactly; raises on any bad value."""
    file = as_user_file(source)
    return S.validate_providers(read_provider_table(file), source=file.name)


# --- mappings -----------------------------------------------------------------------------------
def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``["capacity=Licensed Cap", ...]`` -> ``{"capacity": "Licensed Cap"}`` (the CLI's ``--map``)."""
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ParameterError(f"--map {pair!r}: expected FIELD=COLUMN, e.g. capacity='Licensed Capacity'")
        fld, col = (p.strip() for p in pair.split("=", 1))
        if fld not in FIELD_SYNONYMS:
            raise ParameterError(f"--map {pair!r}: unknown field {fld!r}; expected one of {', '.join(FIELD_SYNONYMS)}")
        out[fld] = col
    return out


def parse_value_mapping(pairs: list[str] | None) -> dict[str, dict[str, str]]:
    """``['type=GFDC=family_home,SACC=other', 'status=Pending=operating']`` -> ``{"type": {"GFDC":
    "family_home", "SACC": "other"}, "status": {...}}`` (the CLI's ``--values``)."""
    out: dict[str, dict[str, str]] = {}
    for pair in pairs or []:
        fld, _, rest = pair.partition("=")
        fld = fld.strip()
        if fld not in VALUE_FIELDS or not rest:
            raise ParameterError(f'--values {pair!r}: expected FIELD="VALUE=CODE,VALUE=CODE" with FIELD one of {", ".join(VALUE_FIELDS)}')
        for item in rest.split(","):
            value, sep, code = item.rpartition("=")
            if not sep or not value.strip():
                raise ParameterError(f"--values {pair!r}: {item!r} is not VALUE=CODE")
            out.setdefault(fld, {})[value.strip()] = code.strip()
    check_value_mapping(out, "--values")
    return out


def read_value_mapping(source: str | Path | UserFile) -> dict[str, dict[str, str]]:
    """A value-mapping file (JSON: ``{"format": "gapmap-values/1", "type": {"GFDC": "family_home"},
    "funding": {...}, "status": {...}}``), as the app downloads it after an import."""
    file = as_user_file(source)
    data = read_json(file, "value mapping file")
    if not isinstance(data, dict):
        raise DataSourceError(f'{file.name}: a value mapping is a JSON object such as {{"type": {{"GFDC": "family_home"}}}}')
    maps = {k: v for k, v in data.items() if k != "format"}
    try:
        check_value_mapping(maps, file.name)
    except ParameterError as exc:
        raise DataSourceError(str(exc)) from None
    return {f: {str(k): str(v) for k, v in m.items()} for f, m in maps.items()}


def value_mapping_json(values: dict[str, dict[str, str]]) -> str:
    return json.dumps({"format": VALUE_MAPPING_FORMAT, **values}, indent=2, ensure_ascii=False)


# --- the import ---------------------------------------------------------------------------------
def import_choices(table: pd.DataFrame, mapping: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """The distinct values of the file's type, funding and status columns with the code each will get
    (see :func:`gapmap.sources.provider_steps.value_choices`): the table a planner edits before importing."""
    return value_choices(table.reset_index(drop=True), recognise_columns([str(c) for c in table.columns], mapping))


def standardize_providers(
    table: pd.DataFrame,
    source: str = "providers",
    mapping: dict[str, str] | None = None,
    bounds: RegionBounds | None = None,
    fix_swapped: bool = False,
    source_crs: str | None = None,
    geocoder: Callable[[pd.DataFrame], GeocodeOutcome] | None = None,
    value_maps: dict[str, dict[str, str]] | None = None,
    keep_inactive: bool = False,
) -> ProviderImport:
    """Turn a licensing export (a table of text cells) into contract rows, rejecting only what cannot be used.

    Parameters
    ----------
    table : the file's rows, every cell as text (see :func:`read_provider_table`).
    source : the file name, for messages.
    mapping : explicit ``field -> column`` choices that override recognition.
    bounds : the region; rows outside it (beyond its margin) are rejected, and rows whose latitude and
        longitude look swapped are detected by it.
    fix_swapped : swap latitude and longitude back in rows detected as swapped (else reject them).
    source_crs : the coordinate system of projected X/Y columns (e.g. ``EPSG:2913``), to convert them.
    geocoder : called with the rows that have an address and no coordinates (columns id = row
        position, street, city, state, zip); see :func:`gapmap.sources.geocode.geocode_addresses`.
    value_maps : ``{"type": {"GFDC": "family_home"}, "funding": {...}, "status": {...}}``, before the vocabularies.
    keep_inactive : keep rows whose license status means not operating.
    """
    table = table.reset_index(drop=True)
    columns = [str(c) for c in table.columns]
    table.columns = columns
    blank = np.ones(len(table), dtype=bool)
    for col in columns:  # a row is blank when every cell is empty or spaces
        cells = table[col].astype(str).to_numpy(dtype=object)
        filled = cells != ""
        if filled[blank].any():
            filled[blank & filled] = [bool(c.strip()) for c in cells[blank & filled]]
        blank &= ~filled
    file_rows = np.flatnonzero(~blank) + 1  # row numbers as in the file (1 = the first row under the header)
    if blank.any():
        table = table[~blank].reset_index(drop=True)
    if table.empty:
        raise DataSourceError(f"{source}: the file has a header but no rows of providers under it")
    n = len(table)
    try:
        plan = recognise_columns(columns, mapping)
        values = map_values(table, plan, value_maps)
    except ParameterError as exc:
        raise ParameterError(f"{source}: {exc}") from None
    notes: list[str] = [f"{int(blank.sum()):,} blank rows (every cell empty) were skipped."] if blank.any() else []
    ids, id_reasons = _ids(table, plan, notes)
    names = _text(table, plan.fields.get(S.PROVIDER_NAME), [f"Provider {i + 1} (no name)" for i in range(n)])
    if S.PROVIDER_NAME not in plan.fields:
        notes.append("No name column: providers are named by their row (map a name column to show real names).")
    types = np.array([t or "other" for t in values.codes[S.PROVIDER_TYPE]], dtype=object)
    if S.PROVIDER_TYPE not in plan.fields:
        notes.append("No type column: every provider counts as 'other' (map a type column to tell centers from homes).")
    notes += values.notes
    try:
        capacity = compute_capacity(table, plan, types, names)
    except MissingColumnError as exc:
        raise MissingColumnError(exc.column, f"{source}: {exc.needed_for}", columns) from None
    try:
        location = locate(table, plan, source_crs, geocoder)
    except ParameterError as exc:
        raise ParameterError(f"{source}: {exc}") from None
    lat, lon, region_reasons, region_notes, swapped = check_region(location.latitude, location.longitude, bounds, fix_swapped)
    status_reasons, status_notes, inactive = check_status(values.codes[STATUS], table, plan, keep_inactive)
    notes += capacity.notes + location.notes + region_notes + status_notes
    if plan.ambiguous:
        notes.append(
            f"Columns naming two age groups at once were not used: {', '.join(map(repr, plan.ambiguous))} (map them if they count slots)."
        )
    reasons = [sum(parts, []) for parts in zip(capacity.reasons, location.reasons, region_reasons, status_reasons, id_reasons)]

    funding = np.array([f or "unknown" for f in values.codes[S.FUNDING]], dtype=object)
    if S.FUNDING not in plan.fields:
        notes.append("No funding column: funding is 'unknown' (Head Start and school pre-K are public).")
    funding = np.where(np.isin(types, ["head_start", "school_prek"]) & (funding == "unknown"), "public", funding)
    out = pd.DataFrame(
        {
            S.PROVIDER_ID: ids,
            S.PROVIDER_NAME: names,
            S.PROVIDER_TYPE: types,
            S.LATITUDE: lat,
            S.LONGITUDE: lon,
            S.CAPACITY: capacity.capacity,
            S.SLOTS_0_2: capacity.slots_0_2,
            S.SLOTS_3_5: capacity.slots_3_5,
            S.FUNDING: funding,
            S.QUALITY_RATING: _text(table, plan.fields.get(S.QUALITY_RATING), [None] * n, empty=None),
            S.SLOTS_ESTIMATED: capacity.estimated,
        }
    )
    if plan.address is not None:
        out[S.ADDRESS] = address_lines(table, plan)
    ok = np.array([not r for r in reasons])
    accepted = S.validate_providers(out[ok].reset_index(drop=True), source=source)  # a guard: the steps give contract rows
    rejected = table[~ok].copy()
    rejected.insert(0, "row", file_rows[~ok])
    rejected["reason"] = ["; ".join(r) for r, keep in zip(reasons, ok) if not keep]
    located = ~ok & np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    points = pd.DataFrame(
        {"row": file_rows[located], "name": names[located], "reason": [r for r, keep in zip(rejected["reason"], located[~ok]) if keep],
         "latitude": lat[located], "longitude": lon[located]}
    )  # fmt: skip
    return ProviderImport(
        source, accepted, rejected.reset_index(drop=True), plan.described(), n, notes, swapped, inactive, values.used, points
    )


def _text(table: pd.DataFrame, col: str | None, fallback: list, empty: object = "fallback") -> np.ndarray:
    if col is None:
        return np.array(fallback, dtype=object)
    text = table[col].astype(str).str.strip().to_numpy(dtype=object)
    blank = text == ""
    text[blank] = np.array(fallback, dtype=object)[blank] if empty == "fallback" else empty
    return text


def _ids(table: pd.DataFrame, plan: ColumnPlan, notes: list[str]) -> tuple[np.ndarray, list[list[str]]]:
    """Provider ids (the file's, or row-1, row-2...) and the reason of each repeated one (counted once)."""
    n = len(table)
    reasons: list[list[str]] = [[] for _ in range(n)]
    generated = [f"row-{i + 1}" for i in range(n)]
    col = plan.fields.get(S.PROVIDER_ID)
    if col is None:
        notes.append("No provider id column: ids are the file's row numbers (row-1, row-2, ...).")
        return np.array(generated, dtype=object), reasons
    ids = _text(table, col, generated)
    first: dict[str, int] = {}
    for i, pid in enumerate(ids):
        if pid in first:
            reasons[i].append(f"column {col!r} value {table[col].iloc[i]!r}: the same provider id as row {first[pid]} (counted once)")
        else:
            first[pid] = i + 1
    return ids, reasons


def import_providers(
    path: str | Path | UserFile,
    mapping: dict[str, str] | None = None,
    bounds: RegionBounds | None = None,
    fix_swapped: bool = False,
    source_crs: str | None = None,
    geocoder: Callable[[pd.DataFrame], GeocodeOutcome] | None = None,
    value_maps: dict[str, dict[str, str]] | None = None,
    keep_inactive: bool = False,
    sheet: str | None = None,
) -> ProviderImport:
    """Read a licensing export (of an Excel file, ``sheet``, else the first that looks like a provider
    list) and standardize it (see :func:`standardize_providers`)."""
    file = as_user_file(path)
    table = read_provider_table(file, sheet=sheet)
    return standardize_providers(table, file.name, mapping, bounds, fix_swapped, source_crs, geocoder, value_maps, keep_inactive)
