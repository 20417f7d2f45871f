"""gapmap serve loads the app before the first visit: the demo's metrics it computes are the ones a
session then reads (no second computation)."""

from __future__ import annotations

import subprocess
import sys
import time

from streamlit.testing.v1 import AppTest

from tests.app.test_pages import APP


def test_the_warm_up_fills_the_caches_the_first_session_reads(monkeypatch, places):
    from gapmap.ui import loaders, serve

    calls = []
    real = loaders.compute_tract_metrics
    monkeypatch.setattr(loaders, "compute_tract_metrics", lambda *a, **k: calls.append(1) or real(*a, **k))
    serve.warm()
    assert calls == [1]
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert calls == [1]  # the first visit computed nothing again
    assert any(m.label == "Children" for m in at.metric)


def test_serve_is_a_command_whose_help_is_quick():
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "gapmap.cli", "serve", "--help"], capture_output=True, text=True, check=True)
    assert "computes the demo region" in out.stdout and "--port" in out.stdout
    assert time.perf_counter() - t0 < 5  # the CLI does not import the app to say how to start it
