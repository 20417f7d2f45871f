"""The printable one-page summary for a board meeting: headline figures, the top priorities, a static
map (inline SVG: it prints and needs no tiles or network), the data sources and parameters.

Every string from the data is HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import shapely

from gapmap import __version__
from gapmap import schema as S
from gapmap.analysis.ranking import RankWeights
from gapmap.metrics import MetricsResult, compute_summary

__all__ = ["build_priority_svg", "to_report_html"]


def build_priority_svg(result: MetricsResult, ranked: pd.DataFrame, top: int, width: int = 640) -> str:
    """An SVG map: all tracts in grey, the top ``top`` coloured by rank (darker = higher), numbered."""
    t = result.tracts
    minx, miny, maxx, maxy = t.total_bounds
    midlat = np.radians((miny + maxy) / 2)
    sx = np.cos(midlat)  # equirectangular with the right aspect at this latitude
    w_deg, h_deg = (maxx - minx) * sx, (maxy - miny)
    scale = width / w_deg
    height = int(h_deg * scale) + 1

    def path(geom) -> str:
        parts = []
        for poly in shapely.get_parts(geom):
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)
                px = (xy[:, 0] - minx) * sx * scale
                py = (maxy - xy[:, 1]) * scale
                parts.append("M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py)) + "Z")
        return "".join(parts)

    top_rows = ranked.head(top)
    rank_of = dict(zip(top_rows[S.GEOID], top_rows["rank"]))
    shades = ["#980043", "#dd1c77", "#df65b0", "#d7b5d8"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="Map of the top {top} priority tracts">'
    ]
    labels = []
    for geoid, geom in zip(t[S.GEOID], t.geometry):
        r = rank_of.get(geoid)
        fill = "#eeeeee" if r is None else shades[min(3, (r - 1) * 4 // max(top, 1))]
        out.append(f'<path d="{path(geom)}" fill="{fill}" stroke="#999" stroke-width="0.5"><title>{html.escape(str(geoid))}</title></path>')
        if r is not None:
            p = geom.representative_point()
            labels.append(
                f'<text x="{(p.x - minx) * sx * scale:.1f}" y="{(maxy - p.y) * scale:.1f}" font-size="13" font-weight="bold" text-anchor="middle" fill="#000" stroke="#fff" stroke-width="3" paint-order="stroke">{r}</text>'
            )
    out += labels
    out.append("</svg>")
    return "".join(out)


def to_report_html(
    result: MetricsResult, ranked: pd.DataFrame, areas: pd.DataFrame, about: Mapping[str, object], title: str, top: int = 10
) -> bytes:
    """A one-page HTML summary that prints cleanly to PDF (File > Print)."""
    esc = html.escape
    s = compute_summary(result).set_index("band")
    heads = "".join(
        f"<tr><td>{esc(S.BANDS[b].label)}</td><td>{r['children']:,.0f}</td><td>{r['slots']:,.0f}</td><td>{r['slots_per_100']:.1f}</td>"
        f"<td>{100 * r['share_in_cap_deserts']:.0f}%</td><td>{100 * r['share_in_access_deserts']:.0f}%</td></tr>"
        for b, r in s.iterrows()
    )
    from gapmap.analysis.ranking import explain_rank

    weights = about.get("_weights")
    if not isinstance(weights, RankWeights):
        weights = None
    rows = "".join(
        f"<tr><td>{int(r['rank'])}</td><td>{esc(str(r[S.NAME]))}</td><td>{esc(str(r[S.COUNTY]))}</td><td>{r['score']:.1f}</td>"
        f"<td>{r['unmet_children']:,.0f}</td><td>{esc(explain_rank(r, weights)) if weights is not None else ''}</td></tr>"
        for _, r in ranked.head(top).iterrows()
    )
    area_rows = "".join(
        f"<tr><td>{int(a['area'])}</td><td>{esc(str(a['label']))}</td><td>{int(a['n_tracts'])}</td><td>{a['unmet_children']:,.0f}</td></tr>"
        for _, a in areas.head(5).iterrows()
    )
    meta = "".join(f"<tr><th>{esc(str(k))}</th><td>{esc(str(v))}</td></tr>" for k, v in about.items() if not str(k).startswith("_"))
    doc = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
@page {{ size: letter; margin: 0.5in; }}
body {{ font: 10.5pt/1.35 Georgia, serif; color: #222; max-width: 7.5in; margin: auto; }}
h1 {{ font-size: 17pt; margin: 0 0 2pt; }} h2 {{ font-size: 12pt; margin: 10pt 0 3pt; }}
table {{ border-collapse: collapse; width: 100%; font-size: 9pt; }} td, th {{ border-bottom: 1px solid #ddd; padding: 2pt 4pt; text-align: left; vertical-align: top; }}
.cols {{ display: flex; gap: 12pt; }} .cols > div {{ flex: 1; }} .small {{ font-size: 8pt; color: #555; }}
svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>{esc(title)}</h1>
<div class="small">Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by gapmap {esc(__version__)}</div>
<h2>Supply and deserts</h2>
<table><tr><th>Age band</th><th>Children</th><th>Slots</th><th>Slots per 100</th><th>In CAP deserts</th><th>In access deserts</th></tr>{heads}</table>
<div class="cols"><div><h2>Top {top} priority tracts</h2>
<table><tr><th>#</th><th>Tract</th><th>County</th><th>Score</th><th>Children without a slot in reach</th><th>Why</th></tr>{rows}</table></div></div>
<div class="cols"><div><h2>Map of the top {top}</h2>{build_priority_svg(result, ranked, top)}</div>
<div><h2>Priority areas</h2><table><tr><th>#</th><th>Area (its first tract)</th><th>Tracts</th><th>Unmet need</th></tr>{area_rows}</table></div></div>
<h2>Data and parameters</h2><table class="small">{meta}</table>
</body></html>"""
    return doc.encode("utf-8")
