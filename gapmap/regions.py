"""Regions (counties, Early Learning Hubs, custom areas) and roll-ups of tract metrics to them.

A **region** is a named set of tracts. A **region set** (hubs of a state, its counties, a planner's own
areas) is a list of regions that do not overlap. A region is defined by any mix of

* ``counties``: 5-digit county FIPS codes (state + county); every tract of the county belongs;
* ``areas``: polygons; a tract belongs when its representative point (the point where its children
  are taken to live, :func:`gapmap.metrics.compute_tract_points`) lies inside, optionally only for
  tracts of the listed counties;
* ``tracts``: 11-digit tract GEOIDs.

When two regions claim the same tract, the more specific claim wins: a listed tract beats an area,
and an area beats a county. This is how a county split between hubs is written: Oregon's Douglas
County belongs to the South-Central hub as a county, and its coastal part to the South Coast hub as an
area. Two claims of the same kind on one tract are an error that names the tract and both regions.

Region sets are kept as small JSON files (``data/regions/*.json``; the format is in
``data/regions/README.md`` and :func:`parse_region_set`), or read from polygons (GeoJSON, GeoPackage,
shapefile zip) or a two-column table of tract and region (CSV, Excel).

**Roll-ups** (:func:`compute_rollup`) aggregate every tract measure correctly (GUIDE.md section 4):
counts are summed; ratios are recomputed from the sums, never averaged (a region's slots per 100
children is 100 x its slots / its children); margins of error of sums are the square root of the sum
of squared margins (Census Bureau, *Understanding and Using ACS Data*, 2020, formula 1); shares of
children carry the ACS margin of error of a proportion (formula 4); access is weighted by children.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gapmap import schema as S
from gapmap.errors import DataValidationError, ParameterError, Problem
from gapmap.metrics import MetricsResult, compute_tract_points, metric_column
from gapmap.metrics.deserts import DESERT, EXTREME_DESERT, classify_osu
from gapmap.sources.files import UserFile, read_geo, read_json, read_table, sniff_format

__all__ = [
    "FORMAT",
    "Area",
    "RegionDef",
    "RegionSet",
    "RegionAssignment",
    "parse_region_set",
    "read_region_set",
    "read_region_file",
    "list_region_sets",
    "region_sets_for",
    "county_region_set",
    "region_set_from_polygons",
    "region_set_from_table",
    "assign_regions",
    "combine_moe",
    "proportion_moe",
    "compute_rollup",
    "dissolve_regions",
    "ALL_TRACTS",
]

#: The ``format`` value of a region file this version reads and writes.
FORMAT = "gapmap-regions/1"
#: The name of the whole-data row of a roll-up.
ALL_TRACTS = "All tracts"
#: Longest region name accepted (names label charts, tables and maps).
MAX_REGION_NAME = 120


def _bad_region_name(name: str) -> str | None:
    """What is wrong with a (stripped, non-empty) region name, or None."""
    if name.casefold() == ALL_TRACTS.casefold():
        return f"a region name other than {ALL_TRACTS!r} (that name is the row of every tract together)"
    if len(name) > MAX_REGION_NAME:
        return f"a region name of at most {MAX_REGION_NAME} characters"
    if re.search(r"[\x00-\x1f\x7f]", name):
        return "a region name without control characters (line breaks, tabs)"
    return None
#: How specific each kind of claim is: a listed tract beats an area, an area beats a county.
_SPECIFICITY = {"county": 1, "area": 2, "tract": 3}


@dataclass(frozen=True)
class Area:
    """A polygon part of a region; ``counties`` (5-digit FIPS), when given, limits it to their tracts."""

    label: str
    geometry: shapely.Geometry
    counties: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegionDef:
    """One region: a name and the counties, areas and tracts it is made of."""

    name: str
    counties: tuple[str, ...] = ()
    areas: tuple[Area, ...] = ()
    tracts: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class RegionSet:
    """Regions that do not overlap, with where their definition comes from."""

    key: str
    label: str
    kind: str
    regions: tuple[RegionDef, ...]
    state: str | None = None
    source: str = ""
    notes: str = ""

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.regions]

    def to_dict(self) -> dict:
        """The region file contents (see :func:`parse_region_set`)."""
        regions = []
        for r in self.regions:
            item: dict[str, object] = {"name": r.name}
            if r.counties:
                item["counties"] = list(r.counties)
            if r.areas:
                item["areas"] = [
                    {
                        "label": a.label,
                        **({"counties": list(a.counties)} if a.counties else {}),
                        "geometry": shapely.geometry.mapping(a.geometry),
                    }
                    for a in r.areas
                ]
            if r.tracts:
                item["tracts"] = list(r.tracts)
            if r.note:
                item["note"] = r.note
            regions.append(item)
        out: dict[str, object] = {"format": FORMAT, "key": self.key, "label": self.label, "kind": self.kind}
        if self.state:
            out["state"] = self.state
        out.update({"source": self.source, "notes": self.notes, "regions": regions})
        return out

    def to_json(self) -> str:
        return json.dumps(_round_coords(self.to_dict()), indent=1, ensure_ascii=False) + "\n"


def _round_coords(obj):
    if isinstance(obj, dict):
        return {k: (_round_nested(v) if k == "coordinates" else _round_coords(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round_coords(v) for v in obj]
    return obj


def _round_nested(obj):
    if isinstance(obj, (list, tuple)):
        return [_round_nested(v) for v in obj]
    return round(float(obj), 6)


# --- reading definitions ------------------------------------------------------------------------
def _codes(value, n_digits: int, state: str | None, where: tuple[int, str], problems: list[Problem], what: str) -> tuple[str, ...]:
    """Validate a list of FIPS codes (county: 5 digits, or 3 with the set's state; tract: 11)."""
    row, column = where
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(Problem(row, column, value, f"a list of {what}"))
        return ()
    out = []
    for v in value:
        text = str(v).strip()
        if n_digits == 5 and state and re.fullmatch(r"\d{3}", text):
            text = state + text
        if not re.fullmatch(rf"\d{{{n_digits}}}", text):
            problems.append(Problem(row, column, v, what))
            continue
        out.append(text)
    return tuple(out)


def parse_region_set(data: Mapping, source: str = "regions") -> RegionSet:
    """A :class:`RegionSet` from a region file's contents, checking every field.

    The format (JSON)::

        {"format": "gapmap-regions/1", "key": "oregon-hubs", "label": "Oregon Early Learning Hubs",
         "kind": "hub", "state": "41", "source": "...", "notes": "...",
         "regions": [
           {"name": "South Coast Regional Early Learning Hub", "counties": ["41011", "41015"],
            "areas": [{"label": "Coastal Douglas", "counties": ["41019"], "geometry": {GeoJSON polygon}}]},
           {"name": "...", "tracts": ["41019000100", "..."], "note": "..."}]}

    County codes may be given with 3 digits when ``state`` is set. Problems are reported with the
    region's position as the row (region 1 is the first).
    """
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise DataValidationError(source, [Problem(None, "(file)", type(data).__name__, "a JSON object with a 'regions' list")])
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        problems.append(Problem(None, "format", fmt, f"{FORMAT!r}"))
    state = data.get("state")
    if state is not None:
        state = str(state).strip()
        if not re.fullmatch(r"\d{2}", state):
            problems.append(Problem(None, "state", data.get("state"), "a 2-digit state FIPS code such as '41'"))
            state = None
    items = data.get("regions")
    if not isinstance(items, list) or not items:
        raise DataValidationError(source, [*problems, Problem(None, "regions", items, "a non-empty list of regions")])
    regions: list[RegionDef] = []
    seen: dict[str, int] = {}
    for k, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            problems.append(Problem(k, "(region)", item, "an object with a 'name' and counties, areas or tracts"))
            continue
        name = str(item.get("name") or "").strip()
        if not name:
            problems.append(Problem(k, "name", item.get("name"), "a region name"))
        elif _bad_region_name(name):
            problems.append(Problem(k, "name", name, _bad_region_name(name)))
        elif name in seen:
            problems.append(Problem(k, "name", name, f"a name no other region has (region {seen[name]} has it)"))
        else:
            seen[name] = k
        counties = _codes(item.get("counties"), 5, state, (k, "counties"), problems, "a 5-digit county FIPS code such as '41019'")
        tracts = _codes(item.get("tracts"), 11, state, (k, "tracts"), problems, "an 11-digit tract GEOID such as '41019000100'")
        areas = []
        raw_areas = item.get("areas") or []
        if not isinstance(raw_areas, list):
            problems.append(Problem(k, "areas", raw_areas, "a list of areas"))
            raw_areas = []
        for a in raw_areas:
            if not isinstance(a, Mapping):
                problems.append(Problem(k, "areas", a, "an area: an object with a 'geometry'"))
                continue
            try:
                geom = shapely.geometry.shape(a.get("geometry"))
            except Exception:  # shapely raises several types for a bad mapping
                problems.append(Problem(k, "areas.geometry", str(a.get("geometry"))[:60], "a GeoJSON Polygon or MultiPolygon in degrees"))
                continue
            if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
                problems.append(Problem(k, "areas.geometry", geom.geom_type, "a GeoJSON Polygon or MultiPolygon in degrees"))
                continue
            minx, miny, maxx, maxy = geom.bounds
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                problems.append(Problem(k, "areas.geometry", f"bounds {geom.bounds}", "longitude and latitude in degrees"))
                continue
            if not geom.is_valid:
                geom = shapely.make_valid(geom)
            a_counties = _codes(a.get("counties"), 5, state, (k, "areas.counties"), problems, "a 5-digit county FIPS code")
            areas.append(Area(str(a.get("label") or name), geom, a_counties))
        if not (counties or tracts or areas) and name:
            problems.append(Problem(k, "name", name, "a region with at least one county, area or tract"))
        regions.append(RegionDef(name, counties, tuple(areas), tracts, str(item.get("note") or "")))
    if problems:
        raise DataValidationError(source, problems)
    key = str(data.get("key") or Path(source).stem)
    return RegionSet(
        key=key,
        label=str(data.get("label") or key),
        kind=str(data.get("kind") or "custom"),
        regions=tuple(regions),
        state=state,
        source=str(data.get("source") or ""),
        notes=str(data.get("notes") or ""),
    )


def read_region_set(path: str | Path) -> RegionSet:
    """Read a region file (``.json``, or polygons / a tract table, see :func:`read_region_file`)."""
    file = UserFile.from_path(path)
    return read_region_file(file.data, file.name)


_NAME_COLUMNS = ("region", "name", "hub", "region_name", "hub_name", "label")


def read_region_file(data: bytes, filename: str, name_column: str | None = None) -> RegionSet:
    """A region set from a file's bytes, opened by the safe reader (:mod:`gapmap.sources.files`): a
    region file (``.json``), polygons (``.geojson``, ``.gpkg``, zipped shapefile; one feature per region,
    named by ``name_column`` or the first of region / name / hub / label), or a table of tracts and
    regions (``.csv``, ``.xlsx``; a GEOID column and a region column). A ``.json`` that is GeoJSON is
    read as polygons."""
    file = UserFile.of(filename, data)
    fmt = sniff_format(file, ("json", "geojson", "gpkg", "shapefile", "csv", "xlsx"))
    if fmt == "json":
        return parse_region_set(read_json(file, "region file"), file.name)
    if fmt in ("geojson", "gpkg", "shapefile"):
        return region_set_from_polygons(read_geo(file, formats=(fmt,)), name_column=name_column, source=file.name)
    table = read_table(file)
    table = table.where(table != "", None)
    return region_set_from_table(table, name_column=name_column, source=file.name)


def _pick_name_column(columns, name_column: str | None, source: str) -> str:
    cols = {str(c).strip().lower(): c for c in columns}
    if name_column is not None:
        if name_column not in columns and name_column.lower() not in cols:
            raise DataValidationError(
                source, [Problem(None, name_column, None, f"a column of region names (the file has: {', '.join(map(str, columns))})")]
            )
        return name_column if name_column in columns else cols[name_column.lower()]
    for c in _NAME_COLUMNS:
        if c in cols:
            return cols[c]
    raise DataValidationError(
        source,
        [
            Problem(
                None,
                "region",
                None,
                f"a column of region names called one of {', '.join(_NAME_COLUMNS)} (the file has: {', '.join(map(str, columns))})",
            )
        ],
    )


def region_set_from_polygons(
    gdf: gpd.GeoDataFrame, name_column: str | None = None, source: str = "polygons", kind: str = "custom"
) -> RegionSet:
    """One region per named polygon; features sharing a name are one region (their parts are areas)."""
    name_col = _pick_name_column([c for c in gdf.columns if c != gdf.geometry.name], name_column, source)
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs(4326)
    problems: list[Problem] = []
    parts: dict[str, list[Area]] = {}
    for row, (name, geom) in enumerate(zip(gdf[name_col], gdf.geometry.values), start=1):
        text = "" if name is None or (isinstance(name, float) and np.isnan(name)) else str(name).strip()
        if not text or _bad_region_name(text):
            problems.append(Problem(row, str(name_col), name, _bad_region_name(text) if text else "a region name"))
            continue
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(row, "geometry", None if geom is None else geom.geom_type, "a Polygon or MultiPolygon"))
            continue
        parts.setdefault(text, []).append(Area(text, geom if geom.is_valid else shapely.make_valid(geom)))
    if problems:
        raise DataValidationError(source, problems)
    if not parts:
        raise DataValidationError(source, [Problem(None, "geometry", None, "at least one named polygon")])
    regions = tuple(RegionDef(name, areas=tuple(a)) for name, a in parts.items())
    key = Path(source).stem
    return RegionSet(key, key, kind, regions, source=f"polygons from {source}; tracts assigned by representative point")


