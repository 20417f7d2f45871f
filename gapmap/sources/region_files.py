"""Region definitions and their files: the region model (:class:`RegionSet` of :class:`RegionDef`) and
every way a definition comes in.

A **region** is a named set of tracts. A **region set** (hubs of a state, its counties, a planner's own
areas) is a list of regions that do not overlap. A region is defined by any mix of

* ``counties``: 5-digit county FIPS codes (state + county); every tract of the county belongs;
* ``areas``: polygons; a tract belongs when its representative point (the point where its children
  are taken to live, :func:`gapmap.metrics.compute_tract_points`) lies inside, optionally only for
  tracts of the listed counties;
* ``tracts``: 11-digit tract GEOIDs.

When two regions claim the same tract, the more specific claim wins: a listed tract beats an area,
and an area beats a county (the assignment is :func:`gapmap.regions.assign_regions`). This is how a
county split between hubs is written: Oregon's Douglas County belongs to the South-Central hub as a
county, and its coastal part to the South Coast hub as an area.

Region sets are kept as small JSON files (``data/regions/*.json``; the format is in
``data/regions/README.md`` and :func:`parse_region_set`), or read from polygons (GeoJSON, GeoPackage,
shapefile zip) or a two-column table of tract and region (CSV, Excel), always through the safe reader.
The model lives here, at the bottom, because files produce it; :mod:`gapmap.regions` re-exports it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gapmap import schema as S
from gapmap.errors import DataValidationError, Problem
from gapmap.sources.files import UserFile, read_geo, read_json, read_table, sniff_format

__all__ = [
    "FORMAT",
    "ALL_TRACTS",
    "Area",
    "RegionDef",
    "RegionSet",
    "parse_region_set",
    "read_region_set",
    "read_region_file",
    "list_region_sets",
    "region_sets_for",
    "county_region_set",
    "region_set_from_polygons",
    "region_set_from_table",
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
        elif bad := _bad_region_name(name):
            problems.append(Problem(k, "name", name, bad))
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
        bad = _bad_region_name(text) if text else "a region name"
        if bad:
            problems.append(Problem(row, str(name_col), name, bad))
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
    geoids, is_geoid = S.repair_geoids(table[geo_col])
    for row, (g, text, ok, name) in enumerate(zip(table[geo_col], geoids, is_geoid, table[name_col]), start=1):
        if not ok:
            problems.append(Problem(row, str(geo_col), g, S.GEOID_EXPECTED))
            continue
        if text in first_row:
            problems.append(Problem(row, str(geo_col), g, f"a tract listed once (row {first_row[text]} lists it too)"))
            continue
        region = "" if name is None or (isinstance(name, float) and np.isnan(name)) else str(name).strip()
        bad = _bad_region_name(region) if region else "a region name"
        if bad:
            problems.append(Problem(row, str(name_col), name, bad))
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
