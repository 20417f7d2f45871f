"""The simulate page: a map click places a site, changes apply, figures equal the core's, suggest, save/load."""

import json

import numpy as np
import pytest

from gapmap.analysis.scenarios import NewSite, Scenario, compare_outcomes, scenario_from_json, simulate_scenario
from tests.app.conftest import open_page, texts


def page(state=None):
    return open_page("pages/simulate.py", state)


def metrics(at):
    return {m.label: (m.value, m.delta) for m in at.metric}


def test_a_map_click_places_a_new_site_and_the_figures_follow(base, monkeypatch):
    import streamlit_folium

    at = page()
    assert metrics(at)["Children in access deserts"][1] == "no change"  # no change yet: said in words, no arrow
    # AppTest cannot click inside a component: answer as st_folium does after a click on the map
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda *a, **k: {"last_clicked": {"lat": 44.05, "lng": -120.70}})
    at.run()
    assert at.number_input(key="site_lat").value == pytest.approx(44.05)
    at.number_input(key="site_02").set_value(30)
    at.number_input(key="site_35").set_value(40)
    at.button(key="FormSubmitter:new_site-Add this site").click().run()
    assert not at.exception, at.exception
    assert at.session_state["scenario_changes"][0]["kind"] == "new_site"
    sim = simulate_scenario(base, Scenario("x", (NewSite("New site", 44.05, -120.70, 30.0, 40.0),)))
    expected = compare_outcomes(sim).set_index("band").loc["All children under 5"]
    value, delta = metrics(at)["Children in access deserts"]
    assert value == f"{expected['children_in_access_deserts_after']:,.0f}"
    assert delta == f"{expected['children_in_access_deserts_change']:+,.0f}"


def test_provider_change_suggest_and_json_round_trip(base, demo):
    at = page()
    at.selectbox(key="prov_pick").set_value(demo[1]["provider_id"].iloc[0])
    at.button(key="FormSubmitter:provider_change-Close it").click().run()
    assert at.session_state["scenario_changes"] == [{"kind": "close_provider", "provider_id": demo[1]["provider_id"].iloc[0]}]
    at.number_input(key="suggest_k").set_value(3)
    at.button(key="suggest").click().run()
    assert not at.exception, at.exception
    kinds = [c["kind"] for c in at.session_state["scenario_changes"]]
    assert kinds == ["close_provider", "new_site", "new_site", "new_site"]
    saved = scenario_from_json(json.dumps({"name": "plan", "changes": at.session_state["scenario_changes"]}))
    fresh = page()
    fresh.file_uploader(key="load_scenario").set_value(
        ("plan.json", json.dumps({"name": "plan", "changes": at.session_state["scenario_changes"]}).encode(), "application/json")
    ).run()
    assert not fresh.exception, fresh.exception
    assert scenario_from_json(json.dumps({"name": "plan", "changes": fresh.session_state["scenario_changes"]})) == saved


def test_a_bad_change_is_named_not_a_traceback():
    at = page({"scenario_changes": [{"kind": "add_slots", "provider_id": "NOPE", "slots_0_2": 5.0}]})
    assert "no provider with id 'NOPE'" in texts(at.error)[0]


def test_a_new_site_asks_its_funding_and_the_before_after_table_is_in_words(base):
    at = page()
    at.selectbox(key="site_funding").set_value("private")
    at.selectbox(key="site_type").set_value("family_home")
    at.button(key="FormSubmitter:new_site-Add this site").click().run()
    assert not at.exception, at.exception
    change = at.session_state["scenario_changes"][0]
    assert (change["funding"], change["type"]) == ("private", "family_home")
    assert any(s.startswith("Added New site: 16 slots for ages 0-2 and 20 for ages 3-5") for s in texts(at.success))
    at.run()  # the message stays until the next change
    assert any(s.startswith("Added New site") for s in texts(at.success))
    table = next(d.value for d in at.dataframe if "Area" in d.value.columns)
    sim = simulate_scenario(base, scenario_from_json(json.dumps({"name": "x", "changes": [change]})))
    expected = compare_outcomes(sim, by="county")
    assert table["Area"].tolist() == expected["group"].tolist()
    assert table["Slots per 100 children: after"].tolist() == pytest.approx(expected["slots_per_100_after"].round(1).tolist())
    assert table["Children living in access deserts: change"].tolist() == pytest.approx(
        expected["children_in_access_deserts_change"].round(0).tolist()
    )


def test_a_link_carries_the_scenario_and_a_damaged_one_says_so(base):
    from streamlit.testing.v1 import AppTest

    from gapmap.analysis.scenarios import Scenario, scenario_from_code, scenario_to_code
    from tests.app.conftest import APP

    plan = Scenario("plan", (NewSite("Church", 44.05, -120.7, 30.0, 40.0),))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["scenario"] = scenario_to_code(plan)
    at.run()
    at.switch_page("pages/simulate.py").run()
    assert not at.exception, at.exception
    assert at.session_state["scenario_changes"][0]["name"] == "Church"
    expected = compare_outcomes(simulate_scenario(base, plan)).set_index("band").loc["All children under 5"]
    assert metrics(at)["Children in access deserts"][0] == f"{expected['children_in_access_deserts_after']:,.0f}"
    assert scenario_from_code(at.query_params["scenario"]) == plan  # and the page keeps it in its link
    bad = AppTest.from_file(APP, default_timeout=90)
    bad.query_params["scenario"] = "AAAA"
    bad.run()
    bad.switch_page("pages/simulate.py").run()
    assert not bad.exception, bad.exception
    assert any("scenario code is damaged" in e for e in texts(bad.error))


