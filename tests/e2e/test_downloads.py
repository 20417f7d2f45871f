"""Every download on every page arrives, on the first click, every time, with reruns in between."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import assert_clean, open_app, wait_idle

#: The pages with downloads, and how many download buttons each shows on arrival.
PAGES = (("Overview", 1), ("Map", 1), ("Priorities", 5), ("Simulate", 1), ("Compare regions", 4))
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


def _rerun(page) -> None:
    """Two reruns that keep every button: switch the age band to 0-2 and back."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Infants and toddlers (ages 0-2)").click()
    wait_idle(page)
    sidebar.get_by_text("All children under 5").click()
    wait_idle(page)


@pytest.mark.parametrize(("name", "n_buttons"), PAGES)
def test_every_download_arrives_on_every_click(page, app_url, name, n_buttons):
    open_app(page, app_url, "" if name == "Overview" else name)
    wait_idle(page)
    buttons = page.locator('[data-testid="stDownloadButton"] button')
    expect(buttons).to_have_count(n_buttons)
    received = 0
    for _round in range(CLICKS):
        for i in range(n_buttons):
            button = buttons.nth(i)
            with page.expect_download(timeout=30_000) as info:
                button.click()
            download = info.value
            assert download.failure() is None, download.failure()
            with open(download.path(), "rb") as fh:
                _check_file(download.suggested_filename, fh.read())
            received += 1
        _rerun(page)
    assert received == CLICKS * n_buttons
    assert_clean(page)
