"""Priority ranking: a hand-worked example, invariants, and exports that read back equal."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapmap.analysis.ranking import COMPONENTS, PRESETS, RankWeights, explain_rank, rank_areas, rank_tracts
from gapmap.config import AnalysisParams
from gapmap.errors import ParameterError
from gapmap.metrics import compute_tract_metrics
from gapmap.schema import validate_tracts
from tests.conftest import make_providers, make_tracts


def three_tracts(kids=(100.0, 60.0, 30.0)):
    """Three 0.1-degree tracts in a row; one provider of 20 infant slots in the first; a 5 km catchment
    reaches only the tract the provider is in (tract centres are 11 km apart)."""
    tracts = make_tracts(
        [(0.0, 0.0, 0.1, 0.1), (0.1, 0.0, 0.2, 0.1), (0.2, 0.0, 0.3, 0.1)],
        children_0_2=list(kids),
        children_under_6=[200.0, 100.0, 100.0],
        under6_below_200pct=[20.0, 50.0, 10.0],
        under6_all_parents_working=[120.0, 60.0, 30.0],
    )
    return compute_tract_metrics(validate_tracts(tracts), make_providers([(0.05, 0.05, 20, 0)]), AnalysisParams(catchment_km=5.0))


def test_scores_by_hand():
    res = three_tracts()
    w = RankWeights(1, 1, 1, 1, 1, band="0_2")  # equal weights: score = 20 x the sum of the components
    r = rank_tracts(res, w).set_index("geoid")
    # tract 1: access 20/100 = 0.2 slots per child -> unmet 100 x 0.8 = 80 (the largest: 1.0);
    #   gap (33.3 - 20) / 33.3 = 0.4; OSU 100/20 = 5 per slot -> desert 0.5;
    #   poverty 0.5 x 20/50 + 0.5 x 20/200 = 0.25; working 120/120 = 1
    t1 = 20 * (1.0 + 0.4 + 0.5 + 0.25 + 1.0)
    # tract 2: no slots in reach -> unmet 60 (0.75), gap 1, extreme 1, poverty 0.5 + 0.25 = 0.75, working 0.5
    t2 = 20 * (0.75 + 1.0 + 1.0 + 0.75 + 0.5)
    # tract 3: unmet 30 (0.375), gap 1, extreme 1, poverty 0.5 x 0.2 + 0.5 x 0.1 = 0.15, working 0.25
    t3 = 20 * (0.375 + 1.0 + 1.0 + 0.15 + 0.25)
    assert r.loc["99001000100", "score"] == pytest.approx(t1)
    assert r.loc["99001000200", "score"] == pytest.approx(t2)
    assert r.loc["99001000300", "score"] == pytest.approx(t3)
    assert r["rank"].to_dict() == {"99001000200": 1, "99001000100": 2, "99001000300": 3}
    parts = r[[f"{c}_points" for c in COMPONENTS]].sum(axis=1)
    np.testing.assert_allclose(parts, r["score"])  # every score decomposes into its components


def test_ties_break_by_unmet_need_then_geoid():
    res = three_tracts(kids=(100.0, 60.0, 60.0))
    r = rank_tracts(res, RankWeights(0, 1, 0, 0, 0, band="0_2"))  # tracts 2 and 3 tie on access gap
    assert r["geoid"].tolist()[:2] == ["99001000200", "99001000300"]


def test_unreliable_estimates_are_flagged_and_optionally_down_weighted():
    tracts = make_tracts([(0, 0, 0.1, 0.1), (0.1, 0, 0.2, 0.1)], children_0_2=[100.0, 100.0], children_0_2_moe=[100.0, 10.0])
    res = compute_tract_metrics(validate_tracts(tracts), make_providers([(5, 5, 1, 1)]))
    kept = rank_tracts(res, RankWeights(band="0_2")).set_index("geoid")
    halved = rank_tracts(res, RankWeights(band="0_2", unreliable_factor=0.5)).set_index("geoid")
    assert kept.loc["99001000100", "unreliable"] and not kept.loc["99001000200", "unreliable"]
    assert halved.loc["99001000100", "score"] == pytest.approx(0.5 * kept.loc["99001000100", "score"])
    row = kept.reset_index().set_index("geoid").loc["99001000100"]
    assert "unreliable (CV above 0.40)" in explain_rank(row, RankWeights(band="0_2"))


def test_weights_are_validated():
    with pytest.raises(ParameterError, match="add up to 0"):
        RankWeights(0, 0, 0, 0, 0)
    with pytest.raises(ParameterError, match="weight poverty"):
        RankWeights(poverty=-1)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(list(PRESETS)), st.integers(0, 161), st.floats(1.5, 4.0))
def test_ranking_is_a_permutation_and_more_unmet_need_never_lowers_a_rank(demo_metrics, preset, i, factor):
    res = demo_metrics
    w = PRESETS[preset]
    r = rank_tracts(res, w)
    assert sorted(r["rank"]) == list(range(1, len(res.tracts) + 1))
    assert sorted(r["geoid"]) == sorted(res.tracts["geoid"])
    # raise one tract's children (all else equal): its unmet need grows, its rank never drops
    band_col = {"0_2": "children_0_2", "3_5": "children_3_5", "under_5": "children_under_5"}[w.band]
    t = res.tracts.copy()
    geoid = t["geoid"].iloc[i]
    t.loc[t.index[i], band_col] = t[band_col].iloc[i] * factor
    more = dataclasses.replace(res, tracts=t)
    before = r.set_index("geoid").loc[geoid, "rank"]
    after = rank_tracts(more, w).set_index("geoid").loc[geoid, "rank"]
    assert after <= before


def test_areas_group_adjacent_top_tracts():
    res = three_tracts()
    r = rank_tracts(res, RankWeights(band="0_2"))
    areas = rank_areas(res, r, top=3)
    assert len(areas) == 1 and areas.loc[0, "n_tracts"] == 3  # the three boxes touch
    assert areas.loc[0, "unmet_children"] == pytest.approx(80 + 60 + 30)
    apart = rank_areas(res, r[r["geoid"] != "99001000200"], top=2)
    assert len(apart) == 2  # tracts 1 and 3 do not touch


@pytest.fixture(scope="module")
def demo_metrics(demo):
    return compute_tract_metrics(*demo)
