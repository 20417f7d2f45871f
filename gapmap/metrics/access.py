"""Travel-based access: the enhanced two-step floating catchment area method (E2SFCA).

Notes
-----
For provider :math:`j` with slots :math:`S_j` and tracts :math:`i` with children :math:`P_i` at
great-circle distance :math:`d_{ij}`, and a weight :math:`w(d)` that is 0 beyond the catchment
:math:`d_0`:

.. math::

    R_j = \\frac{S_j}{\\sum_i w(d_{ij}) P_i}, \\qquad A_i = \\sum_j w(d_{ij}) R_j

:math:`A_i` is in slots per child (x100 = slots per 100 children). A provider that reaches no children
has :math:`R_j = 0`. Supply is conserved: :math:`\\sum_i A_i P_i = \\sum_j S_j` over the providers that
reach some children (Luo & Qi 2009; Dai 2010 for the Gaussian weight).

Tract-provider pairs within the catchment are found with a KD-tree on unit-sphere (x, y, z)
coordinates, where the chord length is a monotone function of the great-circle distance, so one
radius query is exact anywhere on Earth. Pairs are kept as a sparse matrix; the two steps are two
sparse matrix-vector products. A dense tracts x providers matrix is never built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from gapmap.config import DECAYS
from gapmap.errors import ParameterError

__all__ = [
    "EARTH_RADIUS_KM",
    "lonlat_to_xyz",
    "chord_from_km",
    "km_from_chord",
    "haversine_km",
    "compute_decay_weights",
    "AccessPairs",
    "find_pairs",
    "tract_catchments",
    "TractIndex",
    "compute_e2sfca",
    "find_nearest",
]

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088


def lonlat_to_xyz(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """Unit-sphere Cartesian coordinates (n, 3) of longitudes and latitudes in degrees."""
    lon = np.radians(np.asarray(lon, dtype=float))
    lat = np.radians(np.asarray(lat, dtype=float))
    cos_lat = np.cos(lat)
    return np.column_stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)])


def chord_from_km(km: ArrayLike) -> np.ndarray:
    """Chord length on the unit sphere of a great-circle distance in km."""
    return 2.0 * np.sin(np.asarray(km, dtype=float) / (2.0 * EARTH_RADIUS_KM))


def km_from_chord(chord: ArrayLike) -> np.ndarray:
    """Great-circle distance in km of a chord length on the unit sphere."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord, dtype=float) / 2.0, 0.0, 1.0))


