"""Cached loaders: read the data and compute the metrics once per input, not once per rerun.
Also where things live on this machine (the UI layer is one of the places allowed to know)."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from gapmap import schema as S
from gapmap.config import AnalysisParams
from gapmap.metrics import MetricsResult, compute_summary, compute_tract_metrics
from gapmap.sources.datasets import dataset_about, dataset_version, list_datasets, read_dataset, read_dataset_travel_times
from gapmap.sources.demo import DEMO_LABEL, read_demo
from gapmap.sources.session import default_cache_dir, default_datasets_dir, new_http_session
from gapmap.sources.travel_times import check_travel_times

__all__ = [
    "DATA_DIR",
    "DATASETS_DIR",
    "CACHE_DIR",
    "region_options",
    "load_region",
    "load_metrics",
    "load_summary",
    "region_version",
    "census_key",
    "new_http_session",
    "read_upload",
    "REGIONS_DIR",
    "load_region_sets",
    "load_map_geometry",
    "load_county_map",
    "load_tract_layer",
    "load_provider_layer",
    "load_tract_style",
]

#: The repository's data folder.
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
#: Bundled region definitions (hubs); see data/regions/README.md.
REGIONS_DIR = DATA_DIR / "regions"
#: Saved datasets and fetched data of this user: the same folders as the CLI's.
DATASETS_DIR = default_datasets_dir()
CACHE_DIR = default_cache_dir()


def region_options() -> dict[str, str]:
    """Data sources the sidebar offers: the demo, then saved datasets (key -> label)."""
    options = {"demo": f"Demo region ({DEMO_LABEL})"}
    options.update({key: f"{name} (your data)" for key, name in list_datasets(DATASETS_DIR).items()})
    return options


def region_version(region: str) -> str:
    """What identifies a region's content: every cache below is keyed on it, so a dataset saved again
    under the same name shows its new figures at once (read from its about.json: one small file)."""
    if region == "demo":
        return "demo"
    return dataset_version(DATASETS_DIR, region)


def load_region(region: str):
    """Validated (tracts, providers) of a region."""
    return _load_region(region, region_version(region))


@st.cache_data(show_spinner="Loading the region...", max_entries=16)
def _load_region(region: str, version: str):
    if region == "demo":
        return read_demo(DATA_DIR / "demo")
    return read_dataset(DATASETS_DIR, region)


def load_metrics(region: str, params: AnalysisParams) -> MetricsResult:
    return _load_metrics(region, region_version(region), params)


@st.cache_data(show_spinner="Computing deserts and access...", max_entries=32)
def _load_metrics(region: str, version: str, params: AnalysisParams) -> MetricsResult:
    """The metrics, with the desert chance (:func:`gapmap.metrics.probability.compute_desert_probability`,
    seed 0, :func:`~gapmap.metrics.probability.default_draws` draws) so that maps, tables and exports have it."""
    from gapmap.metrics.probability import compute_desert_probability, default_draws, with_desert_probability

    tracts, providers = _load_region(region, version)
    travel = _load_travel(region, version) if params.access_by == "travel_time" else None
    result = compute_tract_metrics(tracts, providers, params, travel=travel)
    prob = compute_desert_probability(result, draws=default_draws(len(result.tracts)), seed=0)
    return with_desert_probability(result, prob)


def load_travel_source(region: str) -> str | None:
    """Where the region's travel times came from (a sentence's part), or None when it has none."""
    return _load_travel_source(region, region_version(region))


@st.cache_data(show_spinner=False, max_entries=32)
def _load_travel_source(region: str, version: str) -> str | None:
    if region == "demo" or not (DATASETS_DIR / region / "travel_times.parquet").exists():
        return None
    about = dataset_about(DATASETS_DIR, region).get("travel_times")  # about.json only, not the table
    file = about.get("file") if isinstance(about, dict) else None
    return f"the travel-time table {file or 'saved with the data'}"


@st.cache_resource(show_spinner="Checking the travel times...", max_entries=4)
def _load_travel(region: str, version: str):
    """The region's saved travel-time table, checked against its tracts and providers (None when it has
    none). Kept as a resource: the table is read-only and may have millions of rows."""
    if region == "demo":
        return None
    saved = read_dataset_travel_times(DATASETS_DIR, region)
    if saved is None:
        return None
    table, about = saved
    tracts, providers = _load_region(region, version)
    router = None
    from gapmap.sources.routing import RoadNetwork, SiteRouter, routing_available

    roads = RoadNetwork.load(DATASETS_DIR / region) if routing_available() else None
    if roads is not None:
        from gapmap.metrics import compute_tract_points

        router = SiteRouter(roads, compute_tract_points(tracts), float(about.get("max_minutes") or 30.0))
    imp = check_travel_times(
        table,
        tracts[S.GEOID].to_numpy(object),
        providers[S.PROVIDER_ID].to_numpy(object),
        str(about.get("file") or "saved travel times"),
        about.get("max_minutes"),
        router,
    )
    return imp.times


def load_chance_about(region: str, params: AnalysisParams) -> str | None:
    """The About sentence of the metrics' desert chance (a string, cached: an About sheet on every rerun
    must not copy the whole result)."""
    return _load_chance_about(region, region_version(region), params)


@st.cache_data(show_spinner=False, max_entries=32)
def _load_chance_about(region: str, version: str, params: AnalysisParams) -> str | None:
    prob = _load_metrics(region, version, params).desert_probability()
    return prob.about() if prob is not None else None


def load_summary(region: str, params: AnalysisParams):
    return _load_summary(region, region_version(region), params)


@st.cache_data(max_entries=32)
def _load_summary(region: str, version: str, params: AnalysisParams):
    return compute_summary(_load_metrics(region, version, params))


def census_key() -> str | None:
    """The Census API key: the one entered on the Your data page for this session, else
    ``census_api_key`` in st.secrets, else CENSUS_API_KEY. Never shown, logged or written."""
    from gapmap.ui.state import CENSUS_KEY

    entered = CENSUS_KEY.get()
    if entered:
        return entered
    try:
        key = st.secrets.get("census_api_key")
    except Exception:  # no secrets file at all  # noqa: BLE001
        key = None
    return key or os.environ.get("CENSUS_API_KEY") or None


def read_upload(upload, reader):
    """Run a reader on an uploaded file, as a :class:`~gapmap.sources.files.UserFile` (its bytes and
    its base name; nothing is written to disk under the name the browser sent)."""
    from gapmap.sources.files import UserFile

    return reader(UserFile.of(upload.name, upload.getvalue()))


@st.cache_data(show_spinner=False)
def load_region_sets():
    """The bundled region sets (hubs of the demo and of Oregon...), read once."""
    from gapmap.regions import list_region_sets

    return list_region_sets(REGIONS_DIR)


def load_map_geometry(region: str) -> list[str]:
    """The region's tract polygons for maps (simplified as a coverage, rounded), once per dataset version."""
    return _load_map_geometry(region, region_version(region))


