"""The tract map's data for a browser that keeps the geometry: layer files written once per dataset, and
a restyle that is one class and one value per tract.

folium sends a whole map (geometry, styles, tooltips) as one HTML page, so every change of band or measure
sent a state's 3.3 MB of tract GeoJSON again. Here the map is split by how often each part changes:

* **layer files** (:func:`tract_layer`, :func:`provider_layer`), once per dataset and geometry version:
  the simplified polygons (:func:`gapmap.viz.geometry.map_geometry`) with what does not change with the
  analysis (GEOID, name, county, children per band with their margins and reliability). Each file is
  named by a hash of its content, so a browser that has it keeps it. Above :data:`TILE_LIMIT` tracts
  the tracts are split into one file per county, with a county layer for the zoomed-out view, so a
  nation's 85,000 tracts never travel at once;
* **a style** (:func:`tract_style`, :func:`county_style`), on every rerun: one character per tract (its
  colour class), one rounded number per tract for number measures, the palette and the legend. At
  7,000 tracts that is tens of kilobytes.

Nothing here writes files or imports Streamlit: the app's map component (``gapmap/ui/webmap``) writes
the files where its page can fetch them, and names them with a key of its own.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapmap import measures as M
from gapmap import schema as S
from gapmap.errors import MissingColumnError, ParameterError
from gapmap.metrics import MetricsResult
from gapmap.viz.geometry import feature_collection_text
from gapmap.viz.maps import TRACT_DRAW_LIMIT
from gapmap.viz.measures import MEASURES, MISSING_COLOR, classify_measure

__all__ = [
    "TILE_LIMIT",
    "COUNTY_ZOOM",
    "LayerFiles",
    "content_name",
    "tract_layer",
    "provider_layer",
    "tract_style",
    "county_style",
    "style_bytes",
    "order_fingerprint",
    "component_args",
    "tile_styles",
]

#: Above this many tracts the layer is split into one file per county and starts as counties (the folium
#: map's county limit; read at call time, so tests may lower it).
TILE_LIMIT = TRACT_DRAW_LIMIT
#: The zoom level from which a split layer shows tracts (zoom 9: about a county across the map).
COUNTY_ZOOM = 9
_BANDS = tuple(S.BANDS)  # the order of the per-band lists in a tract's properties
# A class is one character: chr(48 + palette index).
_CLASS_BASE = 48

Namer = Callable[[bytes, str], str]


def content_name(content: bytes, kind: str) -> str:
    """A file name from a hash of the content (the app passes a keyed hash of its own)."""
    return f"{kind}-{hashlib.blake2b(content, digest_size=16).hexdigest()}.json"


@dataclass(frozen=True)
class LayerFiles:
    """A layer's index (what the browser fetches first) and its files, by name."""

    index_name: str
    files: dict[str, bytes]
    #: the rows of the tract table in each tile, in the tile's feature order
    tile_rows: tuple[np.ndarray, ...] = ()

    @property
    def index(self) -> dict:
        return json.loads(self.files[self.index_name])

    @property
    def size(self) -> int:
        return sum(len(v) for v in self.files.values())