def region_set_from_table(
    table: pd.DataFrame, name_column: str | None = None, source: str = "regions table", kind: str = "custom"
) -> RegionSet:
    """One region per distinct name in a table of tract GEOIDs and region names."""
    cols = {str(c).strip().lower(): c for c in table.columns}
    geo_col = next((cols[c] for c in ("geoid", "geoid20", "geoid10", "tract", "tract_geoid", "fips") if c in cols), None)
    if geo_col is None:
        raise DataValidationError(
            source,
            [
                Problem(
                    None,
                    "geoid",
                    None,
                    f"a column of 11-digit tract GEOIDs named geoid (the file has: {', '.join(map(str, table.columns))})",
                )
            ],
        )
    name_col = _pick_name_column([c for c in table.columns if c != geo_col], name_column, source)
    problems: list[Problem] = []
    members: dict[str, list[str]] = {}
    first_row: dict[str, int] = {}
    for row, (g, name) in enumerate(zip(table[geo_col], table[name_col]), start=1):
        text = "" if g is None or (isinstance(g, float) and np.isnan(g)) else str(g).strip().removesuffix(".0")
        if re.fullmatch(r"\d{10}", text):
            text = "0" + text
        if not re.fullmatch(r"\d{11}", text):
            problems.append(Problem(row, str(geo_col), g, "an 11-digit census tract GEOID such as '41019000100'"))
            continue
        if text in first_row:
            problems.append(Problem(row, str(geo_col), g, f"a tract listed once (row {first_row[text]} lists it too)"))
            continue
        region = "" if name is None or (isinstance(name, float) and np.isnan(name)) else str(name).strip()
        if not region or _bad_region_name(region):
            problems.append(Problem(row, str(name_col), name, _bad_region_name(region) if region else "a region name"))
            continue
        first_row[text] = row
        members.setdefault(region, []).append(text)
    if problems:
        raise DataValidationError(source, problems)
    if not members:
        raise DataValidationError(source, [Problem(None, str(name_col), None, "at least one tract with a region")])
    key = Path(source).stem
    regions = tuple(RegionDef(name, tracts=tuple(t)) for name, t in members.items())
    return RegionSet(key, key, kind, regions, source=f"tract list from {source}")


