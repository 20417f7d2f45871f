"""E2SFCA access: a hand-worked example, distance helpers, and agreement with PySAL ``access``."""

import math

import numpy as np
import pandas as pd
import pytest

from gapmap.config import AnalysisParams
from gapmap.metrics import compute_tract_metrics, compute_tract_points
from gapmap.metrics.access import (
    EARTH_RADIUS_KM,
    chord_from_km,
    compute_decay_weights,
    compute_e2sfca,
    find_nearest,
    find_pairs,
    haversine_km,
    km_from_chord,
    lonlat_to_xyz,
)
from tests.conftest import make_providers, make_tracts

KM_PER_TENTH_DEGREE = EARTH_RADIUS_KM * math.radians(0.1)  # 11.1195 km along the equator


def equator_region():
    """Tracts centred at lon 0.0, 0.1, 0.3 on the equator; providers at lon 0.0 (10 slots) and 0.2 (20)."""
    tracts = make_tracts(
        [(-0.04, -0.04, 0.04, 0.04), (0.06, -0.04, 0.14, 0.04), (0.26, -0.04, 0.34, 0.04)],
        children_0_2=[100.0, 50.0, 30.0],
    )
    providers = make_providers([(0.0, 0.0, 10, 0), (0.2, 0.0, 20, 0)])
    return tracts, providers


def test_step_e2sfca_by_hand():
    # Catchment 15 km. P1 (lon 0.0) reaches T1 (0 km) and T2 (11.1 km): R1 = 10 / 150.
    # P2 (lon 0.2) reaches T2 and T3 (11.1 km each), not T1 (22.2 km): R2 = 20 / 80.
    # A1 = R1, A2 = R1 + R2, A3 = R2.
    tracts, providers = equator_region()
    res = compute_tract_metrics(tracts, providers, AnalysisParams(catchment_km=15.0), bands=["0_2"])
    r1, r2 = 10 / 150, 20 / 80
    np.testing.assert_allclose(res.tracts["access_per_100_0_2"], [100 * r1, 100 * (r1 + r2), 100 * r2], rtol=1e-12)
    np.testing.assert_allclose(res.providers["ratio_0_2"], [r1, r2], rtol=1e-12)
    assert list(res.tracts["access_class_0_2"]) == ["extreme desert", "desert", "desert"]
    # slots inside tracts: only P1 lies in a tract
    assert list(res.tracts["slots_0_2"]) == [10.0, 0.0, 0.0]
    assert res.providers["geoid"].iloc[0] == "99001000100" and pd.isna(res.providers["geoid"].iloc[1])
    assert any("1 of 2 providers lie outside every tract" in n for n in res.notes)
    # supply is conserved: children x access = all slots
    assert (res.tracts["children_0_2"] * res.tracts["access_per_100_0_2"] / 100).sum() == pytest.approx(30.0)


def test_gaussian_e2sfca_by_hand():
    tracts, providers = equator_region()
    d0 = 15.0
    edge = math.exp(-0.5)
    w = (math.exp(-0.5 * (KM_PER_TENTH_DEGREE / d0) ** 2) - edge) / (1 - edge)  # weight at 11.12 km, ~0.389
    r1 = 10 / (100 * 1.0 + 50 * w)
    r2 = 20 / (50 * w + 30 * w)
    expected = [r1, w * r1 + w * r2, w * r2]
    res = compute_tract_metrics(tracts, providers, AnalysisParams(catchment_km=d0, decay="gaussian"), bands=["0_2"])
    np.testing.assert_allclose(res.tracts["access_per_100_0_2"] / 100, expected, rtol=1e-9)
    assert w == pytest.approx(0.38941, abs=1e-5)


def test_decay_weights():
    w = compute_decay_weights([0.0, 5.0, 10.0, 10.0001], 10.0, "gaussian")
    assert w[0] == pytest.approx(1.0) and w[2] == pytest.approx(0.0, abs=1e-12) and w[3] == 0.0
    assert 0 < w[1] < 1
    np.testing.assert_array_equal(compute_decay_weights([0.0, 10.0, 10.5], 10.0, "step"), [1.0, 1.0, 0.0])


