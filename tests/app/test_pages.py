"""AppTest of every page: the figures on screen equal the core's, widgets drive the view, no exception."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gapmap.config import AnalysisParams
from gapmap.metrics import compute_summary, compute_tract_details, compute_tract_metrics, find_nearest_providers
from gapmap.viz.measures import MEASURES
from tests.app.conftest import texts

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def run_app(state=None, **query) -> AppTest:
    """A fresh run of the app, with sidebar widgets set by key through ``state`` before the run.

    AppTest resets Streamlit's pages-folder flag before each run, so after the first run it executes
    pages straight from pages/; gapmap.ui.frame.ensure_frame then draws the sidebar from the page."""
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def metric_values(at):
    return {m.label: m.value for m in at.metric}


def test_overview_shows_the_summary(demo):
    at = run_app()
    s = compute_summary(compute_tract_metrics(*demo)).set_index("band").loc["under_5"]
    got = metric_values(at)
    assert got["Children"] == f"{s['children']:,.0f}"
    assert got["Slots in the region"] == f"{s['slots']:,.0f}"
    assert got["Slots per 100 children"] == f"{s['slots_per_100']:.1f}"
    assert got["Children in CAP deserts"] == f"{s['share_in_cap_deserts']:.0%}"
    assert got["Desert tracts (CAP)"] == f"{s['cap_desert_tracts']:,} of {s['tracts']:,}"
    assert any("synthetic demo data" in i.value for i in at.info)
    table = at.dataframe[0].value
    assert len(table) == 3 and table["Children"].sum() == pytest.approx(compute_summary(compute_tract_metrics(*demo))["children"].sum())


def test_band_and_utilization_widgets_change_the_figures(demo):
    at = run_app()
    at.radio(key="band").set_value("0_2").run()
    s = compute_summary(compute_tract_metrics(*demo, AnalysisParams())).set_index("band").loc["0_2"]
    assert metric_values(at)["Children"] == f"{s['children']:,.0f}"
    assert at.subheader[0].value == "Infants and toddlers (ages 0-2)"
    at = run_app(state={"band": "0_2", "utilization": 0.85})
    assert at.slider(key="utilization").value == 0.85
    s85 = compute_summary(compute_tract_metrics(*demo, AnalysisParams(utilization=0.85))).set_index("band").loc["0_2"]
    assert metric_values(at)["Slots in the region"] == f"{s85['slots']:,.0f}"
    assert s85["slots"] == pytest.approx(0.85 * s["slots"])


def test_view_comes_from_the_url(demo):
    at = run_app(band="3_5", measure="access_per_100")
    assert at.radio(key="band").value == "3_5"
    assert at.selectbox(key="measure").value == "access_per_100"
    s = compute_summary(compute_tract_metrics(*demo)).set_index("band").loc["3_5"]
    assert metric_values(at)["Children"] == f"{s['children']:,.0f}"


def test_bad_url_values_fall_back_to_defaults():
    at = run_app(band="7_9", catchment_km="lots")
    assert at.radio(key="band").value == "under_5"
    assert at.slider(key="catchment_km").value == 10.0


@pytest.mark.parametrize("measure", list(MEASURES))
def test_map_page_runs_for_every_measure(measure):
    at = run_app(measure=measure)
    at.switch_page("pages/map.py").run()
    assert not at.exception, at.exception
    assert MEASURES[measure].label_for(None) in at.title[0].value


def test_selected_tract_shows_its_numbers_and_nearest_providers(demo):
    res = compute_tract_metrics(*demo)
    geoid = res.tracts["geoid"].iloc[10]
    at = run_app()
    at.switch_page("pages/map.py").run()
    assert "Click a tract" in at.info[-1].value
    at.session_state["selected_geoid"] = geoid
    at.run()
    assert not at.exception
    assert at.subheader[0].value.startswith(f"Tract {geoid}")
    details, nearest = at.dataframe[0].value, at.dataframe[1].value
    expected = compute_tract_details(res, geoid)
    assert details["Children"].tolist() == expected["Children"].tolist()
    assert details["Access per 100"].tolist() == pytest.approx(expected["Access per 100"].tolist())
    # privacy mode is on by default: the 5 nearest providers that are not family homes
    all_near = find_nearest_providers(res, geoid, len(res.providers))
    not_homes = all_near[all_near["type"] != "Family child care home"]
    assert nearest["Provider id"].tolist() == not_homes["provider_id"].head(5).tolist()
    assert nearest["Distance (km)"].is_monotonic_increasing

    at.toggle(key="privacy").set_value(False).run()
    assert at.dataframe[1].value["Provider id"].tolist() == find_nearest_providers(res, geoid, 5)["provider_id"].tolist()
    assert "Family child care home" in all_near["type"].head(5).tolist()  # the tract chosen has a home among its 5 nearest


def test_bad_data_shows_an_actionable_error_not_a_traceback(monkeypatch):
    import streamlit as st

    from gapmap.errors import DataValidationError, Problem
    from gapmap.ui import loaders

    def broken(_path):
        raise DataValidationError("providers.csv", [Problem(3, "capacity", "lots", "a number")])

    monkeypatch.setattr(loaders, "read_demo", broken)
    st.cache_data.clear()
    try:
        for page in (None, "pages/map.py"):
            at = AppTest.from_file(APP, default_timeout=60)
            if page:
                at.switch_page(page)
            at.run()
            assert not at.exception
            text = texts(at.error)[0]
            assert "Could not compute the metrics of this region" in text
            assert "providers.csv, row 3, column 'capacity', value 'lots': expected a number" in text
    finally:
        st.cache_data.clear()


def test_catchment_by_place_switch_changes_access_and_the_url(demo):
    at = run_app()
    at.toggle(key="catchment_by_place").set_value(True).run()
    assert not at.exception, at.exception
    expected = compute_summary(compute_tract_metrics(*demo, AnalysisParams(catchment_by_place=True))).set_index("band")
    table = at.dataframe[0].value.set_index("Age band")
    share = table.loc["All children under 5", "Children in access deserts (%)"]
    assert share == round(100 * expected.loc["under_5", "share_in_access_deserts"], 1)
    assert at.query_params["catchment_by_place"] == "True"
    assert any("by place (population density" in m.value for m in at.markdown)


def _layer_file(url: str) -> dict:
    """A layer file the map component was given, read back from the component's folder."""
    from gapmap.ui import webmap

    return json.loads((webmap.runtime_dir() / url).read_text())


