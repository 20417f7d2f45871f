"""Serve the CDN files folium asks for from npm packages, so a browser renders maps offline.

folium loads Leaflet, jQuery, Bootstrap, Leaflet.awesome-markers and Font Awesome from CDNs that the
test machines cannot reach. :func:`ensure_packages` runs ``npm pack`` once per package into a cache
folder; :class:`CdnRouter` answers each CDN URL from the unpacked files, answers map tiles with a blank
tile, and refuses (and records) every other outside request.
"""

from __future__ import annotations

import base64
import mimetypes
import re
import shutil
import subprocess
import tarfile
from pathlib import Path
from urllib.parse import urlparse

# A 1x1 light-grey PNG, for every map tile.
BLANK_TILE = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGN48+YNAAWMAsVhn3kZAAAAAElFTkSuQmCC")
# cdnjs paths -> npm packages (the cdnjs version is not always on npm; the nearest later release is).
CDNJS = {"Leaflet.awesome-markers": ("leaflet.awesome-markers", "2.0.5", "dist")}
EMPTY_CSS_HOSTS = {"netdna.bootstrapcdn.com"}  # glyphicons: not on npm, unused by gapmap's maps
TILE_HOSTS = re.compile(r"(^|\.)(tile\.openstreetmap\.org|basemaps\.cartocdn\.com|tile\.opentopomap\.org|arcgisonline\.com)$")
LEAFLET_DEFAULT_ICON = re.compile(r"/leaflet@[^/]+/dist(images/)?marker-(icon|shadow)(-2x)?\.png$")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def package_specs(urls: list[str]) -> set[str]:
    """npm package specs (name@version) needed for a list of CDN URLs."""
    specs = set()
    for url in urls:
        mapped = map_url(url)
        if mapped and mapped[0] != "":
            specs.add(mapped[0])
    return specs


def map_url(url: str) -> tuple[str, str] | None:
    """(npm spec, path inside the package) for a CDN URL, ("", "") for an empty stylesheet, or None."""
    u = urlparse(url)
    host, path = u.hostname or "", u.path
    if host == "cdn.jsdelivr.net":
        m = re.match(r"^/npm/(@[^/]+/[^@/]+|[^@/]+)@([^/]+)/(.+)$", path)
        if m:
            return f"{m.group(1)}@{m.group(2)}", m.group(3)
        if path.startswith("/gh/"):
            return "", ""
    if host == "code.jquery.com":
        m = re.match(r"^/jquery-(\d+\.\d+\.\d+)(\.min)?\.js$", path)
        if m:
            return f"jquery@{m.group(1)}", f"dist/jquery{m.group(2) or ''}.js"
    if host == "cdnjs.cloudflare.com":
        m = re.match(r"^/ajax/libs/([^/]+)/[^/]+/(.+)$", path)
        if m and m.group(1) in CDNJS:
            name, version, folder = CDNJS[m.group(1)]
            return f"{name}@{version}", f"{folder}/{m.group(2)}"
    if host in EMPTY_CSS_HOSTS:
        return "", ""
    return None


def ensure_packages(specs: set[str], cache: Path) -> Path:
    """``npm pack`` each spec into ``cache/<spec>/`` once; returns ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    for spec in sorted(specs):
        target = cache / spec.replace("/", "__")
        if (target / "package" / "package.json").exists():
            continue
        if npm is None:
            raise RuntimeError(f"npm is needed once to fetch {spec} for the browser tests")
        tmp = cache / "_tgz"
        tmp.mkdir(exist_ok=True)
        out = subprocess.run(
            [npm, "pack", spec, "--pack-destination", str(tmp), "--silent"], capture_output=True, text=True, check=True, timeout=300
        )
        tgz = tmp / out.stdout.strip().splitlines()[-1]
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tgz) as tar:
            tar.extractall(target, filter="data")
    return cache


class CdnRouter:
    """A Playwright route handler: local requests pass, CDN files come from npm, tiles are blank."""

    def __init__(self, cache: Path):
        self.cache = cache
        self.served: list[str] = []
        self.refused: list[str] = []

    def __call__(self, route) -> None:
        url = route.request.url
        host = urlparse(url).hostname or ""
        if host in LOCAL_HOSTS or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
            return
        if LEAFLET_DEFAULT_ICON.search(url):
            # folium creates a marker with Leaflet's default icon before giving it a DivIcon, and Leaflet's
            # image-path guess yields ".../distmarker-icon.png" (a 404 online too): answer it blank
            route.fulfill(status=200, body=BLANK_TILE, content_type="image/png")
            return
        if TILE_HOSTS.search(host):
            route.fulfill(status=200, body=BLANK_TILE, content_type="image/png")
            return
        mapped = map_url(url)
        if mapped is not None:
            spec, inner = mapped
            if spec == "":
                route.fulfill(status=200, body="", content_type="text/css")
                self.served.append(url)
                return
            file = self.cache / spec.replace("/", "__") / "package" / inner
            if file.exists():
                ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                route.fulfill(status=200, body=file.read_bytes(), content_type=ctype)
                self.served.append(url)
                return
        self.refused.append(url)
        route.abort()


def folium_cdn_urls() -> list[str]:
    """Every CDN URL a default folium map asks for."""
    import folium

    m = folium.Map()
    return [u for _, u in m.default_js] + [u for _, u in m.default_css]
