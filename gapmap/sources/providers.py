"""Provider lists from disk, as states export them: CSV (UTF-8, UTF-8 with BOM, latin-1), XLSX, GeoJSON.

Two ways in:

* :func:`import_providers` (lenient, for real exports): recognises the column names licensing exports
  use, sums age-group capacities into the bands, tells projected X/Y apart from degrees, and returns a
  :class:`ProviderImport` report: every row read is either accepted or rejected with its reason
  (``rows_read == accepted + rejected``), and the rejected rows can be written out with a reason column.
* :func:`read_providers` (strict): the file must already follow the contract; any bad value raises.

Every cell is read as text so that messages quote exactly what the file says.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gapmap import schema as S
from gapmap.errors import DataSourceError, MissingColumnError, ParameterError
from gapmap.sources.files import DEFAULT_LIMITS, ReadLimits, UserFile, as_user_file, read_geo, read_table, sniff_format
from gapmap.sources.geocode import GeocodeOutcome

__all__ = [
    "PROVIDER_FORMATS",
    "FIELD_SYNONYMS",
    "ASSUMED_BAND_SHARES",
    "ProviderImport",
    "RegionBounds",
    "read_provider_table",
    "read_providers",
    "import_providers",
    "standardize_providers",
    "parse_mapping",
]

PROVIDER_FORMATS = (".csv", ".xlsx", ".geojson", ".json")


def _key(text: object) -> str:
    """Header normal form: lower case, letters and digits separated by single spaces."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text).lower()).split())


#: Column names licensing exports use for each contract field (compared in :func:`_key` form).
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    S.PROVIDER_ID: (
        "provider id",
        "provider_id",
        "providerid",
        "provider number",
        "license number",
        "license no",
        "license id",
        "licence number",
        "facility id",
        "facility number",
        "program id",
        "id",
    ),
    S.PROVIDER_NAME: (
        "name",
        "provider name",
        "facility name",
        "program name",
        "business name",
        "provider",
        "doing business as",
        "dba",
        "site name",
    ),
    S.PROVIDER_TYPE: (
        "type",
        "provider type",
        "facility type",
        "license type",
        "licence type",
        "program type",
        "care type",
        "setting",
        "setting type",
    ),
    S.LATITUDE: ("latitude", "lat", "y coord latitude", "geo latitude", "point latitude"),
    S.LONGITUDE: ("longitude", "lon", "long", "lng", "geo longitude", "point longitude"),
    S.CAPACITY: (
        "capacity",
        "licensed capacity",
        "total capacity",
        "authorized capacity",
        "max capacity",
        "maximum capacity",
        "licensed slots",
        "total slots",
        "slots",
    ),
    S.SLOTS_0_2: ("slots 0 2", "capacity 0 2", "infant toddler capacity", "infant toddler slots"),
    S.SLOTS_3_5: ("slots 3 5", "capacity 3 5", "preschool capacity", "preschool slots", "prek capacity"),
    S.FUNDING: ("funding", "funding type", "funding source", "public private"),
    S.QUALITY_RATING: ("quality rating", "qris", "qris rating", "star rating", "stars", "spark rating", "rating"),
}
#: Projected coordinate columns (never taken as degrees unless their values are degrees).
XY_SYNONYMS = {"x": ("x", "x coord", "x coordinate", "point x", "easting"), "y": ("y", "y coord", "y coordinate", "point y", "northing")}
#: Age-group capacity columns summed into the bands: header words -> band.
_AGE_WORDS = (
    (("infant",), S.SLOTS_0_2),
    (("toddler",), S.SLOTS_0_2),
    (("preschool",), S.SLOTS_3_5),
    (("pre", "k"), S.SLOTS_3_5),
    (("prek",), S.SLOTS_3_5),
    (("school", "age"), None),  # counted in capacity only
)
_AGE_UNIT_WORDS = {"capacity", "cap", "slots", "licensed", "spaces", "count"}

#: When a file gives no capacity by age at all, the bands are estimated from the total capacity with
#: these shares (0-2, 3-5) per type, and every such row is flagged ``slots_estimated``. They are
#: assumptions (typical of licensing mixes), shown in the import report; a file with age columns
#: never uses them.
ASSUMED_BAND_SHARES: dict[str, tuple[float, float]] = {
    "center": (0.25, 0.45),
    "family_home": (0.30, 0.40),
    "head_start": (0.0, 1.0),  # "Early Head Start" in the name: (1.0, 0.0)
    "school_prek": (0.0, 1.0),
    "other": (0.15, 0.50),
}


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

    def __post_init__(self) -> None:
        if self.rows_read != len(self.accepted) + len(self.rejected):  # nothing may be dropped silently
            raise AssertionError(
                f"{self.source}: {self.rows_read} rows read but {len(self.accepted)} accepted + {len(self.rejected)} rejected"
            )

    def summary(self) -> str:
        return f"{self.source}: {self.rows_read} rows read, {len(self.accepted)} accepted, {len(self.rejected)} rejected"

    def rejected_csv_bytes(self) -> bytes:
        from gapmap.export import to_csv_bytes

        return to_csv_bytes(self.rejected)


