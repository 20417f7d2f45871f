"""E2SFCA without stored pairs: a CSR grid over unit-sphere points, scanned in contiguous spans, compiled by numba.

At national scale (85,000 tracts x 200,000 providers, 16 km) there are about 60 million tract-provider
pairs. Finding them with a KD-tree costs 50-200 ns a pair and storing them about 1 GB; the arithmetic of
the two E2SFCA passes costs a few ns a pair. So this module never stores a pair.

The grid (:class:`AccessGrid`, built once per set of points and catchments). Points are bucketed in a
3-D grid on unit-sphere (x, y, z) coordinates whose cell is one catchment chord wide, so every point
within the catchment of a point lies in its own cell or one of the 26 around it. Each side (tracts,
providers) is sorted by cell key ``(i * n + j) * n + k`` and indexed CSR-style: the occupied keys and the
offset of each one's first point. Cells ``k - 1, k, k + 1`` of one ``(i, j)`` column are consecutive keys,
so the 27 neighbour cells of a cell are 9 contiguous spans of the sorted points, found once per *cell*
(not per point) by two binary searches each. Coordinates are stored as float32 arrays, one per axis, so
the distance test over a span vectorizes (8 float32 lanes a vector instruction here); a test within 2e-7 of the catchment's
edge, where float32 could decide wrongly, is redone in float64, so the pairs are exactly the float64
ones and no class can change. Weights and sums are float64.

The two passes run in one compiled call:

* pass 1, for each provider j: the weighted children it reaches, D_j = sum_i w(d_ij) P_i, and
  R_j = S_j / D_j (0 when it reaches none);
* pass 2, for each tract i: A_i = sum_j w(d_ij) R_j.

Both loop over cells in parallel when the inputs are large enough for a second thread to pay
(:data:`PARALLEL_MIN_POINTS`); below it one thread runs the same code. Calls take turns (one lock). Any
number of columns (bands, or bands x Monte-Carlo draws) go through one pair search.

The catchment may differ by tract (``catchment_km`` an array): a pair counts when the provider lies within
the tract's own catchment, in both passes, so the method stays one E2SFCA (Luo & Whippo 2012, "variable
catchment"). Results equal :func:`gapmap.metrics.access.compute_e2sfca` on the pairs of
:func:`gapmap.metrics.access.find_pairs` up to floating-point summation order (tested to 1e-9).
"""

from __future__ import annotations

import threading
from typing import Any

import numba
import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike

from gapmap.errors import ParameterError
from gapmap.metrics.access import EARTH_RADIUS_KM, chord_from_km, tract_catchments

__all__ = ["AccessGrid", "compute_e2sfca_fused", "PARALLEL_MIN_POINTS"]

_STEP, _GAUSSIAN = 0, 1
#: numba's default threading layer (workqueue) must not run two parallel kernels at once; the app serves
#: several sessions from threads, so parallel kernel calls take turns (single-threaded ones do not).
_LOCK = threading.Lock()
_EDGE = float(np.exp(-0.5))
#: Tracts + providers from which the kernel uses every core (measured: ``benchmarks/bench_kernel.py``;
#: below it, starting the threads costs more than they save).
PARALLEL_MIN_POINTS = 1_000
#: Half-width (unit-sphere chord) of the band around a catchment's edge where the float32 test is redone in
#: float64: float32 coordinates are within 3e-8 of the float64 ones, a float32 difference within 9e-8, so a
#: float32 distance is within 1.6e-7 of the float64 one (plus 2.4e-7 of it, relatively, from the squares).
_F32_SLACK = 2e-7
#: From this many columns (bands x draws) a pair's values are added row by row, else band by band.
_ROW_MAJOR_FROM = 5


@njit(cache=True, inline="always")
def _gauss(d2: float, radius_km: float) -> float:
    """Gaussian weight of a squared chord ``d2`` already known to be within the catchment's chord."""
    d_km = 2.0 * EARTH_RADIUS_KM * np.arcsin(min(np.sqrt(d2) / 2.0, 1.0))
    if d_km > radius_km:
        return 0.0
    q = d_km / radius_km
    return (np.exp(-0.5 * q * q) - _EDGE) / (1.0 - _EDGE)


