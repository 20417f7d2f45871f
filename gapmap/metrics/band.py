"""The per-band tract measures that derive from a band's children, slots and access.

Each function computes one measure of the registry (:mod:`gapmap.measures`) and registers itself with
:func:`computes`; :func:`compute_band_measures` runs them all. The tract metrics and the scenario
simulator both call it, so a measure is computed by one function wherever its figure appears.

Adding a measure: declare it in :data:`gapmap.measures.MEASURES` and write its function here with
``@computes("<key>")``. Tables, roll-ups (by the rule it declares), tooltips and the README read it
from the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gapmap import measures as M
from gapmap.config import AnalysisParams
from gapmap.errors import ParameterError
from gapmap.metrics.deserts import classify_access, classify_cap, classify_osu, compute_ratios

__all__ = ["BandInputs", "BAND_COMPUTE", "computes", "compute_band_measures"]


@dataclass(frozen=True)
class BandInputs:
    """What a band's measures derive from, one value per tract: ``children`` of the band, ``slots``
    (operating slots inside the tract), ``access`` (E2SFCA slots per child) and the ``params``."""

    children: np.ndarray
    slots: np.ndarray
    access: np.ndarray
    params: AnalysisParams


#: measure key -> the function computing it from :class:`BandInputs`, in registration order.
BAND_COMPUTE: dict[str, Callable[[BandInputs], object]] = {}


def computes(key: str) -> Callable[[Callable[[BandInputs], object]], Callable[[BandInputs], object]]:
    """Register the function computing the per-band measure ``key`` of the registry."""
    m = M.measure(key)
    if not m.per_band or m.level == "region":
        raise ParameterError(f"measure {key!r} is not a per-band tract measure: it cannot be computed per tract and band")

    def register(fn: Callable[[BandInputs], object]) -> Callable[[BandInputs], object]:
        BAND_COMPUTE[key] = fn
        return fn

    return register


@computes("children_per_slot")
def _children_per_slot(x: BandInputs) -> np.ndarray:
    return compute_ratios(x.children, x.slots)[0]


@computes("slots_per_100")
def _slots_per_100(x: BandInputs) -> np.ndarray:
    return compute_ratios(x.children, x.slots)[1]


@computes("cap_desert")
def _cap_desert(x: BandInputs) -> object:
    return classify_cap(x.children, x.slots, x.params.cap_min_children, x.params.desert_children_per_slot)


@computes("osu_class")
def _osu_class(x: BandInputs) -> object:
    return classify_osu(x.children, x.slots, x.params.desert_children_per_slot, x.params.extreme_children_per_slot)


@computes("access_per_100")
def _access_per_100(x: BandInputs) -> np.ndarray:
    return 100.0 * np.asarray(x.access, dtype=float)


@computes("access_class")
def _access_class(x: BandInputs) -> object:
    return classify_access(x.access, x.children, x.params.desert_children_per_slot, x.params.extreme_children_per_slot)


@computes("children_reached")
def _children_reached(x: BandInputs) -> np.ndarray:
    """Children x min(1, access): the children the slots within reach can serve (E2SFCA)."""
    return np.asarray(x.children, dtype=float) * np.clip(np.asarray(x.access, dtype=float), 0.0, 1.0)


@computes("slots_short")
def _slots_short(x: BandInputs) -> np.ndarray:
    """Slots to add so the tract is no longer a desert: children / desert ratio - slots, at least 0."""
    with np.errstate(invalid="ignore"):
        return np.maximum(0.0, x.children / x.params.desert_children_per_slot - x.slots)


def compute_band_measures(band: str, inputs: BandInputs) -> dict[str, object]:
    """Every registered measure of ``band``: column -> values (one per tract)."""
    return {M.column(key, band): fn(inputs) for key, fn in BAND_COMPUTE.items()}
