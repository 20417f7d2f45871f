"""Access by travel time: E2SFCA on a sparse table of minutes from tracts to providers.

The same two steps as the distance path (:mod:`gapmap.metrics.access`), with the weight a function of
the minutes on the road instead of the kilometres as the crow flies:

.. math::

    R_j = \\frac{S_j}{\\sum_i w(t_{ij}) P_i}, \\qquad A_i = \\sum_j w(t_{ij}) R_j

``w`` is a step per time band (a band holds its upper edge: with the default bands a 5.0-minute trip
weighs 1, a 5.1-minute one 0.68) or Dai's Gaussian on minutes, 0 at the last band's edge; see
:mod:`gapmap.config` for the defaults and their sources. A pair with no row in the table, or beyond the
last band, weighs 0. The table is kept as a sparse matrix, so each step is one sparse product, and any
number of columns (bands, bands x Monte-Carlo draws) go through it at once.

:class:`TravelAccess` offers what the distance kernel (:class:`gapmap.metrics.fused.AccessGrid`) offers to
the scenarios, the siting and the desert probability, so they run on minutes unchanged: ``e2sfca``,
``provider_reach`` and ``site_gains``. A new site's minutes come from the road network when the table
was made here (its :attr:`~gapmap.sources.travel_times.TravelTimes.router`), else from the nearest
provider in the table plus the straight-line distance to it at ``travel_speed_kmh``, flagged approximate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from gapmap.config import AnalysisParams, describe_travel
from gapmap.errors import ParameterError
from gapmap.metrics.access import haversine_km, km_from_chord, lonlat_to_xyz
from gapmap.sources.travel_times import TravelTimes

__all__ = ["travel_weights", "describe_travel", "TravelAccess", "SiteMinutes"]


def travel_weights(minutes: ArrayLike, params: AnalysisParams) -> np.ndarray:
    """The weight of each travel time (minutes) under ``params``' travel bands or Gaussian; 0 beyond."""
    t = np.asarray(minutes, dtype=float)
    edges = np.asarray(params.travel_bands, dtype=float)
    if params.travel_decay == "gaussian":
        d0 = edges[-1]
        edge = np.exp(-0.5)
        w = (np.exp(-0.5 * (t / d0) ** 2) - edge) / (1.0 - edge)
        return np.where((t >= 0) & (t <= d0), w, 0.0)
    band = np.searchsorted(edges, t, side="left")  # t <= edges[0] -> 0; edges[k-1] < t <= edges[k] -> k
    weights = np.append(np.asarray(params.travel_weights, dtype=float), 0.0)
    return np.where(t >= 0, weights[np.minimum(band, len(edges))], 0.0)


@dataclass(frozen=True)
class SiteMinutes:
    """Minutes from tracts to new sites: (tract positions, site positions, minutes), and whether they
    are approximate (from the nearest provider in the table plus a straight line, not from a network)."""

    tract: np.ndarray
    site: np.ndarray
    minutes: np.ndarray
    approximate: bool
    how: str


