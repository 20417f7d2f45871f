"""Map geometry that is light enough for a browser: simplified without gaps, rounded to the screen.

A state's tracts straight from a boundary file are tens of megabytes of GeoJSON. For a map they are
simplified as a *coverage* (:func:`shapely.coverage_simplify`, GEOS's Visvalingam-Whyatt coverage
simplifier): every shared edge is simplified once, so neighbours keep meeting exactly, with no gaps or
overlaps. Coordinates are then written with :data:`DECIMALS` decimals (1e-4 degree: about 11 m north-south,
under one pixel up to zoom 13). A shared vertex is the same number in both polygons, so it is written the
same way in both.

The result is one GeoJSON geometry text per tract, computed once per dataset and cached by the app; a
rerun that only changes colours or weights reuses it (:func:`gapmap.viz.maps.build_tract_map`).
"""

from __future__ import annotations

import json
import re

import numpy as np
import shapely

__all__ = ["DECIMALS", "TOLERANCE_DEG", "simplify_coverage", "geometry_texts", "map_geometry", "feature_collection_text"]

#: Decimals of longitude and latitude on maps.
DECIMALS = 4
#: Simplification tolerance in degrees (about the square root of the smallest triangle area kept):
#: 0.0005 degree is about 50 m, a tenth of a pixel at zoom 8 and half a pixel at zoom 11.
TOLERANCE_DEG = 0.0005

_LONG_NUMBER = re.compile(r"(-?\d+\.\d+)")


def simplify_coverage(geoms, tolerance: float = TOLERANCE_DEG) -> np.ndarray:
    """Simplify polygons that tile a region as one coverage (shared edges stay shared).

    When the polygons do not form a valid coverage (overlaps, unmatched edges), each polygon is
    simplified alone with topology preserved, which may open hairline gaps but never loses a polygon.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0 or tolerance <= 0:
        return geoms
    out = shapely.coverage_simplify(geoms, tolerance) if bool(shapely.coverage_is_valid(geoms)) else None
    if out is None or shapely.is_empty(out).any():
        out = shapely.simplify(geoms, tolerance, preserve_topology=True)
    return out


def _round_text(text: str, decimals: int) -> str:
    def fix(m: re.Match) -> str:
        value = round(float(m.group(1)), decimals)
        return repr(value + 0.0)  # +0.0 turns -0.0 into 0.0

    return _LONG_NUMBER.sub(fix, text)


def geometry_texts(geoms, decimals: int = DECIMALS) -> list[str]:
    """A compact GeoJSON geometry text per geometry, coordinates rounded to ``decimals``."""
    return [_round_text(shapely.to_geojson(g), decimals) for g in np.asarray(geoms, dtype=object)]


def map_geometry(tracts, tolerance: float = TOLERANCE_DEG, decimals: int = DECIMALS) -> list[str]:
    """The map geometry of a tract table: simplified as a coverage, rounded, one GeoJSON text per tract."""
    return geometry_texts(simplify_coverage(tracts.geometry.values, tolerance), decimals)


def feature_collection_text(geometry: list[str], properties: list[dict]) -> str:
    """A FeatureCollection text from geometry texts and property dicts (no geometry re-serialization)."""
    parts = (
        f'{{"type":"Feature","properties":{json.dumps(p, ensure_ascii=False, separators=(",", ":"))},"geometry":{g}}}'
        for g, p in zip(geometry, properties)
    )
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"
