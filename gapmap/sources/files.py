"""The one safe reader of users' files: every upload and every file named on the command line comes in here.

A file is a name and its bytes (:class:`UserFile`). Its format is decided from **both** the name and a
sniff of the content, and only the formats gapmap supports are opened:

==================  ==============================  =================================================
format              recognised by                   opened by
==================  ==============================  =================================================
CSV / text table    ``.csv`` ``.txt``, text          Python's ``csv`` module (encoding from the BOM,
                                                    else UTF-8, else Windows-1252 / latin-1)
Excel               ``.xlsx``, a zip holding         openpyxl, read-only, after checking the
                    ``xl/workbook.xml``              decompressed size of every member
GeoJSON             ``.geojson`` ``.json``, JSON     Python's ``json`` and shapely (never GDAL)
                    with ``"type": "FeatureCollection"``
GeoPackage          ``.gpkg``, SQLite with the       GDAL's GPKG driver (pyogrio) on a private
                    ``GPKG`` application id          copy, after refusing virtual tables
GeoParquet          ``.parquet`` ``.geoparquet``,    pyarrow (never GDAL), after checking row and
                    ``PAR1`` magic                   decompressed sizes in its footer
zipped shapefile    ``.zip`` holding one ``.shp``    the members are extracted here (size-checked,
                    with ``.shx`` and ``.dbf``       renamed) and GDAL's shapefile driver reads them
==================  ==============================  =================================================

What this rules out, by construction:

* **GDAL picking the driver from the content.** A ``.geojson`` that is an OGR VRT document (which can
  read any file the server can, ``CSV:/etc/passwd``) or any other XML is refused before GDAL sees it;
  GDAL only ever opens a GeoPackage whose SQLite header and application id were checked, or a shapefile
  whose ``.shp`` magic number was checked, under a file name gapmap chose.
* **Virtual and network file systems.** No user string becomes a GDAL path (no ``/vsicurl/``,
  ``/vsizip/`` or ``CSV:`` prefixes can come from a file name), and GDAL is configured at import so
  that ``/vsicurl/`` opens nothing (``CPL_VSIL_CURL_ALLOWED_EXTENSIONS``) and directory listings are not
  fetched (``GDAL_DISABLE_READDIR_ON_OPEN``).
* **Decompression bombs and huge files**: :class:`ReadLimits` caps the file, the decompressed size of
  zip members (declared sizes are checked before anything is inflated, and Python's ``zipfile`` never
  inflates past a declared size), rows, columns, features and vertices; each refusal names the limit.
* **Non-finite numbers** in GeoJSON (``NaN``, ``Infinity``, ``1e309``) and coordinates that are not
  degrees in a file that names no coordinate system.

Every failure is a :class:`~gapmap.errors.DataSourceError` naming the file (by its base name only,
never a server path) and what was expected.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sqlite3
import struct
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gapmap.errors import DataSourceError

__all__ = [
    "ReadLimits",
    "DEFAULT_LIMITS",
    "UserFile",
    "as_user_file",
    "FORMAT_LABELS",
    "display_name",
    "sniff_format",
    "decode_text",
    "read_table",
    "xlsx_sheet_names",
    "read_geo",
    "read_json",
    "read_pair_table",
    "is_osm_pbf",
    "GDAL_SAFETY_OPTIONS",
]

MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """How big a user's file may be. Every refusal names the limit it hit."""

    #: the file as uploaded (Streamlit's own upload limit is set to the same, see .streamlit/config.toml)
    max_bytes: int = 200 * MB
    #: all members of a zipped shapefile or a GeoParquet's columns, decompressed
    max_unpacked_bytes: int = 600 * MB
    #: all members of an Excel workbook, decompressed (its XML is parsed in Python: slower per byte)
    max_xlsx_unpacked_bytes: int = 100 * MB
    max_zip_members: int = 200
    max_rows: int = 1_000_000
    max_columns: int = 500
    max_cell_chars: int = 100_000
    #: the whole country has 85,000 tracts
    max_features: int = 250_000
    max_vertices: int = 60_000_000
    #: rows of a long table of pairs (travel times: a state at 30 minutes has a few million)
    max_pair_rows: int = 30_000_000
    #: an OpenStreetMap extract (.osm.pbf): a state's extract from Geofabrik is 50-600 MB; routing on it
    #: takes about 20 times its size in memory
    max_osm_bytes: int = 800 * MB


DEFAULT_LIMITS = ReadLimits()

