"""The words gapmap uses, explained once for planners: the Glossary page shows them, and help texts point
to it. Each entry is (term, plain explanation); the measures themselves are explained by the registry
(:mod:`gapmap.measures`), which the Glossary page lists too.

Layer: the foundation (it imports only the configuration, for the thresholds it quotes).
"""

from __future__ import annotations

import re

from gapmap.config import DEFAULT_PARAMS, AnalysisParams, describe_travel

__all__ = ["TERMS", "term_anchor", "describe_params", "describe_privacy"]

_P = DEFAULT_PARAMS

#: term -> what it means, in order of first need.
TERMS: dict[str, str] = {
    "Age bands": (
        "Infants and toddlers are ages 0-2 and preschool ages 3-5 (Oregon State University's bands). "
        "'All children under 5' is ages 0-4, the Center for American Progress's band. The bands overlap: "
        "5-year-olds count in 3-5 but not in under 5, so 0-2 plus 3-5 is more than under 5. Slots for 3-5 "
        "are counted in the under-5 band, so its supply is an upper bound."
    ),
    "Slots": (
        "Licensed capacity for an age band, from the state's licensing list. Licensed capacity overstates "
        "the slots that operate (staffing), so the utilization factor scales it."
    ),
    "Utilization": (
        f"The share of licensed capacity taken to be operating: 1.0 counts every licensed slot; 0.85 is a "
        f"published choice. Operating slots are licensed slots times this factor ({_P.utilization:g} by default)."
    ),
    "CAP rule": (
        f"Center for American Progress (2017/2018): a census tract is a child care desert when it has more "
        f"than {_P.cap_min_children:g} children and more than {_P.desert_children_per_slot:g} children per "
        "licensed slot located in it, or no slots at all."
    ),
    "OSU classes": (
        f"Oregon State University: a desert has more than {_P.desert_children_per_slot:g} children per slot; "
        f"an extreme desert has at most 1 slot per {_P.extreme_children_per_slot:g} children. gapmap applies "
        "them to the slots inside a tract and, as 'access classes', to the slots within reach."
    ),
    "Access (E2SFCA)": (
        "The enhanced two-step floating catchment area method: every provider's slots are shared among all "
        "the children within its catchment, and each tract adds up its shares of every provider it can reach. "
        "The result, slots within reach per 100 children, crosses tract lines, as families do."
    ),
    "Catchment": (
        f"How far families are taken to travel for care: {_P.catchment_km:g} km by default (the NSECE's "
        "average trip is 7.4 km for children under 3), or by place: shorter in cities, longer in rural areas."
    ),
    "Distance decay": "Step: every provider within the catchment counts fully. Gaussian: nearer providers count more.",
    "Travel time": (
        "Access measured by minutes on the road instead of kilometres as the crow flies, when the data has a "
        "travel-time table (made by gapmap from an OpenStreetMap extract, or by ArcGIS, OSRM, Valhalla or r5). A "
        "provider 0-5 minutes away counts fully, 5-10 minutes 0.68, 10-15 minutes 0.22, 15-30 minutes 0.03 "
        "(Luo & Qi 2009; Lee 2026), none beyond 30. Where a river or a mountain lies between, the road is much "
        "longer than the straight line, and the two measures disagree: the Travel time page shows where."
    ),
    "Snap distance": (
        "How far a tract's point or a provider lies from the nearest road, where its trip starts or ends. The "
        "minutes start at the road: a large snap distance (over 1 km) means the point may be misplaced."
    ),
    "Margin of error (MOE)": (
        "The ACS publishes each estimate with a 90% margin of error: the true count lies within the estimate "
        "plus or minus the margin nine times in ten. A region's margin combines its tracts' margins."
    ),
    "Reliability (CV)": (
        "The coefficient of variation, CV = (margin of error / 1.645) / estimate. Below 0.12 an estimate is "
        "good, from 0.12 to 0.40 fair, above 0.40 unreliable: read it as a range, not a number."
    ),
    "Desert chance (how sure)": (
        "How sure we are that a tract is a desert, given the margins of error. gapmap draws each tract's children "
        "many times (1,000 unless the data has over 20,000 tracts: then 200) from a normal curve around the ACS "
        "estimate, with standard error = margin of error / 1.645 and never below 0, applies every desert rule to "
        "each draw, and reports the share of draws in which the tract is a desert (the method of Lee 2026, "
        "'probabilistic child care deserts'). 90% or more: a confident desert; between 10% and 90%: uncertain, "
        "the margins leave it open. A region's expected children in deserts comes with the range that holds 90% "
        "of the draws."
    ),
    "Priority score": (
        "0 to 100: the weighted mean of five parts (unmet need, access gap, desert class, poverty, working "
        "parents), each scaled 0 to 1. The points of each part add up to the score; the weights are yours."
    ),
    "Privacy mode": (
        "Family child care homes are residences and many states keep their addresses confidential. With "
        "privacy mode on, no home's location or address is drawn, searched, linked or exported: exports list "
        "homes with their census tract only. It is on by default (a shared server shows no home until a planner "
        "turns it off on the Map page), and a link says privacy=False only when its sender turned it off."
    ),
}


