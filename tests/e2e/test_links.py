"""A link carries the whole view: opened in a fresh browser it restores privacy mode (no family home
reaches the page) and a ranking's preset, weights and length."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from gapmap.analysis.ranking import RankWeights, rank_tracts
from gapmap.metrics import compute_tract_metrics
from tests.e2e.test_browser import assert_clean, open_app, wait_idle
from tests.e2e.tractmap import COMPONENT_PATH, TRACT_MAP, map_frame


class _Received:
    """Everything the browser receives from the app: the websocket's frames and the map's layer files."""

    def __init__(self, page) -> None:
        self.parts: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        page.on("response", self._response)

    def _frame(self, payload) -> None:
        self.parts.append(payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload))

    def _response(self, response) -> None:
        if COMPONENT_PATH + "geo/" in response.url:
            try:
                self.parts.append(response.text())
            except Exception:  # noqa: S110 - a response the page dropped (navigated away) holds nothing shown
                pass

    def text(self) -> str:
        return "".join(self.parts)


@pytest.mark.parametrize("link", ["/map?privacy=True", "/map"])
def test_a_link_with_privacy_on_shows_no_family_home(page, app_url, demo, link):
    """Privacy mode is on unless the link says privacy=False: a link copied with it on, or with no word
    of it, shows no home, and nothing the browser receives (websocket, map files) holds a home's name or
    coordinates."""
    _tracts, providers = demo
    homes = providers[providers["type"] == "family_home"]
    others = len(providers) - len(homes)
    assert len(homes) > 0
    received = _Received(page)
    page.goto(app_url + link)
    expect(page.get_by_role("heading", name="Map: Desert class (OSU), ages under 5")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("switch", name="Privacy mode: hide family child care homes")).to_be_checked()
    expect(page.frame_locator(TRACT_MAP).locator(".gapmap-legend")).to_contain_text("Family homes hidden")
    wait_idle(page)
    frame = map_frame(page)
    frame.wait_for_function("n => window.gapmap.providersShown() === n", arg=others, timeout=60_000)
    source = page.content() + received.text()
    assert "providers-" in source  # the provider file was received and read
    for name, lon, lat in zip(homes["name"], homes["longitude"], homes["latitude"]):
        assert json.dumps([round(float(lon), 5), round(float(lat), 5)])[1:-1] not in source
        assert json.dumps(name)[1:-1] not in source
    page.get_by_text("Link to this view").click()
    code = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]')
    expect(code).to_contain_text("/map")
    expect(code).not_to_contain_text("privacy")  # on is the default: the link needs no word of it
    assert_clean(page)


def test_a_link_with_privacy_off_says_so_and_shows_the_homes(page, app_url, demo):
    _tracts, providers = demo
    page.goto(app_url + "/map?privacy=False")
    expect(page.get_by_role("heading", name="Map: Desert class (OSU), ages under 5")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("switch", name="Privacy mode: hide family child care homes")).not_to_be_checked()
    wait_idle(page)
    map_frame(page).wait_for_function("n => window.gapmap.providersShown() === n", arg=len(providers), timeout=60_000)
    page.get_by_text("Link to this view").click()
    expect(page.locator('[data-testid="stSidebar"] [data-testid="stCode"]')).to_contain_text("privacy=False")
    assert_clean(page)


def test_a_priorities_link_restores_preset_weights_and_length(page, app_url, demo):
    page.goto(app_url + "/priorities?preset=equity&w_poverty=0.9&top_n=7")
    expect(page.get_by_role("heading", name="Priorities, ages under 5")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_label("How many tracts")).to_have_value("7")
    expect(page.get_by_role("combobox", name="Start from a preset")).to_have_value("Equity")
    grid = page.locator('[data-testid="stDataFrame"]').first
    expect(grid).to_be_visible()
    expected = rank_tracts(compute_tract_metrics(*demo), RankWeights(0.25, 0.15, 0.10, 0.9, 0.10)).head(7)
    expect(grid).to_contain_text(expected["name"].iloc[0])
    page.get_by_text("Link to this view").click()
    link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]')
    for part in ("preset=equity", "w_poverty=0.9", "top_n=7"):
        expect(link).to_contain_text(part)
    assert_clean(page)


def test_a_scenario_built_in_the_browser_reopens_from_its_link(page, app_url, browser):
    from tests.e2e.cdn import CdnRouter

    open_app(page, app_url, "Simulate")
    expect(page.get_by_role("heading", name="Simulate, ages under 5")).to_be_visible(timeout=60_000)
    wait_idle(page)
    figure = page.locator('[data-testid="stMetric"]').filter(has_text="Children in access deserts").locator('[data-testid="stMetricValue"]')
    before = figure.inner_text()
    slots = page.get_by_label("Slots 0-2", exact=True)
    slots.fill("300")
    slots.press("Tab")  # commit the value before submitting the form
    expect(slots).to_have_value("300")
    page.get_by_role("button", name="Add this site").click()
    expect(page.get_by_text("Added New site: 300 slots for ages 0-2")).to_be_visible()
    wait_idle(page)
    expect(figure).not_to_have_text(before)
    after = figure.inner_text()
    page.get_by_text("Link to this view").click()
    link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]')
    expect(link).to_contain_text("scenario=")
    url = link.inner_text().strip()
    assert url.startswith(app_url) and "/simulate" in url
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", CdnRouter(page.router.cache))  # a fresh browser: no cookie, no session
    other = context.new_page()
    try:
        other.goto(url)
        expect(other.get_by_role("heading", name="Simulate, ages under 5")).to_be_visible(timeout=60_000)
        reopened = (
            other.locator('[data-testid="stMetric"]').filter(has_text="Children in access deserts").locator('[data-testid="stMetricValue"]')
        )
        expect(reopened).to_have_text(after)
        expect(other.locator('[data-testid="stException"]')).to_have_count(0)
    finally:
        context.close()
    assert_clean(page)


def test_a_direct_link_to_simulate_places_the_new_site_inside_the_region(page, app_url, demo):
    """Opened by a link, the new-site form once showed latitude and longitude 0 (a site in the ocean)."""
    tracts, _providers = demo
    minx, miny, maxx, maxy = tracts.total_bounds
    page.goto(app_url + "/simulate")
    expect(page.get_by_role("heading", name="Simulate, ages under 5")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_label("Latitude")).to_have_value(f"{(miny + maxy) / 2:.5f}")
    expect(page.get_by_label("Longitude")).to_have_value(f"{(minx + maxx) / 2:.5f}")
    assert_clean(page)
