"""Folium maps of tract metrics and providers. Builders return a :class:`folium.Map`; nothing here
renders or imports Streamlit.

Every string that comes from data (tract, provider, site and region names, counties, reasons) reaches
the browser only as a GeoJSON feature property shown by a ``GeoJsonTooltip``, never inside JavaScript
source (folium puts a plain ``Tooltip``'s text in a JavaScript template literal, where ``${...}`` runs),
and is escaped by :func:`_text` first.
"""

from __future__ import annotations

import html
import json

import branca
import folium
import numpy as np
import pandas as pd
from folium.utilities import JsCode

from gapmap import measures as M
from gapmap import schema as S
from gapmap.errors import MissingColumnError, ParameterError
from gapmap.metrics import MetricsResult
from gapmap.viz.geometry import feature_collection_text, map_geometry
from gapmap.viz.measures import MEASURES, MISSING_COLOR, classify_measure

__all__ = [
    "PROVIDER_COLORS",
    "TRACT_CLASS",
    "TRACT_PROPERTY",
    "REGION_CLASS",
    "REGION_MEASURES",
    "build_tract_map",
    "build_region_map",
    "tract_tooltip_fields",
]

#: Okabe-Ito colours (colour-blind safe) for provider types.
PROVIDER_COLORS = {
    "center": "#0072B2",
    "family_home": "#E69F00",
    "head_start": "#009E73",
    "school_prek": "#CC79A7",
    "other": "#56B4E9",
}
#: Above this many providers the Map page starts with providers hidden: thousands of circles slow the
#: browser down (15,000 took Chromium about 3.5 s more to draw) and blur into one at state zoom.
PROVIDER_DRAW_LIMIT = 3_000
#: Above this many tracts the Map page draws counties, and a county's tracts once it is picked (a state's
#: 7,000-9,000 tracts still draw as tracts).
TRACT_DRAW_LIMIT = 12_000
#: CSS class of every tract polygon (tests and styles find tracts by it).
TRACT_CLASS = "gapmap-tract"
PROVIDER_CLASS = "gapmap-provider"
TOOLTIP_STYLE = "font: 12px/1.35 sans-serif; padding: 4px 6px;"


def _new_map(tiles: str | None) -> folium.Map:
    """A map that does not zoom when the page is scrolled over it (the mouse wheel scrolls the page; the
    + and - buttons, a double click or a pinch zoom the map), with a scale bar. The base map stays out of
    the layer control, which lists only what a planner may hide (the provider types)."""
    fmap = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25, scrollWheelZoom=False)
    if tiles:
        folium.TileLayer(tiles, control=False).add_to(fmap)
    return fmap


#: Pixels kept free at the map's right edge when it first fits its area: the legend sits bottom right, so
#: the area opens beside it rather than under it (the legend also folds away).
LEGEND_ROOM_PX = 250


#: Pixels kept free at the bottom for a legend that starts folded (its one-line title).
FOLDED_LEGEND_ROOM_PX = 64


def _fit(fmap: folium.Map, minx: float, miny: float, maxx: float, maxy: float, folded_legend: bool = False) -> None:
    """Open the map on these bounds, leaving the legend's corner free (a folded legend needs only a line)."""
    room = (10, FOLDED_LEGEND_ROOM_PX) if folded_legend else (LEGEND_ROOM_PX, 10)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]], padding_top_left=(10, 10), padding_bottom_right=room)


def _text(value: object) -> str:
    """Text from data, ready for a map: HTML-escaped (Leaflet inserts tooltip content as HTML) and with
    its braces as HTML entities. branca compiles every rendered script of a map as a Jinja template a
    second time, so a name holding ``{{ ... }}`` would otherwise be *run on the server*; as ``&#123;``
    it is shown as the brace it is."""
    return html.escape(str(value)).replace("{", "&#123;").replace("}", "&#125;")


def _fmt(value, digits: int = 1, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, str):
        return _text(value)
    if pct:
        return f"{100 * float(value):.{digits}f}%"
    v = float(value)
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.{digits}f}"


def _reliability_text(t: pd.DataFrame, band: str) -> pd.Series:
    cv = t[M.column("children_cv", band)]
    cls = t[M.column("reliability", band)].astype(object)
    return pd.Series([f"{c} (CV {v:.2f})" if np.isfinite(v) else str(c) for c, v in zip(cls, cv)], index=t.index)