def list_region_sets(regions_dir: str | Path) -> list[RegionSet]:
    """Every region file (``*.json``) in ``regions_dir``, sorted by label."""
    out = [read_region_set(p) for p in sorted(Path(regions_dir).glob("*.json"))]
    return sorted(out, key=lambda rs: rs.label)


def region_sets_for(tracts: pd.DataFrame, region_sets: Iterable[RegionSet]) -> list[RegionSet]:
    """The region sets that cover at least one of these tracts (by county, tract or state)."""
    geoids = set(tracts[S.GEOID])
    counties = {g[:5] for g in geoids}
    states = {g[:2] for g in geoids}
    out = []
    for rs in region_sets:
        hit = any(c in counties for r in rs.regions for c in r.counties) or any(t in geoids for r in rs.regions for t in r.tracts)
        hit = hit or (rs.state in states and any(r.areas for r in rs.regions))
        if hit:
            out.append(rs)
    return out


def county_region_set(tracts: pd.DataFrame) -> RegionSet:
    """The counties of the data as a region set, named from the ``county`` column (or the FIPS code)."""
    fips = tracts[S.GEOID].str[:5].to_numpy(object)
    names = tracts[S.COUNTY].astype(object).to_numpy() if S.COUNTY in tracts.columns else fips
    first: dict[str, str] = {}
    for f, n in zip(fips, names):
        first.setdefault(f, str(n) if n is not None and str(n) != f[2:] else f)
    label_count: dict[str, int] = {}
    for n in first.values():
        label_count[n] = label_count.get(n, 0) + 1
    regions = tuple(
        RegionDef(n if label_count[n] == 1 else f"{n} ({f})", counties=(f,)) for f, n in sorted(first.items(), key=lambda kv: kv[1])
    )
    states = sorted({f[:2] for f in first})
    return RegionSet(
        "counties",
        "Counties",
        "county",
        regions,
        state=states[0] if len(states) == 1 else None,
        source="county of each tract (GEOID digits 3-5)",
    )


