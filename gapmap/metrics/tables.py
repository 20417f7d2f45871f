"""Tables of tract figures for people and files: one tract's details, the tract table, nearest providers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gapmap import measures as M
from gapmap import schema as S
from gapmap.errors import MissingColumnError, ParameterError
from gapmap.metrics.access import find_nearest
from gapmap.metrics.result import MetricsResult, compute_tract_points

__all__ = ["find_nearest_providers", "compute_tract_details", "compute_metrics_table", "HEADLINE_MEASURES"]


def find_nearest_providers(result: MetricsResult, geoid: str, k: int = 5) -> pd.DataFrame:
    """The ``k`` providers nearest to a tract's point, with their great-circle distance in km."""
    t = result.tracts
    pos = np.flatnonzero(t[S.GEOID].to_numpy(object) == geoid)
    if len(pos) == 0:
        raise ParameterError(f"tract {geoid!r} is not in this region")
    point = compute_tract_points(t.iloc[pos[:1]])[0]
    prov = result.providers
    idx, dist = find_nearest((point[0], point[1]), prov[[S.LONGITUDE, S.LATITUDE]].to_numpy(float), k)
    near = prov.iloc[idx][[S.PROVIDER_ID, S.PROVIDER_NAME, S.PROVIDER_TYPE, S.CAPACITY, S.SLOTS_0_2, S.SLOTS_3_5, S.FUNDING]].copy()
    near.insert(0, "distance_km", np.round(dist, 2))
    near[S.PROVIDER_TYPE] = near[S.PROVIDER_TYPE].map(S.PROVIDER_TYPES)
    return near.reset_index(drop=True)


def compute_tract_details(result: MetricsResult, geoid: str) -> pd.DataFrame:
    """One tract's figures, one row per band: the numbers behind its colour on the map. Columns: the
    band, its children and their margin of error, then every per-band tract measure of the registry
    under its short label."""
    t = result.tracts
    match = t[t[S.GEOID] == geoid]
    if match.empty:
        raise ParameterError(f"tract {geoid!r} is not in this region")
    rec = match.iloc[0]
    rows = []
    for b in result.bands:
        band = S.BANDS[b]
        moe = S.moe_column(band.children)
        row: dict[str, object] = {
            "Age band": band.label,
            "Children": rec[band.children],
            "± MOE (90%)": rec[moe] if moe in t.columns else np.nan,
            "Estimate reliability": rec.get(M.column("reliability", b), "no margin of error given"),
        }
        for m in M.per_band("tract"):
            if m.key in ("children", "children_cv", "reliability"):
                continue
            if m.column(b) in t.columns:
                row[m.short_label] = rec[m.column(b)]
        rows.append(row)
    return pd.DataFrame(rows).round(2)


#: Per-band measures repeated without a band suffix (for the chosen band) in :func:`compute_metrics_table`.
HEADLINE_MEASURES: tuple[str, ...] = tuple(m.key for m in M.per_band("tract") if m.headline)


def compute_metrics_table(result: MetricsResult, band: str = "under_5") -> pd.DataFrame:
    """One row per tract, no geometry: identifiers, counts, slots by band, then the headline measures
    of ``band`` without suffix (:data:`HEADLINE_MEASURES`: ``children_per_slot``, ``slots_per_100``,
    ``cap_desert``, ``osu_class``, ``access_per_100``, ``access_class``), then every band's tract
    measures with suffix, the tract's other measures and the margins of error."""
    band = S.get_band(band).key
    if band not in result.bands:
        raise MissingColumnError(S.BANDS[band].children, f"the {S.BANDS[band].short} band", list(result.tracts.columns))
    t = result.tracts
    cols: list[str] = [c for c in (S.GEOID, S.NAME, S.COUNTY) if c in t.columns]
    cols += [c for c in S.TRACT_COUNT_COLUMNS if c in t.columns]
    cols += [M.column("slots", b) for b in result.bands]
    rest: dict[str, np.ndarray] = {}  # gathered, then joined once (a column inserted at a time took 0.35 s at 7,000 tracts)
    for key in HEADLINE_MEASURES:
        rest[key] = t[M.column(key, band)].to_numpy()
    taken = set(cols) | set(rest)
    for b in result.bands:
        for m in M.per_band("tract"):
            col = m.column(b)
            if col in t.columns and col not in taken:
                rest[col] = t[col].to_numpy()
                taken.add(col)
    extra = [m.column() for m in M.tract_measures() if not m.per_band]
    extra += [S.moe_column(c) for c in S.TRACT_COUNT_COLUMNS if S.moe_column(c) in t.columns]
    for col in extra:
        if col in t.columns:
            rest[col] = t[col].to_numpy()
    head = pd.DataFrame(t[cols]).reset_index(drop=True)
    return pd.concat([head, pd.DataFrame(rest)], axis=1)