#: Tooltip fields of a tract that are not measures: property key -> label.
_TRACT_IDENTITY: tuple[tuple[str, str], ...] = (("name", "Tract"), ("geoid", "GEOID"), ("county", "County"))
#: The measures of the registry a tract's tooltip shows, in order.
TOOLTIP_MEASURES: tuple[str, ...] = tuple(m.key for m in M.MEASURES.values() if m.tooltip)
#: Tooltip measures a metrics run does not compute (the desert chance, drawn on request): shown when present.
ON_REQUEST: frozenset[str] = frozenset(key for key in TOOLTIP_MEASURES if M.measure(key).on_request)
#: The property name of each tooltip field in the tract layer (short: the names repeat in every feature,
#: and "f" is the fill colour). A clicked tract is identified by ``properties[TRACT_PROPERTY["geoid"]]``
#: (digits, the same escaped or not).
TRACT_PROPERTY: dict[str, str] = {
    "name": "n",
    "geoid": "g",
    "county": "c",
    "children": "k",
    "children_moe": "m",
    "reliability": "r",
    **{key: f"q{i}" for i, key in enumerate(TOOLTIP_MEASURES)},
}


def tract_tooltip_fields(
    band: str, has_moe: bool, present: set[str] | frozenset[str] = frozenset(), optional: set[str] | frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """(property, label) pairs shown in a tract's tooltip, in order: the tract, its children (with their
    margin and reliability when ``has_moe``), then the registry's tooltip measures (a measure that is not
    per band only when its key is in ``present``; a computed-on-request one, such as the desert chance,
    only when it is in ``optional``)."""
    b = S.BANDS[band]
    fields = [*_TRACT_IDENTITY, ("children", f"Children {b.short}")]
    if has_moe:
        fields.append(("children_moe", "± margin of error (90%)"))
        fields.append(("reliability", "Estimate reliability"))
    for key in TOOLTIP_MEASURES:
        m = M.measure(key)
        if key in ON_REQUEST and key not in optional:
            continue
        if m.per_band or key in present:
            fields.append((key, m.short_label if key in ON_REQUEST else m.label_for(None)))
    return fields


def _legend(
    title: str, entries: list[tuple[str, str]], providers: bool, privacy: bool, folded: bool = False
) -> branca.element.MacroElement:
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:14px;background:{c};border:1px solid #777;'
        f'margin-right:6px;vertical-align:middle"></span>{_text(label)}</div>'
        for c, label in entries
    )
    prov = ""
    if providers:
        types = {k: v for k, v in S.PROVIDER_TYPES.items() if not (privacy and k == "family_home")}
        prov = '<div style="margin-top:6px;font-weight:600">Providers (size = capacity)</div>' + "".join(
            f'<div><span style="display:inline-block;width:12px;height:12px;border-radius:50%;background:{PROVIDER_COLORS[k]};'
            f'border:1px solid #333;margin-right:6px;vertical-align:middle"></span>{_text(v)}</div>'
            for k, v in types.items()
        )
        if privacy:
            prov += "<div><i>Family homes hidden (privacy mode)</i></div>"
    body = (
        "<details"
        + ("" if folded else " open")
        + ' class="gapmap-legend" style="position:absolute;bottom:24px;right:10px;z-index:1000;background:white;'
        'padding:6px 10px;border:1px solid #999;border-radius:4px;font:12px/1.4 sans-serif;max-width:260px">'
        f'<summary style="font-weight:600;cursor:pointer;margin-bottom:4px" title="Click to fold the legend away">{_text(title)}</summary>'
        f"{rows}{prov}</details>"
    )
    element = branca.element.MacroElement()
    # the body is a value of the template, never part of its source (no text is ever run as Jinja)
    element._template = branca.element.Template("{% macro html(this, kwargs) %}{{ this.body }}{% endmacro %}")
    element.body = body  # type: ignore[attr-defined]  # read by the template above
    return element