# --- reading files ------------------------------------------------------------------------------
def read_provider_table(source: str | Path | UserFile, limits: ReadLimits = DEFAULT_LIMITS) -> pd.DataFrame:
    """Read a provider file (a path, or a :class:`~gapmap.sources.files.UserFile` from an upload) as a
    table of text cells, without validating it. Opened by the safe reader (:mod:`gapmap.sources.files`):
    CSV, XLSX, or GeoJSON whose point geometry gives ``longitude``/``latitude`` when the properties have
    no such columns."""
    file = as_user_file(source, limits)
    fmt = sniff_format(file, ("csv", "xlsx", "geojson"))
    if fmt != "geojson":
        return read_table(file, limits)
    import shapely

    gdf = read_geo(file, limits, formats=("geojson",))
    if not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs(4326)
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
    is_point = shapely.get_type_id(gdf.geometry.values) == 0
    if not any(_key(c) in FIELD_SYNONYMS[S.LONGITUDE] for c in table.columns):
        table[S.LONGITUDE] = pd.Series(shapely.get_x(gdf.geometry.values)).where(is_point).astype(object)
    if not any(_key(c) in FIELD_SYNONYMS[S.LATITUDE] for c in table.columns):
        table[S.LATITUDE] = pd.Series(shapely.get_y(gdf.geometry.values)).where(is_point).astype(object)
    return table.map(_cell_text)


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


# --- column recognition -------------------------------------------------------------------------
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


def _recognise(columns: list[str], mapping: dict[str, str]) -> tuple[dict[str, str], dict[str, list[str]], dict[str, str]]:
    """(field -> column, band -> age-group columns, "x"/"y" -> column)."""
    keyed = {_key(c): c for c in columns}
    found: dict[str, str] = {}
    for fld, col in mapping.items():
        if col not in columns:
            raise MissingColumnError(col, f"the mapping {fld}={col}", list(columns))
        found[fld] = col
    used = set(found.values())
    for fld, names in FIELD_SYNONYMS.items():
        if fld in found:
            continue
        for name in names:  # synonyms in order of preference
            col = keyed.get(name)
            if col is not None and col not in used:
                found[fld] = col
                used.add(col)
                break
    ages: dict[str, list[str]] = {S.SLOTS_0_2: [], S.SLOTS_3_5: []}
    for col in columns:
        if col in used:
            continue
        words = _key(col).split()
        if len(words) > 2 and not set(words) & _AGE_UNIT_WORDS:
            continue  # e.g. "Ages served: infant, toddler" describes, it does not count
        for need, band in _AGE_WORDS:
            one_word = len(need) == 1
            matched = any(w.startswith(need[0]) for w in words) if one_word else set(need) <= set(words)
            if matched:
                if band is not None and band not in found:
                    ages[band].append(col)
                    used.add(col)
                elif band is None:
                    used.add(col)  # school-age capacity: part of the total only
                break
    xy = {}
    for axis, names in XY_SYNONYMS.items():
        col = next((keyed[n] for n in names if n in keyed and keyed[n] not in used), None)
        if col is not None:
            xy[axis] = col
    return found, ages, xy


