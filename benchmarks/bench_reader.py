"""The safe reader against plain geopandas on a state's tracts: what opening every file safely costs.

    uv run python benchmarks/bench_reader.py

A synthetic state of 7,000 tracts, densified to about 650,000 vertices (cartographic boundary files have
about 100 a tract), written as GeoJSON and GeoPackage. Each reader runs 5 times in the same process; the
medians are printed as a Markdown table for benchmarks/README.md. The baseline is what a competent user
writes, ``geopandas.read_file`` (pyogrio, GDAL picks the driver from the content). gapmap parses GeoJSON
in Python (json + shapely) so that no GeoJSON-named file ever reaches GDAL.
"""

from __future__ import annotations

import csv
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402

from benchmarks.synth import generate_region  # noqa: E402
from gapmap.sources.files import UserFile, read_geo, read_table  # noqa: E402
from gapmap.sources.providers import import_providers  # noqa: E402


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
    export = _licensing_export(100_000)
    file = UserFile.of("export.csv", export)
    read_only = median_s(lambda: read_table(file))
    whole = median_s(lambda: import_providers(file))
    baseline = median_s(lambda: pd.read_csv(io.BytesIO(export), dtype=str, keep_default_na=False))
    print(f"{len(tracts):,} tracts, {vertices:,} vertices; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; median of 5")
    print("| file | size | gapmap safe reader | geopandas.read_file | ratio |")
    print("|---|---:|---:|---:|---:|")
    for name, size, ours, theirs in rows:
        print(f"| {name} | {size / 1e6:.1f} MB | {ours:.2f} s | {theirs:.2f} s | {ours / theirs:.1f}x |")
    print(
        f"| licensing export CSV, 100,000 rows x 51 columns, read | {len(export) / 1e6:.1f} MB | {read_only:.2f} s | {baseline:.2f} s (pandas.read_csv) | {read_only / baseline:.1f}x |"
    )
    print(f"| the same, whole import (columns, values, capacity, coordinates, status) | | {whole:.2f} s | | |")


def _licensing_export(n: int) -> bytes:
    """A licensing export of ``n`` rows: Oregon's words, one row in ten closed, 40 columns gapmap does not use."""
    rng = np.random.default_rng(0)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["License Number", "Facility Name", "Facility Type", "License Status", "Latitude", "Longitude", "Licensed Capacity",
                "Infant Capacity", "Toddler Capacity", "Preschool Capacity", "School Age Capacity"] + [f"Extra {i}" for i in range(40)])  # fmt: skip
    types = [
        "Certified Child Care Center",
        "Registered Family Child Care Home",
        "Certified Family Child Care Home",
        "Recorded Program",
        "Type 7",
    ]
    for i in range(n):
        w.writerow([f"L{i}", f"Provider {i}", types[i % 5], "Closed" if i % 10 == 9 else "Active", f"{44 + rng.random():.5f}",
                    f"{-121 + rng.random():.5f}", "1,000" if i % 97 == 0 else "40", "5", "5", "20", "10"] + ["x"] * 40)  # fmt: skip
    return buf.getvalue().encode()


if __name__ == "__main__":
    main()
