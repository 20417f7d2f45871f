"""Invariants of E2SFCA on travel times, on random sparse tables: equal to a dense NumPy E2SFCA written
here, supply conserved, more slots never lower any tract's access."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gapmap.config import AnalysisParams
from gapmap.metrics.travel import TravelAccess, travel_weights
from gapmap.sources.travel_times import TravelTimes


@st.composite
def tables(draw):
    n_t = draw(st.integers(1, 12))
    n_p = draw(st.integers(1, 15))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    keep = rng.random((n_t, n_p)) < draw(st.floats(0.05, 1.0))
    ti, pj = np.nonzero(keep)
    minutes = rng.choice([0.0, 5.0, 10.0, 15.0, 30.0, 45.0], len(ti)) + rng.random(len(ti)) * rng.choice([0, 1], len(ti)) * 20
    children = rng.integers(0, 400, n_t).astype(float)
    slots = rng.integers(0, 60, (n_p, 2)).astype(float)
    gaussian = draw(st.booleans())
    return TravelTimes(ti, pj, minutes, n_t, n_p, "random"), children, slots, gaussian


def _dense(times: TravelTimes, params: AnalysisParams, children: np.ndarray, slots: np.ndarray) -> np.ndarray:
    w = np.zeros((times.n_tracts, times.n_providers))
    w[times.tract, times.provider] = travel_weights(times.minutes, params)
    out = np.zeros((times.n_tracts, slots.shape[1]))
    for k in range(slots.shape[1]):
        demand = w.T @ children
        ratio = np.divide(slots[:, k], demand, out=np.zeros_like(demand), where=demand > 0)
        out[:, k] = w @ ratio
    return out


@settings(max_examples=80, deadline=None)
@given(tables())
def test_sparse_equals_dense_and_conserves_supply(case):
    times, children, slots, gaussian = case
    params = AnalysisParams(travel_decay="gaussian" if gaussian else "bands")
    engine = TravelAccess(times, params, np.zeros((times.n_providers, 2)))
    access, ratio, _ = engine.e2sfca(np.column_stack([children, children]), slots)
    np.testing.assert_allclose(access, _dense(times, params, children, slots), rtol=1e-12, atol=1e-15)
    reaching = ratio[:, 0] > 0  # providers whose slots reach some children
    np.testing.assert_allclose((access[:, 0] * children).sum(), slots[reaching, 0].sum(), rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(tables(), st.integers(0, 14), st.floats(1, 50))
def test_more_slots_never_lower_access(case, which, more):
    times, children, slots, gaussian = case
    params = AnalysisParams(travel_decay="gaussian" if gaussian else "bands")
    engine = TravelAccess(times, params, np.zeros((times.n_providers, 2)))
    before, _, _ = engine.e2sfca(children, slots[:, 0])
    added = slots[:, 0].copy()
    added[which % times.n_providers] += more
    after, _, _ = engine.e2sfca(children, added)
    assert (after >= before - 1e-12).all()