def test_chord_and_haversine_agree():
    lon1, lat1 = np.array([-120.0, 0.0, 179.9]), np.array([44.0, 0.0, 10.0])
    lon2, lat2 = np.array([-119.0, 0.1, -179.9]), np.array([45.0, 0.0, 10.0])
    xyz1, xyz2 = lonlat_to_xyz(lon1, lat1), lonlat_to_xyz(lon2, lat2)
    chord = np.linalg.norm(xyz1 - xyz2, axis=1)
    np.testing.assert_allclose(km_from_chord(chord), haversine_km(lon1, lat1, lon2, lat2), rtol=1e-9)
    assert haversine_km(0.0, 0.0, 0.1, 0.0) == pytest.approx(KM_PER_TENTH_DEGREE, rel=1e-12)
    assert float(km_from_chord(chord_from_km(123.4))) == pytest.approx(123.4, rel=1e-12)


def test_pairs_equal_brute_force(demo):
    tracts, providers = demo
    t = compute_tract_points(tracts)
    p = providers[["longitude", "latitude"]].to_numpy(float)
    pairs = find_pairs(t, p, 10.0)
    d = haversine_km(t[:, None, 0], t[:, None, 1], p[None, :, 0], p[None, :, 1])  # dense: fine for a test
    ti, pj = np.nonzero(d <= 10.0)
    assert set(zip(pairs.tract.tolist(), pairs.provider.tolist())) == set(zip(ti.tolist(), pj.tolist()))
    got = pd.Series(pairs.distance_km, index=pd.MultiIndex.from_arrays([pairs.tract, pairs.provider])).sort_index()
    np.testing.assert_allclose(got.to_numpy(), d[ti, pj], rtol=1e-9)


def test_provider_on_the_tract_point_counts():
    pairs = find_pairs(np.array([[0.0, 0.0]]), np.array([[0.0, 0.0]]), 1.0)
    assert len(pairs) == 1 and pairs.distance_km[0] == 0.0


def test_e2sfca_provider_reaching_nobody_has_zero_ratio():
    import scipy.sparse as sp

    w = sp.csr_matrix((np.ones(1), ([0], [0])), shape=(1, 2))
    access, ratio = compute_e2sfca(w, np.array([10.0]), np.array([5.0, 7.0]))
    np.testing.assert_allclose(ratio, [0.5, 0.0])
    np.testing.assert_allclose(access, [0.5])


def test_find_nearest():
    idx, dist = find_nearest((0.0, 0.0), np.array([[0.3, 0.0], [0.1, 0.0], [0.2, 0.0]]), k=2)
    assert idx.tolist() == [1, 2]
    np.testing.assert_allclose(dist, [KM_PER_TENTH_DEGREE, 2 * KM_PER_TENTH_DEGREE], rtol=1e-9)


@pytest.mark.parametrize("decay", ["step", "gaussian"])
def test_equals_pysal_access_on_demo(demo, decay):
    """PySAL access (pairs from a dense haversine table, weights by its own per-pair apply)."""
    from access import fca

    tracts, providers = demo
    catchment = 10.0
    res = compute_tract_metrics(tracts, providers, AnalysisParams(catchment_km=catchment, decay=decay), bands=["under_5"])
    t = compute_tract_points(tracts)
    p = providers[["longitude", "latitude"]].to_numpy(float)
    d = haversine_km(t[:, None, 0], t[:, None, 1], p[None, :, 0], p[None, :, 1])
    ti, pj = np.nonzero(d <= catchment)
    cost = pd.DataFrame({"origin": tracts["geoid"].to_numpy()[ti], "dest": providers["provider_id"].to_numpy()[pj], "cost": d[ti, pj]})
    demand = pd.DataFrame({"geoid": tracts["geoid"], "demand": tracts["children_under_5"].astype(float)})
    supply = pd.DataFrame({"supply": (providers["slots_0_2"] + providers["slots_3_5"]).to_numpy(float)}, index=providers["provider_id"])
    edge = math.exp(-0.5)

    def gaussian(x):
        return (math.exp(-0.5 * (x / catchment) ** 2) - edge) / (1 - edge)

    theirs = fca.two_stage_fca(demand, supply, cost, max_cost=catchment, weight_fn=gaussian if decay == "gaussian" else None)
    theirs = theirs.reindex(tracts["geoid"]).fillna(0.0).to_numpy()
    ours = res.tracts["access_per_100_under_5"].to_numpy() / 100
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    assert (ours > 0).sum() > 100  # a real comparison, not of zeros


