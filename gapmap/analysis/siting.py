"""Where new sites help most: choose K sites of S slots among candidates to lift children out of access deserts.

Two objectives (:data:`OBJECTIVES`): children lifted out of access deserts (below), or unmet need met
(children beyond reachable slots who would gain one, capped at each tract's unmet need; linear, solved the
same two ways).

Model (a maximal covering location problem, Church & ReVelle 1974). For a candidate site j with S slots
of a band, E2SFCA gives each tract i within its catchment the extra access
:math:`\\Delta A_{ij} = w_{ij} S / D_j` with :math:`D_j = \\sum_i w_{ij} P_i`. A desert tract i is *covered*
by j when :math:`A_i + \\Delta A_{ij}` reaches the desert threshold (1 slot per 3 children). Choose K
candidates to maximize the children of covered tracts.

* :func:`suggest_sites_greedy`: lazy greedy (CELF) on the sparse coverage matrix; fast at any size.
* :func:`suggest_sites_exact`: the same model solved exactly as an integer program (SciPy ``milp``,
  HiGHS), for small instances and to measure how close the greedy gets.

Several sites near one tract add up, so the simulated effect of the chosen sites
(:func:`gapmap.analysis.scenarios.simulate_scenario`) is at least the covered total.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gapmap import measures as M
from gapmap import schema as S
from gapmap.errors import ParameterError
from gapmap.metrics import MetricsResult

__all__ = [
    "chosen_sites",
    "band_slots",
    "OBJECTIVES",
    "Coverage",
    "build_coverage",
    "suggest_sites_greedy",
    "suggest_sites_exact",
    "SiteChoice",
]


#: What the suggestions maximize.
OBJECTIVES = {
    "lifted": "children lifted out of access deserts (a tract counts when one new site alone lifts it)",
    "unmet": "unmet need met: children beyond reachable slots who gain a slot, capped at each tract's unmet need",
}


@dataclass(frozen=True)
class Coverage:
    """``matrix`` (tracts x candidates, sparse): for ``lifted``, candidate j lifts tract i out of its access
    desert (boolean); for ``unmet``, the children of tract i that candidate j's slots would serve.
    ``value``: children of each desert tract (``lifted``) or each tract's unmet need (``unmet``)."""

    matrix: sp.csc_matrix
    value: np.ndarray
    candidates: pd.DataFrame  # name, latitude, longitude
    objective: str = "lifted"


@dataclass(frozen=True)
class SiteChoice:
    chosen: list[int]  # candidate positions, in the order chosen
    covered_children: float
    method: str
    seconds: float


def band_slots(band: str, slots: float) -> tuple[float, float]:
    """(slots 0-2, slots 3-5) of a new site of ``slots`` slots for a band; "under 5" splits them evenly."""
    return {"0_2": (slots, 0.0), "3_5": (0.0, slots), "under_5": (slots / 2, slots / 2)}[S.get_band(band).key]


def build_coverage(
    result: MetricsResult, band: str, slots: float, candidates: pd.DataFrame | None = None, objective: str = "lifted"
) -> Coverage:
    """The coverage matrix of candidate sites (default: every tract's representative point)."""
    if objective not in OBJECTIVES:
        raise ParameterError(f"objective {objective!r}: expected one of {', '.join(OBJECTIVES)}")
    band = S.get_band(band).key
    if slots <= 0:
        raise ParameterError(f"slots = {slots!r}: a new site needs more than 0 slots")
    t = result.tracts
    p = result.params
    pts = result.tract_points()
    if candidates is None:
        candidates = pd.DataFrame(
            {"name": t[S.NAME].to_numpy(), "longitude": pts[:, 0], "latitude": pts[:, 1], S.GEOID: t[S.GEOID].to_numpy()}
        )
    kids = np.nan_to_num(t[S.BANDS[band].children].to_numpy(float), nan=0.0)
    access = t[M.column("access_per_100", band)].to_numpy(float) / 100
    need = 1.0 / p.desert_children_per_slot
    in_desert = (access < need) & (kids > 0)
    xy = candidates[["longitude", "latitude"]].to_numpy(float)
    ti, cj, gain = result.access_engine().site_gains(xy, kids, slots * p.utilization, p.decay)
    candidates = candidates.reset_index(drop=True)
    if objective == "unmet":
        served = gain * kids[ti]  # children whose slot this site provides (E2SFCA share)
        m = sp.csc_matrix((served, (ti, cj)), shape=(len(t), len(candidates)))
        return Coverage(m, kids * np.clip(1 - access, 0, 1), candidates, "unmet")
    lifted = in_desert[ti] & (access[ti] + gain >= need - 1e-12)
    m = sp.csc_matrix((np.ones(int(lifted.sum()), dtype=bool), (ti[lifted], cj[lifted])), shape=(len(t), len(candidates)))
    return Coverage(m, np.where(in_desert, kids, 0.0), candidates, "lifted")


