"""Downloads and files: every table leaves gapmap through here.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-`` or ``@``, and
the tab / carriage-return variants) are neutralized with a leading apostrophe. Numbers stay numbers,
including text cells that are exactly a number such as "-120.61".
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "neutralize_formulas", "to_csv_bytes", "to_geojson_bytes", "about_lines"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


_PLAIN_NUMBER = re.compile(r"[+-]?(\d[\d,]*)?\.?\d+([eE][+-]?\d+)?")


def _neutralize(value):
    """Prefix an apostrophe to text a spreadsheet would run as a formula. A cell that is a plain number
    ("-120.61", "+3") is data, not a formula, and stays as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralize_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot run as spreadsheet formulas."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.map(_neutralize, na_action="ignore")
    out.columns = [_neutralize(str(c)) for c in out.columns]
    return out


def about_lines(about: Mapping[str, object]) -> list[str]:
    """``key: value`` lines describing where a table came from and with which parameters."""
    return [f"{k}: {v}" for k, v in about.items()]


def to_csv_bytes(df: pd.DataFrame, about: Mapping[str, object] | None = None) -> bytes:
    """CSV in UTF-8 with a byte-order mark (so Excel shows accents), formulas neutralized.

    With ``about``, the table is preceded by ``# key: value`` lines (data source, parameters); read it
    back with ``pandas.read_csv(..., skiprows=<number of # lines>)``.
    """
    buf = io.StringIO()
    if about:
        for line in about_lines(about):
            buf.write("# " + line.replace("\n", " ") + "\n")
    table = df.drop(columns="geometry", errors="ignore")
    neutralize_formulas(pd.DataFrame(table)).to_csv(buf, index=False, lineterminator="\n")
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
