"""What gapmap's access kernel is measured against, written as a competent user would write each.

* :func:`scipy_e2sfca`: plain SciPy. Points on the unit sphere, one ``cKDTree`` per side,
  ``sparse_distance_matrix(..., output_type="ndarray")`` for the pairs within the catchment's chord,
  then the two E2SFCA steps as two ``np.bincount`` calls. Step weights, one catchment (what a user
  writes first; no per-tract catchments, no Gaussian).
* :func:`pysal_cost_table` / :func:`pysal_e2sfca`: PySAL ``access`` (``fca.two_stage_fca``, step weights,
  no per-pair ``weight_fn``) on a cost table of the pairs: "handed free pairs" when the table is built
  outside the timing, "with its own cost table" when building it is timed too
  (:func:`pysal_own_cost_table`: ``Access.create_euclidean_distance``, which cross-joins every tract with
  every provider, so only for small regions).
* :func:`kernel_v1`: gapmap's previous fused kernel (27 cell lookups a point, float64, a Python round
  trip between the passes), kept so that the new one can be checked against it and timed beside it.

All return access per tract (slots per child) for one band, to compare to 1e-9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit, prange
from scipy.spatial import cKDTree

from gapmap.metrics.access import EARTH_RADIUS_KM, chord_from_km, lonlat_to_xyz


def scipy_e2sfca(
    tract_lonlat: np.ndarray, provider_lonlat: np.ndarray, children: np.ndarray, slots: np.ndarray, catchment_km: float
) -> np.ndarray:
    """E2SFCA (step weights) with a KD-tree pair search and two bincounts."""
    t = lonlat_to_xyz(tract_lonlat[:, 0], tract_lonlat[:, 1])
    p = lonlat_to_xyz(provider_lonlat[:, 0], provider_lonlat[:, 1])
    chord = 2.0 * np.sin(catchment_km / (2.0 * EARTH_RADIUS_KM))
    pairs = cKDTree(t).sparse_distance_matrix(cKDTree(p), chord, output_type="ndarray")
    i, j = pairs["i"], pairs["j"]
    kids = np.nan_to_num(children)
    demand = np.bincount(j, weights=kids[i], minlength=len(p))
    ratio = np.divide(slots, demand, out=np.zeros(len(p)), where=demand > 0)
    return np.bincount(i, weights=ratio[j], minlength=len(t))


def pair_table(tract_lonlat: np.ndarray, provider_lonlat: np.ndarray, catchment_km: float) -> pd.DataFrame:
    """The pairs within the catchment as PySAL's cost table (origin, dest, cost in km), from a KD-tree."""
    t = lonlat_to_xyz(tract_lonlat[:, 0], tract_lonlat[:, 1])
    p = lonlat_to_xyz(provider_lonlat[:, 0], provider_lonlat[:, 1])
    pairs = cKDTree(t).sparse_distance_matrix(cKDTree(p), float(chord_from_km(catchment_km)), output_type="ndarray")
    km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(pairs["v"] / 2.0, 1.0))
    return pd.DataFrame({"origin": pairs["i"], "dest": pairs["j"], "cost": km})


def pysal_e2sfca(cost: pd.DataFrame, children: np.ndarray, slots: np.ndarray, catchment_km: float) -> np.ndarray:
    """PySAL ``access`` two-stage FCA with step weights on a given cost table (integer ids)."""
    from access import fca

    demand = pd.DataFrame({"geoid": np.arange(len(children)), "demand": np.nan_to_num(children)})
    supply = pd.DataFrame({"supply": slots}, index=pd.RangeIndex(len(slots)))
    out = fca.two_stage_fca(demand, supply, cost, max_cost=catchment_km)
    return out.reindex(np.arange(len(children))).fillna(0.0).to_numpy()


def pysal_own_cost_table(tract_xy_km: np.ndarray, provider_xy_km: np.ndarray, catchment_km: float) -> pd.DataFrame:
    """PySAL's own cost table: ``Access.create_euclidean_distance`` on projected points (km), which joins
    every tract with every provider and keeps the pairs within ``catchment_km``."""
    import geopandas as gpd
    from access import Access

    demand = gpd.GeoDataFrame({"demand": np.zeros(len(tract_xy_km))}, geometry=gpd.points_from_xy(*tract_xy_km.T))
    supply = gpd.GeoDataFrame({"supply": np.zeros(len(provider_xy_km))}, geometry=gpd.points_from_xy(*provider_xy_km.T))
    acc = Access(demand_df=demand, demand_value="demand", supply_df=supply, supply_value="supply")
    acc.create_euclidean_distance(threshold=catchment_km)
    cost = acc.cost_df
    return pd.DataFrame({"origin": cost["origin"].to_numpy(), "dest": cost["dest"].to_numpy(), "cost": cost["euclidean"].to_numpy()})


