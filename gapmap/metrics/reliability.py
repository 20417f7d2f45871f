"""Reliability of ACS estimates from their margins of error.

The ACS publishes 90% margins of error. The coefficient of variation is

.. math:: CV = \\frac{MOE / 1.645}{\\text{estimate}}

and estimates with a CV above 0.40 are conventionally treated as unreliable (0.12 to 0.40 as fair, below
0.12 as good; e.g. ESRI and Census Bureau guidance). A zero estimate has no CV.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Z90", "RELIABILITY_CLASSES", "compute_cv", "classify_reliability"]

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
