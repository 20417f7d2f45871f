"""Travel times brought by the user: a long table of (tract GEOID, provider id, minutes).

Any routing tool makes such a table (ArcGIS Network Analyst's OD cost matrix, OSRM's or Valhalla's table
service, r5's travel-time matrix, a state GIS office), and ``gapmap travel-times`` makes one from an
OpenStreetMap extract (:mod:`gapmap.sources.routing`). One row per pair of a tract and a provider the
tract can reach; a pair with no row is out of reach.

The file is read by the one safe reader (:func:`gapmap.sources.files.read_pair_table`: CSV or Parquet,
size limits) and checked row by row, like every input: every row is accepted or rejected with its reason
(rows read = accepted + rejected), and the rejected rows download. A row is rejected when its GEOID is
missing, is not a GEOID or is not one of the region's tracts; when its provider id is missing or is not
one of the region's providers; when its minutes are missing, not a number, negative or infinite; or when
it repeats the pair of an earlier row (the first one counts). Tracts with no row at all are named in the
notes ("no provider within the table's reach"); their access is 0, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapmap import schema as S
from gapmap.errors import DataSourceError
from gapmap.sources.files import DEFAULT_LIMITS, ReadLimits, UserFile, as_user_file, read_pair_table

__all__ = [
    "TRAVEL_COLUMNS",
    "MINUTES",
    "TravelTimes",
    "TravelTimesImport",
    "import_travel_times",
    "check_travel_times",
    "read_travel_times",
]

MINUTES = "minutes"
#: The columns of a travel-time table and the other names they go by in the tools that make them
#: (ArcGIS OD cost matrix: OriginName / DestinationName / Total_TravelTime; r5py: from_id / to_id / travel_time).
TRAVEL_COLUMNS: dict[str, tuple[str, ...]] = {
    S.GEOID: ("tract", "tract_geoid", "geoid20", "geoid10", "origin", "origin_id", "origin_name", "originname", "from_id"),
    S.PROVIDER_ID: ("provider", "destination", "destination_id", "destination_name", "destinationname", "dest_id", "to_id"),
    MINUTES: ("travel_time", "travel_minutes", "total_traveltime", "total_time", "duration_min", "drive_minutes", "time_min"),
}


@dataclass(frozen=True)
class TravelTimes:
    """Minutes from tracts to providers, as positions into a region's tracts and providers (sorted by
    provider, then tract). ``max_minutes``: the reach of the table (how far it was made to look), when
    known. ``source``: where the minutes came from, in a planner's words. ``router``: what gives a new
    site its minutes from the same network (:class:`gapmap.sources.routing.SiteRouter`), when the table
    was made here from a road network; None for a table brought from elsewhere."""

    tract: np.ndarray
    provider: np.ndarray
    minutes: np.ndarray
    n_tracts: int
    n_providers: int
    source: str
    max_minutes: float | None = None
    router: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        order = np.lexsort((self.tract, self.provider))
        object.__setattr__(self, "tract", np.ascontiguousarray(self.tract[order], dtype=np.int64))
        object.__setattr__(self, "provider", np.ascontiguousarray(self.provider[order], dtype=np.int64))
        object.__setattr__(self, "minutes", np.ascontiguousarray(self.minutes[order], dtype=float))

    def __len__(self) -> int:
        return len(self.minutes)

    def reach(self) -> float:
        """The table's reach in minutes: as made, else its longest time."""
        return float(self.max_minutes) if self.max_minutes else float(self.minutes.max(initial=0.0))

    def to_frame(self, geoids: np.ndarray, provider_ids: np.ndarray) -> pd.DataFrame:
        """The long table (geoid, provider_id, minutes) again."""
        return pd.DataFrame(
            {
                S.GEOID: np.asarray(geoids, dtype=object)[self.tract],
                S.PROVIDER_ID: np.asarray(provider_ids, dtype=object)[self.provider],
                MINUTES: self.minutes,
            }
        )


@dataclass
class TravelTimesImport:
    """What reading a travel-time table did: the accepted rows as :class:`TravelTimes`, the rejected rows
    (``row``: 1-based data row, the row's cells and ``reason``), and notes (such as the tracts no row reaches)."""

    source: str
    times: TravelTimes
    rejected: pd.DataFrame
    rows_read: int
    tracts_without_rows: list[str]
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.rows_read != len(self.times) + len(self.rejected):  # nothing may be dropped silently
            raise DataSourceError(
                f"{self.source}: {self.rows_read} rows read but {len(self.times)} accepted + {len(self.rejected)} rejected"
            )

    def summary(self) -> str:
        return f"{self.source}: {self.rows_read:,} rows read, {len(self.times):,} accepted, {len(self.rejected):,} rejected"

    def about(self) -> dict:
        """What a saved dataset records of this table (about.json)."""
        return {
            "file": self.source,
            "rows_read": self.rows_read,
            "accepted": len(self.times),
            "rejected": len(self.rejected),
            "tracts_without_rows": len(self.tracts_without_rows),
            "max_minutes": self.times.max_minutes,
            "notes": list(self.notes),
        }


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


def _minutes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Minutes as floats (NaN where missing) and a mask of the cells that are not numbers."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = values.astype("float64").to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isinf(out), np.nan, out), np.isinf(out)
    codes, uniques = _codes(values)
    parsed, bad = S.parse_numbers(pd.Series(uniques.astype(object), dtype=object))
    minutes = np.append(parsed.to_numpy(float), np.nan)[codes]  # code -1 (missing) -> the NaN at the end
    return minutes, np.append(bad.to_numpy(bool), False)[codes]