def term_anchor(term: str) -> str:
    """The anchor of a term on the Glossary page ("Reliability (CV)" -> "reliability-cv")."""
    if term not in TERMS and term != FIGURES:
        raise KeyError(f"no glossary term {term!r}")
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


#: The heading of the Glossary page's table of every figure.
FIGURES = "Every figure"


def describe_params(params: AnalysisParams, travel: str | None = None) -> dict[str, str]:
    """The parameters of a run as an About sheet says them: a heading and a sentence each, with the
    exact values (so the figures can be made again). ``travel``: where the travel times came from, when
    access was measured on a travel-time table (:attr:`MetricsResult.travel`'s ``source``)."""
    p = params
    if p.catchment_by_place:
        reach = (
            f"Families are taken to travel up to {p.catchment_urban_km:g} km in urban tracts, {p.catchment_town_km:g} km in "
            f"towns and {p.catchment_rural_km:g} km in rural tracts (distance set by place)."
        )
    else:
        reach = f"Families are taken to travel up to {p.catchment_km:g} km, in a straight line, to reach child care."
    decay = (
        "Every slot within that distance counts fully (step decay)."
        if p.decay == "step"
        else "A slot counts less the farther it is, down to almost nothing at that distance (Gaussian decay)."
    )
    if travel:
        distance = {
            "Travel time": (
                f"Access is measured by minutes on the road from each tract to each provider, from {travel}: "
                f"{describe_travel(p)} (E2SFCA on travel time). A new site in a scenario gets its minutes from the same "
                f"road network, or, when only a table was given, from the nearest provider in it plus the straight line at "
                f"{p.travel_speed_kmh:g} km/h (approximate)."
            )
        }
    else:
        distance = {"Travel distance": f"{reach} {decay}"}
    return {
        "Slots counted": f"{p.utilization:.0%} of each provider's licensed slots are taken to be operating (utilization {p.utilization:g}).",
        **distance,
        "Desert rules": (
            f"CAP rule: a tract with more than {p.cap_min_children:g} children is a child-care desert when it has more than "
            f"{p.desert_children_per_slot:g} children per slot, or no slots. OSU classes: a desert has more than "
            f"{p.desert_children_per_slot:g} children per slot; an extreme desert has at most 1 slot per "
            f"{p.extreme_children_per_slot:g} children. Access classes apply the OSU thresholds to the slots within reach."
        ),
    }


def describe_privacy(privacy: bool) -> str:
    """What privacy mode did to the file, as one sentence."""
    if privacy:
        return "Privacy mode was on: family child care homes are listed with their census tract only, never their coordinates or address."
    return "Privacy mode was off: every provider's location is included."
