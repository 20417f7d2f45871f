"""Shared fixtures: the committed demo region, and tiny hand-made regions whose answers are known."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gapmap.sources.demo import read_demo

# The app redacts error details for its users (.streamlit/config.toml); AppTest runs show them in full so
# a failing test says why. The browser tests start their server without this (tests/e2e/conftest.py).
os.environ.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")


@pytest.fixture(autouse=True)
def _full_error_details_in_apptest():
    from streamlit import config

    config.set_option("client.showErrorDetails", "full", where_defined="tests/conftest.py")
    yield


ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "data" / "demo"
FIXTURES = ROOT / "tests" / "fixtures"

#: The columns issue 2 requires of every `gapmap metrics` row, written out from the issue text.
REQUIRED_METRICS_COLUMNS = (
    "geoid", "children_0_2", "children_3_5", "children_under_5", "slots_0_2", "slots_3_5", "slots_under_5",
    "children_per_slot", "slots_per_100", "cap_desert", "osu_class", "access_per_100",
)  # fmt: skip


@pytest.fixture(scope="session")
def demo():
    """(tracts, providers) of the committed demo region, validated. Do not modify."""
    return read_demo(DEMO_DIR)


@pytest.fixture
def places(tmp_path, monkeypatch):
    """The app's dataset and cache folders in a temporary folder, caches cleared before and after."""
    import streamlit as st

    from gapmap.ui import loaders

    monkeypatch.setattr(loaders, "DATASETS_DIR", tmp_path / "datasets")
    monkeypatch.setattr(loaders, "CACHE_DIR", tmp_path / "cache")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield tmp_path
    st.cache_data.clear()
    st.cache_resource.clear()


def make_tracts(boxes, **counts) -> gpd.GeoDataFrame:
    """Tracts from (minx, miny, maxx, maxy) boxes in degrees, GEOIDs 99001000100, ...00200, ..."""
    data = {"geoid": [f"99001{(i + 1) * 100:06d}" for i in range(len(boxes))]}
    data.update(counts)
    return gpd.GeoDataFrame(data, geometry=[shapely.box(*b) for b in boxes], crs="EPSG:4326")


def make_providers(rows) -> pd.DataFrame:
    """Providers from (lon, lat, slots_0_2, slots_3_5) tuples; capacity = the sum of the slots."""
    return pd.DataFrame(
        {
            "provider_id": [f"P{i + 1}" for i in range(len(rows))],
            "name": [f"Provider {i + 1}" for i in range(len(rows))],
            "type": ["center"] * len(rows),
            "latitude": [float(r[1]) for r in rows],
            "longitude": [float(r[0]) for r in rows],
            "capacity": [float(max(r[2] + r[3], 1)) for r in rows],
            "slots_0_2": [float(r[2]) for r in rows],
            "slots_3_5": [float(r[3]) for r in rows],
            "funding": ["private"] * len(rows),
        }
    )