def test_large_extent_starts_as_counties_with_one_tract_file_per_county(monkeypatch, demo):
    """Above the tile limit the map's layer is one file per county and a county layer for the zoomed-out
    view: no file holds every tract, and the counties are coloured from their roll-up."""
    from gapmap.ui import webmap
    from gapmap.viz import webmap as layers

    drawn = []
    monkeypatch.setattr(layers, "TILE_LIMIT", 100)  # the demo's 162 tracts count as a large extent
    monkeypatch.setattr(webmap, "draw_map", lambda args, key: drawn.append(args))
    at = run_app()
    at.switch_page("pages/map.py").run()
    assert not at.exception, at.exception
    tracts, _ = demo
    index = _layer_file(drawn[-1]["index"])
    assert index["min_zoom"] == layers.COUNTY_ZOOM and index["count"] == len(tracts)
    folder = drawn[-1]["index"].rsplit("/", 1)[0]
    per_file = {}
    for name, *box in index["tiles"]:
        features = _layer_file(f"{folder}/{name}")["features"]
        counties = {f["properties"]["c"] for f in features}
        assert len(counties) == 1  # one county per file
        per_file[counties.pop()] = len(features)
        assert box[0] <= min(f["geometry"]["coordinates"][0][0][0] for f in features)
    assert per_file == tracts["county"].value_counts().to_dict()
    counties = _layer_file(f"{folder}/{index['counties']}")["features"]
    assert sorted(f["properties"]["n"] for f in counties) == ["Alder County", "Basalt County", "Cascade County"]
    assert {f["properties"]["n"]: f["properties"]["t"] for f in counties} == per_file
    style = drawn[-1]["counties"]
    assert len(style["classes"]) == 3
    assert drawn[-1]["tile_styles"] == []  # no county's tracts in view yet: none styled
    # the map says it shows the first two tiles: the next run styles their tracts, and only theirs
    at.session_state["tract_map"] = {"tiles": [0, 1]}
    at.run()
    sent = drawn[-1]["tile_styles"]
    assert [k for k, *_ in sent] == [0, 1]
    assert [len(classes) for _k, classes, _values in sent] == [
        len(_layer_file(f"{folder}/{index['tiles'][k][0]}")["features"]) for k in (0, 1)
    ]


