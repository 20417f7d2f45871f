"""Priority scores: which tracts a hub should serve first, and why, with every score decomposed.

Each component is a number from 0 to 1 per tract (higher = more need), documented with its source:

* ``unmet_need``: children of the band beyond the slots they can reach, :math:`P_i \\max(0, 1 - A_i)`
  with :math:`A_i` the E2SFCA slots per child (:mod:`gapmap.metrics.access`); divided by the region's
  largest value.
* ``access_gap``: how far reachable slots per 100 children fall below the desert threshold (100/3),
  as a share of the threshold (0 at or above it, 1 with nothing in reach).
* ``desert``: the tract's OSU class for the band: extreme desert 1, desert 0.5, otherwise 0.
* ``poverty``: children under 6 below 200% of poverty (ACS B17024): half their count (divided by the
  region's largest) and half their share of children under 6.
* ``working_parents``: children under 6 whose parents all work (ACS B23008; the BPC "potential need"),
  divided by the region's largest count.

The score is :math:`100 \\sum_c w_c x_c / \\sum_c w_c`; each component's contribution is its term of that
sum, so contributions add up to the score. Tracts whose children estimate is unreliable (CV above 0.40)
are flagged and, with ``unreliable_factor < 1``, scaled down. Ties break by unmet need, then GEOID.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from gapmap import measures as M
from gapmap import schema as S
from gapmap.errors import MissingColumnError, ParameterError
from gapmap.metrics import MetricsResult
from gapmap.metrics.deserts import DESERT, EXTREME_DESERT

__all__ = [
    "COMPONENTS",
    "COMPONENT_LABELS",
    "compute_priority_rows",
    "implied_band",
    "preset_label",
    "PRESETS",
    "RankWeights",
    "compute_components",
    "rank_tracts",
    "explain_rank",
    "add_reasons",
    "rank_areas",
    "describe_weights",
    "compute_area_rows",
    "CONFIDENT_RULES",
]

#: Component -> what it measures (shown in tables and exports).
COMPONENTS: dict[str, str] = {
    "unmet_need": "Children beyond the slots they can reach (E2SFCA), relative to the region's largest",
    "access_gap": "Reachable slots per 100 children below the desert threshold, as a share of it",
    "desert": "OSU desert class of the tract: extreme 1, desert 0.5",
    "poverty": "Children under 6 below 200% of poverty: half count (relative), half share",
    "working_parents": "Children under 6 with all parents working (the Bipartisan Policy Center's potential need), relative",
}

#: Rules a ranking can put confident deserts of first (P >= 0.9): key -> words.
CONFIDENT_RULES: dict[str, str] = {
    "access": "access deserts",
    "cap": "CAP deserts",
    "osu": "OSU deserts (desert or extreme)",
}

#: The name of each component, as a planner reads it.
COMPONENT_LABELS: dict[str, str] = {
    "unmet_need": "Unmet need",
    "access_gap": "Access gap",
    "desert": "Desert class",
    "poverty": "Poverty",
    "working_parents": "Working parents",
}


@dataclass(frozen=True)
class RankWeights:
    """Weights of the components (any non-negative numbers; they are normalized), the band they
    read, and how much an unreliable estimate's score is kept (1 = flag only)."""

    unmet_need: float = 0.30
    access_gap: float = 0.20
    desert: float = 0.15
    poverty: float = 0.20
    working_parents: float = 0.15
    band: str = "under_5"
    unreliable_factor: float = 1.0
    #: Rank the tracts that are confident deserts by this rule (a key of CONFIDENT_RULES) first, each group
    #: by score; "" ranks by score alone. Needs the desert chance (gapmap.metrics.probability).
    confident_first: str = ""
    weights_note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for name in COMPONENTS:
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and np.isfinite(value) and value >= 0):
                raise ParameterError(f"weight {name} = {value!r}: expected a number at least 0")
        if sum(getattr(self, n) for n in COMPONENTS) <= 0:
            raise ParameterError("the weights add up to 0: give at least one component a positive weight")
        if not 0 <= self.unreliable_factor <= 1:
            raise ParameterError(f"unreliable_factor = {self.unreliable_factor!r}: expected a share from 0 to 1")
        S.get_band(self.band)
        if self.confident_first and self.confident_first not in CONFIDENT_RULES:
            raise ParameterError(f"confident_first = {self.confident_first!r}: expected one of {', '.join(CONFIDENT_RULES)}, or nothing")

    def weights(self) -> dict[str, float]:
        total = sum(getattr(self, n) for n in COMPONENTS)
        return {n: getattr(self, n) / total for n in COMPONENTS}

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if k != "weights_note"}


