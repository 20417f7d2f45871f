"""The result of a metrics run (:class:`MetricsResult`) and the point where each tract's children live."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from gapmap import schema as S
from gapmap.config import AnalysisParams
from gapmap.metrics.access import AccessPairs, TractIndex, find_pairs
from gapmap.metrics.fused import AccessGrid
from gapmap.metrics.travel import TravelAccess
from gapmap.sources.travel_times import TravelTimes

__all__ = ["MetricsResult", "available_bands", "compute_tract_points"]


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
    travel: TravelTimes | None = field(default=None, compare=False, repr=False)
    #: What later steps reuse, built once on first use (not part of the result's value): tract points,
    #: the access grid, the tracts' KD-tree, and the positions of provider ids and GEOIDs.
    _kept: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def _keep(self, key: str, build: Any) -> Any:
        if key not in self._kept:
            self._kept[key] = build()
        return self._kept[key]

    def tract_points(self) -> np.ndarray:
        """Each tract's point (:func:`compute_tract_points`), computed once."""
        return self._keep("tract_points", lambda: compute_tract_points(self.tracts))

    def provider_points(self) -> np.ndarray:
        return self._keep("provider_points", lambda: self.providers[[S.LONGITUDE, S.LATITUDE]].to_numpy(float))

    def access_grid(self) -> AccessGrid:
        """The tract and provider points bucketed for the access kernel (the metrics run's own grid)."""
        return self._keep("access_grid", lambda: AccessGrid(self.tract_points(), self.provider_points(), self.catchment_km))

    def access_engine(self) -> AccessGrid | TravelAccess:
        """What the access measure runs on: the travel-time kernel when the run has a travel table, else
        the distance kernel (:meth:`access_grid`). Both offer ``e2sfca`` and ``site_gains``."""
        if self.travel is None:
            return self.access_grid()
        travel = self.travel
        return self._keep("travel_access", lambda: TravelAccess(travel, self.params, self.provider_points()))

    @property
    def access_by(self) -> str:
        """ "travel time" or "distance": what the access measure is measured by."""
        return "distance" if self.travel is None else "travel time"

    def tract_index(self) -> TractIndex:
        """The tracts' KD-tree with their catchments, for the tracts one location reaches."""
        return self._keep("tract_index", lambda: TractIndex(self.tract_points(), self.catchment_km))

    def provider_position(self) -> dict[str, int]:
        """Provider id -> row of :attr:`providers`."""
        return self._keep("provider_position", lambda: {pid: i for i, pid in enumerate(self.providers[S.PROVIDER_ID])})

    def tract_position(self) -> dict[str, int]:
        """GEOID -> row of :attr:`tracts`."""
        return self._keep("tract_position", lambda: {g: i for i, g in enumerate(self.tracts[S.GEOID])})

    def desert_probability(self) -> Any:
        """The :class:`gapmap.metrics.probability.DesertProbability` added by ``with_desert_probability``, or None."""
        return self._kept.get("desert_probability")

    def provider_home(self) -> np.ndarray:
        """Row of the tract each provider lies in (-1 outside every tract)."""

        def build() -> np.ndarray:
            pos = self.tract_position()
            return np.array([pos.get(g, -1) if isinstance(g, str) else -1 for g in self.providers[S.GEOID]], dtype=np.int64)

        return self._keep("provider_home", build)

    def select_tracts(self, mask: ArrayLike, margin_deg: float = 0.3) -> MetricsResult:
        """The same result for some tracts only (``mask``: one bool per tract), with the providers within
        ``margin_deg`` degrees of their bounding box (for drawing a part of a large region). The
        metrics are not recomputed: each tract keeps the figures of the whole run."""
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
        return find_pairs(self.tract_points(), self.provider_points(), self.catchment_km)