def _geometry(tracts, geometry: list[str] | None) -> list[str]:
    if geometry is None:
        return map_geometry(tracts)
    if len(geometry) != len(tracts):
        raise ParameterError(f"map geometry for {len(geometry)} tracts given for {len(tracts)} tracts: compute it for these tracts")
    return geometry


def build_tract_map(
    result: MetricsResult,
    band: str = "under_5",
    measure: str = "osu_class",
    *,
    show_providers: bool = True,
    privacy: bool = False,
    selected_geoid: str | None = None,
    tiles: str | None = "OpenStreetMap",
    geometry: list[str] | None = None,
    bounds: tuple[float, float, float, float] | None = None,
) -> folium.Map:
    """A choropleth of one measure for one age band, with providers on top.

    Parameters
    ----------
    result : the output of :func:`gapmap.metrics.compute_tract_metrics`.
    band : ``0_2``, ``3_5`` or ``under_5``.
    measure : a key of :data:`gapmap.viz.measures.MEASURES`.
    show_providers : draw providers as circles sized by capacity and coloured by type.
    privacy : never show a family child care home's location (many states keep them confidential).
    selected_geoid : outline this tract.
    tiles : a folium tile name, or None for no base map.
    geometry : the tracts' map geometry (:func:`gapmap.viz.geometry.map_geometry`, one GeoJSON text per
        tract, in order); computed here when not given. The app caches it per dataset, so a rerun that
        changes a colour does not simplify or serialize the polygons again.
    bounds : the view to open at, ``(minx, miny, maxx, maxy)`` in degrees (a county, a place found);
        the tracts' extent when not given.
    """
    band_def = S.get_band(band)
    band = band_def.key
    if measure not in MEASURES:
        raise ParameterError(f"unknown measure {measure!r}: expected one of {', '.join(MEASURES)}")
    m = MEASURES[measure]
    t = result.tracts
    col = m.column(band if m.per_band else None)
    if col not in t.columns:
        raise MissingColumnError(col, f"the map of {m.label.lower()}", list(t.columns))
    colors, legend = classify_measure(m, t[col], result.params)

    moe_col = S.moe_column(band_def.children)
    has_moe = moe_col in t.columns
    present = {key for key in TOOLTIP_MEASURES if not M.measure(key).per_band and key in t.columns}
    optional = {key for key in ON_REQUEST if M.column(key, band) in t.columns}
    fields = tract_tooltip_fields(band, has_moe, present, optional)
    source = {
        "name": t[S.NAME],
        "geoid": t[S.GEOID],
        "county": t[S.COUNTY],
        "children": t[band_def.children],
        "children_moe": t[moe_col] if has_moe else None,
        "reliability": _reliability_text(t, band) if has_moe else None,
        **{key: t[M.column(key, band if M.measure(key).per_band else None)].astype(object) for key, _ in fields if key in TOOLTIP_MEASURES},
    }
    in_percent = {key for key in TOOLTIP_MEASURES if M.measure(key).in_percent}
    geometry = _geometry(t, geometry)
    columns = {key: [_fmt(v, pct=key in in_percent) for v in source[key].tolist()] for key, _label in fields}
    # one-letter property names: the names repeat in every feature, and a state has thousands
    short = [TRACT_PROPERTY[key] for key, _label in fields]
    column_lists = [columns[key] for key, _label in fields]
    properties = [{**dict(zip(short, values)), "f": fill} for *values, fill in zip(*column_lists, colors)]
    geo = json.loads(feature_collection_text(geometry, properties))

    minx, miny, maxx, maxy = t.total_bounds if bounds is None else bounds
    fmap = _new_map(tiles)
    _fit(fmap, minx, miny, maxx, maxy)
    title = f"{m.label}, ages {band_def.short}" + (f" ({m.unit})" if m.kind == "number" else "")

    def style(feature):
        return {
            "fillColor": feature["properties"]["f"],
            "color": "#555555",
            "weight": 0.6,
            "fillOpacity": 0.75,
            "className": TRACT_CLASS,
        }

    folium.GeoJson(
        geo,
        name="Tracts",
        style_function=style,
        highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=[TRACT_PROPERTY[f] for f, _ in fields], aliases=[a for _, a in fields], sticky=True, localize=False, style=TOOLTIP_STYLE
        ),
        control=False,
    ).add_to(fmap)

    if selected_geoid is not None and (t[S.GEOID] == selected_geoid).any():
        sel = t.loc[t[S.GEOID] == selected_geoid, [S.GEOMETRY]]
        folium.GeoJson(
            json.loads(sel.to_json(drop_id=True)),
            name="Selected tract",
            style_function=lambda f: {"fill": False, "color": "#000000", "weight": 4, "dashArray": "6 4"},
            interactive=False,
            control=False,
        ).add_to(fmap)

    if show_providers:
        _add_providers(fmap, result.providers, privacy)
    fmap.add_child(_legend(title, legend, show_providers, privacy))
    return fmap


