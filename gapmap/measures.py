"""The measure registry: every figure gapmap reports, declared once.

A :class:`Measure` says what a figure is called in a table (its column), what a planner reads (label,
unit, description), whether it exists per age band, and how it rolls up from tracts to a region. Tract
metrics (:func:`gapmap.metrics.compute_tract_metrics`), roll-ups (:func:`gapmap.regions.compute_rollup`
and the one-region summary), the tract and comparison tables, map tooltips and the README's column
table all read from :data:`MEASURES`; nothing else spells a measure's column.

Roll-up rules (:data:`ROLLUPS`), from tracts to a region:

``sum``
    counts are added; a count with a margin of error gets the root-sum-square margin.
``ratio``
    recomputed from the sums of its two operands, never averaged (``scale`` x sum(a) / sum(b)).
``weighted_mean``
    the mean of the tract values weighted by the operand (children of the band).
``desert_share``
    the share of the band's children who live in tracts that are deserts by the named rule
    (:data:`gapmap.metrics.deserts.DESERT_RULES`); ``desert_children`` is the count, and
    ``desert_tracts`` the number of such tracts.
``rule_on_sums``
    the desert rule applied to the region's own sums (a region's OSU class).
``providers``
    from the providers located in the region (ages 0-5 slots, their shares by funding; ``of`` names the
    funding type of a share).
``priority``
    the region's tracts among the priority tracts of one ranking of all tracts.
``none``
    a tract-level figure that has no region value (a class, a reliability label).

Layer: the foundation, beside :mod:`gapmap.schema`; it imports only the schema and the errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gapmap import schema as S
from gapmap.errors import ParameterError

__all__ = [
    "Measure",
    "MEASURES",
    "ROLLUPS",
    "measure",
    "column",
    "per_band",
    "region_measures",
    "tract_measures",
    "columns_table_markdown",
    "readme_with_table",
]

Kind = Literal["count", "number", "share", "class", "flag"]
Rollup = Literal[
    "sum", "ratio", "weighted_mean", "desert_share", "desert_children", "desert_tracts", "rule_on_sums", "providers", "priority", "none"
]
Level = Literal["tract", "region", "both"]

#: The roll-up rules a measure may declare (see the module docstring).
ROLLUPS: tuple[str, ...] = (
    "sum",
    "ratio",
    "weighted_mean",
    "desert_share",
    "desert_children",
    "desert_tracts",
    "rule_on_sums",
    "providers",
    "priority",
    "none",
)


@dataclass(frozen=True)
class Measure:
    """One figure gapmap reports.

    ``key``: the registry key and, for a per-band measure, the stem of its columns (``slots_per_100`` ->
    ``slots_per_100_0_2``). ``label``: plain words; a per-band label names its band through
    :meth:`label_for`. ``unit`` and ``description``: what a tooltip, a legend or the README says.
    ``kind``: count, number, share (0-1, shown in percent), class or flag (yes / no). ``rollup``: the
    rule of :data:`ROLLUPS`; ``of``: its operands (measure keys, or a desert rule). ``scale``: the ratio's
    factor. ``level``: whether the figure exists per tract, per region, or both. ``headline``: repeated
    without a band suffix (for the band chosen) in the tract table. ``moe``: a count that carries an ACS
    margin of error (``<column>_moe``). ``short``: the compact label of a tract's detail table (the
    label when empty). ``tooltip``: shown in a tract's map tooltip. ``compare``: a row of the region
    comparison table. ``on_request``: computed on request, not by the metrics run (the desert chance:
    :func:`gapmap.metrics.probability.compute_desert_probability`).
    """

    key: str
    label: str
    unit: str
    description: str
    kind: Kind
    rollup: Rollup
    per_band: bool = True
    of: tuple[str, ...] = ()
    scale: float = 1.0
    level: Level = "both"
    headline: bool = False
    moe: bool = False
    short: str = ""
    tooltip: bool = False
    compare: bool = False
    on_request: bool = False

    def __post_init__(self) -> None:
        if self.rollup not in ROLLUPS:
            raise ParameterError(f"measure {self.key!r}: roll-up rule {self.rollup!r} is not one of {', '.join(ROLLUPS)}")
        needs = {"ratio": 2, "weighted_mean": 1, "desert_share": 1, "desert_children": 1, "desert_tracts": 1, "rule_on_sums": 1}
        if len(self.of) != needs.get(self.rollup, len(self.of)):
            raise ParameterError(f"measure {self.key!r}: the {self.rollup} rule takes {needs[self.rollup]} operand(s), not {self.of!r}")

    def column(self, band: str | None = None) -> str:
        """The column of this measure (for ``band`` when it is per band): ``column("0_2")``."""
        if not self.per_band:
            return self.key
        if band is None:
            raise ParameterError(f"the measure {self.key!r} is per age band: name the band (one of {', '.join(S.BANDS)})")
        return f"{self.key}_{S.get_band(band).key}"

    def moe_column(self, band: str | None = None) -> str:
        """The margin-of-error column of a count (``children_0_2_moe``)."""
        return S.moe_column(self.column(band))

    def label_for(self, band: str | None = None) -> str:
        """The label with the band named (``Slots per 100 children aged 0-2``)."""
        if not self.per_band or band is None:
            return self.label.replace(" for children {band}", "").replace(" {band}", "").replace("{band} ", "")
        b = S.get_band(band)
        named = "under 5" if b.key == "under_5" else f"aged {b.short}"
        return self.label.replace("{band}", named) if "{band}" in self.label else f"{self.label} {named}"

    @property
    def short_label(self) -> str:
        return self.short or self.label_for(None)

    @property
    def in_percent(self) -> bool:
        return self.kind == "share"


_ALL: tuple[Measure, ...] = (
    # --- counts ------------------------------------------------------------------------------------
    Measure("tracts", "Tracts", "tracts", "Census tracts in the area.", "count", "sum", per_band=False, level="region"),
    Measure(
        "providers", "Providers", "providers", "Licensed providers located inside the area.", "count", "sum", per_band=False, compare=True
    ),
    Measure(
        "children",
        "Children",
        "children",
        "ACS 5-year estimate of children in the age band (90% margin of error alongside).",
        "count",
        "sum",
        moe=True,
        short="Children",
        compare=True,
    ),
    Measure(
        "licensed_slots",
        "Licensed slots",
        "slots",
        "Licensed slots for the age band at providers located inside the area.",
        "count",
        "sum",
        short="Licensed slots in tract",
        compare=True,
    ),
    Measure(
        "slots",
        "Operating slots {band} in the area",
        "slots",
        "Licensed slots inside the area times the utilization factor (the share of licensed slots taken to be open; 1 by default).",
        "number",
        "sum",
        short="Slots in tract",
        tooltip=True,
        compare=True,
    ),
    # --- ratios inside the tract -------------------------------------------------------------------
    Measure(
        "children_per_slot",
        "Children per slot",
        "children per slot",
        "Children of the band per operating slot inside the area (from the sums for a region).",
        "number",
        "ratio",
        of=("children", "slots"),
        headline=True,
        short="Children per slot",
        compare=True,
    ),
    Measure(
        "slots_per_100",
        "Slots per 100 children",
        "slots per 100 children",
        "Operating slots located inside the area, per 100 children of the age band living there.",
        "number",
        "ratio",
        of=("slots", "children"),
        scale=100.0,
        headline=True,
        short="Slots per 100",
        tooltip=True,
        compare=True,
    ),
    # --- desert rules on the tract ----------------------------------------------------------------
    Measure(
        "cap_desert",
        "Child-care desert (CAP rule)",
        "yes / no",
        "More than 50 children and more than 3 children per slot inside the tract (or no slots).",
        "flag",
        "none",
        level="tract",
        headline=True,
        short="CAP desert",
        tooltip=True,
    ),
    Measure(
        "osu_class",
        "Desert class (OSU)",
        "class",
        "Slots inside the area: a desert has more than 3 children per slot; an extreme desert at most 1 slot per 10 children.",
        "class",
        "rule_on_sums",
        of=("osu",),
        headline=True,
        short="OSU class",
        tooltip=True,
        compare=True,
    ),
    # --- access across tract lines ----------------------------------------------------------------
    Measure(
        "access_per_100",
        "Access: slots within reach per 100 children",
        "slots per 100 children",
        "E2SFCA (enhanced two-step floating catchment area): slots within the catchment, shared among all the "
        "children who can reach them, across tract lines; a region's value is weighted by its children.",
        "number",
        "weighted_mean",
        of=("children",),
        headline=True,
        short="Access per 100",
        tooltip=True,
        compare=True,
    ),
    Measure(
        "access_class",
        "Access desert class",
        "class",
        "The OSU thresholds applied to access (slots within reach) rather than to slots inside the tract.",
        "class",
        "none",
        level="tract",
        headline=True,
        short="Access class",
        tooltip=True,
    ),
    Measure(
        "children_reached",
        "Children {band} with a slot within reach",
        "children",
        "The children the slots within reach can serve: children x access, at most all of them "
        "(the rest are the unmet need the ranking uses); a region adds up its tracts.",
        "number",
        "sum",
    ),
    Measure(
        "slots_short",
        "Slots short of the desert line",
        "slots",
        "Operating slots the area lacks to reach 1 slot per 3 children (0 where it has enough); a region adds up its tracts' shortfalls.",
        "number",
        "sum",
        tooltip=True,
        compare=True,
    ),
    # --- reliability of the estimate --------------------------------------------------------------
    Measure(
        "children_cv",
        "Coefficient of variation (CV) of the children estimate",
        "CV",
        "CV = (margin of error / 1.645) / estimate; above 0.40 the estimate is conventionally unreliable.",
        "number",
        "none",
        level="tract",
    ),
    Measure(
        "reliability",
        "Estimate reliability",
        "class",
        "good (CV below 0.12), fair (0.12 to 0.40) or unreliable (above 0.40).",
        "class",
        "none",
        level="tract",
        short="Estimate reliability",
    ),
    # --- how sure: desert chance from the margins of error (gapmap.metrics.probability) -------------
    *(
        m
        for rule, name, article, shown in (
            ("access", "access desert", "an", True),
            ("cap", "CAP desert", "a", True),
            ("osu", "OSU desert (desert or extreme)", "an", False),
            ("osu_extreme", "OSU extreme desert", "an", False),
        )
        for m in (
            Measure(
                f"desert_chance_{rule}",
                f"How sure: chance this tract is {article} {name.split(' (')[0]} for children {{band}}",
                "% chance",
                f"The share of Monte-Carlo draws of the tract's children (from the ACS estimate and its margin of error; "
                f"Lee 2026) in which the tract is {article} {name}. The app computes it with the metrics; the CLI with "
                "`--draws N`.",
                "share",
                "none",
                level="tract",
                on_request=True,
                short=f"Chance of {name.split(' (')[0]}",
                tooltip=shown,
            ),
            Measure(
                f"confident_desert_{rule}",
                f"Confident {name.split(' (')[0]} for children {{band}}",
                "yes / no",
                f"A chance of 90% or more of being {article} {name}.",
                "flag",
                "none",
                level="tract",
                on_request=True,
                short=f"Confident {name.split(' (')[0]}",
            ),
            Measure(
                f"uncertain_desert_{rule}",
                f"Uncertain {name.split(' (')[0]} for children {{band}}",
                "yes / no",
                f"A chance between 10% and 90% of being {article} {name}: the margins of error leave it open.",
                "flag",
                "none",
                level="tract",
                on_request=True,
                short=f"Uncertain: {name.split(' (')[0]}?",
            ),
        )
    ),
    # --- who lives in the deserts (regions) ---------------------------------------------------------
    *(
        m
        for rule, words in (
            ("cap_deserts", ("cap", "CAP deserts", "CAP desert tracts")),
            ("osu_deserts", ("osu", "OSU deserts", "OSU desert tracts (desert or extreme)")),
            ("osu_extreme", ("osu_extreme", "OSU extreme deserts", "OSU extreme desert tracts")),
            ("access_deserts", ("access", "access deserts", "Access desert tracts")),
        )
        for m in (
            Measure(
                f"share_in_{rule}",
                f"Children {{band}} in {words[1]}",
                "% of children",
                f"Share of the band's children living in tracts that are {words[1]}.",
                "share",
                "desert_share",
                of=(words[0],),
                level="region",
                compare=True,
            ),
            Measure(
                f"children_in_{rule}",
                f"Children {{band}} living in {words[1]}",
                "children",
                f"Children of the band living in tracts that are {words[1]}.",
                "count",
                "desert_children",
                of=(words[0],),
                level="region",
            ),
            Measure(
                f"{rule.removesuffix('s')}_tracts",
                f"{words[2]} {{band}}",
                "tracts",
                f"Tracts that are {words[1]} for the band.",
                "count",
                "desert_tracts",
                of=(words[0],),
                level="region",
            ),
        )
    ),
    # --- providers and priorities (regions) -------------------------------------------------------
    Measure(
        "licensed_slots_all",
        "Licensed slots, ages 0-5",
        "slots",
        "Licensed slots for ages 0-5 at providers located inside the region.",
        "count",
        "providers",
        per_band=False,
        level="region",
    ),
    *(
        Measure(
            f"{kind}_slot_share",
            label,
            "% of slots ages 0-5",
            f"Share of the region's licensed slots for ages 0-5 at providers whose funding is {kind}.",
            "share",
            "providers",
            per_band=False,
            of=(kind,),
            level="region",
            compare=kind in ("public", "mixed"),
        )
        for kind, label in (
            ("public", "Publicly funded slots, ages 0-5"),
            ("private", "Privately funded slots, ages 0-5"),
            ("mixed", "Slots with mixed funding"),
            ("unknown", "Slots with funding not reported"),
        )
    ),
    Measure(
        "priority_tracts",
        "Priority tracts",
        "tracts",
        "The region's tracts among the top tracts of one ranking of all tracts (the same cut-off for every region).",
        "count",
        "priority",
        per_band=False,
        level="region",
        compare=True,
    ),
    # --- families (children under 6) --------------------------------------------------------------
    Measure(
        "poverty_share_100",
        "Children under 6 below poverty",
        "% of children under 6",
        "Share of children under 6 in families below 100% of the federal poverty level (ACS B17024).",
        "share",
        "ratio",
        per_band=False,
        of=(S.UNDER6_BELOW_100PCT, S.CHILDREN_UNDER_6),
        compare=True,
    ),
    Measure(
        "poverty_share_200",
        "Children under 6 below 200% of poverty",
        "% of children under 6",
        "Share of children under 6 in families below 200% of the federal poverty level (ACS B17024).",
        "share",
        "ratio",
        per_band=False,
        of=(S.UNDER6_BELOW_200PCT, S.CHILDREN_UNDER_6),
        tooltip=True,
        compare=True,
    ),
    Measure(
        "working_parents_share",
        "Children under 6 with all parents working",
        "% of children under 6",
        "Share of children under 6 whose parents are all in the labor force (ACS B23008).",
        "share",
        "ratio",
        per_band=False,
        of=(S.UNDER6_ALL_PARENTS_WORKING, S.CHILDREN_UNDER_6),
        compare=True,
    ),
)

#: Every measure, by key, in the order tables list them.
MEASURES: dict[str, Measure] = {m.key: m for m in _ALL}
if len(MEASURES) != len(_ALL):  # pragma: no cover - a registry typo, caught at import
    raise ParameterError("two measures of the registry share a key")


def measure(key: str) -> Measure:
    """The measure ``key``; an unknown key names the keys there are."""
    try:
        return MEASURES[key]
    except KeyError:
        raise ParameterError(f"unknown measure {key!r}: expected one of {', '.join(MEASURES)}") from None


def column(key: str, band: str | None = None) -> str:
    """The column of measure ``key`` (for ``band``): ``column("access_per_100", "0_2") == "access_per_100_0_2"``."""
    return measure(key).column(band)


def per_band(level: Level | None = None) -> list[Measure]:
    """The per-band measures (of a level: ``tract`` includes ``both``)."""
    return [m for m in MEASURES.values() if m.per_band and (level is None or m.level in (level, "both"))]


def tract_measures() -> list[Measure]:
    """Measures a tract has."""
    return [m for m in MEASURES.values() if m.level in ("tract", "both")]


def region_measures() -> list[Measure]:
    """Measures a region has (every roll-up rule but ``none``)."""
    return [m for m in MEASURES.values() if m.level in ("region", "both") and m.rollup != "none"]


def columns_table_markdown() -> str:
    """The README's table of measures, generated from the registry (a test keeps the README in step)."""
    rows = ["| Column | Measure | Unit | Per band | Tract / region | Roll-up | What it is |", "|---|---|---|---|---|---|---|"]
    for m in MEASURES.values():
        col = f"`{m.key}_<band>`" if m.per_band else f"`{m.key}`"
        rule = m.rollup.replace("_", " ") + (f" ({', '.join(m.of)})" if m.of else "")
        rows.append(
            f"| {col} | {m.label.replace('{band}', '').replace('  ', ' ')} | {m.unit} | {'yes' if m.per_band else 'no'} | {m.level} | {rule} | {m.description} |"
        )
    return "\n".join(rows) + "\n"


README_START, README_END = "<!-- measures:start -->", "<!-- measures:end -->"


def readme_with_table(text: str) -> str:
    """``text`` (the README) with the table between its measure markers regenerated."""
    head, found, rest = text.partition(README_START)
    if not found or README_END not in rest:
        raise ParameterError(f"the README has no {README_START} ... {README_END} block for the table of measures")
    return head + README_START + "\n" + columns_table_markdown() + README_END + rest.split(README_END, 1)[1]


if __name__ == "__main__":  # pragma: no cover - a developer's command
    import sys
    from pathlib import Path

    if sys.argv[1:2] == ["--readme"] and len(sys.argv) == 3:
        path = Path(sys.argv[2])
        path.write_text(readme_with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(columns_table_markdown())