class TravelAccess:
    """The access kernel on travel times: the weighted table as sparse matrices, for any number of
    E2SFCA runs (bands, scenarios, draws). ``provider_lonlat`` places new sites against the table."""

    def __init__(self, times: TravelTimes, params: AnalysisParams, provider_lonlat: np.ndarray):
        self.times = times
        self.params = params
        self.n_tracts, self.n_providers = times.n_tracts, times.n_providers
        w = travel_weights(times.minutes, params)
        keep = w > 0
        shape = (self.n_tracts, self.n_providers)
        #: W (tracts x providers) and its transpose, both CSR: step 1 is W.T @ P, step 2 W @ R.
        self.W = sp.csr_matrix((w[keep], (times.tract[keep], times.provider[keep])), shape=shape)
        self.WT = self.W.T.tocsr()
        self._provider_lonlat = np.asarray(provider_lonlat, dtype=float).reshape(-1, 2)
        self._has_rows = np.unique(times.provider)  # the providers with a row, to place new sites against
        self._tree: cKDTree | None = None

    @property
    def n_pairs(self) -> int:
        """Pairs that count (a weight above 0)."""
        return int(self.W.nnz)

    def e2sfca(
        self, children: ArrayLike, slots: ArrayLike, decay: str | None = None, per_provider: bool = False
    ) -> tuple[np.ndarray, np.ndarray, int | np.ndarray]:
        """E2SFCA access and provider ratios on minutes, shaped like
        :meth:`gapmap.metrics.fused.AccessGrid.e2sfca`'s. ``decay`` is the distance path's and is not
        used: the weights are the travel bands' (``params``)."""
        P = np.nan_to_num(np.asarray(children, dtype=float), nan=0.0)
        S = np.asarray(slots, dtype=float)
        if len(P) != self.n_tracts or len(S) != self.n_providers or P.shape[1:] != S.shape[1:]:
            raise ParameterError(
                f"children {P.shape} and slots {S.shape}: expected {self.n_tracts} and {self.n_providers} rows with as many columns"
            )
        demand = self.WT @ P
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(demand > 0, S / np.where(demand > 0, demand, 1.0), 0.0)
        access = self.W @ ratio
        counts = np.diff(self.WT.indptr)
        return access, ratio, (counts if per_provider else int(counts.sum()))

    def provider_reach(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """(tract positions, weights) of the tracts provider ``j`` reaches."""
        lo, hi = self.WT.indptr[j], self.WT.indptr[j + 1]
        return self.WT.indices[lo:hi].astype(np.int64), self.WT.data[lo:hi]

    def site_minutes(self, lonlat: ArrayLike) -> SiteMinutes:
        """Minutes from every tract to new sites at ``lonlat`` (n, 2): from the road network when the
        table has one, else approximate (see the module notes)."""
        pts = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        router = self.times.router
        if router is not None:
            ti, sj, minutes = router.minutes_to(pts)
            return SiteMinutes(ti, sj, minutes, False, router.describe())
        empty = np.zeros(0, dtype=np.int64)
        if not len(pts) or not len(self._has_rows):
            return SiteMinutes(empty, empty, np.zeros(0), True, self.approximation())
        if self._tree is None:
            known = self._provider_lonlat[self._has_rows]
            self._tree = cKDTree(lonlat_to_xyz(known[:, 0], known[:, 1]))
        chord, k = self._tree.query(lonlat_to_xyz(pts[:, 0], pts[:, 1]))
        nearest = self._has_rows[np.atleast_1d(k)]
        extra = 60.0 * km_from_chord(np.atleast_1d(chord)) / self.params.travel_speed_kmh
        t = self.times
        starts = np.searchsorted(t.provider, nearest, side="left")
        ends = np.searchsorted(t.provider, nearest, side="right")
        counts = ends - starts
        rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)]) if counts.sum() else empty
        site = np.repeat(np.arange(len(pts)), counts)
        return SiteMinutes(t.tract[rows], site, t.minutes[rows] + extra[site], True, self.approximation())

    def approximation(self) -> str:
        return (
            "approximate: from the nearest provider in the travel-time table, plus the straight line to it at "
            f"{self.params.travel_speed_kmh:g} km/h"
        )

    def point_reach(self, lon: float, lat: float) -> tuple[np.ndarray, np.ndarray, bool]:
        """(tract positions, weights, approximate) of the tracts a new site at (lon, lat) reaches."""
        m = self.site_minutes(np.array([[lon, lat]]))
        w = travel_weights(m.minutes, self.params)
        keep = w > 0
        order = np.argsort(m.tract[keep], kind="stable")
        return m.tract[keep][order], w[keep][order], m.approximate

    def site_gains(
        self, lonlat: ArrayLike, children: ArrayLike, slots: float, decay: str | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For a new site of ``slots`` operating slots at each point (alone): (tract positions, point
        positions, gain), as :meth:`gapmap.metrics.fused.AccessGrid.site_gains` but on minutes."""
        if not slots > 0:
            raise ParameterError(f"slots = {slots!r}: a new site needs more than 0 slots")
        pts = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        m = self.site_minutes(pts)
        w = travel_weights(m.minutes, self.params)
        keep = w > 0
        ti, cj, w = m.tract[keep], m.site[keep], w[keep]
        kids = np.nan_to_num(np.asarray(children, dtype=float), nan=0.0)
        demand = np.bincount(cj, weights=w * kids[ti], minlength=len(pts))
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(demand[cj] > 0, w * float(slots) / np.where(demand[cj] > 0, demand[cj], 1.0), 0.0)
        return ti, cj, gain

    def straight_line_km(self, tract_lonlat: np.ndarray) -> np.ndarray:
        """The straight-line km of every row of the table (for the comparison of the two measures)."""
        p = self._provider_lonlat
        t = np.asarray(tract_lonlat, dtype=float)
        return haversine_km(t[self.times.tract, 0], t[self.times.tract, 1], p[self.times.provider, 0], p[self.times.provider, 1])
