"""Metrics per tract and band: supply inside the tract, desert rules, and E2SFCA access.

:func:`compute_tract_metrics` is the one call the app, CLI and notebooks make; the modules behind it
(:mod:`.supply`, :mod:`.deserts`, :mod:`.access`) are the methods, each testable alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gapmap import schema as S
from gapmap.config import DEFAULT_PARAMS, AnalysisParams
from gapmap.errors import MissingColumnError, ParameterError
from gapmap.metrics.access import AccessPairs, find_nearest, find_pairs
from gapmap.metrics.deserts import (
    DESERT,
    DESERT_CLASSES,
    EXTREME_DESERT,
    classify_access,
    classify_cap,
    classify_osu,
    compute_ratios,
)
from gapmap.metrics.fused import compute_e2sfca_fused
from gapmap.metrics.reliability import classify_reliability, compute_cv
from gapmap.metrics.supply import compute_slots_in_tracts, locate_providers
from gapmap.metrics.urbanicity import compute_catchments

__all__ = [
    "MetricsResult",
    "compute_tract_metrics",
    "compute_tract_points",
    "compute_summary",
    "find_nearest_providers",
    "compute_headline_rows",
    "compute_tract_details",
    "compute_metrics_table",
    "HEADLINE_MEASURES",
    "available_bands",
    "metric_column",
    "DESERT_CLASSES",
]


def metric_column(measure: str, band: str) -> str:
    """Column of a per-band measure: ``metric_column("access_per_100", "0_2") == "access_per_100_0_2"``."""
    return f"{measure}_{band}"


def available_bands(tracts: pd.DataFrame) -> list[str]:
    """Bands whose children column the tract table has."""
    return [key for key, band in S.BANDS.items() if band.children in tracts.columns]


def compute_tract_points(tracts: gpd.GeoDataFrame) -> np.ndarray:
    """One (longitude, latitude) point per tract where its children are taken to live.

    The Census "internal point" rule: ``intptlon``/``intptlat`` columns when the table has them,
    else the centroid when it lies inside the polygon, else a point guaranteed to be inside.
    """
    cols = {c.lower(): c for c in tracts.columns}
    if "intptlon" in cols and "intptlat" in cols:
        lon = pd.to_numeric(tracts[cols["intptlon"]], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(tracts[cols["intptlat"]], errors="coerce").to_numpy(float)
        if np.isfinite(lon).all() and np.isfinite(lat).all():
            return np.column_stack([lon, lat])
    geom = tracts.geometry.values
    centroid = shapely.centroid(geom)
    inside = shapely.contains_properly(geom, centroid)
    points = np.where(inside, centroid, shapely.point_on_surface(geom))
    return np.column_stack([shapely.get_x(points), shapely.get_y(points)])


@dataclass(frozen=True)
class MetricsResult:
    """Everything a metrics run produced, and how.

    ``tracts``: the input tracts with the metric columns added (see :func:`compute_tract_metrics`).
    ``providers``: the input providers with ``geoid`` (the tract containing each, or None) and
    ``ratio_<band>`` (E2SFCA step-1 slots per weighted child). ``catchment_km``: each tract's catchment;
    ``catchment_method`` says how it was chosen. ``n_pairs``: tract-provider pairs within the
    catchments (never stored: :meth:`find_pairs` builds them on request). ``notes``: plain-language caveats.
    """

    tracts: gpd.GeoDataFrame
    providers: pd.DataFrame
    params: AnalysisParams
    bands: tuple[str, ...]
    catchment_km: np.ndarray
    n_pairs: int
    catchment_method: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def select_tracts(self, mask, margin_deg: float = 0.3) -> MetricsResult:
        """The same result for some tracts only (``mask``: one bool per tract), with the providers within
        ``margin_deg`` degrees of their bounding box (for drawing a part of a large region). The
        metrics are not recomputed: each tract keeps the figures of the whole run."""
        import dataclasses

        mask = np.asarray(mask, dtype=bool)
        tracts = self.tracts[mask].reset_index(drop=True)
        minx, miny, maxx, maxy = tracts.total_bounds if len(tracts) else (0.0, 0.0, -1.0, -1.0)
        lon, lat = self.providers[S.LONGITUDE].to_numpy(float), self.providers[S.LATITUDE].to_numpy(float)
        near = (lon >= minx - margin_deg) & (lon <= maxx + margin_deg) & (lat >= miny - margin_deg) & (lat <= maxy + margin_deg)
        return dataclasses.replace(
            self, tracts=tracts, providers=self.providers[near].reset_index(drop=True), catchment_km=self.catchment_km[mask]
        )

    def find_pairs(self) -> AccessPairs:
        """The tract-provider pairs within each tract's catchment (a KD-tree search; memory grows with
        the number of pairs, so meant for small regions, notebooks and checks)."""
        prov = self.providers[[S.LONGITUDE, S.LATITUDE]].to_numpy(float)
        return find_pairs(compute_tract_points(self.tracts), prov, self.catchment_km)


def compute_tract_metrics(
    tracts: gpd.GeoDataFrame,
    providers: pd.DataFrame,
    params: AnalysisParams = DEFAULT_PARAMS,
    bands: list[str] | tuple[str, ...] | None = None,
) -> MetricsResult:
    """Supply, ratios, desert classes and access for every tract and band.

    ``tracts`` and ``providers`` must already be validated (:func:`gapmap.schema.validate_tracts`,
    :func:`gapmap.schema.validate_providers`); neither is modified. ``bands=None`` computes every band
    whose children column is present; naming a band whose column is missing raises
    :class:`MissingColumnError`.

    Columns added per band ``b`` (``0_2``, ``3_5``, ``under_5``):
    ``licensed_slots_b`` and ``slots_b`` (slots inside the tract, licensed and x utilization),
    ``children_per_slot_b``, ``slots_per_100_b``, ``cap_desert_b`` (CAP rule), ``osu_class_b``
    (OSU classes), ``access_per_100_b`` (E2SFCA slots per 100 children, across tract lines) and
    ``access_class_b`` (OSU thresholds on access), and where the children count has a margin of error,
    ``children_cv_b`` and ``reliability_b`` (see :mod:`.reliability`). Plus ``providers`` (count inside the tract) and,
    when the counts are present, ``poverty_share_100`` / ``poverty_share_200`` (share of children under 6
    below 100% / 200% of poverty) and ``working_parents_share`` (share with all parents working).
    """
    if bands is None:
        bands = available_bands(tracts)
        if not bands:
            raise MissingColumnError(S.CHILDREN_UNDER_5, "the metrics", list(tracts.columns))
    bands = tuple(S.get_band(b).key for b in bands)
    for b in bands:
        band = S.BANDS[b]
        if band.children not in tracts.columns:
            raise MissingColumnError(band.children, f"the {band.short} band", list(tracts.columns))

    out = tracts.copy()
    n_t = len(out)
    location = locate_providers(tracts, providers)
    supply = compute_slots_in_tracts(n_t, providers, location, params.utilization)
    out["providers"] = supply["providers"].to_numpy()

    tract_pts = compute_tract_points(tracts)
    prov_pts = providers[[S.LONGITUDE, S.LATITUDE]].to_numpy(float)
    catchment, catchment_method = compute_catchments(tracts, params)
    children = np.column_stack([tracts[S.BANDS[b].children].to_numpy(float) for b in bands])
    prov_slots = np.column_stack([S.BANDS[b].provider_slots(providers) * params.utilization for b in bands])
    access, ratio, reach = compute_e2sfca_fused(tract_pts, prov_pts, children, prov_slots, catchment, params.decay, per_provider=True)

    prov_out = providers.copy()
    geoids = tracts[S.GEOID].to_numpy(object)
    prov_out[S.GEOID] = np.where(location.tract_pos >= 0, geoids[np.maximum(location.tract_pos, 0)], None)

    for k, b in enumerate(bands):
        band = S.BANDS[b]
        kids = children[:, k]
        slots = supply[band.slots].to_numpy()
        cps, per100 = compute_ratios(kids, slots)
        out[f"licensed_{band.slots}"] = supply[f"licensed_{band.slots}"].to_numpy()
        out[band.slots] = slots
        out[metric_column("children_per_slot", b)] = cps
        out[metric_column("slots_per_100", b)] = per100
        out[metric_column("cap_desert", b)] = classify_cap(kids, slots, params.cap_min_children, params.desert_children_per_slot)
        out[metric_column("osu_class", b)] = classify_osu(kids, slots, params.desert_children_per_slot, params.extreme_children_per_slot)
        out[metric_column("access_per_100", b)] = 100.0 * access[:, k]
        moe = S.moe_column(band.children)
        if moe in tracts.columns:
            cv = compute_cv(kids, tracts[moe].to_numpy(float))
            out[metric_column("children_cv", b)] = cv
            out[metric_column("reliability", b)] = classify_reliability(cv)
        out[metric_column("access_class", b)] = classify_access(
            access[:, k], kids, params.desert_children_per_slot, params.extreme_children_per_slot
        )
        prov_out[metric_column("ratio", b)] = ratio[:, k]

    for share_col, num in (
        ("poverty_share_100", S.UNDER6_BELOW_100PCT),
        ("poverty_share_200", S.UNDER6_BELOW_200PCT),
        ("working_parents_share", S.UNDER6_ALL_PARENTS_WORKING),
    ):
        if num in tracts.columns and S.CHILDREN_UNDER_6 in tracts.columns:
            den = tracts[S.CHILDREN_UNDER_6].to_numpy(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[share_col] = np.where(den > 0, tracts[num].to_numpy(float) / den, np.nan)

    notes = []
    if location.n_outside:
        notes.append(
            f"{location.n_outside} of {len(providers)} providers lie outside every tract: they count in no "
            "tract's own supply, but they do serve nearby tracts in the access measure."
        )
    n_unreached = int((reach == 0).sum())
    if n_unreached:
        within = f"within {params.catchment_km:g} km" if not params.catchment_by_place else "whose catchment holds them"
        notes.append(f"{n_unreached} providers have no tract {within}: their slots reach no children in the access measure.")
    for b in bands:
        col = S.BANDS[b].children
        n_missing = int(tracts[col].isna().sum())
        if n_missing:
            notes.append(f"{n_missing} tracts have no estimate of {col}: their classes are 'no data'.")
    return MetricsResult(out, prov_out, params, bands, catchment, int(reach.sum()), catchment_method, tuple(notes))


def compute_summary(result: MetricsResult) -> pd.DataFrame:
    """Headline figures, one row per band.

    Columns: band, label, children, licensed_slots, slots, slots_per_100, tracts,
    cap_desert_tracts, children_in_cap_deserts, share_in_cap_deserts, osu_desert_tracts (desert or
    extreme), osu_extreme_tracts, share_in_osu_deserts, share_in_osu_extreme, access_desert_tracts,
    share_in_access_deserts. Shares are of children with an estimate; slots are those inside the tracts.
    """
    t = result.tracts
    rows = []
    for b in result.bands:
        band = S.BANDS[b]
        kids = t[band.children].fillna(0).to_numpy(float)
        total = kids.sum()
        slots = t[band.slots].sum()
        cap = t[metric_column("cap_desert", b)].fillna(False).to_numpy(bool)
        osu = t[metric_column("osu_class", b)].astype(object).to_numpy()
        acc = t[metric_column("access_class", b)].astype(object).to_numpy()
        osu_any = np.isin(osu, [DESERT, EXTREME_DESERT])
        osu_ext = osu == EXTREME_DESERT
        acc_any = np.isin(acc, [DESERT, EXTREME_DESERT])

        def share(mask, kids=kids, total=total):
            return float(kids[mask].sum() / total) if total > 0 else np.nan

        rows.append(
            {
                "band": b,
                "label": band.label,
                "children": float(total),
                "licensed_slots": float(t[f"licensed_{band.slots}"].sum()),
                "slots": float(slots),
                "slots_per_100": float(100 * slots / total) if total > 0 else np.nan,
                "tracts": int(len(t)),
                "cap_desert_tracts": int(cap.sum()),
                "children_in_cap_deserts": float(kids[cap].sum()),
                "share_in_cap_deserts": share(cap),
                "osu_desert_tracts": int(osu_any.sum()),
                "osu_extreme_tracts": int(osu_ext.sum()),
                "share_in_osu_deserts": share(osu_any),
                "share_in_osu_extreme": share(osu_ext),
                "access_desert_tracts": int(acc_any.sum()),
                "share_in_access_deserts": share(acc_any),
            }
        )
    return pd.DataFrame(rows)


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


def compute_headline_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as a table for people: labelled columns, shares in percent (1 decimal)."""
    return pd.DataFrame(
        {
            "Age band": summary["label"],
            "Children": summary["children"].round(0),
            "Slots in tracts": summary["slots"].round(1),
            "Slots per 100 children": summary["slots_per_100"].round(1),
            "Children in CAP deserts (%)": (100 * summary["share_in_cap_deserts"]).round(1),
            "CAP desert tracts": summary["cap_desert_tracts"],
            "Children in OSU deserts (%)": (100 * summary["share_in_osu_deserts"]).round(1),
            "Children in OSU extreme deserts (%)": (100 * summary["share_in_osu_extreme"]).round(1),
            "Children in access deserts (%)": (100 * summary["share_in_access_deserts"]).round(1),
            "Tracts": summary["tracts"],
        }
    )