# --- assignment ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegionAssignment:
    """Which region each tract belongs to. ``table`` has one row per tract, in the tracts' order:
    ``geoid``, ``region`` (None when in no region) and ``via`` (county, area or tract)."""

    region_set: RegionSet
    table: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def region(self) -> np.ndarray:
        return self.table["region"].to_numpy(object)

    @property
    def present(self) -> list[str]:
        """Regions with at least one tract in the data, in the set's order."""
        have = set(self.table["region"].dropna())
        return [n for n in self.region_set.names if n in have]

    def tracts_of(self, name: str) -> list[str]:
        return self.table.loc[self.table["region"] == name, S.GEOID].tolist()


def assign_regions(tracts: gpd.GeoDataFrame, region_set: RegionSet) -> RegionAssignment:
    """Assign every tract to at most one region of ``region_set`` (see the module docstring for the
    precedence of claims). Raises :class:`DataValidationError` naming the tract and both regions when
    two regions claim a tract in the same way."""
    geoid = tracts[S.GEOID].to_numpy(object)
    county = np.array([g[:5] for g in geoid], dtype=object)
    n = len(geoid)
    level = np.zeros(n, dtype=np.int8)
    owner = np.full(n, -1, dtype=np.int64)
    via = np.full(n, None, dtype=object)
    points = compute_tract_points(tracts) if any(r.areas for r in region_set.regions) and n else None
    problems: list[Problem] = []
    listed_missing: list[str] = []
    for k, region in enumerate(region_set.regions):
        claims: list[tuple[str, np.ndarray]] = []
        if region.counties:
            claims.append(("county", np.isin(county, list(region.counties))))
        for area in region.areas:
            inside = shapely.intersects_xy(area.geometry, points[:, 0], points[:, 1])
            if area.counties:
                inside &= np.isin(county, list(area.counties))
            claims.append(("area", inside))
        if region.tracts:
            mask = np.isin(geoid, list(region.tracts))
            claims.append(("tract", mask))
            missing = set(region.tracts) - set(geoid[mask])
            if missing:
                listed_missing.append(f"{len(missing)} of the {len(region.tracts)} tracts listed for {region.name!r}")
        for how, mask in claims:
            lv = _SPECIFICITY[how]
            take = mask & (lv > level)
            clash = mask & (lv == level) & (owner >= 0) & (owner != k)
            for i in np.flatnonzero(clash):
                other = region_set.regions[owner[i]].name
                problems.append(
                    Problem(
                        None,
                        "regions",
                        geoid[i],
                        f"tract {geoid[i]} in one region, but {other!r} and {region.name!r} both claim it by {how}",
                    )
                )
            level[take] = lv
            owner[take] = k
            via[take] = how
    if problems:
        raise DataValidationError(f"regions {region_set.label!r}", problems)
    names = np.array(region_set.names + [None], dtype=object)
    table = pd.DataFrame(
        {S.GEOID: pd.Series(geoid, dtype=object), "region": pd.Series(names[owner], dtype=object), "via": pd.Series(via, dtype=object)}
    )
    notes = []
    n_out = int((owner < 0).sum())
    if n_out:
        notes.append(f"{n_out} of {n} tracts are in no region of {region_set.label!r}: they count only in the {ALL_TRACTS!r} row.")
    absent = [r.name for r in region_set.regions if not (owner == region_set.names.index(r.name)).any()]
    if absent and len(absent) < len(region_set.regions):
        notes.append(f"{len(absent)} of {len(region_set.regions)} regions have no tract in this data: {', '.join(absent)}.")
    for text in listed_missing:
        notes.append(f"{text} are not in this data.")
    return RegionAssignment(region_set, table, tuple(notes))