def _add_providers(fmap: folium.Map, providers: pd.DataFrame, privacy: bool) -> None:
    """Providers as circles (radius from capacity, colour from type), one GeoJSON layer per provider type,
    with a layer control: the planner shows or hides each type in the browser, without a rerun."""
    shown = providers if not privacy else providers[providers[S.PROVIDER_TYPE] != "family_home"]

    def style(feature):
        p = feature["properties"]
        return {
            "fillColor": p["_fill"],
            "radius": p["_radius"],
            "color": "#222222",
            "weight": 1,
            "fillOpacity": 0.9,
            "className": PROVIDER_CLASS,
        }

    columns = [S.PROVIDER_NAME, S.PROVIDER_TYPE, S.CAPACITY, S.SLOTS_0_2, S.SLOTS_3_5, S.FUNDING, S.LATITUDE, S.LONGITUDE]
    layers = 0
    for ptype, label in S.PROVIDER_TYPES.items():
        of_type = shown[shown[S.PROVIDER_TYPE] == ptype]
        if of_type.empty:
            continue
        features = []
        for name, kind, cap, s02, s35, funding, lat, lon in of_type[columns].itertuples(index=False):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [round(float(lon), 6), round(float(lat), 6)]},
                    "properties": {
                        "name": _text(str(name)),
                        "type": _text(S.PROVIDER_TYPES.get(kind, str(kind))),
                        "capacity": f"{cap:,.0f}",
                        "slots_0_2": f"{s02:,.0f}",
                        "slots_3_5": f"{s35:,.0f}",
                        "funding": _text(S.FUNDING_TYPES.get(funding, str(funding))),
                        "_fill": PROVIDER_COLORS.get(kind, "#999999"),
                        "_radius": round(float(3 + 0.6 * np.sqrt(cap)), 1),
                    },
                }
            )
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=f"{label} ({len(features):,})",  # a fixed label and a count: no text from the data
            marker=folium.CircleMarker(radius=5, fill=True),
            style_function=style,
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "type", "capacity", "slots_0_2", "slots_3_5", "funding"],
                aliases=["Provider", "Type", "Licensed capacity", "Slots ages 0-2", "Slots ages 3-5", "Funding"],
                localize=False,
                style=TOOLTIP_STYLE,
            ),
        ).add_to(fmap)
        layers += 1
    if layers:
        folium.LayerControl(position="topright", collapsed=True).add_to(fmap)


REJECTED_CLASS = "gapmap-rejected"


