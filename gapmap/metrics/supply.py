"""Supply per tract: the licensed slots of the providers located inside each tract polygon.

This is the supply of the CAP and OSU tract rules (GUIDE.md section 4): slots are counted in the tract
that contains the provider. Providers outside every tract are counted and reported, never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from gapmap import measures as M
from gapmap import schema as S

if TYPE_CHECKING:
    from gapmap.sources.providers import ProviderImport

__all__ = [
    "ProviderLocation",
    "locate_providers",
    "compute_slots_in_tracts",
    "compute_operating_slots",
    "compute_import_warnings",
    "WARN_REJECTED_SHARE",
    "WARN_OUTSIDE_SLOTS_SHARE",
]


@dataclass(frozen=True)
class ProviderLocation:
    """Which tract (row position) contains each provider; -1 when none does."""

    tract_pos: np.ndarray

    @property
    def n_outside(self) -> int:
        return int((self.tract_pos < 0).sum())


def locate_providers(tracts: gpd.GeoDataFrame, providers: pd.DataFrame) -> ProviderLocation:
    """Find the tract containing each provider with the tracts' spatial index (STRtree).

    A provider exactly on a shared boundary goes to the first tract (in row order) that touches it,
    so each provider counts once.
    """
    points = shapely.points(providers[S.LONGITUDE].to_numpy(float), providers[S.LATITUDE].to_numpy(float))
    pos = np.full(len(points), -1, dtype=np.int64)
    if len(points) and len(tracts):
        p_idx, t_idx = tracts.sindex.query(points, predicate="intersects")
        order = np.lexsort((t_idx, p_idx))
        p_idx, t_idx = p_idx[order], t_idx[order]
        first = np.ones(len(p_idx), dtype=bool)
        first[1:] = p_idx[1:] != p_idx[:-1]
        pos[p_idx[first]] = t_idx[first]
    return ProviderLocation(pos)


def compute_slots_in_tracts(n_tracts: int, providers: pd.DataFrame, location: ProviderLocation, utilization: float = 1.0) -> pd.DataFrame:
    """Licensed and utilization-adjusted slots, and provider counts, per tract and band.

    Returns a frame with ``n_tracts`` rows (tract row order) and, for each band ``b``, the columns
    ``licensed_slots_b`` (licensed capacity in the band) and ``slots_b`` (= licensed x utilization),
    plus ``providers`` (number of providers inside the tract).
    """
    inside = location.tract_pos >= 0
    pos = location.tract_pos[inside]
    out = {M.column("providers"): np.bincount(pos, minlength=n_tracts).astype(np.int64)}
    for b, band in S.BANDS.items():
        licensed = np.bincount(pos, weights=band.provider_slots(providers)[inside], minlength=n_tracts)
        out[M.column("licensed_slots", b)] = licensed
        out[M.column("slots", b)] = compute_operating_slots(licensed, utilization)
    return pd.DataFrame(out)


def compute_operating_slots(licensed: ArrayLike, utilization: float) -> np.ndarray:
    """Slots taken to be operating: licensed slots x the utilization factor (GUIDE.md section 4: licensed
    capacity overstates operating slots; 0.85 is a published choice). The one place the factor applies."""
    return np.asarray(licensed, dtype=float) * float(utilization)


#: Warn before saving a dataset when more than this share of the file's rows were rejected...
WARN_REJECTED_SHARE = 0.10
#: ... or when more than this share of the accepted slots lie outside every tract.
WARN_OUTSIDE_SLOTS_SHARE = 0.5


def compute_import_warnings(tracts: gpd.GeoDataFrame, report: ProviderImport) -> list[str]:
    """What a planner should know before saving a provider import with these tracts (one sentence each):
    many rejected rows, or most slots outside every tract (the wrong region, or swapped coordinates).
    ``report`` is a :class:`gapmap.sources.providers.ProviderImport`."""
    out = []
    if report.rejected_share > WARN_REJECTED_SHARE:
        out.append(
            f"{len(report.rejected):,} of {report.rows_read:,} rows ({report.rejected_share:.0%}) were rejected: "
            "the figures will leave those providers out. Check the rejected rows and the value mapping first."
        )
    accepted = report.accepted
    if len(accepted) and len(tracts):
        outside = locate_providers(tracts, accepted).tract_pos < 0
        slots = accepted[S.CAPACITY].to_numpy(float)
        share = float(slots[outside].sum() / slots.sum()) if slots.sum() > 0 else 0.0
        if share > WARN_OUTSIDE_SLOTS_SHARE:
            out.append(
                f"{share:.0%} of the accepted slots lie outside every tract of this region: they count for access across the "
                "line but not as slots in any tract. Is this the right region's provider list?"
            )
    return out
