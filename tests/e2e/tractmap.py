"""Helpers for the Map page's map component (gapmap/ui/webmap) in a real browser.

The component draws on a canvas, so tracts are not DOM elements: the page exposes ``window.gapmap``
(stats, the fill of a tract, its point on screen, the box around the tracts and the legend's box), and
sets ``document.body.dataset.drawn`` to the number of renders it has finished.
"""

from __future__ import annotations

import time

TRACT_MAP = 'iframe[title="gapmap.ui.webmap.tract_map"]'
COMPONENT_PATH = "/component/gapmap.ui.webmap.tract_map/"


def map_frame(page, timeout: float = 60.0):
    """The live component frame, once it has drawn a render."""
    deadline = time.monotonic() + timeout
    while True:
        for frame in page.frames:
            if COMPONENT_PATH in frame.url and not frame.is_detached():
                try:
                    if frame.evaluate("() => document.body.dataset.drawn || ''"):
                        return frame
                except Exception:  # noqa: S110 - the frame was replaced while being read: look again
                    pass
        if time.monotonic() > deadline:
            raise AssertionError("the map component did not draw")
        page.wait_for_timeout(100)


def drawn(frame) -> int:
    return int(frame.evaluate("() => Number(document.body.dataset.drawn || 0)"))


def wait_drawn_after(frame, renders: int, timeout: float = 30_000) -> None:
    """Wait until the component has finished a render after the ``renders``-th."""
    frame.wait_for_function("n => Number(document.body.dataset.drawn || 0) > n", arg=renders, polling=50, timeout=timeout)


def screen_point(page, frame, geoid: str) -> tuple[float, float]:
    """The page coordinates of a tract's middle on the map (scrolled into view first)."""
    page.locator(TRACT_MAP).scroll_into_view_if_needed()
    box = page.locator(TRACT_MAP).bounding_box()
    p = frame.evaluate("g => window.gapmap.pointOf(g)", geoid)
    assert p is not None, f"tract {geoid} is not drawn"
    return box["x"] + p["x"], box["y"] + p["y"]


class GeometryRequests:
    """Counts the layer files (geometry) the browser asks for, by kind (index, tracts, counties, providers)."""

    def __init__(self, page) -> None:
        self.urls: list[str] = []
        page.on("request", self._seen)

    def _seen(self, request) -> None:
        if COMPONENT_PATH + "geo/" in request.url:
            self.urls.append(request.url)

    def count(self, kind: str) -> int:
        return sum(1 for u in self.urls if u.rsplit("/", 1)[-1].startswith(kind + "-"))


class SocketBytes:
    """Bytes the app's websocket brings to the browser."""

    def __init__(self, page) -> None:
        self.total = 0
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        self.total += len(payload) if isinstance(payload, (bytes, str)) else 0


class ComponentFolder:
    """The component's page and Leaflet copied into ``root`` and served over HTTP from there, as Streamlit
    serves a component's folder, with a ``geo/`` folder for layer files; a render is posted to the page
    as Streamlit posts it (:func:`post_render`)."""

    def __init__(self, root) -> None:
        import functools
        import http.server
        import shutil
        import threading

        from gapmap.ui.webmap import FRONTEND

        self.root = root
        shutil.copytree(FRONTEND, root)
        (root / "geo").mkdir()

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, files: dict[str, bytes]) -> None:
        for name, data in files.items():
            (self.root / "geo" / name).write_bytes(data)

    def publish_map(self, result, band: str = "under_5", measure: str = "osu_class", privacy: bool = False) -> dict:
        """Write a result's whole tract layer and provider file here; the render that draws them."""
        from gapmap.viz import webmap
        from gapmap.viz.geometry import map_geometry

        layer = webmap.tract_layer(result.tracts, map_geometry(result.tracts))
        name, content, types = webmap.provider_layer(result.providers, privacy=privacy)
        self.add({**layer.files, name: content})
        return webmap.component_args(
            f"geo/{layer.index_name}",
            webmap.tract_style(result, band, measure),
            bounds=result.tracts.total_bounds,
            providers_url=f"geo/{name}",
            provider_types=types,
            privacy=privacy,
        )

    def stop(self) -> None:
        self._server.shutdown()


def post_render(page, args: dict) -> None:
    """Give the page a render (the legend room the app adds too), as Streamlit does."""
    page.evaluate(
        "args => window.postMessage({type: 'streamlit:render', args: args}, '*')", {**args, "legend_room": 250, "folded_room": 64}
    )
