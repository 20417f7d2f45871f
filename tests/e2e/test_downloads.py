"""Every download on every page arrives, on the first click, every time, with reruns in between."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import MAP_FRAME, assert_clean, open_app, wait_idle
from tests.e2e.tractmap import TRACT_MAP, map_frame


def _pick_a_tract(page, demo):
    """Find a tract by its GEOID: the Map page selects it and offers its figures too."""
    geoid = demo[0]["geoid"].iloc[20]
    field = page.get_by_role("textbox", name="Find a place")
    field.fill(geoid)
    field.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(f"Tract {geoid}"))).to_be_visible()


def _keep_a_scenario(page, demo):
    """Add a site and keep the scenario: the comparison of kept scenarios downloads too."""
    page.get_by_role("button", name="Add this site").click()
    expect(page.get_by_text("Added New site")).to_be_visible()
    wait_idle(page)
    page.get_by_role("textbox", name="Name this scenario").fill("One more site")
    page.get_by_role("button", name="Keep it to compare").click()
    expect(page.get_by_text("Kept scenarios side by side")).to_be_visible()


#: The pages with downloads, what brings out all of them, and how many download buttons they show then.
PAGES = (
    ("Overview", None, 2),
    ("Map", None, 2),
    ("Map", _pick_a_tract, 4),
    ("Priorities", None, 6),
    ("Simulate", None, 1),
    ("Simulate", _keep_a_scenario, 3),
    ("Compare regions", None, 5),
)
CLICKS = 3


def _check_file(name: str, data: bytes) -> None:
    """The file is whole: it opens as what its name says."""
    assert data, name
    if name.endswith(".csv"):
        text = data.decode("utf-8-sig")
        assert text.count("\n") >= 2, name
    elif name.endswith(".xlsx"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert "xl/workbook.xml" in z.namelist()
    elif name.endswith((".geojson", ".json")):
        json.loads(data)
    elif name.endswith(".gpkg"):
        assert data.startswith(b"SQLite format 3\x00")
    elif name.endswith(".html"):
        assert b"<html" in data[:500].lower()
    elif name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert z.namelist()
    else:  # pragma: no cover - a new kind of download needs its own check here
        pytest.fail(f"no check for the download {name}")


def _settled(page) -> None:
    """One whole run on screen, and every map drawn: a map's frame sets its height once its script has
    run, which moves whatever lies below it (a click aimed at a button would land on the map)."""
    wait_idle(page)
    for i in range(page.locator(MAP_FRAME).count()):
        expect(page.frame_locator(MAP_FRAME).nth(i).locator("path").first).to_be_attached()
    if page.locator(TRACT_MAP).count():
        map_frame(page)
    wait_idle(page)


def _rerun(page, buttons, n_buttons: int) -> None:
    """Two reruns that keep every button: switch the age band to 0-2 and back, each time waiting for the
    page to show the band it switched to (its title, or the Overview's heading) and all its buttons."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    main = page.locator('[data-testid="stMain"]')
    for choice, shown in (("Infants and toddlers (ages 0-2)", "0-2"), ("All children under 5", "under 5")):
        sidebar.get_by_text(choice).click()
        expect(main.get_by_role("heading", name=re.compile(re.escape(shown))).first).to_be_visible()
        _settled(page)
        expect(buttons).to_have_count(n_buttons)


@pytest.mark.parametrize(("name", "setup", "n_buttons"), PAGES, ids=[f"{p[0]}-{p[2]}" for p in PAGES])
def test_every_download_arrives_on_every_click(page, app_url, demo, name, setup, n_buttons):
    open_app(page, app_url, "" if name == "Overview" else name)
    wait_idle(page)
    if setup is not None:
        setup(page, demo)
    buttons = page.locator('[data-testid="stDownloadButton"]')
    expect(buttons).to_have_count(n_buttons)  # buttons appear as their files are made
    _settled(page)
    received = 0
    for _round in range(CLICKS):
        for i in range(n_buttons):
            button = buttons.nth(i).locator("button").first
            with page.expect_download(timeout=30_000) as info:
                button.click()
            download = info.value
            assert download.failure() is None, download.failure()
            with open(download.path(), "rb") as fh:
                _check_file(download.suggested_filename, fh.read())
            received += 1
        _rerun(page, buttons, n_buttons)
    assert received == CLICKS * n_buttons
    assert_clean(page)
