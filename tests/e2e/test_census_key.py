"""The Census key entered in the browser is used for the session and never reaches the page or the log."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import SERVER_LOGS
from tests.e2e.test_browser import assert_clean, open_app, wait_idle

KEY = "f00dfeed" * 5  # the form of a Census key: 40 letters and digits


def test_the_key_field_keeps_the_key_out_of_the_page_and_the_log(page, app_url):
    open_app(page, app_url, "Your data")
    field = page.get_by_label("Census API key", exact=True).and_(page.locator("input"))
    expect(field).to_be_visible()
    expect(page.get_by_role("button", name="Fetch tracts and ACS estimates")).to_be_disabled()
    field.fill(KEY)
    page.get_by_role("button", name="Use this key").click()
    expect(page.get_by_text("A Census API key is set for this session.")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("button", name="Fetch tracts and ACS estimates")).to_be_enabled()
    expect(page.locator('input[type="password"]')).to_have_value("")
    assert KEY not in page.content()
    assert KEY not in page.evaluate("() => JSON.stringify(Object.assign({}, window.localStorage, window.sessionStorage))")
    page.get_by_role("button", name="Forget the key").click()
    expect(page.get_by_role("button", name="Fetch tracts and ACS estimates")).to_be_disabled()
    assert KEY not in SERVER_LOGS[app_url].read_text()
    assert_clean(page)
