"""The safe reader against plain geopandas on a state's tracts: what opening every file safely costs.

    uv run python benchmarks/bench_reader.py

A synthetic state of 7,000 tracts, densified to about 650,000 vertices (cartographic boundary files have
about 100 a tract), written as GeoJSON and GeoPackage. Each reader runs 5 times in the same process; the
medians are printed as a Markdown table for benchmarks/README.md. The baseline is what a competent user
writes, ``geopandas.read_file`` (pyogrio, GDAL picks the driver from the content). gapmap parses GeoJSON
in Python (json + shapely) so that no GeoJSON-named file ever reaches GDAL.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import geopandas as gpd  # noqa: E402
import shapely  # noqa: E402

from benchmarks.synth import generate_region  # noqa: E402
from gapmap.sources.files import UserFile, read_geo  # noqa: E402


def median_s(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    tracts, _ = generate_region(n_tracts=7000, n_providers=10, seed=3)
    tracts = tracts.set_geometry(shapely.segmentize(tracts.geometry.values, 0.002))
    vertices = int(shapely.get_num_coordinates(tracts.geometry.values).sum())
    with tempfile.TemporaryDirectory() as tmp:
        gj, gp = Path(tmp) / "state.geojson", Path(tmp) / "state.gpkg"
        gj.write_text(tracts.to_json())
        tracts.to_file(gp, driver="GPKG")
        rows = [
            ("GeoJSON", gj.stat().st_size, median_s(lambda: read_geo(UserFile.from_path(gj))), median_s(lambda: gpd.read_file(gj))),
            ("GeoPackage", gp.stat().st_size, median_s(lambda: read_geo(UserFile.from_path(gp))), median_s(lambda: gpd.read_file(gp))),
        ]
    print(f"{len(tracts):,} tracts, {vertices:,} vertices; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; median of 5")
    print("| file | size | gapmap safe reader | geopandas.read_file | ratio |")
    print("|---|---:|---:|---:|---:|")
    for name, size, ours, theirs in rows:
        print(f"| {name} | {size / 1e6:.1f} MB | {ours:.2f} s | {theirs:.2f} s | {ours / theirs:.1f}x |")


if __name__ == "__main__":
    main()