def build_provider_preview_map(
    accepted: pd.DataFrame, rejected_points: pd.DataFrame | None = None, privacy: bool = False, tiles: str | None = "OpenStreetMap"
) -> folium.Map:
    """The providers of an import before it is saved: accepted ones sized by capacity and coloured by
    type, and (when given) the rejected rows that have coordinates as grey dashed circles whose tooltip
    says why. Privacy mode hides family child care homes; a rejected row's type may be unknown, so with
    privacy on no rejected row is drawn."""
    pts = [accepted[[S.LATITUDE, S.LONGITUDE]].to_numpy(float)]
    show_rejected = rejected_points is not None and len(rejected_points) > 0 and not privacy
    if show_rejected and rejected_points is not None:
        pts.append(rejected_points[[S.LATITUDE, S.LONGITUDE]].to_numpy(float))
    allpts = np.vstack(pts) if sum(len(p) for p in pts) else np.array([[44.0, -120.5]])
    fmap = _new_map(tiles)
    (lat0, lon0), (lat1, lon1) = allpts.min(axis=0), allpts.max(axis=0)
    fmap.fit_bounds([[lat0 - 0.01, lon0 - 0.01], [lat1 + 0.01, lon1 + 0.01]])
    if len(accepted):
        _add_providers(fmap, accepted, privacy)
    if show_rejected and rejected_points is not None:
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(float(r.longitude), 6), round(float(r.latitude), 6)]},
                "properties": {"row": str(int(r.row)), "name": _text(r.name), "reason": _text(r.reason)},
            }
            for r in rejected_points.itertuples(index=False)
        ]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name="Rejected rows",
            marker=folium.CircleMarker(radius=5, fill=True),
            style_function=lambda f: {
                "color": "#444444",
                "fillColor": "#bbbbbb",
                "weight": 2,
                "fillOpacity": 0.6,
                "dashArray": "2 2",
                "className": REJECTED_CLASS,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["row", "name", "reason"], aliases=["Row", "Provider", "Not used because"], localize=False, style=TOOLTIP_STYLE
            ),
        ).add_to(fmap)
    legend = [("#bbbbbb", "rejected row (hover for why)")] if show_rejected else []
    fmap.add_child(_legend("Providers of the import", legend, True, privacy))
    return fmap


#: PuRd shades for the top ranks, darkest first (colour-blind safe, sequential).
RANK_COLORS = ("#980043", "#dd1c77", "#df65b0", "#d7b5d8")


