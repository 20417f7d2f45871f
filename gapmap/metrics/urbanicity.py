"""Rural or urban, tract by tract: RUCA codes when given, else population density.

Used by the equity table (who lives in the deserts) and by catchments that vary with place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from gapmap import schema as S
from gapmap.config import AnalysisParams

__all__ = [
    "URBAN_DENSITY_PER_SQ_MILE",
    "SQ_M_PER_SQ_MILE",
    "RUCA_CLASSES",
    "DENSITY_CLASSES",
    "NOT_CLASSIFIED",
    "classify_ruca",
    "classify_urbanicity",
    "compute_catchments",
]

#: Density fallback: a tract is urban at 1,000 or more people per square mile, the tract-level density
#: that seeded a 2010 Census urbanized area ("Urban Area Criteria for the 2010 Census", 76 FR 53030,
#: 24 Aug 2011). The 2020 criteria use 425 housing units per square mile, about the same density.
URBAN_DENSITY_PER_SQ_MILE = 1000.0
SQ_M_PER_SQ_MILE = 2_589_988.110336

#: RUCA primary codes grouped as in the USDA ERS four-category scheme (A: urban core, metropolitan;
#: B: micropolitan; C: small town; D: rural).
RUCA_CLASSES: tuple[tuple[float, float, str], ...] = (
    (1, 4, "Urban (metropolitan, RUCA 1-3)"),
    (4, 7, "Large rural town (micropolitan, RUCA 4-6)"),
    (7, 10, "Small rural town (RUCA 7-9)"),
    (10, 11, "Isolated rural (RUCA 10)"),
)
DENSITY_CLASSES: tuple[str, str] = ("Urban (1,000+ people per sq. mile)", "Rural (under 1,000 people per sq. mile)")
NOT_CLASSIFIED = "Not classified"


def classify_ruca(codes: ArrayLike) -> np.ndarray:
    """Class label of each RUCA code (primary 1-10, or a secondary code such as 4.1, whose integer part
    is the primary code); missing codes are "Not classified"."""
    primary = np.floor(np.asarray(codes, dtype=float))
    out = np.empty(primary.shape, dtype=object)
    out[:] = NOT_CLASSIFIED
    for lo, hi, label in RUCA_CLASSES:
        out[(primary >= lo) & (primary < hi)] = label
    return out


def classify_urbanicity(tracts: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Rural/urban class of each tract and the method used.

    RUCA codes (column ``ruca``) when the tracts carry any; otherwise population density: ``population``
    over land area (``aland`` in square metres when the boundary file gave it, else the polygon's area on
    an equal-area projection, EPSG:6933) against :data:`URBAN_DENSITY_PER_SQ_MILE`. Without a population
    count every tract is "Not classified".
    """
    if S.RUCA in tracts.columns and tracts[S.RUCA].notna().any():
        return classify_ruca(tracts[S.RUCA].to_numpy(float)), "RUCA codes (USDA ERS), grouped urban / micropolitan / small town / rural"
    if S.POPULATION not in tracts.columns:
        return np.full(
            len(tracts), NOT_CLASSIFIED, dtype=object
        ), "not classified: the tracts have neither RUCA codes nor a population count"
    if "aland" in tracts.columns and tracts["aland"].notna().all():
        area = tracts["aland"].to_numpy(float)
        how = "land area (ALAND)"
    else:
        area = tracts.geometry.to_crs(6933).area.to_numpy(float)
        how = "polygon area"
    pop = tracts[S.POPULATION].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(area > 0, pop / (area / SQ_M_PER_SQ_MILE), np.nan)
    out = np.where(density >= URBAN_DENSITY_PER_SQ_MILE, DENSITY_CLASSES[0], DENSITY_CLASSES[1]).astype(object)
    out[~np.isfinite(density)] = NOT_CLASSIFIED
    return (
        out,
        f"population density on {how}: urban at {URBAN_DENSITY_PER_SQ_MILE:,.0f} or more people per square mile (no RUCA codes given)",
    )


def compute_catchments(tracts: pd.DataFrame, params: AnalysisParams) -> tuple[np.ndarray, str]:
    """Each tract's catchment in km, and how it was chosen (see :class:`gapmap.config.AnalysisParams`).

    With ``params.catchment_by_place`` false, every tract has ``catchment_km``. Otherwise urban tracts
    get ``catchment_urban_km``, micropolitan ones ``catchment_town_km``, small-town and rural ones
    ``catchment_rural_km``, by :func:`classify_urbanicity`; unclassified tracts keep ``catchment_km``.
    """
    n = len(tracts)
    if not params.catchment_by_place:
        return np.full(n, float(params.catchment_km)), f"{params.catchment_km:g} km for every tract"
    classes, method = classify_urbanicity(tracts)
    by_class = {
        RUCA_CLASSES[0][2]: params.catchment_urban_km,
        DENSITY_CLASSES[0]: params.catchment_urban_km,
        RUCA_CLASSES[1][2]: params.catchment_town_km,
        RUCA_CLASSES[2][2]: params.catchment_rural_km,
        RUCA_CLASSES[3][2]: params.catchment_rural_km,
        DENSITY_CLASSES[1]: params.catchment_rural_km,
    }
    radius = np.array([by_class.get(c, params.catchment_km) for c in classes], dtype=float)
    counts = {c: int((classes == c).sum()) for c in dict.fromkeys(classes)}
    parts = ", ".join(f"{by_class.get(c, params.catchment_km):g} km for {k} {c.split(' (')[0].lower()} tracts" for c, k in counts.items())
    return radius, f"by place ({method}): {parts}"
