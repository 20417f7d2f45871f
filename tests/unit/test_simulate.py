"""Scenarios: incremental updates equal a full recompute; worked examples; bad changes are named."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapmap.analysis.scenarios import (
    AddSlots,
    CloseProvider,
    NewSite,
    Scenario,
    ScenarioError,
    SetUtilization,
    compare_outcomes,
    compare_scenarios,
    compute_changed_tract_rows,
    scenario_from_json,
    scenario_to_json,
    simulate_scenario,
)
from gapmap.config import AnalysisParams
from gapmap.metrics import compute_tract_metrics
from gapmap.schema import validate_providers


@pytest.fixture(scope="module")
def base(demo):
    return compute_tract_metrics(*demo)


def full_recompute(demo, providers, params=None):
    return compute_tract_metrics(
        demo[0],
        validate_providers(providers.drop(columns=["geoid"] + [c for c in providers.columns if c.startswith("ratio_")])),
        params or AnalysisParams(),
    )


def assert_same(sim, full):
    for b in full.bands:
        np.testing.assert_allclose(sim.after[f"access_per_100_{b}"], full.tracts[f"access_per_100_{b}"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(sim.after[f"slots_{b}"], full.tracts[f"slots_{b}"], atol=1e-9)
        assert list(sim.after[f"osu_class_{b}"]) == list(full.tracts[f"osu_class_{b}"])
        assert list(sim.after[f"access_class_{b}"]) == list(full.tracts[f"access_class_{b}"])


def test_a_mixed_scenario_equals_a_full_recompute(demo, base):
    p = demo[1]
    scen = Scenario(
        "mixed",
        (
            AddSlots(p["provider_id"].iloc[3], 12, 0),
            CloseProvider(p["provider_id"].iloc[10]),
            NewSite("New center", 44.05, -120.70, 20, 40),
            SetUtilization(0.85),
        ),
    )
    tracts_before, providers_before = base.tracts.copy(), base.providers.copy()
    sim = simulate_scenario(base, scen)
    pd.testing.assert_frame_equal(base.tracts, tracts_before)  # the inputs are untouched
    pd.testing.assert_frame_equal(base.providers, providers_before)
    full = full_recompute(demo, sim.providers, AnalysisParams(utilization=0.85))
    assert_same(sim, full)
    assert len(sim.providers) == len(p) + 1


def test_removing_every_provider_makes_every_tract_with_more_than_50_children_a_desert(demo, base):
    scen = Scenario("none", tuple(CloseProvider(pid) for pid in demo[1]["provider_id"]))
    sim = simulate_scenario(base, scen)
    kids = sim.after["children_under_5"]
    assert (sim.after.loc[kids > 50, "cap_desert_under_5"]).all()
    np.testing.assert_allclose(sim.after["access_per_100_under_5"], 0.0, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 271), st.integers(0, 30), st.integers(0, 30))
def test_adding_slots_never_lowers_any_tracts_access(base, j, a, b):
    sim = simulate_scenario(base, Scenario("add", (AddSlots(base.providers["provider_id"].iloc[j], a, b),)))
    for band in base.bands:
        assert (sim.after[f"access_per_100_{band}"] >= sim.before[f"access_per_100_{band}"] - 1e-9).all()


def test_two_tracts_by_hand():
    from gapmap.schema import validate_tracts
    from tests.conftest import make_providers, make_tracts

    tracts = validate_tracts(make_tracts([(0.0, 0.0, 0.05, 0.05), (0.05, 0.0, 0.1, 0.05)], children_0_2=[60.0, 40.0]))
    res = compute_tract_metrics(tracts, make_providers([(0.025, 0.025, 10, 0)]), AnalysisParams(catchment_km=20.0))
    # one provider, 10 slots, both tracts within 20 km: access = 10 / 100 = 0.1 slots per child everywhere
    np.testing.assert_allclose(res.tracts["access_per_100_0_2"], [10.0, 10.0])
    sim = simulate_scenario(res, Scenario("s", (AddSlots("P1", 20, 0),)))
    np.testing.assert_allclose(sim.after["access_per_100_0_2"], [30.0, 30.0])  # 30 slots / 100 children
    assert list(sim.after["slots_0_2"]) == [30.0, 0.0]
    cmp_ = compare_outcomes(sim).set_index("band").loc["Infants and toddlers (ages 0-2)"]
    assert cmp_["cap_desert_tracts_before"] == 1 and cmp_["cap_desert_tracts_after"] == 0  # 60 children, 10 -> 30 slots


def test_the_changed_tracts_table_and_scenarios_side_by_side_by_hand():
    from gapmap.schema import validate_tracts
    from tests.conftest import make_providers, make_tracts

    tracts = validate_tracts(make_tracts([(0.0, 0.0, 0.05, 0.05), (0.05, 0.0, 0.1, 0.05)], children_0_2=[60.0, 40.0]))
    res = compute_tract_metrics(tracts, make_providers([(0.025, 0.025, 10, 0)]), AnalysisParams(catchment_km=20.0))
    # access 0.1 -> 0.3 slots per child in both tracts: 60 x 0.2 = 12 and 40 x 0.2 = 8 more children reached
    rows = compute_changed_tract_rows(simulate_scenario(res, Scenario("s", (AddSlots("P1", 20, 0),))), "0_2")
    assert list(rows["Tract GEOID"]) == ["99001000100", "99001000200"]  # the bigger gain first
    assert list(rows["Children aged 0-2"]) == [60, 40]
    assert list(rows["Children who gain a slot within reach"]) == [12, 8]
    assert list(rows["Slots within reach: before"]) == [6, 4] and list(rows["Slots within reach: after"]) == [18, 12]
    assert list(rows["Access per 100: before"]) == [10, 10] and list(rows["Access per 100: after"]) == [30, 30]
    assert list(rows["Access class: before"]) == ["extreme desert"] * 2 and list(rows["Access class: after"]) == ["desert"] * 2
    assert list(rows["CAP desert: before"]) == ["yes", "no"] and list(rows["CAP desert: after"]) == ["no", "no"]
    # 200 more slots: access 2.1, so every child is reached (100 - 10 reached before = 90), never more
    side = compare_scenarios(
        res, {"Small": Scenario("Small", (AddSlots("P1", 20, 0),)), "Big": Scenario("Big", (AddSlots("P1", 200, 0),))}, "0_2"
    ).set_index("Scenario")
    assert list(side.index) == ["No changes", "Small", "Big"]
    assert list(side["Children who gain a slot within reach"]) == [0, 20, 90]
    assert list(side["Slots added, ages 0-2"]) == [0, 20, 200]
    assert list(side["Slots per 100 children aged 0-2"]) == [10, 30, 210]
    assert list(side["Children aged 0-2 living in access deserts"]) == [100, 100, 0]
    assert list(side["Children aged 0-2 living in CAP deserts"]) == [60, 0, 0]


def test_scenario_json_round_trips_and_bad_changes_are_named(base):
    scen = Scenario(
        "plan", (AddSlots("DEMO-0001", 4, 0), NewSite("Church", 44.3, -120.6, 8, 12), CloseProvider("DEMO-0002"), SetUtilization(0.9))
    )
    assert scenario_from_json(scenario_to_json(scen)) == scen
    with pytest.raises(ScenarioError, match="change 1 \\(add_slots\\): no provider with id 'NOPE'"):
        simulate_scenario(base, Scenario("x", (AddSlots("NOPE", 1, 0),)))
    with pytest.raises(ScenarioError, match="change 1 \\(new_site\\): 10, -100 is outside the region"):
        simulate_scenario(base, Scenario("x", (NewSite("Far", 10, -100, 5, 5),)))
    with pytest.raises(ScenarioError, match="slots at least 0"):
        simulate_scenario(base, Scenario("x", (NewSite("Neg", 44.3, -120.6, -5, 5),)))
    with pytest.raises(ScenarioError, match="removes more slots than the provider has"):
        simulate_scenario(base, Scenario("x", (AddSlots("DEMO-0001", -10_000, 0),)))
    with pytest.raises(ScenarioError, match="change 1 \\(add_slots\\): unknown field 'slots_0_5'.*age bands are slots_0_2 and slots_3_5"):
        scenario_from_json('{"changes": [{"kind": "add_slots", "provider_id": "DEMO-0001", "slots_0_5": 3}]}')
    with pytest.raises(ScenarioError, match="change 2: unknown kind 'teleport'"):
        scenario_from_json('{"changes": [{"kind": "close_provider", "provider_id": "A"}, {"kind": "teleport"}]}')


def test_comparison_by_county(base, demo):
    sim = simulate_scenario(base, Scenario("s", (NewSite("Hub", 44.05, -120.70, 30, 30),)))
    by = compare_outcomes(sim, by="county")
    assert set(by["group"]) == set(demo[0]["county"])
    overall = compare_outcomes(sim)
    for band, g in by.groupby("band"):
        o = overall.set_index("band").loc[band]
        assert g["children_in_access_deserts_change"].sum() == pytest.approx(o["children_in_access_deserts_change"])
    assert isinstance(sim.changed_tracts, np.ndarray) and len(sim.changed_tracts) > 0


def test_a_scenario_travels_in_a_link_code_and_a_bad_code_is_refused():
    import base64
    import zlib

    from gapmap.analysis.scenarios import MAX_CODE_CHARS, scenario_from_code, scenario_to_code
    from gapmap.errors import ScenarioError

    plan = Scenario("plan", (NewSite("Church", 44.05, -120.7, 20.0, 40.0, funding="private"), AddSlots("DEMO-0001", 5.0, -2.0)))
    code = scenario_to_code(plan)
    assert code is not None and len(code) < 300 and scenario_from_code(code) == plan
    for bad in ("not base64!", "AAAA", "", "x" * (MAX_CODE_CHARS + 1)):
        with pytest.raises(ScenarioError, match="damaged"):
            scenario_from_code(bad)
    not_a_scenario = base64.urlsafe_b64encode(zlib.compress(b'{"name": "x", "changes": [{"kind": "teleport"}]}')).decode().rstrip("=")
    with pytest.raises(ScenarioError, match="unknown kind 'teleport'"):
        scenario_from_code(not_a_scenario)
    # the most a code of the longest length can inflate to (zlib's ratio is at most 1032:1) stays below the
    # scenario file limit, and inflating stops at that limit anyway
    from gapmap.analysis.scenarios import MAX_SCENARIO_BYTES

    assert MAX_CODE_CHARS * 3 // 4 * 1032 < MAX_SCENARIO_BYTES
    dense = base64.urlsafe_b64encode(zlib.compress(b" " * 1_300_000, 9)).decode().rstrip("=")
    assert len(dense) <= MAX_CODE_CHARS
    with pytest.raises(ScenarioError):
        scenario_from_code(dense)  # 1.3 MB of spaces is no scenario
    many = Scenario("big", tuple(NewSite(f"Site {i}", 44.0 + i / 1000, -120.0 - i / 997, 1.0 + i, 2.0) for i in range(400)))
    assert scenario_to_code(many) is None  # too long for a link: it travels as a file