# --- gapmap's previous kernel (v1): its grid search and two passes, for step weights and one band ---


@njit(cache=True)
def _cells_v1(xyz: np.ndarray, cell: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    m = xyz.shape[0]
    ijk = np.empty((m, 3), dtype=np.int64)
    keys = np.empty(m, dtype=np.int64)
    for a in range(m):
        for c in range(3):
            ijk[a, c] = int(np.floor((xyz[a, c] + 1.0) / cell)) + 1
        keys[a] = (ijk[a, 0] * n + ijk[a, 1]) * n + ijk[a, 2]
    return ijk, keys


@njit(cache=True)
def _range_v1(keys: np.ndarray, key: int) -> tuple[int, int]:
    lo = np.searchsorted(keys, key)
    hi = lo
    while hi < keys.size and keys[hi] == key:
        hi += 1
    return int(lo), int(hi)


@njit(parallel=True, cache=True)
def _provider_pass_v1(p_xyz, p_ijk, t_xyz, t_keys, t_children, t_chord2, n):  # type: ignore[no-untyped-def]
    n_p = p_xyz.shape[0]
    demand = np.zeros(n_p)
    for j in prange(n_p):
        x, y, z = p_xyz[j, 0], p_xyz[j, 1], p_xyz[j, 2]
        for dx in range(-1, 2):
            for dy in range(-1, 2):
                for dz in range(-1, 2):
                    key = ((p_ijk[j, 0] + dx) * n + (p_ijk[j, 1] + dy)) * n + (p_ijk[j, 2] + dz)
                    lo, hi = _range_v1(t_keys, key)
                    for s in range(lo, hi):
                        ex, ey, ez = t_xyz[s, 0] - x, t_xyz[s, 1] - y, t_xyz[s, 2] - z
                        if ex * ex + ey * ey + ez * ez <= t_chord2[s]:
                            demand[j] += t_children[s]
    return demand


@njit(parallel=True, cache=True)
def _tract_pass_v1(t_xyz, t_ijk, t_chord2, p_xyz, p_keys, p_ratio, n):  # type: ignore[no-untyped-def]
    n_t = t_xyz.shape[0]
    access = np.zeros(n_t)
    for i in prange(n_t):
        x, y, z = t_xyz[i, 0], t_xyz[i, 1], t_xyz[i, 2]
        for dx in range(-1, 2):
            for dy in range(-1, 2):
                for dz in range(-1, 2):
                    key = ((t_ijk[i, 0] + dx) * n + (t_ijk[i, 1] + dy)) * n + (t_ijk[i, 2] + dz)
                    lo, hi = _range_v1(p_keys, key)
                    for s in range(lo, hi):
                        ex, ey, ez = p_xyz[s, 0] - x, p_xyz[s, 1] - y, p_xyz[s, 2] - z
                        if ex * ex + ey * ey + ez * ez <= t_chord2[i]:
                            access[i] += p_ratio[s]
    return access


def kernel_v1(
    tract_lonlat: np.ndarray, provider_lonlat: np.ndarray, children: np.ndarray, slots: np.ndarray, catchment_km: float | np.ndarray
) -> np.ndarray:
    """gapmap's previous fused E2SFCA (step weights, one band; one catchment or one per tract)."""
    n_t = len(tract_lonlat)
    radius = np.broadcast_to(np.asarray(catchment_km, dtype=float), (n_t,)).copy()
    cell = float(chord_from_km(radius.max())) * (1 + 1e-9)
    n = int(np.ceil(2.0 / cell)) + 3
    t_xyz = lonlat_to_xyz(tract_lonlat[:, 0], tract_lonlat[:, 1])
    p_xyz = lonlat_to_xyz(provider_lonlat[:, 0], provider_lonlat[:, 1])
    chord2 = (chord_from_km(radius) * (1 + 1e-12)) ** 2
    t_ijk, t_keys = _cells_v1(t_xyz, cell, n)
    p_ijk, p_keys = _cells_v1(p_xyz, cell, n)
    to, po = np.argsort(t_keys, kind="stable"), np.argsort(p_keys, kind="stable")
    t_s, p_s = np.ascontiguousarray(t_xyz[to]), np.ascontiguousarray(p_xyz[po])
    kids = np.nan_to_num(np.asarray(children, dtype=float))[to]
    demand = _provider_pass_v1(p_s, np.ascontiguousarray(p_ijk[po]), t_s, t_keys[to], kids, chord2[to], n)
    s = np.asarray(slots, dtype=float)[po]
    ratio = np.divide(s, demand, out=np.zeros_like(demand), where=demand > 0)
    access_s = _tract_pass_v1(t_s, np.ascontiguousarray(t_ijk[to]), chord2[to], p_s, p_keys[po], ratio, n)
    access = np.empty_like(access_s)
    access[to] = access_s
    return access
