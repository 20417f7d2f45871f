"""Places a planner can zoom the map to, found offline: counties, hubs (any region set that covers the
data), tracts by name or GEOID, and providers by name or address.

Nothing here reaches the network: the search reads only the tracts, the providers and the region sets
already loaded. In privacy mode family child care homes are not places (their location is confidential).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from gapmap import schema as S
from gapmap.regions.assignment import assign_regions
from gapmap.sources.region_files import RegionSet, county_region_set, region_sets_for

__all__ = ["Place", "PLACE_KINDS", "POINT_PAD_DEGREES", "list_places", "find_places"]

#: What each kind of place is called in the list.
PLACE_KINDS = {"county": "County", "hub": "Region", "tract": "Tract", "provider": "Provider"}
#: A provider is shown in a box this many degrees either side of it (about 1.5 km north-south).
POINT_PAD_DEGREES = 0.015


@dataclass(frozen=True)
class Place:
    """A place to zoom to: its label in the list, its kind, its bounds ``(minx, miny, maxx, maxy)`` in
    degrees, and the tract to select when it is one."""

    label: str
    kind: str
    bounds: tuple[float, float, float, float]
    geoid: str | None = None
    folded: str = ""  # the label as the search compares it (set by list_places: a search folds only the query)

    def __post_init__(self) -> None:
        if not self.folded:
            object.__setattr__(self, "folded", _fold(self.label))


def _fold(text: str) -> str:
    """Lower case without accents, so 'pena' finds 'Peña'."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _grouped_bounds(tracts: gpd.GeoDataFrame, groups: np.ndarray) -> dict[object, tuple[float, float, float, float]]:
    b = pd.DataFrame(tracts.geometry.bounds.to_numpy(), columns=["minx", "miny", "maxx", "maxy"])
    b["g"] = groups
    b = b[b["g"].notna()]
    agg = b.groupby("g", sort=False).agg(minx=("minx", "min"), miny=("miny", "min"), maxx=("maxx", "max"), maxy=("maxy", "max"))
    return {g: (float(r.minx), float(r.miny), float(r.maxx), float(r.maxy)) for g, r in agg.iterrows()}


def list_places(
    tracts: gpd.GeoDataFrame, providers: pd.DataFrame, region_sets: Iterable[RegionSet] = (), privacy: bool = False
) -> list[Place]:
    """Every place of the data (validated tracts and providers): counties, the regions of each region
    set that covers it, tracts and providers (without family child care homes when ``privacy``)."""
    t = tracts
    places: list[Place] = []
    counties = county_region_set(t)
    for rs, kind in [(counties, "county"), *((rs, "hub") for rs in region_sets_for(t, region_sets))]:
        assignment = assign_regions(t, rs)
        bounds = _grouped_bounds(t, assignment.region)
        for name in assignment.present:
            label = f"{PLACE_KINDS[kind]}: {name}" + ("" if kind == "county" else f" ({rs.label})")
            places.append(Place(label, kind, bounds[name]))
    tb = t.geometry.bounds.to_numpy()
    for geoid, name, b in zip(t[S.GEOID].tolist(), t[S.NAME].astype(str).tolist(), tb):
        label = f"Tract: {name}" + ("" if name == geoid else f" ({geoid})")
        places.append(Place(label, "tract", (float(b[0]), float(b[1]), float(b[2]), float(b[3])), geoid=geoid))
    p = providers
    if privacy:
        p = p[p[S.PROVIDER_TYPE] != "family_home"]
    address = p[S.ADDRESS] if S.ADDRESS in p.columns else pd.Series([None] * len(p), index=p.index)
    for name, addr, lat, lon, geoid in zip(
        p[S.PROVIDER_NAME].astype(str), address, p[S.LATITUDE].astype(float), p[S.LONGITUDE].astype(float), p.get(S.GEOID, [None] * len(p))
    ):
        if not (np.isfinite(lat) and np.isfinite(lon)):
            continue
        has_address = isinstance(addr, str) and addr.strip() != ""
        label = f"Provider: {name}" + (f", {addr}" if has_address else "")
        box = (lon - POINT_PAD_DEGREES, lat - POINT_PAD_DEGREES, lon + POINT_PAD_DEGREES, lat + POINT_PAD_DEGREES)
        places.append(Place(label, "provider", box, geoid=geoid if isinstance(geoid, str) else None))
    return places


def _natural(text: str) -> tuple:
    """A sort key that puts 'tract 2' before 'tract 10'."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def find_places(places: list[Place], query: str, limit: int = 12) -> list[Place]:
    """The places whose label holds every word of ``query`` (any case, accents ignored): the ones that
    start with the query first, then counties and regions before tracts before providers, then by label."""
    words = _fold(query).split()
    if not words:
        return []
    order = {k: i for i, k in enumerate(PLACE_KINDS)}
    hits = []
    for place in places:
        text = place.folded
        if all(w in text for w in words):
            name = text.split(": ", 1)[-1]
            hits.append((not name.startswith(words[0]), order.get(place.kind, 9), _natural(text), place))
    hits.sort(key=lambda h: h[:3])
    return [h[3] for h in hits[:limit]]
