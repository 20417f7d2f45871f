"""The Map page in Chromium, through the app: the map component against the folium map it replaced.

    uv run python benchmarks/bench_map.py [--runs 5] [--no-nation]

Writes ``benchmarks/map.json`` and the "Map" section of ``benchmarks/README.md``.

A generated state (7,000 tracts, 15,000 providers; ``benchmarks/synth.py``) and a generated nation
(85,000 tracts, 200,000 providers) are written as files and saved with ``gapmap datasets add`` into a
data folder of their own (``XDG_DATA_HOME``). Two servers run side by side on that folder: the app as
shipped (the map component) and the same app with ``GAPMAP_MAP_ENGINE=folium`` (the folium map, as
before). For each, in Debian's Chromium driven by Playwright, medians of ``--runs`` runs:

* **first draw**: a session on the Overview (metrics cached), click "Map", until every tract is drawn;
* **link**: a new browser context opens ``/map?region=...`` directly, until every tract is drawn;
* **restyle**: change the age band (or the measure), until the map shows the new one; and the bytes the
  websocket brought during it (Streamlit's own messages included);
* **nation**: the link and a band restyle on the nation, whose map starts as counties (the folium path:
  its county map).

The first visit of each server (metrics and layer files computed) is reported apart from the medians.
"""

from __future__ import annotations

import argparse
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

