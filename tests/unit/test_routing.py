"""Travel times made from an OpenStreetMap extract (the routing extra: pyrosm + pandana), on the river town
of tests/fixtures/roads: minutes worked out by hand, snap distances, resuming by county, bad extracts,
the command line end to end, and new scenario sites routed on the same network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gapmap.cli import main
from gapmap.errors import DataSourceError
from gapmap.metrics import compute_tract_points
from gapmap.sources.files import UserFile
from gapmap.sources.geography import read_tracts
from gapmap.sources.providers import read_providers
from gapmap.sources.routing import build_travel_times, parse_maxspeed, read_road_network

pytest.importorskip("pandana", reason="the routing extra: uv sync --extra routing (CI installs it)")

ROADS = Path(__file__).resolve().parents[1] / "fixtures" / "roads"
PBF = ROADS / "river_town.osm.pbf"
KM_PER_DEG = np.pi * 6371.0088 / 180  # 111.19508 km a degree of latitude


def _hand_minutes() -> dict[tuple[str, str], float]:
    """The river town's minutes from the README's table, computed here from the degrees (1 km a minute)."""
    bridge = 2 * 6371.0088 * np.arcsin(np.cos(np.radians(43.95)) * np.sin(np.radians(0.02) / 2))
    west, east = "41011000100", "41011000200"
    return {
        (west, "PS"): 0.025 * KM_PER_DEG,
        (west, "PW"): 0.030 * KM_PER_DEG,
        (west, "PE"): 0.100 * KM_PER_DEG + bridge,
        (east, "PE"): 0.040 * KM_PER_DEG,
        (east, "PS"): 0.115 * KM_PER_DEG + bridge,
        (east, "PW"): 0.170 * KM_PER_DEG + bridge,
    }


def _inputs():
    tracts = read_tracts(ROADS / "river_tracts.geojson")
    return tracts, compute_tract_points(tracts), read_providers(ROADS / "river_providers.csv")


def test_the_pbf_is_the_xml():
    import osmium

    def content(path: Path) -> tuple[list, list]:
        nodes, ways = [], []

        class H(osmium.SimpleHandler):
            def node(self, n):
                nodes.append((n.id, round(n.location.lon, 7), round(n.location.lat, 7)))

            def way(self, w):
                ways.append((w.id, [n.ref for n in w.nodes], dict(w.tags)))

        H().apply_file(str(path))
        return nodes, ways

    assert content(ROADS / "river_town.osm") == content(PBF)


def test_minutes_on_the_road_equal_the_hand_computation():
    net = read_road_network(PBF)
    assert net.n_segments == 7  # west road 3 segments, east road 3, the bridge 1; the river is no road
    tracts, pts, providers = _inputs()
    build = build_travel_times(net, tracts, pts, providers, max_minutes=30)
    got = {(g, p): m for g, p, m in build.table.itertuples(index=False)}
    hand = _hand_minutes()
    assert set(got) == set(hand)
    for pair, minutes in hand.items():
        assert got[pair] == pytest.approx(minutes, abs=2e-4), pair
    # the straight line across the river is 1.6 km; the road is 12.7 minutes at 1 km a minute
    snaps = build.snaps.frame().set_index("id")["snap_m"]
    assert snaps["41011000100"] == pytest.approx(40.0, abs=0.5) and snaps["PE"] == pytest.approx(80.0, abs=0.5)
    assert snaps["PS"] == pytest.approx(40.0, abs=0.5)
    assert "median" in build.snaps.summary()


def test_the_cap_keeps_only_trips_within_it():
    tracts, pts, providers = _inputs()
    build = build_travel_times(read_road_network(PBF), tracts, pts, providers, max_minutes=13)
    assert sorted(build.table["minutes"].round(2)) == [2.78, 3.34, 4.45, 12.72]


def test_one_way_roads_are_driven_one_way(tmp_path):
    xml = (
        (ROADS / "river_town.osm")
        .read_text()
        .replace('<tag k="name" v="Old Bridge"/>', '<tag k="name" v="Old Bridge"/><tag k="oneway" v="yes"/>')
    )
    import osmium

    (tmp_path / "oneway.osm").write_text(xml)
    w = osmium.SimpleWriter(str(tmp_path / "oneway.osm.pbf"))

    class H(osmium.SimpleHandler):
        def node(self, n):
            w.add_node(n)

        def way(self, x):
            w.add_way(x)

    H().apply_file(str(tmp_path / "oneway.osm"))
    w.close()
    tracts, pts, providers = _inputs()
    build = build_travel_times(read_road_network(tmp_path / "oneway.osm.pbf"), tracts, pts, providers, max_minutes=60)
    pairs = set(zip(build.table.geoid, build.table.provider_id, strict=True))
    # the bridge goes west to east only: the east bank can no longer reach the west bank's providers
    assert ("41011000100", "PE") in pairs
    assert ("41011000200", "PW") not in pairs and ("41011000200", "PS") not in pairs


def test_counties_already_made_are_read_back(tmp_path):
    tracts, pts, providers = _inputs()
    net = read_road_network(PBF)
    seen: list[str] = []
    first = build_travel_times(net, tracts, pts, providers, 30, tmp_path / "parts", lambda k, n, c: seen.append(c))
    assert first.resumed == 0 and (tmp_path / "parts" / "41011.parquet").exists()
    again = build_travel_times(net, tracts, pts, providers, 30, tmp_path / "parts")
    assert again.resumed == again.counties == 1
    pd.testing.assert_frame_equal(first.table, again.table)
    other = build_travel_times(net, tracts, pts, providers, 20, tmp_path / "parts")  # another cap: made again
    assert other.resumed == 0 and len(other.table) == 5  # the 20.5-minute trip is beyond 20


def test_bad_extracts_are_refused_by_name(tmp_path):
    fake = tmp_path / "region.osm.pbf"
    fake.write_bytes(b"<osm version='0.6'></osm>")
    with pytest.raises(DataSourceError, match=r"region\.osm\.pbf: not an OpenStreetMap PBF extract"):
        read_road_network(fake)
    with pytest.raises(DataSourceError, match=r"roads\.geojson: expected an OpenStreetMap extract ending in \.osm\.pbf"):
        read_road_network(UserFile.of("roads.geojson", PBF.read_bytes()))
    with pytest.raises(DataSourceError, match=r"gone\.osm\.pbf: no such file"):
        read_road_network(tmp_path / "gone.osm.pbf")
    assert "/tmp" not in str(pytest.raises(DataSourceError, read_road_network, tmp_path / "gone.osm.pbf").value)


def test_maxspeed_values():
    assert parse_maxspeed("50") == 50 and parse_maxspeed("35 mph") == pytest.approx(56.327)
    assert np.isnan(parse_maxspeed("signals")) and np.isnan(parse_maxspeed(None)) and parse_maxspeed("60;40") == 60


def test_a_new_site_is_routed_on_the_same_network():
    from gapmap.analysis.scenarios import NewSite, Scenario, simulate_scenario
    from gapmap.metrics import compute_tract_metrics
    from gapmap.sources.travel_times import check_travel_times

    tracts, pts, providers = _inputs()
    build = build_travel_times(read_road_network(PBF), tracts, pts, providers, 30)
    times = check_travel_times(
        build.table, tracts.geoid.to_numpy(object), providers.provider_id.to_numpy(object), "t", 30, build.router
    ).times
    result = compute_tract_metrics(tracts, providers, travel=times)
    # a site where PE is: routed, it has PE's minutes exactly (12.72 -> 0.22 and 4.45 -> 1)
    sim = simulate_scenario(result, Scenario("s", (NewSite(name="N", latitude=44.0, longitude=-122.989, slots_0_2=10, slots_3_5=10),)))
    assert not any("approximate" in n for n in sim.notes)
    w = np.array([0.22, 1.0])
    gain = 100 * w * 20 / (w @ np.array([100.0, 50.0]))
    np.testing.assert_allclose(sim.after["access_per_100_under_5"] - result.tracts["access_per_100_under_5"], gain, rtol=1e-9)


def test_the_command_line_makes_a_table_and_measures_access_on_it(tmp_path, capsys):
    out = tmp_path / "tt.parquet"
    args = ["--tracts", str(ROADS / "river_tracts.geojson"), "--providers", str(ROADS / "river_providers.csv")]
    code = main(
        ["travel-times", "--osm", str(PBF), *args, "--max-minutes", "30", "--out", str(out), "--snaps", str(tmp_path / "snaps.csv")]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "6 tract-provider travel times within 30 minutes" in printed and "Generating contraction" not in printed
    table = pd.read_parquet(out)
    assert len(table) == 6 and not (tmp_path / "tt.parquet.parts").exists()
    assert list(pd.read_csv(tmp_path / "snaps.csv").columns) == ["point", "id", "snap_m"]
    code = main(["metrics", *args, "--travel-times", str(out), "--out", str(tmp_path / "m.csv"), "--compare-out", str(tmp_path / "c.csv")])
    assert code == 0
    m = pd.read_csv(tmp_path / "m.csv", dtype={"geoid": str}).set_index("geoid")
    west = 0.22 * 20 / 72 + 10 / 101.5 + 5 / 111
    assert m.loc["41011000100", "access_per_100"] == pytest.approx(100 * west, abs=0.01)
    assert "change" in pd.read_csv(tmp_path / "c.csv").columns


def test_the_command_line_stops_on_rejected_rows(tmp_path, capsys):
    bad = tmp_path / "tt.csv"
    bad.write_text("geoid,provider_id,minutes\n41011000100,PE,12.7\n41011000100,PW,-3\n")
    args = ["--tracts", str(ROADS / "river_tracts.geojson"), "--providers", str(ROADS / "river_providers.csv")]
    code = main(["metrics", *args, "--travel-times", str(bad), "--out", str(tmp_path / "m.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert "row 2: the minutes are negative" in err and "tt.csv: 1 rows rejected" in err and "Traceback" not in err
    assert main(["metrics", *args, "--travel-times", str(bad), "--skip-rejected", "--out", str(tmp_path / "m.csv")]) == 0
