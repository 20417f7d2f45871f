"""The map component's folder: the bundled page and Leaflet are served from it, every asset address
changes with its content, and layer files are written whole and kept."""

from __future__ import annotations

import hashlib
import re
import time

from gapmap.ui import webmap


def test_the_page_asks_for_every_asset_by_its_content_hash():
    root = webmap.runtime_dir()
    page = (root / "index.html").read_text()
    refs = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert refs and all("?v=" in r for r in refs), refs
    for ref in refs:
        path, version = ref.split("?v=")
        assert hashlib.blake2b((root / path).read_bytes(), digest_size=6).hexdigest() == version
        # an old date: browsers keep the file (its address changes when it does)
        assert (root / path).stat().st_mtime < time.time() - 365 * 86400
    assert "http" not in " ".join(refs)  # nothing from a CDN
    assert "script-src 'self'" in page  # and the page allows no other script


def test_layer_files_are_named_by_a_keyed_hash_and_written_once(tmp_path):
    a = webmap.name_file(b"{}", "tracts")
    assert a == webmap.name_file(b"{}", "tracts") and a != webmap.name_file(b"{ }", "tracts")
    # keyed: the name is not the plain hash of the content, so no one computes an address from data
    assert hashlib.blake2b(b"{}", digest_size=16).hexdigest() not in a
    webmap.publish({a: b"{}"})
    target = webmap.runtime_dir() / "geo" / a
    assert target.read_bytes() == b"{}"
    webmap.publish({a: b"changed"})  # the same name is the same content: kept as it is
    assert target.read_bytes() == b"{}"
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]  # no half-written file left
    assert webmap.geo_url(a) == f"geo/{a}"
