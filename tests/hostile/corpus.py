"""The hostile-input corpus: one file per case, and what gapmap must do with it.

Static cases are committed in ``tests/fixtures/hostile/`` (``uv run python -m tests.hostile.corpus``
writes them again, bit for bit; a test checks it). Cases that need the test's own canary file, a local
HTTP server or 2 GB of zeros are made at test time by the functions at the end.

Every case names its expected outcome:

* ``error``: the command exits 2 and its one message contains ``expect`` (a named error);
* ``import``: the provider import succeeds with exactly ``accepted`` rows and ``rejected`` rows, each
  rejected row with a reason containing ``expect``.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
#: Inside the demo region.
LAT, LON = 44.30, -120.70

_HEADER = "provider_id,name,type,latitude,longitude,capacity,slots_0_2,slots_3_5,funding\n"


def _row(i: int, name: str, capacity: str = "20", lat: str = f"{LAT}", lon: str = f"{LON}") -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    return f"H{i},{quoted},center,{lat},{lon},{capacity},5,10,private\n"


@dataclass(frozen=True)
class Case:
    file: str  # under tests/fixtures/hostile/
    kind: str  # providers | tracts | regions | scenario
    outcome: str  # error | import
    expect: str = ""
    accepted: int = 0
    rejected: int = 0


#: Names a spreadsheet would run: DDE, CR and LF and tab tricks, each in a row that is otherwise good.
FORMULA_NAMES = (
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://127.0.0.1/x","click")',
    "Good Start\r=cmd|' /C calc'!A0",
    "Good Start\n=1+2",
    "Good Start\r\n@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    '=DDE("cmd";"/C calc";"!A0")',
    "\uff1d1+1",
    "Kids, =1+1 & Co",
)


def _files() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    good = _HEADER + _row(1, "Little Acorns") + _row(2, "Sunny Days")
    out["formulas.csv"] = (_HEADER + "".join(_row(i, n) for i, n in enumerate(FORMULA_NAMES, start=1))).encode()
    out["nonfinite.csv"] = (
        _HEADER
        + _row(1, "Inf capacity", capacity="inf")
        + _row(2, "Infinity capacity", capacity="Infinity")
        + _row(3, "Huge capacity", capacity="1e309")
        + _row(4, "NaN capacity", capacity="NaN")
        + _row(5, "Too big capacity", capacity="1e308")
        + _row(6, "Inf latitude", lat="inf")
        + _row(7, "Minus inf longitude", lon="-inf")
        + _row(8, "Fine")
    ).encode()
    out["trailing_comma.csv"] = "".join(line.rstrip("\n") + ",\n" for line in good.splitlines(keepends=True)).encode()
    out["ragged.csv"] = (_HEADER + _row(1, "Little Acorns") + _row(2, "Sunny Days").rstrip("\n") + ",surprise\n").encode()
    out["utf16le.csv"] = b"\xff\xfe" + good.encode("utf-16-le")
    out["utf16be.csv"] = b"\xfe\xff" + good.encode("utf-16-be")
    out["utf32.csv"] = good.encode("utf-32")  # Python writes the little-endian BOM
    out["latin1.csv"] = (_HEADER + _row(1, "Garderie Hélène") + _row(2, "Niños Felices")).encode("latin-1")
    out["duplicate_columns.csv"] = (_HEADER.replace(",funding", ",name") + _row(1, "Little Acorns")).encode()
    out["header_only.csv"] = _HEADER.encode()
    out["empty.csv"] = b""
    out["binary.csv"] = bytes(range(256)) * 4
    out["html_as.xlsx"] = b"<html><body><h1>Not Excel</h1></body></html>"
    out["long_name.csv"] = (_HEADER + _row(1, "A" * 300 + " Child Care")).encode()
    out["markdown_header.csv"] = b"# Heading,[link](http://127.0.0.1/x),![img](http://127.0.0.1/i.png),$x^2$\n1,2,3,4\n"
    out["vrt_plain.geojson"] = (
        b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>CSV:/etc/hostname</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>'
    )
    # tracts
    square = [[[LON - 0.1, LAT - 0.1], [LON + 0.1, LAT - 0.1], [LON + 0.1, LAT + 0.1], [LON - 0.1, LAT + 0.1], [LON - 0.1, LAT - 0.1]]]
    feature = {
        "type": "Feature",
        "properties": {"geoid": "99001000100", "children_under_5": 137},
        "geometry": {"type": "Polygon", "coordinates": square},
    }
    projected = [[[x * 1e5, y * 1e5] for x, y in ring] for ring in square]
    out["projected_no_crs.geojson"] = json.dumps(
        {"type": "FeatureCollection", "features": [{**feature, "geometry": {"type": "Polygon", "coordinates": projected}}]}
    ).encode()
    out["infinite_count.geojson"] = json.dumps({"type": "FeatureCollection", "features": [feature]}).replace("137", "1e309").encode()
    out["nan_count.geojson"] = json.dumps({"type": "FeatureCollection", "features": [feature]}).replace("137", "NaN").encode()
    out["boolean_count.geojson"] = json.dumps({"type": "FeatureCollection", "features": [feature]}).replace("137", "true").encode()
    out["deep.geojson"] = b'{"type": "FeatureCollection", "features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    out["not_a_collection.geojson"] = b'{"type": "Point", "coordinates": [1, 2]}'
    # regions
    out["all_tracts_region.csv"] = b"geoid,region\n99001000100,All tracts\n"
    # scenarios
    out["scenario_list.json"] = b"[1, 2, 3]"
    out["scenario_null.json"] = b"null"
    out["scenario_number.json"] = b"42"
    out["scenario_deep.json"] = b'{"changes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    out["scenario_latin1.json"] = '{"name": "Garderie Hélène", "changes": []}'.encode("latin-1")
    out["scenario_wrong_types.json"] = json.dumps(
        {"changes": [{"kind": "new_site", "name": "X", "latitude": True, "longitude": LON, "slots_0_2": 5}]}
    ).encode()
    out["scenario_string_slots.json"] = json.dumps(
        {"changes": [{"kind": "new_site", "name": "X", "latitude": LAT, "longitude": LON, "slots_0_2": "ten"}]}
    ).encode()
    out["scenario_nan.json"] = b'{"changes": [{"kind": "new_site", "name": "X", "latitude": NaN, "longitude": -120.7, "slots_0_2": 5}]}'
    out["scenario_huge_number.json"] = (
        b'{"changes": [{"kind": "new_site", "name": "X", "latitude": 44.3, "longitude": -120.7, "slots_0_2": 1e999}]}'
    )
    out["scenario_change_not_object.json"] = b'{"changes": ["open a site"]}'
    out["scenario_unknown_kind.json"] = b'{"changes": [{"kind": "__import__"}]}'
    out["scenario_name_object.json"] = b'{"name": {"a": 1}, "changes": []}'
    out["scenario_too_many.json"] = json.dumps(
        {"changes": [{"kind": "new_site", "name": "S", "latitude": LAT, "longitude": LON, "slots_0_2": 5}] * 10_000}, separators=(",", ":")
    ).encode()
    out["scenario_script_name.json"] = json.dumps(
        {
            "changes": [
                {
                    "kind": "new_site",
                    "name": "${alert(1)}`</script><img src=x onerror=alert(2)>",
                    "latitude": LAT,
                    "longitude": LON,
                    "slots_0_2": 5,
                    "slots_3_5": 5,
                }
            ]
        }
    ).encode()
    return out


CASES: tuple[Case, ...] = (
    Case("formulas.csv", "providers", "import", accepted=len(FORMULA_NAMES)),
    Case("nonfinite.csv", "providers", "import", "", accepted=1, rejected=7),
    Case("trailing_comma.csv", "providers", "import", accepted=2),
    Case("ragged.csv", "providers", "error", "row 2: 10 cells but the header has 9 columns"),
    Case("utf16le.csv", "providers", "import", accepted=2),
    Case("utf16be.csv", "providers", "import", accepted=2),
    Case("utf32.csv", "providers", "import", accepted=2),
    Case("latin1.csv", "providers", "import", accepted=2),
    Case("duplicate_columns.csv", "providers", "error", "the column name 'name' appears twice"),
    Case("header_only.csv", "providers", "error", "has a header but no rows"),
    Case("empty.csv", "providers", "error", "the file is empty"),
    Case("binary.csv", "providers", "error", "not a CSV table"),
    Case("html_as.xlsx", "providers", "error", "the content is a web page (HTML), not an Excel workbook"),
    Case("long_name.csv", "providers", "import", accepted=1),
    Case("markdown_header.csv", "providers", "error", "a provider list needs the column"),
    Case("vrt_plain.geojson", "providers", "error", "XML document (such as a GDAL VRT"),
    Case("projected_no_crs.geojson", "tracts", "error", "not longitude/latitude degrees"),
    Case("infinite_count.geojson", "tracts", "error", "too large"),
    Case("nan_count.geojson", "tracts", "error", "NaN is not a number JSON allows"),
    Case("boolean_count.geojson", "tracts", "error", "column 'children_under_5', value True"),
    Case("deep.geojson", "tracts", "error", "nested too deeply"),
    Case("not_a_collection.geojson", "tracts", "error", "not a GeoJSON FeatureCollection"),
    Case("vrt_plain.geojson", "tracts", "error", "XML document (such as a GDAL VRT"),
    Case("all_tracts_region.csv", "regions", "error", "a region name other than 'All tracts'"),
    Case("vrt_plain.geojson", "regions", "error", "XML document (such as a GDAL VRT"),
    Case("scenario_list.json", "scenario", "error", "is a list; expected a JSON object"),
    Case("scenario_null.json", "scenario", "error", "is null; expected a JSON object"),
    Case("scenario_number.json", "scenario", "error", "is a number; expected a JSON object"),
    Case("scenario_deep.json", "scenario", "error", "nested too deeply"),
    Case("scenario_latin1.json", "scenario", "import"),
    Case("scenario_wrong_types.json", "scenario", "error", "latitude true must be a number"),
    Case("scenario_string_slots.json", "scenario", "error", "slots_0_2 'ten' must be a number"),
    Case("scenario_nan.json", "scenario", "error", "NaN is not a number JSON allows"),
    Case("scenario_huge_number.json", "scenario", "error", "too large"),
    Case("scenario_change_not_object.json", "scenario", "error", "change 1: 'open a site' is not a change"),
    Case("scenario_unknown_kind.json", "scenario", "error", "unknown kind '__import__'"),
    Case("scenario_name_object.json", "scenario", "error", 'name {"a": 1} must be text'),
    Case("scenario_too_many.json", "scenario", "error", "has 10,000 changes; gapmap simulates at most 1,000"),
    Case("scenario_script_name.json", "scenario", "import"),
)


def write_corpus(folder: Path = HOSTILE) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in _files().items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


# --- cases made at test time ---------------------------------------------------------------------
def vrt_document(source: str) -> bytes:
    """An OGR VRT whose layer reads ``source`` (``CSV:/path`` or ``/vsicurl/http://...``)."""
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{source}</SrcDataSource>'
        '<GeometryType>wkbPoint</GeometryType><GeometryField encoding="PointFromColumns" x="longitude" y="latitude"/>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def zip_with(members: dict[str, bytes]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def zip_bomb(path: Path, member: str, unpacked_bytes: int = 2 * 1024**3, extra: dict[str, bytes] | None = None) -> Path:
    """A zip of a few MB whose ``member`` inflates to ``unpacked_bytes`` (repeated XML rows)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
        chunk = b"<row><c><v>0</v></c></row>" * 40_000
        with zf.open(member, "w", force_zip64=True) as f:
            written = 0
            while written < unpacked_bytes:
                f.write(chunk)
                written += len(chunk)
    return path


def gpkg_with_virtual_table(path: Path, canary: Path) -> Path:
    """A real GeoPackage, plus a table defined as GDAL's VirtualOGR over ``canary`` (written into the
    schema directly: SQLite would refuse to create it without the module)."""
    import geopandas as gpd
    import shapely

    gpd.GeoDataFrame(
        {"geoid": ["99001000100"], "children_under_5": [10.0]}, geometry=[shapely.box(LON - 0.1, LAT - 0.1, LON + 0.1, LAT + 0.1)], crs=4326
    ).to_file(path, driver="GPKG", layer="tracts")
    con = sqlite3.connect(path)
    con.execute("PRAGMA writable_schema = ON")
    con.execute(
        "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES ('table', 'evil', 'evil', 0, ?)",
        (f"CREATE VIRTUAL TABLE evil USING VirtualOGR('CSV:{canary}')",),
    )
    con.commit()
    con.close()
    return path


if __name__ == "__main__":
    for p in write_corpus():
        print(p.relative_to(HOSTILE.parents[1]))
