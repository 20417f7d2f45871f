"""Metrics per tract and band: supply inside the tract, desert rules, and E2SFCA access.

:func:`compute_tract_metrics` is the one call the app, CLI and notebooks make; the modules behind it
(:mod:`.supply`, :mod:`.deserts`, :mod:`.access`, :mod:`.band`) are the methods, each testable alone.
:func:`rollup_tracts` (:mod:`.rollup`) rolls any set of tracts up by the registry's rules.

Layer: above :mod:`gapmap.sources`, below :mod:`gapmap.analysis`. It may import :mod:`gapmap.sources`
and the foundation (``errors``, ``config``, ``schema``, ``measures``); never anything above.
"""

from gapmap.metrics.deserts import DESERT_CLASSES, DESERT_RULES, desert_mask
from gapmap.metrics.result import MetricsResult, available_bands, compute_tract_points
from gapmap.metrics.rollup import compute_headline_rows, compute_summary, rollup_tracts
from gapmap.metrics.tables import HEADLINE_MEASURES, compute_metrics_table, compute_tract_details, find_nearest_providers
from gapmap.metrics.tract import compute_tract_metrics

__all__ = [
    "MetricsResult",
    "compute_tract_metrics",
    "compute_tract_points",
    "compute_summary",
    "rollup_tracts",
    "find_nearest_providers",
    "compute_headline_rows",
    "compute_tract_details",
    "compute_metrics_table",
    "HEADLINE_MEASURES",
    "available_bands",
    "desert_mask",
    "DESERT_RULES",
    "DESERT_CLASSES",
]
