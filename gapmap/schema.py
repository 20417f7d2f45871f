"""The data contracts: column names, age bands, provider types, and the validators.

Two tables enter every analysis:

**Tracts** (a GeoDataFrame in EPSG:4326, one row per census tract)
    ``geoid`` (11-character string: state 2 + county 3 + tract 6 digits), ``geometry`` (Polygon or
    MultiPolygon), optionally ``county`` and ``name`` (derived from the GEOID when absent), and any of
    the child counts in :data:`TRACT_COUNT_COLUMNS`, each optionally with a margin of error column
    named ``<count>_moe`` (ACS 90% margin of error). A file with only geoid, geometry and one count is
    valid; an analysis that needs a missing count raises :class:`~gapmap.errors.MissingColumnError`.

**Providers** (a DataFrame, one row per licensed provider)
    ``provider_id``, ``name``, ``type`` (:data:`PROVIDER_TYPES`), ``latitude``, ``longitude``,
    ``capacity`` (total licensed capacity, may include school-age children), ``slots_0_2``,
    ``slots_3_5`` (licensed slots by age band), ``funding`` (:data:`FUNDING_TYPES`) and an optional
    ``quality_rating``.

Validators return a normalized copy (never mutate their input) or raise
:class:`~gapmap.errors.DataValidationError` listing every problem with its row, column and value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pandera.pandas as pa
import shapely

from gapmap.errors import DataValidationError, MissingColumnError, ParameterError, Problem

__all__ = [
    "Band",
    "BANDS",
    "BAND_KEYS",
    "GEOID",
    "GEOMETRY",
    "COUNTY",
    "NAME",
    "TRACT_COUNT_COLUMNS",
    "PROVIDER_COLUMNS",
    "PROVIDER_TYPES",
    "FUNDING_TYPES",
    "PROVIDER_LABELS",
    "POPULATION",
    "UNDER5_GROUPS",
    "EXTRA_COUNT_COLUMNS",
    "RUCA",
    "moe_column",
    "get_band",
    "validate_tracts",
    "validate_providers",
    "check_providers",
    "parse_numbers",
    "repair_geoids",
    "GEOID_EXPECTED",
]

# --- tracts -------------------------------------------------------------------------------------
GEOID = "geoid"
GEOMETRY = "geometry"
COUNTY = "county"
NAME = "name"

CHILDREN_0_2 = "children_0_2"
CHILDREN_3_5 = "children_3_5"  # ages 3, 4 and 5
CHILDREN_UNDER_5 = "children_under_5"
CHILDREN_UNDER_6 = "children_under_6"
UNDER6_ALL_PARENTS_WORKING = "under6_all_parents_working"
UNDER6_BELOW_100PCT = "under6_below_100pct"
UNDER6_BELOW_200PCT = "under6_below_200pct"

#: Child counts a tract table may carry (ACS 5-year estimates; see GUIDE.md section 4 for tables).
TRACT_COUNT_COLUMNS: tuple[str, ...] = (
    CHILDREN_0_2,
    CHILDREN_3_5,
    CHILDREN_UNDER_5,
    CHILDREN_UNDER_6,
    UNDER6_ALL_PARENTS_WORKING,
    UNDER6_BELOW_100PCT,
    UNDER6_BELOW_200PCT,
)

#: Total population (ACS B01003_001): used for population density where no RUCA code is given.
POPULATION = "population"

#: Children under 5 by race and ethnicity (ACS B01001A-I, _003 + _018): column -> label. Groups A-G
#: are races alone or in combination of two or more and add up to all children under 5; H (white alone,
#: not Hispanic) is part of A, and I (Hispanic or Latino, of any race) overlaps every race group.
UNDER5_GROUPS: dict[str, str] = {
    "under5_white_alone": "White alone",
    "under5_black_alone": "Black or African American alone",
    "under5_aian_alone": "American Indian and Alaska Native alone",
    "under5_asian_alone": "Asian alone",
    "under5_nhpi_alone": "Native Hawaiian and Other Pacific Islander alone",
    "under5_other_race_alone": "Some other race alone",
    "under5_two_or_more_races": "Two or more races",
    "under5_white_alone_not_hispanic": "White alone, not Hispanic or Latino",
    "under5_hispanic_or_latino": "Hispanic or Latino (any race)",
}
#: Further counts a tract table may carry: validated like the child counts, never required.
EXTRA_COUNT_COLUMNS: tuple[str, ...] = (POPULATION, *UNDER5_GROUPS)
#: The RUCA code column (USDA ERS rural-urban commuting area code, 1-10, decimals allowed), optional.
RUCA = "ruca"

MOE_SUFFIX = "_moe"


def moe_column(count_column: str) -> str:
    """Name of the margin-of-error column of a count column (``children_0_2`` -> ``children_0_2_moe``)."""
    return count_column + MOE_SUFFIX


# --- providers ----------------------------------------------------------------------------------
PROVIDER_ID = "provider_id"
PROVIDER_NAME = "name"
PROVIDER_TYPE = "type"
LATITUDE = "latitude"
LONGITUDE = "longitude"
CAPACITY = "capacity"
SLOTS_0_2 = "slots_0_2"
SLOTS_3_5 = "slots_3_5"
FUNDING = "funding"
QUALITY_RATING = "quality_rating"
#: A provider's street address as the licensing export gave it (one line), when it had one: the place
#: search finds providers by it. A family child care home's address is never shown in privacy mode.
ADDRESS = "address"
#: Set on an imported provider whose slots by age were estimated from its total capacity (see
#: :data:`gapmap.sources.provider_steps.ASSUMED_BAND_SHARES`).
SLOTS_ESTIMATED = "slots_estimated"

PROVIDER_COLUMNS: tuple[str, ...] = (
    PROVIDER_ID,
    PROVIDER_NAME,
    PROVIDER_TYPE,
    LATITUDE,
    LONGITUDE,
    CAPACITY,
    SLOTS_0_2,
    SLOTS_3_5,
    FUNDING,
)
OPTIONAL_PROVIDER_COLUMNS: tuple[str, ...] = (QUALITY_RATING, ADDRESS)

#: Provider type codes and the labels shown to people. Validation accepts either, in any case.
PROVIDER_TYPES: dict[str, str] = {
    "center": "Child care center",
    "family_home": "Family child care home",
    "head_start": "Head Start / Early Head Start",
    "school_prek": "School pre-K",
    "other": "Other",
}
FUNDING_TYPES: dict[str, str] = {"public": "Public", "private": "Private", "mixed": "Mixed", "unknown": "Not reported"}
#: Column labels of provider tables shown to people.
PROVIDER_LABELS: dict[str, str] = {
    "distance_km": "Distance (km)",
    PROVIDER_ID: "Provider id",
    PROVIDER_NAME: "Name",
    PROVIDER_TYPE: "Type",
    CAPACITY: "Licensed capacity",
    SLOTS_0_2: "Slots ages 0-2",
    SLOTS_3_5: "Slots ages 3-5",
    FUNDING: "Funding",
}


# --- age bands ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Band:
    """An age band: which children count as demand and which slots count as supply."""

    key: str
    label: str
    short: str
    children: str
    slot_columns: tuple[str, ...]

    def provider_slots(self, providers: pd.DataFrame) -> np.ndarray:
        """Licensed slots of each provider in this band (the sum of its slot columns)."""
        return sum(providers[c].to_numpy(float) for c in self.slot_columns)


#: The age bands of every analysis. "under_5" is CAP's definition (children under 5 against all
#: early-childhood slots); slots for ages 3-5 include some 5-year-olds, so its supply is an upper bound.
BANDS: dict[str, Band] = {
    "0_2": Band("0_2", "Infants and toddlers (ages 0-2)", "0-2", CHILDREN_0_2, (SLOTS_0_2,)),
    "3_5": Band("3_5", "Preschool (ages 3-5)", "3-5", CHILDREN_3_5, (SLOTS_3_5,)),
    "under_5": Band("under_5", "All children under 5", "under 5", CHILDREN_UNDER_5, (SLOTS_0_2, SLOTS_3_5)),
}
BAND_KEYS: tuple[str, ...] = tuple(BANDS)


def get_band(key: str) -> Band:
    """The :class:`Band` for ``key``; accepts ``0_2``, ``0-2``, ``under5`` and the like."""
    norm = str(key).strip().lower().replace("-", "_").replace(" ", "_")
    norm = {"under5": "under_5", "u5": "under_5", "infant_toddler": "0_2", "preschool": "3_5"}.get(norm, norm)
    if norm not in BANDS:
        raise ParameterError(f"unknown age band {key!r}: expected one of {', '.join(BANDS)}")
    return BANDS[norm]


# --- shared validation helpers ------------------------------------------------------------------
#: What a GEOID cell must hold, in the words of every message about one.
GEOID_EXPECTED = "an 11-digit census tract GEOID such as '41011000100'"


def repair_geoids(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Tract GEOIDs of a column as 11-character strings, and a mask of the cells that are GEOIDs.

    The one GEOID repair of gapmap: surrounding spaces go, a number written with a decimal part of zero
    (``41011000100.0``, a spreadsheet's doing) loses it, and a 10-digit code that lost its leading zero
    (a state FIPS below 10 read as a number) gets it back. Anything else that is not 11 digits is not a
    GEOID. Both returned series have the input's index.
    """
    text = values.astype("string").str.strip()
    text = text.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    text = text.where(~text.str.fullmatch(r"\d{10}").fillna(False), "0" + text)
    ok = text.str.fullmatch(r"\d{11}").fillna(False).astype(bool)
    return text.astype(object).where(ok, None), ok