@st.cache_data(show_spinner="Preparing the map...", max_entries=8)
def _load_map_geometry(region: str, version: str) -> list[str]:
    from gapmap.viz.geometry import map_geometry

    tracts, _providers = _load_region(region, version)
    return map_geometry(tracts)


def load_county_map(region: str, params: AnalysisParams):
    """(county polygons, county roll-up, region of each tract) of a region, for maps of large extents."""
    return _load_county_map(region, region_version(region), params)


@st.cache_data(show_spinner="Drawing the counties...", max_entries=8)
def _load_county_map(region: str, version: str, params: AnalysisParams):
    from gapmap.regions import assign_regions, compute_rollup, county_region_set, dissolve_regions

    result = _load_metrics(region, version, params)
    assignment = assign_regions(result.tracts, county_region_set(result.tracts))
    return dissolve_regions(result.tracts, assignment), compute_rollup(result, assignment, include_total=False), assignment.region


def load_tract_layer(region: str) -> tuple[str, str, dict | None, tuple]:
    """(address of the tract layer's index, fingerprint of its tract order, the index itself when it is
    small enough to travel with every run, the tract rows of each tile) for the map component. The
    layer's files (:func:`gapmap.viz.webmap.tract_layer`) are written once per dataset version; every
    analysis of the dataset styles the same files."""
    from gapmap.viz import webmap as layers

    return _load_tract_layer(region, region_version(region), layers.TILE_LIMIT)


@st.cache_resource(show_spinner="Preparing the map...", max_entries=8)
def _load_tract_layer(region: str, version: str, tile_limit: int) -> tuple[str, str, dict | None, tuple]:
    from gapmap.ui import webmap
    from gapmap.viz import webmap as layers

    result = _load_metrics(region, version, AnalysisParams())
    geometry = _load_map_geometry(region, version)
    counties = county_of = None
    if len(result.tracts) > tile_limit:
        counties, _rollup, county_of = _load_county_map(region, version, AnalysisParams())
    layer = layers.tract_layer(
        result.tracts, geometry, namer=webmap.name_file, counties=counties, county_of=county_of, tile_limit=tile_limit
    )
    webmap.publish(layer.files)
    index = layer.files[layer.index_name]
    small = layer.index if len(index) <= 4_096 else None
    return webmap.geo_url(layer.index_name), layers.order_fingerprint(result.tracts), small, layer.tile_rows


def load_tract_style(region: str, params: AnalysisParams, band: str, measure: str) -> dict:
    """The map component's style of a band and measure (:func:`gapmap.viz.webmap.tract_style`), made once
    per analysis and shared (read only): a nation's 85,000 tracts take 0.15 s to style."""
    return _load_tract_style(region, region_version(region), params, band, measure)


@st.cache_resource(show_spinner=False, max_entries=32)
def _load_tract_style(region: str, version: str, params: AnalysisParams, band: str, measure: str) -> dict:
    from gapmap.viz.webmap import tract_style

    return tract_style(_load_metrics(region, version, params), band, measure)


def load_provider_layer(region: str, privacy: bool) -> tuple[str, list[dict]]:
    """(address of the providers' file, provider types) for the map component; in privacy mode the file
    holds no family child care home (:func:`gapmap.viz.webmap.provider_layer`)."""
    return _load_provider_layer(region, region_version(region), privacy)


@st.cache_resource(show_spinner=False, max_entries=8)
def _load_provider_layer(region: str, version: str, privacy: bool) -> tuple[str, list[dict]]:
    from gapmap.ui import webmap
    from gapmap.viz.webmap import provider_layer

    _tracts, providers = _load_region(region, version)
    name, content, types = provider_layer(providers, privacy, namer=webmap.name_file)
    webmap.publish({name: content})
    return webmap.geo_url(name), types


def load_places(region: str, privacy: bool):
    """The places of a dataset the map can zoom to (:func:`gapmap.regions.places.list_places`)."""
    return _load_places(region, region_version(region), privacy)


@st.cache_resource(show_spinner=False, max_entries=8)
def _load_places(region: str, version: str, privacy: bool) -> tuple:
    """Shared, not copied: a tuple of frozen places (a state has 22,000; copying them took a third of
    every Map page rerun)."""
    from gapmap.regions.places import list_places

    tracts, providers = _load_region(region, version)
    return tuple(list_places(tracts, providers, load_region_sets(), privacy))
