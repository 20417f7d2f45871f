"""Regions side by side: the one call behind the Compare page and ``gapmap compare``.

:func:`compare_regions` rolls the tract metrics up to regions (:func:`gapmap.regions.compute_rollup`),
counts each region's priority tracts (the top share of one ranking of all tracts, so every region is
measured against the same cut-off), and computes who lives in the deserts
(:func:`gapmap.equity.compute_equity`). :func:`compute_compare_rows` turns a roll-up into the table
people read: one column per region, one row per measure, with units.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gapmap import schema as S
from gapmap.equity import DESERT_RULES, compute_equity
from gapmap.errors import ParameterError
from gapmap.metrics import MetricsResult
from gapmap.ranking import PRESETS, RankWeights, rank_tracts
from gapmap.regions import ALL_TRACTS, RegionAssignment, RegionSet, assign_regions, compute_rollup, county_region_set

__all__ = ["Comparison", "compare_regions", "compute_compare_rows", "choose_region_set", "compare_about", "BY_CHOICES"]

#: What ``--by`` accepts besides a region file: the data's counties, or its hubs (a bundled hub set).
BY_CHOICES = ("county", "hub")


@dataclass(frozen=True)
class Comparison:
    """A comparison: ``rollup`` (one row per region, then all tracts), ``equity`` (long table),
    ``urbanicity_method``, the ``priority_top`` cut-off and plain-language ``notes``."""

    region_set: RegionSet
    assignment: RegionAssignment
    regions: tuple[str, ...]
    rollup: pd.DataFrame
    equity: pd.DataFrame
    urbanicity_method: str
    rule: str
    weights: RankWeights
    priority_top: int
    notes: tuple[str, ...] = field(default_factory=tuple)


def choose_region_set(by: str, tracts: pd.DataFrame, region_sets: Sequence[RegionSet]) -> RegionSet:
    """The region set ``by`` names for these tracts: ``county``; ``hub`` (the bundled hub set that covers
    them); or the key or label of one of ``region_sets``."""
    from gapmap.regions import region_sets_for

    if by == "county":
        return county_region_set(tracts)
    fitting = region_sets_for(tracts, region_sets)
    if by == "hub":
        hubs = [rs for rs in fitting if rs.kind == "hub"]
        if not hubs:
            have = ", ".join(f"{rs.key} ({rs.label})" for rs in region_sets) or "none"
            raise ParameterError(
                f"no hub definition covers these tracts (state {tracts[S.GEOID].iloc[0][:2]}); region files available: {have}"
            )
        return hubs[0]
    for rs in region_sets:
        if by in (rs.key, rs.label):
            return rs
    raise ParameterError(f"--by {by!r}: expected county, hub, a region file, or one of {', '.join(rs.key for rs in region_sets)}")


def compare_regions(
    result: MetricsResult,
    region_set: RegionSet,
    regions: Iterable[str] | None = None,
    weights: RankWeights = PRESETS["balanced"],
    priority_share: float = 0.10,
    rule: str = "osu",
    assignment: RegionAssignment | None = None,
    band: str | None = None,
) -> Comparison:
    """Roll the metrics up to the regions of ``region_set`` (``regions``: a subset, in that order; default
    every region with tracts). A priority tract is one in the top ``priority_share`` of all tracts
    ranked with ``weights``; ``rule`` picks the deserts of the equity table (see
    :data:`gapmap.equity.DESERT_RULES`). ``band``, when given and computed, is the band the priority
    ranking reads instead of the weights' own."""
    if not 0 < priority_share <= 1:
        raise ParameterError(f"priority share {priority_share!r}: expected a share above 0 and at most 1")
    if rule not in DESERT_RULES:
        raise ParameterError(f"unknown desert rule {rule!r}: expected one of {', '.join(DESERT_RULES)}")
    assignment = assignment or assign_regions(result.tracts, region_set)
    if band is not None and band in result.bands and band != weights.band:
        weights = dataclasses.replace(weights, band=band)
    names = tuple(assignment.present if regions is None else regions)
    ranked = rank_tracts(result, weights)
    top = max(1, math.ceil(priority_share * len(ranked)))
    priority = ranked.head(top)[S.GEOID]
    rollup = compute_rollup(result, assignment, names, priority)
    equity, method = compute_equity(result, assignment, names, rule=rule)
    return Comparison(region_set, assignment, names, rollup, equity, method, rule, weights, top, assignment.notes)


