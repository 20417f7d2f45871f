"""ACS reliability: CV = (MOE / 1.645) / estimate, classes at 0.12 and 0.40."""

import numpy as np

from gapmap.metrics import compute_tract_metrics
from gapmap.sources.acs import classify_reliability, compute_cv
from tests.conftest import make_providers, make_tracts


def test_cv_by_hand_and_class_edges():
    est = [100, 100, 100, 100, 0, np.nan]
    moe = [16.45, 19.74, 65.8, 164.5, 30, 10]  # CV 0.10, 0.12, 0.40, 1.00, -, -
    cv = compute_cv(est, moe)
    np.testing.assert_allclose(cv[:4], [0.10, 0.12, 0.40, 1.00], rtol=1e-12)
    assert np.isnan(cv[4:]).all()
    assert list(classify_reliability(cv)) == ["good", "good", "fair", "unreliable", "no estimate", "no estimate"]


def test_metrics_carry_reliability_only_where_a_moe_is_given():
    tracts = make_tracts(
        [(0, 0, 1, 1), (1, 0, 2, 1)], children_0_2=[50.0, 200.0], children_0_2_moe=[41.125, 32.9], children_3_5=[10.0, 10.0]
    )
    res = compute_tract_metrics(tracts, make_providers([(0.5, 0.5, 3, 3)]))
    np.testing.assert_allclose(res.tracts["children_cv_0_2"], [0.5, 0.1])
    assert list(res.tracts["reliability_0_2"]) == ["unreliable", "good"]
    assert "reliability_3_5" not in res.tracts.columns
