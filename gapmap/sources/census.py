"""ACS 5-year tract estimates from the Census Bureau's API, through the ``census`` package.

The tables (GUIDE.md section 4), each estimate with its 90% margin of error:

===============================  ==========================================================
column                           ACS variables (sum)
===============================  ==========================================================
``population``                   B01003_001 (total population; for density)
``children_0_2``                 B09001_003 (under 3 years)
``children_3_5``                 B09001_004 (3 and 4) + B09001_005 (5)
``children_under_5``             B01001_003 (male under 5) + B01001_027 (female under 5)
``children_under_6``             B17024_002 (under 6, poverty status determined)
``under6_all_parents_working``   B23008_004 + B23008_010 + B23008_013 (BPC potential need)
``under6_below_100pct``          B17024_003 .. _005 (ratio of income to poverty under 1.00)
``under6_below_200pct``          B17024_003 .. _010 (under 2.00)
``under5_<group>``               B01001A .. I, _003 + _018 (children under 5 by race/ethnicity)
===============================  ==========================================================

The margin of error of a sum is the square root of the sum of squared margins (Census Bureau
approximation). The API's sentinel values (-666666666, -999999999, -888888888, -222222222,
-333333333, -555555555) are never numbers: an estimate sentinel becomes missing; a margin of
-555555555 ("controlled, no sampling error") becomes 0, any other margin sentinel missing. Each count
gets ``<count>_reliability`` from its coefficient of variation (see :mod:`gapmap.sources.acs`).

Since 12 May 2026 every request needs a key. The key is an argument here: the caller reads it from
``CENSUS_API_KEY`` or ``st.secrets``; it never appears in a message or a log.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gapmap import schema as S
from gapmap.errors import CensusError, CensusKeyError
from gapmap.sources.acs import classify_reliability, compute_cv

__all__ = [
    "ACS_SUMS",
    "RACE_GROUPS",
    "SENTINELS",
    "KEY_HELP",
    "CensusError",
    "CensusKeyError",
    "acs_fields",
    "fetch_acs_tracts",
    "tidy_acs",
    "redact_key",
    "check_key",
]

KEY_HELP = (
    "Get a free Census API key at https://api.census.gov/data/key_signup.html, then set the environment "
    "variable CENSUS_API_KEY, add census_api_key to .streamlit/secrets.toml, or enter it on the Your data page "
    "(kept for your session only)."
)

#: Contract column -> the ACS variables (without the E/M suffix) whose sum it is.
ACS_SUMS: dict[str, tuple[str, ...]] = {
    S.POPULATION: ("B01003_001",),
    S.CHILDREN_0_2: ("B09001_003",),
    S.CHILDREN_3_5: ("B09001_004", "B09001_005"),
    S.CHILDREN_UNDER_5: ("B01001_003", "B01001_027"),
    S.CHILDREN_UNDER_6: ("B17024_002",),
    S.UNDER6_ALL_PARENTS_WORKING: ("B23008_004", "B23008_010", "B23008_013"),
    S.UNDER6_BELOW_100PCT: tuple(f"B17024_{i:03d}" for i in range(3, 6)),
    S.UNDER6_BELOW_200PCT: tuple(f"B17024_{i:03d}" for i in range(3, 11)),
}
#: Race and ethnicity of children under 5 (B01001A-I): table letter -> column suffix.
RACE_GROUPS: dict[str, str] = {
    "A": "white_alone",
    "B": "black_alone",
    "C": "aian_alone",
    "D": "asian_alone",
    "E": "nhpi_alone",
    "F": "other_race_alone",
    "G": "two_or_more_races",
    "H": "white_alone_not_hispanic",
    "I": "hispanic_or_latino",
}
for _letter, _group in RACE_GROUPS.items():
    ACS_SUMS[f"under5_{_group}"] = (f"B01001{_letter}_003", f"B01001{_letter}_018")

SENTINELS = (-666666666, -999999999, -888888888, -222222222, -333333333, -555555555)
_CONTROLLED_MOE = -555555555


def acs_fields() -> list[str]:
    """Every API field requested: NAME, then each variable's estimate (E) and margin of error (M)."""
    variables = sorted({v for vs in ACS_SUMS.values() for v in vs})
    return ["NAME"] + [f"{v}{suffix}" for v in variables for suffix in ("E", "M")]


