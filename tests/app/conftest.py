"""Helpers of the page tests."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gapmap.metrics import compute_tract_metrics

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page_path: str, state: dict | None = None) -> AppTest:
    """Run the app once (with ``state`` set by key first), then switch to ``page_path``; no exception."""
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.run()
    at.switch_page(page_path).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def base(demo):
    """The demo's metrics with the default parameters."""
    return compute_tract_metrics(*demo)


def shown(markdown: str) -> str:
    """The text a reader sees in a markdown element: gapmap escapes user text (``\\.`` shows ``.``)."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown).replace("  \n", "\n")


def texts(elements) -> list[str]:
    """What each of a list of AppTest markdown elements (at.error, at.success, at.caption...) shows."""
    return [shown(e.value) for e in elements]
