"""Who lives in the deserts: the share of each group of children living in desert tracts.

For a region and a group g (a race or ethnicity, a poverty band, rural or urban), the share is

    children of group g in the region's desert tracts / children of group g in the region

with the counts summed over tracts (never an average of tract shares). Groups:

* **Race and ethnicity** of children under 5 (ACS B01001A-I, :data:`gapmap.schema.UNDER5_GROUPS`).
  Race groups (alone, or two or more races) do not overlap; Hispanic or Latino children are of any
  race, and "white alone, not Hispanic" is part of "white alone".
* **Family income** of children under 6 (ACS B17024): below 100% of poverty, 100-199%, 200% or more.
  The middle band is the difference of two estimates; its margin combines both (root-sum-square).
* **Rural or urban** for children under 5, from :func:`classify_urbanicity`.

A tract is a desert by the rule chosen (``osu``: desert or extreme desert on slots inside the tract;
``cap``: the CAP rule; ``access``: the OSU thresholds on E2SFCA access) for the band chosen (children
under 5 by default, the band the race counts describe).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from gapmap import schema as S
from gapmap.errors import MissingColumnError, ParameterError
from gapmap.metrics import MetricsResult
from gapmap.metrics.deserts import DESERT_RULES as RULES
from gapmap.metrics.deserts import desert_mask
from gapmap.metrics.urbanicity import (
    DENSITY_CLASSES,
    NOT_CLASSIFIED,
    RUCA_CLASSES,
    SQ_M_PER_SQ_MILE,
    URBAN_DENSITY_PER_SQ_MILE,
    classify_ruca,
    classify_urbanicity,
)
from gapmap.regions.assignment import RegionAssignment
from gapmap.sources.acs import combine_moe
from gapmap.sources.region_files import ALL_TRACTS
from gapmap.sources.ruca import attach_ruca, read_ruca

__all__ = [
    "DESERT_RULES",
    "URBAN_DENSITY_PER_SQ_MILE",
    "RUCA_CLASSES",
    "DENSITY_CLASSES",
    "classify_ruca",
    "classify_urbanicity",
    "SQ_M_PER_SQ_MILE",
    "NOT_CLASSIFIED",
    "read_ruca",
    "attach_ruca",
    "compute_desert_mask",
    "compute_equity",
    "compute_equity_rows",
]

#: Desert rules the equity table can use: key -> label (from :data:`gapmap.metrics.deserts.DESERT_RULES`).
DESERT_RULES: dict[str, str] = {key: RULES[key].label for key in ("osu", "cap", "access")}


def compute_desert_mask(result: MetricsResult, rule: str = "osu", band: str = "under_5") -> np.ndarray:
    """Which tracts are deserts by ``rule`` (see :data:`DESERT_RULES`) for ``band``."""
    band = S.get_band(band).key
    if rule not in DESERT_RULES:
        raise ParameterError(f"unknown desert rule {rule!r}: expected one of {', '.join(DESERT_RULES)}")
    if band not in result.bands:
        raise MissingColumnError(S.BANDS[band].children, f"the equity table on the {S.BANDS[band].short} band")
    return desert_mask(result.tracts, rule, band)


def _group_counts(t: pd.DataFrame, urban: np.ndarray) -> list[tuple[str, str, np.ndarray, np.ndarray | None]]:
    """(dimension, group, counts, moes) of every group the tracts allow."""
    out = []
    kids = t[S.CHILDREN_UNDER_5].to_numpy(float) if S.CHILDREN_UNDER_5 in t.columns else None

    def moe_of(col: str) -> np.ndarray | None:
        return t[S.moe_column(col)].to_numpy(float) if S.moe_column(col) in t.columns else None

    if kids is not None:
        out.append(("All", "All children under 5", kids, moe_of(S.CHILDREN_UNDER_5)))
    for col, label in S.UNDER5_GROUPS.items():
        if col in t.columns:
            out.append(("Race and ethnicity (under 5)", label, t[col].to_numpy(float), moe_of(col)))
    if {S.CHILDREN_UNDER_6, S.UNDER6_BELOW_100PCT, S.UNDER6_BELOW_200PCT} <= set(t.columns):
        u6 = t[S.CHILDREN_UNDER_6].to_numpy(float)
        b100 = t[S.UNDER6_BELOW_100PCT].to_numpy(float)
        b200 = t[S.UNDER6_BELOW_200PCT].to_numpy(float)
        m = [moe_of(c) for c in (S.CHILDREN_UNDER_6, S.UNDER6_BELOW_100PCT, S.UNDER6_BELOW_200PCT)]
        rss = (lambda a, b: np.sqrt(a**2 + b**2)) if all(x is not None for x in m) else (lambda a, b: None)
        dim = "Family income (under 6)"
        out.append((dim, "Below 100% of poverty", b100, m[1]))
        out.append((dim, "100-199% of poverty", b200 - b100, rss(m[2], m[1])))
        out.append((dim, "200% of poverty or more", u6 - b200, rss(m[0], m[2])))
    if kids is not None:
        labels = [lab for _lo, _hi, lab in RUCA_CLASSES] + list(DENSITY_CLASSES) + [NOT_CLASSIFIED]
        for label in labels:
            mask = urban == label
            if mask.any():
                under5_moe = moe_of(S.CHILDREN_UNDER_5)
                out.append(
                    (
                        "Rural or urban (under 5)",
                        label,
                        np.where(mask, kids, 0.0),
                        None if under5_moe is None else np.where(mask, under5_moe, 0.0),
                    )
                )
    return out


def compute_equity(
    result: MetricsResult,
    assignment: RegionAssignment | None = None,
    regions: Iterable[str] | None = None,
    rule: str = "osu",
    band: str = "under_5",
    include_total: bool = True,
) -> tuple[pd.DataFrame, str]:
    """The share of each group's children living in deserts, per region; and the rural/urban method.

    Returns a long table with one row per region and group: ``region``, ``dimension``, ``group``,
    ``children`` (summed), ``children_moe`` (root-sum-square), ``children_in_deserts``,
    ``share_in_deserts`` and ``gap_points`` (the group's share minus the share of all children under 5
    in the region, in percentage points). Without an ``assignment`` there is only the all-tracts row.
    """
    mask = compute_desert_mask(result, rule, band)
    t = result.tracts
    urban, method = classify_urbanicity(t)
    if assignment is None:
        names: list[str] = []
        region_of = np.full(len(t), None, dtype=object)
    else:
        names = list(assignment.present if regions is None else regions)
        region_of = assignment.region
    groups = _group_counts(t, urban)
    if not groups:
        raise MissingColumnError(S.CHILDREN_UNDER_5, "the equity table", list(t.columns))
    selections = [(n, region_of == n) for n in names]
    if include_total or not selections:
        selections.append((ALL_TRACTS, np.ones(len(t), dtype=bool)))
    rows = []
    for name, sel in selections:
        overall = None
        for dim, group, counts, moes in groups:
            c = counts[sel]
            has = np.isfinite(c)
            total = float(c[has].sum())
            inside = float(c[has & mask[sel]].sum())
            share = inside / total if total > 0 else np.nan
            if dim == "All":
                overall = share
            rows.append(
                {
                    "region": name,
                    "dimension": dim,
                    "group": group,
                    "children": total,
                    "children_moe": combine_moe(moes[sel][has], c[has]) if moes is not None else np.nan,
                    "children_in_deserts": inside,
                    "share_in_deserts": share,
                    "gap_points": 100 * (share - overall)
                    if overall is not None and np.isfinite(share) and np.isfinite(overall)
                    else np.nan,
                }
            )
    return pd.DataFrame(rows), method


def compute_equity_rows(equity: pd.DataFrame, region: str) -> pd.DataFrame:
    """One region's part of the equity table (:func:`compute_equity`) as a planner reads it: labelled
    columns, counts rounded, the share in percent (1 decimal)."""
    part = equity[equity["region"] == region].drop(columns="region")
    return part.assign(
        children=part["children"].round(0),
        children_moe=part["children_moe"].round(0),
        children_in_deserts=part["children_in_deserts"].round(0),
        share_in_deserts=(100 * part["share_in_deserts"]).round(1),
        gap_points=part["gap_points"].round(1),
    ).rename(
        columns={
            "dimension": "Dimension",
            "group": "Group",
            "children": "Children",
            "children_moe": "± MOE (90%)",
            "children_in_deserts": "Children in deserts",
            "share_in_deserts": "In deserts (%)",
            "gap_points": "Gap vs all children (points)",
        }
    )
