"""OSRM (``osrm-bindings``, Python 3.12+ only) on the same generated state, for the engine comparison in
``benchmarks/README.md``. Not part of gapmap: run it with a Python 3.12 that has ``osrm-bindings`` and
``numpy``, after ``bench_routing.py`` wrote the network:

    python3.12 -m venv /tmp/osrm && /tmp/osrm/bin/pip install osrm-bindings numpy pandas
    /tmp/osrm/bin/python benchmarks/osrm_table.py /tmp/gapmap-bench-routing/state.osm.pbf

Times osrm-extract (car profile), osrm-partition + osrm-customize (MLD), then the Table service from the
7,000 tract points to the 15,000 providers in blocks of 250 sources, keeping durations of 30 minutes or
less. (osrm-contract, for CH, ran more than 20 minutes on this network on 2 cores and was stopped.)
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.roadnet import state_points  # noqa: E402

pbf = Path(sys.argv[1])
import osrm  # noqa: E402

profile = Path(osrm.__file__).parent / "share" / "profiles" / "car.lua"
base = pbf.with_name("osrm-" + pbf.name)
base.write_bytes(pbf.read_bytes())
graph = str(base).replace(".osm.pbf", ".osrm")
times = {}
for step, cmd in (
    ("extract", ["extract", "-p", str(profile), str(base)]),
    ("partition", ["partition", graph]),
    ("customize", ["customize", graph]),
):
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "osrm", *cmd], check=True, capture_output=True)
    times[step] = time.perf_counter() - t0
tracts, tl, prov = state_points()
pl = prov[["longitude", "latitude"]].to_numpy(float)
engine = osrm.OSRM(storage_config=graph, algorithm="MLD", use_shared_memory=False)
t0 = time.perf_counter()
kept = 0
coords = [(float(x), float(y)) for x, y in pl]
for a in range(0, len(tl), 250):
    src = [(float(x), float(y)) for x, y in tl[a : a + 250]]
    params = osrm.TableParameters(
        coordinates=src + coords,
        sources=list(range(len(src))),
        destinations=list(range(len(src), len(src) + len(coords))),
        annotations=["duration"],
    )
    res = engine.Table(params)
    d = np.array([[np.nan if v is None else v for v in row] for row in res["durations"]], dtype=float) / 60.0
    kept += int((d <= 30).sum())
times["table"] = time.perf_counter() - t0
times["rows"] = kept
print(json.dumps(times))
