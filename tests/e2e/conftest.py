"""Real-browser fixtures: a Streamlit server, Debian's chromium driven by Playwright, CDN files from npm.

Locally the tests skip when chromium is missing (the reason says how to install it); under CI
(``CI`` set) a missing chromium is an error, because ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.cdn import CdnRouter, ensure_packages, folium_cdn_urls, package_specs

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("GAPMAP_CHROMIUM", "/usr/bin/chromium"))
NPM_CACHE = ROOT / ".cache" / "e2e-npm"
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    reason = f"Debian chromium not found at {CHROMIUM}: `apt-get install chromium` (.ci/run installs it)"
    for item in items:
        if "tests/e2e" in str(item.fspath).replace(os.sep, "/"):
            if os.environ.get("CI"):
                item.add_marker(pytest.mark.xfail(reason="CI must run the browser tests: " + reason, run=False, strict=True))
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


#: The log file of each server started, by its base URL (tests read what the server wrote).
SERVER_LOGS: dict[str, Path] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp_path_factory):
    """Start ``streamlit run app.py`` and wait for its health endpoint; yield its base URL."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if k != "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS"},  # the app as deployed
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    SERVER_LOGS[url] = log
    deadline = time.monotonic() + 90
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not become healthy in 90 s:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """One server for the session's tests."""
    yield from _serve(tmp_path_factory)


@pytest.fixture
def fresh_app_url(tmp_path_factory):
    """A server of its own, that no browser has visited yet."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="session")
def npm_cache():
    return ensure_packages(package_specs(folium_cdn_urls()), NPM_CACHE)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # A server's first page imports the science stack and computes the metrics: on a busy 2-core
    # machine that can take longer than Playwright's 5 s default for expectations.
    expect.set_options(timeout=30_000)

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(request, browser, npm_cache):
    """A page whose outside requests are answered offline; records page errors; screenshots failures."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    router = CdnRouter(npm_cache)
    context.route("**/*", router)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    # errors inside the map's component iframe reach the console only (a map script that throws
    # leaves an empty map and no page error)
    pg.on("console", lambda msg: msg.type == "error" and "Failed to load resource" not in msg.text and pg.errors.append(msg.text))
    pg.router = router
    pg.set_default_timeout(30_000)
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def component_server(tmp_path):
    """The map component's page and Leaflet, served from a folder of their own (as Streamlit serves a
    component), with a ``geo/`` folder for layer files."""
    from tests.e2e.tractmap import ComponentFolder

    folder = ComponentFolder(tmp_path / "component")
    yield folder
    folder.stop()