def parse_numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers of a column, as floats (``"1,600"`` -> 1600), and a mask of the cells that are not numbers.

    The one number parser of gapmap. Empty cells are missing values (NaN), not bad ones. Bad: text that is
    not a number, ``inf``/``Infinity``/``NaN`` written out, numbers too large for a float (``1e309``),
    infinite floats, and booleans (``True`` is not a count). Both returned series have a fresh 0..n-1 index.
    """
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.astype("float64").reset_index(drop=True)
        bad = pd.Series(np.isinf(values.to_numpy()))
        return values.where(~bad, np.nan), bad
    text = series.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v), na_action="ignore")
    text = text.astype("string").str.strip().str.replace(",", "", regex=False).reset_index(drop=True)
    text = text.mask(text == "", pd.NA)
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = ((values.isna() & text.notna()).fillna(False) | np.isinf(values.to_numpy())).astype(bool)
    return values.where(~bad, np.nan), bad


def _coerce_numeric(df: pd.DataFrame, columns, problems: list[Problem], expected: str) -> None:
    """Turn text numbers into floats in place (on a copy the caller owns, with a 0..n-1 index), recording
    a :class:`Problem` for every cell :func:`parse_numbers` cannot read."""
    for col in columns:
        if col not in df.columns:
            continue
        raw = df[col]
        values, bad = parse_numbers(raw)
        numeric = pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw)
        for idx in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(int(idx) + 1, col, raw.iloc[idx], expected + (" (a finite number)" if numeric else "")))
        df[col] = values.to_numpy()


def _pandera_problems(schema: pa.DataFrameSchema, df: pd.DataFrame, expected: dict[str, str], original: pd.DataFrame) -> list[Problem]:
    """Run a pandera schema lazily and turn its failure cases into :class:`Problem` rows.

    The value reported is the one in ``original`` (what the user wrote), not the coerced one.
    """
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = []
        fc = exc.failure_cases
        for rec in fc.itertuples(index=False):
            col = rec.column
            idx = rec.index
            row = None if idx is None or (isinstance(idx, float) and np.isnan(idx)) else int(idx) + 1
            check = str(rec.check)
            if check == "not_nullable":
                msg = expected.get(col, "a value") + " (the cell is empty)"
            else:
                msg = expected.get(col, check)
            value = original[col].iloc[row - 1] if row is not None and col in original.columns else rec.failure_case
            problems.append(Problem(row, str(col), value, msg))
        return problems
    return []


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.row if p.row is not None else 0, p.column))


# --- tracts -------------------------------------------------------------------------------------
_RUCA_EXPECTED = "a RUCA code from 1 to 10 (decimals such as 4.1 allowed), 99 or empty when not coded"
#: RUCA's code for tracts with no population or commuting data: read as "not coded".
RUCA_NOT_CODED = 99.0
#: Largest count a tract may carry (a census tract has about 1,200 to 8,000 people; a larger number is a
#: unit mix-up or damage, never data).
MAX_TRACT_COUNT = 1_000_000
_COUNT_EXPECTED = f"a count of children: a number from 0 to {MAX_TRACT_COUNT:,}, or empty when not available"


def validate_tracts(tracts: gpd.GeoDataFrame, source: str = "tracts") -> gpd.GeoDataFrame:
    """Check a tract table against the contract and return a normalized copy.

    Normalization: GEOIDs as 11-character strings (a numeric GEOID that lost its leading zero is
    restored), counts as floats (empty = missing), ``county`` = the 5-digit county FIPS and ``name`` =
    the GEOID where absent, geometry in EPSG:4326.

    Raises
    ------
    DataValidationError
        listing every bad value with its row, column and value.
    MissingColumnError
        when ``geoid``/``geometry`` or every child count is missing.
    """
    if not isinstance(tracts, gpd.GeoDataFrame) or tracts.geometry.name is None:
        raise MissingColumnError(GEOMETRY, f"{source}: a tract table", list(getattr(tracts, "columns", [])))
    gdf = tracts.copy()
    if gdf.geometry.name != GEOMETRY:
        gdf = gdf.rename_geometry(GEOMETRY)
    gdf.columns = [str(c).strip() for c in gdf.columns]
    if GEOID not in gdf.columns:
        alt = next((c for c in gdf.columns if c.lower() in {"geoid", "geoid20", "geoid10", "geo_id"}), None)
        if alt is None:
            raise MissingColumnError(GEOID, f"{source}: a tract table", list(gdf.columns))
        gdf = gdf.rename(columns={alt: GEOID})
    counts = [c for c in TRACT_COUNT_COLUMNS if c in gdf.columns]
    if not counts:
        raise MissingColumnError(
            " or ".join(TRACT_COUNT_COLUMNS[:3]) + " (at least one child count)",
            f"{source}: a tract table",
            list(gdf.columns),
        )
    counts += [c for c in EXTRA_COUNT_COLUMNS if c in gdf.columns]
    problems: list[Problem] = []
    gdf = gdf.reset_index(drop=True)

    # GEOID: digits only, 11 characters; a number that lost its leading zero gets it back.
    raw = gdf[GEOID]
    text, ok = repair_geoids(raw)
    for idx in np.flatnonzero(~ok.to_numpy()):
        problems.append(Problem(int(idx) + 1, GEOID, raw.iloc[idx], GEOID_EXPECTED))
    gdf[GEOID] = text.where(ok, raw.astype("string").str.strip()).astype(object)
    dup = text.duplicated(keep="first") & ok
    for idx in np.flatnonzero(dup.to_numpy()):
        problems.append(Problem(int(idx) + 1, GEOID, raw.iloc[idx], "a GEOID that no other row has (this one is repeated)"))

    moes = [moe_column(c) for c in counts if moe_column(c) in gdf.columns]
    _coerce_numeric(gdf, counts + moes, problems, _COUNT_EXPECTED)
    for col in counts + moes:
        neg = ((gdf[col] < 0) | (gdf[col] > MAX_TRACT_COUNT)).to_numpy()
        for idx in np.flatnonzero(neg):
            problems.append(Problem(int(idx) + 1, col, gdf[col].iloc[idx], _COUNT_EXPECTED))

    if RUCA in gdf.columns:
        raw_ruca = gdf[RUCA]
        _coerce_numeric(gdf, [RUCA], problems, _RUCA_EXPECTED)
        code = gdf[RUCA].to_numpy(float)
        bad = np.isfinite(code) & (code != RUCA_NOT_CODED) & ((code < 1) | (code >= 11))
        for idx in np.flatnonzero(bad):
            problems.append(Problem(int(idx) + 1, RUCA, raw_ruca.iloc[idx], _RUCA_EXPECTED))
        gdf[RUCA] = np.where(code == RUCA_NOT_CODED, np.nan, code)

    # Geometry: present, polygonal, valid.
    geom = gdf.geometry.values
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    types = shapely.get_type_id(geom)
    polygonal = np.isin(types, [3, 6])  # Polygon, MultiPolygon
    for idx in np.flatnonzero(missing):
        problems.append(Problem(int(idx) + 1, GEOMETRY, None, "a tract polygon (the geometry is empty)"))
    for idx in np.flatnonzero(~missing & ~polygonal):
        problems.append(Problem(int(idx) + 1, GEOMETRY, shapely.get_type_id(geom[idx]), "a Polygon or MultiPolygon"))
    if problems:
        raise DataValidationError(source, _sorted(problems))

    invalid = ~shapely.is_valid(geom)
    if invalid.any():
        gdf.loc[invalid, GEOMETRY] = shapely.make_valid(geom[invalid])
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise DataValidationError(
                source,
                [Problem(None, GEOMETRY, None, "coordinates in degrees, or a file that declares its coordinate system")],
            )
        gdf = gdf.set_crs(4326)
    elif not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs(4326)

    if COUNTY not in gdf.columns:
        gdf[COUNTY] = gdf[GEOID].str[:5]
    else:
        gdf[COUNTY] = gdf[COUNTY].astype("string").fillna(gdf[GEOID].str[:5]).astype(object)
    if NAME not in gdf.columns:
        gdf[NAME] = gdf[GEOID]
    else:
        gdf[NAME] = gdf[NAME].astype("string").fillna(gdf[GEOID]).astype(object)
    return gdf


# --- providers ----------------------------------------------------------------------------------
def _code_lookup(codes: dict[str, str]) -> dict[str, str]:
    """Accept codes and labels in any case, with spaces, hyphens or underscores."""

    def key(s: str) -> str:
        return " ".join(re.sub(r"[^0-9a-z]+", " ", s.lower()).split())

    out = {key(code): code for code in codes}
    out.update({key(label): code for code, label in codes.items()})
    return out


#: The contract accepts codes and labels only; states' own words (Oregon DELC's facility types and others)
#: are mapped by the provider import from gapmap/sources/vocabularies.json, with their sources.
_TYPE_LOOKUP = _code_lookup(PROVIDER_TYPES)
_FUNDING_LOOKUP = _code_lookup(FUNDING_TYPES)

#: Largest licensed capacity of one site (the largest centres license about 1,000 children).
MAX_CAPACITY = 10_000

_PROVIDER_EXPECTED = {
    PROVIDER_ID: "a provider id (any text, unique)",
    PROVIDER_NAME: "a provider name",
    PROVIDER_TYPE: "one of: " + ", ".join(PROVIDER_TYPES),
    LATITUDE: "a latitude in degrees, from -90 to 90",
    LONGITUDE: "a longitude in degrees, from -180 to 180",
    CAPACITY: f"a licensed capacity: a number greater than 0 and at most {MAX_CAPACITY:,}",
    SLOTS_0_2: "a number of slots at least 0, at most the capacity",
    SLOTS_3_5: "a number of slots at least 0, at most the capacity",
    FUNDING: "one of: " + ", ".join(FUNDING_TYPES),
}

_PROVIDER_SCHEMA = pa.DataFrameSchema(
    {
        PROVIDER_ID: pa.Column(object, nullable=False),
        PROVIDER_NAME: pa.Column(object, nullable=False),
        PROVIDER_TYPE: pa.Column(object, pa.Check.isin(list(PROVIDER_TYPES), error=_PROVIDER_EXPECTED[PROVIDER_TYPE]), nullable=False),
        LATITUDE: pa.Column(float, pa.Check.in_range(-90, 90, error=_PROVIDER_EXPECTED[LATITUDE]), nullable=False),
        LONGITUDE: pa.Column(float, pa.Check.in_range(-180, 180, error=_PROVIDER_EXPECTED[LONGITUDE]), nullable=False),
        CAPACITY: pa.Column(
            float,
            [pa.Check.gt(0, error=_PROVIDER_EXPECTED[CAPACITY]), pa.Check.le(MAX_CAPACITY, error=_PROVIDER_EXPECTED[CAPACITY])],
            nullable=False,
        ),
        SLOTS_0_2: pa.Column(float, pa.Check.ge(0, error=_PROVIDER_EXPECTED[SLOTS_0_2]), nullable=False),
        SLOTS_3_5: pa.Column(float, pa.Check.ge(0, error=_PROVIDER_EXPECTED[SLOTS_3_5]), nullable=False),
        FUNDING: pa.Column(object, pa.Check.isin(list(FUNDING_TYPES), error=_PROVIDER_EXPECTED[FUNDING]), nullable=False),
    },
    strict=False,
    coerce=False,
)


def check_providers(providers: pd.DataFrame, source: str = "providers") -> tuple[pd.DataFrame, list[Problem]]:
    """Normalize a provider table and list every problem, without raising on bad values.

    Returns the normalized copy (type and funding as codes, numbers as floats, ids and names as text)
    and the problems found (1-based data rows). Raises :class:`MissingColumnError` when a required
    column is absent, since no row can then be checked.
    """
    df = providers.copy()
    df.columns = [str(c).strip() for c in df.columns]
    for col in PROVIDER_COLUMNS:
        if col not in df.columns:
            raise MissingColumnError(col, f"{source}: a provider table", list(df.columns))
    df = df.reset_index(drop=True)
    original = df.copy()
    problems: list[Problem] = []
    for col in (PROVIDER_ID, PROVIDER_NAME):
        s = df[col].astype("string").str.strip()
        df[col] = s.mask(s == "", pd.NA).astype(object).where(lambda x: x.notna(), None)
    for col, lookup in ((PROVIDER_TYPE, _TYPE_LOOKUP), (FUNDING, _FUNDING_LOOKUP)):
        raw = df[col]
        keyed = raw.astype("string").str.lower().str.replace(r"[^0-9a-z]+", " ", regex=True).str.strip()
        mapped = keyed.map(lookup, na_action="ignore")
        unknown = mapped.isna() & raw.notna()
        for idx in np.flatnonzero(unknown.to_numpy()):
            problems.append(Problem(int(idx) + 1, col, raw.iloc[idx], _PROVIDER_EXPECTED[col]))
        df[col] = mapped.astype(object).where(mapped.notna(), None)
        if unknown.any():  # reported already; keep pandera from reporting the same cell again
            df.loc[unknown.to_numpy(), col] = next(iter(lookup.values()))
    numeric = [LATITUDE, LONGITUDE, CAPACITY, SLOTS_0_2, SLOTS_3_5]
    n_before = len(problems)
    _coerce_numeric(df, numeric, problems, "a number")
    coerced_bad = {(p.row, p.column) for p in problems[n_before:]}
    checked = df.copy()
    for row, col in coerced_bad:  # already reported as "not a number"; do not report "empty" too
        if row is not None:
            checked.loc[row - 1, col] = 0.0 if col != CAPACITY else 1.0
    problems += _pandera_problems(_PROVIDER_SCHEMA, checked, _PROVIDER_EXPECTED, original)
    ids = df[PROVIDER_ID]
    first_row: dict[object, int] = {}
    for pos, pid in enumerate(ids):
        if pid is None:
            continue
        if pid in first_row:
            problems.append(
                Problem(
                    pos + 1,
                    PROVIDER_ID,
                    original[PROVIDER_ID].iloc[pos],
                    f"a provider id that no other row has (row {first_row[pid]} has it too)",
                )
            )
        else:
            first_row[pid] = pos + 1
    unreadable = np.zeros(len(df), dtype=bool)
    for row, _col in coerced_bad:
        if row is not None:
            unreadable[row - 1] = True
    over = ((checked[SLOTS_0_2] + checked[SLOTS_3_5]) > checked[CAPACITY]) & (checked[CAPACITY] > 0) & ~unreadable
    for idx in np.flatnonzero(over.fillna(False).to_numpy()):
        problems.append(
            Problem(
                int(idx) + 1,
                SLOTS_0_2 + "+" + SLOTS_3_5,
                f"{checked[SLOTS_0_2].iloc[idx]:g}+{checked[SLOTS_3_5].iloc[idx]:g}",
                f"slots by age band that add up to at most the capacity ({checked[CAPACITY].iloc[idx]:g})",
            )
        )
    for col in (QUALITY_RATING, ADDRESS):
        if col in df.columns:
            q = df[col].astype("string").str.strip()
            df[col] = q.mask(q == "", pd.NA).astype(object).where(lambda x: x.notna(), None)
    return df, _sorted(problems)


def validate_providers(providers: pd.DataFrame, source: str = "providers") -> pd.DataFrame:
    """Check a provider table against the contract and return a normalized copy.

    Raises
    ------
    DataValidationError
        listing every bad value with its row, column and value, and what was expected.
    MissingColumnError
        when a required column is absent.
    """
    df, problems = check_providers(providers, source)
    if problems:
        raise DataValidationError(source, problems)
    return df
