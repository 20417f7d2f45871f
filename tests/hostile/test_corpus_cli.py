"""The hostile corpus through the command line: a named error (exit 2) or a correct result, never a
traceback, never a server file or URL read, never a formula cell in an output."""

from __future__ import annotations

import http.server
import io
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from gapmap.cli import main
from tests.hostile.corpus import CASES, HOSTILE, LAT, LON, _files, gpkg_with_virtual_table, vrt_document, zip_bomb, zip_with
from tests.hostile.scanner import formula_cells, xlsx_formula_cells

ROOT = Path(__file__).resolve().parents[2]
DEMO_PROVIDERS = ROOT / "data" / "demo" / "providers.csv"
CANARY_TEXT = "gapmap-canary-7d1f3c: this text must never leave the server"


def run(kind: str, path: Path, out_dir: Path) -> list[str]:
    if kind == "providers":
        return [
            "providers",
            str(path),
            "--region",
            "demo",
            "--out",
            str(out_dir / "clean.csv"),
            "--rejected",
            str(out_dir / "rejected.csv"),
        ]
    if kind == "tracts":
        return ["metrics", "--tracts", str(path), "--providers", str(DEMO_PROVIDERS), "--out", str(out_dir / "metrics.csv")]
    if kind == "regions":
        return ["compare", "--region", "demo", "--by", str(path), "--out", str(out_dir / "compare.csv")]
    if kind == "scenario":
        return ["simulate", "--region", "demo", "--scenario", str(path), "--out", str(out_dir / "scenario.csv")]
    raise AssertionError(kind)


def everything_said(capsys, out_dir: Path) -> str:
    """All the command printed and wrote, as text."""
    said = capsys.readouterr()
    files = [p.read_bytes().decode("utf-8", errors="replace") for p in sorted(out_dir.glob("*")) if p.is_file()]
    return "\n".join([said.out, said.err, *files])


def test_the_committed_corpus_is_what_the_generator_writes(tmp_path):
    made = _files()
    assert sorted(made) == sorted(p.name for p in HOSTILE.iterdir())
    for name, data in made.items():
        assert (HOSTILE / name).read_bytes() == data, name


