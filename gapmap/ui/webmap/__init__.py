"""The tract map as a Streamlit component on a bundled Leaflet (``frontend/``): the geometry goes to the
browser once, by URL; a restyle sends one class and one value per tract.

Streamlit serves a component's folder at ``/component/<name>/``. The component is declared on a folder
of this server process (:func:`runtime_dir`, a fresh temporary folder): the bundled page and Leaflet are
copied into it, and the layer files of :mod:`gapmap.viz.webmap` are written into its ``geo/`` folder.
File names are a hash of the content keyed with a random key of this process, so a file's address is
known only to sessions that were given it (a privacy-off provider file is never named to a session in
privacy mode), and a browser caches a file as long as its content stays the same.

No file from a user is ever served as it came: only the JSON this module writes. No CDN is reached: the
page's Content-Security-Policy allows scripts from this folder only.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import streamlit.components.v1 as components

from gapmap.viz.maps import FOLDED_LEGEND_ROOM_PX, LEGEND_ROOM_PX

__all__ = ["COMPONENT_NAME", "runtime_dir", "publish", "name_file", "geo_url", "draw_map", "MAP_HEIGHT", "TILES"]

FRONTEND = Path(__file__).parent / "frontend"
MAP_HEIGHT = 560
#: The base map (OpenStreetMap's standard tiles) and its credit; the map draws without it offline.
TILES = {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "© OpenStreetMap contributors"}

_KEY = secrets.token_bytes(16)
_DIR: Path | None = None


def runtime_dir() -> Path:
    """This process's component folder (made once, removed at exit): the bundled page and a ``geo/``
    folder for layer files."""
    global _DIR
    if _DIR is None:
        root = Path(tempfile.mkdtemp(prefix="gapmap-map-", dir=os.environ.get("GAPMAP_MAP_DIR") or None))
        shutil.copytree(FRONTEND, root, dirs_exist_ok=True)
        _version_assets(root)
        (root / "geo").mkdir()
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        _DIR = root
    return _DIR


#: The modification time given to every file the page fetches (2001-01-01). Streamlit serves component
#: files with ``Cache-Control: public`` and no lifetime, so a browser keeps a file for a tenth of its age
#: (RFC 9111 heuristic freshness): an old date keeps it for months. That is safe because every such
#: address changes with its content: layer files are named by their hash, and the page asks for its
#: scripts and styles with ``?v=<hash>`` (the page itself is served ``no-cache``).
_OLD = 978_307_200


def _version_assets(root: Path) -> None:
    page = root / "index.html"
    text = page.read_text()
    for asset in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".js", ".css")):
        rel = asset.relative_to(root).as_posix()
        digest = hashlib.blake2b(asset.read_bytes(), digest_size=6).hexdigest()
        text = text.replace(f'"{rel}"', f'"{rel}?v={digest}"')
        os.utime(asset, (_OLD, _OLD))
    for image in root.rglob("*.png"):
        os.utime(image, (_OLD, _OLD))
    page.write_text(text)


def name_file(content: bytes, kind: str) -> str:
    """A layer file's name: its kind and a hash of its content keyed with this process's key."""
    return f"{kind}-{hashlib.blake2b(content, key=_KEY, digest_size=16).hexdigest()}.json"


def publish(files: dict[str, bytes]) -> None:
    """Write layer files into the component's ``geo/`` folder (a file already there is kept: same name,
    same content)."""
    geo = runtime_dir() / "geo"
    for name, content in files.items():
        target = geo / name
        if target.exists():
            continue
        tmp = geo / f".{name}.{secrets.token_hex(4)}"
        tmp.write_bytes(content)
        os.utime(tmp, (_OLD, _OLD))  # named by content: a browser may keep it (see _OLD)
        tmp.replace(target)  # atomic: a browser never reads half a file


def geo_url(name: str) -> str:
    """A layer file's address relative to the component's page."""
    return f"geo/{name}"


COMPONENT_NAME = "tract_map"
_component = components.declare_component(COMPONENT_NAME, path=str(runtime_dir()))


def draw_map(args: dict, key: str) -> dict | None:
    """Draw (or restyle) the map; returns the last click (``{"geoid", "click"}``) or None. Tests answer
    for this function, as AppTest cannot run a component's page."""
    return _component(**args, legend_room=LEGEND_ROOM_PX, folded_room=FOLDED_LEGEND_ROOM_PX, key=key, default=None)
