"""Supply inside tracts, the metrics table, summaries and tract details, on hand-made regions."""

import numpy as np
import pandas as pd
import pytest

from gapmap.config import AnalysisParams
from gapmap.errors import MissingColumnError, ParameterError
from gapmap.metrics import (
    compute_metrics_table,
    compute_summary,
    compute_tract_details,
    compute_tract_metrics,
    find_nearest_providers,
)
from gapmap.metrics.supply import compute_slots_in_tracts, locate_providers
from tests.conftest import REQUIRED_METRICS_COLUMNS, make_providers, make_tracts


def two_tracts():
    tracts = make_tracts([(0, 0, 1, 1), (1, 0, 2, 1)], children_0_2=[60.0, 20.0], children_3_5=[30.0, 40.0], children_under_5=[80.0, 50.0])
    providers = make_providers([(0.5, 0.5, 10, 20), (1.0, 0.5, 5, 0), (1.5, 0.2, 0, 12), (5.0, 5.0, 7, 7)])
    return tracts, providers


def test_locate_providers_boundary_counts_once_and_outside_is_reported():
    tracts, providers = two_tracts()
    loc = locate_providers(tracts, providers)
    # (1.0, 0.5) lies on the shared edge: it goes to the first tract; (5, 5) is outside both.
    assert loc.tract_pos.tolist() == [0, 0, 1, -1]
    assert loc.n_outside == 1


def test_slots_in_tracts_with_utilization():
    tracts, providers = two_tracts()
    supply = compute_slots_in_tracts(2, providers, locate_providers(tracts, providers), utilization=0.85)
    assert supply["licensed_slots_0_2"].tolist() == [15.0, 0.0]
    assert supply["licensed_slots_3_5"].tolist() == [20.0, 12.0]
    assert supply["licensed_slots_under_5"].tolist() == [35.0, 12.0]
    np.testing.assert_allclose(supply["slots_0_2"], [15 * 0.85, 0.0])
    assert supply["providers"].tolist() == [2, 1]


def test_tract_metrics_by_hand_and_inputs_untouched():
    tracts, providers = two_tracts()
    t0, p0 = tracts.copy(), providers.copy()
    res = compute_tract_metrics(tracts, providers, AnalysisParams(catchment_km=5.0))
    pd.testing.assert_frame_equal(tracts, t0)
    pd.testing.assert_frame_equal(providers, p0)
    t = res.tracts
    # tract 1: 60 infants, 15 slots -> 4 per slot: CAP desert (60 > 50), OSU desert
    assert t["children_per_slot_0_2"].tolist()[0] == 4.0
    assert t["slots_per_100_0_2"].tolist()[0] == 25.0
    assert t["cap_desert_0_2"].tolist() == [True, False]  # tract 2 has only 20 infants
    assert list(t["osu_class_0_2"]) == ["desert", "extreme desert"]
    # tract 2 under 5: 50 children, 12 slots -> 4.17 per slot, but not more than 50 children
    assert t["cap_desert_under_5"].tolist() == [False, False]
    # 3-5: tract 1 has 30 children for 20 slots (1.5 per slot); tract 2 has 40 for 12 (3.33 per slot)
    assert list(t["osu_class_3_5"]) == ["not a desert", "desert"]


def test_missing_band_column_is_named():
    tracts, providers = two_tracts()
    with pytest.raises(MissingColumnError, match="children_under_5"):
        compute_tract_metrics(tracts.drop(columns="children_under_5"), providers, bands=["under_5"])
    res = compute_tract_metrics(tracts.drop(columns="children_under_5"), providers)
    assert res.bands == ("0_2", "3_5")
    with pytest.raises(MissingColumnError, match="children_under_5"):
        compute_metrics_table(res, "under_5")


def test_summary_by_hand():
    tracts, providers = two_tracts()
    s = compute_summary(compute_tract_metrics(tracts, providers)).set_index("band")
    assert s.loc["0_2", "children"] == 80 and s.loc["0_2", "slots"] == 15
    assert s.loc["0_2", "slots_per_100"] == pytest.approx(100 * 15 / 80)
    assert s.loc["0_2", "cap_desert_tracts"] == 1
    assert s.loc["0_2", "share_in_cap_deserts"] == pytest.approx(60 / 80)
    assert s.loc["0_2", "share_in_osu_extreme"] == pytest.approx(20 / 80)
    assert s.loc["0_2", "share_in_osu_deserts"] == pytest.approx(1.0)


def test_metrics_table_columns_and_headline_band():
    tracts, providers = two_tracts()
    res = compute_tract_metrics(tracts, providers)
    table = compute_metrics_table(res, "0_2")
    for col in (*REQUIRED_METRICS_COLUMNS, "access_class"):
        assert col in table.columns
    assert table["cap_desert"].tolist() == table["cap_desert_0_2"].tolist()
    assert "geometry" not in table.columns


def test_tract_details_and_nearest():
    tracts, providers = two_tracts()
    res = compute_tract_metrics(tracts, providers)
    details = compute_tract_details(res, "99001000200")
    assert details["Children"].tolist() == [20.0, 40.0, 50.0]
    near = find_nearest_providers(res, "99001000200", k=2)
    assert near["provider_id"].tolist() == ["P3", "P2"]  # (1.5, 0.2) then (1.0, 0.5) from centroid (1.5, 0.5)
    with pytest.raises(ParameterError, match="not in this region"):
        compute_tract_details(res, "nope")


def test_parameters_are_validated():
    with pytest.raises(ParameterError, match="utilization"):
        AnalysisParams(utilization=1.5)
    with pytest.raises(ParameterError, match="decay"):
        AnalysisParams(decay="linear")
    with pytest.raises(ParameterError, match="catchment_km"):
        AnalysisParams(catchment_km=0)


def test_select_tracts_keeps_figures_and_nearby_providers(demo):
    from gapmap.metrics import compute_tract_metrics

    tracts, providers = demo
    res = compute_tract_metrics(tracts, providers)
    mask = (res.tracts["county"] == "Cascade County").to_numpy()
    part = res.select_tracts(mask, margin_deg=0.0)
    assert len(part.tracts) == mask.sum() and len(part.catchment_km) == mask.sum()
    assert part.tracts["access_per_100_under_5"].tolist() == res.tracts.loc[mask, "access_per_100_under_5"].tolist()
    minx, miny, maxx, maxy = res.tracts[mask].total_bounds
    lon, lat = providers["longitude"], providers["latitude"]
    inside_box = ((lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)).sum()
    assert len(part.providers) == inside_box
