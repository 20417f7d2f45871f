"""The one roll-up of tract figures to an area: every region row, the headline summary and the
before/after of a scenario are :func:`rollup_tracts` of some tracts.

Each measure rolls up by the rule it declares in the registry (:mod:`gapmap.measures`): sums with
root-sum-square margins, ratios from the sums, children-weighted access, shares of children in desert
tracts (:data:`gapmap.metrics.deserts.DESERT_RULES`), the OSU rule on the sums, and the providers' own
figures. A measure whose columns the tracts lack is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from gapmap import measures as M
from gapmap import schema as S
from gapmap.config import AnalysisParams
from gapmap.metrics.deserts import classify_osu, desert_mask
from gapmap.metrics.result import MetricsResult
from gapmap.sources.acs import combine_moe, proportion_moe

__all__ = ["rollup_tracts", "compute_summary", "compute_headline_rows"]


def _ratio(num: float, den: float, scale: float) -> float:
    return float(scale * num / den) if den > 0 else float("nan")


def _band_rollup(t: pd.DataFrame, b: str, params: AnalysisParams, row: dict[str, object]) -> None:
    band = S.BANDS[b]
    if band.children not in t.columns:
        return
    kids = t[band.children].to_numpy(float)
    has = np.isfinite(kids)
    k = np.where(has, kids, 0.0)
    total = float(k.sum())
    for m in M.per_band():
        col = m.column(b)
        if m.rollup == "sum":
            if col not in t.columns:
                continue
            row[col] = total if m.key == "children" else float(np.nansum(t[col].to_numpy(float)))
            if m.moe:
                moe = S.moe_column(col)
                row[moe] = combine_moe(t[moe].to_numpy(float)[has], kids[has]) if moe in t.columns else np.nan
        elif m.rollup == "ratio":
            a, d = (row.get(M.column(op, b)) for op in m.of)
            if a is not None and d is not None:
                row[col] = _ratio(float(a), float(d), m.scale)  # type: ignore[arg-type]
        elif m.rollup == "weighted_mean":
            if col not in t.columns:
                continue
            values = t[col].to_numpy(float)
            ok = has & np.isfinite(values) & (kids > 0)
            weight = kids[ok].sum()
            row[col] = float((values[ok] * kids[ok]).sum() / weight) if weight > 0 else np.nan
        elif m.rollup == "rule_on_sums":
            slots = row.get(M.column("slots", b))
            if isinstance(slots, float):
                row[col] = str(classify_osu([total], [slots], params.desert_children_per_slot, params.extreme_children_per_slot)[0])
        elif m.rollup in ("desert_share", "desert_children", "desert_tracts"):
            try:
                mask = desert_mask(t, m.of[0], b)
            except KeyError:
                continue
            if m.rollup == "desert_tracts":
                row[col] = int(mask.sum())
            elif m.rollup == "desert_children":
                row[col] = float(k[mask].sum())
            else:
                row[col] = _ratio(float(k[mask].sum()), total, 1.0)


def _family_rollup(t: pd.DataFrame, row: dict[str, object]) -> None:
    den_col = S.CHILDREN_UNDER_6
    if den_col not in t.columns:
        return
    den = float(t[den_col].sum())
    den_moe = combine_moe(t[S.moe_column(den_col)], t[den_col]) if S.moe_column(den_col) in t.columns else np.nan
    row[den_col] = den
    row[S.moe_column(den_col)] = den_moe
    for m in M.MEASURES.values():
        if m.per_band or m.rollup != "ratio" or m.of[1] != den_col or m.of[0] not in t.columns:
            continue
        col = m.of[0]
        num = float(t[col].sum())
        num_moe = combine_moe(t[S.moe_column(col)], t[col]) if S.moe_column(col) in t.columns else np.nan
        row[col] = num
        row[S.moe_column(col)] = num_moe
        row[m.key] = _ratio(num, den, m.scale)
        row[S.moe_column(m.key)] = proportion_moe(num, num_moe, den, den_moe)


def _provider_rollup(providers: pd.DataFrame, row: dict[str, object]) -> None:
    slots = S.BANDS["under_5"].provider_slots(providers) if len(providers) else np.zeros(0)
    funding = providers[S.FUNDING].astype(object).to_numpy() if len(providers) else np.zeros(0, dtype=object)
    total = float(slots.sum())
    for m in M.MEASURES.values():
        if m.rollup != "providers":
            continue
        row[m.key] = total if not m.of else _ratio(float(slots[funding == m.of[0]].sum()), total, 1.0)


def rollup_tracts(
    tracts: pd.DataFrame,
    bands: Sequence[str],
    params: AnalysisParams,
    providers: pd.DataFrame | None = None,
    priority_geoids: Iterable[str] | None = None,
) -> dict[str, object]:
    """Every region measure of the registry for these tracts taken together: column -> value.

    ``providers``: those located in the tracts (for the provider measures); ``priority_geoids``: the
    priority tracts of a ranking (for ``priority_tracts``). Shares of children are of children with
    an estimate.
    """
    row: dict[str, object] = {"tracts": int(len(tracts))}
    if "providers" in tracts.columns:
        row["providers"] = int(tracts["providers"].sum())
    for b in bands:
        _band_rollup(tracts, b, params, row)
    _family_rollup(tracts, row)
    if providers is not None:
        _provider_rollup(providers, row)
    if priority_geoids is not None:
        row["priority_tracts"] = int(tracts[S.GEOID].isin(set(priority_geoids)).sum())
    return row


def compute_summary(result: MetricsResult) -> pd.DataFrame:
    """Headline figures of the whole data, one row per band: the one-region roll-up (:func:`rollup_tracts`)
    of every tract, with ``band``, ``label`` and each per-band region measure under its key (``children``,
    ``licensed_slots``, ``slots``, ``slots_per_100``, ``share_in_cap_deserts``, ``osu_desert_tracts`` ...)
    and ``tracts``. Slots are those inside the tracts."""
    row = rollup_tracts(result.tracts, result.bands, result.params)
    rows = []
    for b in result.bands:
        rec: dict[str, object] = {"band": b, "label": S.BANDS[b].label}
        for m in M.per_band("region"):
            col = m.column(b)
            if col in row:
                rec[m.key] = row[col]
        rec["tracts"] = row["tracts"]
        rows.append(rec)
    return pd.DataFrame(rows)


#: The headline table's rows: (registry key, how many decimals); shares are shown in percent.
_HEADLINE_COLUMNS: tuple[tuple[str, int], ...] = (
    ("children", 0),
    ("slots", 1),
    ("slots_per_100", 1),
    ("share_in_cap_deserts", 1),
    ("cap_desert_tracts", 0),
    ("share_in_osu_deserts", 1),
    ("share_in_osu_extreme", 1),
    ("share_in_access_deserts", 1),
    ("tracts", 0),
)


def compute_headline_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as a table for people: labelled columns (from the registry), shares in percent."""
    out = {"Age band": summary["label"]}
    for key, digits in _HEADLINE_COLUMNS:
        m = M.measure(key)
        label = m.label.replace("{band} ", "").replace(" {band}", "")
        values = summary[key]
        if m.in_percent:
            out[f"{label} (%)"] = (100 * values).round(digits)
        else:
            out[label] = values.round(digits) if digits else values
    return pd.DataFrame(out)
