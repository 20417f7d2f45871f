"""The access kernel (CSR grid, float32 spans) equals three independent E2SFCAs on random regions: the
sparse-matrix E2SFCA on KD-tree pairs, gapmap's previous kernel, and PySAL ``access`` (hypothesis).

Regions are drawn around Oregon, across the antimeridian and near the North Pole, with clusters of
exactly coincident points (tracts on tracts, providers on providers and on tracts), one catchment or one
per tract, one column or many (the Monte-Carlo draws' layout)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.baselines import kernel_v1, pysal_e2sfca
from gapmap.metrics.access import compute_e2sfca, find_pairs
from gapmap.metrics.fused import AccessGrid

PLACES = {"oregon": (-120.6, 44.3), "antimeridian": (179.95, -16.5), "pole": (10.0, 89.7)}


def _points(rng, n, lon0, lat0, spread_deg, n_hubs):
    """n points: some around a few hubs with exact duplicates, the rest scattered."""
    hubs = np.column_stack([lon0 + rng.normal(0, spread_deg, n_hubs), lat0 + rng.normal(0, spread_deg / 3, n_hubs)])
    pts = np.column_stack([lon0 + rng.normal(0, spread_deg, n), lat0 + rng.normal(0, spread_deg / 3, n)])
    dup = rng.random(n) < 0.3
    pts[dup] = hubs[rng.integers(0, n_hubs, dup.sum())]
    pts[:, 0] = (pts[:, 0] + 180.0) % 360.0 - 180.0  # wrap across the antimeridian
    pts[:, 1] = np.clip(pts[:, 1], -89.99, 89.99)
    return pts


@st.composite
def regions(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    lon0, lat0 = PLACES[draw(st.sampled_from(sorted(PLACES)))]
    n_t, n_p = draw(st.integers(1, 120)), draw(st.integers(1, 160))
    spread = draw(st.sampled_from([0.05, 0.3, 1.0]))
    tracts = _points(rng, n_t, lon0, lat0, spread, 4)
    providers = _points(rng, n_p, lon0, lat0, spread, 4)
    if draw(st.booleans()):  # some providers exactly on tract points
        k = min(n_t, n_p) // 3
        providers[:k] = tracts[:k]
    if draw(st.booleans()):
        catchment: float | np.ndarray = draw(st.floats(1.0, 40.0))
    else:
        catchment = rng.choice([2.0, 8.0, 15.0, 30.0], n_t)
    k_cols = draw(st.sampled_from([1, 3, 7]))
    kids = rng.poisson(80, (n_t, k_cols)).astype(float)
    kids[rng.random((n_t, k_cols)) < 0.05] = np.nan
    slots = np.floor(rng.uniform(0, 120, (n_p, k_cols)))
    return tracts, providers, kids, slots, catchment


@settings(max_examples=120, deadline=None)
@given(regions(), st.sampled_from(["step", "gaussian"]))
def test_kernel_equals_sparse_pairs(region, decay):
    tracts, providers, kids, slots, catchment = region
    pairs = find_pairs(tracts, providers, catchment)
    want_a, want_r = compute_e2sfca(pairs.weights(decay), kids, slots)
    got_a, got_r, per = AccessGrid(tracts, providers, catchment).e2sfca(kids, slots, decay, per_provider=True)
    np.testing.assert_allclose(got_a, want_a, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got_r, want_r, rtol=1e-9, atol=1e-12)
    assert np.asarray(per).tolist() == np.bincount(pairs.provider, minlength=len(providers)).tolist()


@settings(max_examples=80, deadline=None)
@given(regions())
def test_kernel_equals_the_previous_kernel_and_pysal(region):
    tracts, providers, kids, slots, catchment = region
    kids1, slots1 = kids[:, 0], slots[:, 0]
    got, _r, _n = AccessGrid(tracts, providers, catchment).e2sfca(kids1, slots1)
    np.testing.assert_allclose(got, kernel_v1(tracts, providers, kids1, slots1, catchment), rtol=1e-9, atol=1e-12)
    pairs = find_pairs(tracts, providers, catchment)  # already within each tract's own catchment
    import pandas as pd

    # PySAL divides by a provider's demand even when it is 0 (inf); gapmap's ratio is then 0. Such a
    # provider's pairs reach only tracts without children, so leaving them out changes no access.
    reached = np.bincount(pairs.provider, weights=np.nan_to_num(kids1)[pairs.tract], minlength=len(providers)) > 0
    keep = reached[pairs.provider]
    cost = pd.DataFrame({"origin": pairs.tract[keep], "dest": pairs.provider[keep], "cost": pairs.distance_km[keep]})
    theirs = pysal_e2sfca(cost, kids1, slots1, float(np.max(catchment)))
    np.testing.assert_allclose(got, theirs, rtol=1e-9, atol=1e-12)


def test_an_edge_pair_is_decided_in_float64():
    """Providers 1e-9 km inside and outside a 10 km catchment: float32 cannot tell them apart (its
    coordinates are 0.2 m apart at best), the float64 recheck does."""
    from gapmap.metrics.access import EARTH_RADIUS_KM

    lat = 45.0
    deg = np.degrees(10.0 / EARTH_RADIUS_KM)  # 10 km due north
    tract = np.array([[-120.0, lat]])
    providers = np.array([[-120.0, lat + deg * (1 - 1e-10)], [-120.0, lat + deg * (1 + 1e-10)], [-120.0, lat + deg * 0.5]])
    pairs = find_pairs(tract, providers, 10.0)
    assert sorted(pairs.provider.tolist()) == [0, 2]
    access, ratio, per = AccessGrid(tract, providers, 10.0).e2sfca(np.array([50.0]), np.array([10.0, 20.0, 30.0]), per_provider=True)
    assert np.asarray(per).tolist() == [1, 0, 1]
    assert ratio.tolist() == [10 / 50, 0.0, 30 / 50] and access[0] == np.float64(40 / 50)


@settings(max_examples=60, deadline=None)
@given(regions())
def test_the_grid_finds_the_pairs_of_new_sites(region):
    """AccessGrid.tract_pairs (siting's candidate pairs) equals the KD-tree's pairs, distances included."""
    tracts, providers, _kids, _slots, catchment = region
    ti, cj, km = AccessGrid(tracts, providers[:1], catchment).tract_pairs(providers)
    pairs = find_pairs(tracts, providers, catchment)
    want = sorted(zip(pairs.provider.tolist(), pairs.tract.tolist(), pairs.distance_km.tolist()))
    got = sorted(zip(cj.tolist(), ti.tolist(), km.tolist()))
    assert [(j, i) for j, i, _ in got] == [(j, i) for j, i, _ in want]
    np.testing.assert_allclose([d for *_, d in got], [d for *_, d in want], rtol=1e-9, atol=1e-9)
    assert (np.diff(cj) >= 0).all()  # grouped by point


@settings(max_examples=60, deadline=None)
@given(regions(), st.sampled_from(["step", "gaussian"]))
def test_the_gain_of_a_new_site_is_its_e2sfca_share(region, decay):
    """site_gains: a site of S slots at each point alone adds w_ij S / D_j to tract i, D_j = sum_i w_ij P_i,
    worked out here from the KD-tree's pairs."""
    tracts, providers, kids, _slots, catchment = region
    pairs = find_pairs(tracts, providers, catchment)
    w = np.asarray(pairs.weights(decay)[pairs.tract, pairs.provider]).ravel()
    p = np.nan_to_num(kids[:, 0])
    demand = np.bincount(pairs.provider, weights=w * p[pairs.tract], minlength=len(providers))
    want = {(i, j): (w_ * 40.0 / demand[j] if demand[j] > 0 else 0.0) for i, j, w_ in zip(pairs.tract.tolist(), pairs.provider.tolist(), w)}
    ti, cj, gain = AccessGrid(tracts, providers[:1], catchment).site_gains(providers, kids[:, 0], 40.0, decay)
    got = dict(zip(zip(ti.tolist(), cj.tolist()), gain.tolist()))
    assert got.keys() == want.keys()
    np.testing.assert_allclose([got[k] for k in want], list(want.values()), rtol=1e-9, atol=1e-12)