def compute_tract_details(result: MetricsResult, geoid: str) -> pd.DataFrame:
    """One tract's figures, one row per band: the numbers behind its colour on the map."""
    t = result.tracts
    match = t[t[S.GEOID] == geoid]
    if match.empty:
        raise ParameterError(f"tract {geoid!r} is not in this region")
    rec = match.iloc[0]
    rows = []
    for b in result.bands:
        band = S.BANDS[b]
        moe = S.moe_column(band.children)
        rows.append(
            {
                "Age band": band.label,
                "Children": rec[band.children],
                "± MOE (90%)": rec[moe] if moe in t.columns else np.nan,
                "Estimate reliability": rec.get(metric_column("reliability", b), "no margin of error given"),
                "Licensed slots in tract": rec[f"licensed_{band.slots}"],
                "Slots in tract": rec[band.slots],
                "Children per slot": rec[metric_column("children_per_slot", b)],
                "Slots per 100": rec[metric_column("slots_per_100", b)],
                "CAP desert": rec[metric_column("cap_desert", b)],
                "OSU class": rec[metric_column("osu_class", b)],
                "Access per 100": rec[metric_column("access_per_100", b)],
                "Access class": rec[metric_column("access_class", b)],
            }
        )
    return pd.DataFrame(rows).round(2)