def build_priority_map(
    result: MetricsResult,
    ranked: pd.DataFrame,
    top: int,
    tiles: str | None = "OpenStreetMap",
    geometry: list[str] | None = None,
    narrow: bool = False,
) -> folium.Map:
    """The top ``top`` tracts of a ranking, shaded by rank (darker = higher) and numbered; every tract's
    tooltip gives its rank, score and the reason (escaped). ``geometry``: as in :func:`build_tract_map`.
    ``narrow``: the map shares its row with a table, so its legend starts folded."""
    t = result.tracts
    info = ranked.set_index(S.GEOID).reindex(t[S.GEOID])
    ranks = info["rank"].astype(int).tolist()
    scores = info["score"].tolist()
    names = info[S.NAME].astype(str).tolist()
    whys = info["why"].astype(str).tolist() if "why" in info.columns else [""] * len(t)
    properties = [
        {
            "rank": f"{rank} of {len(ranked)}",
            "name": _text(name),
            "score": f"{score:.1f}",
            "why": _text(why),
            "_fill": RANK_COLORS[min(3, (rank - 1) * 4 // max(top, 1))] if rank <= top else "#f0f0f0",
            "_geoid": str(geoid),
        }
        for rank, score, name, why, geoid in zip(ranks, scores, names, whys, t[S.GEOID].tolist())
    ]
    geo = json.loads(feature_collection_text(_geometry(t, geometry), properties))
    minx, miny, maxx, maxy = t.total_bounds
    fmap = _new_map(tiles)
    _fit(fmap, minx, miny, maxx, maxy, folded_legend=narrow)
    folium.GeoJson(
        geo,
        name="Priorities",
        style_function=lambda f: {
            "fillColor": f["properties"]["_fill"],
            "color": "#666666",
            "weight": 0.6,
            "fillOpacity": 0.8,
            "className": TRACT_CLASS,
        },
        highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["rank", "name", "score", "why"], aliases=["Rank", "Tract", "Score (of 100)", "Why"], sticky=True, style=TOOLTIP_STYLE
        ),
    ).add_to(fmap)
    for _, r in ranked.head(top).iterrows():
        p = t.loc[t[S.GEOID] == r[S.GEOID], "geometry"].iloc[0].representative_point()
        folium.Marker(
            (p.y, p.x),
            icon=folium.DivIcon(
                html=f'<div class="gapmap-rank" style="font:bold 12px sans-serif;color:#000;text-shadow:0 0 3px #fff,0 0 3px #fff">{int(r["rank"])}</div>',
                icon_size=(24, 16),
                icon_anchor=(6, 8),
            ),
        ).add_to(fmap)
    legend = [(c, label) for c, label in zip(RANK_COLORS, _rank_bins(top))] + [("#f0f0f0", f"below the top {top}")]
    fmap.add_child(_legend(f"Priority rank (top {top})", legend, False, False, folded=narrow))
    return fmap


def _rank_bins(top: int) -> list[str]:
    edges = [(k * top) // 4 for k in range(5)]
    return [f"ranks {edges[k] + 1}-{edges[k + 1]}" for k in range(4) if edges[k + 1] > edges[k]]


CHANGED_CLASS = "gapmap-changed"
#: New sites are stars drawn as text (a DivIcon): no marker plugin to fetch from a CDN.
NEW_SITE_CLASS = "gapmap-new-site"


def build_scenario_map(
    result: MetricsResult,
    outcomes: pd.DataFrame,
    band: str,
    changed: np.ndarray,
    sites: pd.DataFrame | None = None,
    tiles: str | None = "OpenStreetMap",
    geometry: list[str] | None = None,
) -> folium.Map:
    """Access classes of a scenario's outcome (before or after, from :func:`gapmap.analysis.scenarios.simulate_scenario`),
    with the tracts the scenario changed outlined and new sites drawn as stars: the frame of
    :func:`build_scenario_frame` with the layer of :func:`build_scenario_layer` on it."""
    fmap = build_scenario_frame(result, band, tiles)
    build_scenario_layer(result, outcomes, band, changed, sites, geometry).add_to(fmap)
    return fmap


def build_scenario_frame(result: MetricsResult, band: str, tiles: str | None = "OpenStreetMap", bounds=None) -> folium.Map:
    """The part of the scenario map that no change alters: the base map, its view (``bounds``, as
    ``(minx, miny, maxx, maxy)``, or the region's) and the legend. The app keeps it the same across
    changes and sends only :func:`build_scenario_layer` anew, so the map keeps the planner's view."""
    band = S.get_band(band).key
    from gapmap.viz.measures import MEASURES

    # the classes a change cannot alter (no children, no data) come from the tracts themselves
    _colors, legend = classify_measure(MEASURES["access_class"], result.tracts[M.column("access_class", band)], result.params)
    minx, miny, maxx, maxy = result.tracts.total_bounds if bounds is None else bounds
    fmap = _new_map(tiles)
    # the map sits beside the change forms, narrow: its legend starts folded, so it never covers a tract
    _fit(fmap, minx, miny, maxx, maxy, folded_legend=True)
    legend = [*legend, ("#ffffff", "changed by the scenario: outlined in black")]
    fmap.add_child(_legend(f"Access class, ages {S.BANDS[band].short}", legend, False, False, folded=True))
    return fmap


def build_scenario_layer(
    result: MetricsResult,
    outcomes: pd.DataFrame,
    band: str,
    changed: np.ndarray,
    sites: pd.DataFrame | None = None,
    geometry: list[str] | None = None,
) -> folium.FeatureGroup:
    """The tracts coloured by access class (changed ones outlined) and the new sites, as one layer."""
    from gapmap.viz.measures import MEASURES

    band = S.get_band(band).key
    col = M.column("access_class", band)
    colors, _legend_entries = classify_measure(MEASURES["access_class"], outcomes[col], result.params)
    t = result.tracts
    is_changed = np.zeros(len(t), dtype=bool)
    is_changed[np.asarray(changed, dtype=np.int64)] = True
    access = outcomes[M.column("access_per_100", band)].tolist()
    classes = outcomes[col].astype(object).tolist()
    properties = [
        {"name": _text(str(name)), "access": _fmt(a), "class": _text(str(c)), "_fill": fill, "_changed": bool(ch)}
        for name, a, c, fill, ch in zip(t[S.NAME].tolist(), access, classes, colors, is_changed)
    ]
    geo = json.loads(feature_collection_text(_geometry(t, geometry), properties))
    layer = folium.FeatureGroup(name="Scenario")

    def style(f):
        p = f["properties"]
        return {
            "fillColor": p["_fill"],
            "fillOpacity": 0.75,
            "color": "#000000" if p["_changed"] else "#777777",
            "weight": 2.5 if p["_changed"] else 0.5,
            "className": CHANGED_CLASS if p["_changed"] else TRACT_CLASS,
        }

    folium.GeoJson(
        geo,
        name="Tracts",
        style_function=style,
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "access", "class"], aliases=["Tract", "Slots within reach per 100", "Access class"], style=TOOLTIP_STYLE
        ),
    ).add_to(layer)
    if sites is not None and len(sites):
        _add_new_sites(layer, sites)
    return layer