CHROMIUM = Path(os.environ.get("GAPMAP_CHROMIUM", "/usr/bin/chromium"))
COMPONENT = "/component/gapmap.ui.webmap.tract_map/"
FOLIUM_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
BANDS = (("Infants and toddlers (ages 0-2)", "0-2"), ("Preschool (ages 3-5)", "3-5"), ("All children under 5", "under 5"))
MEASURES = (
    "Desert class (OSU)",
    "Slots per 100 children",
    "Access: slots within reach per 100 children",
    "Children",
    "Child-care desert (CAP rule)",
    "Access desert class",
    "Desert class (OSU)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _save(data_home: Path, name: str, tracts, providers, folder: Path) -> str:
    """Write the region as files and save it with the CLI, as an administrator would."""
    tracts_file, providers_file = folder / f"{name}-tracts.parquet", folder / f"{name}-providers.csv"
    tracts.to_parquet(tracts_file)
    providers.to_csv(providers_file, index=False)
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    cmd = [sys.executable, "-m", "gapmap.cli", "datasets", "add", name, "--tracts", str(tracts_file), "--providers", str(providers_file)]
    subprocess.run(cmd, env=env, check=True, cwd=ROOT, capture_output=True)
    listed = subprocess.run(
        [sys.executable, "-m", "gapmap.cli", "datasets", "list"], env=env, check=True, cwd=ROOT, capture_output=True, text=True
    )
    return next(line.split()[0] for line in listed.stdout.splitlines() if name in line)


class Server:
    def __init__(self, data_home: Path, folium: bool) -> None:
        self.port = _free_port()
        env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
        if folium:
            env["GAPMAP_MAP_ENGINE"] = "folium"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(self.port)]
            + ["--browser.gatherUsageStats", "false"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


def new_context(browser):
    from tests.e2e.cdn import CdnRouter, ensure_packages, folium_cdn_urls, package_specs
    from tests.e2e.conftest import NPM_CACHE

    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.route("**/*", CdnRouter(ensure_packages(package_specs(folium_cdn_urls()), NPM_CACHE)))
    return ctx


class Session:
    """A new page (a new Streamlit session) in a browser context, counting websocket bytes and geometry
    requests. The context keeps its HTTP cache between sessions, as a planner's browser does."""

    def __init__(self, ctx, url: str, folium: bool) -> None:
        self.page = ctx.new_page()
        self.url, self.folium = url, folium
        self.ws_bytes = 0
        self.geometry_requests = 0
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        self.page.on("request", lambda r: COMPONENT + "geo/" in r.url and self._geo())

    def _frame(self, payload) -> None:
        self.ws_bytes += len(payload) if isinstance(payload, (bytes, str)) else 0

    def _geo(self) -> None:
        self.geometry_requests += 1

    def close(self) -> None:
        self.page.close()

    # what "drawn" means on each path
    def _component(self):
        for f in self.page.frames:
            if COMPONENT in f.url and not f.is_detached():
                return f
        return None

    def wait_drawn(self, n_tracts: int, counties: bool = False, after: int = 0, band: str | None = None, timeout: float = 180) -> float:
        """Wait for the map to be drawn (after its ``after``-th drawing); returns when it was, in epoch
        seconds by the page's clock (the check runs inside the map's frame on every animation frame, so
        neither path pays for the benchmark's polling)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frames = [f for f in self.page.frames if not f.is_detached() and ("st_folium" in f.url if self.folium else COMPONENT in f.url)]
            for f in frames:
                try:
                    if self.folium:
                        sel = "path.gapmap-region" if counties else "path.gapmap-tract"
                        at = f.wait_for_function(
                            "([sel, n, after]) => !window.__benchMark && document.querySelectorAll(sel).length >= n"
                            " && performance.timeOrigin + performance.now()",
                            arg=[sel, 1 if counties else n_tracts, after],
                            polling="raf",
                            timeout=1_000,
                        ).json_value()
                        if (f.evaluate("() => window.__benchMark || 0")) > after:
                            continue  # the map drawn before the change (its mark is set)
                        f.evaluate(f"() => {{ window.__benchMark = {after + 1}; }}")
                        return at / 1000
                    at = f.wait_for_function(
                        "([n, after, counties, band]) => { const d = document.body.dataset;"
                        " const ok = Number(d.drawn || 0) > after && (counties ? window.gapmap.countiesShown() > 0 : Number(d.tracts || 0) === n)"
                        " && (band === null || window.gapmap.bandLabel() === band); return ok && Number(d.drawnAt); }",
                        arg=[n_tracts, after, counties, band],
                        polling="raf",
                        timeout=1_000,
                    ).json_value()
                    return at / 1000
                except Exception:  # noqa: S112 - not drawn yet, or the frame was replaced: look again
                    continue
            self.page.wait_for_timeout(20)
        raise RuntimeError("the map did not draw in time")

    def drawn_count(self) -> int:
        if self.folium:
            return max(
                [0]
                + [f.evaluate("() => window.__benchMark || 0") for f in self.page.frames if "st_folium" in f.url and not f.is_detached()]
            )
        f = self._component()
        return int(f.evaluate("() => Number(document.body.dataset.drawn || 0)")) if f else 0

    def idle(self) -> None:
        self.page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]') && !document.querySelector('[data-stale=\"true\"]')",
            polling=50,
            timeout=180_000,
        )


def _measure(browser, server: Server, key: str, n_tracts: int, runs: int, folium: bool, counties: bool = False) -> dict:
    out: dict = {}
    link = f"{server.url}/map?region={key}"
    # a browser that has never seen the app (empty cache), after the server's first visit below
    ctx = new_context(browser)
    # link in a new session (the first is the server's first visit: metrics and layer files computed)
    times = []
    for k in range(runs + 1):
        s = Session(ctx, server.url, folium)
        t0 = time.time()
        s.page.goto(link)
        times.append(s.wait_drawn(n_tracts, counties) - t0)
        if k == runs:
            s.idle()
            # restyles, band and measure in turn, each to a view this session has not seen (Streamlit sends a
            # large message it has sent before as a reference only: a repeat would look cheap)
            took: dict[str, list] = {"band": [], "measure": []}
            sizes: dict[str, list] = {"band": [], "measure": []}
            band, measure = 2, 0
            for r in range(2 * runs):
                kind = ("band", "measure")[r % 2]
                if kind == "band":
                    band = (band + 1) % 3
                else:
                    measure += 1
                s.idle()
                if kind == "measure":  # the list opens first: the time runs from the choice
                    s.page.get_by_role("combobox", name="Map measure").click()
                    option = s.page.get_by_role("option", name=MEASURES[measure], exact=True)
                    option.wait_for()
                before, b0 = s.drawn_count(), s.ws_bytes
                t0 = time.time()
                if kind == "band":
                    s.page.get_by_text(BANDS[band][0]).first.click()
                else:
                    option.click()
                took[kind].append(s.wait_drawn(n_tracts, counties, after=before, band=None if folium else BANDS[band][1]) - t0)
                s.idle()
                sizes[kind].append(s.ws_bytes - b0)
            for kind in took:
                out[f"restyle_{kind}_s"] = statistics.median(took[kind])
                out[f"restyle_{kind}_bytes"] = statistics.median(sizes[kind])
            out["geometry_requests_in_session"] = s.geometry_requests
        s.close()
    out["link_first_visit_s"] = times[0]
    out["link_s"] = statistics.median(times[1:])
    cold = []
    for _ in range(runs):
        fresh = new_context(browser)
        s = Session(fresh, server.url, folium)
        t0 = time.time()
        s.page.goto(link)
        cold.append(s.wait_drawn(n_tracts, counties) - t0)
        fresh.close()
    out["link_cold_browser_s"] = statistics.median(cold)
    if counties:
        ctx.close()
        return out
    # first draw after clicking Map, from the Overview of a new session
    clicks = []
    for _ in range(runs):
        s = Session(ctx, server.url, folium)
        s.page.goto(f"{server.url}/?region={key}")
        s.page.get_by_text("Child care supply and deserts").wait_for(timeout=180_000)
        s.idle()
        t0 = time.time()
        s.page.get_by_role("link", name="Map").click()
        clicks.append(s.wait_drawn(n_tracts) - t0)
        s.close()
    out["first_draw_s"] = statistics.median(clicks)
    ctx.close()
    return out


def _layer_sizes(tracts, providers) -> dict:
    from benchmarks.common import timed
    from gapmap.metrics import compute_tract_metrics
    from gapmap.viz import webmap
    from gapmap.viz.geometry import map_geometry
    from gapmap.viz.maps import build_tract_map

    res = compute_tract_metrics(tracts, providers)
    geometry = map_geometry(tracts)
    out: dict = {}
    out["layer_s"], layer = timed(lambda: webmap.tract_layer(res.tracts, geometry), 5)
    out["layer_bytes"] = layer.size
    out["style_s"], style = timed(lambda: webmap.tract_style(res, "0_2", "slots_per_100"), 5)
    out["style_bytes_number"] = webmap.style_bytes(style)
    out["style_bytes_class"] = webmap.style_bytes(webmap.tract_style(res, "0_2", "osu_class"))
    out["folium_build_render_s"], html = timed(
        lambda: build_tract_map(res, "0_2", "osu_class", show_providers=False, geometry=geometry).get_root().render(), 5
    )
    out["folium_html_bytes"] = len(html.encode())
    _name, content, _types = webmap.provider_layer(res.providers, privacy=True)
    out["provider_file_bytes"] = len(content)
    return out


def _providers_draw(browser, tracts, providers, runs: int) -> dict:
    """The component's page alone (served from a folder, as Streamlit serves it), given the state's tracts
    and all its providers: navigation to every tract and provider drawn on the canvas, and the time to hide
    and show again the largest provider type in the layer control (in the browser, no rerun)."""
    from gapmap.metrics import compute_tract_metrics
    from gapmap.viz import webmap
    from tests.e2e.tractmap import ComponentFolder, post_render

    res = compute_tract_metrics(tracts, providers)
    _name, content, _types = webmap.provider_layer(res.providers, privacy=False)
    with tempfile.TemporaryDirectory() as tmp:
        folder = ComponentFolder(Path(tmp) / "component")
        args = folder.publish_map(res)
        draws, toggles = [], []
        for _ in range(runs):
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = ctx.new_page()
            t0 = time.time()
            page.goto(folder.url + "/index.html")
            page.wait_for_function("() => window.gapmap !== undefined")
            post_render(page, args)
            at = page.wait_for_function(
                "() => document.body.dataset.drawn === '1' && Number(document.body.dataset.drawnAt)", polling="raf"
            ).json_value()
            draws.append(at / 1000 - t0)
            assert page.evaluate("() => window.gapmap.providersShown()") == len(providers)
            page.locator(".leaflet-control-layers").hover()
            label = page.locator(".leaflet-control-layers-overlays label").first
            label.wait_for()
            t1 = time.time()
            label.click()
            page.wait_for_function("n => window.gapmap.providersShown() < n", arg=len(providers), polling="raf")
            label.click()
            page.wait_for_function("n => window.gapmap.providersShown() === n", arg=len(providers), polling="raf")
            toggles.append(time.time() - t1)
            ctx.close()
        folder.stop()
    return {
        "providers_file_bytes": len(content),
        "draw_with_providers_s": statistics.median(draws),
        "toggle_type_twice_s": statistics.median(toggles),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-nation", action="store_true")
    ap.add_argument("--providers-only", action="store_true", help="only the 15,000 providers on the component page (adds to map.json)")
    args = ap.parse_args()
    if args.providers_only:
        from playwright.sync_api import sync_playwright

        from benchmarks.synth import generate_region
        from tests.e2e.conftest import CHROMIUM_ARGS

        state = generate_region(7_000, 15_000, seed=1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            got = _providers_draw(browser, *state, args.runs)
            browser.close()
        out = json.loads((ROOT / "benchmarks" / "map.json").read_text())
        out["state"]["providers_page"] = {**got, "load": [round(v, 2) for v in os.getloadavg()]}
        (ROOT / "benchmarks" / "map.json").write_text(json.dumps(out, indent=1) + "\n")
        _write_readme(out)
        print(json.dumps(got, indent=1))
        return 0
    from playwright.sync_api import sync_playwright

    from benchmarks.synth import generate_nation, generate_region
    from tests.e2e.conftest import CHROMIUM_ARGS

    load = os.getloadavg()
    out: dict = {"runs": args.runs, "load_before": [round(v, 2) for v in load], "cores": os.cpu_count()}
    state = generate_region(7_000, 15_000, seed=1)
    out["state"] = {"tracts": len(state[0]), "providers": len(state[1]), **_layer_sizes(*state)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data_home = folder / "xdg"
        key_state = _save(data_home, "Generated state", *state, folder)
        if not args.no_nation:
            nation = generate_nation()
            out["nation"] = {"tracts": len(nation[0]), "providers": len(nation[1])}
            key_nation = _save(data_home, "Generated nation", *nation, folder)
            del nation
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for engine, folium in (("component", False), ("folium", True)):
                server = Server(data_home, folium)
                try:
                    out["state"][engine] = _measure(browser, server, key_state, len(state[0]), args.runs, folium)
                    if not args.no_nation:
                        out["nation"][engine] = _measure(
                            browser, server, key_nation, out["nation"]["tracts"], args.runs, folium, counties=True
                        )
                finally:
                    server.stop()
            browser.close()
    out["load_after"] = [round(v, 2) for v in os.getloadavg()]
    (ROOT / "benchmarks" / "map.json").write_text(json.dumps(out, indent=1) + "\n")
    _write_readme(out)
    print(json.dumps(out, indent=1))
    return 0


def _write_readme(m: dict) -> None:
    ok = lambda cond: "yes" if cond else "**no**"  # noqa: E731
    s, c, f = m["state"], m["state"]["component"], m["state"]["folium"]

    def row(label, key, unit="s", goal=None):
        a, b = c.get(key), f.get(key)
        if a is None:
            return None
        if unit == "s":
            val, base = f"{a:.2f} s", f"{b:.2f} s" if b is not None else ""
        else:
            val, base = f"{a / 1024:,.0f} KiB", f"{b / 1024:,.0f} KiB" if b is not None else ""
        ratio = f"{b / a:.1f}x" if b else ""
        g = "" if goal is None else (f"<= {goal:g} s" if unit == "s" else f"<= {goal / 1000:g} KB")
        met = "" if goal is None else ok(a <= goal)
        return f"| {label} | {val} | {base} | {ratio} | {g} | {met} |"

    lines = [
        "<!-- map:start -->",
        f"Measured by `uv run python benchmarks/bench_map.py` on this {m['cores']}-core machine, nothing else running (load average "
        f"{m['load_before'][0]:.2f} before, {m['load_after'][0]:.2f} after, the benchmark's own servers and browser); medians of "
        f"{m['runs']} runs, two servers side by side on the same saved datasets.",
        "",
        f"**A state**: {s['tracts']:,} tracts, {s['providers']:,} providers, saved with `gapmap datasets add`.",
        "",
        "| Chromium, through the app | map component | folium (before) | folium / component | goal | met |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for r in (
        row("first draw after clicking Map (metrics cached)", "first_draw_s", goal=1.5),
        row("a direct link in a new session", "link_s", goal=3),
        row("the same in a browser that never opened the app (empty cache)", "link_cold_browser_s"),
        row("restyle: change the age band", "restyle_band_s", goal=0.5),
        row("restyle: change the measure", "restyle_measure_s", goal=0.5),
        row("bytes over the websocket per restyle (band)", "restyle_band_bytes", unit="b", goal=150_000),
        row("bytes over the websocket per restyle (measure)", "restyle_measure_bytes", unit="b", goal=150_000),
        row("the server's first visit (metrics and map files computed)", "link_first_visit_s"),
    ):
        if r:
            lines.append(r)
    lines += [
        "",
        f"Layer files, written once per dataset: tracts {s['layer_bytes'] / 2**20:.2f} MiB ({1000 * s['layer_s']:.0f} ms to build), "
        f"providers in privacy mode {s['provider_file_bytes'] / 1024:,.0f} KiB; the browser fetched "
        f"{c['geometry_requests_in_session']} layer files in a session of {2 * m['runs']} restyles. A restyle's map data: "
        f"{s['style_bytes_class'] / 1024:.1f} KiB for a class measure, {s['style_bytes_number'] / 1024:.1f} KiB for a number measure "
        f"({1000 * s['style_s']:.0f} ms to build); the folium map of the same tracts is {s['folium_html_bytes'] / 2**20:.2f} MiB of HTML "
        f"({1000 * s['folium_build_render_s']:.0f} ms to build and render).",
    ]
    if "providers_page" in s:
        pp = s["providers_page"]
        lines += [
            "",
            f"**All {s['providers']:,} providers** on the component's page alone (canvas, sized by capacity; load average "
            f"{pp['load'][0]:.2f} after): {pp['draw_with_providers_s']:.2f} s from navigation to every tract and provider drawn; "
            f"hiding and showing again one provider type in the layer control, in the browser: {pp['toggle_type_twice_s']:.2f} s. "
            "(The Map page starts with providers hidden above 3,000; the planner turns them on.)",
        ]
    if "nation" in m:
        n, nc, nf = m["nation"], m["nation"]["component"], m["nation"]["folium"]
        lines += [
            "",
            f"**The nation**: {n['tracts']:,} tracts, {n['providers']:,} providers; both maps start as counties "
            "(the component fetches a county's tracts when zoomed in to it; folium asks for a county to be picked).",
            "",
            "| Chromium, through the app | map component | folium (before) | folium / component |",
            "|---|---:|---:|---:|",
            f"| a direct link in a new session, counties drawn | {nc['link_s']:.2f} s | {nf['link_s']:.2f} s | {nf['link_s'] / nc['link_s']:.1f}x |",
            f"| restyle: change the age band | {nc['restyle_band_s']:.2f} s | {nf['restyle_band_s']:.2f} s | {nf['restyle_band_s'] / nc['restyle_band_s']:.1f}x |",
            f"| bytes over the websocket per restyle | {nc['restyle_band_bytes'] / 1024:,.0f} KiB | {nf['restyle_band_bytes'] / 1024:,.0f} KiB | |",
            f"| the server's first visit (metrics, counties and map files computed) | {nc['link_first_visit_s']:.1f} s | {nf['link_first_visit_s']:.1f} s | |",
        ]
    lines.append("<!-- map:end -->")
    readme = ROOT / "benchmarks" / "README.md"
    text = readme.read_text()
    block = "\n".join(lines)
    if "<!-- map:start -->" in text:
        start, end = text.index("<!-- map:start -->"), text.index("<!-- map:end -->") + len("<!-- map:end -->")
        text = text[:start] + block + text[end:]
    else:
        text = text.rstrip() + "\n\n## The Map page\n\n" + block + "\n"
    readme.write_text(text)


if __name__ == "__main__":
    raise SystemExit(main())
