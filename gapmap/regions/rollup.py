"""Roll-ups of tract metrics to regions.

**Roll-ups** (:func:`compute_rollup`) aggregate every tract measure by its rule in the measure registry
(:mod:`gapmap.measures`, GUIDE.md section 4): counts are summed; ratios are recomputed from the sums,
never averaged (a region's slots per 100 children is 100 x its slots / its children); margins of error
of sums are the square root of the sum of squared margins (Census Bureau, *Understanding and Using ACS
Data*, 2020, formula 1); shares of children carry the ACS margin of error of a proportion (formula 4);
access is weighted by children.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from gapmap import schema as S
from gapmap.errors import ParameterError
from gapmap.metrics import MetricsResult, rollup_tracts
from gapmap.regions.assignment import RegionAssignment
from gapmap.sources.region_files import ALL_TRACTS

__all__ = ["compute_rollup"]


def compute_rollup(
    result: MetricsResult,
    assignment: RegionAssignment,
    regions: Iterable[str] | None = None,
    priority_geoids: Iterable[str] | None = None,
    include_total: bool = True,
) -> pd.DataFrame:
    """One row per region (those in ``regions``, default every region with tracts) and, with
    ``include_total``, a last row for all tracts of the data.

    Columns: ``region``, ``tracts``, ``providers``; per band ``b``: ``children_b`` and
    ``children_b_moe``, ``licensed_slots_b``, ``slots_b``, ``slots_per_100_b`` and
    ``children_per_slot_b`` (from the sums), ``osu_class_b`` (the OSU rule on the sums),
    ``children_in_<rule>_b`` and ``share_in_<rule>_b`` for the CAP, OSU and access deserts,
    ``share_in_osu_extreme_b``, ``access_per_100_b`` (E2SFCA access averaged over children); the
    poverty and working-parent counts with margins and their shares of children under 6 with the
    margin of a proportion; ``licensed_slots_all`` (ages 0-5 at providers inside the region) and the
    share of those slots by funding (``public_slot_share`` ...); ``priority_tracts`` when
    ``priority_geoids`` is given.
    """
    t = result.tracts
    if len(assignment.table) != len(t) or not (assignment.table[S.GEOID].to_numpy(object) == t[S.GEOID].to_numpy(object)).all():
        raise ParameterError("the region assignment was made for other tracts: assign the regions of these tracts again")
    names = list(assignment.present if regions is None else regions)
    unknown = [n for n in names if n not in assignment.region_set.names]
    if unknown:
        raise ParameterError(
            f"no region called {', '.join(map(repr, unknown))} in {assignment.region_set.label!r}: expected one of {', '.join(assignment.region_set.names)}"
        )
    priority = set(priority_geoids) if priority_geoids is not None else None
    region_of_tract = pd.Series(assignment.region, index=t[S.GEOID].to_numpy(object))
    prov = result.providers
    prov_region = prov[S.GEOID].map(region_of_tract).astype(object).to_numpy() if len(prov) else np.zeros(0, dtype=object)
    rows = []
    for name in names:
        mask = assignment.region == name
        rows.append({"region": name, **rollup_tracts(t[mask], result.bands, result.params, prov[prov_region == name], priority)})
    if include_total:
        located = prov[prov[S.GEOID].notna()] if len(prov) else prov
        rows.append({"region": ALL_TRACTS, **rollup_tracts(t, result.bands, result.params, located, priority)})
    return pd.DataFrame(rows)
