"""How a map colours tracts: the bins and a colour-blind-safe palette for each map measure (the measures
themselves, with their labels and units, are in the registry :mod:`gapmap.measures`).

Palettes are ColorBrewer sequential schemes (OrRd, YlGnBu, Purples, PuRd), which stay distinguishable
with the common colour-vision deficiencies. Bins of slots per 100 children sit on the desert
thresholds, so the colours and the desert classes tell one story.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gapmap import measures as M
from gapmap.config import AnalysisParams
from gapmap.measures import Measure
from gapmap.metrics.deserts import DESERT, EXTREME_DESERT, NO_CHILDREN, NO_DATA, NOT_DESERT

__all__ = ["MAP_MEASURES", "MEASURES", "MISSING_COLOR", "classify_measure"]

MISSING_COLOR = "#d9d9d9"

_CLASS_COLORS = {EXTREME_DESERT: "#b30000", DESERT: "#fc8d59", NOT_DESERT: "#fef0d9", NO_CHILDREN: "#f0f0f0", NO_DATA: MISSING_COLOR}
_SUPPLY_COLORS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")  # YlGnBu 5
_CHILD_COLORS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")  # Purples 5
_CHANCE_COLORS = ("#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f")  # OrRd 4: sure not, leaning not, leaning yes, sure
_POVERTY_COLORS = ("#f1eef6", "#d7b5d8", "#df65b0", "#dd1c77", "#980043")  # PuRd 5


#: The measures a tract map can colour by (keys of the registry, :data:`gapmap.measures.MEASURES`).
MAP_MEASURES: tuple[str, ...] = (
    "osu_class",
    "cap_desert",
    "slots_per_100",
    "access_per_100",
    "access_class",
    "desert_chance_access",
    "desert_chance_cap",
    "desert_chance_osu",
    "children",
    "poverty_share_100",
    "poverty_share_200",
)
#: The map measures, from the registry: key -> :class:`gapmap.measures.Measure`.
MEASURES: dict[str, Measure] = {key: M.measure(key) for key in MAP_MEASURES}


def _nice_quantile_edges(values: np.ndarray, k: int = 5) -> list[float]:
    v = values[np.isfinite(values)]
    if len(v) == 0:
        return [0.0, 1.0]
    qs = np.quantile(v, np.linspace(0, 1, k + 1))
    step = 10 ** np.floor(np.log10(max(qs[-1], 1) / 10))
    edges = sorted(
        {float(np.floor(qs[0] / step) * step)}
        | {float(np.round(q / step) * step) for q in qs[1:-1]}
        | {float(np.ceil(qs[-1] / step) * step)}
    )
    return edges if len(edges) > 1 else [edges[0], edges[0] + 1]


def classify_measure(measure: Measure, values: pd.Series, params: AnalysisParams) -> tuple[list[str], list[tuple[str, str]]]:
    """Colour of each value, and the legend entries (colour, label), for a measure.

    Returns ``(colors, legend)``; missing values get :data:`MISSING_COLOR`.
    """
    if measure.kind == "class":
        labels = values.astype(object).where(values.notna(), NO_DATA)
        colors = [_CLASS_COLORS.get(v, MISSING_COLOR) for v in labels]
        present = set(labels)
        legend = [(c, k) for k, c in _CLASS_COLORS.items() if k in present or k in (EXTREME_DESERT, DESERT, NOT_DESERT)]
        return colors, legend
    if measure.kind == "flag":
        colors = [MISSING_COLOR if pd.isna(v) else ("#d95f0e" if v else "#fff7bc") for v in values]
        legend = [("#d95f0e", "desert"), ("#fff7bc", "not a desert")]
        if values.isna().any():
            legend.append((MISSING_COLOR, "no data"))
        return colors, legend
    x = pd.to_numeric(values, errors="coerce").to_numpy(float)
    palette: tuple[str, ...]
    if measure.key.startswith("desert_chance_"):
        # the bins are the confidence flags: 10% or less (confident not), up to 90% (uncertain), 90% or more (confident)
        idx = np.where(x <= 0.1, 0, np.where(x < 0.5, 1, np.where(x < 0.9, 2, 3)))
        colors = [MISSING_COLOR if not np.isfinite(v) else _CHANCE_COLORS[i] for v, i in zip(x, idx)]
        names = [
            "10% or less (confident: not a desert)",
            "10% to 50% (uncertain)",
            "50% to 90% (uncertain)",
            "90% or more (confident desert)",
        ]
        legend = list(zip(_CHANCE_COLORS, names))
        if not np.isfinite(x).all():
            legend.append((MISSING_COLOR, "no data"))
        return colors, legend
    if measure.key in ("slots_per_100", "access_per_100"):
        extreme = 100.0 / params.extreme_children_per_slot
        desert = 100.0 / params.desert_children_per_slot
        # extreme desert: at most `extreme`; desert: below `desert`
        idx = np.where(x <= extreme, 0, np.where(x < desert, 1, np.where(x < 50, 2, np.where(x < 75, 3, 4))))
        palette = _SUPPLY_COLORS
        names = [
            f"{extreme:g} or fewer (extreme desert)",
            f"{extreme:g} to {desert:.1f} (desert)",
            f"{desert:.1f} to 50",
            "50 to 75",
            "75 or more",
        ]
    else:
        if measure.in_percent:
            x = 100 * x
            edges: list[float] = [0, 10, 20, 30, 40]
            palette = _POVERTY_COLORS
            names = ["under 10%", "10% to 20%", "20% to 30%", "30% to 40%", "40% or more"]
        else:
            edges = _nice_quantile_edges(x)[:-1]
            palette = _CHILD_COLORS[-len(edges) :] if len(edges) < 5 else _CHILD_COLORS
            upper = edges[1:] + [None]
            names = [f"{lo:,.0f} to {hi:,.0f}" if hi is not None else f"{lo:,.0f} or more" for lo, hi in zip(edges, upper)]
        idx = np.clip(np.searchsorted(np.asarray(edges, dtype=float), x, side="right") - 1, 0, len(edges) - 1)
    colors = [MISSING_COLOR if not np.isfinite(v) else palette[i] for v, i in zip(x, idx)]
    legend = list(zip(palette, names))
    if not np.isfinite(x).all():
        legend.append((MISSING_COLOR, "no children / no data"))
    return colors, legend
