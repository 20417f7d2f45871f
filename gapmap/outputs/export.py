"""Downloads and files: every table leaves gapmap through here.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return
before one, or their full-width forms) as a formula: a name such as ``=cmd|' /C calc'!A0`` in a licensing
export would run on the planner's computer. So, by construction:

* every text cell is neutralized **line by line**: line breaks inside a cell become ``\n`` (a bare
  carriage return starts a new row in Excel and LibreOffice even inside quotes' reach), and each line
  that would start a formula gets a leading apostrophe. Numbers stay numbers, including text cells that
  are exactly a number such as "-120.61";
* CSV files quote every text field (``QUOTE_NONNUMERIC``), the header included;
* the ``# key: value`` provenance lines are quoted CSV cells of their own (a comma in a dataset or file
  name never starts a new cell), neutralized like any other text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from gapmap.glossary import describe_privacy

__all__ = [
    "FORMULA_PREFIXES",
    "neutralize_formulas",
    "neutralize_text",
    "to_csv_bytes",
    "to_geojson_bytes",
    "to_xlsx_bytes",
    "to_gpkg_bytes",
    "about_lines",
    "to_about_text",
    "to_bundle_bytes",
]

#: What a spreadsheet reads as the start of a formula (and the full-width forms some accept).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

_PLAIN_NUMBER = re.compile(r"[+-]?(\d[\d,]*)?\.?\d+([eE][+-]?\d+)?")
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x0b|\x0c|\x85")


def _neutralize_line(line: str) -> str:
    lead = line.lstrip(" ")
    if lead.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(lead):
        return "'" + line
    return line


def neutralize_text(value: str) -> str:
    """``value`` with its line breaks as ``\n`` and every line that a spreadsheet would run as a
    formula prefixed by an apostrophe. A plain number ("-120.61", "+3") is data and stays as it is."""
    return "\n".join(_neutralize_line(line) for line in _LINE_BREAK.split(value))


def _neutralize(value):
    return neutralize_text(value) if isinstance(value, str) else value


def neutralize_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) cannot run as spreadsheet formulas."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype(object).map(_neutralize, na_action="ignore")
    out.columns = [_neutralize(str(c)) for c in out.columns]
    return out


def about_lines(about: Mapping[str, object]) -> list[str]:
    """``key: value`` lines describing where a table came from and with which parameters (one line each)."""
    return [" ".join(f"{k}: {v}".split()) for k, v in about.items()]


def to_about_text(about: Mapping[str, object], files: list[str] | None = None) -> str:
    """The provenance of downloaded tables as plain text: what the files are, then one ``key: value``
    line each (data source, parameters, weights, time, version). Lines that a spreadsheet would run as a
    formula are neutralized, as in the tables, since a .txt file may be opened in one."""
    head = ["Where these figures come from (gapmap)."]
    if files:
        head.append("Files: " + ", ".join(files) + ".")
    return "\n".join([*head, "", *(neutralize_text(line) for line in about_lines(about))]) + "\n"


def to_bundle_bytes(tables: Mapping[str, pd.DataFrame], about: Mapping[str, object], stem: str) -> bytes:
    """A ZIP of CSV files (``<name>.csv``, header on line 1) and ``<stem>.about.txt`` with their provenance."""
    import zipfile

    buf = io.BytesIO()
    names = [f"{name}.csv" for name in tables]
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, df in tables.items():
            z.writestr(f"{name}.csv", to_csv_bytes(df))
        z.writestr(f"{stem}.about.txt", to_about_text(about, names).encode("utf-8"))
    return buf.getvalue()


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a byte-order mark (so Excel shows accents), text quoted, formulas neutralized.

    The header is line 1, so Excel, QGIS and ``pandas.read_csv`` with its defaults read the file as it
    is. Where the table came from travels beside it: :func:`to_about_text` in a ZIP bundle
    (:func:`to_bundle_bytes`), the About sheet of the Excel file, or a ``.about.txt`` file of the CLI.
    """
    buf = io.StringIO()
    table = df.drop(columns="geometry", errors="ignore")
    neutralize_formulas(pd.DataFrame(table)).to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    return buf.getvalue().encode("utf-8-sig")


