"""Provider lists from disk: CSV (UTF-8, UTF-8 with BOM, or latin-1), XLSX, or GeoJSON points.

Every cell is read as text so that validation reports exactly what the file says.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gapmap import schema as S
from gapmap.errors import DataSourceError

__all__ = ["PROVIDER_FORMATS", "read_provider_table", "read_providers"]

PROVIDER_FORMATS = (".csv", ".xlsx", ".geojson", ".json")


def read_provider_table(path: str | Path) -> pd.DataFrame:
    """Read a provider file as a table of text cells, without validating it."""
    path = Path(path)
    if not path.exists():
        raise DataSourceError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        for encoding in ("utf-8-sig", "latin-1"):
            try:
                return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
            except UnicodeDecodeError:
                continue
            except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
                raise DataSourceError(f"{path.name}: not a readable CSV file ({exc})") from exc
    if suffix == ".xlsx":
        try:
            return pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError on broken files
            raise DataSourceError(f"{path.name}: not a readable Excel file ({type(exc).__name__}: {exc})") from exc
    if suffix in (".geojson", ".json"):
        import geopandas as gpd
        import shapely

        try:
            gdf = gpd.read_file(path)
        except Exception as exc:
            raise DataSourceError(f"{path.name}: not a readable GeoJSON file ({type(exc).__name__}: {exc})") from exc
        if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
            gdf = gdf.to_crs(4326)
        table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        is_point = shapely.get_type_id(gdf.geometry.values) == 0
        if S.LONGITUDE not in table.columns:
            table[S.LONGITUDE] = pd.Series(shapely.get_x(gdf.geometry.values)).where(is_point)
        if S.LATITUDE not in table.columns:
            table[S.LATITUDE] = pd.Series(shapely.get_y(gdf.geometry.values)).where(is_point)
        return table
    raise DataSourceError(f"{path.name}: unsupported provider file type {suffix!r}; expected one of {', '.join(PROVIDER_FORMATS)}")


def read_providers(path: str | Path) -> pd.DataFrame:
    """Read and validate a provider file (see :mod:`gapmap.schema`); raises on any bad value."""
    return S.validate_providers(read_provider_table(path), source=Path(path).name)
