"""Which region each tract belongs to (:func:`assign_regions`), and one polygon per region
(:func:`dissolve_regions`). The precedence of claims is described in :mod:`gapmap.sources.region_files`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gapmap import schema as S
from gapmap.errors import DataValidationError, Problem
from gapmap.metrics import compute_tract_points
from gapmap.sources.region_files import _SPECIFICITY, ALL_TRACTS, RegionSet

__all__ = ["RegionAssignment", "assign_regions", "dissolve_regions"]


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
    points = compute_tract_points(tracts) if any(r.areas for r in region_set.regions) and n else np.empty((0, 2))
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
