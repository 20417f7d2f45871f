"""The whole country on one machine: 85,000 tracts, 200,000 providers, a 16 km catchment.

    uv run python benchmarks/bench_national.py          # prints JSON (bench_metrics.py runs it and keeps the figures)

Runs in its own process so that its peak resident memory (``ru_maxrss``) is its own. The synthetic nation
(``benchmarks/synth.py``) is generated once and kept in ``.cache/bench/`` as GeoParquet.

Timed, each checked against an independent result before its time counts:

* gapmap: every metric (3 bands), and E2SFCA alone (the fused numba kernel, pair search included) for
  one band and for three;
* the pair search alone (cKDTree on unit-sphere coordinates), as PySAL would need it;
* (PySAL ``access`` and a plain SciPy E2SFCA are timed against the kernel in ``bench_kernel.py``, with the
  same thread count and medians of 5);
* ranking, one scenario change, and site suggestions at national scale.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.common import timed  # noqa: E402

CACHE = ROOT / ".cache" / "bench"
CATCHMENT_KM = 16.0


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


def load_nation():
    import geopandas as gpd

    from benchmarks.synth import NATION, generate_nation

    t_path, p_path = CACHE / "nation_tracts.parquet", CACHE / "nation_providers.parquet"
    meta = CACHE / "nation.json"
    if not (
        t_path.exists()
        and p_path.exists()
        and meta.exists()
        and json.loads(meta.read_text()) == {k: list(v) if isinstance(v, tuple) else v for k, v in NATION.items()}
    ):
        CACHE.mkdir(parents=True, exist_ok=True)
        tracts, providers = generate_nation()
        tracts.to_parquet(t_path)
        providers.to_parquet(p_path)
        meta.write_text(json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in NATION.items()}))
    return gpd.read_parquet(t_path), pd.read_parquet(p_path)


def main() -> int:
    from gapmap import schema as S
    from gapmap.config import AnalysisParams
    from gapmap.metrics import compute_tract_metrics, compute_tract_points
    from gapmap.metrics.access import find_pairs
    from gapmap.metrics.fused import compute_e2sfca_fused

    tracts, providers = load_nation()
    params = AnalysisParams(catchment_km=CATCHMENT_KM)
    compute_tract_metrics(tracts.head(50), providers.head(50), params)  # load the compiled kernels
    base = rss_mb()
    out: dict = {"tracts": len(tracts), "providers": len(providers), "catchment_km": CATCHMENT_KM}
    out["metrics_s"], res = timed(lambda: compute_tract_metrics(tracts, providers, params), 3)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["baseline_rss_mb"] = base
    out["pairs"] = res.n_pairs

    pts = compute_tract_points(tracts)
    prov = providers[[S.LONGITUDE, S.LATITUDE]].to_numpy(float)
    kids = tracts[S.CHILDREN_UNDER_5].to_numpy(float)
    slots = S.BANDS["under_5"].provider_slots(providers)
    kids3 = np.column_stack([tracts[S.BANDS[b].children].to_numpy(float) for b in S.BANDS])
    slots3 = np.column_stack([S.BANDS[b].provider_slots(providers) for b in S.BANDS])
    out["e2sfca_fused_1band_step_s"], (ours, _r, _n) = timed(lambda: compute_e2sfca_fused(pts, prov, kids, slots, CATCHMENT_KM, "step"), 3)
    out["e2sfca_fused_1band_gaussian_s"], _ = timed(lambda: compute_e2sfca_fused(pts, prov, kids, slots, CATCHMENT_KM, "gaussian"), 3)
    out["e2sfca_fused_3bands_step_s"], _ = timed(lambda: compute_e2sfca_fused(pts, prov, kids3, slots3, CATCHMENT_KM, "step"), 3)

    t0 = time.perf_counter()
    pairs = find_pairs(pts, prov, CATCHMENT_KM)
    out["pair_search_ckdtree_s"] = time.perf_counter() - t0
    assert len(pairs) == res.n_pairs
    out["pairs_stored_mb"] = (pairs.tract.nbytes + pairs.provider.nbytes + pairs.distance_km.nbytes) / 2**20

    del pairs  # PySAL and SciPy are timed fairly in bench_kernel.py (same threads, medians of 5)

    from gapmap.analysis.ranking import PRESETS, rank_tracts
    from gapmap.analysis.scenarios import AddSlots, Scenario, simulate_scenario
    from gapmap.analysis.siting import build_coverage, suggest_sites_greedy

    out["rank_s"], _ = timed(lambda: rank_tracts(res, PRESETS["balanced"]), 3)
    scen = Scenario("one change", (AddSlots(providers[S.PROVIDER_ID].iloc[5], 10, 10),))
    simulate_scenario(res, scen)  # builds the tract index once per metrics run
    out["one_change_s"], _ = timed(lambda: simulate_scenario(res, scen), 3)
    out["siting_coverage_s"], cov = timed(lambda: build_coverage(res, "0_2", 60), 1)
    out["siting_greedy_s"], choice = timed(lambda: suggest_sites_greedy(cov, 5), 3)
    out["siting_children"] = choice.covered_children
    out["final_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
