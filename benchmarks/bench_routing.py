"""Travel times on a generated state-size road network: making the table, and E2SFCA on it.

    uv sync --extra routing && uv run python benchmarks/bench_routing.py [--repeat 5]

* The network: ``benchmarks/roadnet.py`` (a 4 x 3 degree lattice of roads every 0.005 degree, 481,401
  nodes, a river crossed only by the larger roads), 7,000 tract points and 15,000 providers around towns.
* Making the table (30-minute cap): gapmap's ``build_travel_times`` (pandana range queries on the snapped
  network) against plain SciPy (``scipy.sparse.csgraph.dijkstra`` with ``limit``, from each tract's node,
  on the same snapped graph), both on the same 700 tracts (every 10th), checked equal to 1e-3 minutes;
  and gapmap on all 7,000 tracts, with its peak memory (a child process's ``ru_maxrss``).
* E2SFCA on the table (3 bands): gapmap's ``TravelAccess`` against PySAL ``access``
  ``enhanced_two_stage_fca`` handed the same cost table and step weights (one band), checked equal first.

Medians of ``--repeat`` runs in one process (the full-state build: of ``--repeat-full``). Writes
``routing.json`` and the section between the ``routing`` markers of ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import timed  # noqa: E402
from benchmarks.roadnet import state_points, write_state_network  # noqa: E402

HERE = Path(__file__).resolve().parent
WORK = Path(os.environ.get("GAPMAP_BENCH_DIR", "/tmp/gapmap-bench-routing"))


def _scipy_table(graph, t_nodes: np.ndarray, p_nodes: np.ndarray, max_minutes: float, chunk: int = 64) -> pd.DataFrame:
    """The baseline: Dijkstra with a limit from each tract's node on the same graph (plain SciPy)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    net = graph.pandana
    edges = net.edges_df
    n = len(graph.lon)
    m = sp.csr_matrix((edges.iloc[:, 2].to_numpy(float) / 1000.0, (edges["from"].to_numpy(), edges["to"].to_numpy())), shape=(n, n))
    origins = np.unique(t_nodes)
    rows = []
    dest_nodes, dest_first = np.unique(p_nodes, return_inverse=True)
    for a in range(0, len(origins), chunk):
        part = origins[a : a + chunk]
        d = dijkstra(m, directed=True, indices=part, limit=max_minutes)[:, dest_nodes]
        oi, dj = np.nonzero(np.isfinite(d))
        rows.append((part[oi], dest_nodes[dj], d[oi, dj]))
    o = np.concatenate([r[0] for r in rows])
    dn = np.concatenate([r[1] for r in rows])
    mins = np.concatenate([r[2] for r in rows])
    return pd.DataFrame({"origin_node": o, "dest_node": dn, "minutes": mins}), dest_first


