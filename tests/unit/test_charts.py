"""Comparison charts and the region map: thresholds drawn where the parameters put them, user-supplied
names escaped wherever they reach HTML."""

from __future__ import annotations

import json

import pytest

from gapmap.config import AnalysisParams
from gapmap.metrics import compute_tract_metrics
from gapmap.regions import ALL_TRACTS, assign_regions, dissolve_regions, region_set_from_table
from gapmap.regions.compare import compare_regions
from gapmap.viz.charts import build_compare_bar_chart, build_desert_share_chart, build_equity_chart, build_need_supply_chart
from gapmap.viz.maps import REGION_CLASS, build_region_map

EVIL = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def evil(demo):
    tracts, providers = demo
    res = compute_tract_metrics(tracts, providers)
    geoids = res.tracts["geoid"].tolist()
    import pandas as pd

    table = pd.DataFrame({"geoid": geoids, "region": [EVIL if i % 3 == 0 else "Plain & simple" for i in range(len(geoids))]})
    rs = region_set_from_table(table, source="evil.csv")
    return res, rs, compare_regions(res, rs)


def test_bar_chart_draws_both_thresholds(evil):
    res, _rs, comp = evil
    params = AnalysisParams(desert_children_per_slot=4.0, extreme_children_per_slot=8.0)
    fig = build_compare_bar_chart(comp.rollup, "under_5", params)
    lines = sorted(s["y0"] for s in fig.layout.shapes)
    assert lines == pytest.approx([100 / 8, 100 / 4])
    bar = fig.data[0]
    assert list(bar.y) == pytest.approx(comp.rollup["slots_per_100_under_5"].tolist())
    assert bar.marker.color[-1] == "#999999"  # the all-tracts reference bar is grey


def test_scatter_lines_and_points(evil):
    _res, _rs, comp = evil
    params = AnalysisParams()
    fig = build_need_supply_chart(comp.rollup, "under_5", params)
    desert_line, extreme_line, *points = fig.data
    assert desert_line.y[1] == pytest.approx(desert_line.x[1] / 3)
    assert extreme_line.y[1] == pytest.approx(extreme_line.x[1] / 10)
    regions = comp.rollup[comp.rollup["region"] != ALL_TRACTS]
    assert [p.x[0] for p in points] == pytest.approx(regions["children_under_5"].tolist())
    assert [p.y[0] for p in points] == pytest.approx(regions["slots_under_5"].tolist())


def test_names_are_escaped_in_charts(evil):
    _res, _rs, comp = evil
    figs = [
        build_compare_bar_chart(comp.rollup, "under_5", AnalysisParams()),
        build_desert_share_chart(comp.rollup, "under_5"),
        build_need_supply_chart(comp.rollup, "under_5", AnalysisParams()),
        build_equity_chart(comp.equity, EVIL, "OSU deserts"),
    ]
    for fig in figs:
        text = fig.to_json()
        assert "<img" not in text
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in text


def test_region_map_one_shape_per_region_escaped(evil):
    res, rs, comp = evil
    shapes = dissolve_regions(res.tracts, assign_regions(res.tracts, rs))
    fmap = build_region_map(shapes, comp.rollup, "under_5", res.params, "share_in_osu_deserts")
    html_text = fmap.get_root().render()
    assert "<img src=x" not in html_text
    assert html_text.count(REGION_CLASS + '"') >= 1
    geo = next(v for k, v in fmap._children.items() if k.startswith("geo_json"))
    feats = geo.data["features"]
    assert [f["properties"]["region"] for f in feats] == ["&lt;img src=x onerror=&quot;alert(1)&quot;&gt;", "Plain &amp; simple"]
    share = comp.rollup.set_index("region").loc[EVIL, "share_in_osu_deserts_under_5"]
    assert feats[0]["properties"]["share_osu"] == f"{100 * share:.1f}%"
    json.dumps(feats)  # serialisable