@pytest.mark.parametrize("case", CASES, ids=[f"{c.kind}:{c.file}" for c in CASES])
def test_case(case, tmp_path, capsys):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = main(run(case.kind, HOSTILE / case.file, out_dir))
    said = everything_said(capsys, out_dir)
    assert "Traceback" not in said and "unexpected problem" not in said, said
    if case.outcome == "error":
        assert code == 2, said
        assert case.expect in said, said
        return
    assert code == 0, said
    for path in out_dir.glob("*.csv"):
        assert formula_cells(path.read_bytes()) == [], path.name
    if case.kind == "providers":
        accepted = pd.read_csv(out_dir / "clean.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
        assert len(accepted) == case.accepted, said
        rejected_path = out_dir / "rejected.csv"
        rejected = pd.read_csv(rejected_path, encoding="utf-8-sig", dtype=str) if rejected_path.exists() else pd.DataFrame()
        assert len(rejected) == case.rejected, said
        assert rejected.get("reason", pd.Series(dtype=str)).str.len().gt(10).all()


def test_formula_names_survive_as_text_and_no_export_runs_them(tmp_path, capsys):
    """The names arrive whole (apostrophe first where a line would run) in CSV and Excel exports."""
    from openpyxl import load_workbook

    from gapmap.outputs.export import neutralize_text, to_xlsx_bytes
    from gapmap.sources.providers import import_providers
    from tests.hostile.corpus import FORMULA_NAMES

    rep = import_providers(HOSTILE / "formulas.csv")
    names = [n.strip() for n in FORMULA_NAMES]  # names are trimmed on import, inner line breaks kept
    assert rep.accepted["name"].tolist() == names
    out = tmp_path / "clean.csv"
    assert main(["providers", str(HOSTILE / "formulas.csv"), "--region", "demo", "--out", str(out)]) == 0
    capsys.readouterr()
    back = pd.read_csv(out, encoding="utf-8-sig", dtype=str)["name"].tolist()
    assert back == [neutralize_text(n) for n in names]
    assert back[2] == "Good Start\n'=cmd|' /C calc'!A0"  # the CR became a line break, the line an apostrophe
    assert back[-1] == "Kids, =1+1 & Co"  # a formula sign inside a line is text already
    raw = to_xlsx_bytes({"Providers": rep.accepted}, {"data": "Kids, =1+1 & Co", "file": "=cmd|' /C calc'!A0"})
    assert xlsx_formula_cells(raw) == []
    wb = load_workbook(io.BytesIO(raw))
    assert dict(list(wb["About"].values)[1:])["file"] == "'=cmd|' /C calc'!A0"


def test_provenance_lines_with_commas_and_formulas_stay_one_line(tmp_path, capsys):
    from gapmap.outputs.export import to_about_text, to_csv_bytes

    about = {"data": 'South Coast, =cmd|" /C calc"!A0', "file": "list.csv\r=1+1", "scenario": "a,b,c", "=1+1": "x"}
    raw = to_csv_bytes(pd.DataFrame({"name": ["x"]}))
    assert formula_cells(raw) == [] and raw.decode("utf-8-sig").splitlines()[0] == '"name"'  # the header first
    lines = to_about_text(about).splitlines()[2:]
    assert lines == ['data: South Coast, =cmd|" /C calc"!A0', "file: list.csv =1+1", "scenario: a,b,c", "'=1+1: x"]


# --- files that try to read the server ----------------------------------------------------------
@pytest.fixture
def canary(tmp_path):
    path = tmp_path / "canary.csv"
    path.write_text(f"longitude,latitude,name\n{LON},{LAT},{CANARY_TEXT}\n")
    return path


class _CountingServer:
    def __init__(self):
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                owner.requests.append(self.path)
                body = f"longitude,latitude,name\n{LON},{LAT},{CANARY_TEXT}\n".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _disguises(vrt: bytes) -> dict[str, bytes]:
    """The same VRT document under every name an upload may have."""
    shp_parts = {"x.shp": vrt, "x.shx": vrt, "x.dbf": vrt}
    return {
        "vrt.geojson": vrt,
        "vrt.json": vrt,
        "vrt.gpkg": vrt,
        "vrt.parquet": vrt,
        "vrt.csv": vrt,
        "vrt.xlsx": vrt,
        "vrt.zip": zip_with(shp_parts),
        "vrt_inside.xlsx": zip_with({"xl/workbook.xml": vrt, "[Content_Types].xml": vrt}),
    }


def refuse_every_disguise(kind: str, vrt: bytes, tmp_path: Path, capsys) -> None:
    """The command refuses the VRT under every name (exit 2), and nothing it says holds the canary."""
    for name, data in _disguises(vrt).items():
        out_dir = tmp_path / f"out-{kind}-{name}"
        out_dir.mkdir()
        path = tmp_path / name
        path.write_bytes(data)
        code = main(run(kind, path, out_dir))
        said = everything_said(capsys, out_dir)
        assert code == 2, (kind, name, said)
        assert CANARY_TEXT not in said and "canary" not in said and "Traceback" not in said, (kind, name, said)


@pytest.mark.parametrize("kind", ["providers", "tracts", "regions"])
def test_a_vrt_never_reads_a_server_file(kind, tmp_path, canary, capsys):
    refuse_every_disguise(kind, vrt_document(f"CSV:{canary}"), tmp_path, capsys)


def test_a_vrt_never_fetches_a_url(tmp_path, capsys):
    with _CountingServer() as server:
        for kind in ("providers", "tracts", "regions"):
            refuse_every_disguise(kind, vrt_document(f"/vsicurl/{server.url}/canary.csv"), tmp_path, capsys)
        assert server.requests == []


def test_gdal_itself_is_configured_to_fetch_nothing(tmp_path):
    """Belt and braces: even a VRT handed straight to GDAL (which gapmap never does) opens no URL."""
    import pyogrio

    import gapmap.sources.files  # noqa: F401  # applies GDAL_SAFETY_OPTIONS

    with _CountingServer() as server:
        path = tmp_path / "direct.vrt"
        path.write_bytes(vrt_document(f"/vsicurl/{server.url}/canary.csv"))
        with pytest.raises(Exception):  # noqa: B017  # GDAL's own error type
            pyogrio.read_dataframe(path)
        assert server.requests == []


def test_a_geopackage_with_a_virtual_table_is_refused(tmp_path, canary, capsys):
    gpkg = gpkg_with_virtual_table(tmp_path / "tracts.gpkg", canary)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    assert main(run("tracts", gpkg, out_dir)) == 2
    said = everything_said(capsys, out_dir)
    assert "holds a virtual table ('evil')" in said and CANARY_TEXT not in said


def test_a_plain_geopackage_and_zipped_shapefile_still_read(tmp_path, demo):
    """The checks refuse the hostile, not the ordinary: real GPKG and shapefile uploads read."""
    from gapmap.sources.files import UserFile, read_geo
    from gapmap.sources.geography import read_tracts

    tracts, _ = demo
    tracts.to_file(tmp_path / "t.gpkg", driver="GPKG")
    back = read_tracts(UserFile.from_path(tmp_path / "t.gpkg"))
    assert back["geoid"].tolist() == tracts["geoid"].tolist()
    assert back["children_under_5"].tolist() == pytest.approx(tracts["children_under_5"].tolist())
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    tracts[["geoid", "geometry"]].to_file(shp_dir / "tracts.shp")  # shapefile column names hold 10 characters
    shp = read_geo(UserFile.of("tracts.zip", zip_with({p.name: p.read_bytes() for p in shp_dir.iterdir()})))
    assert shp["geoid"].tolist() == tracts["geoid"].tolist()
    assert shp.crs.equals("EPSG:4326") and shp.geometry.geom_equals_exact(tracts.geometry, 1e-9).all()


# --- decompression bombs --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    xlsx = zip_bomb(
        folder / "providers.xlsx", "xl/worksheets/sheet1.xml", extra={"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
    )
    shp = zip_bomb(folder / "tracts.zip", "tracts.shp", extra={"tracts.shx": b"", "tracts.dbf": b""})
    return {"providers": xlsx, "tracts": shp}


@pytest.mark.parametrize("kind", ["providers", "tracts"])
def test_a_zip_bomb_is_refused_fast_and_small(kind, bombs, tmp_path):
    """5 MB that inflate to 2 GB: refused in a fresh process in under 10 s and 500 MB."""
    assert bombs[kind].stat().st_size < 20 * 1024**2
    # the child's own peak: VmHWM of its address space (ru_maxrss would also count the pytest process it
    # was started from, which Linux carries over into a child's maxrss at exec)
    measure = (
        "import re, sys\nfrom gapmap.cli import main\ncode = main(sys.argv[1:])\n"
        "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
        "print('peak kB', hwm, file=sys.stderr)\nsys.exit(code)"
    )
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", measure, *run(kind, bombs[kind], tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    elapsed = time.perf_counter() - t0
    peak_mb = int(proc.stderr.rsplit("peak kB", 1)[1]) / 1024
    assert proc.returncode == 2, proc.stderr
    assert "unpacks to 2,048 MB" in proc.stderr and "Traceback" not in proc.stderr
    assert elapsed < 10, elapsed
    assert peak_mb < 500, peak_mb


# --- names ---------------------------------------------------------------------------------------
def test_a_300_character_file_name_is_shortened_in_messages(tmp_path):
    from gapmap.errors import DataSourceError
    from gapmap.sources.files import UserFile
    from gapmap.sources.providers import read_provider_table

    name = "x" * 300 + ".csv"
    with pytest.raises(DataSourceError) as err:
        read_provider_table(UserFile.of(name, b""))
    assert len(str(err.value).split(":")[0]) <= 80 and str(err.value).split(":")[0].endswith(".csv")
    # a folder the browser sent never shows (only the base name)
    assert UserFile.of("/etc/secret/dir/list.csv", b"a").name == "list.csv"
    assert UserFile.of("C:\\Users\\me\\list.csv", b"a").name == "list.csv"


def test_dataset_names_normalise_reserve_and_shorten(tmp_path, demo):
    from gapmap.errors import GapmapError
    from gapmap.sources.datasets import DatasetExistsError, list_datasets, read_dataset, save_dataset, slugify

    tracts, providers = demo
    key = save_dataset(tmp_path, "South Coast", tracts, providers, {})
    for clash in ("south-coast", "SOUTH  COAST!!", " South Coast "):
        with pytest.raises(DatasetExistsError, match="a dataset called 'South Coast' exists already"):
            save_dataset(tmp_path, clash, tracts, providers, {})
    assert save_dataset(tmp_path, "SOUTH  COAST!!", tracts, providers.head(5), {}, overwrite=True) == key
    assert len(read_dataset(tmp_path, key)[1]) == 5
    for reserved in ("demo", "Demo", "DEMO!"):
        with pytest.raises(GapmapError, match="is a name gapmap uses itself"):
            save_dataset(tmp_path, reserved, tracts, providers, {})
    with pytest.raises(GapmapError, match="at most 120 characters"):
        save_dataset(tmp_path, "n" * 300, tracts, providers, {})
    long_key = slugify("Coastal " * 12)
    assert len(long_key) <= 60 and long_key != slugify("Coastal " * 11)
    assert list(list_datasets(tmp_path)) == [key]


def test_a_saved_provider_name_with_a_carriage_return_loads_back(tmp_path, demo):
    """Saved datasets do not go through CSV: a CR in a name no longer breaks the dataset."""
    from gapmap.sources.datasets import read_dataset, save_dataset

    tracts, providers = demo
    p = providers.copy()
    p.loc[p.index[0], "name"] = "Good Start\r=cmd|' /C calc'!A0"
    key = save_dataset(tmp_path, "CR test", tracts, p, {})
    assert read_dataset(tmp_path, key)[1]["name"].iloc[0] == "Good Start\r=cmd|' /C calc'!A0"


def test_the_cli_writes_no_traceback_when_it_cannot_write(tmp_path, capsys):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    code = main(["metrics", "--region", "demo", "--out", str(blocked / "sub" / "m.csv")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: cannot write or read") and "Traceback" not in err and str(tmp_path) not in err


def test_candidate_sites_with_non_finite_coordinates_are_named(tmp_path, capsys):
    path = tmp_path / "candidates.csv"
    path.write_text("name,latitude,longitude\nChurch,44.3,-120.7\nLot,inf,-120.7\nBarn,44.3,1e309\nShed,95,-120.7\n")
    assert main(["optimize", "--region", "demo", "--candidates", str(path), "--out", str(tmp_path / "o.csv")]) == 2
    assert "candidates.csv: rows 2, 3, 4: latitude and longitude must be numbers in degrees" in capsys.readouterr().err
