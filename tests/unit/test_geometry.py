"""Map geometry: simplified as a coverage (no gaps, no overlaps), rounded, serialized once."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gapmap.viz.geometry import feature_collection_text, geometry_texts, map_geometry, simplify_coverage


def wiggly_coverage(n: int = 60, regions: int = 9, seed: int = 4) -> np.ndarray:
    """Polygons with jagged, vertex-heavy shared boundaries that tile the unit square exactly, like a
    tract file: grid squares given to the nearest of a few seeds (with noise), then merged per seed."""
    rng = np.random.default_rng(seed)
    centers = (np.indices((n, n)).reshape(2, -1).T + 0.5) / n
    seeds = rng.uniform(0.1, 0.9, (regions, 2))
    d = np.linalg.norm(centers[:, None, :] - seeds[None, :, :], axis=2) + rng.normal(0, 0.02, (n * n, regions))
    owner = d.argmin(axis=1)
    ij = np.indices((n, n)).reshape(2, -1).T
    squares = np.array([shapely.box(i / n, j / n, (i + 1) / n, (j + 1) / n) for i, j in ij], dtype=object)  # shared corners: equal floats
    return np.array([shapely.coverage_union_all(squares[owner == k]) for k in range(regions)], dtype=object)


def test_coverage_simplification_keeps_neighbours_edge_to_edge():
    cells = wiggly_coverage()
    assert bool(shapely.coverage_is_valid(cells))
    simple = simplify_coverage(cells, 0.03)
    before = shapely.get_num_coordinates(cells).sum()
    after = shapely.get_num_coordinates(simple).sum()
    assert after < 0.5 * before
    assert bool(shapely.coverage_is_valid(simple))  # no overlaps, edges still matched
    total = shapely.union_all(simple).area
    assert total == pytest.approx(sum(g.area for g in simple), rel=1e-9)  # no overlaps
    assert total == pytest.approx(shapely.union_all(cells).area, rel=1e-3)  # no gaps opened


def test_rounding_is_exact_and_shared_vertices_read_the_same():
    a = shapely.Polygon([(0.123456789, 1.0), (2.0, 1.0), (2.0, 3.987654321), (0.123456789, 1.0)])
    (text,) = geometry_texts([a], decimals=4)
    coords = json.loads(text)["coordinates"][0]
    assert coords[0] == [0.1235, 1.0] and coords[2] == [2.0, 3.9877]
    cells = wiggly_coverage()
    texts = map_geometry(gpd.GeoDataFrame(geometry=list(cells)), tolerance=0.005)
    # every vertex the simplified polygons share is written identically: parse back, and neighbours that
    # touched before still touch along a line, with no overlap
    back = [shapely.from_geojson(t) for t in texts]
    touching = [(i, j) for i in range(len(cells)) for j in range(i + 1, len(cells)) if cells[i].intersection(cells[j]).length > 0]
    assert touching
    for i, j in touching:
        assert back[i].intersection(back[j]).area == pytest.approx(0, abs=1e-12)
        assert back[i].intersection(back[j]).length > 0


def test_invalid_coverage_falls_back_to_topology_preserving_simplification():
    overlapping = np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)], dtype=object)
    out = simplify_coverage(overlapping, 0.1)
    assert len(out) == 2 and not shapely.is_empty(out).any()


def test_feature_collection_text_parses():
    text = feature_collection_text(['{"type":"Point","coordinates":[1.0,2.0]}'], [{"n": "<b>x</b>", "f": "#fff"}])
    data = json.loads(text)
    assert data["features"][0]["properties"] == {"n": "<b>x</b>", "f": "#fff"}
    assert data["features"][0]["geometry"]["coordinates"] == [1.0, 2.0]