#: The star of a new site: the same for every site (a DivIcon's HTML holds no data).
_STAR_HTML = (
    f'<div class="{NEW_SITE_CLASS}" style="font:22px/22px sans-serif;color:#ffd700;'
    'text-shadow:0 0 2px #000,0 0 2px #000,0 0 2px #000">&#9733;</div>'
)


def _add_new_sites(fmap: folium.Map | folium.FeatureGroup, sites: pd.DataFrame) -> None:
    """New sites as one GeoJSON layer of stars; name and slots are feature properties shown by a
    GeoJsonTooltip (escaped here), so no site's text is ever part of the map's JavaScript."""
    features = []
    for rec in sites.itertuples(index=False):
        lat, lon = float(rec.latitude), float(rec.longitude)
        if not (np.isfinite(lat) and np.isfinite(lon)):
            continue
        slots = float(getattr(rec, "slots_0_2", 0) or 0) + float(getattr(rec, "slots_3_5", 0) or 0)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                "properties": {"name": _text(str(rec.name)), "slots": _fmt(slots)},
            }
        )
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="New sites",
        marker=folium.Marker(icon=folium.DivIcon(html=_STAR_HTML, icon_size=(22, 22), icon_anchor=(11, 11))),
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "slots"], aliases=["New site", "Slots ages 0-5"], localize=False, style=TOOLTIP_STYLE
        ),
    ).add_to(fmap)


REGION_CLASS = "gapmap-region"
REGION_LABEL_CLASS = "gapmap-region-label"
#: The name of each region as a label (a DivIcon marker) built from the feature's escaped ``label``
#: property. Static code: no data is part of it.
_REGION_LABEL = JsCode(
    "function (feature, layer) {"
    " var div = document.createElement('div');"
    f" div.className = {json.dumps(REGION_LABEL_CLASS)};"
    f" div.style.cssText = {json.dumps('font:600 12px sans-serif;color:#111;text-shadow:0 0 3px #fff,0 0 3px #fff;white-space:nowrap;transform:translate(-50%,-50%);display:inline-block')};"
    " div.innerHTML = feature.properties.label;"  # escaped by _text, as GeoJsonTooltip content is
    " layer.setIcon(L.divIcon({html: div, className: '', iconSize: [0, 0]}));"
    "}"
)


#: What the region map can colour by (registry keys): key -> (registry key, label).
REGION_MEASURES: dict[str, tuple[str, str]] = {
    key: (key, M.measure(key).label_for(None) + (" (%)" if M.measure(key).in_percent else ""))
    for key in ("slots_per_100", "access_per_100", "share_in_osu_deserts", "share_in_access_deserts")
}
#: The roll-up figures of a region's tooltip (registry keys, per band).
REGION_TOOLTIP: tuple[str, ...] = ("children", "slots", "slots_per_100", "share_in_osu_deserts", "access_per_100")
_REGION_ROUND = {"children": 0, "slots": 1}
#: The feature property of a region tooltip figure, where it is not the measure's key.
_REGION_PROPERTY = {"share_in_osu_deserts": "share_osu", "access_per_100": "access"}


def region_measure_for(measure: str) -> str:
    """The region-map measure closest to a tract-map measure (class maps become shares of children)."""
    classes = {"osu_class": "share_in_osu_deserts", "cap_desert": "share_in_osu_deserts", "access_class": "share_in_access_deserts"}
    return classes.get(measure, measure if measure in REGION_MEASURES else "slots_per_100")


_SHARE_COLORS = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")  # OrRd 5
_SHARE_NAMES = ("under 20%", "20% to 40%", "40% to 60%", "60% to 80%", "80% or more")


