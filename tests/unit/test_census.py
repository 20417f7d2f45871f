"""The ACS client against recorded Census API answers: values, sentinels, margins, errors, retries."""

import json
import math

import numpy as np
import pytest
import requests

from gapmap.errors import DataSourceError
from gapmap.sources.census import CensusError, CensusKeyError, fetch_acs_tracts
from tests.census_fake import FIXTURES, FakeResponse, RecordedCensus


def recorded(county):
    table = json.loads((FIXTURES / f"acs5_2023_41_{county}.json").read_text())
    return [dict(zip(table[0], row)) for row in table[1:]]


def fetch(session, counties=("011", "015"), **kw):
    return fetch_acs_tracts("41", list(counties), 2023, "test-key", session, sleep=lambda s: None, **kw)


def test_two_counties_mapped_onto_the_tract_contract():
    session = RecordedCensus()
    df = fetch(session).set_index("geoid")
    assert df.index.tolist() == ["41011000100", "41011000200", "41011000300", "41015950100", "41015950200"]
    r = recorded("011")[0]
    # by hand from the recording: sums of estimates, root-sum-of-squares of margins
    assert df.loc["41011000100", "children_3_5"] == float(r["B09001_004E"]) + float(r["B09001_005E"])
    assert df.loc["41011000100", "children_3_5_moe"] == round(math.hypot(float(r["B09001_004M"]), float(r["B09001_005M"])), 1)
    below200 = sum(float(r[f"B17024_{i:03d}E"]) for i in range(3, 11))
    assert df.loc["41011000100", "under6_below_200pct"] == below200
    assert df.loc["41011000100", "county"] == "Coos County"
    assert df.loc["41015950200", "name"] == "Census Tract 9502; Curry County; Oregon"
    # the key went with every request, and it is never in what we keep
    assert all(has_key for _, _, has_key in session.calls)


def test_sentinels_are_missing_values_never_numbers():
    df = fetch(RecordedCensus(), counties=["011"]).set_index("geoid")
    # B09001_005E = -666666666 in tract 300: children 3-5 is missing, not a huge negative number
    assert np.isnan(df.loc["41011000300", "children_3_5"])
    assert df.loc["41011000300", "children_3_5_reliability"] == "no estimate"
    # B17024_004M = -555555555 (controlled) counts as a margin of 0 in tract 200
    r = recorded("011")[1]
    expected = math.sqrt(float(r["B17024_003M"]) ** 2 + 0 + float(r["B17024_005M"]) ** 2)
    assert df.loc["41011000200", "under6_below_100pct_moe"] == round(expected, 1)
    # B01001A_018M = -222222222 in tract 100: that margin is unknown
    assert np.isnan(df.loc["41011000100", "under5_white_alone_moe"])
    assert (df.select_dtypes("number") > -1e8).where(df.select_dtypes("number").notna(), True).all().all()


def test_reliability_flag_from_the_cv():
    df = fetch(RecordedCensus(), counties=["015"])
    cv = df["children_0_2_moe"] / 1.645 / df["children_0_2"]
    expected = ["good" if c <= 0.12 else "fair" if c <= 0.40 else "unreliable" for c in cv]
    assert df["children_0_2_reliability"].tolist() == expected


def test_missing_key_says_where_to_get_one():
    with pytest.raises(CensusKeyError, match="api.census.gov/data/key_signup.html.*CENSUS_API_KEY"):
        fetch_acs_tracts("41", ["011"], 2023, None, RecordedCensus())


def test_refused_key():
    with pytest.raises(CensusKeyError, match="refused the key"):
        fetch(RecordedCensus(script=[200]))  # a 200 answer that is the HTML "Invalid Key" page


def test_bad_request_quotes_the_api_answer():
    with pytest.raises(
        CensusError, match=r"refused the request for state 41, county 011, ACS 2023: error: error: unknown variable 'B09001_003X'"
    ):
        fetch(RecordedCensus(script=[400]))


