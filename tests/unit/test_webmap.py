"""The map component's data: layer files written once per dataset, and restyles of one class and one value
per tract (gapmap.viz.webmap)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gapmap import schema as S
from gapmap.metrics import compute_tract_metrics
from gapmap.viz import webmap
from gapmap.viz.geometry import map_geometry


@pytest.fixture(scope="module")
def demo_result(demo):
    tracts, providers = demo
    return compute_tract_metrics(tracts, providers), map_geometry(tracts)


def _features(layer: webmap.LayerFiles) -> list[dict]:
    out = []
    for name, *_box in layer.index["tiles"]:
        out += json.loads(layer.files[name])["features"]
    return out


def test_the_tract_layer_holds_each_tract_once_in_the_result_order_with_its_fixed_figures(demo_result):
    result, geometry = demo_result
    t = result.tracts
    layer = webmap.tract_layer(t, geometry)
    assert layer.index["min_zoom"] is None and layer.index["counties"] is None and len(layer.index["tiles"]) == 1
    features = _features(layer)
    assert [f["properties"]["i"] for f in features] == list(range(len(t)))
    assert [f["properties"]["g"] for f in features] == t["geoid"].tolist()
    row = 17
    p = features[row]["properties"]
    assert p["n"] == t["name"].iloc[row] and p["c"] == t["county"].iloc[row]
    assert p["k"] == [round(t[f"children_{b}"].iloc[row]) for b in ("0_2", "3_5", "under_5")]
    assert p["m"] == [round(t[f"children_{b}_moe"].iloc[row]) for b in ("0_2", "3_5", "under_5")]
    cv = t["children_cv_0_2"].iloc[row]
    assert p["r"][0] == f"{t['reliability_0_2'].iloc[row]} (CV {cv:.2f})"
    # the box of the tile covers every tract
    _name, minx, miny, maxx, maxy = layer.index["tiles"][0]
    assert (minx, miny, maxx, maxy) == pytest.approx(tuple(t.total_bounds), abs=1e-5)


def test_file_names_follow_the_content(demo_result):
    result, geometry = demo_result
    a = webmap.tract_layer(result.tracts, geometry)
    b = webmap.tract_layer(result.tracts, geometry)
    assert a.files.keys() == b.files.keys()  # the same dataset: the same names, which a browser keeps
    changed = result.tracts.copy()
    changed.loc[changed.index[0], "name"] = "Renamed tract"
    c = webmap.tract_layer(changed, geometry)
    assert c.index_name != a.index_name and not (set(c.files) & set(a.files))
    keyed = webmap.tract_layer(result.tracts, geometry, namer=lambda content, kind: f"{kind}-x{len(content)}.json")
    assert keyed.index["tiles"][0][0] == f"tracts-x{len(a.files[a.index['tiles'][0][0]])}.json"


def test_a_split_layer_has_one_file_per_county_and_a_county_layer(demo_result):
    from gapmap.regions import assign_regions, county_region_set, dissolve_regions

    result, geometry = demo_result
    t = result.tracts
    assignment = assign_regions(t, county_region_set(t))
    counties = dissolve_regions(t, assignment)
    layer = webmap.tract_layer(t, geometry, counties=counties, county_of=assignment.region, tile_limit=100)
    index = layer.index
    assert index["min_zoom"] == webmap.COUNTY_ZOOM and len(index["tiles"]) == 3
    features = _features(layer)
    assert sorted(f["properties"]["i"] for f in features) == list(range(len(t)))  # every tract once
    for name, *_box in index["tiles"]:
        assert len({f["properties"]["g"][:5] for f in json.loads(layer.files[name])["features"]}) == 1
    county_features = json.loads(layer.files[index["counties"]])["features"]
    assert {f["properties"]["n"]: f["properties"]["t"] for f in county_features} == t["county"].value_counts().to_dict()
    with pytest.raises(Exception, match="county polygons"):
        webmap.tract_layer(t, geometry, tile_limit=100)


def test_a_class_restyle_names_each_tracts_class(demo_result):
    result, _ = demo_result
    style = webmap.tract_style(result, "0_2", "osu_class")
    assert style["values"] is None and style["measure"]["kind"] == "class"
    labels = [style["palette"][ord(ch) - 48][1] for ch in style["classes"]]
    expected = result.tracts["osu_class_0_2"].astype(object).where(result.tracts["osu_class_0_2"].notna(), "no data")
    assert labels == expected.tolist()
    assert style["band_index"] == 0 and style["band_label"] == "0-2"
    assert style["legend"]["title"] == "Desert class (OSU), ages 0-2"


def test_a_number_restyle_sends_the_number_behind_the_colour(demo_result):
    result, _ = demo_result
    style = webmap.tract_style(result, "under_5", "slots_per_100")
    x = result.tracts["slots_per_100_under_5"].to_numpy(float)
    # three significant figures, whole from 100: worked out one value at a time
    for v, sent in zip(x, style["values"]):
        if not np.isfinite(v):
            assert sent is None
        elif v == 0 or abs(v) >= 100:
            assert sent == round(v)
        else:
            assert sent == pytest.approx(float(f"{v:.3g}"), abs=1e-9)
    # the colour class follows the desert thresholds: at most 10 slots per 100 is the first class
    first = [ch == "0" for ch in style["classes"]]
    assert first == [bool(np.isfinite(v) and v <= 10) for v in x]
    percent = webmap.tract_style(result, "under_5", "poverty_share_100")
    share = result.tracts["poverty_share_100"].to_numpy(float)
    i = int(np.nanargmax(share))
    assert percent["measure"]["suffix"] == "%" and percent["values"][i] == pytest.approx(float(f"{100 * share[i]:.3g}"))


def test_privacy_keeps_every_family_home_out_of_the_provider_file(demo):
    _tracts, providers = demo
    name, content, types = webmap.provider_layer(providers, privacy=True)
    rows = json.loads(content)["p"]
    homes = providers["type"] == "family_home"
    assert len(rows) == int((~homes).sum()) and "family_home" not in [t["key"] for t in types]
    home_points = {(round(x, 5), round(y, 5)) for x, y in providers.loc[homes, ["longitude", "latitude"]].itertuples(index=False)}
    assert not home_points & {(r[0], r[1]) for r in rows}
    _name, everything, all_types = webmap.provider_layer(providers, privacy=False)
    assert len(json.loads(everything)["p"]) == len(providers) and [t["key"] for t in all_types] == list(S.PROVIDER_TYPES)
    center = providers[providers["type"] == "center"].iloc[0]
    row = next(r for r in json.loads(everything)["p"] if r[4] == center["name"])
    assert row[2] == round(center["capacity"]) and all_types[row[3]]["key"] == "center"


def test_a_hostile_name_travels_as_json_text(demo_result):
    result, geometry = demo_result
    t = result.tracts.copy()
    hostile = "</script><img src=x onerror=alert(1)>{{7*7}}"
    t.loc[t.index[0], "name"] = hostile
    layer = webmap.tract_layer(t, geometry)
    assert _features(layer)[0]["properties"]["n"] == hostile  # a JSON string: shown with textContent, never parsed as HTML


def test_a_state_restyle_stays_small():
    """At 7,000 tracts every restyle is far under the 150 KB the issue allows (sizes worked out: one
    character per tract, plus at most about six characters per number)."""
    from benchmarks.synth import generate_region

    tracts, providers = generate_region(7_000, 2_000, seed=3)
    result = compute_tract_metrics(tracts, providers)
    for measure in ("osu_class", "cap_desert", "slots_per_100", "access_per_100", "children"):
        for band in ("0_2", "under_5"):
            style = webmap.tract_style(result, band, measure)
            size = webmap.style_bytes(style)
            numbers = 0 if style["values"] is None else 7 * len(style["values"])
            assert size <= len(result.tracts) + numbers + 2_000 <= 150_000, (measure, band, size)


def test_county_restyle_colours_counties_from_their_rollup(demo_result):
    from gapmap.regions import assign_regions, compute_rollup, county_region_set, dissolve_regions

    result, _ = demo_result
    assignment = assign_regions(result.tracts, county_region_set(result.tracts))
    shapes = dissolve_regions(result.tracts, assignment)
    rollup = compute_rollup(result, assignment, include_total=False)
    style = webmap.county_style(shapes, rollup, "under_5", result.params, "share_in_osu_deserts")
    merged = shapes[["region"]].merge(rollup, on="region")
    share = 100 * pd.to_numeric(merged["share_in_osu_deserts_under_5"]).to_numpy(float)
    assert style["values"] == [pytest.approx(float(f"{v:.3g}")) for v in share]
    assert [ord(c) - 48 for c in style["classes"]] == [min(4, int(v // 20)) for v in share]
