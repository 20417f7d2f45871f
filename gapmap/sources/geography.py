"""Tract geometries from disk: GeoJSON, GeoPackage, GeoParquet or shapefile.

(Fetching TIGER/Line cartographic boundary files is a later addition to this module.)
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from gapmap.errors import DataSourceError
from gapmap.schema import validate_tracts

__all__ = ["TRACT_FORMATS", "read_tracts"]

#: File endings read as tract files.
TRACT_FORMATS = (".geojson", ".json", ".gpkg", ".parquet", ".geoparquet", ".shp", ".zip")


def read_tracts(path: str | Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read and validate a tract file (see :mod:`gapmap.schema` for the columns).

    Raises
    ------
    DataSourceError
        when the file is missing or is not a readable tract file.
    DataValidationError, MissingColumnError
        when its contents break the tract contract.
    """
    path = Path(path)
    if not path.exists():
        raise DataSourceError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in TRACT_FORMATS:
        raise DataSourceError(f"{path.name}: unsupported tract file type {suffix!r}; expected one of {', '.join(TRACT_FORMATS)}")
    try:
        if suffix in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception as exc:  # pyogrio/arrow raise many types; the user needs the file name and the cause
        raise DataSourceError(f"{path.name}: could not be read as a tract file ({type(exc).__name__}: {exc})") from exc
    return validate_tracts(gdf, source=path.name)