#: Format key -> what a planner calls it.
FORMAT_LABELS = {
    "csv": "CSV table",
    "xlsx": "Excel workbook (.xlsx)",
    "geojson": "GeoJSON",
    "json": "JSON document",
    "gpkg": "GeoPackage",
    "parquet": "GeoParquet",
    "shapefile": "zipped shapefile",
    "table_parquet": "Parquet table",
    "osm": "OpenStreetMap extract (.osm.pbf)",
}
_SUFFIX_FORMAT = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".geojson": "geojson",
    ".json": "json",  # GeoJSON or a JSON document, by content
    ".gpkg": "gpkg",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
    ".zip": "shapefile",
    ".pbf": "osm",
}
_REFUSED_SUFFIX = {
    ".xls": "an old Excel file (.xls): save it as .xlsx (Excel workbook) or CSV",
    ".shp": "a bare .shp: zip it together with its .shx, .dbf and .prj files and upload the .zip",
    ".vrt": "a GDAL VRT document: gapmap does not open VRT files",
    ".kml": "KML: convert it to GeoJSON or GeoPackage",
}

#: GDAL settings applied when this module is imported: /vsicurl/ may open no file at all, and GDAL
#: lists no remote or local directory on open. gapmap never gives GDAL a path a user chose.
GDAL_SAFETY_OPTIONS = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".gapmap-no-network",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "OGR_SQLITE_LOAD_EXTENSIONS": "",
}


def _configure_gdal() -> None:
    import pyogrio

    pyogrio.set_gdal_config_options(GDAL_SAFETY_OPTIONS)


_configure_gdal()


