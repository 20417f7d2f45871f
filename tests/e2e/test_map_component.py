"""The map component's page on its own (served as Streamlit serves a component, given a render as
Streamlit gives it): large extents load by county as the planner zooms."""

from __future__ import annotations

import json

from gapmap.metrics import compute_tract_metrics
from tests.e2e.tractmap import post_render


def test_a_split_layer_shows_counties_then_only_the_tracts_in_view(page, demo, component_server):
    """A large extent (here the demo with the split limit lowered to 100 tracts) opens as counties; zoomed
    in, the page fetches only the county files in view, and shows their tracts."""
    from gapmap.regions import assign_regions, compute_rollup, county_region_set, dissolve_regions
    from gapmap.viz import webmap
    from gapmap.viz.geometry import map_geometry

    tracts, providers = demo
    result = compute_tract_metrics(tracts, providers)
    assignment = assign_regions(result.tracts, county_region_set(result.tracts))
    counties = dissolve_regions(result.tracts, assignment)
    rollup = compute_rollup(result, assignment, include_total=False)
    layer = webmap.tract_layer(result.tracts, map_geometry(tracts), counties=counties, county_of=assignment.region, tile_limit=100)
    folder = component_server
    folder.add(layer.files)
    args = webmap.component_args(
        f"geo/{layer.index_name}",
        webmap.tract_style(result, "under_5", "osu_class"),
        bounds=result.tracts.total_bounds,
        tile_rows=layer.tile_rows,
        counties=webmap.county_style(counties, rollup, "under_5", result.params, "share_in_osu_deserts"),
    )
    fetched = []
    page.on("request", lambda r: "/geo/tracts-" in r.url and fetched.append(r.url))
    page.goto(folder.url + "/index.html")
    page.wait_for_function("() => window.gapmap !== undefined")
    post_render(page, args)
    page.wait_for_function("() => document.body.dataset.drawn === '1'")
    assert page.evaluate("() => window.gapmap.map().getZoom()") < webmap.COUNTY_ZOOM
    assert page.evaluate("() => window.gapmap.countiesShown()") == 3
    assert fetched == [] and page.evaluate("() => document.body.dataset.tracts") == "0"  # no tract geometry yet
    assert page.locator(".gapmap-legend summary").inner_text().startswith("Counties:")  # the counties' own legend
    # zoom in where one county's box is far from the others': only the files of the counties in view come
    boxes = {name: box for name, *box in layer.index["tiles"]}

    def outside(p, box):  # degrees from point p to a box (0 inside)
        x0, y0, x1, y1 = box
        return max(x0 - p.x, 0, p.x - x1) + max(y0 - p.y, 0, p.y - y1)

    points = [g.representative_point() for g in tracts.geometry]
    c = max(points, key=lambda p: sorted(outside(p, b) for b in boxes.values())[1])  # farthest from a second box
    page.evaluate(
        "() => { window.__reports = []; window.addEventListener('message', e => e.data.type === 'streamlit:setComponentValue' && window.__reports.push(e.data.value)); }"
    )
    page.evaluate(f"() => window.gapmap.map().setView([{c.y}, {c.x}], {webmap.COUNTY_ZOOM + 3}, {{animate: false}})")
    page.wait_for_function("() => Number(document.body.dataset.tracts) > 0")
    assert page.evaluate("() => window.gapmap.countiesShown()") == 0
    assert page.locator(".gapmap-legend summary").inner_text() == "Desert class (OSU), ages under 5"
    in_view = page.evaluate(
        "() => { const b = window.gapmap.map().getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
    )
    w, s, e, n = in_view
    expected = {name for name, (x0, y0, x1, y1) in boxes.items() if not (x1 < w or x0 > e or y1 < s or y0 > n)}
    assert {u.rsplit("/", 1)[-1] for u in fetched} == expected and 0 < len(expected) < 3
    shown = int(page.evaluate("() => document.body.dataset.tracts"))
    assert shown == sum(len(json.loads(layer.files[name])["features"]) for name in expected)
    assert page.errors == []
    # the page says which tiles it shows; the server's next render styles only those
    names = [name for name, *_box in layer.index["tiles"]]
    reported = page.evaluate("() => window.__reports[window.__reports.length - 1].tiles")
    assert sorted(names[k] for k in reported) == sorted(expected)
    style = webmap.tract_style(result, "0_2", "osu_class")
    again = webmap.component_args(
        f"geo/{layer.index_name}",
        style,
        bounds=result.tracts.total_bounds,
        tile_rows=layer.tile_rows,
        tiles_in_view=reported,
        counties=args["counties"],
    )
    assert [t[0] for t in again["tile_styles"]] == sorted(reported)
    post_render(page, again)
    page.wait_for_function("() => document.body.dataset.drawn === '2'")
    k = reported[0]
    row = int(layer.tile_rows[k][0])
    geoid = result.tracts["geoid"].iloc[row]
    assert page.evaluate("g => window.gapmap.fillOf(g)", geoid) == style["palette"][ord(style["classes"][row]) - 48][0]
    assert page.errors == []
