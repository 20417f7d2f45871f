"""Cached loaders: read the data and compute the metrics once per input, not once per rerun."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from gapmap.config import AnalysisParams
from gapmap.metrics import MetricsResult, compute_summary, compute_tract_metrics
from gapmap.sources.demo import read_demo

__all__ = ["DATA_DIR", "load_region", "load_metrics", "load_summary"]

#: The repository's data folder (the UI layer is the one place that knows where it is).
DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@st.cache_data(show_spinner="Loading the region...")
def load_region(region: str):
    """Validated (tracts, providers) of a region."""
    if region == "demo":
        return read_demo(DATA_DIR / "demo")
    raise KeyError(region)


@st.cache_data(show_spinner="Computing deserts and access...", max_entries=32)
def load_metrics(region: str, params: AnalysisParams) -> MetricsResult:
    tracts, providers = load_region(region)
    return compute_tract_metrics(tracts, providers, params)


@st.cache_data(max_entries=32)
def load_summary(region: str, params: AnalysisParams):
    return compute_summary(load_metrics(region, params))
