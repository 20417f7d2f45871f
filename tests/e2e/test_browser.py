"""The app in a real browser: it starts, the map draws one polygon per tract, tooltips and clicks work,
widgets change the view and the URL, a download parses, and no exception appears anywhere."""

from __future__ import annotations

import os
import re
import time
import zipfile

import numpy as np
import pandas as pd
import pytest
import shapely
from playwright.sync_api import expect

from gapmap.metrics import compute_summary, compute_tract_metrics
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.tractmap import TRACT_MAP, GeometryRequests, SocketBytes, drawn, map_frame, screen_point, wait_drawn_after

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def open_app(page, url, path=""):
    page.goto(url + "/")  # the first page of a session registers the navigation
    expect(page.get_by_text("Child care supply and deserts")).to_be_visible()
    # a new session starts from the defaults, whatever earlier sessions chose
    expect(page.get_by_role("heading", name="All children under 5")).to_be_visible()
    assert "?" not in page.url, page.url
    if path:
        page.get_by_role("link", name=path).click()


#: True when no run is in progress: no status widget, and no element left over from an earlier run
#: (Streamlit marks an element ``data-stale="true"`` until the current run draws it again, and a run
#: that ends with st.rerun() hands over to the next one without always showing the status widget).
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]') && !document.querySelector('[data-stale=\"true\"]')"


def wait_idle(page):
    """Wait until the page shows one whole run: no run in progress and nothing on screen from an earlier
    run (a button drawn by an earlier run may still hold an earlier file).

    st_folium sends its first value when the map mounts, which reruns the page once; interacting
    before that rerun ends can land on a map that is being replaced."""
    page.wait_for_function(IDLE, polling=100, timeout=30_000)


def assert_clean(page):
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert page.errors == [], page.errors
    assert page.router.refused == [], f"requests to the outside world: {page.router.refused}"


def hover_target(tracts, providers) -> int:
    """A big tract with no provider near the middle of its bounding box, away from the legend."""
    lon, lat = providers["longitude"].to_numpy(), providers["latitude"].to_numpy()
    best, best_area = None, 0.0
    minx, miny, maxx, maxy = tracts.total_bounds
    for i, geom in enumerate(tracts.geometry):
        bx0, by0, bx1, by1 = geom.bounds
        c = shapely.Point((bx0 + bx1) / 2, (by0 + by1) / 2)
        if not geom.contains(c.buffer(0.02)):
            continue
        if np.min(np.hypot(lon - c.x, lat - c.y)) < 0.04:
            continue
        if c.x > minx + 0.6 * (maxx - minx) and c.y < miny + 0.5 * (maxy - miny):
            continue  # the legend sits bottom right
        if not (miny + 0.2 * (maxy - miny) < c.y < miny + 0.8 * (maxy - miny) and minx + 0.15 * (maxx - minx) < c.x):
            continue  # well inside the view, whatever the zoom the map settles on
        if geom.area > best_area:
            best, best_area = i, geom.area
    assert best is not None
    return best


def test_map_draws_every_tract_with_tooltips_and_click_details(page, app_url, demo):
    tracts, providers = demo
    open_app(page, app_url, "Map")
    expect(page.get_by_role("heading", name=re.compile("Map: Desert class"))).to_be_visible()
    wait_idle(page)
    frame = map_frame(page)
    assert frame.evaluate("() => document.body.dataset.tracts") == str(len(tracts))
    # privacy mode is on by default: every provider but the family child care homes
    assert frame.evaluate("() => window.gapmap.providersShown()") == int((providers["type"] != "family_home").sum())
    legend = page.frame_locator(TRACT_MAP).locator(".gapmap-legend")
    expect(legend).to_contain_text("extreme desert")
    expect(legend).to_contain_text("Family homes hidden")

    i = hover_target(tracts, providers)
    geoid = tracts["geoid"].iloc[i]
    x, y = screen_point(page, frame, geoid)
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y, steps=3)  # the canvas finds the tract under the pointer as it moves
    tooltip = page.frame_locator(TRACT_MAP).locator(".leaflet-tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text(geoid)
    expect(tooltip).to_contain_text(tracts["name"].iloc[i])
    expected = compute_tract_metrics(tracts, providers).tracts["osu_class_under_5"].iloc[i]
    expect(tooltip).to_contain_text(f"Desert class (OSU) under 5{expected}")  # the class behind the colour

    page.mouse.click(x, y)
    expect(page.get_by_role("heading", name=re.compile(f"Tract {geoid}"))).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Nearest providers", exact=True)).to_be_visible()
    wait_idle(page)
    frame = map_frame(page)
    assert frame.evaluate("() => window.gapmap.stats.renders") >= 2  # the same map, drawn again with the outline
    assert_clean(page)


def test_a_restyle_repaints_the_same_map_without_fetching_its_geometry_again(page, app_url, demo):
    """Changing the band or the measure sends one class per tract: the fills change to the colours the
    core gives, the view stays, the map's frame is the same, and the tract layer was fetched once."""
    from gapmap.viz.webmap import tract_style

    tracts, providers = demo
    result = compute_tract_metrics(tracts, providers)
    requests = GeometryRequests(page)
    sockets = SocketBytes(page)
    open_app(page, app_url, "Map")
    wait_idle(page)
    frame = map_frame(page)
    probe = [tracts["geoid"].iloc[k] for k in (0, 40, 80, 120, 160)]

    def fills():
        return frame.evaluate("gs => gs.map(g => window.gapmap.fillOf(g))", probe)

    def expected(band, measure):
        style = tract_style(result, band, measure)
        return [style["palette"][ord(style["classes"][int(np.flatnonzero(tracts["geoid"] == g)[0])]) - 48][0] for g in probe]

    assert fills() == expected("under_5", "osu_class")
    frame.evaluate(
        "() => { window.gapmapMark = 'kept'; window.gapmap.map().setZoom(window.gapmap.map().getZoom() + 1, {animate: false}); }"
    )
    zoom = frame.evaluate("() => window.gapmap.map().getZoom()")
    for change, band, measure in (
        (lambda: page.get_by_text("Infants and toddlers (ages 0-2)").first.click(), "0_2", "osu_class"),
        (lambda: _choose(page, "Map measure", "Slots per 100 children"), "0_2", "slots_per_100"),
        (lambda: page.get_by_text("Preschool (ages 3-5)").first.click(), "3_5", "slots_per_100"),
    ):
        renders, before = drawn(frame), sockets.total
        change()
        wait_drawn_after(frame, renders)
        wait_idle(page)
        assert fills() == expected(band, measure), (band, measure)
        assert sockets.total - before < 150_000
    assert frame.evaluate("() => [window.gapmapMark, window.gapmap.map().getZoom()]") == ["kept", zoom]  # same frame, same view
    assert frame.evaluate("() => window.gapmap.stats.restyles") >= 3
    assert requests.count("index") <= 1 and requests.count("tracts") == 1  # the geometry came once (a small index comes with the render)
    assert_clean(page)


def _choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by its label."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_sidebar_band_changes_figures_and_url(page, app_url, demo):
    open_app(page, app_url)
    page.get_by_text("Infants and toddlers (ages 0-2)").first.click()
    expect(page.get_by_role("heading", name="Infants and toddlers (ages 0-2)")).to_be_visible()
    s = compute_summary(compute_tract_metrics(*demo)).set_index("band").loc["0_2"]
    children = page.locator('[data-testid="stMetric"]').filter(has_text="Children").first
    expect(children).to_contain_text(f"{s['children']:,.0f}")
    expect(page).to_have_url(re.compile(r"band=0_2"))
    # the sidebar is still there after the rerun, and the map follows the band
    page.get_by_role("link", name="Map").click()
    expect(page.get_by_role("heading", name=re.compile("ages 0-2"))).to_be_visible()
    assert_clean(page)


def test_overview_download_parses(page, app_url, demo):
    open_app(page, app_url)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download these figures (CSV)").click()
    table = pd.read_csv(info.value.path())  # the header on line 1: pandas' defaults read it
    with page.expect_download() as info:
        page.get_by_role("button", name="With where it came from (ZIP)").click()
    with zipfile.ZipFile(info.value.path()) as z:
        about = z.read("gapmap_overview.about.txt").decode("utf-8").splitlines()
        assert pd.read_csv(z.open("gapmap_overview.csv")).equals(table)
    assert any("synthetic demo data" in line for line in about)
    assert any(line.startswith("Travel distance: Families are taken to travel up to 10 km") for line in about)
    assert "Age band: The figures are for all children under 5." in about
    s = compute_summary(compute_tract_metrics(*demo))
    assert table["Children"].tolist() == pytest.approx(s["children"].round(0).tolist())
    assert_clean(page)


def test_shared_link_opens_in_the_frame_right_after_a_restart(page, fresh_app_url):
    """The first request a new server gets is a shared link to a page: it opens with the sidebar frame
    and the view from the URL (Streamlit would otherwise run the page script alone)."""
    page.goto(fresh_app_url + "/map?band=0_2&measure=access_per_100")
    expect(page.get_by_role("heading", name="Map: Access: slots within reach per 100 children, ages 0-2")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("radio", name="Infants and toddlers (ages 0-2)")).to_be_checked()
    expect(page.frame_locator(TRACT_MAP).locator(".gapmap-legend")).to_contain_text("slots per 100 children")
    # the next runs go through app.py: the view must survive the switch
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Infants and toddlers (ages 0-2)")).to_be_visible()
    expect(page.get_by_role("radio", name="Infants and toddlers (ages 0-2)")).to_be_checked()
    assert_clean(page)


def test_first_visit_after_a_restart_keeps_the_view_when_navigating(page, fresh_app_url):
    """A new server's first run draws the sidebar inside Streamlit's pages-folder mode, the next ones
    through app.py: the sidebar's values must survive the switch (they once reset to the first option)."""
    page.goto(fresh_app_url + "/?measure=access_per_100")
    expect(page.get_by_role("heading", name="All children under 5")).to_be_visible(timeout=60_000)
    page.get_by_role("link", name="Your data").click()
    expect(page.get_by_role("heading", name="Your data")).to_be_visible()
    expect(page.get_by_role("radio", name="All children under 5")).to_be_checked()
    page.get_by_role("link", name="Map").click()
    expect(page.get_by_role("heading", name="Map: Access: slots within reach per 100 children, ages under 5")).to_be_visible()
    assert_clean(page)


def test_every_page_loads_without_an_exception(page, app_url):
    open_app(page, app_url)
    for link, heading in (
        ("Map", "Map: Desert class (OSU), ages under 5"),
        ("Priorities", "Priorities, ages under 5"),
        ("Simulate", "Simulate, ages under 5"),
        ("Compare regions", "Compare regions, ages under 5"),
        ("Your data", "Your data"),
        ("Overview", "Child care supply and deserts"),
    ):
        page.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        wait_idle(page)
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    page.get_by_role("link", name="Priorities").click()
    frame = page.frame_locator(MAP_FRAME)
    expect(frame.locator("path.gapmap-tract")).to_have_count(162)
    expect(frame.locator(".gapmap-rank")).to_have_count(25)
    assert_clean(page)


def test_compare_page_draws_one_shape_per_hub_and_the_charts(page, app_url):
    open_app(page, app_url, "Compare regions")
    expect(page.get_by_role("heading", name="Compare regions, ages under 5")).to_be_visible()
    wait_idle(page)
    frame = page.frame_locator(MAP_FRAME)
    regions = frame.locator("path.gapmap-region")
    expect(regions).to_have_count(3)
    # the bar charts, the scatter and the first tab's equity chart are drawn by plotly.js
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    assert page.locator(".js-plotly-plot").count() >= 5
    expect(page.locator(".js-plotly-plot").first.get_by_text("desert below 33.3")).to_be_visible()
    # a region's tooltip shows its rolled-up figures
    regions.nth(1).hover(force=True)
    tip = frame.locator(".leaflet-tooltip:not(.gapmap-region-label)")
    expect(tip).to_contain_text("Riverton Hub")
    expect(tip).to_contain_text("Slots per 100 children")
    page.get_by_role("tab", name="Riverton Hub").click()
    expect(page.get_by_text("Who lives in the deserts: Riverton Hub")).to_be_visible()
    if os.environ.get("GAPMAP_SCREENSHOTS"):  # for looking at the page while working on it
        for k, name in enumerate(("Compare regions, ages under 5", "Side by side", "Map of the regions", "Who lives in the deserts")):
            page.get_by_role("heading", name=name).scroll_into_view_if_needed()
            page.get_by_role("heading", name=name).evaluate("e => e.scrollIntoView()")
            page.screenshot(path=str(ARTIFACTS / f"compare_{k}.png"))
    assert_clean(page)


def count_in_map_frames(page, selector: str) -> int:
    """How many ``selector`` elements the map frames hold; a frame that Streamlit replaces while it is
    being read counts 0 (the next look sees its successor)."""
    from playwright.sync_api import Error as PlaywrightError

    n = 0
    for frame in page.frames:
        if "st_folium" not in frame.url or frame.is_detached():
            continue
        try:
            n += frame.locator(selector).count()
        except PlaywrightError:  # detached between the check and the count
            continue
    return n


def test_a_scenario_built_in_the_browser_changes_the_figures(page, app_url, demo):
    """Open a new site of 300 + 20 slots with the form (at its default place, the middle of the region) and add slots to a
    provider: the before/after figures equal the core's simulation of the same changes, the changed
    tracts are outlined on the map, and the scenario downloads as JSON that loads again."""
    from gapmap.analysis.scenarios import AddSlots, NewSite, Scenario, compare_outcomes, scenario_from_json, simulate_scenario

    tracts, providers = demo
    open_app(page, app_url, "Simulate")
    expect(page.get_by_role("heading", name="Simulate, ages under 5")).to_be_visible()
    wait_idle(page)
    slots = page.get_by_label("Slots 0-2", exact=True)
    slots.fill("300")  # a big site, so that children leave access deserts
    slots.press("Tab")  # commit the value before submitting the form
    expect(slots).to_have_value("300")
    page.get_by_role("button", name="Add this site").click()
    # each change is confirmed by its own message before the next one: a click never lands on a page
    # that is still applying the last one
    expect(page.get_by_text("Added New site: 300 slots for ages 0-2")).to_be_visible()
    wait_idle(page)
    page.get_by_role("button", name="Add slots").click()
    expect(page.get_by_text(f"Changed {providers['name'].iloc[0]}: +10 slots for ages 0-2")).to_be_visible()
    wait_idle(page)
    minx, miny, maxx, maxy = tracts.total_bounds
    first = providers["provider_id"].iloc[0]
    scenario = Scenario("plan", (NewSite("New site", (miny + maxy) / 2, (minx + maxx) / 2, 300.0, 20.0), AddSlots(first, 10.0, 0.0)))
    expected = compare_outcomes(simulate_scenario(compute_tract_metrics(tracts, providers), scenario)).set_index("band")
    row = expected.loc["All children under 5"]
    assert row["children_in_access_deserts_change"] < 0, "the demo site must lift some children out of access deserts"
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Children in access deserts")
    expect(metric).to_contain_text(f"{row['children_in_access_deserts_after']:,.0f}")
    expect(metric).to_contain_text(f"{row['children_in_access_deserts_change']:+,.0f}")
    per100 = page.locator('[data-testid="stMetric"]').filter(has_text="Slots per 100 children")
    expect(per100).to_contain_text(f"{row['slots_per_100_after']:.1f}")
    wait_idle(page)
    deadline = time.monotonic() + 30  # Streamlit may keep the replaced map's iframe a moment: look in every frame
    while not count_in_map_frames(page, "path.gapmap-changed"):
        assert time.monotonic() < deadline, "no changed tract outlined on the scenario map"
        page.wait_for_timeout(200)
    deadline = time.monotonic() + 30
    while not count_in_map_frames(page, ".gapmap-new-site"):
        assert time.monotonic() < deadline, "no new site drawn on the scenario map"
        page.wait_for_timeout(200)
    wait_idle(page)  # the map's first value reruns the page: click the download button of the last run
    expect(page.get_by_text("add_slots").first).to_be_attached()  # the changes table (a canvas grid) lists both changes
    with page.expect_download() as info:
        page.get_by_role("button", name="Download this scenario (JSON)").click()
    loaded = scenario_from_json(open(info.value.path(), encoding="utf-8").read())
    assert [c.kind for c in loaded.changes] == ["new_site", "add_slots"]
    assert loaded.changes[1].provider_id == first
    assert_clean(page)


def test_the_scenario_map_keeps_its_view_across_a_change(page, app_url, demo):
    """Zoom the Simulate map in, add a site: the same map (not a new one) shows the new site, at the
    zoom the planner chose; 'Reset view' draws the whole region again."""
    open_app(page, app_url, "Simulate")
    expect(page.get_by_role("heading", name="Simulate, ages under 5")).to_be_visible()
    wait_idle(page)
    frame = page.frame_locator(MAP_FRAME).first
    expect(frame.locator("path.gapmap-tract").first).to_be_attached()
    start = page.locator(MAP_FRAME).first.evaluate("f => f.contentWindow.map.getZoom()")
    frame.locator("a.leaflet-control-zoom-in").click()
    page.locator(MAP_FRAME).first.evaluate(
        "(f, z) => new Promise(done => { const m = f.contentWindow.map; if (m.getZoom() > z) done(); else m.once('zoomend', () => done()); })",
        start,
    )
    zoomed = page.locator(MAP_FRAME).first.evaluate("f => f.contentWindow.map.getZoom()")
    assert zoomed > start
    page.locator(MAP_FRAME).first.evaluate("f => { f.contentWindow.gapmapMark = 'kept'; }")  # a mark on this very map
    wait_idle(page)
    page.get_by_role("button", name="Add this site").click()
    expect(page.get_by_text("Added New site")).to_be_visible()
    wait_idle(page)
    expect(frame.locator(".gapmap-new-site")).to_have_count(1)
    assert page.locator(MAP_FRAME).count() == 1
    assert page.locator(MAP_FRAME).first.evaluate("f => [f.contentWindow.gapmapMark, f.contentWindow.map.getZoom()]") == ["kept", zoomed]
    page.get_by_role("button", name="Reset view").first.click()
    wait_idle(page)
    expect(page.frame_locator(MAP_FRAME).first.locator(".gapmap-new-site")).to_have_count(1)
    page.wait_for_function(
        "() => { const f = document.querySelector('iframe[title=\"streamlit_folium.st_folium\"]');"
        " return f && f.contentWindow.map && f.contentWindow.gapmapMark === undefined; }",
        polling=100,
        timeout=30_000,
    )
    assert page.locator(MAP_FRAME).first.evaluate("f => f.contentWindow.map.getZoom()") == start  # the whole region again
    assert_clean(page)


_LEGEND_AND_TRACTS = """() => {
  const box = r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
  const paths = [...document.querySelectorAll('path.gapmap-tract, path.gapmap-changed')].map(p => p.getBoundingClientRect());
  const all = {left: Math.min(...paths.map(r => r.left)), right: Math.max(...paths.map(r => r.right)),
               top: Math.min(...paths.map(r => r.top)), bottom: Math.max(...paths.map(r => r.bottom))};
  return {tracts: all, legend: box(document.querySelector('.gapmap-legend').getBoundingClientRect()), n: paths.length};
}"""


@pytest.mark.parametrize("path", ["Map", "Simulate", "Priorities"])
def test_the_legend_opens_beside_the_tracts_never_over_them(page, app_url, demo, path):
    """As a map opens, the box around all its tracts and the legend's box do not meet (the Map page keeps
    the legend's width free at the right; Simulate's narrow map starts with its legend folded into a line
    below the tracts)."""
    tracts, _providers = demo
    open_app(page, app_url, path)
    wait_idle(page)
    if path == "Map":  # the map component draws tracts on a canvas and says where they are
        got = map_frame(page).evaluate("() => ({tracts: window.gapmap.tractsBox(), legend: window.gapmap.legendBox()})")
        t, leg = got["tracts"], got["legend"]
        assert leg["left"] >= t["right"] or leg["top"] >= t["bottom"], got
        assert_clean(page)
        return
    frame = page.frame_locator(MAP_FRAME).first
    expect(frame.locator("path.gapmap-tract").first).to_be_attached(timeout=60_000)
    wait_idle(page)
    inner = next(f for f in page.frames if "st_folium" in f.url and not f.is_detached())
    inner.wait_for_function("n => document.querySelectorAll('path.gapmap-tract, path.gapmap-changed').length === n", arg=len(tracts))
    got = inner.evaluate(_LEGEND_AND_TRACTS)
    t, leg = got["tracts"], got["legend"]
    apart = leg["left"] >= t["right"] or leg["top"] >= t["bottom"] or leg["right"] <= t["left"] or leg["bottom"] <= t["top"]
    assert apart, got
    assert_clean(page)


def test_provider_types_show_and_hide_in_the_browser(page, app_url, demo):
    """The map's layer control lists each provider type with its count (no family homes in privacy mode);
    unticking one hides its circles at once, in the browser, without a rerun."""
    _tracts, providers = demo
    shown = providers[providers["type"] != "family_home"]
    centers = int((shown["type"] == "center").sum())
    open_app(page, app_url, "Map")
    wait_idle(page)
    frame = map_frame(page)
    assert frame.evaluate("() => window.gapmap.providersShown()") == len(shown)
    inner = page.frame_locator(TRACT_MAP)
    control = inner.locator(".leaflet-control-layers")
    control.hover()
    names = inner.locator(".leaflet-control-layers-overlays label")
    expect(names.first).to_be_visible()
    listed = [t.strip() for t in names.all_inner_texts()]
    assert f"Child care center ({centers:,})" in listed
    assert not any(t.startswith("Family child care home") for t in listed)
    renders = frame.evaluate("() => window.gapmap.stats.renders")
    inner.get_by_text(f"Child care center ({centers:,})").click()
    frame.wait_for_function("n => window.gapmap.providersShown() === n", arg=len(shown) - centers)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0)
    assert frame.evaluate("() => window.gapmap.stats.renders") == renders  # no rerun
    assert_clean(page)