# --- roll-ups -----------------------------------------------------------------------------------
def combine_moe(moe, estimate=None) -> float:
    """Margin of error of a sum of estimates: the square root of the sum of squared margins.

    Where several estimates are zero, only the largest of their margins is counted (Census Bureau,
    *Understanding and Using ACS Data*, 2020, ch. 8), since zeros' margins are not independent.
    A missing margin of a present estimate makes the result unknown (NaN).
    """
    moe = np.asarray(moe, dtype=float)
    if estimate is None:
        zero = np.zeros(moe.shape, dtype=bool)
        present = np.ones(moe.shape, dtype=bool)
    else:
        est = np.asarray(estimate, dtype=float)
        present = np.isfinite(est)
        zero = present & (est == 0)
    used = moe[present & ~zero]
    if np.isnan(used).any():
        return float("nan")
    total = float(np.sum(used**2))
    zero_moes = moe[zero]
    zero_moes = zero_moes[np.isfinite(zero_moes)]
    if zero_moes.size:
        total += float(zero_moes.max() ** 2)
    return float(np.sqrt(total))


def proportion_moe(numerator: float, numerator_moe: float, denominator: float, denominator_moe: float) -> float:
    """Margin of error of a proportion ``p = X / Y`` where X is a subset of Y (ACS handbook formula 4):
    ``sqrt(MOE_X^2 - p^2 MOE_Y^2) / Y``, falling back to the ratio formula (``+``) when the quantity
    under the root is negative."""
    if not denominator or not np.isfinite(denominator):
        return float("nan")
    p = numerator / denominator
    under = numerator_moe**2 - p**2 * denominator_moe**2
    if under < 0:
        under = numerator_moe**2 + p**2 * denominator_moe**2
    return float(np.sqrt(under) / denominator)