#: Named weightings a hub can start from.
PRESETS: dict[str, RankWeights] = {
    "balanced": RankWeights(),
    "infant_toddler": RankWeights(0.40, 0.25, 0.15, 0.10, 0.10, band="0_2"),
    "equity": RankWeights(0.25, 0.15, 0.10, 0.40, 0.10),
    "potential_need": RankWeights(0.25, 0.15, 0.05, 0.10, 0.45),
}


def _relative(x: np.ndarray) -> np.ndarray:
    x = np.nan_to_num(np.asarray(x, dtype=float), nan=0.0)
    top = x.max() if len(x) else 0.0
    return x / top if top > 0 else np.zeros_like(x)


def compute_components(result: MetricsResult, band: str) -> pd.DataFrame:
    """The five components (0-1) of every tract for ``band``, with the raw values behind them."""
    band = S.get_band(band).key
    if band not in result.bands:
        raise MissingColumnError(S.BANDS[band].children, f"ranking on the {S.BANDS[band].short} band")
    t = result.tracts
    kids = t[S.BANDS[band].children].to_numpy(float)
    access = t[M.column("access_per_100", band)].to_numpy(float) / 100
    unmet = np.nan_to_num(kids, nan=0.0) * np.clip(1 - access, 0, 1)
    threshold = 100 / result.params.desert_children_per_slot
    gap = np.clip((threshold - 100 * access) / threshold, 0, 1)
    osu = t[M.column("osu_class", band)].astype(object).to_numpy()
    desert = np.where(osu == EXTREME_DESERT, 1.0, np.where(osu == DESERT, 0.5, 0.0))
    out = pd.DataFrame({S.GEOID: t[S.GEOID].to_numpy(), "unmet_children": unmet})
    out["unmet_need"] = _relative(unmet)
    out["access_gap"] = np.where(np.isnan(kids), 0.0, gap)
    out["desert"] = desert
    if S.UNDER6_BELOW_200PCT in t.columns and "poverty_share_200" in t.columns:
        out["poverty"] = 0.5 * _relative(t[S.UNDER6_BELOW_200PCT]) + 0.5 * np.nan_to_num(t["poverty_share_200"].to_numpy(float))
    else:
        out["poverty"] = 0.0
    out["working_parents"] = _relative(t[S.UNDER6_ALL_PARENTS_WORKING]) if S.UNDER6_ALL_PARENTS_WORKING in t.columns else 0.0
    rel = M.column("reliability", band)
    out["unreliable"] = (t[rel].astype(object) == "unreliable").to_numpy() if rel in t.columns else False
    return out


def rank_tracts(result: MetricsResult, weights: RankWeights = PRESETS["balanced"]) -> pd.DataFrame:
    """Tracts ranked by priority score, best first: rank, geoid, name, county, score, each component's
    value and contribution (``<component>`` and ``<component>_points``), unmet children, flags."""
    comp = compute_components(result, weights.band)
    w = weights.weights()
    score = np.zeros(len(comp))
    for name, weight in w.items():
        comp[f"{name}_points"] = 100 * weight * comp[name].to_numpy(float)
        score += comp[f"{name}_points"].to_numpy()
    factor = np.where(comp["unreliable"].to_numpy(bool), weights.unreliable_factor, 1.0)
    for name in w:
        comp[f"{name}_points"] = comp[f"{name}_points"] * factor
    comp["score"] = score * factor
    t = result.tracts
    comp.insert(1, S.NAME, t[S.NAME].to_numpy())
    comp.insert(2, S.COUNTY, t[S.COUNTY].to_numpy())
    comp.insert(3, "children", t[S.BANDS[weights.band].children].to_numpy(float))
    for rule in CONFIDENT_RULES:  # the desert chance, when the result has it (M.column names its columns)
        for key in (f"desert_chance_{rule}", f"confident_desert_{rule}"):
            col = M.column(key, weights.band)
            if col in t.columns:
                comp[key] = t[col].to_numpy()
    keys = [comp[S.GEOID].to_numpy(), -comp["unmet_children"].to_numpy(), -np.round(comp["score"].to_numpy(), 9)]
    if weights.confident_first:
        col = M.column(f"confident_desert_{weights.confident_first}", weights.band)
        if col not in t.columns:
            raise MissingColumnError(col, "ranking confident deserts first (compute the desert chance first)", list(t.columns))
        keys.append(~t[col].fillna(False).to_numpy(bool))  # confident deserts (False sorts first), then by score
    order = np.lexsort(tuple(keys))
    ranked = comp.iloc[order].reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked


