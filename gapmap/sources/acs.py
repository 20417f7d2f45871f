"""ACS statistics: reliability of estimates from their margins of error, and margins of sums and proportions.

The ACS publishes 90% margins of error. The coefficient of variation is

.. math:: CV = \\frac{MOE / 1.645}{\\text{estimate}}

and estimates with a CV above 0.40 are conventionally treated as unreliable (0.12 to 0.40 as fair, below
0.12 as good; e.g. ESRI and Census Bureau guidance). A zero estimate has no CV.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Z90", "RELIABILITY_CLASSES", "compute_cv", "classify_reliability", "combine_moe", "proportion_moe"]

Z90 = 1.645
GOOD_CV, FAIR_CV = 0.12, 0.40
RELIABILITY_CLASSES = ("good", "fair", "unreliable", "no estimate")


def compute_cv(estimate, moe) -> np.ndarray:
    """Coefficient of variation of each estimate; NaN where the estimate is 0 or missing."""
    est = np.asarray(estimate, dtype=float)
    moe = np.asarray(moe, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(est > 0, (moe / Z90) / est, np.nan)


def classify_reliability(cv, good: float = GOOD_CV, fair: float = FAIR_CV) -> pd.Categorical:
    """``good`` (CV at most 0.12), ``fair`` (at most 0.40), ``unreliable`` (above 0.40), ``no estimate``."""
    cv = np.asarray(cv, dtype=float)
    labels = np.select([np.isnan(cv), cv <= good, cv <= fair], ["no estimate", "good", "fair"], default="unreliable")
    return pd.Categorical(labels, categories=list(RELIABILITY_CLASSES))


def combine_moe(moe, estimate=None) -> float:
    """Margin of error of a sum of estimates: the square root of the sum of squared margins.

    Where several estimates are zero, only the largest of their margins is counted (Census Bureau,
    *Understanding and Using ACS Data*, 2020, ch. 8), since zeros' margins are not independent.
    A missing margin of a present estimate makes the result unknown (NaN).
    """
    moe = np.asarray(moe, dtype=float)
    if estimate is None:
        zero = np.zeros(moe.shape, dtype=bool)
        present = np.ones(moe.shape, dtype=bool)
    else:
        est = np.asarray(estimate, dtype=float)
        present = np.isfinite(est)
        zero = present & (est == 0)
    used = moe[present & ~zero]
    if np.isnan(used).any():
        return float("nan")
    total = float(np.sum(used**2))
    zero_moes = moe[zero]
    zero_moes = zero_moes[np.isfinite(zero_moes)]
    if zero_moes.size:
        total += float(zero_moes.max() ** 2)
    return float(np.sqrt(total))


def proportion_moe(numerator: float, numerator_moe: float, denominator: float, denominator_moe: float) -> float:
    """Margin of error of a proportion ``p = X / Y`` where X is a subset of Y (ACS handbook formula 4):
    ``sqrt(MOE_X^2 - p^2 MOE_Y^2) / Y``, falling back to the ratio formula (``+``) when the quantity
    under the root is negative."""
    if not denominator or not np.isfinite(denominator):
        return float("nan")
    p = numerator / denominator
    under = numerator_moe**2 - p**2 * denominator_moe**2
    if under < 0:
        under = numerator_moe**2 + p**2 * denominator_moe**2
    return float(np.sqrt(under) / denominator)