def _numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text -> float ("1,600" -> 1600); returns (values, unreadable mask). Empty cells are NaN, not
    unreadable; ``inf``, ``Infinity``, ``NaN`` and ``1e309`` are unreadable (never a number of slots or
    a coordinate)."""
    text = series.astype("string").str.strip().str.replace(",", "", regex=False)
    text = text.mask(text == "", pd.NA)
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = ((values.isna() & text.notna()).fillna(False) | np.isinf(values.to_numpy())).astype(bool)
    return values.where(~bad, np.nan), bad


def standardize_providers(
    table: pd.DataFrame,
    source: str = "providers",
    mapping: dict[str, str] | None = None,
    bounds: RegionBounds | None = None,
    fix_swapped: bool = False,
    source_crs: str | None = None,
    geocoder: Callable[[pd.DataFrame], GeocodeOutcome] | None = None,
) -> ProviderImport:
    """Turn a licensing export (a table of text cells) into contract rows, rejecting what cannot be used.

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
    """
    table = table.reset_index(drop=True)
    if table.empty:
        raise DataSourceError(f"{source}: the file has a header but no rows of providers under it")
    columns = [str(c) for c in table.columns]
    table.columns = columns
    found, ages, xy = _recognise(columns, dict(mapping or {}))
    notes: list[str] = []
    n = len(table)
    reasons: list[list[str]] = [[] for _ in range(n)]

    def reject(mask, text_of) -> None:
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            reasons[i].append(text_of(i))

    out = pd.DataFrame(index=table.index)
    # id and name: generated / required
    if S.PROVIDER_ID in found:
        out[S.PROVIDER_ID] = table[found[S.PROVIDER_ID]].astype(str).str.strip()
    else:
        out[S.PROVIDER_ID] = [f"row-{i + 1}" for i in range(n)]
        notes.append("No provider id column: ids are the file's row numbers (row-1, row-2, ...).")
    if S.PROVIDER_NAME not in found:
        raise MissingColumnError("name (or provider name, facility name, ...)", f"{source}: a provider list", columns)
    out[S.PROVIDER_NAME] = table[found[S.PROVIDER_NAME]].astype(str).str.strip()

    # type: required
    if S.PROVIDER_TYPE not in found:
        raise MissingColumnError("type (or provider type, license type, ...)", f"{source}: a provider list", columns)
    out[S.PROVIDER_TYPE] = table[found[S.PROVIDER_TYPE]].astype(str)

    # capacity and the bands
    if S.CAPACITY in found:
        cap, cap_bad = _numbers(table[found[S.CAPACITY]])
    elif ages[S.SLOTS_0_2] or ages[S.SLOTS_3_5]:
        cap, cap_bad = None, np.zeros(n, dtype=bool)
    else:
        raise MissingColumnError("capacity (or licensed capacity, total capacity, ...)", f"{source}: a provider list", columns)
    band_cols = {}
    for band in (S.SLOTS_0_2, S.SLOTS_3_5):
        cols = [found[band]] if band in found else ages[band]
        if cols:
            parts = [_numbers(table[c]) for c in cols]
            for c, (_, bad) in zip(cols, parts):
                reject(bad, lambda i, c=c: f"column {c!r} value {table.at[i, c]!r} is not a number")
            band_cols[band] = sum(v.fillna(0.0) for v, _ in parts)
    if cap is None:
        all_age = [c for cols in ages.values() for c in cols]
        cap = sum(band_cols.values())
        notes.append(f"No total capacity column: capacity = the sum of {', '.join(all_age)}.")
    cap_col = found.get(S.CAPACITY, "capacity")
    reject(cap_bad, lambda i: f"column {cap_col!r} value {table.at[i, cap_col]!r} is not a number")
    reject(cap.isna() & ~cap_bad, lambda i: f"column {cap_col!r} is empty: a licensed capacity is needed")
    reject(
        cap <= 0,
        lambda i: f"column {cap_col!r} value {table.at[i, cap_col] if cap_col in table else cap[i]!r}: capacity must be greater than 0",
    )
    reject(
        cap > S.MAX_CAPACITY,
        lambda i: f"column {cap_col!r} value {table.at[i, cap_col] if cap_col in table else cap[i]!r}: capacity must be at most {S.MAX_CAPACITY:,}",
    )
    out[S.CAPACITY] = cap

    # coordinates: degrees, or projected X/Y with a given CRS
    lat_col, lon_col = found.get(S.LATITUDE), found.get(S.LONGITUDE)
    if lat_col and lon_col:
        lat, lat_bad = _numbers(table[lat_col])
        lon, lon_bad = _numbers(table[lon_col])
        if xy:
            notes.append(
                f"Coordinates from {lat_col!r}/{lon_col!r}; the projected columns {', '.join(repr(c) for c in xy.values())} are ignored."
            )
    elif "x" in xy and "y" in xy:
        x, lon_bad = _numbers(table[xy["x"]])
        y, lat_bad = _numbers(table[xy["y"]])
        degrees = (x.abs() <= 180) & (y.abs() <= 90)
        if degrees[x.notna() & y.notna()].all():
            lon, lat = x, y
            notes.append(f"Coordinates from {xy['x']!r} (longitude) and {xy['y']!r} (latitude), which hold degrees.")
        elif source_crs:
            from pyproj import Transformer

            tr = Transformer.from_crs(source_crs, "EPSG:4326", always_xy=True)
            lon_v, lat_v = tr.transform(x.to_numpy(), y.to_numpy())
            lon, lat = pd.Series(lon_v), pd.Series(lat_v)
            notes.append(f"Coordinates converted from {source_crs} ({xy['x']!r}, {xy['y']!r}).")
        else:
            example = f"{x.dropna().iloc[0]:,.0f}, {y.dropna().iloc[0]:,.0f}" if x.notna().any() else "?"
            raise ParameterError(
                f"{source}: columns {xy['x']!r}/{xy['y']!r} hold projected coordinates (e.g. {example}), not degrees. "
                "Give their coordinate system (--crs EPSG:3857 for Web Mercator, or your state plane's EPSG code), "
                "or map latitude/longitude columns with --map latitude=COLUMN --map longitude=COLUMN."
            )
    else:
        lat = pd.Series(np.nan, index=table.index)
        lon = pd.Series(np.nan, index=table.index)
        lat_bad = lon_bad = pd.Series(False, index=table.index)
    for col, bad in ((lat_col or "latitude", lat_bad), (lon_col or "longitude", lon_bad)):
        if col in table.columns:
            reject(bad, lambda i, col=col: f"column {col!r} value {table.at[i, col]!r} is not a number")
    missing = ((lat.isna() | lon.isna()) & ~lat_bad & ~lon_bad).to_numpy().copy()  # written below
    address = _addresses(table, columns)
    has_address = address["street"].str.strip().ne("").to_numpy() if address is not None else np.zeros(n, dtype=bool)
    if geocoder is not None and (missing & has_address).any():
        todo = address[missing & has_address]
        outcome = geocoder(todo).table.set_index("id")
        matched = outcome["status"].eq("Match")
        lat, lon = lat.copy(), lon.copy()
        for i in todo["id"]:
            if matched.get(i, False):
                lat.iloc[i], lon.iloc[i] = outcome.at[i, "latitude"], outcome.at[i, "longitude"]
                missing[i] = False
            else:
                status = outcome.at[i, "status"] if i in outcome.index else "No answer"
                a = address.loc[i]
                reasons[i].append(
                    f"no coordinates, and the Census geocoder answered {status!r} for '{a.street}, {a.city}, {a.state} {a.zip}'".replace(
                        " ,", ""
                    )
                )
                missing[i] = False  # reported with the geocoder's answer
        notes.append(f"Geocoded {int(matched.sum())} of {len(todo)} addresses with the Census geocoder.")
    if lat_col or xy:
        why = f"columns {lat_col or xy.get('y')!r}/{lon_col or xy.get('x')!r} are empty"
    else:
        why = "the file has no latitude/longitude columns"
    reject(
        missing & has_address, lambda i: f"no coordinates ({why}), but an address: geocode it (--geocode, or the option on the data page)"
    )
    reject(missing & ~has_address, lambda i: f"no coordinates: {why} and there is no address to geocode")

    # swapped latitude / longitude, and outside the region
    lat_v, lon_v = lat.to_numpy(float), lon.to_numpy(float)
    have = np.isfinite(lat_v) & np.isfinite(lon_v)
    if bounds is not None:
        inside = bounds.contains(lon_v, lat_v)
        swapped = have & ~inside & bounds.contains(lat_v, lon_v)
    else:
        inside = (np.abs(lat_v) <= 90) & (np.abs(lon_v) <= 180)
        swapped = have & ~inside & (np.abs(lon_v) <= 90) & (np.abs(lat_v) <= 180)
    n_swapped = int(swapped.sum())
    if n_swapped and fix_swapped:
        lat_v, lon_v = np.where(swapped, lon_v, lat_v), np.where(swapped, lat_v, lon_v)
        notes.append(f"{n_swapped} rows had latitude and longitude swapped; they were swapped back as asked.")
    else:
        reject(swapped, lambda i: f"latitude {lat_v[i]:g} and longitude {lon_v[i]:g} look swapped (swap them back with --fix-swapped)")
    outside = have & ~swapped & ~inside
    where = "outside the region (beyond its 10 km margin)" if bounds is not None else "not valid degrees"
    if bounds is not None:
        where = f"outside the region (more than {bounds.margin_km:g} km beyond its bounding box)"
    reject(outside, lambda i: f"latitude {lat_v[i]:g}, longitude {lon_v[i]:g} is {where}")
    out[S.LATITUDE] = lat_v
    out[S.LONGITUDE] = lon_v

    # slots by band: given, or estimated from the type
    out[S.FUNDING] = table[found[S.FUNDING]].astype(str) if S.FUNDING in found else ""
    out[S.QUALITY_RATING] = table[found[S.QUALITY_RATING]].astype(str) if S.QUALITY_RATING in found else ""
    normalized, problems = S.check_providers(
        out.assign(
            **{
                S.SLOTS_0_2: band_cols.get(S.SLOTS_0_2, 0.0),
                S.SLOTS_3_5: band_cols.get(S.SLOTS_3_5, 0.0),
                S.FUNDING: out[S.FUNDING].replace("", "unknown"),
            }
        ),
        source,
    )
    if not band_cols:
        est = _estimate_bands(normalized)
        normalized[S.SLOTS_0_2], normalized[S.SLOTS_3_5] = est
        normalized["slots_estimated"] = True
        notes.append(
            "No capacity by age in the file: slots by band are ESTIMATED from the total capacity by type "
            f"({', '.join(f'{t} {a:.0%}/{b:.0%}' for t, (a, b) in ASSUMED_BAND_SHARES.items())} for ages 0-2/3-5)."
        )
    else:
        normalized["slots_estimated"] = False
    if S.FUNDING not in found:
        notes.append("No funding column: funding is 'unknown' (Head Start and school pre-K are public).")
    fund = normalized[S.FUNDING].where(normalized[S.FUNDING].notna(), "unknown")
    public_types = normalized[S.PROVIDER_TYPE].isin(["head_start", "school_prek"]) & (fund == "unknown")
    normalized[S.FUNDING] = fund.where(~public_types, "public")

    handled = {S.CAPACITY, S.LATITUDE, S.LONGITUDE}  # already given precise reasons above
    for p in problems:
        if p.row is None or p.column in handled:
            continue
        col = found.get(p.column, p.column)
        value = table.at[p.row - 1, col] if col in table.columns else p.value
        reasons[p.row - 1].append(f"column {col!r} value {value!r}: expected {p.expected}")

    ok = np.array([not r for r in reasons])
    accepted = normalized[ok].reset_index(drop=True)
    rejected = table[~ok].copy()
    rejected.insert(0, "row", np.flatnonzero(~ok) + 1)
    rejected["reason"] = ["; ".join(r) for r, keep in zip(reasons, ok) if not keep]
    mapping_used = {fld: col for fld, col in found.items()}
    for band, cols in ages.items():
        if cols:
            mapping_used[band] = " + ".join(cols)
    return ProviderImport(source, accepted, rejected.reset_index(drop=True), mapping_used, n, notes, n_swapped if fix_swapped else 0)


def _estimate_bands(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    shares = np.array([ASSUMED_BAND_SHARES.get(t, ASSUMED_BAND_SHARES["other"]) for t in df[S.PROVIDER_TYPE]], dtype=float)
    early = df[S.PROVIDER_TYPE].eq("head_start").to_numpy() & df[S.PROVIDER_NAME].str.contains("early head start", case=False).to_numpy()
    shares[early] = (1.0, 0.0)
    cap = df[S.CAPACITY].to_numpy(float)
    return np.floor(cap * shares[:, 0]), np.floor(cap * shares[:, 1])


def import_providers(
    path: str | Path | UserFile,
    mapping: dict[str, str] | None = None,
    bounds: RegionBounds | None = None,
    fix_swapped: bool = False,
    source_crs: str | None = None,
    geocoder: Callable[[pd.DataFrame], GeocodeOutcome] | None = None,
) -> ProviderImport:
    """Read a licensing export and standardize it (see :func:`standardize_providers`)."""
    file = as_user_file(path)
    return standardize_providers(read_provider_table(file), file.name, mapping, bounds, fix_swapped, source_crs, geocoder)


#: Address columns, for geocoding rows without coordinates.
ADDRESS_SYNONYMS: dict[str, tuple[str, ...]] = {
    "street": ("address", "street address", "street", "address 1", "address1", "address line 1", "site address",
               "physical address", "location address"),
    "city": ("city", "site city", "physical city", "location city"),
    "state": ("state", "st", "site state"),
    "zip": ("zip", "zip code", "zipcode", "postal code", "zip5", "site zip"),
}  # fmt: skip


def _addresses(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame | None:
    """id (row position), street, city, state, zip of every row, or None when there is no street column."""
    keyed = {_key(c): c for c in columns}
    found = {part: next((keyed[n] for n in names if n in keyed), None) for part, names in ADDRESS_SYNONYMS.items()}
    if found["street"] is None:
        return None
    out = pd.DataFrame({"id": np.arange(len(table))})
    for part, col in found.items():
        out[part] = table[col].astype(str).str.strip().to_numpy() if col else ""
    return out