def explain_rank(row: pd.Series, weights: RankWeights) -> str:
    """A plain-language "why this rank" for one row of :func:`rank_tracts`."""
    band = S.BANDS[weights.band]
    parts = sorted(((row[f"{c}_points"], c) for c in COMPONENTS), reverse=True)
    top = [(pts, c) for pts, c in parts if pts > 0][:2]
    reasons = {
        "unmet_need": f"about {row['unmet_children']:,.0f} children aged {band.short} without a slot within reach",
        "access_gap": "reachable slots well below 1 per 3 children",
        "desert": "a child-care desert by the OSU rule",
        "poverty": "many young children in families below 200% of poverty",
        "working_parents": "many young children whose parents all work",
    }
    why = " and ".join(reasons[c] for _pts, c in top) or "little measured need"
    text = f"Rank {int(row['rank'])} (score {row['score']:.1f} of 100): {why}."
    if row.get("unreliable", False):
        text += " The children estimate is unreliable (CV above 0.40): check it locally."
    return text


def add_reasons(ranked: pd.DataFrame, weights: RankWeights, top: int | None = None) -> pd.DataFrame:
    """``ranked`` with a ``why`` column: :func:`explain_rank` for the first ``top`` rows (all when None)."""
    n = len(ranked) if top is None else min(top, len(ranked))
    why = [explain_rank(row, weights) for _, row in ranked.head(n).iterrows()]
    return ranked.assign(why=why + [""] * (len(ranked) - n))


def rank_areas(result: MetricsResult, ranked: pd.DataFrame, top: int = 25) -> pd.DataFrame:
    """Adjacent tracts among the ``top`` ranked, grouped into priority areas (shared boundary or corner).

    Each area: ``area`` (1 = first), ``label`` (its highest-ranked tract's name), ``tracts`` (GEOIDs,
    by rank), ``n_tracts``, ``children``, ``unmet_children``, ``best_rank`` and ``mean_score``. Areas are
    ranked by unmet children, then best rank.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    chosen = ranked.head(top)
    if chosen.empty:
        return pd.DataFrame(columns=["area", "label", "tracts", "n_tracts", "children", "unmet_children", "best_rank", "mean_score"])
    geoms = result.tracts.set_index(S.GEOID).loc[chosen[S.GEOID], "geometry"]
    import geopandas as gpd

    g = gpd.GeoSeries(geoms.to_numpy(), crs=result.tracts.crs)
    a, b = g.sindex.query(g.to_numpy(), predicate="intersects")
    n = len(g)
    _, labels = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)), directed=False)
    rows = []
    for lab in np.unique(labels):
        members = chosen.iloc[np.flatnonzero(labels == lab)]
        rows.append(
            {
                "label": members.iloc[0][S.NAME],
                "tracts": ", ".join(members[S.GEOID]),
                "n_tracts": len(members),
                "children": float(np.nansum(members["children"])),
                "unmet_children": float(members["unmet_children"].sum()),
                "best_rank": int(members["rank"].min()),
                "mean_score": float(members["score"].mean()),
            }
        )
    areas = pd.DataFrame(rows).sort_values(["unmet_children", "best_rank"], ascending=[False, True], kind="stable").reset_index(drop=True)
    areas.insert(0, "area", np.arange(1, len(areas) + 1))
    return areas


def compute_area_rows(areas: pd.DataFrame) -> pd.DataFrame:
    """:func:`rank_areas` as a planner reads it: labelled columns, counts rounded, the GEOIDs last."""
    out = pd.DataFrame(
        {
            "Area": areas["area"],
            "Named after (its highest-ranked tract)": areas["label"],
            "Tracts": areas["n_tracts"],
            "Best rank": areas["best_rank"],
            "Children without a slot within reach": areas["unmet_children"].astype(float).round(0),
            "Children": areas["children"].astype(float).round(0),
            "Mean score": areas["mean_score"].astype(float).round(1),
            "Tract GEOIDs": areas["tracts"],
        }
    )
    return out


def preset_label(key: str) -> str:
    """A preset's name as a planner reads it (``infant_toddler`` -> "Infant toddler")."""
    return key.replace("_", " ").capitalize()


