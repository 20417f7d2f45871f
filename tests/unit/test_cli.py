"""The gapmap command: both input forms, output formats, and errors that name the bad value."""

import csv
import json

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from gapmap.cli import main
from tests.conftest import DEMO_DIR, REQUIRED_METRICS_COLUMNS


def independent_cap_flags(tracts_path, providers_path):
    """CAP under-5 flags from the raw files, without gapmap: point-in-polygon by shapely, plain csv."""
    features = json.loads(tracts_path.read_text())["features"]
    polys = [shape(f["geometry"]) for f in features]
    slots = [0.0] * len(polys)
    with open(providers_path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            pt = shapely.Point(float(row["longitude"]), float(row["latitude"]))
            for i, poly in enumerate(polys):
                if poly.covers(pt):
                    slots[i] += float(row["slots_0_2"]) + float(row["slots_3_5"])
                    break
    flags = {}
    for f, s in zip(features, slots):
        kids = f["properties"]["children_under_5"]
        flags[f["properties"]["geoid"]] = kids > 50 and kids > 3 * s
    return flags


def read_out(path):
    return pd.read_csv(path, dtype={"geoid": str}, encoding="utf-8-sig")


def test_metrics_demo_and_files_agree_with_independent_cap(tmp_path, capsys):
    out1, out2 = tmp_path / "m.csv", tmp_path / "m2.csv"
    assert main(["metrics", "--region", "demo", "--out", str(out1)]) == 0
    printed = capsys.readouterr().out
    assert "synthetic demo data" in printed and "Wrote 162 tracts" in printed
    assert (
        main(["metrics", "--tracts", str(DEMO_DIR / "tracts.geojson"), "--providers", str(DEMO_DIR / "providers.csv"), "--out", str(out2)])
        == 0
    )
    a, b = read_out(out1), read_out(out2)
    pd.testing.assert_frame_equal(a, b)
    assert [c for c in REQUIRED_METRICS_COLUMNS if c not in a.columns] == []
    expected = independent_cap_flags(DEMO_DIR / "tracts.geojson", DEMO_DIR / "providers.csv")
    got = dict(zip(a["geoid"], a["cap_desert"].astype(bool)))
    assert got == expected
    assert 20 < sum(expected.values()) < len(expected)  # a real mix of deserts and not


def test_metrics_geojson_output(tmp_path):
    out = tmp_path / "m.geojson"
    assert main(["metrics", "--region", "demo", "--band", "0-2", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert len(data["features"]) == 162
    props = data["features"][0]["properties"]
    assert props["cap_desert"] == props["cap_desert_0_2"]
    assert props["osu_class"] in {"extreme desert", "desert", "not a desert"}


def test_bad_provider_file_exits_2_naming_row_column_value(tmp_path, capsys):
    bad = tmp_path / "providers.csv"
    rows = (DEMO_DIR / "providers.csv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    cells = next(csv.reader([rows[3]]))
    cells[header.index("capacity")] = "lots"
    rows[3] = ",".join(f'"{c}"' for c in cells)
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code = main(["metrics", "--tracts", str(DEMO_DIR / "tracts.geojson"), "--providers", str(bad), "--out", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert "providers.csv, row 3: column 'capacity' value 'lots' is not a number" in err
    assert "1 rows rejected" in err and "--skip-rejected" in err
    assert not (tmp_path / "o.csv").exists()
    # with consent, the run goes on without that row and says so
    code = main(
        [
            "metrics",
            "--tracts",
            str(DEMO_DIR / "tracts.geojson"),
            "--providers",
            str(bad),
            "--skip-rejected",
            "--out",
            str(tmp_path / "o.csv"),
        ]
    )
    assert code == 0
    assert "272 rows read, 271 accepted, 1 rejected" in capsys.readouterr().out
    assert len(read_out(tmp_path / "o.csv")) == 162


def test_inputs_must_be_one_form(tmp_path, capsys):
    assert main(["metrics", "--out", str(tmp_path / "o.csv")]) == 2
    assert "--region demo, or --tracts FILE --providers FILE" in capsys.readouterr().err
    assert main(["metrics", "--region", "demo", "--out", str(tmp_path / "o.txt")]) == 2
    assert ".csv or .geojson" in capsys.readouterr().err


def test_band_that_the_data_lacks(tmp_path, capsys):
    import geopandas as gpd

    t = gpd.read_file(DEMO_DIR / "tracts.geojson").drop(columns=["children_under_5", "children_under_5_moe"])
    path = tmp_path / "t.gpkg"
    t.to_file(path)
    code = main(["metrics", "--tracts", str(path), "--providers", str(DEMO_DIR / "providers.csv"), "--out", str(tmp_path / "o.csv")])
    assert code == 2
    assert "--band under_5 cannot be used; bands available: 0_2, 3_5" in capsys.readouterr().err
    assert (
        main(
            [
                "metrics",
                "--tracts",
                str(path),
                "--providers",
                str(DEMO_DIR / "providers.csv"),
                "--band",
                "3_5",
                "--out",
                str(tmp_path / "o.csv"),
            ]
        )
        == 0
    )


def test_providers_command_writes_clean_and_rejected_files(tmp_path, capsys):
    from tests.conftest import FIXTURES

    clean, rejected = tmp_path / "clean.csv", tmp_path / "rejected.csv"
    code = main(
        ["providers", str(FIXTURES / "providers" / "defects.csv"), "--region", "demo", "--out", str(clean), "--rejected", str(rejected)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "defects.csv: 10 rows read, 2 accepted, 8 rejected" in out
    assert "'Zoo' (1 row) -> other: map them to a type (--values or --values-file)" in out  # the CLI names its own flags
    assert pd.read_csv(clean, encoding="utf-8-sig")["provider_id"].tolist() == ["P1", "P10"]
    rej = pd.read_csv(rejected, encoding="utf-8-sig")
    assert len(rej) == 8 and rej["reason"].notna().all()


def test_providers_command_fails_when_nothing_is_accepted(tmp_path, capsys):
    f = tmp_path / "none.csv"
    f.write_text("name,type,latitude,longitude,capacity\nA,center,44.3,-120.6,0\nB,center,44.3,-120.6,x\n", encoding="utf-8")
    assert main(["providers", str(f)]) == 2
    captured = capsys.readouterr()
    assert "2 rows read, 0 accepted, 2 rejected" in captured.out
    assert "row 1: column 'capacity' value '0': capacity must be greater than 0" in captured.err
    assert "no row was accepted" in captured.err


def test_metrics_takes_a_raw_licensing_export(tmp_path, capsys):
    from tests.conftest import FIXTURES

    out = tmp_path / "m.csv"
    code = main(
        [
            "metrics",
            "--tracts",
            str(DEMO_DIR / "tracts.geojson"),
            "--providers",
            str(FIXTURES / "providers" / "licensing_export.csv"),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    m = read_out(out)
    assert m["slots_under_5"].sum() == 28 + 8 + 4 + 108 + 0 + 40 + 6 + 4 + 1200 + 40  # 0-2 + 3-5 of the five rows


def test_fetch_prints_progress_and_writes_tracts(tmp_path, capsys, monkeypatch):
    from gapmap import cli
    from tests.census_fake import RecordedCensus

    session = RecordedCensus()
    monkeypatch.setattr(cli, "new_http_session", lambda: session)
    monkeypatch.setenv("CENSUS_API_KEY", "secret-test-key")
    out = tmp_path / "coos_curry.parquet"
    code = main(
        ["fetch", "--state", "OR", "--counties", "Coos,Curry", "--year", "2023", "--cache-dir", str(tmp_path / "cache"), "--out", str(out)]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "ACS 2023: state 41, county 011 (1 of 2)" in printed and "6 tracts (1 water-only" in printed
    assert "secret-test-key" not in printed
    prov = tmp_path / "coos_providers.csv"
    prov.write_text(
        "provider_id,name,type,latitude,longitude,capacity,slots_0_2,slots_3_5,funding\n"
        "C1,Bay Center,center,43.35,-124.25,40,10,20,private\n",
        encoding="utf-8",
    )
    m = tmp_path / "m.csv"
    assert main(["metrics", "--tracts", str(out), "--providers", str(prov), "--out", str(m)]) == 0
    got = read_out(m).set_index("geoid")
    assert len(got) == 6 and got.loc["41011000100", "slots_0_2"] == 10
    assert got.loc["41011990100", "osu_class"] == "no data"  # the water tract


def test_fetch_without_a_key_says_where_to_get_one(tmp_path, capsys, monkeypatch):
    from gapmap import cli
    from tests.census_fake import RecordedCensus

    monkeypatch.setattr(cli, "new_http_session", lambda: RecordedCensus())
    monkeypatch.delenv("CENSUS_API_KEY", raising=False)
    assert main(["fetch", "--state", "41", "--counties", "011", "--cache-dir", str(tmp_path), "--year", "2023"]) == 2
    assert "key_signup.html" in capsys.readouterr().err


def test_providers_command_geocodes_with_the_cli_flag(tmp_path, capsys, monkeypatch):
    from gapmap import cli
    from tests.conftest import FIXTURES
    from tests.unit.test_geocode import RecordedGeocoder

    monkeypatch.setattr(cli, "new_http_session", lambda: RecordedGeocoder())
    monkeypatch.setattr(cli, "default_cache_dir", lambda: tmp_path)
    code = main(["providers", str(FIXTURES / "geocoder" / "providers_with_addresses.csv"), "--geocode", "--out", str(tmp_path / "c.csv")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Geocoding batch 1 of 1 (4 addresses)" in out and "4 rows read, 2 accepted, 2 rejected" in out
    assert (tmp_path / "geocoder.json").exists()


def test_region_can_be_a_saved_dataset(tmp_path, capsys, monkeypatch, demo):
    from gapmap import cli
    from gapmap.sources.datasets import save_dataset

    monkeypatch.setattr(cli, "default_datasets_dir", lambda: tmp_path)
    save_dataset(tmp_path, "My Hub", demo[0], demo[1], {"tracts": "demo", "providers": "demo"})
    out = tmp_path / "m.csv"
    assert main(["metrics", "--region", "my-hub", "--out", str(out)]) == 0
    assert "Region: My Hub (saved dataset, 162 tracts, 272 providers)" in capsys.readouterr().out
    pd.testing.assert_frame_equal(read_out(out), read_out_demo(tmp_path))
    assert main(["metrics", "--region", "nope", "--out", str(out)]) == 2
    assert "no such region; available: demo, my-hub" in capsys.readouterr().err


def read_out_demo(tmp_path):
    out = tmp_path / "demo.csv"
    assert main(["metrics", "--region", "demo", "--out", str(out)]) == 0
    return read_out(out)


def test_rank_writes_all_four_formats_and_the_about_sheet_lists_every_parameter(tmp_path, capsys):
    import geopandas as gpd
    from openpyxl import load_workbook

    from gapmap.analysis.ranking import COMPONENTS
    from gapmap.config import AnalysisParams

    outs = {ext: tmp_path / f"p.{ext}" for ext in ("csv", "xlsx", "geojson", "gpkg")}
    for path in outs.values():
        assert main(["rank", "--region", "demo", "--preset", "equity", "--top", "25", "--out", str(path)]) == 0
    csv_rows = pd.read_csv(outs["csv"], dtype={"geoid": str})  # the header on line 1
    about = (tmp_path / "p.about.txt").read_text(encoding="utf-8")
    assert "Ranking: Tracts were ranked for all children under 5 with the Equity weights: unmet need 25%, access gap 15%, " in about
    assert "The 25 census tracts to serve first" in about
    assert csv_rows["rank"].tolist() == list(range(1, 26))
    wb = load_workbook(outs["xlsx"])
    assert wb.sheetnames == ["Priorities", "Priority areas", "Tracts", "Providers", "About"]
    xl = pd.read_excel(outs["xlsx"], sheet_name="Priorities", dtype={"geoid": str})
    assert xl["geoid"].tolist() == csv_rows["geoid"].tolist()
    np.testing.assert_allclose(xl["score"], csv_rows["score"], rtol=1e-9)
    about = dict(list(wb["About"].values)[1:])
    p = AnalysisParams()
    # every parameter's value is said in a sentence
    assert (
        about["Slots counted"]
        == f"{p.utilization:.0%} of each provider's licensed slots are taken to be operating (utilization {p.utilization:g})."
    )
    assert f"up to {p.catchment_km:g} km" in about["Travel distance"] and "step decay" in about["Travel distance"]
    for value in (p.cap_min_children, p.desert_children_per_slot, p.extreme_children_per_slot):
        assert f"{value:g} children" in about["Desert rules"]
    assert about["Weights as given"] == "unmet need 0.25, access gap 0.15, desert class 0.1, poverty 0.4, working parents 0.1."
    assert len(COMPONENTS) == about["Weights as given"].count(",") + 1
    assert "synthetic demo data" in about["Data"] and about["Privacy"].startswith("Privacy mode was off")
    gj = gpd.read_file(outs["geojson"])
    gp = gpd.read_file(outs["gpkg"])
    assert gj["geoid"].tolist() == gp["geoid"].tolist() == csv_rows["geoid"].tolist()


def test_report_is_a_printable_page(tmp_path, capsys):
    out = tmp_path / "summary.html"
    assert main(["report", "--region", "demo", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "@page" in page and "<svg" in page
    assert "Top 10 priority tracts" in page and "synthetic demo data" in page and "Families are taken to travel up to 10 km" in page


def test_simulate_command(tmp_path, capsys):
    scen = tmp_path / "s.json"
    scen.write_text(
        '{"name": "church", "changes": [{"kind": "new_site", "name": "Church", "latitude": 44.05, "longitude": -120.7, "slots_0_2": 20, "slots_3_5": 40}]}'
    )
    out = tmp_path / "r.csv"
    assert main(["simulate", "--region", "demo", "--scenario", str(scen), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Scenario 'church': 1 change;" in printed and "children in access deserts" in printed
    table = pd.read_csv(out, dtype={"geoid": str})
    assert "Scenario: 'church', 1 change." in (tmp_path / "r.about.txt").read_text(encoding="utf-8")
    assert len(table) == 162 and table["changed"].any()
    assert (table["access_per_100_under_5_after"] >= table["access_per_100_under_5_before"] - 1e-9).all()
    scen.write_text('{"changes": [{"kind": "add_slots", "provider_id": "NOPE", "slots_0_2": 1}]}')
    assert main(["simulate", "--region", "demo", "--scenario", str(scen), "--out", str(out)]) == 2
    assert "no provider with id 'NOPE'" in capsys.readouterr().err


def test_optimize_command(tmp_path, capsys):
    out = tmp_path / "sites.csv"
    assert main(["optimize", "--region", "demo", "--sites", "5", "--slots", "60", "--band", "0-2", "--exact", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "site 5 of 5 chosen" in printed and "greedy reaches 100.0% of it" in printed
    sites = pd.read_csv(out)
    assert sites["order"].tolist() == [1, 2, 3, 4, 5] and (sites["slots"] == 60).all()


def test_optimize_with_uploaded_candidates_and_the_unmet_objective(tmp_path, capsys):
    cand = tmp_path / "churches.csv"
    cand.write_text(
        "name,latitude,longitude\nFirst Church,44.05,-120.70\nGrange Hall,44.60,-120.20\nOld School,44.30,-120.60\n", encoding="utf-8"
    )
    out = tmp_path / "sites.csv"
    assert (
        main(
            [
                "optimize",
                "--region",
                "demo",
                "--sites",
                "2",
                "--candidates",
                str(cand),
                "--objective",
                "unmet",
                "--exact",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "Candidates: 3 sites" in printed and "children of unmet need served" in printed
    sites = pd.read_csv(out)
    assert set(sites["name"]) <= {"First Church", "Grange Hall", "Old School"} and len(sites) == 2


def test_datasets_add_list_remove_in_the_folder_the_app_reads(tmp_path, monkeypatch, capsys):
    """An administrator loads a region without the browser: the dataset lands in the user data folder
    (XDG_DATA_HOME honoured) that the app and --region read, every provider row is counted, and it goes."""
    from gapmap.sources.datasets import dataset_about, list_datasets
    from gapmap.sources.session import default_datasets_dir
    from tests.conftest import FIXTURES

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_datasets_dir() == tmp_path / "data" / "gapmap" / "datasets"
    export = FIXTURES / "providers" / "licensing_export.csv"
    args = ["datasets", "add", "Demo state", "--tracts", str(DEMO_DIR / "tracts.geojson"), "--providers", str(export)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "providers: 5 rows read = 5 accepted + 0 rejected" in printed and "--region demo-state" in printed
    assert list_datasets(default_datasets_dir()) == {"demo-state": "Demo state"}
    about = dataset_about(default_datasets_dir(), "demo-state")
    assert (about["tracts"], about["providers"], about["import"]["rows_read"]) == (162, 5, 5)
    assert main(args) == 2 and "already" in capsys.readouterr().err  # no silent overwrite
    assert main([*args, "--replace"]) == 0
    assert main(["datasets", "list"]) == 0 and "demo-state\tDemo state" in capsys.readouterr().out
    assert main(["metrics", "--region", "demo-state", "--out", str(tmp_path / "m.csv")]) == 0  # the CLI reads it by key
    assert main(["datasets", "remove", "demo-state"]) == 0 and list_datasets(default_datasets_dir()) == {}
    assert main(["datasets", "remove", "demo-state"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no saved dataset 'demo-state'") and err.count("\n") == 1
    assert main(["datasets", "add", "X", "--tracts", str(DEMO_DIR / "tracts.geojson")]) == 2
    assert "needs --tracts FILE and --providers FILE" in capsys.readouterr().err


def test_the_help_needs_no_science_stack_and_its_lists_are_the_cores():
    """`gapmap --help` imports neither pandas, geopandas nor numba (so it answers at once), and the names it
    lists (presets, bands) are the core's own."""
    import subprocess
    import sys

    from gapmap import config, schema
    from gapmap.analysis.ranking import PRESETS

    assert config.PRESET_NAMES == tuple(PRESETS) and config.BAND_KEYS == tuple(schema.BANDS)
    code = "import sys, gapmap.cli as c; c.build_parser().format_help(); print(sorted(m for m in ('pandas', 'geopandas', 'numba', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_draws_add_the_desert_chance_and_confident_deserts_come_first(tmp_path, capsys):
    """--draws N: every band's chance, confident and uncertain columns, the same with the same seed; the
    About says how; --confident-first puts every confident access desert before the others, each group
    in score order; without --draws it is refused in words (exit 2)."""
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (a, b):
        assert main(["metrics", "--region", "demo", "--draws", "300", "--seed", "4", "--out", str(path)]) == 0
    t = pd.read_csv(a, dtype={"geoid": str})
    for band in ("0_2", "3_5", "under_5"):
        for rule in ("access", "cap", "osu", "osu_extreme"):
            chance = t[f"desert_chance_{rule}_{band}"]
            assert chance.between(0, 1).all()
            assert (t[f"confident_desert_{rule}_{band}"] == (chance >= 0.9)).all()
            assert (t[f"uncertain_desert_{rule}_{band}"] == ((chance > 0.1) & (chance < 0.9))).all()
    assert t.equals(pd.read_csv(b, dtype={"geoid": str}))
    out = tmp_path / "p.csv"
    assert main(["rank", "--region", "demo", "--draws", "300", "--confident-first", "access", "--top", "162", "--out", str(out)]) == 0
    ranked = pd.read_csv(out, dtype={"geoid": str})
    first = ranked["confident_desert_access"].astype(bool).to_numpy()
    n = int(first.sum())
    assert 0 < n < len(ranked) and first[:n].all() and not first[n:].any()
    assert (np.diff(ranked["score"].to_numpy()[:n]) <= 1e-9).all() and (np.diff(ranked["score"].to_numpy()[n:]) <= 1e-9).all()
    about = (tmp_path / "p.about.txt").read_text(encoding="utf-8")
    assert "Desert chance: 300 draws of each tract's children" in about and "Confident deserts first" in about
    assert main(["rank", "--region", "demo", "--confident-first", "access", "--out", str(out)]) == 2
    assert "--confident-first needs the desert chance: add --draws N" in capsys.readouterr().err