_ROWS: tuple[tuple[str, str, str], ...] = (
    # (column template, label, format)
    ("tracts", "Tracts", "int"),
    ("children_{b}", "Children {short}", "int"),
    ("children_{b}_moe", "  ± margin of error (90%)", "int"),
    ("slots_{b}", "Slots {short} (x utilization)", "num"),
    ("licensed_slots_{b}", "Licensed slots {short}", "int"),
    ("slots_per_100_{b}", "Slots per 100 children {short}", "num"),
    ("children_per_slot_{b}", "Children per slot {short}", "num"),
    ("osu_class_{b}", "OSU class of the region {short}", "text"),
    ("share_in_cap_deserts_{b}", "Children {short} in CAP deserts (%)", "pct"),
    ("share_in_osu_deserts_{b}", "Children {short} in OSU deserts (%)", "pct"),
    ("share_in_osu_extreme_{b}", "Children {short} in OSU extreme deserts (%)", "pct"),
    ("share_in_access_deserts_{b}", "Children {short} in access deserts (%)", "pct"),
    ("access_per_100_{b}", "Reachable slots per 100 children {short} (E2SFCA)", "num"),
)


def _cell(v, fmt: str, as_text: bool):
    if fmt == "text":
        return v
    if v is None or not np.isfinite(v):
        return "–" if as_text else None
    if fmt == "int":
        return f"{round(float(v)):,}" if as_text else round(float(v))
    value = 100 * float(v) if fmt == "pct" else float(v)
    return f"{value:,.1f}" if as_text else round(value, 1)


def compute_compare_rows(rollup: pd.DataFrame, bands: Sequence[str], as_text: bool = False) -> pd.DataFrame:
    """The roll-up as people read it: one row per measure (labelled, with units; shares in percent),
    one column per region. ``as_text`` formats every cell for display (thousands separators, one
    decimal, "–" for not applicable) so a column can hold numbers and the region's OSU class."""
    records = []

    def add(col: str, label: str, fmt: str) -> None:
        if col not in rollup.columns:
            return
        records.append([label, *(_cell(v, fmt, as_text) for v in rollup[col].tolist())])

    add("tracts", "Tracts", "int")
    for b in bands:
        band = S.BANDS[b]
        short = f"aged {band.short}" if b != "under_5" else "under 5"
        for template, label, fmt in _ROWS[1:]:
            add(template.format(b=b), label.format(short=short), fmt)
    add("priority_tracts", "Priority tracts", "int")
    add("public_slot_share", "Publicly funded slots, ages 0-5 (%)", "pct")
    add("mixed_slot_share", "Slots with mixed funding (%)", "pct")
    add("poverty_share_100", "Children under 6 below 100% of poverty (%)", "pct")
    add("poverty_share_200", "Children under 6 below 200% of poverty (%)", "pct")
    add("working_parents_share", "Children under 6 with all parents working (%)", "pct")
    add("providers", "Providers", "int")
    out = pd.DataFrame(records, columns=["Measure", *rollup["region"].tolist()])
    return out


def compare_about(comparison: Comparison, data_label: str, params) -> dict[str, object]:
    """Where a comparison came from (the CSV header / the About sheet)."""
    rs = comparison.region_set
    about: dict[str, object] = {
        "what": "gapmap region comparison: tract metrics rolled up to regions",
        "data": data_label,
        "regions": f"{rs.label} ({rs.kind}); {rs.source}",
        "regions compared": "; ".join(comparison.regions),
        "roll-up rules": "counts summed; ratios from the sums; margins of error root-sum-square; shares carry the ACS proportion margin; access weighted by children",
        "priority tracts": f"the top {comparison.priority_top} tracts of all {ALL_TRACTS.lower()} ranked with weights {comparison.weights.to_dict()}",
        "deserts in the equity table": DESERT_RULES[comparison.rule],
        "rural or urban": comparison.urbanicity_method,
        "parameters": ", ".join(f"{k}={v}" for k, v in params.to_dict().items()),
    }
    if rs.notes:
        about["region notes"] = rs.notes
    for i, note in enumerate(comparison.notes, start=1):
        about[f"note {i}"] = note
    return about