def describe_weights(weights: RankWeights, preset: str | None = None) -> dict[str, str]:
    """How tracts were ranked, as an About sheet says it: the preset, each component's share of the score
    in words, and how the score is made."""
    band = S.get_band(weights.band)
    shares = ", ".join(f"{COMPONENT_LABELS[n].lower()} {share:.0%}" for n, share in weights.weights().items())
    named = f"the {preset_label(preset)} weights" if preset else "these weights"
    return {
        "Ranking": f"Tracts were ranked for {band.label.lower()} with {named}: {shares} of the score.",
        "Score": (
            "Each tract's score is 100 times the weighted sum of its components; each component is between 0 (no need) "
            "and 1 (the most need in the data). The glossary and the 'Why this rank' column explain each one."
        ),
        **(
            {
                "Unreliable estimates": f"A tract whose children estimate is unreliable (CV above 40%) has its score multiplied by "
                f"{weights.unreliable_factor:g}."
            }
            if weights.unreliable_factor < 1
            else {}
        ),
        **(
            {
                "Confident deserts first": f"Tracts with a chance of 90% or more of being {CONFIDENT_RULES[weights.confident_first]} "
                f"come first, each group in score order."
            }
            if weights.confident_first
            else {}
        ),
        "Weights as given": ", ".join(f"{COMPONENT_LABELS[n].lower()} {getattr(weights, n):g}" for n in COMPONENTS) + ".",
    }


def implied_band(preset: str) -> str | None:
    """The age band a preset is made for (infant/toddler focus: ``0_2``), or None when it fits any band."""
    band = PRESETS[preset].band
    return None if band == RankWeights().band else band


def compute_priority_rows(ranked: pd.DataFrame, top: int) -> pd.DataFrame:
    """The first ``top`` rows of a ranking (with reasons, :func:`add_reasons`) as a planner reads them:
    rank, tract, county, why the tract ranks where it does, score, children without a slot in reach, each
    component's points and whether the estimate is unreliable; labelled columns."""
    shown = ranked.head(top)
    # the reason first after the tract, so it shows without scrolling; the points that make the score after
    chance = [f"desert_chance_{r}" for r in CONFIDENT_RULES if f"desert_chance_{r}" in shown.columns]
    table = shown[["rank", S.NAME, S.COUNTY, "why", "score", "unmet_children", *chance, *[f"{c}_points" for c in COMPONENTS], "unreliable"]]
    table = table.round({**{f"{c}_points": 1 for c in COMPONENTS}, "unmet_children": 0})
    for c in chance:
        table[c] = (100 * table[c].astype(float)).round(0)
    return table.rename(
        columns={
            "rank": "Rank",
            S.NAME: "Tract",
            S.COUNTY: "County",
            "score": "Score",
            "unmet_children": "Children without a slot within reach",
            **{f"{c}_points": f"{COMPONENT_LABELS[c]} (points)" for c in COMPONENTS},
            "unreliable": "Unreliable estimate",
            "why": "Why this rank",
            **{f"desert_chance_{r}": f"Chance of {CONFIDENT_RULES[r].split(' (')[0][:-1]} (%)" for r in CONFIDENT_RULES},
        }
    )