#: Per-band measures repeated without a band suffix (for the chosen band) in :func:`compute_metrics_table`.
HEADLINE_MEASURES = ("children_per_slot", "slots_per_100", "cap_desert", "osu_class", "access_per_100", "access_class")
#: Per-band columns listed after the headline measures in :func:`compute_metrics_table`, when present.
EXTRA_BAND_MEASURES = ("children_cv", "reliability")


def compute_metrics_table(result: MetricsResult, band: str = "under_5") -> pd.DataFrame:
    """One row per tract, no geometry: identifiers, counts, slots by band, then the headline measures
    of ``band`` without suffix (``children_per_slot``, ``slots_per_100``, ``cap_desert``, ``osu_class``,
    ``access_per_100``, ``access_class``), then every band's measures with suffix."""
    band = S.get_band(band).key
    if band not in result.bands:
        raise MissingColumnError(S.BANDS[band].children, f"the {S.BANDS[band].short} band", list(result.tracts.columns))
    t = result.tracts
    cols: list[str] = [c for c in (S.GEOID, S.NAME, S.COUNTY) if c in t.columns]
    cols += [c for c in S.TRACT_COUNT_COLUMNS if c in t.columns]
    cols += [S.BANDS[b].slots for b in result.bands]
    table = pd.DataFrame(t[cols])
    for measure in HEADLINE_MEASURES:
        table[measure] = t[metric_column(measure, band)].to_numpy()
    for b in result.bands:
        table[f"licensed_{S.BANDS[b].slots}"] = t[f"licensed_{S.BANDS[b].slots}"].to_numpy()
        for measure in HEADLINE_MEASURES + EXTRA_BAND_MEASURES:
            if metric_column(measure, b) in t.columns:
                table[metric_column(measure, b)] = t[metric_column(measure, b)].to_numpy()
    extra = ["providers", "poverty_share_100", "poverty_share_200", "working_parents_share"]
    extra += [S.moe_column(c) for c in S.TRACT_COUNT_COLUMNS if S.moe_column(c) in t.columns]
    for col in extra:
        if col in t.columns:
            table[col] = t[col].to_numpy()
    return table.reset_index(drop=True)