def _desert_mask(t: pd.DataFrame, column: str, cap: bool = False) -> np.ndarray:
    if cap:
        return t[column].fillna(False).to_numpy(bool)
    return np.isin(t[column].astype(object).to_numpy(), [DESERT, EXTREME_DESERT])


def _rollup_one(t: pd.DataFrame, providers: pd.DataFrame, result: MetricsResult, priority: set[str] | None) -> dict[str, object]:
    row: dict[str, object] = {"tracts": int(len(t)), "providers": int(t["providers"].sum()) if "providers" in t.columns else np.nan}
    for b in result.bands:
        band = S.BANDS[b]
        kids = t[band.children].to_numpy(float)
        has = np.isfinite(kids)
        k = np.where(has, kids, 0.0)
        total = float(k.sum())
        slots = float(t[band.slots].sum())
        row[f"children_{b}"] = total
        moe_col = S.moe_column(band.children)
        row[f"children_{b}_moe"] = combine_moe(t[moe_col].to_numpy(float)[has], kids[has]) if moe_col in t.columns else np.nan
        row[f"licensed_slots_{b}"] = float(t[f"licensed_{band.slots}"].sum())
        row[f"slots_{b}"] = slots
        row[f"slots_per_100_{b}"] = 100 * slots / total if total > 0 else np.nan
        row[f"children_per_slot_{b}"] = total / slots if slots > 0 else np.nan
        row[f"osu_class_{b}"] = str(
            classify_osu([total], [slots], result.params.desert_children_per_slot, result.params.extreme_children_per_slot)[0]
        )
        for name, col, cap in (
            ("cap_deserts", metric_column("cap_desert", b), True),
            ("osu_deserts", metric_column("osu_class", b), False),
            ("access_deserts", metric_column("access_class", b), False),
        ):
            mask = _desert_mask(t, col, cap)
            row[f"children_in_{name}_{b}"] = float(k[mask].sum())
            row[f"share_in_{name}_{b}"] = float(k[mask].sum() / total) if total > 0 else np.nan
        extreme = t[metric_column("osu_class", b)].astype(object).to_numpy() == EXTREME_DESERT
        row[f"share_in_osu_extreme_{b}"] = float(k[extreme].sum() / total) if total > 0 else np.nan
        access = t[metric_column("access_per_100", b)].to_numpy(float)
        ok = has & np.isfinite(access) & (kids > 0)
        row[f"access_per_100_{b}"] = float((access[ok] * kids[ok]).sum() / kids[ok].sum()) if kids[ok].sum() > 0 else np.nan
    if S.CHILDREN_UNDER_6 in t.columns:
        den = float(t[S.CHILDREN_UNDER_6].sum())
        den_moe = (
            combine_moe(t[S.moe_column(S.CHILDREN_UNDER_6)], t[S.CHILDREN_UNDER_6])
            if S.moe_column(S.CHILDREN_UNDER_6) in t.columns
            else np.nan
        )
        row["children_under_6"] = den
        row["children_under_6_moe"] = den_moe
        for col, share in (
            (S.UNDER6_BELOW_100PCT, "poverty_share_100"),
            (S.UNDER6_BELOW_200PCT, "poverty_share_200"),
            (S.UNDER6_ALL_PARENTS_WORKING, "working_parents_share"),
        ):
            if col not in t.columns:
                continue
            num = float(t[col].sum())
            num_moe = combine_moe(t[S.moe_column(col)], t[col]) if S.moe_column(col) in t.columns else np.nan
            row[col] = num
            row[f"{col}_moe"] = num_moe
            row[share] = num / den if den > 0 else np.nan
            row[f"{share}_moe"] = proportion_moe(num, num_moe, den, den_moe)
    slots_all = S.BANDS["under_5"].provider_slots(providers) if len(providers) else np.zeros(0)
    funding = providers[S.FUNDING].astype(object).to_numpy() if len(providers) else np.zeros(0, dtype=object)
    total_slots = float(slots_all.sum())
    row["licensed_slots_all"] = total_slots
    for kind in S.FUNDING_TYPES:
        row[f"{kind}_slot_share"] = float(slots_all[funding == kind].sum() / total_slots) if total_slots > 0 else np.nan
    if priority is not None:
        row["priority_tracts"] = int(t[S.GEOID].isin(priority).sum())
    return row