def test_empty_answer():
    with pytest.raises(CensusError, match="returned no tracts for state 41, county 011"):
        fetch(RecordedCensus(script=[204]))


def test_transient_failures_are_retried_with_backoff():
    waits = []
    session = RecordedCensus(script=[429, 503, requests.Timeout("slow")])
    df = fetch_acs_tracts("41", ["015"], 2023, "k", session, sleep=waits.append, backoff_s=0.5)
    assert len(df) == 2
    assert waits == [0.5, 1.0, 2.0]


def test_unavailable_after_retries():
    with pytest.raises(CensusError, match=r"unavailable \(HTTP 503\) for state 41, county 011, after 3 tries"):
        fetch(RecordedCensus(script=[503, 503, 503]), retries=2)


def test_progress_is_reported_per_county():
    seen = []
    fetch(RecordedCensus(), progress=seen.append)
    assert seen == ["ACS 2023: state 41, county 011 (1 of 2)", "ACS 2023: state 41, county 015 (2 of 2)"]


def test_race_and_population_columns_match_the_contract():
    from gapmap import schema as S
    from gapmap.sources.census import ACS_SUMS

    assert {c for c in ACS_SUMS if c.startswith("under5_")} == set(S.UNDER5_GROUPS)
    assert ACS_SUMS[S.POPULATION] == ("B01003_001",)
    assert ACS_SUMS["under5_hispanic_or_latino"] == ("B01001I_003", "B01001I_018")


# --- garbage answers and the key -----------------------------------------------------------------
def _without_geo_id(answer):
    table = json.loads(answer.text)
    i = table[0].index("GEO_ID")
    return FakeResponse(200, json.dumps([[c for k, c in enumerate(r) if k != i] for r in table]))


def _ragged(answer):
    table = json.loads(answer.text)
    table[-1] = table[-1][:3]
    return FakeResponse(200, json.dumps(table))


GARBAGE = {
    "an empty object": FakeResponse(200, "{}"),
    "an empty list": FakeResponse(200, "[]"),
    "null": FakeResponse(200, "null"),
    "a number": FakeResponse(200, "42"),
    "a list of numbers": FakeResponse(200, "[1, 2, 3]"),
    "rows that are not lists": FakeResponse(200, '[["NAME", "GEO_ID"], {"a": 1}]'),
    "no GEO_ID column": _without_geo_id,
    "a row cut short": _ragged,
    "an HTML page": FakeResponse(200, "<html><body>Service moved</body></html>"),
}


def _chain(exc):
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


@pytest.mark.parametrize("answer", list(GARBAGE.values()), ids=list(GARBAGE))
def test_a_garbage_answer_is_a_named_error(answer):
    with pytest.raises(CensusError) as err:
        fetch(RecordedCensus(script=[answer]))
    text = str(err.value)
    assert text.startswith("The Census API") and "state 41" in text and "\n" not in text, text
    assert isinstance(err.value, DataSourceError)


@pytest.mark.parametrize(
    "answer",
    [
        FakeResponse(400, "error: unknown variable in https://api.census.gov/data/2023/acs/acs5?get=NAME&for=tract:*&key={key}"),
        FakeResponse(400, "Proxy error for /data/2023/acs/acs5?key={quoted}&get=NAME"),
        FakeResponse(500, "upstream failed: key={key}"),
    ],
)
def test_the_key_never_appears_in_an_error_or_its_chain(answer):
    key = "s3cr3t+key/=?"
    from urllib.parse import quote

    echoed = FakeResponse(answer.status_code, answer.text.format(key=key, quoted=quote(key, safe="")))
    with pytest.raises(CensusError) as err:
        fetch_acs_tracts("41", ["011"], 2023, key, RecordedCensus(script=[echoed] * 5), sleep=lambda s: None, retries=1)
    for exc in _chain(err.value):
        assert key not in str(exc) and quote(key, safe="") not in str(exc)
    assert err.value.__cause__ is None and err.value.__context__ is None