def test_the_glossary_explains_every_term_and_every_figure():
    from gapmap.glossary import FIGURES, TERMS, term_anchor
    from gapmap.measures import MEASURES
    from tests.app.conftest import open_page

    at = open_page("pages/glossary.py")
    text = " ".join(m.value for m in at.markdown)
    headings = {h.value: h.proto.anchor for h in at.subheader}
    for term in ("CAP rule", "OSU classes", "Access (E2SFCA)", "Margin of error (MOE)", "Reliability (CV)", "Utilization", "Privacy mode"):
        assert term in headings and TERMS[term][:40] in text
    # help icons link to /glossary#<anchor>: every term (and the table of figures) has its anchor
    assert headings == {**{t: term_anchor(t) for t in TERMS}, FIGURES: "every-figure"}
    assert term_anchor("Reliability (CV)") == "reliability-cv" and term_anchor("Access (E2SFCA)") == "access-e2sfca"
    assert "more than 50 children and more than 3 children per licensed slot" in TERMS["CAP rule"]
    table = at.dataframe[0].value
    assert len(table) == len(MEASURES) and "Slots per 100 children" in set(table["Figure"])


def _view(args: dict) -> tuple[float, ...]:
    """(minx, miny, maxx, maxy) the map component is asked to show."""
    return tuple(args["view"]["bounds"])


def test_the_place_search_zooms_to_a_county_and_selects_a_tract_found(monkeypatch, demo):
    from gapmap.ui import webmap

    drawn = []
    monkeypatch.setattr(webmap, "draw_map", lambda args, key: drawn.append((args["view"]["nonce"], _view(args))))
    tracts, providers = demo
    at = run_app()
    at.switch_page("pages/map.py").run()
    assert drawn[-1] == (0, tuple(float(v) for v in tracts.total_bounds))  # the whole region
    at.text_input(key="map_find").input("basalt county").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="map_zoom").value == "County: Basalt County"  # a new search zooms to its best match
    assert drawn[-1][1] == tuple(float(v) for v in tracts[tracts["county"] == "Basalt County"].total_bounds)
    # a tract found by its GEOID is zoomed to and selected: its figures show below the map
    geoid = tracts["geoid"].iloc[20]
    at.text_input(key="map_find").input(geoid).run()
    assert drawn[-1][1] == tuple(float(v) for v in tracts.geometry.iloc[20].bounds)
    assert at.subheader[0].value.startswith(f"Tract {geoid}")
    # 'Reset view' shows the whole region again (a new view key: the map moves even if the bounds were the same)
    at.button(key="map_reset").click().run()
    assert drawn[-1] == (1, tuple(float(v) for v in tracts.total_bounds))
    # privacy mode (on by default) keeps family homes out of the search; a center is found by its address
    home = providers[providers["type"] == "family_home"].iloc[0]
    at.text_input(key="map_find").input(home["address"]).run()
    assert not any(o.startswith(f"Provider: {home['name']}") for o in at.selectbox(key="map_zoom").options)
    center = providers[providers["type"] == "center"].iloc[0]
    at.text_input(key="map_find").input(center["address"]).run()
    assert at.selectbox(key="map_zoom").value == f"Provider: {center['name']}, {center['address']}"


def test_a_map_click_still_selects_another_tract_after_a_search(monkeypatch, demo):
    from gapmap.ui import webmap

    tracts, _ = demo
    found, clicked = tracts["geoid"].iloc[20], tracts["geoid"].iloc[40]
    answer: dict = {}
    monkeypatch.setattr(webmap, "draw_map", lambda args, key: answer)
    at = run_app()
    at.switch_page("pages/map.py").run()
    at.text_input(key="map_find").input(found).run()
    assert at.subheader[0].value.startswith(f"Tract {found}")
    answer.update(geoid=clicked, click=1)  # as the map component answers a click
    at.run()
    assert not at.exception, at.exception
    assert at.subheader[0].value.startswith(f"Tract {clicked}")  # the search's tract does not take it back
