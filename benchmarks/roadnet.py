"""A generated state-size road network as an OpenStreetMap PBF extract, and points on it, for the routing
benchmark (``bench_routing.py``). Nothing here is real: a lattice of roads over a 3 x 4 degree state.

* Local streets (residential, no maxspeed: 25 km/h by the car profile) every ``spacing`` degrees; every
  10th line a secondary road (55 km/h), every 60th a trunk road (85 km/h).
* A river runs north-south through the middle: only the secondary and trunk roads cross it (bridges),
  so straight lines across it and the roads disagree, as on a real coast or river.
* Tract points and providers cluster around towns (a town's size drawn from a Pareto law).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def write_state_network(
    path: Path, spacing: float = 0.005, lon0: float = -124.0, lat0: float = 42.0, width: float = 4.0, height: float = 3.0
) -> dict:
    """Write the lattice as an .osm.pbf at ``path``; returns its size (nodes, ways)."""
    import osmium
    from osmium.osm.mutable import Node, Way

    nx, ny = int(round(width / spacing)) + 1, int(round(height / spacing)) + 1
    river = nx // 2  # the river lies between columns river - 1 and river

    def nid(i: int, j: int) -> int:
        return 1 + j * nx + i

    path.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(path))
    for j in range(ny):
        for i in range(nx):
            writer.add_node(Node(id=nid(i, j), location=(lon0 + i * spacing, lat0 + j * spacing)))

    def cls(k: int) -> str:
        return "trunk" if k % 60 == 0 else "secondary" if k % 10 == 0 else "residential"

    way_id = 1
    for j in range(ny):  # east-west roads: local ones stop at the river
        c = cls(j)
        runs = [range(nx)] if c != "residential" else [range(river), range(river, nx)]
        for run in runs:
            writer.add_way(Way(id=way_id, nodes=[nid(i, j) for i in run], tags={"highway": c}))
            way_id += 1
    for i in range(nx):  # north-south roads
        writer.add_way(Way(id=way_id, nodes=[nid(i, j) for j in range(ny)], tags={"highway": cls(i)}))
        way_id += 1
    writer.close()
    return {"nodes": nx * ny, "ways": way_id - 1, "bytes": path.stat().st_size}


def state_points(
    n_tracts: int = 7000,
    n_providers: int = 15000,
    seed: int = 1,
    lon0: float = -124.0,
    lat0: float = 42.0,
    width: float = 4.0,
    height: float = 3.0,
):
    """Tracts (geoid, county, children) with points, and providers, clustered around towns."""
    rng = np.random.default_rng(seed)
    n_towns = 120
    town = np.column_stack([rng.uniform(lon0 + 0.1, lon0 + width - 0.1, n_towns), rng.uniform(lat0 + 0.1, lat0 + height - 0.1, n_towns)])
    size = rng.pareto(1.2, n_towns) + 1

    def around(n: int) -> np.ndarray:
        k = rng.choice(n_towns, n, p=size / size.sum())
        spread = 0.02 + 0.03 * np.sqrt(size[k] / size.max())
        pts = town[k] + rng.normal(0, 1, (n, 2)) * spread[:, None]
        return np.column_stack([np.clip(pts[:, 0], lon0, lon0 + width), np.clip(pts[:, 1], lat0, lat0 + height)])

    t = around(n_tracts)
    county = (np.floor((t[:, 0] - lon0) / (width / 6)) + 6 * np.floor((t[:, 1] - lat0) / (height / 6))).astype(int)
    geoid = [f"41{2 * c + 1:03d}{k:06d}" for k, c in enumerate(county)]
    tracts = pd.DataFrame({"geoid": geoid, "children": rng.integers(50, 600, n_tracts).astype(float)})
    p = around(n_providers)
    providers = pd.DataFrame(
        {
            "provider_id": [f"P{k:06d}" for k in range(n_providers)],
            "longitude": p[:, 0],
            "latitude": p[:, 1],
            "slots": rng.integers(6, 120, n_providers).astype(float),
        }
    )
    return tracts, t, providers
