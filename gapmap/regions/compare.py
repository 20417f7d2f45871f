"""Regions side by side: the one call behind the Compare page and ``gapmap compare``.

:func:`compare_regions` rolls the tract metrics up to regions (:func:`gapmap.regions.compute_rollup`),
counts each region's priority tracts (the top share of one ranking of all tracts, so every region is
measured against the same cut-off), and computes who lives in the deserts
(:func:`gapmap.regions.equity.compute_equity`). :func:`compute_compare_rows` turns a roll-up into the table
people read: one column per region, one row per measure, with units.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gapmap import measures as M
from gapmap import schema as S
from gapmap.analysis.ranking import PRESETS, RankWeights, rank_tracts
from gapmap.config import AnalysisParams
from gapmap.errors import ParameterError
from gapmap.metrics import MetricsResult
from gapmap.regions import ALL_TRACTS, RegionAssignment, RegionSet, assign_regions, compute_rollup, county_region_set
from gapmap.regions.equity import DESERT_RULES, compute_equity

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
    #: Expected children in deserts per region, band and rule with the 90% range of the draws (when the
    #: result has the desert chance; :func:`compute_chance_rollup`), else None.
    chance: pd.DataFrame | None = None


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
    :data:`gapmap.regions.equity.DESERT_RULES`). ``band``, when given and computed, is the band the priority
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
    chance = compute_chance_rollup(result, assignment, names)
    return Comparison(region_set, assignment, names, rollup, equity, method, rule, weights, top, assignment.notes, chance)


def compute_chance_rollup(result: MetricsResult, assignment: RegionAssignment, names: Sequence[str]) -> pd.DataFrame | None:
    """Per region (and all tracts), band and rule: the children expected to live in deserts, and the
    range that holds 90% of the draws (:meth:`gapmap.metrics.probability.DesertProbability.children_in_deserts`);
    None when the result has no desert chance."""
    prob = result.desert_probability()
    if prob is None:
        return None
    region = assignment.region
    members = np.column_stack([region == n for n in names] + [np.ones(len(region), dtype=bool)])
    return prob.children_in_deserts(members, [*names, ALL_TRACTS])


#: The rules of the "how sure" roll-up table, in words.
CHANCE_RULES: dict[str, str] = {
    "access": "Access deserts",
    "cap": "CAP deserts",
    "osu": "OSU deserts (desert or extreme)",
    "osu_extreme": "OSU extreme deserts",
}


def compute_chance_rows(chance: pd.DataFrame, band: str) -> pd.DataFrame:
    """The "how sure" roll-up as people read it, for one band: region, rule, children expected in its
    deserts and the 90% range of the draws, whole numbers."""
    b = S.get_band(band).key
    t = chance[chance["band"] == b]
    return pd.DataFrame(
        {
            "Region": t["region"].to_numpy(),
            "Deserts by": [CHANCE_RULES[r] for r in t["rule"]],
            f"Children {S.BANDS[b].short} expected to live in them": np.round(t["expected"].to_numpy(), 0),
            "90% of the draws: from": np.round(t["low"].to_numpy(), 0),
            "to": np.round(t["high"].to_numpy(), 0),
        }
    )


#: The rows of the comparison table (registry measures marked ``compare``): per band, then the region's own.
BAND_ROWS: tuple[str, ...] = tuple(m.key for m in M.MEASURES.values() if m.compare and m.per_band)
REGION_ROWS: tuple[str, ...] = tuple(m.key for m in M.MEASURES.values() if m.compare and not m.per_band)


def _fmt(m: M.Measure) -> str:
    if m.kind == "class":
        return "text"
    if m.in_percent:
        return "pct"
    return "int" if m.kind == "count" else "num"


def _cell(v: object, fmt: str, as_text: bool) -> object:
    if fmt == "text":
        return v
    if not isinstance(v, (int, float, np.number)) or not np.isfinite(v):
        return "–" if as_text else None
    if fmt == "int":
        return f"{round(float(v)):,}" if as_text else round(float(v))
    value = 100 * float(v) if fmt == "pct" else float(v)
    digits = 0 if fmt == "num" and abs(value) >= 100 else 1  # 1,118 slots; 23.6 per 100
    return f"{value:,.{digits}f}" if as_text else round(value, digits)


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
        for key in BAND_ROWS:
            m = M.measure(key)
            label = m.label_for(b) + (" (%)" if m.in_percent else "")
            add(m.column(b), label, _fmt(m))
            if m.moe:
                add(m.moe_column(b), "  ± margin of error (90%)", "int")
    for key in REGION_ROWS:
        m = M.measure(key)
        add(m.column(), m.label + (" (%)" if m.in_percent else ""), _fmt(m))
    out = pd.DataFrame(records, columns=["Measure", *rollup["region"].tolist()])
    return out


def compare_about(comparison: Comparison, data_label: str, params: AnalysisParams, travel: str | None = None) -> dict[str, object]:
    """Where a comparison came from (the CSV header / the About sheet)."""
    from gapmap.analysis.ranking import describe_weights
    from gapmap.glossary import describe_params

    rs = comparison.region_set
    ranking = describe_weights(comparison.weights)
    about: dict[str, object] = {
        "What this is": "A side-by-side comparison of regions: each region's figures are made from the tracts in it.",
        "Data": f"{data_label}.",
        "Regions": f"{rs.label} ({rs.kind}): {rs.source}.",
        "Regions compared": "; ".join(comparison.regions) + ".",
        "How regions are summed": (
            "Counts are added up; ratios are made again from those sums, never averaged; margins of error combine as the "
            "square root of the sum of their squares; shares carry the ACS margin of a proportion; access is averaged over children."
        ),
        "Priority tracts": f"Each region's count of the top {comparison.priority_top:,} tracts of {ALL_TRACTS.lower()}. "
        + ranking["Ranking"],
        "Who lives in the deserts": f"Children counted as living in deserts by this rule: {DESERT_RULES[comparison.rule]}.",
        "Rural or urban": f"{comparison.urbanicity_method}.",
        **describe_params(params, travel),
    }
    if rs.notes:
        about["Notes on the regions"] = rs.notes
    for i, note in enumerate(comparison.notes, start=1):
        about[f"Note {i}"] = note
    return about