# --- names ---------------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def display_name(name: object, max_chars: int = 80) -> str:
    """A file name as messages show it: the base name only (never a folder of the server), without
    control characters, shortened to ``max_chars`` with the ending kept."""
    text = _CONTROL.sub("", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
    if len(text) > max_chars:
        suffix = Path(text).suffix[:12]
        text = text[: max_chars - len(suffix) - 3] + "..." + suffix
    return text


@dataclass(frozen=True)
class UserFile:
    """A file from a user: its display name and bytes."""

    name: str
    data: bytes

    @classmethod
    def of(cls, name: object, data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> UserFile:
        shown = display_name(name)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DataSourceError(f"{shown}: no file content")
        data = bytes(data)
        if len(data) > limits.max_bytes:
            raise DataSourceError(f"{shown}: the file is {_size(len(data))}; gapmap reads files of at most {_size(limits.max_bytes)}")
        return cls(shown, data)

    @classmethod
    def from_path(cls, path: str | Path, limits: ReadLimits = DEFAULT_LIMITS) -> UserFile:
        """Read a file named on the command line (its size is checked before it is read)."""
        path = Path(path)
        shown = display_name(path.name)
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise DataSourceError(f"{shown}: not a file")
            if size > limits.max_bytes:
                raise DataSourceError(f"{shown}: the file is {_size(size)}; gapmap reads files of at most {_size(limits.max_bytes)}")
            data = path.read_bytes()
        except FileNotFoundError:
            raise DataSourceError(f"{shown}: no such file") from None
        except OSError as exc:
            raise DataSourceError(f"{shown}: cannot be read ({exc.strerror or type(exc).__name__})") from None
        return cls(shown, data)

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


def as_user_file(source: UserFile | str | Path, limits: ReadLimits = DEFAULT_LIMITS) -> UserFile:
    """``source`` itself when it is a :class:`UserFile`, else the file at that path."""
    return source if isinstance(source, UserFile) else UserFile.from_path(source, limits)


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{n / 1024:,.0f} KB"


# --- format --------------------------------------------------------------------------------------
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode_text(file: UserFile) -> str:
    """The file's text: the encoding its byte-order mark names (UTF-8, UTF-16, UTF-32), else UTF-8,
    else UTF-16 without a mark (every other byte zero), else Windows-1252, else latin-1."""
    data = file.data
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise DataSourceError(f"{file.name}: starts as {encoding.upper()} text but byte {exc.start + len(bom)} is not") from None
    head = data[:4096]
    if len(head) >= 4 and head.count(0) * 3 > len(head):  # UTF-16 without a byte-order mark
        utf16 = "utf-16-le" if head[1] == 0 else "utf-16-be" if head[0] == 0 else None
        if utf16 is not None:
            try:
                return data.decode(utf16)
            except UnicodeDecodeError:
                pass
        raise DataSourceError(f"{file.name}: is not a text file (it holds binary data); expected a CSV table in UTF-8, UTF-16 or latin-1")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _content_kind(data: bytes) -> str:
    """What the bytes are, whatever the name says: zip, sqlite, parquet, json, xml, text or binary."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "zip"
    if data.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if data.startswith(b"PAR1"):
        return "parquet"
    if is_osm_pbf(data):
        return "osm"
    head = data[:2048]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :].decode(encoding, errors="ignore").encode("utf-8")
            break
    else:
        if head.count(0) * 3 > max(len(head), 1):  # UTF-16 without a byte-order mark (decode_text says if it is not)
            head = head.decode("utf-16-le" if head[1:2] == b"\x00" else "utf-16-be", errors="ignore").encode("utf-8")
        elif b"\x00" in head:
            return "binary"
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"["):
        return "json"
    if stripped[:1] == b"<":
        return "xml"
    return "text"


def is_osm_pbf(head: bytes) -> bool:
    """Whether bytes start like an OpenStreetMap PBF file: a 4-byte big-endian header length, then a
    BlobHeader whose first field is the type string ``OSMHeader`` (field 1, wire type 2: 0x0A, 9)."""
    if len(head) < 15:
        return False
    n = struct.unpack(">I", head[:4])[0]
    return 0 < n < 64 * 1024 and head[4:15] == b"\x0a\x09OSMHeader"


def _zip_names(file: UserFile) -> list[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(file.data)) as zf:
            return zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        raise DataSourceError(f"{file.name}: not a readable zip file ({type(exc).__name__})") from None


def sniff_format(file: UserFile, allowed: Iterable[str]) -> str:
    """The format of ``file`` (a key of :data:`FORMAT_LABELS`), decided from its name and content, if
    it is one of ``allowed``; else a :class:`DataSourceError` saying what it is and what was expected."""
    allowed = tuple(allowed)
    expected = ", ".join(FORMAT_LABELS[a] for a in allowed)
    suffix = file.suffix
    if suffix == ".xls" and _is_html(file.data):
        raise DataSourceError(
            f"{file.name}: a web page (HTML) saved with an Excel name; open it in Excel and save it as .xlsx (Excel workbook) or CSV"
        )
    if suffix in _REFUSED_SUFFIX:
        raise DataSourceError(f"{file.name}: {_REFUSED_SUFFIX[suffix]}; expected {expected}")
    claimed = _SUFFIX_FORMAT.get(suffix)
    if claimed is None:
        raise DataSourceError(f"{file.name}: unsupported file type {suffix or '(no ending)'!r}; expected {expected}")
    kind = _content_kind(file.data)
    if not file.data.strip():
        raise DataSourceError(f"{file.name}: the file is empty")
    if kind == "xml" and _is_html(file.data):
        raise DataSourceError(
            f"{file.name}: the content is a web page (HTML), not {_a(FORMAT_LABELS.get(claimed, claimed))}; open it in Excel and "
            "save it as .xlsx or CSV, or download the export again"
        )
    if kind == "xml":
        raise DataSourceError(
            f"{file.name}: the content is an XML document (such as a GDAL VRT or KML), not {_a(FORMAT_LABELS.get(claimed, claimed))}; "
            f"expected {expected}"
        )
    if kind == "binary":
        raise DataSourceError(
            f"{file.name}: the content is not {_a(FORMAT_LABELS.get(claimed, claimed))} (unknown binary data); expected {expected}"
        )
    actual = None
    if kind == "zip":
        names = [n.lower() for n in _zip_names(file)]
        if "xl/workbook.xml" in names:
            actual = "xlsx"
        elif any(n.endswith(".shp") for n in names):
            actual = "shapefile"
        else:
            raise DataSourceError(f"{file.name}: a zip file that holds neither a shapefile nor an Excel workbook; expected {expected}")
    elif kind == "sqlite":
        actual = "gpkg" if file.data[68:72] == b"GPKG" else None
        if actual is None:
            raise DataSourceError(f"{file.name}: an SQLite database that is not a GeoPackage; expected {expected}")
    elif kind == "parquet":
        actual = "table_parquet" if "table_parquet" in allowed else "parquet"
    elif kind == "osm":
        actual = "osm"
    elif kind == "json":  # a .geojson is GeoJSON, whose parser says what is wrong with it; a .json is either
        actual = "geojson" if claimed == "geojson" or _looks_geojson(file.data) else "json"
    else:  # text
        actual = "csv"
    compatible = {
        "csv": {"csv"},
        "xlsx": {"xlsx"},
        "geojson": {"geojson"},
        "json": {"geojson", "json"},
        "gpkg": {"gpkg"},
        "parquet": {"parquet", "table_parquet"},
        "shapefile": {"shapefile"},
        "osm": {"osm"},
    }[claimed]
    if actual not in compatible:
        raise DataSourceError(
            f"{file.name}: the name says {FORMAT_LABELS.get(claimed, claimed)} but the content is {_a(FORMAT_LABELS[actual])}; "
            "rename it with the right ending, or export it again"
        )
    if actual not in allowed:
        raise DataSourceError(f"{file.name}: {_a(FORMAT_LABELS[actual])} cannot be used here; expected {expected}")
    return actual


def _a(label: str) -> str:
    return ("an " if label[:1].lower() in "aeiou" else "a ") + label


def _is_html(data: bytes) -> bool:
    head = data[:2048].decode("utf-8", errors="ignore").lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<table", "<head", "<body", "<meta"))


def _looks_geojson(data: bytes) -> bool:
    head = data[:4096].decode("utf-8", errors="ignore")
    return bool(re.search(r'"type"\s*:\s*"(FeatureCollection|Feature)"', head)) or '"features"' in head


# --- tables --------------------------------------------------------------------------------------
@contextmanager
def _workbook(file: UserFile, limits: ReadLimits):
    """An Excel workbook, read-only, after the decompressed-size check of its members."""
    _check_zip(file, limits.max_xlsx_unpacked_bytes, limits)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(file.data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001  # openpyxl raises zipfile, KeyError, ValueError, XML errors
        raise DataSourceError(f"{file.name}: not a readable Excel workbook ({type(exc).__name__})") from None
    try:
        yield wb
    finally:
        wb.close()


def xlsx_sheet_names(file: UserFile, limits: ReadLimits = DEFAULT_LIMITS) -> list[str]:
    """The sheets of an Excel workbook, in order (after the same size checks as :func:`read_table`)."""
    with _workbook(file, limits) as wb:
        return list(wb.sheetnames)


def read_table(
    file: UserFile, limits: ReadLimits = DEFAULT_LIMITS, formats: Iterable[str] = ("csv", "xlsx"), sheet: str | None = None
) -> pd.DataFrame:
    """A CSV or Excel table as text cells (``""`` for empty), the header's names stripped.

    Refused with a named error: duplicate or missing column names, a row with more non-empty cells
    than the header has columns (a wrong delimiter or a broken quote: the row is named), more rows or
    columns than ``limits`` allow. A trailing delimiter on every row (an empty last cell) is dropped;
    short rows are padded with empty cells.
    """
    fmt = sniff_format(file, formats)
    if fmt == "xlsx":
        rows = _xlsx_rows(file, limits, sheet)
    elif fmt == "csv":
        rows = _csv_rows(file, limits)
    else:
        raise DataSourceError(f"{file.name}: a {FORMAT_LABELS[fmt]} is not a table")
    return _table_from_rows(rows, file.name, limits)


def read_pair_table(file: UserFile, columns: dict[str, tuple[str, ...]], limits: ReadLimits = DEFAULT_LIMITS) -> pd.DataFrame:
    """A long table (CSV or plain Parquet) of many rows, read by pyarrow, as text columns.

    ``columns`` maps each column wanted to the header names it may have (matched without case, spaces
    or underscores); other columns are ignored. Refused with a named error: a wanted column missing,
    two columns for one, more than ``limits.max_pair_rows`` rows, a Parquet file that unpacks to more
    than ``limits.max_unpacked_bytes``. Row ``k`` of the result is the file's data row ``k + 1``.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    fmt = sniff_format(file, ("csv", "table_parquet"))
    if fmt == "table_parquet":
        try:
            pf = pq.ParquetFile(io.BytesIO(file.data))
            meta = pf.metadata
            unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
            names = list(pf.schema_arrow.names)
        except Exception as exc:  # noqa: BLE001  # pyarrow raises ArrowInvalid, OSError...
            raise DataSourceError(f"{file.name}: not a readable Parquet file ({type(exc).__name__})") from None
        n_rows = meta.num_rows
        if unpacked > limits.max_unpacked_bytes:
            raise DataSourceError(
                f"{file.name}: unpacks to {_size(unpacked)}; gapmap reads files that unpack to at most {_size(limits.max_unpacked_bytes)}"
            )
    else:
        text = decode_text(file)
        first = text.split("\n", 1)[0]
        delimiter = max(",;\t|", key=first.count) if first else ","
        names = next(csv.reader([first], delimiter=delimiter)) if first else []
        n_rows = -1
    found = _match_columns([str(n).strip() for n in names], columns, file.name)
    if n_rows > limits.max_pair_rows:
        raise DataSourceError(f"{file.name}: {n_rows:,} rows; gapmap reads tables of at most {limits.max_pair_rows:,} rows")
    try:
        if fmt == "table_parquet":
            table = pq.read_table(io.BytesIO(file.data), columns=[names[i] for i in found.values()])
        else:
            table = pacsv.read_csv(
                io.BytesIO(text.encode("utf-8")),
                read_options=pacsv.ReadOptions(use_threads=True, block_size=8 * MB),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False),
                convert_options=pacsv.ConvertOptions(
                    include_columns=[names[i] for i in found.values()],
                    column_types={names[i]: pa.string() for i in found.values()},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
    except pa.ArrowInvalid as exc:
        raise DataSourceError(f"{file.name}: not a readable table ({_short(str(exc).splitlines()[0])[1:-1]})") from None
    if table.num_rows > limits.max_pair_rows:
        raise DataSourceError(f"{file.name}: {table.num_rows:,} rows; gapmap reads tables of at most {limits.max_pair_rows:,} rows")
    table = table.select([names[i] for i in found.values()]).rename_columns(list(found))
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _match_columns(names: list[str], columns: dict[str, tuple[str, ...]], source: str) -> dict[str, int]:
    def key(text: str) -> str:
        return re.sub(r"[\s_\-]+", "", text.lower())

    keys = [key(n) for n in names]
    found: dict[str, int] = {}
    for want, aliases in columns.items():
        hits = [i for i, k in enumerate(keys) if k in {key(a) for a in (want, *aliases)}]
        if not hits:
            raise DataSourceError(
                f"{source}: no column {want!r} (or {', '.join(repr(a) for a in aliases)}); its columns are {', '.join(map(repr, names[:20]))}"
            )
        if len(hits) > 1:
            raise DataSourceError(f"{source}: columns {' and '.join(repr(names[i]) for i in hits)} both look like {want!r}; keep one")
        found[want] = hits[0]
    return found


def _csv_rows(file: UserFile, limits: ReadLimits) -> Iterator[list[str]]:
    text = decode_text(file)
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    delimiter = "," if counts[","] else max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    csv.field_size_limit(limits.max_cell_chars)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            if "field larger" in str(exc):
                raise DataSourceError(f"{file.name}, line {line}: a cell longer than {limits.max_cell_chars:,} characters") from None
            raise DataSourceError(f"{file.name}, line {line}: not a readable CSV row ({exc})") from None
        yield row


def _xlsx_rows(file: UserFile, limits: ReadLimits, sheet: str | None = None) -> Iterator[list[str]]:
    with _workbook(file, limits) as wb:
        if sheet is not None and sheet not in wb.sheetnames:
            raise DataSourceError(f"{file.name}: no sheet {_short(sheet)}; it has {', '.join(map(repr, wb.sheetnames))}")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        try:
            for values in ws.iter_rows(values_only=True):
                yield [_excel_text(v) for v in values]
        except Exception as exc:  # noqa: BLE001  # a damaged sheet: openpyxl raises XML and value errors
            raise DataSourceError(f"{file.name}: not a readable Excel workbook ({type(exc).__name__})") from None


def _excel_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _table_from_rows(rows: Iterator[list[str]], name: str, limits: ReadLimits) -> pd.DataFrame:
    header = None
    for row in rows:
        if any(str(c).strip() for c in row):
            header = [str(c).strip().lstrip("\ufeff").strip() for c in row]
            break
    if header is None:
        raise DataSourceError(f"{name}: the file has no header row (it is empty)")
    while header and header[-1] == "":
        header.pop()  # a trailing delimiter on the header
    if len(header) > limits.max_columns:
        raise DataSourceError(f"{name}: {len(header):,} columns; gapmap reads tables of at most {limits.max_columns:,} columns")
    for i, col in enumerate(header):
        if col == "":
            header[i] = f"column {i + 1}"
    seen: dict[str, int] = {}
    for i, col in enumerate(header):
        key = " ".join(col.lower().split())
        if key in seen:
            raise DataSourceError(
                f"{name}: the column name {col!r} appears twice (columns {seen[key] + 1} and {i + 1}); give each column its own name"
            )
        seen[key] = i
    width = len(header)
    body: list[list[str]] = []
    for n, row in enumerate(rows, start=1):
        if not row:
            continue  # a blank line
        if len(row) > width:
            extra = [c for c in row[width:] if str(c).strip()]
            if extra:
                raise DataSourceError(
                    f"{name}, row {n}: {len(row)} cells but the header has {width} columns (the extra cell holds "
                    f"{_short(extra[0])}); check the delimiter and the quotes on that row"
                )
            row = row[:width]
        elif len(row) < width:
            row = [*row, *[""] * (width - len(row))]
        body.append(row)
        if len(body) > limits.max_rows:
            raise DataSourceError(f"{name}: more than {limits.max_rows:,} rows; gapmap reads tables of at most {limits.max_rows:,} rows")
    if not body:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in header})
    return pd.DataFrame(body, columns=header, dtype=object)


def _short(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _check_zip(file: UserFile, max_unpacked: int, limits: ReadLimits) -> list[zipfile.ZipInfo]:
    """The members of a zip, after checking their number and declared decompressed size (zipfile
    never inflates a member past its declared size, so the check bounds the work)."""
    try:
        with zipfile.ZipFile(io.BytesIO(file.data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        raise DataSourceError(f"{file.name}: not a readable zip file ({type(exc).__name__})") from None
    if len(infos) > limits.max_zip_members:
        raise DataSourceError(f"{file.name}: holds {len(infos):,} files; gapmap reads zip files of at most {limits.max_zip_members} files")
    total = sum(i.file_size for i in infos)
    if total > max_unpacked:
        raise DataSourceError(
            f"{file.name}: unpacks to {_size(total)} ({_size(len(file.data))} packed); gapmap reads files that unpack to at most "
            f"{_size(max_unpacked)}"
        )
    return infos


# --- JSON ----------------------------------------------------------------------------------------
def _no_constant(token: str):
    raise ValueError(f"{token} is not a number JSON allows")


def read_json(file: UserFile, what: str = "JSON document"):
    """Parse a JSON file strictly: UTF-8 (a BOM allowed) or latin-1, no ``NaN``/``Infinity``, numbers
    that overflow to infinity refused, nesting bounded by Python's recursion limit."""
    text = decode_text(file)
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise DataSourceError(f"{file.name}: nested too deeply to be a {what}") from None
    except ValueError as exc:
        raise DataSourceError(f"{file.name}: not a valid {what} ({_short(str(exc))[1:-1]})") from None


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:30]} is too large")
    return value


# --- geographic files ----------------------------------------------------------------------------
def read_geo(
    file: UserFile,
    limits: ReadLimits = DEFAULT_LIMITS,
    formats: Iterable[str] = ("geojson", "gpkg", "parquet", "shapefile"),
    layer: str | None = None,
):
    """A GeoDataFrame from a GeoJSON, GeoPackage, GeoParquet or zipped shapefile (see the module
    docstring for how each is opened). The coordinate system is the file's; a file that names none
    must hold degrees (else a named error), and is then taken as EPSG:4326."""
    fmt = sniff_format(file, formats)
    if fmt == "geojson":
        gdf = _read_geojson(file, limits)
    elif fmt == "gpkg":
        gdf = _read_gpkg(file, limits, layer)
    elif fmt == "parquet":
        gdf = _read_parquet(file, limits)
    elif fmt == "shapefile":
        gdf = _read_shapefile_zip(file, limits)
    else:
        raise DataSourceError(
            f"{file.name}: a {FORMAT_LABELS[fmt]} has no geometry; expected {', '.join(FORMAT_LABELS[f] for f in formats)}"
        )
    return _checked_geo(gdf, file.name, limits)


def _checked_geo(gdf, name: str, limits: ReadLimits):
    import shapely

    if len(gdf) > limits.max_features:
        raise DataSourceError(f"{name}: {len(gdf):,} features; gapmap reads files of at most {limits.max_features:,} features")
    if len(gdf.columns) > limits.max_columns + 1:
        raise DataSourceError(f"{name}: {len(gdf.columns) - 1:,} columns; gapmap reads files of at most {limits.max_columns:,} columns")
    cols = [str(c) for c in gdf.columns]
    lowered = [" ".join(c.lower().split()) for c in cols]
    dups = sorted({c for c, k in zip(cols, lowered) if lowered.count(k) > 1})
    if dups:
        raise DataSourceError(f"{name}: the column name {dups[0]!r} appears more than once; give each column its own name")
    geom = gdf.geometry.values
    n_coords = int(shapely.get_num_coordinates(geom).sum())
    if n_coords > limits.max_vertices:
        raise DataSourceError(f"{name}: {n_coords:,} vertices; gapmap reads files of at most {limits.max_vertices:,} vertices")
    coords = shapely.get_coordinates(geom)
    if len(coords) and not np.isfinite(coords).all():
        bad = int(np.flatnonzero(~np.isfinite(shapely.bounds(geom)).all(axis=1) & ~shapely.is_missing(geom))[0])
        raise DataSourceError(f"{name}, feature {bad + 1}: a coordinate is not a finite number (infinity or NaN)")
    if gdf.crs is None:
        if len(coords):
            x, y = coords[:, 0], coords[:, 1]
            if not (np.abs(x).max() <= 180 and np.abs(y).max() <= 90):
                i = int(np.argmax((np.abs(x) > 180) | (np.abs(y) > 90)))
                raise DataSourceError(
                    f"{name}: coordinates such as {x[i]:,.1f}, {y[i]:,.1f} are not longitude/latitude degrees, and the file does "
                    "not say which coordinate system they are in; export it in EPSG:4326 (degrees), or as a GeoPackage or "
                    "shapefile with its .prj"
                )
        gdf = gdf.set_crs(4326)
    return gdf


_CRS_NAME = re.compile(r"^(?:urn:ogc:def:crs:)?(?:(EPSG)::?(\d{4,6})|(OGC):(?:1\.3:)?(CRS84))$", re.IGNORECASE)


def _geojson_crs(content: dict, name: str):
    crs = content.get("crs")
    if crs is None:
        return None
    try:
        text = str(crs["properties"]["name"]).strip()
    except (TypeError, KeyError):
        raise DataSourceError(
            f"{name}: the 'crs' member is not of the form {{'type': 'name', 'properties': {{'name': 'EPSG:4326'}}}}"
        ) from None
    m = _CRS_NAME.match(text)
    if not m:
        raise DataSourceError(
            f"{name}: the coordinate system {_short(text)} is not one gapmap reads; expected an EPSG code such as EPSG:4326"
        )
    return "EPSG:4326" if m.group(3) else f"EPSG:{m.group(2)}"


def _read_geojson(file: UserFile, limits: ReadLimits):
    import geopandas as gpd
    from shapely.geometry import shape

    content = read_json(file, "GeoJSON file")
    if isinstance(content, dict) and content.get("type") == "Feature":
        content = {"type": "FeatureCollection", "features": [content]}
    if not isinstance(content, dict) or content.get("type") != "FeatureCollection" or not isinstance(content.get("features"), list):
        raise DataSourceError(f'{file.name}: not a GeoJSON FeatureCollection (expected {{"type": "FeatureCollection", "features": [...]}})')
    features = content["features"]
    if len(features) > limits.max_features:
        raise DataSourceError(f"{file.name}: {len(features):,} features; gapmap reads files of at most {limits.max_features:,} features")
    crs = _geojson_crs(content, file.name)
    geoms: list[object] = []
    props: list[dict] = []
    for n, feat in enumerate(features, start=1):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise DataSourceError(f"{file.name}, feature {n}: not a GeoJSON Feature")
        p = feat.get("properties")
        if p is None:
            p = {}
        if not isinstance(p, dict):
            raise DataSourceError(f"{file.name}, feature {n}: 'properties' is not an object")
        g = feat.get("geometry")
        if g is None:
            geoms.append(None)
        else:
            if not isinstance(g, dict):
                raise DataSourceError(f"{file.name}, feature {n}: 'geometry' is not an object")
            try:
                geoms.append(shape(g))
            except Exception as exc:  # noqa: BLE001  # shapely raises many types for malformed geometry
                raise DataSourceError(f"{file.name}, feature {n}: not a valid GeoJSON geometry ({type(exc).__name__})") from None
        props.append({str(k): (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in p.items()})
        if len(props[-1]) > limits.max_columns:
            raise DataSourceError(f"{file.name}, feature {n}: more than {limits.max_columns} properties")
    table = pd.DataFrame.from_records(props) if props else pd.DataFrame()
    if "geometry" in table.columns:
        table = table.rename(columns={"geometry": "geometry_property"})
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geoms, crs=crs).values, crs=crs)


_ALLOWED_VIRTUAL = re.compile(r"using\s+rtree", re.IGNORECASE)


def _gpkg_layers(path: Path, name: str) -> list[str]:
    """The feature tables of a GeoPackage, read with Python's sqlite3 (read-only); refuses virtual
    tables other than the R-tree spatial index (GDAL's VirtualOGR could open other files)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            schema = con.execute("select type, name, coalesce(sql, '') from sqlite_master").fetchall()
            for _type, obj, sql in schema:
                if "virtual" in sql.lower() and not _ALLOWED_VIRTUAL.search(sql):
                    raise DataSourceError(f"{name}: holds a virtual table ({_short(obj)}), which gapmap does not open in a GeoPackage")
            layers = [r[0] for r in con.execute("select table_name from gpkg_contents where data_type = 'features' order by rowid")]
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise DataSourceError(f"{name}: not a readable GeoPackage ({type(exc).__name__})") from None
    if not layers:
        raise DataSourceError(f"{name}: the GeoPackage has no feature layer")
    return layers


def _pyogrio_read(path: Path, name: str, limits: ReadLimits, layer: str | None = None):
    import pyogrio

    try:
        info = pyogrio.read_info(path, layer=layer)
        if info.get("features", 0) > limits.max_features:
            raise DataSourceError(f"{name}: {info['features']:,} features; gapmap reads files of at most {limits.max_features:,} features")
        return pyogrio.read_dataframe(path, layer=layer, max_features=limits.max_features + 1)
    except DataSourceError:
        raise
    except Exception as exc:  # noqa: BLE001  # pyogrio/GDAL raise many types; never show our temporary path
        text = str(exc).replace(str(path.parent), "").replace(str(path.name), name)
        raise DataSourceError(f"{name}: could not be read ({type(exc).__name__}: {_short(text)[1:-1]})") from None


def _read_gpkg(file: UserFile, limits: ReadLimits, layer: str | None):
    with tempfile.TemporaryDirectory(prefix="gapmap-") as tmp:
        path = Path(tmp) / "upload.gpkg"
        path.write_bytes(file.data)
        layers = _gpkg_layers(path, file.name)
        if layer is not None and layer not in layers:
            raise DataSourceError(f"{file.name}: no layer {_short(layer)}; it has {', '.join(layers)}")
        return _pyogrio_read(path, file.name, limits, layer or layers[0])


def _read_parquet(file: UserFile, limits: ReadLimits):
    import geopandas as gpd
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(file.data)).metadata
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except Exception as exc:  # noqa: BLE001  # pyarrow raises ArrowInvalid, OSError...
        raise DataSourceError(f"{file.name}: not a readable Parquet file ({type(exc).__name__})") from None
    if meta.num_rows > limits.max_features:
        raise DataSourceError(f"{file.name}: {meta.num_rows:,} rows; gapmap reads files of at most {limits.max_features:,} features")
    if unpacked > limits.max_unpacked_bytes:
        raise DataSourceError(
            f"{file.name}: unpacks to {_size(unpacked)}; gapmap reads files that unpack to at most {_size(limits.max_unpacked_bytes)}"
        )
    try:
        return gpd.read_parquet(io.BytesIO(file.data))
    except Exception as exc:  # noqa: BLE001  # no geo metadata, bad geometry...
        raise DataSourceError(f"{file.name}: not a readable GeoParquet file ({type(exc).__name__}: {_short(str(exc))[1:-1]})") from None


_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _read_shapefile_zip(file: UserFile, limits: ReadLimits):
    infos = _check_zip(file, limits.max_unpacked_bytes, limits)
    shps = [i for i in infos if i.filename.lower().endswith(".shp") and not i.is_dir()]
    if len(shps) != 1:
        names = ", ".join(display_name(i.filename) for i in shps[:5])
        raise DataSourceError(f"{file.name}: holds {len(shps)} shapefiles ({names}); upload a zip with exactly one")
    stem = shps[0].filename[:-4]
    parts = {i.filename[len(stem) :].lower(): i for i in infos if i.filename.lower().startswith(stem.lower()) and not i.is_dir()}
    missing = [p for p in (".shx", ".dbf") if p not in parts]
    if missing:
        raise DataSourceError(f"{file.name}: the shapefile lacks its {' and '.join(missing)} file; zip all of its parts together")
    with tempfile.TemporaryDirectory(prefix="gapmap-") as tmp, zipfile.ZipFile(io.BytesIO(file.data)) as zf:
        for ext in _SHAPEFILE_PARTS:
            if ext in parts:
                try:
                    data = zf.read(parts[ext])
                except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError, RuntimeError) as exc:
                    raise DataSourceError(
                        f"{file.name}: the member {display_name(parts[ext].filename)} cannot be unpacked ({type(exc).__name__})"
                    ) from None
                (Path(tmp) / f"upload{ext}").write_bytes(data)
        shp = (Path(tmp) / "upload.shp").read_bytes()[:4]
        if len(shp) < 4 or struct.unpack(">i", shp)[0] != 9994:
            raise DataSourceError(f"{file.name}: {display_name(shps[0].filename)} is not a shapefile (wrong file code)")
        return _pyogrio_read(Path(tmp) / "upload.shp", file.name, limits)
