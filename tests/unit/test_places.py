"""The offline place search: counties, hubs, tracts and providers by name or address; homes hidden in privacy mode."""

from gapmap.regions.places import POINT_PAD_DEGREES, find_places, list_places
from gapmap.schema import validate_providers, validate_tracts
from gapmap.sources.demo import demo_hubs
from tests.conftest import make_providers, make_tracts


def _data():
    tracts = validate_tracts(make_tracts([(0.0, 0.0, 0.05, 0.05), (0.05, 0.0, 0.1, 0.05)], children_0_2=[60.0, 40.0]))
    tracts["name"] = ["Peña Flats, tract 10", "Peña Flats, tract 2"]
    prov = make_providers([(0.02, 0.02, 10, 0), (0.07, 0.03, 5, 0)])
    prov["type"] = ["center", "family_home"]
    prov["address"] = ["1 Elm St, Bend, OR", "9 Home Rd, Bend, OR"]
    return tracts, validate_providers(prov)


def test_places_are_found_by_any_words_without_accents_in_a_sensible_order():
    tracts, prov = _data()
    places = list_places(tracts, prov)
    assert [p.label for p in places if p.kind == "county"] == ["County: 99001"]  # the county column names it
    assert [p.bounds for p in places if p.kind == "county"] == [(0.0, 0.0, 0.1, 0.05)]
    # every word must match, accents ignored, tract 2 before tract 10
    found = find_places(places, "pena flats")
    assert [p.geoid for p in found] == ["99001000200", "99001000100"]
    assert found[0].bounds == (0.05, 0.0, 0.1, 0.05)
    (elm,) = find_places(places, "ELM bend")
    assert elm.kind == "provider" and elm.label.endswith("1 Elm St, Bend, OR")
    assert elm.bounds == (0.02 - POINT_PAD_DEGREES, 0.02 - POINT_PAD_DEGREES, 0.02 + POINT_PAD_DEGREES, 0.02 + POINT_PAD_DEGREES)
    assert find_places(places, "   ") == [] and find_places(places, "nowhere") == []


def test_privacy_mode_keeps_family_homes_out_of_the_search():
    tracts, prov = _data()
    assert [p.label for p in find_places(list_places(tracts, prov), "home rd")] != []
    assert find_places(list_places(tracts, prov, privacy=True), "home rd") == []
    assert find_places(list_places(tracts, prov, privacy=True), "elm") != []


def test_the_demo_hubs_are_places_with_the_bounds_of_their_tracts(demo):
    tracts, prov = demo
    places = list_places(tracts, prov, [demo_hubs()])
    (hub,) = [p for p in places if p.kind == "hub" and "Millbrook and Cascade Hub" in p.label]
    from gapmap.regions import assign_regions

    mine = assign_regions(tracts, demo_hubs()).region == "Millbrook and Cascade Hub"
    b = tracts[mine].total_bounds
    assert hub.bounds == tuple(float(v) for v in b)
    assert find_places(places, "millbrook")[0] is hub  # a region before the tracts that share its name
    assert sorted(p.label for p in places if p.kind == "county") == sorted(f"County: {c}" for c in tracts["county"].unique())