@njit(cache=True, inline="always")
def _spans(key: int, n: int, keys: np.ndarray, offsets: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> int:
    """The (at most 9) contiguous spans of sorted points in the 27 cells around cell ``key``."""
    m = 0
    for dx in range(-1, 2):
        for dy in range(-1, 2):
            base = key + (dx * n + dy) * n
            a = np.searchsorted(keys, base - 1)
            b = np.searchsorted(keys, base + 2)
            if offsets[b] > offsets[a]:
                lo[m] = offsets[a]
                hi[m] = offsets[b]
                m += 1
    return m


@njit(cache=True, inline="always")
def _mask_span(
    w: np.ndarray,
    lo: int,
    hi: int,
    x: float,
    y: float,
    z: float,
    tx: np.ndarray,
    ty: np.ndarray,
    tz: np.ndarray,
    in2_q: float,
    out2_q: float,
    in2_t: np.ndarray,
    out2_t: np.ndarray,
    chord_on_target: bool,
) -> int:
    """w[0 : hi - lo] = 1 where the float32 distance is surely inside, else 0; returns how many tests fell
    in the band around the edge (to be redone in float64). Loops run over slices from 0, so that numba
    adds no negative-index check and the loop vectorizes with plain loads."""
    unsure = 0
    x32, y32, z32 = np.float32(x), np.float32(y), np.float32(z)
    sx, sy, sz = tx[lo:hi], ty[lo:hi], tz[lo:hi]
    if chord_on_target:
        a_t, b_t = in2_t[lo:hi], out2_t[lo:hi]
        for t in range(hi - lo):
            ex = sx[t] - x32
            ey = sy[t] - y32
            ez = sz[t] - z32
            d2 = ex * ex + ey * ey + ez * ez
            w[t] = 1.0 if d2 <= a_t[t] else 0.0
            unsure += (d2 <= b_t[t]) & (d2 > a_t[t])
    else:
        a, b = np.float32(in2_q), np.float32(out2_q)
        for t in range(hi - lo):
            ex = sx[t] - x32
            ey = sy[t] - y32
            ez = sz[t] - z32
            d2 = ex * ex + ey * ey + ez * ez
            w[t] = 1.0 if d2 <= a else 0.0
            unsure += (d2 <= b) & (d2 > a)
    return unsure


@njit(cache=True, inline="always")
def _sum_span(
    v: np.ndarray,
    lo: int,
    hi: int,
    x: float,
    y: float,
    z: float,
    tx: np.ndarray,
    ty: np.ndarray,
    tz: np.ndarray,
    in2_q: float,
    out2_q: float,
    in2_t: np.ndarray,
    out2_t: np.ndarray,
    chord_on_target: bool,
) -> tuple[float, int, int]:
    """One band, step weights: the sum of ``v`` over the span's points surely inside, how many, and how many
    tests were unsure (then the caller redoes the span in float64). One pass: test and add together."""
    total = 0.0
    count = 0
    unsure = 0
    x32, y32, z32 = np.float32(x), np.float32(y), np.float32(z)
    sx, sy, sz, sv = tx[lo:hi], ty[lo:hi], tz[lo:hi], v[lo:hi]
    if chord_on_target:
        a_t, b_t = in2_t[lo:hi], out2_t[lo:hi]
        for t in range(hi - lo):
            ex = sx[t] - x32
            ey = sy[t] - y32
            ez = sz[t] - z32
            d2 = ex * ex + ey * ey + ez * ez
            inside = d2 <= a_t[t]
            total += sv[t] if inside else 0.0
            count += inside
            unsure += (d2 <= b_t[t]) & (d2 > a_t[t])
    else:
        a, b = np.float32(in2_q), np.float32(out2_q)
        for t in range(hi - lo):
            ex = sx[t] - x32
            ey = sy[t] - y32
            ez = sz[t] - z32
            d2 = ex * ex + ey * ey + ez * ez
            inside = d2 <= a
            total += sv[t] if inside else 0.0
            count += inside
            unsure += (d2 <= b) & (d2 > a)
    return total, count, unsure


@njit(cache=True, inline="always")
def _exact_span(
    w: np.ndarray,
    lo: int,
    hi: int,
    q64: np.ndarray,
    t64: np.ndarray,
    c2_q: float,
    c2_t: np.ndarray,
    chord_on_target: bool,
) -> None:
    """The float64 test for every point of a span not surely inside (the float32 test was unsure)."""
    for s in range(lo, hi):
        if w[s - lo] == 0.0:
            ex, ey, ez = t64[s, 0] - q64[0], t64[s, 1] - q64[1], t64[s, 2] - q64[2]
            c2 = c2_t[s] if chord_on_target else c2_q
            if ex * ex + ey * ey + ez * ez <= c2:
                w[s - lo] = 1.0


@njit(cache=True, inline="always")
def _gauss_span(
    w: np.ndarray, lo: int, hi: int, q64: np.ndarray, t64: np.ndarray, r_q: float, r_t: np.ndarray, chord_on_target: bool
) -> None:
    """Replace the 1s of a span's mask by Gaussian weights (float64 distances)."""
    for s in range(lo, hi):
        if w[s - lo] != 0.0:
            ex, ey, ez = t64[s, 0] - q64[0], t64[s, 1] - q64[1], t64[s, 2] - q64[2]
            w[s - lo] = _gauss(ex * ex + ey * ey + ez * ez, r_t[s] if chord_on_target else r_q)


def _pass_body(
    q_keys: np.ndarray,
    q_offsets: np.ndarray,
    q32: tuple[np.ndarray, np.ndarray, np.ndarray],
    q64: np.ndarray,
    t_keys: np.ndarray,
    t_offsets: np.ndarray,
    t32: tuple[np.ndarray, np.ndarray, np.ndarray],
    t64: np.ndarray,
    tract_in2: np.ndarray,
    tract_out2: np.ndarray,
    tract_c2: np.ndarray,
    tract_r: np.ndarray,
    chord_on_target: bool,
    values: np.ndarray,
    row_major: bool,
    n: int,
    decay: int,
    max_span: int,
) -> tuple[np.ndarray, np.ndarray]:
    """For each query point, sum over the target points within reach of w(d) x values (and count them).

    ``values`` is (n_targets, k) when ``row_major`` else (k, n_targets). The tract-side arrays
    (``tract_*``: float32 sure-inside and sure-outside squared chords, float64 squared chord and km) are
    indexed by target when ``chord_on_target`` (pass 1: targets are tracts) else by query (pass 2)."""
    tx, ty, tz = t32
    qx, qy, qz = q32
    n_q = q64.shape[0]
    k = values.shape[1] if row_major else values.shape[0]
    out = np.zeros((n_q, k))
    count = np.zeros(n_q, dtype=np.int64)
    fast = k == 1 and decay == _STEP and not row_major  # one band, step weights: one pass a span
    for c in prange(q_keys.size):
        lo = np.empty(9, dtype=np.int64)
        hi = np.empty(9, dtype=np.int64)
        m = _spans(q_keys[c], n, t_keys, t_offsets, lo, hi)
        w = np.empty(max_span)
        acc = np.zeros(k)
        for q in range(q_offsets[c], q_offsets[c + 1]):
            acc[:] = 0.0
            cnt = 0
            x, y, z = qx[q], qy[q], qz[q]
            qpt = q64[q]
            in2_q = tract_in2[q] if not chord_on_target else 0.0
            out2_q = tract_out2[q] if not chord_on_target else 0.0
            c2_q = tract_c2[q] if not chord_on_target else 0.0
            r_q = tract_r[q] if not chord_on_target else 0.0
            for a in range(m):
                s0, s1 = lo[a], hi[a]
                if fast:
                    total, got1, unsure = _sum_span(
                        values[0], s0, s1, x, y, z, tx, ty, tz, in2_q, out2_q, tract_in2, tract_out2, chord_on_target
                    )
                    if unsure == 0:
                        acc[0] += total
                        cnt += got1
                        continue
                if _mask_span(w, s0, s1, x, y, z, tx, ty, tz, in2_q, out2_q, tract_in2, tract_out2, chord_on_target) > 0:
                    _exact_span(w, s0, s1, qpt, t64, c2_q, tract_c2, chord_on_target)
                span = s1 - s0
                got = 0.0
                for t in range(span):
                    got += w[t]
                if got == 0.0:
                    continue
                cnt += int(got)
                if decay == _GAUSSIAN:
                    _gauss_span(w, s0, s1, qpt, t64, r_q, tract_r, chord_on_target)
                if row_major:
                    for t in range(span):
                        wt = w[t]
                        if wt != 0.0:
                            for b in range(k):
                                acc[b] += wt * values[s0 + t, b]
                else:
                    for b in range(k):
                        vb = values[b, s0:s1]
                        sb = 0.0
                        for t in range(span):
                            sb += w[t] * vb[t]
                        acc[b] += sb
            out[q, :] = acc
            count[q] = cnt
    return out, count


#: One compilation; below PARALLEL_MIN_POINTS it runs on one thread (numba.set_num_threads), which measured
#: faster than a separate serial compilation of the same body.
_pass_parallel: Any = njit(cache=True, parallel=True, fastmath={"reassoc", "contract"})(_pass_body)


@njit(cache=True, parallel=True)
def _pairs_body(
    q_keys: np.ndarray,
    q64: np.ndarray,
    t_keys: np.ndarray,
    t_offsets: np.ndarray,
    t64: np.ndarray,
    t_order: np.ndarray,
    c2: np.ndarray,
    radius: np.ndarray,
    n: int,
    decay: int,
    children: np.ndarray,
    count_only: bool,
    start: np.ndarray,
    demand: np.ndarray,
    slots: float,
    ti: np.ndarray,
    cj: np.ndarray,
    value: np.ndarray,
) -> np.ndarray:
    """The tracts whose catchment holds each query point, in float64. With ``count_only``: how many per
    point, and each point's demand (sum of weight x children) into ``demand``. Else, from ``start[q]`` on:
    the tracts' positions, the point's, and the value of the pair: its distance in km when ``slots`` is 0,
    else the access a site of ``slots`` at the point adds to the tract, w x slots / demand."""
    n_q = q64.shape[0]
    count = np.zeros(n_q, dtype=np.int64)
    for q in prange(n_q):
        lo = np.empty(9, dtype=np.int64)
        hi = np.empty(9, dtype=np.int64)
        m = _spans(q_keys[q], n, t_keys, t_offsets, lo, hi)
        at = start[q] if not count_only else 0
        cnt = 0
        dem = 0.0
        for a in range(m):
            for s in range(lo[a], hi[a]):
                ex, ey, ez = t64[s, 0] - q64[q, 0], t64[s, 1] - q64[q, 1], t64[s, 2] - q64[q, 2]
                dd = ex * ex + ey * ey + ez * ez
                if dd <= c2[s]:
                    w = 1.0 if decay == _STEP else _gauss(dd, radius[s])
                    if count_only:
                        dem += w * children[t_order[s]]
                    else:
                        ti[at + cnt] = t_order[s]
                        cj[at + cnt] = q
                        if slots == 0.0:
                            value[at + cnt] = 2.0 * EARTH_RADIUS_KM * np.arcsin(min(np.sqrt(dd) / 2.0, 1.0))
                        else:
                            value[at + cnt] = w * slots / demand[q] if demand[q] > 0 else 0.0
                    cnt += 1
        count[q] = cnt
        if count_only:
            demand[q] = dem
    return count


@njit(cache=True, parallel=True)
def _points(lonlat: np.ndarray, cell: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit-sphere (x, y, z) of (lon, lat) degrees, and each point's cell key (as lonlat_to_xyz and _keys)."""
    m = lonlat.shape[0]
    xyz = np.empty((m, 3))
    keys = np.empty(m, dtype=np.int64)
    for a in prange(m):
        lon, lat = np.radians(lonlat[a, 0]), np.radians(lonlat[a, 1])
        c = np.cos(lat)
        xyz[a, 0], xyz[a, 1], xyz[a, 2] = c * np.cos(lon), c * np.sin(lon), np.sin(lat)
        i = int(np.floor((xyz[a, 0] + 1.0) / cell)) + 1
        j = int(np.floor((xyz[a, 1] + 1.0) / cell)) + 1
        k = int(np.floor((xyz[a, 2] + 1.0) / cell)) + 1
        keys[a] = (i * n + j) * n + k
    return xyz, keys


@njit(cache=True, parallel=True)
def _sorted_points(xyz: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The points in ``order``: float64 (n, 3) and float32 x, y, z."""
    m = order.size
    out = np.empty((m, 3))
    x, y, z = np.empty(m, dtype=np.float32), np.empty(m, dtype=np.float32), np.empty(m, dtype=np.float32)
    for a in prange(m):
        o = order[a]
        out[a, 0], out[a, 1], out[a, 2] = xyz[o, 0], xyz[o, 1], xyz[o, 2]
        x[a], y[a], z[a] = xyz[o, 0], xyz[o, 1], xyz[o, 2]
    return out, x, y, z


def _csr(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort order, occupied keys (sorted) and each one's first position in the sorted points (+ the end).
    The order within a cell is the sort's (deterministic; any order gives the same sums to 1e-15)."""
    order = np.argsort(keys)
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]) if keys.size else np.zeros(0, dtype=np.int64)
    return order, sorted_keys[starts], np.append(starts, keys.size).astype(np.int64)


class AccessGrid:
    """Tract and provider points bucketed once (sorted, CSR, float32 copies), for any number of E2SFCA runs
    on them: bands, scenarios, Monte-Carlo draws of children or slots.

    ``tract_lonlat`` (n_tracts, 2) and ``provider_lonlat`` (n_providers, 2) in degrees; ``catchment_km`` one
    distance or one per tract."""

    def __init__(self, tract_lonlat: np.ndarray, provider_lonlat: np.ndarray, catchment_km: float | ArrayLike):
        tract_lonlat = np.asarray(tract_lonlat, dtype=float).reshape(-1, 2)
        provider_lonlat = np.asarray(provider_lonlat, dtype=float).reshape(-1, 2)
        self.n_tracts, self.n_providers = len(tract_lonlat), len(provider_lonlat)
        radius = tract_catchments(catchment_km, self.n_tracts)
        if self.n_tracts and not (np.isfinite(tract_lonlat).all() and np.isfinite(provider_lonlat).all()):
            raise ParameterError("tract and provider points: expected finite longitudes and latitudes")
        self.parallel = self.n_tracts + self.n_providers >= PARALLEL_MIN_POINTS
        max_r = float(radius.max()) if self.n_tracts else 1.0
        cell = float(chord_from_km(max_r)) * (1 + 1e-9)
        self._n = int(np.ceil(2.0 / cell)) + 3
        self._cell = cell
        with _LOCK:
            t_xyz, t_keys = _points(np.ascontiguousarray(tract_lonlat), cell, self._n)
            p_xyz, p_keys = _points(np.ascontiguousarray(provider_lonlat), cell, self._n)
        self._t_order, self._t_keys, self._t_offsets = _csr(t_keys)
        self._p_order, self._p_keys, self._p_offsets = _csr(p_keys)
        with _LOCK:
            self._t64, *t32 = _sorted_points(t_xyz, self._t_order)
            self._p64, *p32 = _sorted_points(p_xyz, self._p_order)
        self._t32, self._p32 = tuple(t32), tuple(p32)
        chord = chord_from_km(radius[self._t_order])
        self._c2 = (chord * (1 + 1e-12)) ** 2
        self._r = radius[self._t_order].copy()
        inner = chord - _F32_SLACK
        self._in2 = np.where(inner > 0, inner**2 * (1 - 1e-6), -1.0).astype(np.float32)
        self._out2 = ((chord + _F32_SLACK) ** 2 * (1 + 1e-6)).astype(np.float32)
        occupancy = max(int(np.diff(self._t_offsets).max(initial=0)), int(np.diff(self._p_offsets).max(initial=0)))
        self._max_span = max(3 * occupancy, 1)

    def _run(self, pass1: bool, values_sorted: np.ndarray, decay: int) -> tuple[np.ndarray, np.ndarray]:
        row_major = values_sorted.shape[1] >= _ROW_MAJOR_FROM
        vals = np.ascontiguousarray(values_sorted if row_major else values_sorted.T)
        if pass1:
            q = (self._p_keys, self._p_offsets, self._p32, self._p64)
            t = (self._t_keys, self._t_offsets, self._t32, self._t64)
        else:
            q = (self._t_keys, self._t_offsets, self._t32, self._t64)
            t = (self._p_keys, self._p_offsets, self._p32, self._p64)
        args = (*q, *t, self._in2, self._out2, self._c2, self._r, pass1, vals, row_major, self._n, decay, self._max_span)
        with _LOCK:
            before = numba.get_num_threads()
            numba.set_num_threads(before if self.parallel else 1)
            try:
                return _pass_parallel(*args)
            finally:
                numba.set_num_threads(before)

    def _point_pairs(
        self, lonlat: np.ndarray, children: np.ndarray | None, slots: float, decay: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pts = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        if not len(pts) or not self.n_tracts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        kids = np.zeros(self.n_tracts) if children is None else np.nan_to_num(np.asarray(children, dtype=float), nan=0.0)
        none_i, none_f = np.zeros(0, dtype=np.int64), np.zeros(0)
        demand = np.zeros(len(pts))
        with _LOCK:
            xyz, keys = _points(np.ascontiguousarray(pts), self._cell, self._n)
            args = (keys, xyz, self._t_keys, self._t_offsets, self._t64, self._t_order, self._c2, self._r, self._n, decay, kids)
            count = _pairs_body(*args, True, none_i, demand, slots, none_i, none_i, none_f)
            start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
            total = int(count.sum())
            ti, cj, value = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64), np.empty(total)
            _pairs_body(*args, False, start, demand, slots, ti, cj, value)
        return ti, cj, value

    def tract_pairs(self, lonlat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tract positions, point positions, km) of every pair of a tract and one of ``lonlat``'s points
        (n, 2) lying within the tract's catchment: the pairs a new site would have, without a KD-tree.
        Grouped by point (in order); within a point, in grid order."""
        return self._point_pairs(lonlat, None, 0.0, _STEP)

    def site_gains(
        self, lonlat: np.ndarray, children: ArrayLike, slots: float, decay: str = "step"
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For a new site of ``slots`` operating slots at each of ``lonlat``'s points (alone): (tract
        positions, point positions, gain) of its pairs, the gain being the access it adds to the tract,
        w(d) x slots / D with D = sum of w(d) x ``children`` over the site's tracts (E2SFCA; 0 when D = 0)."""
        if not slots > 0:
            raise ParameterError(f"slots = {slots!r}: a new site needs more than 0 slots")
        return self._point_pairs(lonlat, np.asarray(children, dtype=float), float(slots), _STEP if decay == "step" else _GAUSSIAN)

    def e2sfca(
        self, children: ArrayLike, slots: ArrayLike, decay: str = "step", per_provider: bool = False
    ) -> tuple[np.ndarray, np.ndarray, int | np.ndarray]:
        """E2SFCA access and provider ratios, and the number of pairs.

        ``children`` (n_tracts,) or (n_tracts, k), ``slots`` (n_providers,) or (n_providers, k) with the
        same k (bands, or bands x draws); missing children count as 0. Returns ``(access, ratio, n_pairs)``
        shaped like :func:`gapmap.metrics.access.compute_e2sfca`'s; with ``per_provider`` the third item is
        each provider's number of pairs (the tracts it reaches)."""
        if decay not in ("step", "gaussian"):
            raise ParameterError(f"decay = {decay!r}: expected step or gaussian")
        code = _STEP if decay == "step" else _GAUSSIAN
        P = np.nan_to_num(np.asarray(children, dtype=float), nan=0.0)
        S = np.asarray(slots, dtype=float)
        one_band = P.ndim == 1
        P2, S2 = P.reshape(len(P), -1), S.reshape(len(S), -1)
        if len(P2) != self.n_tracts or len(S2) != self.n_providers or P2.shape[1] != S2.shape[1]:
            raise ParameterError(
                f"children {P.shape} and slots {S.shape}: expected {self.n_tracts} and {self.n_providers} rows with as many columns"
            )
        if self.n_tracts == 0 or self.n_providers == 0:
            access, ratio = np.zeros_like(P2), np.zeros_like(S2)
            pairs: int | np.ndarray = np.zeros(self.n_providers, dtype=np.int64) if per_provider else 0
            return (access[:, 0] if one_band else access), (ratio[:, 0] if one_band else ratio), pairs
        demand_s, count_s = self._run(True, P2[self._t_order], code)
        S_s = S2[self._p_order]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_s = np.where(demand_s > 0, S_s / np.where(demand_s > 0, demand_s, 1.0), 0.0)
        access_s, _ = self._run(False, ratio_s, code)
        access = np.empty_like(access_s)
        access[self._t_order] = access_s
        ratio = np.empty_like(ratio_s)
        ratio[self._p_order] = ratio_s
        count = np.empty_like(count_s)
        count[self._p_order] = count_s
        pairs = count if per_provider else int(count.sum())
        if one_band:
            return access[:, 0], ratio[:, 0], pairs
        return access, ratio, pairs


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
    third item is each provider's number of pairs (the tracts it reaches). One :class:`AccessGrid` run.
    """
    if decay not in ("step", "gaussian"):
        raise ParameterError(f"decay = {decay!r}: expected step or gaussian")
    grid = AccessGrid(tract_lonlat, provider_lonlat, catchment_km)
    return grid.e2sfca(children, slots, decay, per_provider)
