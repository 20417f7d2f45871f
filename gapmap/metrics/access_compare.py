"""Access by distance against access by travel time, tract by tract (for a run measured on a travel table).

The same E2SFCA, children and operating slots, once with the straight-line catchment of the run's
parameters (``catchment_km``, the distance decay) and once on the travel-time table; each tract's access
(slots per 100 children) and access class by both, and what changes: the tracts whose class changes are
the ones where the straight line and the road disagree (a river, a mountain, a freeway with no exit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gapmap import measures as M
from gapmap import schema as S
from gapmap.errors import ParameterError
from gapmap.metrics.deserts import classify_access
from gapmap.metrics.result import MetricsResult
from gapmap.metrics.supply import compute_operating_slots

__all__ = ["compute_access_comparison", "CHANGE_LABELS"]

#: How a tract's access class moves from distance to travel time, in a planner's words.
CHANGE_LABELS = {
    "worse": "worse by travel time",
    "better": "better by travel time",
    "same": "same class",
    "no data": "no data",
}


def compute_access_comparison(result: MetricsResult, band: str) -> pd.DataFrame:
    """One row per tract: children, access per 100 children and access class by distance and by travel
    time, the difference, and ``change`` (:data:`CHANGE_LABELS`). Sorted: changed classes first, then by
    the size of the difference."""
    if result.travel is None:
        raise ParameterError("this run measures access by distance only: give it a travel-time table to compare the two")
    band = S.get_band(band).key
    if band not in result.bands:
        raise ParameterError(f"the run has no {S.BANDS[band].label} band")
    p = result.params
    t = result.tracts
    kids = t[S.BANDS[band].children].to_numpy(float)
    slots = compute_operating_slots(S.BANDS[band].provider_slots(result.providers), p.utilization)
    by_distance, _, _ = result.access_grid().e2sfca(kids, slots, p.decay)
    by_time = t[M.column("access_per_100", band)].to_numpy(float) / 100.0
    c_dist = classify_access(by_distance, kids, p.desert_children_per_slot, p.extreme_children_per_slot)
    c_time = classify_access(by_time, kids, p.desert_children_per_slot, p.extreme_children_per_slot)
    order = {c: k for k, c in enumerate(c_dist.categories[:3])}  # extreme desert, desert, not a desert
    rank_d = np.array([order.get(c, -1) for c in c_dist], dtype=int)
    rank_t = np.array([order.get(c, -1) for c in c_time], dtype=int)
    same = np.asarray(c_dist, dtype=object) == np.asarray(c_time, dtype=object)  # also "no children" by both
    missing = ~same & ((rank_d < 0) | (rank_t < 0))
    change = np.where(same, "same", np.where(missing, "no data", np.where(rank_t < rank_d, "worse", "better")))
    out = pd.DataFrame(
        {
            S.GEOID: t[S.GEOID].to_numpy(),
            S.NAME: t[S.NAME].to_numpy(),
            S.COUNTY: t[S.COUNTY].to_numpy(),
            "children": kids,
            "access_per_100_by_distance": np.round(100.0 * by_distance, 2),
            "access_per_100_by_time": np.round(100.0 * by_time, 2),
            "difference_per_100": np.round(100.0 * (by_time - by_distance), 2),
            "class_by_distance": np.asarray(c_dist, dtype=object),
            "class_by_time": np.asarray(c_time, dtype=object),
            "change": [CHANGE_LABELS[c] for c in change],
        }
    )
    out["_changed"] = change != "same"
    out["_size"] = np.abs(out["difference_per_100"].to_numpy())
    out = out.sort_values(["_changed", "_size"], ascending=[False, False], kind="stable").drop(columns=["_changed", "_size"])
    return out.reset_index(drop=True)
