"""E2SFCA without stored pairs: a grid-bucket neighbour search fused with both passes, compiled by numba.

At national scale (85,000 tracts x 200,000 providers, 16 km) there are about 60 million tract-provider
pairs. Finding them with a KD-tree costs 100-200 ns a pair and storing them about 1 GB; the arithmetic of
the two E2SFCA passes costs a few ns a pair. So this module never stores a pair: points are bucketed in a
3-D grid on unit-sphere (x, y, z) coordinates whose cell is one catchment chord wide, so every point within
the catchment of a point lies in its own cell or one of the 26 around it; each pass walks those cells.

* pass 1, for each provider j (in parallel): the weighted children it reaches, D_j = sum_i w(d_ij) P_i,
  and R_j = S_j / D_j (0 when it reaches none);
* pass 2, for each tract i (in parallel): A_i = sum_j w(d_ij) R_j.

The catchment may differ by tract (``catchment_km`` an array): a pair counts when the provider lies within
the tract's own catchment, in both passes, so the method stays one E2SFCA (Luo & Whippo 2012, "variable
catchment"). Results equal :func:`gapmap.metrics.access.compute_e2sfca` on the pairs of
:func:`gapmap.metrics.access.find_pairs` up to floating-point summation order (tested to 1e-9).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike

from gapmap.errors import ParameterError
from gapmap.metrics.access import EARTH_RADIUS_KM, chord_from_km, lonlat_to_xyz

__all__ = ["compute_e2sfca_fused"]

_STEP, _GAUSSIAN = 0, 1
#: numba's default threading layer (workqueue) must not run two parallel kernels at once; the app serves
#: several sessions from threads, so kernel calls take turns.
_LOCK = threading.Lock()
_EDGE = float(np.exp(-0.5))


@njit(cache=True, inline="always")
def _weight(d2: float, chord2: float, radius_km: float, decay: int) -> float:
    """Decay weight of a squared chord ``d2`` for a catchment of ``radius_km`` (squared chord ``chord2``)."""
    if d2 > chord2:
        return 0.0
    if decay == _STEP:
        return 1.0
    d_km = 2.0 * EARTH_RADIUS_KM * np.arcsin(min(np.sqrt(d2) / 2.0, 1.0))
    if d_km > radius_km:
        return 0.0
    q = d_km / radius_km
    return (np.exp(-0.5 * q * q) - _EDGE) / (1.0 - _EDGE)


@njit(cache=True)
def _cells(xyz: np.ndarray, cell: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer cell coordinates (m, 3) and linear keys of points."""
    m = xyz.shape[0]
    ijk = np.empty((m, 3), dtype=np.int64)
    keys = np.empty(m, dtype=np.int64)
    for a in range(m):
        for c in range(3):
            ijk[a, c] = int(np.floor((xyz[a, c] + 1.0) / cell)) + 1
        keys[a] = (ijk[a, 0] * n + ijk[a, 1]) * n + ijk[a, 2]
    return ijk, keys


@njit(cache=True)
def _range(keys: np.ndarray, key: int) -> tuple[int, int]:
    lo = np.searchsorted(keys, key)
    hi = lo
    while hi < keys.size and keys[hi] == key:
        hi += 1
    return int(lo), int(hi)


@njit(parallel=True, cache=True)
def _provider_pass(
    p_xyz: np.ndarray,
    p_ijk: np.ndarray,
    t_xyz: np.ndarray,
    t_keys: np.ndarray,
    t_children: np.ndarray,
    t_chord2: np.ndarray,
    t_radius: np.ndarray,
    n: int,
    decay: int,
) -> tuple[np.ndarray, np.ndarray]:
    """D_j for each provider (n_providers, k), and how many pairs each provider has."""
    n_p = p_xyz.shape[0]
    k = t_children.shape[1]
    demand = np.zeros((n_p, k))
    count = np.zeros(n_p, dtype=np.int64)
    for j in prange(n_p):
        x, y, z = p_xyz[j, 0], p_xyz[j, 1], p_xyz[j, 2]
        for dx in range(-1, 2):
            for dy in range(-1, 2):
                for dz in range(-1, 2):
                    key = ((p_ijk[j, 0] + dx) * n + (p_ijk[j, 1] + dy)) * n + (p_ijk[j, 2] + dz)
                    lo, hi = _range(t_keys, key)
                    for s in range(lo, hi):
                        ex, ey, ez = t_xyz[s, 0] - x, t_xyz[s, 1] - y, t_xyz[s, 2] - z
                        w = _weight(ex * ex + ey * ey + ez * ez, t_chord2[s], t_radius[s], decay)
                        if w > 0.0:
                            count[j] += 1
                            for b in range(k):
                                demand[j, b] += w * t_children[s, b]
                        elif decay == _GAUSSIAN and ex * ex + ey * ey + ez * ez <= t_chord2[s]:
                            count[j] += 1  # at the very edge the Gaussian weight is 0, but the pair exists
    return demand, count


