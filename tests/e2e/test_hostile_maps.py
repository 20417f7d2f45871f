"""Every map builder, fed hostile names, runs in Chromium without running any of them.

Names are planted where users control text: tract names and counties (a tract file), provider names
(a licensing export), new-site names (a scenario file or the site-name field) and region names (a region
file). Each payload, if it ran, would open a dialog or set ``window.__pwned``. The page opens every
tooltip (hover text is built when shown), and the test asserts no dialog opened, nothing was set,
no script error happened, and the names are shown as text.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from gapmap.analysis.ranking import PRESETS, rank_areas, rank_tracts
from gapmap.analysis.scenarios import NewSite, Scenario, simulate_scenario
from gapmap.metrics import compute_tract_metrics
from gapmap.outputs.report import to_report_html
from gapmap.regions import assign_regions, compute_rollup, county_region_set, dissolve_regions
from gapmap.viz.maps import build_priority_map, build_region_map, build_scenario_map, build_tract_map
from tests.e2e.tractmap import post_render

#: Each would run script if a builder put it in JavaScript source or unescaped HTML.
PAYLOADS = (
    "${alert(1)}${window.__pwned=1}",
    "St Mary`s Preschool `+alert(2)+`",
    "</script><script>alert(3);window.__pwned=1</script>",
    '<img src=x onerror="alert(4);window.__pwned=1">',
    '"><svg onload="alert(5);window.__pwned=1">',
    "'); alert(6); window.__pwned=1; //",
    "{{ 7*7 }} {% raw %}",
)

OPEN_EVERY_TOOLTIP = """() => {
  let opened = 0;
  for (const k of Object.keys(window)) {
    let v;
    try { v = window[k]; } catch (e) { continue; }
    if (v && v instanceof L.Map) {
      v.eachLayer(l => { if (l.getTooltip && l.getTooltip()) { l.openTooltip(); opened += 1; } });
    }
  }
  return opened;
}"""


@pytest.fixture(scope="module")
def hostile(demo):
    tracts, providers = demo
    t = tracts.copy()
    p = providers.copy()
    for i, payload in enumerate(PAYLOADS):
        t.loc[t.index[i], "name"] = payload
        t.loc[t.index[i + len(PAYLOADS)], "county"] = payload
        p.loc[p.index[i], "name"] = payload
    result = compute_tract_metrics(t, p)
    return result


def _maps(result):
    ranked = rank_tracts(result, PRESETS["balanced"])
    ranked["why"] = [PAYLOADS[i % len(PAYLOADS)] for i in range(len(ranked))]
    minx, miny, maxx, maxy = result.tracts.total_bounds
    sites = [
        NewSite(payload, float(miny + (maxy - miny) * (k + 1) / 9), float(minx + (maxx - minx) * (k + 1) / 9), 10.0, 10.0)
        for k, payload in enumerate(PAYLOADS)
    ]
    sim = simulate_scenario(result, Scenario("x", tuple(sites)))
    site_table = pd.DataFrame([dataclasses.asdict(s) for s in sites])
    assignment = assign_regions(result.tracts, county_region_set(result.tracts))
    regions = dissolve_regions(result.tracts, assignment)
    rollup = compute_rollup(result, assignment, include_total=False)
    renamed = {name: PAYLOADS[k % len(PAYLOADS)] for k, name in enumerate(regions["region"])}  # names from a region file
    regions["region"] = regions["region"].map(renamed)
    rollup["region"] = rollup["region"].map(renamed)
    return {
        "tract map": build_tract_map(result, "under_5", "osu_class", tiles=None),
        "tract map, privacy": build_tract_map(result, "0_2", "access_per_100", privacy=True, tiles=None),
        "priority map": build_priority_map(result, ranked, 10, tiles=None),
        "scenario map": build_scenario_map(result, sim.after, "under_5", sim.changed_tracts, site_table, tiles=None),
        "region map": build_region_map(regions, rollup, "under_5", result.params, tiles=None),
    }


def test_no_map_runs_a_hostile_name(page, hostile):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for label, fmap in _maps(hostile).items():
        html = fmap.get_root().render()
        assert "<script>alert(3)" not in html and "<img src=x" not in html, label
        page.set_content(html, wait_until="load")
        page.wait_for_function("() => typeof L !== 'undefined'")
        opened = page.evaluate(OPEN_EVERY_TOOLTIP)
        assert opened > 0, f"{label}: no tooltip to open"
        shown = page.evaluate(
            "() => Array.from(document.querySelectorAll('.leaflet-tooltip, .gapmap-region-label')).map(e => e.textContent).join('\\n')"
        )
        assert page.evaluate("() => window.__pwned") is None, label
        assert dialogs == [], f"{label}: a dialog opened: {dialogs}"
        assert page.errors == [], f"{label}: {page.errors}"
        # the names are there, as text
        assert any(p in shown for p in PAYLOADS), f"{label}: no hostile name shown as text"
        assert "49" not in shown.replace(",", " ").split(), f"{label}: a name was run as a template"


def test_the_printable_summary_runs_no_hostile_name(page, hostile):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ranked = rank_tracts(hostile, PRESETS["balanced"])
    about = {"data": PAYLOADS[3], "scenario": PAYLOADS[0], "_weights": PRESETS["balanced"]}
    html = to_report_html(hostile, ranked, rank_areas(hostile, ranked, 10), about, PAYLOADS[2]).decode("utf-8")
    page.set_content(html, wait_until="load")
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == [] and page.errors == []
    assert PAYLOADS[2] in page.evaluate("() => document.title")


def test_the_map_component_runs_no_hostile_name(page, hostile, component_server):
    """The Map page's component, given hostile tract, county and provider names in its layer files, shows
    them as text in every tooltip and runs none of them."""

    folder = component_server
    args = folder.publish_map(hostile)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(folder.url + "/index.html")
    page.wait_for_function("() => window.gapmap !== undefined")
    post_render(page, args)
    page.wait_for_function("() => document.body.dataset.drawn === '1'")
    opened = page.evaluate(
        "() => { let n = 0; window.gapmap.map().eachLayer(l => { if (l.getTooltip && l.getTooltip()) { l.openTooltip(l.getLatLng ? l.getLatLng() : l.getBounds().getCenter()); n += 1; } }); return n; }"
    )
    assert opened == len(hostile.tracts) + len(hostile.providers)
    shown = page.evaluate("() => Array.from(document.querySelectorAll('.leaflet-tooltip')).map(e => e.textContent).join('\\n')")
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == [] and page.errors == [], (dialogs, page.errors)
    for payload in PAYLOADS:
        assert payload in shown  # tract names, counties and provider names, as text
    assert page.locator("img[src=x], svg[onload]").count() == 0