def region_colors(merged: pd.DataFrame, band: str, params, measure: str) -> tuple[list[str], list[tuple[str, str]], np.ndarray]:
    """Colour of each region (rows of a roll-up) for a region measure, the legend, and the values in the
    unit shown (shares in percent)."""
    if measure not in REGION_MEASURES:
        raise ParameterError(f"unknown region measure {measure!r}: expected one of {', '.join(REGION_MEASURES)}")
    col = M.column(REGION_MEASURES[measure][0], S.get_band(band).key)
    if col not in merged.columns:
        raise MissingColumnError(col, "the region map", list(merged.columns))
    x = pd.to_numeric(merged[col], errors="coerce").to_numpy(float)
    if measure.startswith("share"):
        x = 100 * x
        idx = np.clip(np.searchsorted([0, 20, 40, 60, 80], x, side="right") - 1, 0, 4)
        colors = [MISSING_COLOR if not np.isfinite(v) else _SHARE_COLORS[i] for v, i in zip(x, idx)]
        return colors, list(zip(_SHARE_COLORS, _SHARE_NAMES)), x
    colors, legend = classify_measure(MEASURES[measure], merged[col], params)
    return colors, legend, x


def build_region_map(
    regions,
    rollup: pd.DataFrame,
    band: str,
    params,
    measure: str = "slots_per_100",
    tiles: str | None = "OpenStreetMap",
    narrow: bool = False,
) -> folium.Map:
    """Regions coloured at region level by a rolled-up measure (:data:`REGION_MEASURES`), with the
    roll-up's figures in the tooltip. ``regions``: :func:`gapmap.regions.dissolve_regions`;
    ``rollup``: :func:`gapmap.regions.compute_rollup` (one row per region). ``narrow``: the map shares
    its row, so its legend starts folded."""
    band = S.get_band(band).key
    if measure not in REGION_MEASURES:
        raise ParameterError(f"unknown region measure {measure!r}: expected one of {', '.join(REGION_MEASURES)}")
    key, label = REGION_MEASURES[measure]
    col = M.column(key, band)
    merged = regions.merge(rollup, on="region", how="left")
    if col not in merged.columns:
        raise MissingColumnError(col, "the region map", list(rollup.columns))
    colors, legend, _x = region_colors(merged, band, params, measure)
    b = S.BANDS[band]
    fields = [("region", "Region"), ("tracts", "Tracts")]
    source = {"region": merged["region"], "tracts": merged["tracts"]}
    for key in REGION_TOOLTIP:
        m = M.measure(key)
        prop = _REGION_PROPERTY.get(key, key)
        fields.append((prop, m.label_for(band)))
        values = merged[m.column(band)]
        source[prop] = values.round(_REGION_ROUND[key]) if key in _REGION_ROUND else values
        if m.moe:
            fields.append((f"{prop}_moe", "± margin of error (90%)"))
            source[f"{prop}_moe"] = merged[m.moe_column(band)].round(0)
    in_percent = {_REGION_PROPERTY.get(key, key) for key in REGION_TOOLTIP if M.measure(key).in_percent}
    geo = json.loads(merged[["geometry"]].to_json(drop_id=True))
    for i, feature in enumerate(geo["features"]):
        props = {k: _fmt(source[k].iloc[i], pct=k in in_percent) for k, _ in fields}
        props["_fill"] = colors[i]
        feature["properties"] = props
    minx, miny, maxx, maxy = merged.total_bounds
    fmap = _new_map(tiles)
    _fit(fmap, minx, miny, maxx, maxy, folded_legend=narrow)
    folium.GeoJson(
        geo,
        name="Regions",
        style_function=lambda f: {
            "fillColor": f["properties"]["_fill"],
            "color": "#333333",
            "weight": 1.5,
            "fillOpacity": 0.75,
            "className": REGION_CLASS,
        },
        highlight_function=lambda f: {"weight": 3.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=[f for f, _ in fields], aliases=[a for _, a in fields], sticky=True, localize=False, style=TOOLTIP_STYLE
        ),
    ).add_to(fmap)
    labels = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(p.x, 6), round(p.y, 6)]},
            "properties": {"label": _text(str(name))},
        }
        for name, p in zip(merged["region"], merged.geometry.representative_point())
    ]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": labels},
        name="Region names",
        marker=folium.Marker(icon=folium.DivIcon(html="", icon_size=(0, 0)), interactive=False),
        on_each_feature=_REGION_LABEL,
        control=False,
    ).add_to(fmap)
    title = f"{label}, ages {b.short}"
    fmap.add_child(_legend(title, legend, False, False, folded=narrow))
    return fmap