@njit(parallel=True, cache=True)
def _tract_pass(
    t_xyz: np.ndarray,
    t_ijk: np.ndarray,
    t_chord2: np.ndarray,
    t_radius: np.ndarray,
    p_xyz: np.ndarray,
    p_keys: np.ndarray,
    p_ratio: np.ndarray,
    n: int,
    decay: int,
) -> np.ndarray:
    """A_i for each tract (n_tracts, k)."""
    n_t = t_xyz.shape[0]
    k = p_ratio.shape[1]
    access = np.zeros((n_t, k))
    for i in prange(n_t):
        x, y, z = t_xyz[i, 0], t_xyz[i, 1], t_xyz[i, 2]
        for dx in range(-1, 2):
            for dy in range(-1, 2):
                for dz in range(-1, 2):
                    key = ((t_ijk[i, 0] + dx) * n + (t_ijk[i, 1] + dy)) * n + (t_ijk[i, 2] + dz)
                    lo, hi = _range(p_keys, key)
                    for s in range(lo, hi):
                        ex, ey, ez = p_xyz[s, 0] - x, p_xyz[s, 1] - y, p_xyz[s, 2] - z
                        w = _weight(ex * ex + ey * ey + ez * ez, t_chord2[i], t_radius[i], decay)
                        if w > 0.0:
                            for b in range(k):
                                access[i, b] += w * p_ratio[s, b]
    return access


def _prepare(tract_lonlat: np.ndarray, provider_lonlat: np.ndarray, catchment_km: ArrayLike) -> dict[str, Any]:
    n_t = len(tract_lonlat)
    radius = np.broadcast_to(np.asarray(catchment_km, dtype=float), (n_t,)).copy()
    if n_t and not (np.isfinite(radius).all() and (radius > 0).all()):
        raise ParameterError("catchment_km: expected distances in km greater than 0 for every tract")
    max_r = float(radius.max()) if n_t else 1.0
    cell = float(chord_from_km(max_r)) * (1 + 1e-9)
    n = int(np.ceil(2.0 / cell)) + 3
    t_xyz = lonlat_to_xyz(tract_lonlat[:, 0], tract_lonlat[:, 1])
    p_xyz = lonlat_to_xyz(provider_lonlat[:, 0], provider_lonlat[:, 1])
    chord2 = (chord_from_km(radius) * (1 + 1e-12)) ** 2
    t_ijk, t_keys = _cells(t_xyz, cell, n)
    p_ijk, p_keys = _cells(p_xyz, cell, n)
    t_order = np.argsort(t_keys, kind="stable")
    p_order = np.argsort(p_keys, kind="stable")
    return {
        "n": n,
        "radius": radius,
        "chord2": chord2,
        "t_xyz": t_xyz,
        "p_xyz": p_xyz,
        "t_ijk": t_ijk,
        "p_ijk": p_ijk,
        "t_order": t_order,
        "p_order": p_order,
        "t_keys_sorted": t_keys[t_order],
        "p_keys_sorted": p_keys[p_order],
    }


def compute_e2sfca_fused(
    tract_lonlat: np.ndarray,
    provider_lonlat: np.ndarray,
    children: np.ndarray,
    slots: np.ndarray,
    catchment_km: float | np.ndarray,
    decay: str = "step",
    per_provider: bool = False,
) -> tuple[np.ndarray, np.ndarray, int | np.ndarray]:
    """E2SFCA access and provider ratios without storing pairs; also the number of pairs.

    ``children`` (n_tracts,) or (n_tracts, k), ``slots`` (n_providers,) or (n_providers, k); missing
    children count as 0. ``catchment_km``: one distance, or one per tract. Returns ``(access, ratio,
    n_pairs)`` shaped like :func:`gapmap.metrics.access.compute_e2sfca`'s; with ``per_provider`` the
    third item is each provider's number of pairs (the tracts it reaches).
    """
    if decay not in ("step", "gaussian"):
        raise ParameterError(f"decay = {decay!r}: expected step or gaussian")
    code = _STEP if decay == "step" else _GAUSSIAN
    P = np.nan_to_num(np.asarray(children, dtype=float), nan=0.0)
    S = np.asarray(slots, dtype=float)
    one_band = P.ndim == 1
    P2 = P.reshape(len(P), -1)
    S2 = S.reshape(len(S), -1)
    n_t, n_p = len(P2), len(S2)
    if n_t == 0 or n_p == 0:
        access, ratio = np.zeros_like(P2), np.zeros_like(S2)
        pairs = np.zeros(n_p, dtype=np.int64) if per_provider else 0
        return (access[:, 0] if one_band else access), (ratio[:, 0] if one_band else ratio), pairs
    g = _prepare(np.asarray(tract_lonlat, dtype=float), np.asarray(provider_lonlat, dtype=float), catchment_km)
    to, po = g["t_order"], g["p_order"]
    t_xyz = np.ascontiguousarray(g["t_xyz"][to])
    p_xyz = np.ascontiguousarray(g["p_xyz"][po])
    t_chord2, t_radius = g["chord2"][to], g["radius"][to]
    S_s = S2[po]
    with _LOCK:
        demand_s, count_s = _provider_pass(
            p_xyz,
            np.ascontiguousarray(g["p_ijk"][po]),
            t_xyz,
            g["t_keys_sorted"],
            np.ascontiguousarray(P2[to]),
            t_chord2,
            t_radius,
            g["n"],
            code,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_s = np.where(demand_s > 0, S_s / np.where(demand_s > 0, demand_s, 1.0), 0.0)
        access_s = _tract_pass(
            t_xyz, np.ascontiguousarray(g["t_ijk"][to]), t_chord2, t_radius, p_xyz, g["p_keys_sorted"], ratio_s, g["n"], code
        )
    access = np.empty_like(access_s)
    access[to] = access_s
    ratio = np.empty_like(ratio_s)
    ratio[po] = ratio_s
    count = np.empty_like(count_s)
    count[po] = count_s
    pairs = count if per_provider else int(count.sum())
    if one_band:
        return access[:, 0], ratio[:, 0], pairs
    return access, ratio, pairs
