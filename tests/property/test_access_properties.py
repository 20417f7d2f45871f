"""Invariants of the access measure and desert rules, on random regions (hypothesis)."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gapmap.config import AnalysisParams
from gapmap.metrics import compute_tract_metrics
from gapmap.metrics.access import compute_e2sfca, find_pairs
from gapmap.metrics.deserts import classify_cap, classify_osu
from tests.conftest import make_providers, make_tracts

coords = st.tuples(st.floats(-0.3, 0.3), st.floats(44.0, 44.4))


@st.composite
def region(draw):
    n_t = draw(st.integers(1, 12))
    n_p = draw(st.integers(1, 15))
    tracts = np.array(draw(st.lists(coords, min_size=n_t, max_size=n_t)))
    provs = np.array(draw(st.lists(coords, min_size=n_p, max_size=n_p)))
    kids = draw(arrays(float, n_t, elements=st.integers(0, 500).map(float)))  # children are counts
    slots = draw(arrays(float, n_p, elements=st.floats(0, 200, allow_nan=False)))
    catchment = draw(st.floats(1.0, 40.0))
    decay = draw(st.sampled_from(["step", "gaussian"]))
    return tracts, provs, kids, slots, catchment, decay


def access_of(tracts, provs, kids, slots, catchment, decay):
    pairs = find_pairs(tracts, provs, catchment)
    access, ratio = compute_e2sfca(pairs.weights(decay), kids, slots)
    return access, ratio, pairs


@settings(max_examples=150, deadline=None)
@given(region())
def test_supply_is_conserved(r):
    tracts, provs, kids, slots, catchment, decay = r
    access, _ratio, pairs = access_of(*r)
    w = pairs.weights(decay)
    reaches_children = np.asarray((w.T @ kids) > 0).ravel()
    assert np.isclose((access * kids).sum(), slots[reaches_children].sum(), rtol=1e-9, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(region(), st.data())
def test_adding_slots_never_lowers_any_access(r, data):
    tracts, provs, kids, slots, catchment, decay = r
    before, _, _ = access_of(*r)
    j = data.draw(st.integers(0, len(slots) - 1))
    more = slots.copy()
    more[j] += data.draw(st.floats(0.5, 100))
    after, _, _ = access_of(tracts, provs, kids, more, catchment, decay)
    assert (after >= before - 1e-12).all()


@settings(max_examples=100, deadline=None)
@given(region(), coords, st.floats(1, 100))
def test_opening_a_site_never_lowers_any_access(r, site, site_slots):
    tracts, provs, kids, slots, catchment, decay = r
    before, _, _ = access_of(*r)
    after, _, _ = access_of(tracts, np.vstack([provs, site]), kids, np.append(slots, site_slots), catchment, decay)
    assert (after >= before - 1e-12).all()


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1000), st.floats(0, 400), st.floats(0, 50))
def test_more_slots_never_make_a_desert(children, slots, extra):
    assert not (bool(classify_cap([children], [slots + extra])[0]) and not bool(classify_cap([children], [slots])[0]))
    order = ["extreme desert", "desert", "not a desert", "no children"]
    assert order.index(classify_osu([children], [slots + extra])[0]) >= order.index(classify_osu([children], [slots])[0])


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 6),
    st.lists(st.tuples(st.floats(0.0, 0.6), st.floats(0.0, 0.1), st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=8),
)
def test_metrics_never_mutate_inputs_and_keep_row_order(n, prov_rows):
    boxes = [(0.1 * i, 0.0, 0.1 * (i + 1), 0.1) for i in range(n)]
    tracts = make_tracts(boxes, children_0_2=[float(10 * i) for i in range(n)])
    providers = make_providers(prov_rows)
    t0, p0 = tracts.copy(), providers.copy()
    res = compute_tract_metrics(tracts, providers, AnalysisParams(catchment_km=5))
    pd.testing.assert_frame_equal(tracts, t0)
    pd.testing.assert_frame_equal(providers, p0)
    assert res.tracts["geoid"].tolist() == tracts["geoid"].tolist()
    assert res.tracts["licensed_slots_0_2"].sum() <= providers["slots_0_2"].sum() + 1e-9