class _Transient(Exception):
    """A failure worth retrying: 429, 5xx or a timeout."""


@dataclass
class _GuardedSession:
    """Wraps the caller's HTTP session: adds a timeout and turns 429/5xx/timeouts into :class:`_Transient`."""

    inner: Any
    timeout_s: float

    def get(self, url, params=None, **kwargs):
        import requests

        kwargs.setdefault("timeout", self.timeout_s)
        try:
            resp = self.inner.get(url, params=params, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise _Transient(f"no answer from the Census API ({type(exc).__name__})") from None
        if resp.status_code == 429:
            raise _Transient("the Census API is rate-limiting requests (HTTP 429)")
        if resp.status_code in (500, 502, 503, 504):
            raise _Transient(f"the Census API is unavailable (HTTP {resp.status_code})")
        return resp

    def __getattr__(self, name):  # anything else the census package touches
        return getattr(self.inner, name)


def check_key(key: str) -> str:
    """The key, stripped, when it has the form the Census Bureau issues (40 letters and digits); else a
    :class:`CensusKeyError` that never repeats the key. Checked before any request is made."""
    key = str(key).strip()
    if not re.fullmatch(r"[0-9A-Za-z]{40}", key):
        raise CensusKeyError(
            f"That is not a Census API key: a key has 40 letters and digits (this one has {len(key)} characters). " + KEY_HELP
        )
    return key


def redact_key(text: str, key: str | None) -> str:
    """``text`` without the API key, in any form a URL or an echoed error page may carry it."""
    if not key:
        return text
    from urllib.parse import quote, quote_plus

    for form in {key, quote(key, safe=""), quote_plus(key)}:
        text = text.replace(form, "***")
    return text


def _check_records(rows, fields: list[str], where: str) -> list[dict]:
    """The API's rows, or a :class:`CensusError` when they are not one record per tract with every field."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise CensusError(f"The Census API sent an answer that is not a table of tracts for {where}. Try again later.")
    need = [*fields, "state", "county", "tract"]
    for n, rec in enumerate(rows, start=1):
        missing = [f for f in need if f not in rec]
        if missing:
            raise CensusError(
                f"The Census API's answer for {where} lacks {', '.join(missing[:3])}{' and more' if len(missing) > 3 else ''} "
                f"in row {n} (a short or damaged answer). Try again later."
            )
        for f in ("state", "county", "tract"):
            if not isinstance(rec[f], (str, int)) or not str(rec[f]).strip().isdigit():
                raise CensusError(
                    f"The Census API's answer for {where} has {f} {str(rec[f])[:20]!r} in row {n}, not a code. Try again later."
                )
    return rows


def _to_number(values) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)


def tidy_acs(records: list[dict], year: int) -> pd.DataFrame:
    """API records (one dict per tract) -> one row per tract in the tract contract's columns."""
    if not records:
        return pd.DataFrame(columns=[S.GEOID, S.NAME, S.COUNTY])
    raw = pd.DataFrame.from_records(records)
    out = pd.DataFrame(
        {
            S.GEOID: raw["state"].astype(str).str.zfill(2) + raw["county"].astype(str).str.zfill(3) + raw["tract"].astype(str).str.zfill(6),
            S.NAME: raw["NAME"].astype(str),
            # "Census Tract 1; Coos County; Oregon" (2023+) or "Census Tract 1, Coos County, Oregon"
            S.COUNTY: raw["NAME"].astype(str).str.split(r"[;,]\s*", regex=True).str[1].fillna(""),
        }
    )
    for col, variables in ACS_SUMS.items():
        est = np.column_stack([_to_number(raw[f"{v}E"]) for v in variables])
        moe = np.column_stack([_to_number(raw[f"{v}M"]) for v in variables])
        est = np.where(np.isin(est, SENTINELS), np.nan, est)
        moe = np.where(moe == _CONTROLLED_MOE, 0.0, np.where(np.isin(moe, SENTINELS), np.nan, moe))
        total = est.sum(axis=1)  # NaN if any part is missing
        total_moe = np.sqrt((moe**2).sum(axis=1))
        out[col] = total
        out[S.moe_column(col)] = np.round(total_moe, 1)
        out[f"{col}_reliability"] = classify_reliability(compute_cv(total, total_moe)).astype(str)
    out["acs_year"] = int(year)
    return out.sort_values(S.GEOID, kind="stable").reset_index(drop=True)


def fetch_acs_tracts(
    state_fips: str,
    county_fips: list[str] | None,
    year: int,
    key: str | None,
    session=None,
    *,
    retries: int = 4,
    backoff_s: float = 1.0,
    timeout_s: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """ACS 5-year estimates for every tract of ``county_fips`` (None: the whole state) in ``year``.

    ``session`` is any object with a requests-like ``get`` (tests inject recorded answers). Transient
    failures (429, 5xx, timeouts) are retried ``retries`` times with exponential backoff.

    Raises
    ------
    CensusKeyError
        without a key, or when the API refuses it.
    CensusError
        when the API refuses the request (the message quotes its answer), answers with no rows, or
        stays unavailable after the retries.
    """
    if not key:
        raise CensusKeyError("A Census API key is needed to fetch ACS data. " + KEY_HELP)
    try:
        return _fetch(state_fips, county_fips, year, key, session, retries, backoff_s, timeout_s, sleep, progress)
    except CensusError as exc:  # an echoed URL or error page may carry the key: never show it
        failure = type(exc)(redact_key(str(exc), key))
    raise failure  # raised outside the handler: no exception chain that could still hold the key


def _fetch(state_fips, county_fips, year, key, session, retries, backoff_s, timeout_s, sleep, progress) -> pd.DataFrame:
    import requests
    from census import Census
    from census.core import APIKeyError, CensusException, UnsupportedYearException

    guarded = _GuardedSession(session if session is not None else requests.Session(), timeout_s)
    client = Census(key, year=year, session=guarded)
    fields = acs_fields()
    counties = list(county_fips) if county_fips else ["*"]
    records: list[dict] = []
    for n, county in enumerate(counties, start=1):
        where = f"state {state_fips}" + (f", county {county}" if county != "*" else " (all counties)")
        if progress:
            progress(f"ACS {year}: {where} ({n} of {len(counties)})")
        for attempt in range(retries + 1):
            try:
                rows = client.acs5.state_county_tract(fields, state_fips, county, "*", year=year)
                break
            except _Transient as exc:
                if attempt == retries:
                    raise CensusError(
                        f"{exc} for {where}, after {retries + 1} tries. Try again later; data already fetched is kept."
                    ) from None
                sleep(backoff_s * 2**attempt)
            except APIKeyError:
                raise CensusKeyError("The Census API refused the key. " + KEY_HELP) from None
            except UnsupportedYearException as exc:
                raise CensusError(f"ACS 5-year {year} is not available: {exc}") from None
            except CensusException as exc:
                text = " ".join(redact_key(str(exc), key).split())[:300]
                raise CensusError(f"The Census API refused the request for {where}, ACS {year}: {text}") from None
            except ValueError:  # a 200 answer that is not JSON
                raise CensusError(f"The Census API sent an answer that is not data for {where}. Try again later.") from None
            except Exception as exc:  # noqa: BLE001  # the census package fails in many ways on a garbage answer
                raise CensusError(
                    f"The Census API sent an answer gapmap cannot read for {where}, ACS {year} ({type(exc).__name__}). "
                    "Try again later; if it keeps happening the API may have changed."
                ) from None
        rows = _check_records(rows, fields, where)
        if not rows:
            raise CensusError(f"The Census API returned no tracts for {where}, ACS {year}: check the state and county codes.")
        records.extend(rows)
    return tidy_acs(records, year)