def check_travel_times(
    table: pd.DataFrame,
    geoids: np.ndarray,
    provider_ids: np.ndarray,
    source: str,
    max_minutes: float | None = None,
    router: Any = None,
) -> TravelTimesImport:
    """Check a long table (columns ``geoid``, ``provider_id``, ``minutes``) against a region's tracts
    (``geoids``) and providers (``provider_ids``), row by row; see the module notes."""
    n = len(table)
    geoids = np.asarray(geoids, dtype=object)
    provider_ids = np.asarray(provider_ids, dtype=object)
    tract_of = pd.Index(geoids)
    prov_of = pd.Index(provider_ids.astype(str))

    g_codes, g_uniques = _codes(table[S.GEOID])
    repaired, g_ok = S.repair_geoids(pd.Series(g_uniques.astype(object), dtype=object))
    g_text = np.append(np.asarray(g_uniques.astype(str), dtype=object), "")[g_codes]
    g_blank = np.append(pd.Series(g_uniques.astype(str)).str.strip().eq("").to_numpy(), True)[g_codes]
    g_valid = np.append(g_ok.to_numpy(bool), False)[g_codes]
    g_pos_u = tract_of.get_indexer(pd.Index(repaired.fillna("").astype(str)))
    tract_pos = np.append(g_pos_u, -1)[g_codes]

    p_codes, p_uniques = _codes(table[S.PROVIDER_ID])
    p_clean = pd.Index(pd.Series(p_uniques.astype(str)).str.strip())
    p_text = np.append(np.asarray(p_uniques.astype(str), dtype=object), "")[p_codes]
    p_blank = np.append(np.asarray(p_clean == "", dtype=bool), True)[p_codes]
    prov_pos = np.append(prov_of.get_indexer(p_clean), -1)[p_codes]

    minutes, m_bad = _minutes(table[MINUTES])
    m_text = table[MINUTES].astype(str).to_numpy(dtype=object) if n else np.zeros(0, dtype=object)

    reason = np.full(n, "", dtype=object)

    def flag(mask: np.ndarray, why: str) -> None:
        reason[(reason == "") & mask] = why

    flag(g_blank, "no tract GEOID")
    flag(~g_valid, f"the GEOID is not {S.GEOID_EXPECTED}")
    flag(tract_pos < 0, "no tract with this GEOID in the region")
    flag(p_blank, "no provider id")
    flag(prov_pos < 0, "no provider with this id in the region")
    flag(np.isnan(minutes) & ~m_bad, "no minutes")
    flag(m_bad, "the minutes are not a number")
    with np.errstate(invalid="ignore"):
        flag(minutes < 0, "the minutes are negative: expected a travel time of 0 minutes or more")
    ok = reason == ""
    pair = np.where(ok, tract_pos * max(len(provider_ids), 1) + prov_pos, -1)
    seen = pd.Series(pair).duplicated(keep="first").to_numpy() & ok
    if seen.any():
        first = pd.Series(np.arange(n)).groupby(pair).transform("min").to_numpy()
        dup_rows = np.flatnonzero(seen)
        reason[dup_rows] = [f"repeats the tract and provider of row {int(first[i]) + 1}" for i in dup_rows]
        ok &= ~seen
    keep = np.flatnonzero(ok)
    bad = np.flatnonzero(~ok)
    rejected = pd.DataFrame({"row": bad + 1, S.GEOID: g_text[bad], S.PROVIDER_ID: p_text[bad], MINUTES: m_text[bad], "reason": reason[bad]})
    if len(keep) == 0 and n:
        top = rejected["reason"].value_counts().index[0]
        raise DataSourceError(
            f"{source}: none of its {n:,} rows can be used (most say: {top}); rejected rows: row {int(bad[0]) + 1} is the first"
        )
    times = TravelTimes(tract_pos[keep], prov_pos[keep], minutes[keep], len(geoids), len(provider_ids), source, max_minutes, router)
    reached = np.zeros(len(geoids), dtype=bool)
    reached[times.tract] = True
    without = [str(g) for g in geoids[~reached]]
    notes = []
    if without:
        listed = ", ".join(without[:5]) + (f" and {len(without) - 5:,} more" if len(without) > 5 else "")
        notes.append(
            f"{len(without):,} of {len(geoids):,} tracts have no row in the travel-time table: no provider within the table's "
            f"reach, so their access by travel time is 0 ({listed})."
        )
    if len(rejected):
        counts = rejected["reason"].str.replace(r"row \d+", "an earlier row", regex=True).value_counts()
        notes.append(f"{len(rejected):,} rows rejected: " + "; ".join(f"{k:,} {why}" for why, k in counts.items()) + ".")
    return TravelTimesImport(source, times, rejected, n, without, notes)


def read_travel_times(source: str | Path | UserFile, limits: ReadLimits = DEFAULT_LIMITS) -> pd.DataFrame:
    """The three columns of a travel-time file (CSV or Parquet), unchecked."""
    file = as_user_file(source, limits)
    return read_pair_table(file, TRAVEL_COLUMNS, limits)


def import_travel_times(
    source: str | Path | UserFile,
    geoids: np.ndarray,
    provider_ids: np.ndarray,
    limits: ReadLimits = DEFAULT_LIMITS,
    max_minutes: float | None = None,
) -> TravelTimesImport:
    """Read and check a travel-time file against a region's tracts and providers (see the module notes)."""
    file = as_user_file(source, limits)
    table = read_pair_table(file, TRAVEL_COLUMNS, limits)
    return check_travel_times(table, geoids, provider_ids, file.name, max_minutes)
