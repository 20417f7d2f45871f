"""Candidate sites for new child care (a planner's list of places that could host one), from a file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gapmap.errors import DataSourceError
from gapmap.schema import parse_numbers
from gapmap.sources.files import UserFile, display_name

__all__ = ["read_candidate_sites"]


def read_candidate_sites(source: str | Path | UserFile) -> pd.DataFrame:
    """``name``, ``latitude`` and ``longitude`` of each candidate site in a CSV, Excel or GeoJSON file
    (opened by the safe reader). Coordinates must be numbers in degrees; the first bad rows are named."""
    from gapmap.sources.providers import read_provider_table

    table = read_provider_table(source)
    name = display_name(source.name if isinstance(source, (UserFile, Path)) else Path(source).name)
    cols = {str(c).lower(): c for c in table.columns}
    missing = [c for c in ("name", "latitude", "longitude") if c not in cols]
    if missing:
        raise DataSourceError(f"{name}: candidate sites need the columns name, latitude, longitude (missing: {', '.join(missing)})")
    lat, lon = parse_numbers(table[cols["latitude"]])[0], parse_numbers(table[cols["longitude"]])[0]  # inf, NaN, 1e309 unreadable
    candidates = pd.DataFrame({"name": table[cols["name"]].to_numpy(), "latitude": lat.to_numpy(), "longitude": lon.to_numpy()})
    bad = candidates[["latitude", "longitude"]].isna().any(axis=1) | (lat.abs() > 90) | (lon.abs() > 180)
    if bad.any():
        rows = ", ".join(str(i + 1) for i in candidates.index[bad][:10])
        raise DataSourceError(f"{name}: rows {rows}: latitude and longitude must be numbers in degrees")
    return candidates
