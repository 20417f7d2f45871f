"""Plotly charts of region comparisons. ``build_*_chart`` return a ``plotly.graph_objects.Figure``.

Region and group names may come from a user's file: they are HTML-escaped before they reach a chart
(plotly renders a few tags, such as ``<a href>``, inside labels and hover text).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gapmap import measures as M
from gapmap import schema as S
from gapmap.config import AnalysisParams
from gapmap.regions import ALL_TRACTS

__all__ = [
    "build_compare_bar_chart",
    "build_desert_share_chart",
    "build_need_supply_chart",
    "build_equity_chart",
    "build_access_comparison_chart",
    "OKABE_ITO",
]

#: Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
_REFERENCE = "#999999"
_LAYOUT = dict(template="plotly_white", font=dict(family="sans-serif", size=13), margin=dict(l=10, r=10, t=60, b=10))


def _esc(values) -> list[str]:
    return [html.escape(str(v)) for v in values]


def _band_words(band: str) -> str:
    return "under 5" if band == "under_5" else f"aged {S.BANDS[band].short}"


def build_compare_bar_chart(rollup: pd.DataFrame, band: str, params: AnalysisParams, measure: str = "slots_per_100") -> go.Figure:
    """Bars of slots per 100 children (or reachable slots, ``measure="access_per_100"``) by region, with
    the desert and extreme-desert thresholds drawn in. The all-tracts row is a grey reference bar."""
    col = M.column(measure, band)
    names = rollup["region"].tolist()
    values = rollup[col].to_numpy(float)
    colors = [_REFERENCE if n == ALL_TRACTS else OKABE_ITO[0] for n in names]
    what = "Slots" if measure == "slots_per_100" else "Reachable slots (E2SFCA)"
    fig = go.Figure(
        go.Bar(
            x=_esc(names),
            y=values,
            marker_color=colors,
            text=[f"{v:.1f}" if np.isfinite(v) else "-" for v in values],
            textposition="outside",
            hovertemplate="%{x}<br>%{y:.1f} per 100 children<extra></extra>",
        )
    )
    desert = 100 / params.desert_children_per_slot
    extreme = 100 / params.extreme_children_per_slot
    fig.add_hline(
        y=desert,
        line_dash="dash",
        line_color="#D55E00",
        annotation_text=f"desert below {desert:.1f} (1 slot per {params.desert_children_per_slot:g} children)",
        annotation_position="top left",
        annotation_bgcolor="rgba(255,255,255,0.85)",
    )
    fig.add_hline(
        y=extreme,
        line_dash="dot",
        line_color="#b30000",
        annotation_text=f"extreme desert at {extreme:g} or fewer (1 per {params.extreme_children_per_slot:g})",
        annotation_position="bottom left",
        annotation_bgcolor="rgba(255,255,255,0.85)",
    )
    top = np.nanmax(np.append(values, desert)) if len(values) else desert
    fig.update_layout(
        title=f"{what} per 100 children {_band_words(band)}",
        yaxis=dict(title="per 100 children", range=[0, 1.18 * top]),
        xaxis=dict(title=None),
        showlegend=False,
        **_LAYOUT,
    )
    return fig


def build_desert_share_chart(rollup: pd.DataFrame, band: str) -> go.Figure:
    """Grouped bars: the share of children living in CAP, OSU, OSU extreme and access deserts, by region."""
    names = _esc(rollup["region"])
    fig = go.Figure()
    for k, (col, label) in enumerate(
        (
            (M.column("share_in_cap_deserts", band), "CAP deserts"),
            (M.column("share_in_osu_deserts", band), "OSU deserts (incl. extreme)"),
            (M.column("share_in_osu_extreme", band), "OSU extreme deserts"),
            (M.column("share_in_access_deserts", band), "Access deserts (E2SFCA)"),
        )
    ):
        pct = 100 * rollup[col].to_numpy(float)
        fig.add_trace(
            go.Bar(
                name=label, x=names, y=pct, marker_color=OKABE_ITO[k + 1], hovertemplate="%{x}<br>" + label + ": %{y:.1f}%<extra></extra>"
            )
        )
    fig.update_layout(
        barmode="group",
        title=f"Share of children {_band_words(band)} living in deserts",
        yaxis=dict(title="% of children", range=[0, 100]),
        # the legend below the region names (at the foot of the chart), never over the title in a narrow column
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, x=0),
        height=520,
        **{**_LAYOUT, "margin": dict(l=10, r=10, t=60, b=150)},
    )
    return fig


def build_need_supply_chart(rollup: pd.DataFrame, band: str, params: AnalysisParams) -> go.Figure:
    """Need against supply: children (x) and slots (y) of each region, with the lines of 1 slot per 3
    and per 10 children; a region below a line has fewer slots than that."""
    t = rollup[rollup["region"] != ALL_TRACTS]
    x = t[M.column("children", band)].to_numpy(float)
    y = t[M.column("slots", band)].to_numpy(float)
    xmax = float(np.nanmax(x)) * 1.15 if len(x) else 1.0
    fig = go.Figure()
    for ratio, dash, name in (
        (params.desert_children_per_slot, "dash", f"1 slot per {params.desert_children_per_slot:g} children (desert line)"),
        (params.extreme_children_per_slot, "dot", f"1 slot per {params.extreme_children_per_slot:g} children (extreme line)"),
    ):
        fig.add_trace(
            go.Scatter(x=[0, xmax], y=[0, xmax / ratio], mode="lines", line=dict(dash=dash, color="#D55E00"), name=name, hoverinfo="skip")
        )
    moe_col = M.measure("children").moe_column(band)
    moe = t[moe_col].to_numpy(float) if moe_col in t.columns else np.full(len(t), np.nan)
    for k, (name, xi, yi, mi) in enumerate(zip(_esc(t["region"]), x, y, moe)):
        fig.add_trace(
            go.Scatter(
                x=[xi],
                y=[yi],
                mode="markers",
                marker=dict(size=13, color=OKABE_ITO[k % len(OKABE_ITO)], line=dict(width=1, color="#333")),
                error_x=dict(type="data", array=[mi], visible=bool(np.isfinite(mi)), color="#777"),
                name=name,
                hovertemplate=name + "<br>%{x:,.0f} children<br>%{y:,.0f} slots<extra></extra>",
            )
        )
    fig.update_layout(
        title=f"Need and supply, children {_band_words(band)} (bars: 90% margin of error)",
        xaxis=dict(title="children", rangemode="tozero"),
        yaxis=dict(title="slots in the region", rangemode="tozero"),
        legend=dict(orientation="h", yanchor="top", y=-0.18, x=0),
        **_LAYOUT,
    )
    return fig


def build_equity_chart(equity: pd.DataFrame, region: str, rule_label: str) -> go.Figure:
    """Who lives in the deserts of one region: the share of each group's children in desert tracts,
    grouped by dimension, with the share of all children under 5 as a line."""
    t = equity[(equity["region"] == region) & (equity["dimension"] != "All")]
    overall = equity[(equity["region"] == region) & (equity["dimension"] == "All")]["share_in_deserts"]
    fig = go.Figure()
    for k, (dim, part) in enumerate(t.groupby("dimension", sort=False)):
        share = 100 * part["share_in_deserts"].to_numpy(float)
        fig.add_trace(
            go.Bar(
                name=html.escape(dim),
                y=_esc(part["group"]),
                x=share,
                orientation="h",
                marker_color=OKABE_ITO[k % len(OKABE_ITO)],
                customdata=np.column_stack([part["children"].to_numpy(float), part["children_in_deserts"].to_numpy(float)]),
                hovertemplate="%{y}: %{x:.1f}% in deserts<br>%{customdata[1]:,.0f} of %{customdata[0]:,.0f} children<extra></extra>",
            )
        )
    if len(overall) and np.isfinite(overall.iloc[0]):
        fig.add_vline(x=100 * overall.iloc[0], line_dash="dash", line_color="#333")
        fig.add_annotation(
            x=100 * overall.iloc[0],
            y=1.0,
            xref="x",
            yref="paper",
            yanchor="bottom",
            showarrow=False,
            text=f"all children under 5: {100 * overall.iloc[0]:.1f}%",
        )
    fig.update_layout(
        title=dict(text=f"Who lives in the deserts: {html.escape(region)}", subtitle=dict(text=html.escape(f"Deserts: {rule_label}"))),
        xaxis=dict(title="% of the group's children living in desert tracts", range=[0, 100]),
        yaxis=dict(autorange="reversed", title=None),
        height=max(320, 28 * len(t) + 140),
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, x=0),
        **{**_LAYOUT, "margin": dict(l=10, r=10, t=80, b=90)},
    )
    return fig


def build_access_comparison_chart(cmp: pd.DataFrame, band: str, params: AnalysisParams) -> go.Figure:
    """Each tract's access by straight-line distance (x) against by travel time (y), slots per 100
    children, coloured by how its access class changes; the desert line on both axes."""
    fig = go.Figure()
    x_all, y_all = cmp["access_per_100_by_distance"].to_numpy(float), cmp["access_per_100_by_time"].to_numpy(float)
    top = float(np.nanmax(np.r_[x_all, y_all, 1.0])) * 1.05
    line = 100.0 / params.desert_children_per_slot
    fig.add_trace(
        go.Scatter(x=[0, top], y=[0, top], mode="lines", line=dict(color=_REFERENCE, dash="dot"), name="the same by both", hoverinfo="skip")
    )
    for value, dash in ((line, "dash"),):
        fig.add_hline(y=value, line=dict(color="#D55E00", dash=dash, width=1))
        fig.add_vline(x=value, line=dict(color="#D55E00", dash=dash, width=1))
    colours = {
        "worse by travel time": OKABE_ITO[5],
        "better by travel time": OKABE_ITO[2],
        "same class": OKABE_ITO[4],
        "no data": _REFERENCE,
    }
    for label, colour in colours.items():
        part = cmp[cmp["change"] == label]
        if not len(part):
            continue
        fig.add_trace(
            go.Scatter(
                x=part["access_per_100_by_distance"],
                y=part["access_per_100_by_time"],
                mode="markers",
                marker=dict(size=8, color=colour, line=dict(width=0.5, color="#333")),
                name=f"{label} ({len(part):,})",
                customdata=np.column_stack([_esc(part[S.GEOID]), _esc(part["class_by_distance"]), _esc(part["class_by_time"])]),
                hovertemplate="tract %{customdata[0]}<br>by distance: %{x:.1f} per 100 (%{customdata[1]})"
                "<br>by travel time: %{y:.1f} per 100 (%{customdata[2]})<extra></extra>",
            )
        )
    fig.update_layout(
        title=f"Slots within reach per 100 children {_band_words(band)}: by distance and by travel time",
        xaxis=dict(title="by straight-line distance", rangemode="tozero"),
        yaxis=dict(title="by travel time on the road", rangemode="tozero"),
        legend=dict(orientation="h", yanchor="top", y=-0.18, x=0),
        **_LAYOUT,
    )
    return fig
