"""Addresses to coordinates through the Census Bureau's batch geocoder.

The batch endpoint takes a CSV of ``id, street, city, state, zip`` rows (at most 10,000 a request) as
the multipart field ``addressFile`` with ``benchmark=Public_AR_Current``, and answers a CSV without a
header, one line per address, in any order::

    "1","101 Main St, Riverton, OR, 97000","Match","Exact","101 MAIN ST, RIVERTON, OR, 97000","-120.6023,44.3012","636145","L"
    "2","9 Nowhere Rd, Riverton, OR, 97000","No_Match"
    "3","5 School Rd, Riverton, OR, 97000","Tie"

Answers are cached by normalized address (a JSON file the caller names), so a list is geocoded once.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gapmap.errors import DataSourceError, NetworkError, ParameterError

__all__ = ["GEOCODER_URL", "BATCH_LIMIT", "GeocodeOutcome", "parse_batch_answer", "geocode_addresses", "address_key"]

GEOCODER_URL = "https://geocoding.geo.census.gov/geocoder/locations/addressbatch"
BATCH_LIMIT = 10_000


def address_key(street: str, city: str, state: str, zip_code: str) -> str:
    return " | ".join(" ".join(str(p).upper().split()) for p in (street, city, state, zip_code))


@dataclass(frozen=True)
class GeocodeOutcome:
    """Per input id: ``status`` (Match, No_Match, Tie, or the failure), and for matches the
    ``longitude``, ``latitude`` and ``matched_address``."""

    table: pd.DataFrame

    @property
    def matched(self) -> pd.DataFrame:
        return self.table[self.table["status"] == "Match"]

    @property
    def failed(self) -> pd.DataFrame:
        return self.table[self.table["status"] != "Match"]


def parse_batch_answer(text: str) -> list[dict]:
    """The geocoder's CSV answer -> one dict per line (id, status, matched_address, longitude, latitude)."""
    out = []
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0].strip():
            continue
        rec = {
            "id": row[0].strip(),
            "status": row[2].strip() if len(row) > 2 else "No answer",
            "matched_address": "",
            "longitude": float("nan"),
            "latitude": float("nan"),
        }
        if rec["status"] == "Match":
            try:
                lon, lat = (float(v) for v in row[5].split(","))
                if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
                    raise ValueError(row[5])
            except (IndexError, ValueError):
                rec["status"] = "Unreadable answer"
            else:
                rec.update(longitude=lon, latitude=lat, matched_address=row[4].strip() if len(row) > 4 else "")
        out.append(rec)
    return out


def geocode_addresses(
    addresses: pd.DataFrame,
    session,
    cache_file: Path | None = None,
    progress: Callable[[str], None] | None = None,
    batch_size: int = BATCH_LIMIT,
    timeout_s: float = 600.0,
) -> GeocodeOutcome:
    """Geocode ``addresses`` (columns id, street, city, state, zip) in batches of at most 10,000.

    Raises :class:`GapmapError` listing the addresses still without coordinates when the geocoder
    cannot be reached (the cached answers are kept either way).
    """
    import requests

    if not 0 < batch_size <= BATCH_LIMIT:
        raise ParameterError(f"batch_size = {batch_size}: the Census geocoder takes 1 to {BATCH_LIMIT} addresses a request")
    cache = _load_cache(cache_file, progress)
    keys = [address_key(r.street, r.city, r.state, r.zip) for r in addresses.itertuples(index=False)]
    todo = addresses[[k not in cache for k in keys]]
    batches = [todo.iloc[i : i + batch_size] for i in range(0, len(todo), batch_size)]
    for n, batch in enumerate(batches, start=1):
        if progress:
            progress(f"Geocoding batch {n} of {len(batches)} ({len(batch)} addresses)")
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(batch[["id", "street", "city", "state", "zip"]].astype(str).values.tolist())
        try:
            resp = session.post(
                GEOCODER_URL,
                data={"benchmark": "Public_AR_Current"},
                files={"addressFile": ("addresses.csv", buf.getvalue().encode("utf-8"), "text/csv")},
                timeout=timeout_s,
            )
        except requests.RequestException as exc:
            _save(cache_file, cache)
            waiting = todo.iloc[(n - 1) * batch_size :]
            listed = "; ".join(f"{r.id}: {r.street}, {r.city}" for r in waiting.head(10).itertuples(index=False))
            more = f" and {len(waiting) - 10} more" if len(waiting) > 10 else ""
            raise NetworkError(
                f"The Census geocoder could not be reached ({type(exc).__name__}). {len(waiting)} addresses still need "
                f"coordinates: {listed}{more}. Add latitude/longitude columns, or try again when online."
            ) from None
        if resp.status_code != 200:
            _save(cache_file, cache)
            raise NetworkError(f"The Census geocoder answered HTTP {resp.status_code}; try again later ({len(todo)} addresses waiting).")
        try:
            by_id = {rec["id"]: rec for rec in parse_batch_answer(resp.text)}
        except csv.Error:
            _save(cache_file, cache)
            raise DataSourceError(
                f"The Census geocoder sent an answer that is not a CSV table; try again later ({len(todo)} addresses waiting)."
            ) from None
        for r in batch.itertuples(index=False):
            rec = by_id.get(str(r.id), {"status": "No answer", "matched_address": "", "longitude": None, "latitude": None})
            cache[address_key(r.street, r.city, r.state, r.zip)] = {k: v for k, v in rec.items() if k != "id"}
    _save(cache_file, cache)
    rows = []
    for r, k in zip(addresses.itertuples(index=False), keys):
        rec = cache[k]
        rows.append(
            {
                "id": r.id,
                "status": rec["status"],
                "matched_address": rec.get("matched_address", ""),
                "longitude": rec.get("longitude"),
                "latitude": rec.get("latitude"),
            }
        )
    return GeocodeOutcome(pd.DataFrame(rows, columns=["id", "status", "matched_address", "longitude", "latitude"]))


def _load_cache(cache_file: Path | None, progress: Callable[[str], None] | None = None) -> dict[str, dict]:
    """The cached answers; a damaged cache (cut short, not JSON, wrong shape) is set aside as
    ``<name>.damaged`` and rebuilt, so one bad write never breaks every later geocode."""
    if cache_file is None or not cache_file.exists():
        return {}
    try:
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
        if not isinstance(cache, dict) or not all(isinstance(v, dict) and isinstance(v.get("status"), str) for v in cache.values()):
            raise ValueError("not a cache of answers")
        return cache
    except (OSError, ValueError, UnicodeDecodeError):
        aside = cache_file.with_name(cache_file.name + ".damaged")
        try:
            cache_file.replace(aside)
        except OSError:
            pass
        if progress:
            progress("The saved geocoder answers were damaged; they were set aside and addresses are geocoded again.")
        return {}


def _save(cache_file: Path | None, cache: dict) -> None:
    """Write the cache whole or not at all (a temporary file, then a rename)."""
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_name(cache_file.name + ".tmp")
        tmp.write_text(json.dumps(cache), encoding="utf-8")
        tmp.replace(cache_file)
