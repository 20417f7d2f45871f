"""Desert probability from the margins of error, on cases worked by hand.

Monte-Carlo error: a probability from N draws has standard error sqrt(P(1 - P) / N); the tests allow 4
of them (a false failure about once in 16,000 runs; the draws are seeded, so a run is repeatable)."""

import numpy as np
import pytest
from scipy.stats import norm

from gapmap import measures as M
from gapmap.config import AnalysisParams
from gapmap.errors import ParameterError
from gapmap.metrics import compute_tract_metrics, desert_mask
from gapmap.metrics.probability import PROBABILITY_RULES, compute_desert_probability, draw_truncated_normal
from tests.conftest import make_providers, make_tracts

# Tracts 0.5 degrees apart (about 40 km): with a 5 km catchment each reaches only its own providers.
BOXES = [(0.5 * i, 44.0, 0.5 * i + 0.02, 44.02) for i in range(4)]
CENTRE = [(0.5 * i + 0.01, 44.01) for i in range(4)]


def _result(kids, moe, slots, utilization=1.0):
    tracts = make_tracts(BOXES[: len(kids)], children_0_2=[float(k) for k in kids], children_0_2_moe=[float(m) for m in moe])
    providers = make_providers([(*CENTRE[i], s, 0) for i, s in enumerate(slots)])
    return compute_tract_metrics(tracts, providers, AnalysisParams(catchment_km=5.0, utilization=utilization), bands=["0_2"])


def _tol(p, n):
    return 4 * np.sqrt(p * (1 - p) / n)


def test_zero_margins_give_certain_answers_equal_to_the_classes():
    """No margin anywhere and no capacity draws: every draw is the estimate, so P is 0 or 1 and equals
    the desert rule on the estimate."""
    res = _result([200, 40, 90, 60], [0, 0, 0, 0], [10, 30, 40, 25])
    prob = compute_desert_probability(res, draws=50, seed=1)
    for rule in PROBABILITY_RULES:
        chance = prob.tracts[M.column(f"desert_chance_{rule}", "0_2")].to_numpy()
        assert set(np.unique(chance)) <= {0.0, 1.0}
        assert chance.astype(bool).tolist() == desert_mask(res.tracts, rule, "0_2").tolist()
    # tract 0: 200 children, 10 slots -> CAP, OSU extreme and access deserts for sure
    row = prob.tracts.iloc[0]
    assert row["confident_desert_cap_0_2"] and not row["uncertain_desert_cap_0_2"]


@pytest.mark.parametrize("rule", ["cap", "osu", "access"])
def test_a_tract_at_the_threshold_is_a_coin_toss(rule):
    """60 children +/- 33 (SE 20) with 20 slots: exactly 3 children per slot, the desert line (a desert
    needs more than 3). Half the draws lie above 60, so P = 0.5 (the truncation at 0 is 3 SE away and
    moves it by 0.0007); the provider's slots reach only this tract, so access is 20 / children."""
    n = 4000
    res = _result([60], [20 * 1.645], [20])
    prob = compute_desert_probability(res, draws=n, seed=7)
    p = float(prob.tracts[M.column(f"desert_chance_{rule}", "0_2")].iloc[0])
    truncated = norm.sf(0) / norm.sf(-3)  # P(X > 60 | X >= 0) = 0.5 / 0.99865
    assert p == pytest.approx(truncated, abs=_tol(0.5, n))
    assert bool(prob.tracts[M.column(f"uncertain_desert_{rule}", "0_2")].iloc[0])


def test_supply_only_uncertainty():
    """Children known exactly (no margin): 60 children and 21 slots is 2.86 per slot, not a desert. With
    each provider's operating share drawn from N(1, 0.1) truncated to [0, 1], the tract is a desert when
    21 x share < 20, i.e. share < 20/21: P = (Phi((20/21 - 1)/0.1) - Phi(-10)) / (Phi(0) - Phi(-10))."""
    n = 4000
    res = _result([60], [0], [21])
    assert compute_desert_probability(res, draws=200, seed=3).tracts["desert_chance_osu_0_2"].iloc[0] == 0.0
    prob = compute_desert_probability(res, draws=n, seed=3, capacity_sd=0.1)
    want = (norm.cdf((20 / 21 - 1) / 0.1) - norm.cdf(-10)) / (norm.cdf(0) - norm.cdf(-10))
    for rule in ("osu", "access"):
        assert prob.tracts[f"desert_chance_{rule}_0_2"].iloc[0] == pytest.approx(want, abs=_tol(want, n))
    # the CAP rule also needs more than 50 children: 60 > 50, the same answer
    assert prob.tracts["desert_chance_cap_0_2"].iloc[0] == pytest.approx(want, abs=_tol(want, n))


