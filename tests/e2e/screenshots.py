"""Screenshots of every page at 1400 x 1000, for a person to look at (not a test the suite runs):

    uv run pytest tests/e2e/screenshots.py -p no:cacheprovider

writes ``.cache/screens/<page>-<n>.png``, one per screenful from the top.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import MAP_FRAME, open_app, wait_idle
from tests.e2e.tractmap import map_frame

OUT = Path(__file__).resolve().parents[2] / ".cache" / "screens"
PAGES = ["Overview", "Map", "Priorities", "Simulate", "Compare regions", "Your data", "Words used here"]


@pytest.mark.parametrize("name", PAGES)
def test_screenshot(page, app_url, name):
    OUT.mkdir(parents=True, exist_ok=True)
    open_app(page, app_url, "" if name == "Overview" else name)
    wait_idle(page)
    if name == "Simulate":
        page.get_by_role("button", name="Add this site").click()
        expect(page.get_by_text("Added New site")).to_be_visible()
        wait_idle(page)
    if name == "Map":
        map_frame(page)
    elif name in ("Priorities", "Simulate", "Compare regions"):
        expect(page.frame_locator(MAP_FRAME).first.locator("path").first).to_be_attached(timeout=60_000)
    wait_idle(page)
    page.wait_for_timeout(1500)  # let tiles and charts settle: a picture for a person, not an assertion
    stem = name.lower().replace(" ", "_")
    # Streamlit scrolls its main area inside the page: one picture per screenful
    main = page.locator('[data-testid="stMain"]')
    height = main.evaluate("m => m.scrollHeight")
    for k, top in enumerate(range(0, max(height, 1), 900)):
        main.evaluate("(m, y) => m.scrollTo(0, y)", top)
        page.wait_for_timeout(300)
        page.screenshot(path=str(OUT / f"{stem}-{k + 1}.png"))