def haversine_km(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> np.ndarray:
    """Great-circle distance in km by the haversine formula (an independent check of the chord route)."""
    x1, y1, x2, y2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin((x2 - x1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))


def compute_decay_weights(distance_km: ArrayLike, catchment_km: ArrayLike, decay: str = "step") -> np.ndarray:
    """Weight of each distance: see :data:`gapmap.config.DECAYS`. Zero beyond the catchment."""
    d = np.asarray(distance_km, dtype=float)
    inside = d <= catchment_km
    if decay == "step":
        w = np.ones_like(d)
    elif decay == "gaussian":
        edge = np.exp(-0.5)
        w = (np.exp(-0.5 * (d / catchment_km) ** 2) - edge) / (1.0 - edge)
    else:
        raise ParameterError(f"decay = {decay!r}: expected one of {', '.join(DECAYS)}")
    return np.where(inside, w, 0.0)


@dataclass(frozen=True)
class AccessPairs:
    """The tract-provider pairs within a catchment, as sparse (n_tracts x n_providers) matrices.

    ``catchment_km`` is one distance, or one per tract (a pair's catchment is its tract's)."""

    tract: np.ndarray  # row of each pair (tract position)
    provider: np.ndarray  # column of each pair (provider position)
    distance_km: np.ndarray
    n_tracts: int
    n_providers: int
    catchment_km: float | np.ndarray

    def pair_catchment_km(self) -> np.ndarray | float:
        c = self.catchment_km
        return c[self.tract] if isinstance(c, np.ndarray) else c

    def weights(self, decay: str = "step") -> sp.csr_matrix:
        """The sparse weight matrix W (n_tracts x n_providers) for a decay function."""
        w = compute_decay_weights(self.distance_km, self.pair_catchment_km(), decay)
        return sp.csr_matrix((w, (self.tract, self.provider)), shape=(self.n_tracts, self.n_providers))

    def __len__(self) -> int:
        return len(self.tract)


def tract_catchments(catchment_km: ArrayLike, n_tracts: int) -> np.ndarray:
    """One catchment distance (km) per tract from a number or an array, checked."""
    radius = np.broadcast_to(np.asarray(catchment_km, dtype=float), (n_tracts,)).copy()
    if n_tracts and not (np.isfinite(radius).all() and (radius > 0).all()):
        raise ParameterError(f"catchment_km = {catchment_km!r}: expected distances in km greater than 0")
    return radius


def find_pairs(tract_lonlat: np.ndarray, provider_lonlat: np.ndarray, catchment_km: float | np.ndarray) -> AccessPairs:
    """Every (tract, provider) pair within the tract's catchment (great-circle km), via a KD-tree.

    ``tract_lonlat`` and ``provider_lonlat`` are (n, 2) arrays of longitude, latitude in degrees;
    ``catchment_km`` is one distance or one per tract.
    """
    if np.ndim(catchment_km) == 0 and not catchment_km > 0:
        raise ParameterError(f"catchment_km = {catchment_km!r}: expected a distance in km greater than 0")
    t_xyz = lonlat_to_xyz(tract_lonlat[:, 0], tract_lonlat[:, 1])
    p_xyz = lonlat_to_xyz(provider_lonlat[:, 0], provider_lonlat[:, 1])
    n_t, n_p = len(t_xyz), len(p_xyz)
    radius_t = tract_catchments(catchment_km, n_t)
    keep_c = float(catchment_km) if np.ndim(catchment_km) == 0 else radius_t
    if n_t == 0 or n_p == 0:
        empty = np.zeros(0, dtype=np.int64)
        return AccessPairs(empty, empty, np.zeros(0), n_t, n_p, keep_c)
    radius = float(chord_from_km(radius_t.max())) * (1 + 1e-12)
    t_tree = cKDTree(t_xyz)
    p_tree = cKDTree(p_xyz)
    found = t_tree.sparse_distance_matrix(p_tree, radius, output_type="ndarray")
    ti = found["i"].astype(np.int64)
    pj = found["j"].astype(np.int64)
    d = km_from_chord(found["v"])
    keep = d <= radius_t[ti]
    return AccessPairs(ti[keep], pj[keep], d[keep], n_t, n_p, keep_c)


class TractIndex:
    """The tracts' points in a KD-tree, to find the tracts that reach one location (a provider or a
    candidate site) without storing any pairs: a pair counts when the location lies within the
    tract's own catchment."""

    def __init__(self, tract_lonlat: np.ndarray, catchment_km: float | np.ndarray):
        self.xyz = lonlat_to_xyz(tract_lonlat[:, 0], tract_lonlat[:, 1])
        self.radius = tract_catchments(catchment_km, len(self.xyz))
        self.tree = cKDTree(self.xyz)
        self._chord = float(chord_from_km(self.radius.max())) * (1 + 1e-12) if len(self.xyz) else 0.0

    def reach(self, lon: float, lat: float) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the tracts whose catchment holds (lon, lat), and the distances in km."""
        if not len(self.xyz):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        xyz = lonlat_to_xyz([lon], [lat])[0]
        rows = np.asarray(self.tree.query_ball_point(xyz, self._chord), dtype=np.int64)
        d = km_from_chord(np.linalg.norm(self.xyz[rows] - xyz, axis=1)) if len(rows) else np.zeros(0)
        keep = d <= self.radius[rows]
        order = np.argsort(rows[keep], kind="stable")
        return rows[keep][order], d[keep][order]

    def pairs_with(self, lonlat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tract positions, location positions, km) of every pair of tracts and ``lonlat`` locations."""
        other = cKDTree(lonlat_to_xyz(lonlat[:, 0], lonlat[:, 1]))
        found = self.tree.sparse_distance_matrix(other, self._chord, output_type="ndarray")
        ti, cj = found["i"].astype(np.int64), found["j"].astype(np.int64)
        d = km_from_chord(found["v"])
        keep = d <= self.radius[ti]
        return ti[keep], cj[keep], d[keep]


def compute_e2sfca(weights: sp.csr_matrix, children: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two E2SFCA steps for one or more bands at once.

    Parameters
    ----------
    weights : (n_tracts, n_providers) sparse matrix W of decay weights.
    children : (n_tracts,) or (n_tracts, k) demand P; missing values count as 0.
    slots : (n_providers,) or (n_providers, k) supply S.

    Returns
    -------
    access : A, slots per child, shaped like ``children``.
    ratio : R, each provider's slots per weighted child, shaped like ``slots`` (0 where it reaches none).
    """
    P = np.nan_to_num(np.asarray(children, dtype=float), nan=0.0)
    S = np.asarray(slots, dtype=float)
    demand = weights.T @ P
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand > 0, S / np.where(demand > 0, demand, 1.0), 0.0)
    return weights @ ratio, ratio


def find_nearest(point_lonlat: tuple[float, float], provider_lonlat: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Positions and great-circle distances (km) of the ``k`` providers nearest to one point."""
    n = len(provider_lonlat)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    k = min(k, n)
    tree = cKDTree(lonlat_to_xyz(provider_lonlat[:, 0], provider_lonlat[:, 1]))
    chord, idx = tree.query(lonlat_to_xyz([point_lonlat[0]], [point_lonlat[1]]), k=k)
    return np.atleast_1d(idx[0]).astype(np.int64), km_from_chord(np.atleast_1d(chord[0]))
