"""Tract boundaries and fetched regions, against a recorded cartographic boundary file and ACS answers."""

import numpy as np
import pytest

from gapmap.errors import GapmapError
from gapmap.metrics import compute_tract_metrics
from gapmap.sources.geography import fetch_region, read_cb_tracts, resolve_counties, resolve_state
from tests.census_fake import FIXTURES, RecordedCensus
from tests.conftest import make_providers


def test_cb_file_read_and_water_tracts_flagged():
    cb = read_cb_tracts(FIXTURES / "cb_2023_41_tract_500k.zip")
    assert cb["geoid"].tolist() == ["41011000100", "41011000200", "41011000300", "41011990100", "41015950100", "41015950200"]
    assert cb.crs.equals("EPSG:4326")
    assert cb.loc[cb["geoid"] == "41011990100", "water_only"].item()
    assert cb["water_only"].sum() == 1
    assert set(cb["county"]) == {"Coos County", "Curry County"}


@pytest.mark.parametrize("given", ["41", "OR", "or", "Oregon", "41 "])
def test_states_by_code_postal_or_name(given):
    assert resolve_state(given) == "41"


def test_unknown_state_and_county():
    with pytest.raises(GapmapError, match="unknown state 'Oregone'"):
        resolve_state("Oregone")
    cb = read_cb_tracts(FIXTURES / "cb_2023_41_tract_500k.zip")
    known = cb[["county_fips", "county"]].drop_duplicates()
    assert resolve_counties(["Coos", "curry county", "011"], known) == ["011", "015"]
    with pytest.raises(GapmapError, match="unknown county 'Lane'.*Coos County"):
        resolve_counties(["Lane"], known)


def test_fetch_region_by_names_then_from_the_cache(tmp_path):
    session = RecordedCensus()
    steps = []
    tracts, path = fetch_region("OR", ["Coos", "Curry"], 2023, "k", session, tmp_path, progress=steps.append)
    assert path.name == "acs5_2023_41_011-015.parquet" and path.exists()
    assert len(tracts) == 6 and tracts["county"].tolist()[:2] == ["Coos County", "Coos County"]
    water = tracts.set_index("geoid").loc["41011990100"]
    assert np.isnan(water["children_0_2"])  # drawn, but left out of the analysis
    assert steps[0].startswith("Tract boundaries 2023") and steps[-1].startswith("Saved 6 tracts")
    n_calls = len(session.calls)
    # offline now: the cache answers, by codes or by names, and no request is made
    again, _ = fetch_region("Oregon", ["011", "015"], 2023, None, None, tmp_path)
    by_name, _ = fetch_region("OR", ["Curry County", "coos"], 2023, None, None, tmp_path)
    assert len(session.calls) == n_calls
    assert by_name["geoid"].tolist() == tracts["geoid"].tolist()
    assert again["geoid"].tolist() == tracts["geoid"].tolist()
    np.testing.assert_array_equal(again["children_0_2"].to_numpy(), tracts["children_0_2"].to_numpy())


def test_fetched_region_runs_through_the_metrics(tmp_path):
    tracts, _ = fetch_region("41", ["011"], 2023, "k", RecordedCensus(), tmp_path)
    res = compute_tract_metrics(tracts, make_providers([(-124.25, 43.35, 5, 10)]))
    t = res.tracts.set_index("geoid")
    assert t.loc["41011000100", "slots_0_2"] == 5
    assert t.loc["41011990100", "osu_class_0_2"] == "no data"
    assert any("no estimate of children_0_2" in n for n in res.notes)


def test_missing_boundary_file_is_explained(tmp_path):
    with pytest.raises(GapmapError, match="no 2019 tract boundary file for state 41"):
        fetch_region("41", ["011"], 2019, "k", RecordedCensus(), tmp_path)