def _dump(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _whole(values) -> list:
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
    return [None if not math.isfinite(v) else round(v) for v in x.tolist()]


def _reliability(t: pd.DataFrame, band: str) -> list | None:
    cls_col, cv_col = M.column("reliability", band), M.column("children_cv", band)
    if cls_col not in t.columns or cv_col not in t.columns:
        return None
    out: list[str | None] = []
    for c, v in zip(t[cls_col].astype(object).tolist(), pd.to_numeric(t[cv_col], errors="coerce").tolist()):
        if c is None or (isinstance(c, float) and not math.isfinite(c)):
            out.append(None)
        else:
            out.append(f"{c} (CV {v:.2f})" if math.isfinite(v) else str(c))
    return out


def _tract_properties(t: pd.DataFrame) -> list[dict]:
    kids = [_whole(t[S.BANDS[b].children]) for b in _BANDS]
    moe_cols = [S.moe_column(S.BANDS[b].children) for b in _BANDS]
    moes = [_whole(t[c]) if c in t.columns else None for c in moe_cols]
    rel = [_reliability(t, b) for b in _BANDS]
    names = t[S.NAME].astype(object).where(t[S.NAME].notna(), None).tolist() if S.NAME in t.columns else [None] * len(t)
    counties = t[S.COUNTY].astype(object).tolist() if S.COUNTY in t.columns else t[S.GEOID].str[:5].tolist()
    props = []
    for i, (g, n, c) in enumerate(zip(t[S.GEOID].tolist(), names, counties)):
        p: dict = {"i": i, "g": str(g), "n": None if n is None else str(n), "c": None if c is None else str(c), "k": [k[i] for k in kids]}
        if all(m is not None for m in moes):
            p["m"] = [m[i] for m in moes]  # type: ignore[index]
        if all(r is not None for r in rel):
            p["r"] = [r[i] for r in rel]  # type: ignore[index]
        props.append(p)
    return props


def _box(bounds) -> list[float]:
    return [round(float(v), 5) for v in bounds]


def tract_layer(
    tracts: pd.DataFrame,
    geometry: list[str],
    *,
    namer: Namer = content_name,
    counties=None,
    county_of: pd.Series | None = None,
    tile_limit: int | None = None,
) -> LayerFiles:
    """The tract layer's files for a dataset.

    ``tracts``: a metrics result's tract table (for the children, margins and reliability of each band,
    which do not depend on the analysis parameters) with its polygons; ``geometry``: its map geometry,
    one GeoJSON text per tract in the same order. ``counties``: the county polygons
    (:func:`gapmap.regions.dissolve_regions` of the county region set, ``region`` and ``geometry``) and
    ``county_of`` (each tract's county region), used when the layer is split (above :data:`TILE_LIMIT`
    tracts, or ``tile_limit``).

    The index is ``{"tiles": [[file, minx, miny, maxx, maxy], ...], "min_zoom": int | None, "counties":
    file | None, "count": tracts}``; every tract feature's ``i`` is its row in ``tracts``, the position of
    its class and value in a style.
    """
    if len(geometry) != len(tracts):
        raise ParameterError(f"map geometry for {len(geometry)} tracts given for {len(tracts)} tracts: compute it for these tracts")
    props = _tract_properties(tracts)
    files: dict[str, bytes] = {}
    split = len(tracts) > (TILE_LIMIT if tile_limit is None else tile_limit)
    bounds = tracts.geometry.bounds.to_numpy(float) if len(tracts) else np.zeros((0, 4))
    if split:
        keys = tracts[S.GEOID].astype(str).str[:5].to_numpy(object)
        order = pd.Series(range(len(tracts))).groupby(keys, sort=True)
        groups = [np.asarray(rows, dtype=int) for _key, rows in order]
    else:
        groups = [np.arange(len(tracts))]
    tiles = []
    for rows in groups:
        content = feature_collection_text([geometry[i] for i in rows], [props[i] for i in rows]).encode()
        name = namer(content, "tracts")
        files[name] = content
        b = bounds[rows]
        box = [b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()] if len(rows) else [0.0, 0.0, 0.0, 0.0]
        tiles.append([name, *_box(box)])
    county_name = None
    if split:
        if counties is None or county_of is None:
            raise ParameterError(f"a layer of {len(tracts):,} tracts is split by county: give the county polygons and each tract's county")
        from gapmap.viz.geometry import map_geometry

        counts = pd.Series(np.asarray(county_of, dtype=object)).value_counts()
        county_props = [{"i": i, "n": str(name), "t": int(counts.get(name, 0))} for i, name in enumerate(counties["region"].tolist())]
        content = feature_collection_text(map_geometry(counties, tolerance=0.005, decimals=3), county_props).encode()
        county_name = namer(content, "counties")
        files[county_name] = content
    index = _dump({"tiles": tiles, "min_zoom": COUNTY_ZOOM if split else None, "counties": county_name, "count": len(tracts)})
    index_name = namer(index, "index")
    files[index_name] = index
    return LayerFiles(index_name, files, tuple(groups))


def provider_layer(providers: pd.DataFrame, privacy: bool, *, namer: Namer = content_name) -> tuple[str, bytes, list[dict]]:
    """The providers' file and their types: ``(name, content, types)``.

    In privacy mode no family child care home is in the file (nor in the types). Each provider is
    ``[longitude, latitude, capacity, type index, name, slots 0-2, slots 3-5]``; ``types`` are
    ``{"key", "label", "color"}`` in :data:`gapmap.schema.PROVIDER_TYPES` order.
    """
    from gapmap.viz.maps import PROVIDER_COLORS

    keys = [k for k in S.PROVIDER_TYPES if not (privacy and k == "family_home")]
    types = [{"key": k, "label": S.PROVIDER_TYPES[k], "color": PROVIDER_COLORS.get(k, "#999999")} for k in keys]
    position = {k: i for i, k in enumerate(keys)}
    shown = providers[providers[S.PROVIDER_TYPE].isin(keys)]
    rows = []
    cols = [S.LONGITUDE, S.LATITUDE, S.CAPACITY, S.PROVIDER_TYPE, S.PROVIDER_NAME, S.SLOTS_0_2, S.SLOTS_3_5]
    for lon, lat, cap, kind, name, s02, s35 in shown[cols].itertuples(index=False):
        rows.append([round(float(lon), 5), round(float(lat), 5), _int(cap), position[kind], str(name), _int(s02), _int(s35)])
    content = _dump({"p": rows})
    return namer(content, "providers"), content, types


def _int(value) -> int:
    v = float(value)
    return round(v) if math.isfinite(v) else 0


def _palette(colors: list[str], legend: list[tuple[str, str]], no_data: str = "no data") -> tuple[list[list[str]], str]:
    """Palette entries ``[colour, label]`` (the legend's, then any other colour) and one class
    character per value."""
    entries = [[c, str(label)] for c, label in legend]
    seen = {c: i for i, (c, _label) in enumerate(entries)}
    for c in colors:
        if c not in seen:
            seen[c] = len(entries)
            entries.append([c, no_data if c == MISSING_COLOR else ""])
    if MISSING_COLOR not in seen:
        entries.append([MISSING_COLOR, no_data])
    return entries, "".join(chr(_CLASS_BASE + seen[c]) for c in colors)


def _rounded(x: np.ndarray) -> list:
    """Numbers for a tooltip: 3 significant figures (whole numbers from 100), missing as None."""
    out: list = []
    for v in x.tolist():
        if not math.isfinite(v):
            out.append(None)
        elif v == 0 or abs(v) >= 100:
            out.append(round(v))
        else:
            out.append(round(v, max(0, 2 - math.floor(math.log10(abs(v))))))
    return out


def tract_style(result: MetricsResult, band: str, measure: str) -> dict:
    """The restyle of the tract layer: ``classes`` (one character per tract, an index into ``palette``),
    ``values`` (number measures: the number behind the colour, in the unit shown), ``palette``, ``legend``
    (title and entries), ``measure`` (label, kind, suffix, digits) and the band."""
    band_def = S.get_band(band)
    if measure not in MEASURES:
        raise ParameterError(f"unknown measure {measure!r}: expected one of {', '.join(MEASURES)}")
    m = MEASURES[measure]
    t = result.tracts
    col = m.column(band_def.key if m.per_band else None)
    if col not in t.columns:
        raise MissingColumnError(col, f"the map of {m.label.lower()}", list(t.columns))
    colors, legend = classify_measure(m, t[col], result.params)
    palette, classes = _palette(colors, legend)
    number = m.kind not in ("class", "flag")
    values = None
    if number:
        x = pd.to_numeric(t[col], errors="coerce").to_numpy(float)
        values = _rounded(100 * x if m.in_percent else x)
    title = f"{m.label}, ages {band_def.short}" + (f" ({m.unit})" if m.kind == "number" else "")
    return {
        "band_index": _BANDS.index(band_def.key),
        "band_label": band_def.short,
        "measure": {
            "label": m.label_for(band_def.key if m.per_band else None),
            "kind": "number" if number else "class",
            "suffix": "%" if number and m.in_percent else "",
            "digits": 2,
        },
        "classes": classes,
        "values": values,
        "palette": palette,
        "legend": {"title": title, "entries": [[c, str(label)] for c, label in legend]},
    }


def county_style(counties, rollup: pd.DataFrame, band: str, params, measure: str) -> dict:
    """The restyle of the county layer of a split map: ``classes``, ``values``, ``palette``, ``label``,
    ``suffix`` and ``title``, by :func:`gapmap.viz.maps.region_colors`."""
    from gapmap.viz.maps import REGION_MEASURES, region_colors

    band = S.get_band(band).key
    merged = counties[["region"]].merge(rollup, on="region", how="left")
    colors, legend, x = region_colors(merged, band, params, measure)
    palette, classes = _palette(colors, legend)
    share = measure.startswith("share")
    return {
        "classes": classes,
        "values": _rounded(x),
        "palette": palette,
        "label": REGION_MEASURES[measure][1].removesuffix(" (%)"),
        "suffix": "%" if share else "",
        "digits": 1,
        "title": f"Counties: {REGION_MEASURES[measure][1].removesuffix(' (%)').lower()}, ages {S.BANDS[band].short}",
        "legend": [[c, str(label)] for c, label in legend],
    }


def style_bytes(style: dict) -> int:
    """The size of a style as JSON (what a restyle sends)."""
    return len(_dump(style))


def order_fingerprint(tracts: pd.DataFrame) -> str:
    """A hash of the tracts' GEOIDs in order: a style applies to a layer only when both agree."""
    return hashlib.blake2b("\n".join(tracts[S.GEOID].astype(str)).encode(), digest_size=12).hexdigest()


def tile_styles(style: dict, tile_rows, tiles=None) -> list:
    """The style of each tile asked for (all when ``tiles`` is None): ``[tile, classes, values]``, the
    classes and values of the tile's tracts in its feature order. A split layer's map asks for the tiles
    in view, so a restyle of a nation sends a few counties' tracts, not 85,000."""
    wanted = range(len(tile_rows)) if tiles is None else sorted({int(k) for k in tiles if 0 <= int(k) < len(tile_rows)})
    classes, values = style["classes"], style.get("values")
    out = []
    for k in wanted:
        rows = tile_rows[k]
        out.append([k, "".join(classes[i] for i in rows), None if values is None else [values[i] for i in rows]])
    return out


def component_args(
    index_url: str,
    style: dict,
    *,
    tile_rows=None,
    tiles_in_view=None,
    bounds,
    view_key: int = 0,
    counties: dict | None = None,
    providers_url: str | None = None,
    provider_types: list[dict] | None = None,
    privacy: bool = True,
    selected: str | None = None,
    tiles: dict | None = None,
    height: int = 560,
    index_data: dict | None = None,
) -> dict:
    """What the map component's page is given on a run: the layer's address, the style (from
    :func:`tract_style`), the county style of a split layer, the providers' file, the legend, the
    selected tract and the view (``bounds``, with ``view_key`` changed to move the map again to the same
    bounds). ``index_data``: the index itself, sent along when small (the page then does not fetch it).
    ``tile_rows`` (:attr:`LayerFiles.tile_rows`) and ``tiles_in_view`` (None: all): the tract
    styles sent, per tile (:func:`tile_styles`)."""
    style = dict(style)
    legend = style.pop("legend")
    rows = tile_rows if tile_rows is not None else (np.arange(len(style["classes"])),)
    style["tile_styles"] = tile_styles(style, rows, tiles_in_view)
    del style["classes"], style["values"]
    types = list(provider_types or []) if providers_url else []
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    return {
        "index": index_url,
        "index_data": index_data,
        **style,
        "counties": counties,
        "legend": {
            **legend,
            "folded": False,
            "providers": types,
            "note": "Family homes hidden (privacy mode)" if privacy and types else "",
        },
        "providers": providers_url,
        "provider_types": types,
        "selected": selected,
        "view": {"bounds": [minx, miny, maxx, maxy], "nonce": int(view_key)},
        "tiles": tiles,
        "height": int(height),
    }