def _reached_gain(sim, band="under_5"):
    """Children x min(1, access), after minus before, per tract: worked from the simulation's own columns."""
    kids = sim.before[f"children_{band}"].to_numpy(float)
    a0 = np.clip(sim.before[f"access_per_100_{band}"].to_numpy(float) / 100, 0, 1)
    a1 = np.clip(sim.after[f"access_per_100_{band}"].to_numpy(float) / 100, 0, 1)
    return kids * (a1 - a0)


def test_the_changed_tracts_table_says_who_gains_a_slot_within_reach(base):
    at = page()
    assert not any("Tract" in d.value.columns for d in at.dataframe)  # nothing changed yet
    at.number_input(key="site_lat").set_value(44.05)
    at.number_input(key="site_lon").set_value(-120.70)
    at.button(key="FormSubmitter:new_site-Add this site").click().run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "Children who gain a slot within reach" in d.value.columns and "Tract" in d.value.columns)
    sim = simulate_scenario(base, Scenario("x", (NewSite("New site", 44.05, -120.70, 16.0, 20.0),)))
    gain = _reached_gain(sim)
    changed = sim.before.iloc[sim.changed_tracts]
    assert sorted(table["Tract GEOID"]) == sorted(changed["geoid"])
    by_geoid = dict(zip(sim.before["geoid"], gain))
    assert table["Children who gain a slot within reach"].tolist() == pytest.approx([round(by_geoid[g]) for g in table["Tract GEOID"]])
    assert table["Children who gain a slot within reach"].is_monotonic_decreasing  # the biggest gains first
    kids = dict(zip(sim.before["geoid"], sim.before["children_under_5"]))
    assert table["Children under 5"].tolist() == [round(kids[g]) for g in table["Tract GEOID"]]
    assert metrics(at)["Children who gain a slot within reach"][0] == f"{gain.sum():+,.0f}"


def test_kept_scenarios_are_compared_side_by_side_and_reopened(base):
    at = page()
    at.number_input(key="site_lat").set_value(44.05)
    at.number_input(key="site_lon").set_value(-120.70)
    at.button(key="FormSubmitter:new_site-Add this site").click().run()
    at.text_input(key="keep_name").input("One site")
    at.button(key="keep_scenario").click().run()
    at.number_input(key="site_lat").set_value(44.30)
    at.number_input(key="site_lon").set_value(-120.90)
    at.button(key="FormSubmitter:new_site-Add this site").click().run()
    at.text_input(key="keep_name").input("Two sites")
    at.button(key="keep_scenario").click().run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "Scenario" in d.value.columns)
    assert table["Scenario"].tolist() == ["No changes", "One site", "Two sites"]
    one = (NewSite("New site", 44.05, -120.70, 16.0, 20.0),)
    two = (*one, NewSite("New site", 44.30, -120.90, 16.0, 20.0))
    gains = [0.0] + [_reached_gain(simulate_scenario(base, Scenario("s", c))).sum() for c in (one, two)]
    assert table["Children who gain a slot within reach"].tolist() == pytest.approx([round(g) for g in gains])
    assert table["Slots added, ages under 5"].tolist() == pytest.approx([0, 36 * base.params.utilization, 72 * base.params.utilization])
    at.selectbox(key="kept_pick").set_value("One site")
    at.button(key="kept_open").click().run()
    assert [c["latitude"] for c in at.session_state["scenario_changes"]] == [44.05]
    at.button(key="kept_remove").click().run()
    table = next(d.value for d in at.dataframe if "Scenario" in d.value.columns)
    assert table["Scenario"].tolist() == ["No changes", "Two sites"]


@pytest.mark.parametrize("band", ["under_5", "0_2"])
def test_site_suggestions_start_from_the_pages_age_band(band):
    at = page({"band": band})
    assert at.selectbox(key="suggest_band").value == band
    assert at.title[0].value.endswith(f"ages {'under 5' if band == 'under_5' else '0-2'}")


def test_every_change_says_what_it_did_and_a_name_shows_as_text(demo):
    at = page()
    at.text_input(key="site_name").set_value("[click](https://example.org) **bold**")
    at.button(key="FormSubmitter:new_site-Add this site").click().run()
    notice = at.success[0].value
    assert "[click](https://example.org)" not in notice and "**bold**" not in notice  # escaped markdown
    assert texts(at.success)[0].startswith("Added [click](https://example.org) **bold**: 16 slots")
    pid, name = demo[1]["provider_id"].iloc[3], demo[1]["name"].iloc[3]
    at.selectbox(key="prov_pick").set_value(pid)
    at.button(key="FormSubmitter:provider_change-Add slots").click().run()
    assert texts(at.success) == [f"Changed {name}: +10 slots for ages 0-2 and +0 for ages 3-5. The figures below include it."]
    at.button(key="FormSubmitter:provider_change-Close it").click().run()
    assert texts(at.success) == [f"Closed {name}. The figures below include it."]
