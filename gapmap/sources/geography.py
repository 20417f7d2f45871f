"""Tract geometries: from disk (GeoJSON, GeoPackage, GeoParquet, shapefile), or fetched from the Census
Bureau's cartographic boundary files (``cb_YYYY_SS_tract_500k.zip``) and joined to ACS estimates.

Vintages: ACS 2020 and later use 2020 tract definitions; the boundary file of the same year is used.
Water-only tracts (``ALAND = 0``) are kept so the map has no holes, flagged ``water_only``, and given no
estimates, so every analysis leaves them out (their classes read "no data").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gapmap import schema as S
from gapmap.errors import DataSourceError, NetworkError, ParameterError
from gapmap.sources.files import DEFAULT_LIMITS, ReadLimits, UserFile, as_user_file, read_geo

__all__ = [
    "TRACT_FORMATS",
    "CB_URL",
    "STATES",
    "read_tracts",
    "read_cb_tracts",
    "fetch_cb_tracts",
    "resolve_state",
    "resolve_counties",
    "join_acs",
    "fetch_region",
    "region_cache_path",
]

#: File endings read as tract files.
TRACT_FORMATS = (".geojson", ".json", ".gpkg", ".parquet", ".geoparquet", ".shp", ".zip")
CB_URL = "https://www2.census.gov/geo/tiger/GENZ{year}/shp/cb_{year}_{state}_tract_500k.zip"

#: FIPS code -> (postal code, name) of the states, DC and Puerto Rico.
STATES: dict[str, tuple[str, str]] = {
    "01": ("AL", "Alabama"), "02": ("AK", "Alaska"), "04": ("AZ", "Arizona"), "05": ("AR", "Arkansas"),
    "06": ("CA", "California"), "08": ("CO", "Colorado"), "09": ("CT", "Connecticut"), "10": ("DE", "Delaware"),
    "11": ("DC", "District of Columbia"), "12": ("FL", "Florida"), "13": ("GA", "Georgia"), "15": ("HI", "Hawaii"),
    "16": ("ID", "Idaho"), "17": ("IL", "Illinois"), "18": ("IN", "Indiana"), "19": ("IA", "Iowa"),
    "20": ("KS", "Kansas"), "21": ("KY", "Kentucky"), "22": ("LA", "Louisiana"), "23": ("ME", "Maine"),
    "24": ("MD", "Maryland"), "25": ("MA", "Massachusetts"), "26": ("MI", "Michigan"), "27": ("MN", "Minnesota"),
    "28": ("MS", "Mississippi"), "29": ("MO", "Missouri"), "30": ("MT", "Montana"), "31": ("NE", "Nebraska"),
    "32": ("NV", "Nevada"), "33": ("NH", "New Hampshire"), "34": ("NJ", "New Jersey"), "35": ("NM", "New Mexico"),
    "36": ("NY", "New York"), "37": ("NC", "North Carolina"), "38": ("ND", "North Dakota"), "39": ("OH", "Ohio"),
    "40": ("OK", "Oklahoma"), "41": ("OR", "Oregon"), "42": ("PA", "Pennsylvania"), "44": ("RI", "Rhode Island"),
    "45": ("SC", "South Carolina"), "46": ("SD", "South Dakota"), "47": ("TN", "Tennessee"), "48": ("TX", "Texas"),
    "49": ("UT", "Utah"), "50": ("VT", "Vermont"), "51": ("VA", "Virginia"), "53": ("WA", "Washington"),
    "54": ("WV", "West Virginia"), "55": ("WI", "Wisconsin"), "56": ("WY", "Wyoming"), "72": ("PR", "Puerto Rico"),
}  # fmt: skip


def read_tracts(source: str | Path | UserFile, layer: str | None = None, limits: ReadLimits = DEFAULT_LIMITS) -> gpd.GeoDataFrame:
    """Read and validate a tract file (a path, or an upload as a :class:`~gapmap.sources.files.UserFile`;
    see :mod:`gapmap.schema` for the columns), opened by the safe reader.

    Raises
    ------
    DataSourceError
        when the file is missing or is not a readable tract file.
    DataValidationError, MissingColumnError
        when its contents break the tract contract.
    """
    file = as_user_file(source, limits)
    gdf = read_geo(file, limits, layer=layer)
    return S.validate_tracts(gdf, source=file.name)


# --- places -------------------------------------------------------------------------------------
def resolve_state(state: str) -> str:
    """Two-digit FIPS code of a state given by FIPS code, postal code or name ("41", "OR", "Oregon")."""
    text = str(state).strip()
    if text.isdigit() and text.zfill(2) in STATES:
        return text.zfill(2)
    for fips, (postal, name) in STATES.items():
        if text.upper() == postal or text.lower() == name.lower():
            return fips
    raise ParameterError(f"unknown state {state!r}: give a FIPS code (41), a postal code (OR) or a name (Oregon)")


def _county_key(name: str) -> str:
    return re.sub(r"\b(county|parish|borough|census area|municipio|city and borough)\b", "", str(name).lower()).strip(" .")


def resolve_counties(counties: list[str] | None, known: pd.DataFrame) -> list[str] | None:
    """Three-digit county FIPS codes from codes or names, using ``known`` (columns ``county_fips``,
    ``county``: the counties of the state's boundary file). None or [] means the whole state."""
    if not counties:
        return None
    by_name = {_county_key(n): f for f, n in zip(known["county_fips"], known["county"])}
    codes = set(known["county_fips"])
    out = []
    for c in counties:
        text = str(c).strip()
        code = text[-3:].zfill(3) if text.isdigit() else by_name.get(_county_key(text))
        if code is None or code not in codes:
            sample = ", ".join(sorted(known["county"].unique())[:6])
            raise ParameterError(f"unknown county {c!r} in this state: give a name such as {sample}, or a 3-digit FIPS code")
        out.append(code)
    return sorted(set(out))


# --- cartographic boundary files ----------------------------------------------------------------
def read_cb_tracts(source: str | Path | bytes) -> gpd.GeoDataFrame:
    """Tracts of a ``cb_YYYY_SS_tract_500k.zip`` (a path or its bytes), in EPSG:4326, with ``geoid``,
    ``county_fips``, ``county`` (name, or FIPS code when the file has no names), ``aland``,
    ``water_only`` and geometry. Opened by the safe reader, like a user's file."""
    file = UserFile.of("cb_tract_500k.zip", source) if isinstance(source, bytes) else UserFile.from_path(source)
    gdf = read_geo(file, formats=("shapefile",))
    cols = {c.upper(): c for c in gdf.columns}
    need = ["GEOID", "COUNTYFP", "ALAND"]
    missing = [c for c in need if c not in cols]
    if missing:
        raise DataSourceError(f"boundary file lacks the columns {', '.join(missing)} (has: {', '.join(gdf.columns)})")
    out = gpd.GeoDataFrame(
        {
            S.GEOID: gdf[cols["GEOID"]].astype(str).str[-11:],
            "county_fips": gdf[cols["COUNTYFP"]].astype(str).str.zfill(3),
            S.COUNTY: gdf[cols["NAMELSADCO"]].astype(str) if "NAMELSADCO" in cols else gdf[cols["COUNTYFP"]].astype(str),
            "aland": pd.to_numeric(gdf[cols["ALAND"]], errors="coerce"),
        },
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    out["water_only"] = out["aland"].fillna(0) == 0
    return out.to_crs(4326).sort_values(S.GEOID, kind="stable").reset_index(drop=True)


def fetch_cb_tracts(state_fips: str, year: int, session, timeout_s: float = 120.0) -> gpd.GeoDataFrame:
    """Download and read the state's cartographic boundary tract file for ``year``."""
    import requests

    url = CB_URL.format(year=year, state=state_fips)
    try:
        resp = session.get(url, timeout=timeout_s)
    except requests.RequestException as exc:
        raise NetworkError(
            f"could not download the {year} tract boundaries of state {state_fips} ({type(exc).__name__}); check the connection and try again"
        ) from None
    if resp.status_code == 404:
        raise NetworkError(f"the Census Bureau has no {year} tract boundary file for state {state_fips} ({url})")
    if resp.status_code != 200:
        raise NetworkError(
            f"downloading the {year} tract boundaries of state {state_fips} failed (HTTP {resp.status_code}); try again later"
        )
    return read_cb_tracts(resp.content)


# --- joined regions, cached ---------------------------------------------------------------------
def join_acs(shapes: gpd.GeoDataFrame, acs: pd.DataFrame) -> gpd.GeoDataFrame:
    """Boundary shapes + ACS estimates -> a validated tract table. Water-only tracts get no estimates."""
    shapes = shapes.copy()
    if S.COUNTY in acs.columns and shapes[S.COUNTY].str.fullmatch(r"\d{3}").all():
        # boundary files before 2021 carry no county names: take them from the ACS tract names
        names = acs.assign(county_fips=acs[S.GEOID].str[2:5]).drop_duplicates("county_fips").set_index("county_fips")[S.COUNTY]
        shapes[S.COUNTY] = shapes["county_fips"].map(names).fillna(shapes[S.COUNTY])
    est = acs.drop(columns=[S.COUNTY], errors="ignore")
    gdf = shapes.merge(est, on=S.GEOID, how="left")
    counts = [c for c in gdf.columns if c.removesuffix(S.MOE_SUFFIX) in S.TRACT_COUNT_COLUMNS + S.EXTRA_COUNT_COLUMNS]
    numeric = [c for c in counts if not c.endswith("_reliability")]
    gdf.loc[gdf["water_only"], numeric] = np.nan
    if S.NAME not in gdf.columns or gdf[S.NAME].isna().all():
        gdf[S.NAME] = gdf[S.GEOID]
    return S.validate_tracts(gpd.GeoDataFrame(gdf, geometry="geometry", crs=shapes.crs), source="ACS + boundaries")


def region_cache_path(cache_dir: Path, state_fips: str, counties: list[str] | None, year: int) -> Path:
    label = "all" if not counties else "-".join(counties)
    return Path(cache_dir) / f"acs5_{year}_{state_fips}_{label}.parquet"


def fetch_region(
    state: str,
    counties: list[str] | None,
    year: int,
    key: str | None,
    session,
    cache_dir: Path,
    progress: Callable[[str], None] | None = None,
    refresh: bool = False,
) -> tuple[gpd.GeoDataFrame, Path]:
    """Tracts with ACS estimates for a state and counties: from the cache when there, else fetched
    (boundaries, then the ACS) and cached as GeoParquet. Returns (tracts, cache file).

    County names are resolved with the state's boundary file; its county list is kept beside the cache,
    so a cached region is found offline by names as well as by codes.
    """
    from gapmap.sources.census import fetch_acs_tracts

    say = progress or (lambda _m: None)
    state_fips = resolve_state(state)
    known_file = Path(cache_dir) / f"counties_{year}_{state_fips}.csv"
    shapes = None

    def download_shapes() -> gpd.GeoDataFrame:
        say(f"Tract boundaries {year}: state {state_fips}")
        full = fetch_cb_tracts(state_fips, year, session)
        known_file.parent.mkdir(parents=True, exist_ok=True)
        full[["county_fips", S.COUNTY]].drop_duplicates().to_csv(known_file, index=False)
        return full

    if counties and all(str(c).strip().isdigit() for c in counties):
        county_codes: list[str] | None = sorted({str(c).strip()[-3:].zfill(3) for c in counties})
    elif counties:
        if known_file.exists():
            known = pd.read_csv(known_file, dtype=str)
        else:
            shapes = download_shapes()
            known = shapes[["county_fips", S.COUNTY]].drop_duplicates()
        county_codes = resolve_counties(counties, known)
    else:
        county_codes = None
    path = region_cache_path(cache_dir, state_fips, county_codes, year)
    if path.exists() and not refresh:
        say(f"From the cache: {path.name}")
        return S.validate_tracts(gpd.read_parquet(path), source=path.name), path
    if shapes is None:
        shapes = download_shapes()
    if county_codes:
        shapes = shapes[shapes["county_fips"].isin(county_codes)].reset_index(drop=True)
    acs = fetch_acs_tracts(state_fips, county_codes, year, key, session, progress=say)
    tracts = join_acs(shapes, acs)
    path.parent.mkdir(parents=True, exist_ok=True)
    tracts.to_parquet(path)
    say(f"Saved {len(tracts)} tracts ({path.name})")
    return tracts, path