def suggest_sites_greedy(cov: Coverage, k: int, progress: Callable[[int, int], None] | None = None) -> SiteChoice:
    """K sites by lazy greedy: each step takes the candidate covering the most children not yet covered."""
    import time

    t0 = time.perf_counter()
    m = cov.matrix
    covered = np.zeros(m.shape[0], dtype=bool)
    value = cov.value
    remaining = cov.value.astype(float).copy()  # unmet need not yet met ("unmet")

    def gain(j: int) -> float:
        rows = m.indices[m.indptr[j] : m.indptr[j + 1]]
        if cov.objective == "unmet":
            return float(np.minimum(remaining[rows], m.data[m.indptr[j] : m.indptr[j + 1]]).sum())
        return float(value[rows][~covered[rows]].sum())

    heap = [(-gain(j), j) for j in range(m.shape[1])]
    heapq.heapify(heap)
    chosen: list[int] = []
    total = 0.0
    while heap and len(chosen) < k:
        neg, j = heapq.heappop(heap)
        fresh = gain(j)
        if heap and fresh < -heap[0][0] - 1e-12:  # stale: push back with its current gain (CELF)
            heapq.heappush(heap, (-fresh, j))
            continue
        chosen.append(j)
        total += fresh
        rows = m.indices[m.indptr[j] : m.indptr[j + 1]]
        covered[rows] = True
        remaining[rows] -= np.minimum(remaining[rows], m.data[m.indptr[j] : m.indptr[j + 1]])
        if progress:
            progress(len(chosen), k)
    return SiteChoice(chosen, total, "greedy", time.perf_counter() - t0)


def suggest_sites_exact(cov: Coverage, k: int, time_limit_s: float = 60.0) -> SiteChoice:
    """The same model solved exactly (SciPy milp / HiGHS): max sum(children x covered) with k sites."""
    import time

    from scipy.optimize import Bounds, LinearConstraint, milp

    t0 = time.perf_counter()
    m = cov.matrix.tocsr()
    rows = np.flatnonzero((cov.value > 0) & (np.diff(m.indptr) > 0))  # tracts that some site can lift
    n_c, n_r = m.shape[1], len(rows)
    if n_r == 0:
        return SiteChoice([], 0.0, "exact", time.perf_counter() - t0)
    a_cover = sp.hstack([-m[rows].astype(float), sp.identity(n_r)], format="csr")  # y_i - sum_j a_ij x_j <= 0
    a_count = sp.hstack([sp.csr_matrix(np.ones((1, n_c))), sp.csr_matrix((1, n_r))], format="csr")  # sum x = k
    if cov.objective == "unmet":
        # z_i (children served, continuous) <= unmet need U_i and <= sum_j g_ij x_j; maximize sum z_i
        c = np.concatenate([np.zeros(n_c), -np.ones(n_r)])
        integrality = np.concatenate([np.ones(n_c), np.zeros(n_r)])
        upper = np.concatenate([np.ones(n_c), cov.value[rows]])
    else:
        # y_i (tract lifted, binary) <= sum_j a_ij x_j; maximize children . y
        c = np.concatenate([np.zeros(n_c), -cov.value[rows]])
        integrality = np.ones(n_c + n_r)
        upper = np.ones(n_c + n_r)
    res = milp(
        c,
        constraints=[LinearConstraint(a_cover, -np.inf, 0), LinearConstraint(a_count, k, k)],
        integrality=integrality,
        bounds=Bounds(0, upper),
        options={"time_limit": time_limit_s},
    )
    if res.x is None:
        raise ParameterError(f"the exact site model found no solution ({res.message})")
    chosen = [int(j) for j in np.flatnonzero(res.x[:n_c] > 0.5)]
    return SiteChoice(chosen, float(-res.fun), "exact", time.perf_counter() - t0)


def chosen_sites(cov: Coverage, choice: SiteChoice, slots: float, band: str) -> pd.DataFrame:
    """The chosen sites in the order they were chosen: ``order``, the candidate's columns, ``slots``, ``band``."""
    sites = cov.candidates.iloc[choice.chosen].reset_index(drop=True)
    sites.insert(0, "order", range(1, len(sites) + 1))
    sites["slots"] = slots
    sites["band"] = S.get_band(band).key
    return sites
