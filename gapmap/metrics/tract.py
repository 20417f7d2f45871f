"""The metrics run: supply inside each tract, the band measures (:mod:`.band`) and E2SFCA access."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from gapmap import measures as M
from gapmap import schema as S
from gapmap.config import DEFAULT_PARAMS, AnalysisParams
from gapmap.errors import MissingColumnError, ParameterError
from gapmap.metrics.band import BandInputs, compute_band_measures
from gapmap.metrics.fused import AccessGrid
from gapmap.metrics.result import MetricsResult, available_bands, compute_tract_points
from gapmap.metrics.supply import compute_operating_slots, compute_slots_in_tracts, locate_providers
from gapmap.metrics.travel import TravelAccess, describe_travel
from gapmap.metrics.urbanicity import compute_catchments
from gapmap.sources.acs import classify_reliability, compute_cv
from gapmap.sources.travel_times import TravelTimes

__all__ = ["compute_tract_metrics"]


def compute_tract_metrics(
    tracts: gpd.GeoDataFrame,
    providers: pd.DataFrame,
    params: AnalysisParams = DEFAULT_PARAMS,
    bands: list[str] | tuple[str, ...] | None = None,
    travel: TravelTimes | None = None,
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

    With ``travel`` (a checked travel-time table of these tracts and providers, in this order), access is
    measured on minutes with the travel bands of ``params`` (:mod:`.travel`) instead of the straight-line
    catchment (unless ``params.access_by`` is ``"distance"``); every other measure is the same.
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
    out[M.column("providers")] = supply[M.column("providers")].to_numpy()

    tract_pts = compute_tract_points(tracts)
    prov_pts = providers[[S.LONGITUDE, S.LATITUDE]].to_numpy(float)
    catchment, catchment_method = compute_catchments(tracts, params)
    children = np.column_stack([tracts[S.BANDS[b].children].to_numpy(float) for b in bands])
    prov_slots = np.column_stack([compute_operating_slots(S.BANDS[b].provider_slots(providers), params.utilization) for b in bands])
    grid = AccessGrid(tract_pts, prov_pts, catchment)
    engine: AccessGrid | TravelAccess = grid
    if params.access_by == "distance":
        travel = None
    if travel is not None:
        if travel.n_tracts != n_t or travel.n_providers != len(providers):
            raise ParameterError(
                f"the travel-time table is of {travel.n_tracts:,} tracts and {travel.n_providers:,} providers; "
                f"this region has {n_t:,} and {len(providers):,}: check it against this region again"
            )
        engine = TravelAccess(travel, params, prov_pts)
        catchment_method = f"travel time ({travel.source}): {describe_travel(params)}"
    access, ratio, pairs = engine.e2sfca(children, prov_slots, params.decay, per_provider=True)
    reach = np.asarray(pairs)  # tracts within reach of each provider

    prov_out = providers.copy()
    geoids = tracts[S.GEOID].to_numpy(object)
    prov_out[S.GEOID] = np.where(location.tract_pos >= 0, geoids[np.maximum(location.tract_pos, 0)], None)

    for k, b in enumerate(bands):
        band = S.BANDS[b]
        kids = children[:, k]
        slots = supply[M.column("slots", b)].to_numpy()
        out[M.column("licensed_slots", b)] = supply[M.column("licensed_slots", b)].to_numpy()
        out[M.column("slots", b)] = slots
        for col, values in compute_band_measures(b, BandInputs(kids, slots, access[:, k], params)).items():
            out[col] = values
        moe = S.moe_column(band.children)
        if moe in tracts.columns:
            cv = compute_cv(kids, tracts[moe].to_numpy(float))
            out[M.column("children_cv", b)] = cv
            out[M.column("reliability", b)] = classify_reliability(cv)
        prov_out[f"ratio_{b}"] = ratio[:, k]

    for m in M.MEASURES.values():
        if m.per_band or m.rollup != "ratio" or not all(c in tracts.columns for c in m.of):
            continue
        num, den = (tracts[c].to_numpy(float) for c in m.of)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[m.column()] = np.where(den > 0, m.scale * num / den, np.nan)

    notes = []
    if location.n_outside:
        notes.append(
            f"{location.n_outside} of {len(providers)} providers lie outside every tract: they count in no "
            "tract's own supply, but they do serve nearby tracts in the access measure."
        )
    n_unreached = int((reach == 0).sum())
    if n_unreached:
        within = f"within {params.catchment_km:g} km" if not params.catchment_by_place else "whose catchment holds them"
        if travel is not None:
            within = f"within {params.travel_bands[-1]:g} minutes in the travel-time table"
        notes.append(f"{n_unreached} providers have no tract {within}: their slots reach no children in the access measure.")
    for b in bands:
        col = S.BANDS[b].children
        n_missing = int(tracts[col].isna().sum())
        if n_missing:
            notes.append(f"{n_missing} tracts have no estimate of {col}: their classes are 'no data'.")
    if travel is not None:
        no_row = np.ones(n_t, dtype=bool)
        no_row[travel.tract] = False
        if no_row.any():
            cap = f" ({travel.max_minutes:g} minutes)" if travel.max_minutes else ""
            notes.append(
                f"{int(no_row.sum()):,} tracts have no provider within the travel-time table's reach{cap}: their access by travel time is 0."
            )
    result = MetricsResult(out, prov_out, params, bands, catchment, int(reach.sum()), catchment_method, tuple(notes), travel)
    result._kept.update(tract_points=tract_pts, provider_points=prov_pts, access_grid=grid)
    if travel is not None:
        result._kept["travel_access"] = engine
    return result
