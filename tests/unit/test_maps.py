"""Map builders: one feature per tract, escaped tooltips, legend with units, privacy mode."""

import dataclasses

import folium
import pandas as pd
import pytest

from gapmap.config import DEFAULT_PARAMS
from gapmap.metrics import compute_tract_metrics
from gapmap.schema import PROVIDER_TYPES
from gapmap.viz.maps import PROVIDER_COLORS, TRACT_PROPERTY, build_tract_map
from gapmap.viz.measures import MEASURES, classify_measure


def layers(fmap, name):
    return [c for c in fmap._children.values() if isinstance(c, folium.GeoJson) and c.layer_name == name]


@pytest.fixture(scope="module")
def result(demo):
    """The demo's metrics with the desert chance, as the app loads them."""
    from gapmap.metrics.probability import compute_desert_probability, with_desert_probability

    res = compute_tract_metrics(*demo)
    return with_desert_probability(res, compute_desert_probability(res, draws=200, seed=0))


def test_the_desert_chance_is_coloured_by_the_confidence_flags_and_shown_in_the_tooltip(result):
    """Bins: 10% or less (confident not), 10-50%, 50-90% (uncertain), 90% or more (confident desert); the
    tooltip of the folium map carries the chance of an access desert and of a CAP desert."""
    from gapmap.viz.measures import classify_measure

    chance = result.tracts["desert_chance_access_0_2"]
    colors, legend = classify_measure(MEASURES["desert_chance_access"], chance, result.params)
    by_label = dict((label, c) for c, label in legend)
    for v, c in zip(chance, colors):
        want = "10% or less" if v <= 0.1 else "10% to 50%" if v < 0.5 else "50% to 90%" if v < 0.9 else "90% or more"
        assert c == next(col for label, col in by_label.items() if label.startswith(want))
    html = build_tract_map(result, "0_2", "osu_class", tiles=None).get_root().render()
    assert "Chance of access desert" in html and "Chance of CAP desert" in html


@pytest.mark.parametrize("measure", list(MEASURES))
def test_every_measure_draws_one_feature_per_tract(result, measure):
    fmap = build_tract_map(result, "0_2", measure, tiles=None)
    (tracts,) = layers(fmap, "Tracts")
    assert len(tracts.data["features"]) == len(result.tracts)
    html = fmap.get_root().render()
    assert "gapmap-legend" in html
    if MEASURES[measure].kind == "number":
        assert MEASURES[measure].unit.replace("%", "&#x25;").split()[0] in html or MEASURES[measure].unit in html


def test_tooltip_values_are_the_numbers_and_escaped(result):
    t = result.tracts.copy()
    t.loc[0, "name"] = '<img src=x onerror="alert(1)">'
    hostile = dataclasses.replace(result, tracts=t)
    fmap = build_tract_map(hostile, "under_5", "slots_per_100", tiles=None)
    (tracts,) = layers(fmap, "Tracts")
    raw = tracts.data["features"][0]["properties"]
    props = {name: raw[key] for name, key in TRACT_PROPERTY.items() if key in raw}
    assert props["name"] == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    assert "<img src=x" not in fmap.get_root().render()
    assert props["geoid"] == t.loc[0, "geoid"]
    assert props["children"] == f"{t.loc[0, 'children_under_5']:,.0f}"
    assert props["osu_class"] == t.loc[0, "osu_class_under_5"]


def provider_layers(fmap):
    """The map's provider layers, by type label."""
    import folium

    return {
        c.layer_name.rsplit(" (", 1)[0]: c
        for c in fmap._children.values()
        if isinstance(c, folium.GeoJson) and c.layer_name.rsplit(" (", 1)[0] in PROVIDER_TYPES.values()
    }


def test_provider_names_are_escaped_and_privacy_hides_homes(result):
    prov = result.providers.copy()
    prov.loc[prov.index[0], "name"] = "<b>Bad</b> & Co"
    hostile = dataclasses.replace(result, providers=prov)
    fmap = build_tract_map(hostile, "0_2", "osu_class", tiles=None)
    by_type = provider_layers(fmap)
    # one layer per provider type present, named by its label and count, so the browser can hide a type
    assert set(by_type) == {PROVIDER_TYPES[t] for t in prov["type"].unique()}
    for label, layer in by_type.items():
        n = int((prov["type"].map(PROVIDER_TYPES) == label).sum())
        assert layer.layer_name == f"{label} ({n:,})" and len(layer.data["features"]) == n
        assert {f["properties"]["type"] for f in layer.data["features"]} == {label}
    feats = [f for layer in by_type.values() for f in layer.data["features"]]
    assert len(feats) == len(prov)
    assert "L.control.layers" in fmap.get_root().render() and "Tracts" not in fmap.get_root().render().split("L.control.layers")[1][:400]
    assert "&lt;b&gt;Bad&lt;/b&gt; &amp; Co" in {f["properties"]["name"] for f in feats}
    assert {f["properties"]["_fill"] for f in feats} == set(PROVIDER_COLORS.values())
    big = max(feats, key=lambda f: float(f["properties"]["capacity"].replace(",", "")))
    small = min(feats, key=lambda f: float(f["properties"]["capacity"].replace(",", "")))
    assert big["properties"]["_radius"] > small["properties"]["_radius"]

    private = build_tract_map(result, "0_2", "osu_class", privacy=True, tiles=None)
    n_homes = (result.providers["type"] == "family_home").sum()
    assert "Family child care home" not in provider_layers(private)
    assert sum(len(layer.data["features"]) for layer in provider_layers(private).values()) == len(result.providers) - n_homes
    assert "Family child care home</div>" not in private.get_root().render()


def test_supply_bins_sit_on_the_desert_thresholds():
    colors, legend = classify_measure(MEASURES["slots_per_100"], pd.Series([10.0, 10.01, 33.3, 33.34, 49.9, 50.0, 80.0]), DEFAULT_PARAMS)
    palette = [c for c, _ in legend]
    assert [palette.index(c) for c in colors] == [0, 1, 1, 2, 2, 3, 4]
    assert "extreme desert" in legend[0][1] and "desert" in legend[1][1]


def test_selected_tract_is_outlined(result):
    geoid = result.tracts["geoid"].iloc[5]
    fmap = build_tract_map(result, "0_2", "osu_class", selected_geoid=geoid, tiles=None)
    (sel,) = layers(fmap, "Selected tract")
    assert len(sel.data["features"]) == 1
