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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gapmap.errors import GapmapError

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
        if rec["status"] == "Match" and len(row) >= 6 and "," in row[5]:
            lon, lat = row[5].split(",", 1)
            rec.update(longitude=float(lon), latitude=float(lat), matched_address=row[4].strip())
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
        raise GapmapError(f"batch_size = {batch_size}: the Census geocoder takes 1 to {BATCH_LIMIT} addresses a request")
    cache: dict[str, dict] = json.loads(cache_file.read_text()) if cache_file and cache_file.exists() else {}
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
        except (requests.Timeout, requests.ConnectionError) as exc:
            _save(cache_file, cache)
            waiting = todo.iloc[(n - 1) * batch_size :]
            listed = "; ".join(f"{r.id}: {r.street}, {r.city}" for r in waiting.head(10).itertuples(index=False))
            more = f" and {len(waiting) - 10} more" if len(waiting) > 10 else ""
            raise GapmapError(
                f"The Census geocoder could not be reached ({type(exc).__name__}). {len(waiting)} addresses still need "
                f"coordinates: {listed}{more}. Add latitude/longitude columns, or try again when online."
            ) from None
        if resp.status_code != 200:
            _save(cache_file, cache)
            raise GapmapError(f"The Census geocoder answered HTTP {resp.status_code}; try again later ({len(todo)} addresses waiting).")
        by_id = {rec["id"]: rec for rec in parse_batch_answer(resp.text)}
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


def _save(cache_file: Path | None, cache: dict) -> None:
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        cache_file.write_text(json.dumps(cache, allow_nan=True))
