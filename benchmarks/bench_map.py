"""Map payload and drawing time of a state's tract map, on the server and in Chromium.

    uv run python benchmarks/bench_map.py              # prints JSON (bench_metrics.py runs it and keeps the figures)

On the generated state (7,000 tracts, 15,000 providers):

* payload: the tracts' GeoJSON as a boundary file gives it (full precision) against gapmap's map geometry
  (coverage-simplified, 4 decimals), with the properties the tooltips need; the folium page's HTML;
* server: building the folium map with the map geometry cached (a rerun that changes a colour) against
  building it from the polygons (simplify and serialize again);
* Chromium (Debian's, driven by Playwright; Leaflet served from npm as in the browser tests): the folium
  page alone, from navigation to every tract drawn; and the app's Map page for the state saved as a
  dataset, from the click on "Map" to every tract drawn (metrics already cached, as on a second visit).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.common import timed  # noqa: E402

CHROMIUM = Path(os.environ.get("GAPMAP_CHROMIUM", "/usr/bin/chromium"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    from benchmarks.synth import generate_region
    from gapmap.metrics import compute_tract_metrics
    from gapmap.viz.geometry import map_geometry
    from gapmap.viz.maps import build_tract_map

    tracts, providers = generate_region(7_000, 15_000, seed=1)
    res = compute_tract_metrics(tracts, providers)
    out: dict = {"tracts": len(tracts), "providers": len(providers)}
    out["raw_tract_geojson_bytes"] = len(tracts[["geometry"]].to_json(drop_id=True).encode())
    out["map_geometry_s"], geometry = timed(lambda: map_geometry(tracts), 3)
    out["map_geometry_bytes"] = sum(len(g) for g in geometry)
    vertices_raw = int(sum(len(g.exterior.coords) for g in tracts.geometry))
    out["vertices_raw"] = vertices_raw
    out["vertices_map"] = int(sum(g.count("],[") + 1 for g in geometry))

    out["build_cached_geometry_s"], fmap = timed(
        lambda: build_tract_map(res, "0_2", "osu_class", show_providers=False, geometry=geometry), 3
    )
    out["build_from_polygons_s"], _ = timed(lambda: build_tract_map(res, "0_2", "osu_class", show_providers=False), 3)
    out["render_html_s"], html = timed(lambda: fmap.get_root().render(), 3)
    out["tract_layer_html_bytes"] = len(html.encode())
    tract_json = json.dumps(fmap._children[next(k for k in fmap._children if k.startswith("geo_json"))].data, separators=(",", ":"))
    out["tract_layer_geojson_bytes"] = len(tract_json.encode())
    with_providers = build_tract_map(res, "0_2", "osu_class", geometry=geometry).get_root().render()
    out["page_html_with_providers_bytes"] = len(with_providers.encode())

    if not CHROMIUM.exists():
        out["chromium"] = f"not measured: no chromium at {CHROMIUM}"
        print(json.dumps(out, indent=1))
        return 0
    from playwright.sync_api import sync_playwright

    from tests.e2e.cdn import CdnRouter, ensure_packages, folium_cdn_urls, package_specs
    from tests.e2e.conftest import CHROMIUM_ARGS, NPM_CACHE

    cache = ensure_packages(package_specs(folium_cdn_urls()), NPM_CACHE)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_file = Path(tmp) / "map.html"
        page_file.write_text(with_providers)
        (Path(tmp) / "tracts_only.html").write_text(html)
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        ctx.route("**/*", CdnRouter(cache))
        page = ctx.new_page()
        import functools
        import threading
        from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

        class Quiet(SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=tmp))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()

        def draw_time(name: str) -> float:
            def draw():
                page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/{name}")
                page.wait_for_function(
                    f"document.querySelectorAll('path.gapmap-tract').length === {len(tracts)}", timeout=60_000, polling=50
                )

            return timed(draw, 3)[0]

        out["chromium_draw_folium_page_s"] = draw_time(page_file.name)
        out["chromium_draw_tracts_only_s"] = draw_time("tracts_only.html")
        httpd.shutdown()

        # the app's Map page, the state saved as a dataset in a data folder of its own
        from gapmap.sources.datasets import save_dataset

        data_home = Path(tmp) / "xdg"
        key = save_dataset(data_home / "gapmap" / "datasets", "Generated state", tracts, providers, {"benchmark": "benchmarks/synth.py"})
        port = _free_port()
        env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
        server = subprocess.Popen(
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
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                        break
                except OSError:
                    time.sleep(0.2)
            frame = 'iframe[title="streamlit_folium.st_folium"]'
            times = []
            for _visit in range(3):
                page.goto(f"{url}/?region={key}")
                page.get_by_text("Child care supply and deserts").wait_for(timeout=120_000)
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
                t0 = time.perf_counter()
                page.get_by_role("link", name="Map").click()
                page.frame_locator(frame).locator("path.gapmap-tract").nth(len(tracts) - 1).wait_for(state="attached", timeout=120_000)
                times.append(time.perf_counter() - t0)
            out["chromium_map_page_first_s"] = times[0]
            out["chromium_map_page_s"] = statistics.median(times[1:])
        finally:
            server.terminate()
            server.wait(timeout=20)
        browser.close()
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
