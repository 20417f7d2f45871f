"""Analysis parameters: one frozen dataclass, every threshold named, every default sourced.

Sources of the defaults (see ``../shared/GUIDE.md`` section 4):

* ``cap_min_children = 50`` and ``desert_children_per_slot = 3.0``: Center for American Progress,
  *Mapping America's Child Care Deserts* (2017) and *America's Child Care Deserts in 2018*: a tract with
  more than 50 children under 5 and no providers, or more than 3 children per licensed slot.
* ``extreme_children_per_slot = 10.0``: Oregon State University, *Oregon's Child Care Deserts*
  (Pratt & Sektnan): an extreme desert has at most 1 slot per 10 children.
* ``utilization = 1.0``: licensed capacity as is. Licensed capacity overstates the slots that operate
  (staffing); 0.85 is a published adjustment.
* ``catchment_km = 10.0``: the NSECE (2012) average distance to center care is 4.6 miles (7.4 km) for
  children under 3 and 3.9 miles (6.3 km) for ages 3-5; a 10 km catchment covers trips somewhat longer
  than average, as most families' trips are. Rural planners will want it larger.
* ``catchment_by_place = False``: with True, each tract's catchment depends on where it is (a single
  radius is wrong for both a dense city and a frontier county): ``catchment_urban_km = 7.4`` for urban
  tracts (RUCA 1-3, or 1,000+ people per square mile), the NSECE (2012) average distance to center care
  for children under 3 (4.6 miles); ``catchment_town_km = 12.0`` for micropolitan tracts (RUCA 4-6);
  ``catchment_rural_km = 20.0`` for small-town and rural tracts (RUCA 7-10, or under 1,000 people per
  square mile). Rural families travel farther (GUIDE.md section 4) but no national survey gives a rural
  average: the town and rural distances are gapmap's choices, about 1.6 and 2.7 times the urban one, to
  be set from local knowledge. Tracts that cannot be classified keep ``catchment_km``. See
  :func:`gapmap.metrics.urbanicity.compute_catchments`.
* ``decay = "step"``: every provider within the catchment counts in full (the classic 2SFCA);
  ``"gaussian"`` is Dai's (2010) Gaussian, 1 at distance 0 and falling to 0 at the catchment edge.

Access by travel time (used when a travel-time table is given; :mod:`gapmap.metrics.travel`):

* ``travel_bands = (5, 10, 15, 30)`` minutes and ``travel_weights = (1, 0.68, 0.22, 0.03)``: a provider
  0-5 minutes away counts fully, 5-10 minutes 0.68, 10-15 minutes 0.22, 15-30 minutes 0.03, beyond 30
  not at all. The first three are the E2SFCA weights of Luo & Qi (2009), used on 0-5 / 5-10 / 10-15
  minute drives by Lee (2026) for Alabama's child care; they are a Gaussian ``exp(-t^2 / 64.8)`` read at
  each band's start (0, 5, 10 minutes). 0.03 is gapmap's documented choice for 15-30 minutes: the same
  Gaussian at 15 minutes (0.031), so a long drive still counts a little, as it does for the families who
  make it (NHES 2019: 51% of families travel under 10 minutes, so about half travel longer).
* ``access_by = "travel_time"``: access by the travel-time table when the data has one, else by distance;
  ``"distance"`` measures it by the straight-line catchment even then.
* ``travel_decay = "bands"``; ``"gaussian"`` uses Dai's Gaussian on minutes, 0 at the last band's edge.
* ``travel_speed_kmh = 30``: a new site given only a table gets its minutes from the nearest provider in
  the table plus the straight-line distance to it at this speed (roads are about 1.3 times longer than
  the straight line, so 30 km/h as the crow flies is about 40 km/h on the road); flagged approximate.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Literal

from gapmap.errors import ParameterError

__all__ = ["AnalysisParams", "DECAYS", "TRAVEL_DECAYS", "DEFAULT_PARAMS", "UTILIZATION_EXPECTED", "is_utilization", "describe_travel"]

#: Distance-decay functions available for the access measure.
DECAYS: dict[str, str] = {
    "step": "every provider within the catchment counts fully (weight 1), none beyond it",
    "gaussian": "Gaussian decay (Dai 2010): weight (exp(-d²/2d0²) - exp(-1/2)) / (1 - exp(-1/2)), 0 at the edge d0",
}

#: Weightings of travel time for the access measure (when a travel-time table is given).
TRAVEL_DECAYS: dict[str, str] = {
    "bands": "time bands: each provider counts with the weight of the band its travel time falls in",
    "gaussian": "Gaussian decay on minutes (Dai 2010): 1 at 0 minutes, falling to 0 at the last band's edge",
}


#: What a utilization factor must be, in the words of every message about one.
UTILIZATION_EXPECTED = "a share greater than 0 and at most 1 (0.85 is a published choice)"


def is_utilization(value: float) -> bool:
    """Whether ``value`` is a utilization factor: greater than 0 and at most 1 (the one range check)."""
    return 0 < value <= 1


@dataclass(frozen=True)
class AnalysisParams:
    """Every parameter of a metrics run. Immutable; use :meth:`replace` to change one."""

    utilization: float = 1.0
    catchment_km: float = 10.0
    decay: Literal["step", "gaussian"] = "step"
    catchment_by_place: bool = False
    catchment_urban_km: float = 7.4
    catchment_town_km: float = 12.0
    catchment_rural_km: float = 20.0
    cap_min_children: float = 50
    desert_children_per_slot: float = 3.0
    extreme_children_per_slot: float = 10.0
    travel_bands: tuple[float, ...] = (5.0, 10.0, 15.0, 30.0)
    travel_weights: tuple[float, ...] = (1.0, 0.68, 0.22, 0.03)
    travel_decay: Literal["bands", "gaussian"] = "bands"
    travel_speed_kmh: float = 30.0
    access_by: Literal["travel_time", "distance"] = "travel_time"

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> ParameterError:
            return ParameterError(f"{name} = {getattr(self, name)!r}: expected {expected}")

        def number(name: str) -> float:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise bad(name, "a finite number")
            return float(value)

        if not is_utilization(number("utilization")):
            raise bad("utilization", UTILIZATION_EXPECTED)
        for name in ("catchment_km", "catchment_urban_km", "catchment_town_km", "catchment_rural_km"):
            if not 0 < number(name) <= 500:
                raise bad(name, "a distance in km greater than 0 and at most 500")
        if not isinstance(self.catchment_by_place, bool):
            raise bad("catchment_by_place", "True or False")
        if self.decay not in DECAYS:
            raise bad("decay", "one of " + ", ".join(DECAYS))
        bands, weights = self.travel_bands, self.travel_weights
        if not (
            isinstance(bands, tuple)
            and bands
            and all(isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b) for b in bands)
        ):
            raise bad("travel_bands", "one or more band edges in minutes, such as (5, 10, 15, 30)")
        if not (0 < bands[0] and all(a < b for a, b in zip(bands, bands[1:], strict=False)) and bands[-1] <= 240):
            raise bad("travel_bands", "band edges in minutes, each greater than the one before, from more than 0 to at most 240")
        if not (isinstance(weights, tuple) and len(weights) == len(bands)):
            raise bad("travel_weights", f"one weight per travel band ({len(bands)})")
        if not all(isinstance(w, (int, float)) and not isinstance(w, bool) and 0 <= w <= 1 for w in weights) or any(
            a < b for a, b in zip(weights, weights[1:], strict=False)
        ):
            raise bad("travel_weights", "weights from 0 to 1, each at most the one before (a longer trip never counts more)")
        if self.travel_decay not in TRAVEL_DECAYS:
            raise bad("travel_decay", "one of " + ", ".join(TRAVEL_DECAYS))
        if self.access_by not in ("travel_time", "distance"):
            raise bad("access_by", "'travel_time' (by the travel-time table, when the data has one) or 'distance'")
        if not 0 < number("travel_speed_kmh") <= 150:
            raise bad("travel_speed_kmh", "a speed in km/h greater than 0 and at most 150")
        if number("cap_min_children") < 0:
            raise bad("cap_min_children", "a number of children at least 0")
        if number("desert_children_per_slot") <= 0:
            raise bad("desert_children_per_slot", "a number of children per slot greater than 0")
        if number("extreme_children_per_slot") <= self.desert_children_per_slot:
            raise bad(
                "extreme_children_per_slot", f"more children per slot than desert_children_per_slot ({self.desert_children_per_slot})"
            )

    def replace(self, **changes: object) -> AnalysisParams:
        """A copy with some parameters changed (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]  # each value is checked in __post_init__

    def to_dict(self) -> dict[str, object]:
        """The parameters as a plain dict, for exports and "where this number came from" notes."""
        return asdict(self)


DEFAULT_PARAMS = AnalysisParams()


def describe_travel(params: AnalysisParams) -> str:
    """The travel-time weighting in a planner's words (for every About)."""
    edges = params.travel_bands
    if params.travel_decay == "gaussian":
        return f"a Gaussian on minutes (1 at 0 minutes, 0 at {edges[-1]:g} minutes)"
    starts = (0.0, *edges[:-1])
    bands = " / ".join(f"{a:g}-{b:g}" for a, b in zip(starts, edges, strict=True))
    weights = " / ".join(f"{w:g}" for w in params.travel_weights)
    return f"{bands} minutes weighted {weights}, nothing beyond {edges[-1]:g} minutes"


#: The names of the ranking presets (their weights: :data:`gapmap.analysis.ranking.PRESETS`), here so the
#: command line can list them without importing the science stack.
PRESET_NAMES: tuple[str, ...] = ("balanced", "infant_toddler", "equity", "potential_need")
#: The age bands' keys (defined in :data:`gapmap.schema.BANDS`), for the same reason.
BAND_KEYS: tuple[str, ...] = ("0_2", "3_5", "under_5")
