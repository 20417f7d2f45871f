"""RUCA codes (USDA ERS rural-urban commuting area codes) by tract, from a file a planner provides."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gapmap import schema as S
from gapmap.errors import DataValidationError, Problem
from gapmap.sources.files import UserFile, read_table

__all__ = ["read_ruca", "attach_ruca"]

_RUCA_ID_COLUMNS = ("geoid", "tractfips", "tractfips20", "tract_fips", "fips", "state-county-tract fips code", "tract")


def read_ruca(data: bytes, filename: str) -> pd.Series:
    """RUCA codes by tract GEOID from a CSV or Excel file (USDA ERS's file, or any table with a GEOID
    column and a column whose name contains "RUCA", preferring the primary code)."""
    file = UserFile.of(filename, data)
    table = read_table(file)
    table = table.where(table != "", None)
    filename = file.name
    lower = {str(c).strip().lower(): c for c in table.columns}
    id_col = next((lower[c] for c in lower if c in _RUCA_ID_COLUMNS or c.startswith("state-county-tract")), None)
    ruca_cols = [c for c in lower if "ruca" in c]
    code_col = next((lower[c] for c in ruca_cols if "primary" in c), lower[ruca_cols[0]] if ruca_cols else None)
    if id_col is None or code_col is None:
        raise DataValidationError(
            filename,
            [
                Problem(
                    None,
                    "geoid" if id_col is None else "ruca",
                    None,
                    f"a tract GEOID column and a RUCA code column (the file has: {', '.join(map(str, table.columns))})",
                )
            ],
        )
    problems = []
    geoids, codes = [], []
    ids, is_geoid = S.repair_geoids(table[id_col])
    for row, (g, text, ok, c) in enumerate(zip(table[id_col], ids, is_geoid, table[code_col]), start=1):
        if not ok:
            problems.append(Problem(row, str(id_col), g, S.GEOID_EXPECTED))
            continue
        try:
            code = float(str(c).strip()) if c is not None and str(c).strip() != "" else np.nan
        except ValueError:
            code = None
        if code is None or (np.isfinite(code) and code != S.RUCA_NOT_CODED and not 1 <= code < 11):
            problems.append(Problem(row, str(code_col), c, "a RUCA code from 1 to 10 (decimals allowed), 99 or empty when not coded"))
            continue
        geoids.append(text)
        codes.append(np.nan if code == S.RUCA_NOT_CODED else code)
    if problems:
        raise DataValidationError(filename, problems)
    return pd.Series(codes, index=pd.Index(geoids, name=S.GEOID), name=S.RUCA, dtype=float)


def attach_ruca(tracts, ruca: pd.Series):
    """A copy of ``tracts`` with a ``ruca`` column from ``ruca`` (codes by GEOID); tracts absent from it
    have no code."""
    out = tracts.copy()
    out[S.RUCA] = out[S.GEOID].map(ruca[~ruca.index.duplicated()]).astype(float)
    return out