def compute_rollup(
    result: MetricsResult,
    assignment: RegionAssignment,
    regions: Iterable[str] | None = None,
    priority_geoids: Iterable[str] | None = None,
    include_total: bool = True,
) -> pd.DataFrame:
    """One row per region (those in ``regions``, default every region with tracts) and, with
    ``include_total``, a last row for all tracts of the data.

    Columns: ``region``, ``tracts``, ``providers``; per band ``b``: ``children_b`` and
    ``children_b_moe``, ``licensed_slots_b``, ``slots_b``, ``slots_per_100_b`` and
    ``children_per_slot_b`` (from the sums), ``osu_class_b`` (the OSU rule on the sums),
    ``children_in_<rule>_b`` and ``share_in_<rule>_b`` for the CAP, OSU and access deserts,
    ``share_in_osu_extreme_b``, ``access_per_100_b`` (E2SFCA access averaged over children); the
    poverty and working-parent counts with margins and their shares of children under 6 with the
    margin of a proportion; ``licensed_slots_all`` (ages 0-5 at providers inside the region) and the
    share of those slots by funding (``public_slot_share`` ...); ``priority_tracts`` when
    ``priority_geoids`` is given.
    """
    t = result.tracts
    if len(assignment.table) != len(t) or not (assignment.table[S.GEOID].to_numpy(object) == t[S.GEOID].to_numpy(object)).all():
        raise ParameterError("the region assignment was made for other tracts: assign the regions of these tracts again")
    names = list(assignment.present if regions is None else regions)
    unknown = [n for n in names if n not in assignment.region_set.names]
    if unknown:
        raise ParameterError(
            f"no region called {', '.join(map(repr, unknown))} in {assignment.region_set.label!r}: expected one of {', '.join(assignment.region_set.names)}"
        )
    priority = set(priority_geoids) if priority_geoids is not None else None
    region_of_tract = pd.Series(assignment.region, index=t[S.GEOID].to_numpy(object))
    prov = result.providers
    prov_region = prov[S.GEOID].map(region_of_tract).astype(object).to_numpy() if len(prov) else np.zeros(0, dtype=object)
    rows = []
    for name in names:
        mask = assignment.region == name
        rows.append({"region": name, **_rollup_one(t[mask], prov[prov_region == name], result, priority)})
    if include_total:
        located = prov[prov[S.GEOID].notna()] if len(prov) else prov
        rows.append({"region": ALL_TRACTS, **_rollup_one(t, located, result, priority)})
    return pd.DataFrame(rows)


def dissolve_regions(tracts: gpd.GeoDataFrame, assignment: RegionAssignment, regions: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """One polygon per region (the union of its tracts), in the set's order: ``region``, ``geometry``."""
    names = list(assignment.present if regions is None else regions)
    geoms = []
    values = tracts.geometry.values
    for name in names:
        part = values[assignment.region == name]
        # tracts tile their region: a coverage union (shared edges cancel) is much faster than a general
        # union; fall back to the general one when the tracts overlap
        merged = shapely.coverage_union_all(part) if bool(shapely.coverage_is_valid(part)) else shapely.union_all(part)
        geoms.append(merged)
    return gpd.GeoDataFrame({"region": names}, geometry=geoms, crs=tracts.crs)