def _full_build(pbf: str, q) -> None:
    from gapmap.sources.routing import build_travel_times, read_road_network

    tracts, tl, prov = state_points()
    t0 = time.perf_counter()
    net = read_road_network(pbf)
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    b = build_travel_times(net, tracts, tl, prov, 30.0)
    build_s = time.perf_counter() - t0
    b.table.to_parquet(WORK / "state_tt.parquet", index=False)
    q.put(
        {"read_s": read_s, "build_s": build_s, "rows": len(b.table), "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--repeat-full", type=int, default=5)
    args = ap.parse_args()
    from gapmap.config import AnalysisParams
    from gapmap.metrics.travel import TravelAccess
    from gapmap.sources.routing import _Graph, build_travel_times, read_road_network
    from gapmap.sources.travel_times import check_travel_times

    WORK.mkdir(parents=True, exist_ok=True)
    pbf = WORK / "state.osm.pbf"
    info = write_state_network(pbf)
    tracts, tl, prov = state_points()
    load = os.getloadavg()[0]
    out: dict = {"network": info, "tracts": len(tracts), "providers": len(prov), "load_before": load, "threads": os.cpu_count()}
    print(f"network: {info['nodes']:,} nodes, {info['ways']:,} ways; load {load:.2f}", flush=True)

    # the full state, each run in a fresh process (peak memory is the child's own)
    ctx = mp.get_context("spawn")
    fulls = []
    for _ in range(args.repeat_full):
        q = ctx.Queue()
        p = ctx.Process(target=_full_build, args=(str(pbf), q))
        p.start()
        fulls.append(q.get())
        p.join()
        print(f"  full build: {fulls[-1]}", flush=True)
    out["full"] = {k: float(np.median([f[k] for f in fulls])) for k in fulls[0]}

    # gapmap against plain SciPy on every 10th tract (same snapped graph, same cap)
    net = read_road_network(pbf)
    sub = np.arange(0, len(tracts), 10)
    sub_tracts, sub_tl = tracts.iloc[sub].reset_index(drop=True), tl[sub]
    g_s, g_build = timed(lambda: build_travel_times(net, sub_tracts, sub_tl, prov, 30.0), args.repeat_full)
    graph = _Graph(net, np.vstack([sub_tl, prov[["longitude", "latitude"]].to_numpy(float)]))
    n_t = len(sub)
    t_nodes, p_nodes = graph.point_node[:n_t], graph.point_node[n_t:]
    graph_s, _ = timed(lambda: _Graph(net, np.vstack([sub_tl, prov[["longitude", "latitude"]].to_numpy(float)])), args.repeat_full)
    s_s, (s_table, _) = timed(lambda: _scipy_table(graph, t_nodes, p_nodes, 30.0), args.repeat_full)
    # check: the same minutes for every (origin node, provider node) pair
    gt = g_build.table
    node_of_tract = dict(zip(sub_tracts.geoid, t_nodes, strict=True))
    node_of_prov = dict(zip(prov.provider_id, p_nodes, strict=True))
    g_pairs = pd.DataFrame(
        {
            "origin_node": gt.geoid.map(node_of_tract).to_numpy(),
            "dest_node": gt.provider_id.map(node_of_prov).to_numpy(),
            "g": gt.minutes.to_numpy(),
        }
    ).drop_duplicates(["origin_node", "dest_node"])
    merged = g_pairs.merge(s_table, on=["origin_node", "dest_node"], how="outer")
    assert merged["g"].notna().sum() >= 0.999 * merged["minutes"].notna().sum(), "gapmap found fewer pairs than SciPy"
    both = merged.dropna()
    worst = float(np.abs(both.g - both.minutes).max())
    assert worst < 1e-3, worst
    out["subset"] = {
        "tracts": n_t,
        "rows": len(gt),
        "gapmap_s": g_s,
        "graph_s": graph_s,
        "scipy_route_s": s_s,
        "scipy_s": s_s + graph_s,
        "max_diff_min": worst,
    }
    print(f"  subset: {out['subset']}", flush=True)

    # E2SFCA on the full table
    table = pd.read_parquet(WORK / "state_tt.parquet")
    imp = check_travel_times(table, tracts.geoid.to_numpy(object), prov.provider_id.to_numpy(object), "state", 30.0)
    check_s, _ = timed(
        lambda: check_travel_times(table, tracts.geoid.to_numpy(object), prov.provider_id.to_numpy(object), "state", 30.0), args.repeat
    )
    params = AnalysisParams()
    kids = np.column_stack([tracts.children.to_numpy() * f for f in (0.4, 0.6, 1.0)])
    slots = np.column_stack([prov.slots.to_numpy() * f for f in (0.3, 0.7, 1.0)])
    engine_s, engine = timed(lambda: TravelAccess(imp.times, params, prov[["longitude", "latitude"]].to_numpy(float)), args.repeat)
    e_s, (acc, _r, _n) = timed(lambda: engine.e2sfca(kids, slots), args.repeat)
    from access import Access, weights

    demand = pd.DataFrame({"kids": kids[:, 2]}, index=pd.Index(tracts.geoid, name="geoid"))
    supply = pd.DataFrame({"slots": slots[:, 2]}, index=pd.Index(prov.provider_id, name="provider_id"))
    fn = weights.step_fn(dict(zip(params.travel_bands, params.travel_weights, strict=True)))

    def pysal():
        a = Access(
            demand_df=demand,
            demand_value="kids",
            supply_df=supply,
            supply_value="slots",
            cost_df=table,
            cost_origin="geoid",
            cost_dest="provider_id",
            cost_name="minutes",
        )
        return a.enhanced_two_stage_fca(name="e2sfca", weight_fn=fn, max_cost=30.0)

    p_s, got = timed(pysal, max(1, min(args.repeat, 5)))
    pys = got.iloc[:, 0].reindex(tracts.geoid).fillna(0.0).to_numpy(float)
    np.testing.assert_allclose(acc[:, 2], pys, rtol=1e-9, atol=1e-12)
    out["e2sfca"] = {
        "rows": len(table),
        "pairs": engine.n_pairs,
        "check_s": check_s,
        "engine_s": engine_s,
        "gapmap_3_bands_s": e_s,
        "pysal_1_band_s": p_s,
    }
    out["load_after"] = os.getloadavg()[0]
    out["repeat"], out["repeat_full"] = args.repeat, args.repeat_full
    out["python"] = platform.python_version()
    print(f"  e2sfca: {out['e2sfca']}", flush=True)
    (HERE / "routing.json").write_text(json.dumps(out, indent=2))
    _write_readme(out)
    return 0


def _write_readme(o: dict) -> None:
    f, s, e = o["full"], o["subset"], o["e2sfca"]
    lines = [
        "<!-- routing:start -->",
        f"Generated state: {o['network']['nodes']:,} road nodes ({o['network']['ways']:,} ways), {o['tracts']:,} tracts, "
        f"{o['providers']:,} providers, 30-minute cap. {o['threads']} cores, Python {o['python']}; load average "
        f"{o['load_before']:.2f} before, {o['load_after']:.2f} after (nothing else running). Medians of {o['repeat_full']} runs for "
        f"the builds (each about a minute or two), of {o['repeat']} for the rest.",
        "",
        "| step | gapmap | baseline | |",
        "|---|---:|---:|---|",
        f"| read the extract (pyrosm) | {f['read_s']:.1f} s | | |",
        f"| whole state: snap, build the network, route 7,000 tracts | {f['build_s']:.1f} s, {f['rows']:,.0f} rows, peak {f['maxrss_mb'] / 1024:.1f} GB (whole process) | | |",
        f"| 700 tracts (every 10th) | {s['gapmap_s']:.1f} s | SciPy Dijkstra with a limit: {s['scipy_s']:.1f} s ({s['scipy_route_s']:.1f} s routing + {s['graph_s']:.1f} s the same snapped graph) | equal to {s['max_diff_min']:.0e} min |",
        f"| check the table ({e['rows']:,} rows) against the region | {e['check_s']:.2f} s | | |",
        f"| E2SFCA on it, 3 bands (weights once: {e['engine_s']:.2f} s) | {e['gapmap_3_bands_s'] * 1000:.0f} ms | PySAL `access` E2SFCA, 1 band, handed the table: {e['pysal_1_band_s']:.1f} s | equal to 1e-9 |",
        "<!-- routing:end -->",
    ]
    readme = HERE / "README.md"
    text = readme.read_text()
    block = "\n".join(lines)
    if "<!-- routing:start -->" in text:
        a, rest = text.split("<!-- routing:start -->", 1)
        text = a + block + rest.split("<!-- routing:end -->", 1)[1]
    else:
        text += "\n## Travel times (`bench_routing.py`)\n\n" + block + "\n"
    readme.write_text(text)


if __name__ == "__main__":
    raise SystemExit(main())
