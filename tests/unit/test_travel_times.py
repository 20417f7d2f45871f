"""Access by travel time: the table's checks, the time-band weights, and E2SFCA on minutes against a hand
computation and PySAL ``access`` handed the same cost table; scenarios, siting, the desert chance and the
distance / travel-time comparison on minutes."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gapmap import schema as S
from gapmap.analysis.scenarios import AddSlots, NewSite, Scenario, simulate_scenario
from gapmap.config import AnalysisParams
from gapmap.errors import DataSourceError, ParameterError
from gapmap.metrics import compute_tract_metrics
from gapmap.metrics.access_compare import compute_access_comparison
from gapmap.metrics.travel import travel_weights
from gapmap.sources.files import UserFile
from gapmap.sources.geography import read_tracts
from gapmap.sources.providers import read_providers
from gapmap.sources.travel_times import check_travel_times, import_travel_times

ROADS = Path(__file__).resolve().parents[1] / "fixtures" / "roads"
GEOIDS = np.array(["41011000100", "41011000200"], dtype=object)
IDS = np.array(["PE", "PW", "PS"], dtype=object)
#: minutes on the roads of the river town, worked out by hand (tests/fixtures/roads/README.md)
HAND = pd.DataFrame(
    {
        "geoid": ["41011000100"] * 3 + ["41011000200"] * 3,
        "provider_id": ["PS", "PW", "PE", "PE", "PS", "PW"],
        "minutes": [2.7799, 3.3359, 12.7206, 4.4478, 14.3885, 20.5043],
    }
)


def _river():
    return read_tracts(ROADS / "river_tracts.geojson"), read_providers(ROADS / "river_providers.csv")


def _times(table: pd.DataFrame = HAND):
    return check_travel_times(table, GEOIDS, IDS, "hand").times


# --- the table's checks ----------------------------------------------------------------------------
def test_every_bad_row_is_rejected_with_its_reason_and_nothing_is_dropped():
    csv = (
        "Tract,Destination,Total_TravelTime\n"
        "41011000100,PE,12.5\n"  # 1 ok
        "41011000100,PE,13\n"  # 2 repeats row 1
        "4101100020,PW,3\n"  # 3 a 10-digit GEOID gets its zero back: 04101100020 is not in the region
        "41011000200,P-NONE,3\n"  # 4 unknown provider
        ",PW,3\n"  # 5 no GEOID
        "41011000200,PW,soon\n"  # 6 not a number
        "41011000200,PS,-2\n"  # 7 negative
        "41011000200,PE,\n"  # 8 no minutes
        "41011000200, PW ,20.5\n"  # 9 ok (spaces around the id)
        "tract-2,PW,1\n"  # 10 not a GEOID
        "41011000200,,1\n"  # 11 no provider id
        "41011000200,PE,inf\n"  # 12 infinite
    )
    imp = import_travel_times(UserFile.of("od_cost_matrix.csv", csv.encode()), GEOIDS, IDS)
    assert imp.rows_read == 12 == len(imp.times) + len(imp.rejected)
    why = dict(zip(imp.rejected["row"], imp.rejected["reason"], strict=True))
    assert why == {
        2: "repeats the tract and provider of row 1",
        3: "no tract with this GEOID in the region",
        4: "no provider with this id in the region",
        5: "no tract GEOID",
        6: "the minutes are not a number",
        7: "the minutes are negative: expected a travel time of 0 minutes or more",
        8: "no minutes",
        10: f"the GEOID is not {S.GEOID_EXPECTED}",
        11: "no provider id",
        12: "the minutes are not a number",
    }
    assert sorted(zip(imp.times.tract, imp.times.provider, imp.times.minutes)) == [(0, 0, 12.5), (1, 1, 20.5)]
    assert imp.tracts_without_rows == []


def test_tracts_with_no_row_are_named_and_get_no_access():
    table = HAND[HAND.geoid == "41011000100"]
    imp = check_travel_times(table, GEOIDS, IDS, "west only")
    assert imp.tracts_without_rows == ["41011000200"]
    assert "no provider within the table's reach" in imp.notes[0] and "41011000200" in imp.notes[0]
    tracts, providers = _river()
    result = compute_tract_metrics(tracts, providers, travel=imp.times)
    assert result.tracts["access_per_100_under_5"].iloc[1] == 0.0
    assert result.tracts["access_class_under_5"].iloc[1] == "extreme desert"
    assert any("have no provider within the travel-time table's reach" in n for n in result.notes)


def test_parquet_tables_with_numeric_columns_read_the_same():
    buf = io.BytesIO()
    HAND.assign(geoid=HAND.geoid.astype("int64")).to_parquet(buf, index=False)  # GEOIDs stored as numbers
    imp = import_travel_times(UserFile.of("tt.parquet", buf.getvalue()), GEOIDS, IDS)
    assert len(imp.rejected) == 0 and len(imp.times) == 6
    np.testing.assert_allclose(np.sort(imp.times.minutes), np.sort(HAND.minutes))


def test_whole_file_problems_are_one_sentence_naming_the_file():
    with pytest.raises(DataSourceError, match=r"tt\.csv: no column 'minutes'"):
        import_travel_times(UserFile.of("tt.csv", b"geoid,provider_id,km\n41011000100,PE,3\n"), GEOIDS, IDS)
    with pytest.raises(DataSourceError, match=r"tt\.csv: none of its 1 rows can be used"):
        import_travel_times(UserFile.of("tt.csv", b"geoid,provider_id,minutes\n99999999999,PE,3\n"), GEOIDS, IDS)
    with pytest.raises(DataSourceError, match=r"tt\.csv: the content is an XML document"):
        import_travel_times(UserFile.of("tt.csv", b'<OGRVRTDataSource><OGRVRTLayer name="x"/></OGRVRTDataSource>'), GEOIDS, IDS)
    with pytest.raises(DataSourceError, match=r"tt\.xlsx|expected CSV table, Parquet table"):
        import_travel_times(UserFile.of("tt.geojson", b'{"type": "FeatureCollection", "features": []}'), GEOIDS, IDS)


# --- weights ---------------------------------------------------------------------------------------
def test_time_bands_hold_their_upper_edge_and_nothing_counts_beyond_the_last():
    p = AnalysisParams()
    got = travel_weights([0, 5.0, 5.001, 10.0, 12, 15.0, 15.01, 30.0, 30.01, 200], p)
    np.testing.assert_array_equal(got, [1, 1, 0.68, 0.68, 0.22, 0.22, 0.03, 0.03, 0, 0])
    g = travel_weights([0, 15, 30, 31], p.replace(travel_decay="gaussian"))
    edge = np.exp(-0.5)
    np.testing.assert_allclose(g, [1.0, (np.exp(-0.125) - edge) / (1 - edge), 0.0, 0.0], atol=1e-15)


# --- E2SFCA on minutes ------------------------------------------------------------------------------
def _hand_access(children: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """E2SFCA worked out with the default bands: west bank PS 1, PW 1, PE 0.22; east bank PE 1, PS 0.22, PW 0.03."""
    w = np.array([[0.22, 1.0, 1.0], [1.0, 0.03, 0.22]])  # tracts x (PE, PW, PS)
    demand = w.T @ children
    return w @ (slots / demand)


def test_access_on_minutes_equals_the_hand_computation():
    tracts, providers = _river()
    result = compute_tract_metrics(tracts, providers, travel=_times())
    kids = np.array([100.0, 50.0])
    slots = np.array([20.0, 10.0, 5.0])
    # by hand: D_PE = 0.22 * 100 + 50 = 72, D_PW = 100 + 0.03 * 50 = 101.5, D_PS = 100 + 0.22 * 50 = 111
    west = 0.22 * 20 / 72 + 10 / 101.5 + 5 / 111
    east = 20 / 72 + 0.03 * 10 / 101.5 + 0.22 * 5 / 111
    np.testing.assert_allclose(_hand_access(kids, slots), [west, east], rtol=1e-12)
    np.testing.assert_allclose(result.tracts["access_per_100_under_5"], 100 * np.array([west, east]), rtol=1e-12)
    assert result.access_by == "travel time" and result.n_pairs == 6
    assert "0-5 / 5-10 / 10-15 / 15-30 minutes weighted 1 / 0.68 / 0.22 / 0.03" in result.catchment_method
    # by distance (10 km) the west bank reaches PE across the river, 1.6 km away: the two disagree
    by_km = compute_tract_metrics(tracts, providers)
    assert by_km.access_by == "distance"
    assert not np.allclose(by_km.tracts["access_per_100_under_5"], result.tracts["access_per_100_under_5"])


def test_access_on_minutes_equals_pysal_access_on_the_same_cost_table():
    from access import Access, weights

    tracts, providers = _river()
    p = AnalysisParams()
    result = compute_tract_metrics(tracts, providers, p, travel=_times())
    demand = pd.DataFrame({"kids": [100.0, 50.0]}, index=pd.Index(GEOIDS, name="geoid"))
    supply = pd.DataFrame({"slots": [20.0, 10.0, 5.0]}, index=pd.Index(IDS, name="provider_id"))
    acc = Access(
        demand_df=demand,
        demand_value="kids",
        supply_df=supply,
        supply_value="slots",
        cost_df=HAND,
        cost_origin="geoid",
        cost_dest="provider_id",
        cost_name="minutes",
    )
    fn = weights.step_fn(dict(zip(p.travel_bands, p.travel_weights, strict=True)))
    got = acc.enhanced_two_stage_fca(name="e2sfca", weight_fn=fn, max_cost=p.travel_bands[-1])
    pysal = got.iloc[:, 0].reindex(GEOIDS).to_numpy(float)
    np.testing.assert_allclose(result.tracts["access_per_100_under_5"].to_numpy() / 100, pysal, rtol=1e-12)


def test_a_table_of_other_tracts_or_providers_is_refused():
    tracts, providers = _river()
    other = check_travel_times(HAND, np.array([*GEOIDS, "41011000300"], dtype=object), IDS, "x").times
    with pytest.raises(ParameterError, match="travel-time table is of 3 tracts"):
        compute_tract_metrics(tracts, providers, travel=other)


# --- scenarios, siting, chance, comparison on minutes ----------------------------------------------
def test_added_slots_on_minutes_equal_a_new_run():
    tracts, providers = _river()
    result = compute_tract_metrics(tracts, providers, travel=_times())
    sim = simulate_scenario(result, Scenario("test", (AddSlots("PE", 10, 20),)))
    more = providers.copy()
    more.loc[more.provider_id == "PE", ["slots_0_2", "slots_3_5", "capacity"]] = [18, 32, 50]
    again = compute_tract_metrics(tracts, S.validate_providers(more), travel=_times())
    np.testing.assert_allclose(sim.after["access_per_100_under_5"], again.tracts["access_per_100_under_5"], rtol=1e-12)


def test_a_new_site_with_only_a_table_is_approximate_from_the_nearest_provider():
    tracts, providers = _river()
    p = AnalysisParams(travel_speed_kmh=30.0)
    result = compute_tract_metrics(tracts, providers, p, travel=_times())
    # 1.0 km due north of PW (0.009 deg of latitude): PW's minutes + 1.0 km at 30 km/h = + 2.0 minutes
    lat = 44.03 + 1.0 / 111.19508
    sim = simulate_scenario(result, Scenario("test", (NewSite(latitude=lat, longitude=-123.011, slots_0_2=10, slots_3_5=10, name="N"),)))
    assert any("approximate" in n and "30 km/h" in n for n in sim.notes)
    # the site's minutes: west bank 3.3359 + 2.0 -> 0.68; east bank 20.5043 + 2.0 -> 0.03
    w = np.array([0.68, 0.03])
    kids = np.array([100.0, 50.0])
    gain = w * 20 / (w @ kids)
    before = result.tracts["access_per_100_under_5"].to_numpy()
    np.testing.assert_allclose(sim.after["access_per_100_under_5"], before + 100 * gain, rtol=1e-6)


def test_siting_on_minutes_uses_the_same_gains_as_a_simulated_site():
    from gapmap.analysis.siting import build_coverage

    tracts, providers = _river()
    result = compute_tract_metrics(tracts, providers, travel=_times())
    cov = build_coverage(result, "under_5", 20, objective="unmet")
    engine = result.access_engine()
    ti, cj, gain = engine.site_gains(result.tract_points(), np.array([100.0, 50.0]), 20)
    assert cov.matrix.shape == (2, 2) and len(ti) == len(gain) > 0
    for site in range(2):
        lon, lat = result.tract_points()[site]
        sim = simulate_scenario(result, Scenario("test", (NewSite(latitude=lat, longitude=lon, slots_0_2=10, slots_3_5=10, name="N"),)))
        added = sim.after["access_per_100_under_5"].to_numpy() - result.tracts["access_per_100_under_5"].to_numpy()
        expect = np.zeros(2)
        np.add.at(expect, ti[cj == site], 100 * gain[cj == site])
        np.testing.assert_allclose(added, expect, rtol=1e-9, atol=1e-12)


def test_the_desert_chance_runs_on_minutes():
    from gapmap.metrics.probability import compute_desert_probability

    tracts, providers = _river()
    result = compute_tract_metrics(tracts, providers, travel=_times())
    prob = compute_desert_probability(result, draws=50, seed=3)
    # no margins of error in this fixture: every draw is the estimate, so the chance is 0 or 1 and agrees
    # with the access class by travel time
    chance = prob.tracts["desert_chance_access_under_5"].to_numpy()
    desert = result.tracts["access_class_under_5"].isin(["desert", "extreme desert"]).to_numpy()
    np.testing.assert_array_equal(chance, desert.astype(float))


def test_the_comparison_names_the_tracts_whose_class_changes():
    tracts, providers = _river()
    p = AnalysisParams(catchment_km=2.0)
    result = compute_tract_metrics(tracts, providers, p, travel=_times())
    cmp = compute_access_comparison(result, "under_5").set_index("geoid")
    by_km = compute_tract_metrics(tracts, providers, p)
    np.testing.assert_allclose(
        cmp.loc[GEOIDS, "access_per_100_by_distance"], by_km.tracts["access_per_100_under_5"].round(2).to_numpy(), atol=1e-9
    )
    np.testing.assert_allclose(cmp.loc[GEOIDS, "access_per_100_by_time"], result.tracts["access_per_100_under_5"].round(2).to_numpy())
    for g in GEOIDS:
        d, t = cmp.at[g, "class_by_distance"], cmp.at[g, "class_by_time"]
        assert (cmp.at[g, "change"] == "same class") == (d == t)
    with pytest.raises(ParameterError, match="by distance only"):
        compute_access_comparison(by_km, "under_5")