def test_draws_are_reproducible_with_a_seed():
    res = _result([200, 40, 90, 60], [80, 30, 60, 40], [10, 30, 40, 20])
    a = compute_desert_probability(res, draws=300, seed=11, capacity_sd=0.05)
    b = compute_desert_probability(res, draws=300, seed=11, capacity_sd=0.05)
    c = compute_desert_probability(res, draws=300, seed=12, capacity_sd=0.05)
    cols = [M.column(f"desert_chance_{r}", "0_2") for r in PROBABILITY_RULES]
    assert a.tracts[cols].equals(b.tracts[cols])
    assert not a.tracts[cols].equals(c.tracts[cols])
    fresh = compute_desert_probability(res, draws=300, seed=None)
    again = compute_desert_probability(res, draws=300, seed=fresh.seed)
    assert fresh.tracts[cols].equals(again.tracts[cols])


def test_expected_children_in_deserts_with_an_interval():
    """The coin-toss tract: children in the desert are X when X > 60, else 0. E = 60 P + SE phi(0) / (1 -
    Phi(-3)) for the truncated normal; the 5th percentile is 0 (half the draws are not deserts) and the
    95th that of X given the desert, about 60 + 20 x 1.645."""
    n = 4000
    res = _result([60, 200], [20 * 1.645, 0], [20, 10])
    prob = compute_desert_probability(res, draws=n, seed=5)
    members = np.array([[True, False], [False, True]])
    table = prob.children_in_deserts(members, ["coin", "sure"]).set_index(["region", "rule"])
    coin = table.loc[("coin", "osu")]
    want = (60 * 0.5 + 20 * norm.pdf(0)) / norm.sf(-3)
    assert coin["expected"] == pytest.approx(want, abs=4 * 20 / np.sqrt(n))
    assert coin["low"] == 0.0 and coin["high"] == pytest.approx(60 + 20 * 1.645, abs=2.0)
    sure = table.loc[("sure", "osu")]
    assert sure["expected"] == sure["low"] == sure["high"] == 200.0


def test_truncated_normal_draws_are_at_least_zero_and_keep_a_zero_margin():
    rng = np.random.default_rng(0)
    x = draw_truncated_normal(rng, np.array([0.0, 5.0, 30.0]), np.array([10.0, 0.0, 10.0]), 20000)
    assert (x >= 0).all() and (x[1] == 5.0).all()
    # mean of N(0, 10) given >= 0 is 10 x sqrt(2 / pi)
    assert x[0].mean() == pytest.approx(10 * np.sqrt(2 / np.pi), abs=4 * 10 * 0.6 / np.sqrt(20000))


def test_bad_draws_are_refused_in_words():
    res = _result([60], [10], [20])
    with pytest.raises(ParameterError, match="draws = 0: expected a whole number from 1 to 100,000"):
        compute_desert_probability(res, draws=0)
    with pytest.raises(ParameterError, match="capacity_sd = 2"):
        compute_desert_probability(res, draws=10, capacity_sd=2)


def test_region_rollups_of_the_chance_add_up(demo):
    """Counties partition the demo: the expected children in deserts of all tracts are the counties' sum
    (expectations add), and each expectation lies within its own 90% range."""
    from gapmap.metrics.probability import with_desert_probability
    from gapmap.regions import ALL_TRACTS, county_region_set
    from gapmap.regions.compare import compare_regions

    res = compute_tract_metrics(*demo)
    res = with_desert_probability(res, compute_desert_probability(res, draws=300, seed=2))
    chance = compare_regions(res, county_region_set(res.tracts)).chance
    assert chance is not None and len(chance) == (3 + 1) * 3 * 4  # regions + all, bands, rules
    for _key, g in chance.groupby(["band", "rule"]):
        whole = g[g["region"] == ALL_TRACTS]["expected"].iloc[0]
        assert whole == pytest.approx(g[g["region"] != ALL_TRACTS]["expected"].sum(), rel=1e-12)
        assert (g["low"] <= g["expected"] + 1e-9).all() and (g["expected"] <= g["high"] + 1e-9).all()