def to_geojson_bytes(gdf) -> bytes:
    """GeoJSON (EPSG:4326) of a GeoDataFrame; categories as text, missing values as null."""
    import json

    import geopandas as gpd

    out = gpd.GeoDataFrame(gdf.copy(), geometry=gdf.geometry.name, crs=gdf.crs)
    if out.crs is not None and not out.crs.equals("EPSG:4326"):
        out = out.to_crs(4326)
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        if (
            isinstance(s.dtype, pd.CategoricalDtype)
            or pd.api.types.is_bool_dtype(s)
            or s.dtype == object
            or pd.api.types.is_string_dtype(s)
        ):
            out[col] = s.astype(object).where(s.notna(), None)
    data = json.loads(out.to_json(na="null", drop_id=True))
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame], about: Mapping[str, object]) -> bytes:
    """An Excel workbook: one sheet per table (formulas neutralized, text stays text) and an ``About``
    sheet listing data sources, parameters, weights, time of generation and gapmap version."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(title=name[:31])
        table = neutralize_formulas(pd.DataFrame(df.drop(columns="geometry", errors="ignore")))
        ws.append([str(c) for c in table.columns])
        for row in table.itertuples(index=False):
            cells: list[object] = []
            for v in row:
                if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
                    cells.append(None)
                elif isinstance(v, (np.integer, np.floating, np.bool_)):
                    cells.append(v.item())
                else:
                    cells.append(v if isinstance(v, (int, float, bool)) else str(v))
            ws.append(cells)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for i, col in enumerate(table.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = min(45, max(10, len(str(col)) + 2))
        for row in ws.iter_rows(min_row=2):  # text cells are text: never evaluated
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    about_ws = wb.create_sheet(title="About")
    about_ws.append(["item", "value"])
    for k, v in about.items():
        about_ws.append([neutralize_text(str(k)), neutralize_text(str(v))])
    about_ws.column_dimensions["A"].width = 34
    about_ws.column_dimensions["B"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_gpkg_bytes(gdf, layer: str = "priorities", about: Mapping[str, object] | None = None) -> bytes:
    """A GeoPackage of a GeoDataFrame (categories as text); ``about`` becomes the layer's metadata
    (GDAL metadata items, which QGIS shows in the layer's properties)."""
    import tempfile
    from pathlib import Path

    import geopandas as gpd

    out = gpd.GeoDataFrame(gdf.copy(), geometry=gdf.geometry.name, crs=gdf.crs)
    for col in out.columns:
        if col != out.geometry.name and (isinstance(out[col].dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(out[col])):
            out[col] = out[col].astype(object).where(out[col].notna(), None).astype(str)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.gpkg"
        metadata = {str(k): neutralize_text(str(v)) for k, v in (about or {}).items()}
        out.to_file(path, layer=layer, driver="GPKG", engine="pyogrio", layer_metadata=metadata or None)
        return path.read_bytes()


#: Formats of a priority list, by file ending (.zip: the CSV files with their provenance).
PRIORITY_FORMATS = (".csv", ".zip", ".xlsx", ".geojson", ".gpkg")


def priority_about(label: str, params, weights, preset: str, top: int, chance: str | None = None, travel: str | None = None) -> dict:
    """Where a priority list came from, in sentences with every value (the About sheet, the .about.txt);
    ``chance``: the desert chance's sentence, when the figures have it; ``travel``: where the travel times
    came from, when access was measured on them."""
    from datetime import UTC, datetime

    from gapmap import __version__
    from gapmap.analysis.ranking import describe_weights
    from gapmap.glossary import describe_params

    return {
        "What this is": f"The {top:,} census tracts to serve first, by a priority score (gapmap {__version__}).",
        "Data": f"{label}.",
        "Made": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC") + ".",
        **describe_weights(weights, preset),
        **describe_params(params, travel),
        **({"Desert chance": chance} if chance else {}),
    }


#: What privacy mode does to family child care homes in an export, in the words of the About sheet.
PRIVACY_NOTE = describe_privacy(True)


def private_providers(providers: pd.DataFrame, privacy: bool) -> pd.DataFrame:
    """The providers as an export may show them: with ``privacy``, a family child care home keeps its
    tract (``geoid``) and loses its coordinates and address (many states keep home addresses confidential)."""
    from gapmap import schema as S

    if not privacy:
        return providers
    out = providers.copy()
    home = (out[S.PROVIDER_TYPE] == "family_home").to_numpy()
    for col in (S.LATITUDE, S.LONGITUDE, S.ADDRESS):
        if col in out.columns:
            out[col] = out[col].astype(object).where(~home, None)
    return out


def to_priority_bytes(
    suffix: str,
    result,
    ranked: pd.DataFrame,
    weights,
    top: int,
    about: Mapping[str, object],
    scenario: list[dict] | None = None,
    privacy: bool = False,
) -> bytes:
    """The top ``top`` of a ranking as .csv, .xlsx (Priorities, Priority areas, Tracts, Providers, [Scenario,]
    About), .geojson or .gpkg. ``ranked`` is :func:`gapmap.analysis.ranking.rank_tracts` output (with a ``why`` column).
    A ``scenario`` (its changes, as in the scenario JSON) is recorded in About and, in Excel, its own sheet.
    With ``privacy``, family child care homes appear in the Providers sheet with their tract only, and
    About says so."""
    import geopandas as gpd

    from gapmap import schema as S
    from gapmap.analysis.ranking import rank_areas
    from gapmap.metrics import compute_metrics_table

    suffix = suffix.lower()
    about = {**about, "Privacy": describe_privacy(privacy)}
    if scenario:
        import json

        about = {
            **about,
            "Scenario": f"The figures include a scenario of {len(scenario)} changes (listed in full below and, in Excel, on the Scenario sheet).",
            "Scenario changes": json.dumps(scenario),
        }
    if suffix not in PRIORITY_FORMATS:
        from gapmap.errors import ParameterError

        raise ParameterError(f"priority list format {suffix!r}: expected one of {', '.join(PRIORITY_FORMATS)}")
    head = ranked.head(top)
    if suffix == ".csv":
        return to_csv_bytes(head)
    if suffix == ".zip":
        return to_bundle_bytes(
            {"gapmap_priorities": head, "gapmap_priority_areas": rank_areas(result, ranked, top)}, about, "gapmap_priorities"
        )
    if suffix == ".xlsx":
        sheets = {
            "Priorities": head,
            "Priority areas": rank_areas(result, ranked, top),
            "Tracts": compute_metrics_table(result, weights.band),
            "Providers": private_providers(result.providers, privacy),
        }
        if scenario:
            sheets["Scenario"] = pd.DataFrame(scenario)
        return to_xlsx_bytes(sheets, about)
    geo = result.tracts.set_index(S.GEOID).loc[head[S.GEOID], "geometry"].to_numpy()
    gdf = gpd.GeoDataFrame(head.reset_index(drop=True), geometry=list(geo), crs=result.tracts.crs)
    return to_geojson_bytes(gdf) if suffix == ".geojson" else to_gpkg_bytes(gdf, about=about)


#: Formats of a region comparison.
COMPARE_FORMATS = (".csv", ".zip", ".xlsx", ".geojson")


def to_compare_bytes(suffix: str, comparison, result, about: Mapping[str, object]) -> bytes:
    """A region comparison (:func:`gapmap.regions.compare.compare_regions`) as .csv (one row per region, every
    roll-up column), .xlsx (Comparison as people read it, Roll-up, Who lives in deserts, Region of each
    tract, About) or .geojson (one polygon per region with the roll-up columns)."""
    from gapmap.regions import dissolve_regions
    from gapmap.regions.compare import compute_compare_rows

    suffix = suffix.lower()
    if suffix not in COMPARE_FORMATS:
        from gapmap.errors import ParameterError

        raise ParameterError(f"comparison format {suffix!r}: expected one of {', '.join(COMPARE_FORMATS)}")
    if suffix == ".csv":
        return to_csv_bytes(comparison.rollup)
    if suffix == ".zip":
        return to_bundle_bytes(
            {
                "gapmap_compare": compute_compare_rows(comparison.rollup, result.bands),
                "gapmap_compare_rollup": comparison.rollup,
                "gapmap_who_lives_in_deserts": comparison.equity,
            },
            about,
            "gapmap_compare",
        )
    assignment = comparison.assignment
    if suffix == ".xlsx":
        return to_xlsx_bytes(
            {
                "Comparison": compute_compare_rows(comparison.rollup, result.bands),
                "Roll-up": comparison.rollup,
                "Who lives in deserts": comparison.equity,
                **({"How sure (children in deserts)": comparison.chance} if comparison.chance is not None else {}),
                "Region of each tract": assignment.table,
            },
            about,
        )
    regions = dissolve_regions(result.tracts, assignment, comparison.regions)
    return to_geojson_bytes(regions.merge(comparison.rollup, on="region", how="left"))