# --- the fused kernel (no stored pairs) ----------------------------------------------------------
def _scattered(rng, n, lon0, lat0, spread):
    return np.column_stack([lon0 + rng.normal(0, spread, n), np.clip(lat0 + rng.normal(0, spread, n), -89.9, 89.9)])


@pytest.mark.parametrize("decay", ["step", "gaussian"])
@pytest.mark.parametrize(
    "where",
    [(-120.6, 44.3, 0.3), (179.95, -16.5, 0.2), (10.0, 89.7, 0.1)],
    ids=["oregon", "antimeridian", "near the pole"],
)
def test_fused_equals_stored_pairs(decay, where):
    """The fused kernel equals the sparse-matrix E2SFCA on KD-tree pairs, across the antimeridian and
    near a pole too, for a fixed and for a per-tract catchment."""
    from gapmap.metrics.access import compute_e2sfca, find_pairs
    from gapmap.metrics.fused import compute_e2sfca_fused

    rng = np.random.default_rng(7)
    tracts = _scattered(rng, 400, *where)
    providers = _scattered(rng, 600, *where)
    kids = rng.poisson(100, (400, 2)).astype(float)
    kids[::17, 0] = np.nan
    slots = rng.integers(0, 80, (600, 2)).astype(float)
    for catchment in (10.0, rng.choice([5.0, 12.0, 25.0], 400)):
        pairs = find_pairs(tracts, providers, catchment)
        assert len(pairs) > 1000
        a, r = compute_e2sfca(pairs.weights(decay), kids, slots)
        a2, r2, n = compute_e2sfca_fused(tracts, providers, kids, slots, catchment, decay)
        assert n == len(pairs)
        np.testing.assert_allclose(a2, a, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(r2, r, rtol=1e-9, atol=1e-12)


def test_variable_catchment_by_hand():
    """Two tracts 8 km from one provider: with catchments 5 and 10 km only the second reaches it, in
    both passes: R = 30 / 20 children, A = (0, 1.5)."""
    from gapmap.metrics.access import find_pairs
    from gapmap.metrics.fused import compute_e2sfca_fused

    lat = 44.0
    dlon = np.degrees(8 / (EARTH_RADIUS_KM * np.cos(np.radians(lat))))
    tracts = np.array([[-120.0 - dlon, lat], [-120.0 + dlon, lat]])
    provider = np.array([[-120.0, lat]])
    access, ratio, n = compute_e2sfca_fused(tracts, provider, np.array([10.0, 20.0]), np.array([30.0]), np.array([5.0, 10.0]))
    assert n == 1 and ratio[0] == pytest.approx(1.5) and access.tolist() == pytest.approx([0.0, 1.5])
    assert len(find_pairs(tracts, provider, np.array([5.0, 10.0]))) == 1


def test_tract_index_reach_matches_pairs():
    from gapmap.metrics.access import TractIndex, find_pairs

    rng = np.random.default_rng(3)
    tracts = _scattered(rng, 300, -100, 40, 0.3)
    sites = _scattered(rng, 50, -100, 40, 0.3)
    radius = rng.choice([6.0, 15.0], 300)
    index = TractIndex(tracts, radius)
    pairs = find_pairs(tracts, sites, radius)
    for j in range(50):
        rows, d = index.reach(*sites[j])
        expect = np.sort(pairs.tract[pairs.provider == j])
        assert rows.tolist() == expect.tolist()
        assert np.all(d <= radius[rows])
    ti, cj, _d = index.pairs_with(sites)
    assert set(zip(ti.tolist(), cj.tolist())) == set(zip(pairs.tract.tolist(), pairs.provider.tolist()))
