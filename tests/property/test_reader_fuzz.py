"""Fuzzing the doors: whatever bytes arrive, the CSV, provider, GeoJSON and scenario readers give a
valid result or a named gapmap error, never another exception; and an import never loses a row."""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapmap.analysis.scenarios import Scenario, scenario_from_json
from gapmap.errors import GapmapError
from gapmap.sources.files import UserFile, read_geo, read_table
from gapmap.sources.providers import standardize_providers

# derandomized: the same examples on every run, so CI is repeatable (a failure found once is kept)
FUZZ = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

#: Cells that stress a CSV reader: quotes, delimiters, line breaks, formulas, numbers that are not.
_CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ['"', '""', ",", ";", "\r", "\n", "\r\n", "\t", "=1+1", "inf", "NaN", "1e309", "-120.7", "44.3", "1,600", "\ufeff", "\x00", ""]
    ),
)
_HEADERS = st.lists(
    st.sampled_from(
        ["provider_id", "name", "type", "latitude", "longitude", "capacity", "slots_0_2", "slots_3_5", "funding", "License Type", "x", ""]
    ),
    min_size=1,
    max_size=10,
)


@st.composite
def csv_bytes(draw) -> bytes:
    header = draw(_HEADERS)
    rows = draw(st.lists(st.lists(_CELLS, min_size=0, max_size=len(header) + 2), max_size=8))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    text = "\n".join(sep.join(r) for r in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


def _named_or_valid(fn, *args):
    try:
        return fn(*args)
    except GapmapError as exc:
        assert str(exc).strip(), "an error with no message"
        return None


@FUZZ
@given(st.one_of(csv_bytes(), st.binary(max_size=300)))
def test_csv_reader_and_import_never_crash_and_never_lose_a_row(data):
    table = _named_or_valid(read_table, UserFile.of("fuzz.csv", data))
    if table is None:
        return
    assert isinstance(table, pd.DataFrame) and all(isinstance(v, str) for v in table.to_numpy().ravel())
    report = _named_or_valid(standardize_providers, table, "fuzz.csv")
    if report is not None:
        blank = int(table.apply(lambda col: col.str.strip() == "").all(axis=1).sum())  # skipped and counted in a note
        assert report.rows_read == len(report.accepted) + len(report.rejected) == len(table) - blank
        assert not blank or f"{blank:,} blank rows (every cell empty) were skipped." in report.notes
        assert (
            report.accepted[["latitude", "longitude", "capacity"]]
            .apply(lambda s: s.map(float))
            .map(lambda v: v == v and abs(v) < float("inf"))
            .all()
            .all()
        )


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
_CHANGE = st.fixed_dictionaries(
    {"kind": st.sampled_from(["new_site", "add_slots", "close_provider", "set_utilization", "other"])},
    optional={
        "name": _JSON,
        "provider_id": _JSON,
        "latitude": _JSON,
        "longitude": _JSON,
        "slots_0_2": _JSON,
        "slots_3_5": _JSON,
        "utilization": _JSON,
        "type": st.sampled_from(["center", "x"]),
    },
)


@FUZZ
@given(st.one_of(_JSON, st.fixed_dictionaries({"changes": st.lists(_CHANGE, max_size=4)}, optional={"name": _JSON})))
def test_scenario_reader_gives_a_scenario_or_a_named_error(data):
    result = _named_or_valid(scenario_from_json, json.dumps(data))
    if result is not None:
        assert isinstance(result, Scenario)
        for change in result.changes:
            for value in vars(change).values():
                assert not isinstance(value, (dict, list)) and value == value  # typed, finite


@FUZZ
@given(st.binary(max_size=200))
def test_scenario_reader_on_raw_bytes(data):
    _named_or_valid(scenario_from_json, data)


_COORD = st.one_of(st.floats(-200, 200, allow_nan=False), st.text(max_size=3), st.none())


@FUZZ
@given(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["FeatureCollection", "Feature", "Polygon"]),
            "features": st.lists(
                st.fixed_dictionaries(
                    {
                        "type": st.sampled_from(["Feature", "X"]),
                        "properties": st.one_of(st.none(), st.dictionaries(st.text(max_size=5), _JSON, max_size=3)),
                        "geometry": st.one_of(
                            st.none(),
                            st.fixed_dictionaries(
                                {
                                    "type": st.sampled_from(["Point", "Polygon", "LineString", "Nope"]),
                                    "coordinates": st.lists(st.lists(_COORD, max_size=3), max_size=4),
                                }
                            ),
                        ),
                    }
                ),
                max_size=4,
            ),
        }
    )
)
def test_geojson_reader_gives_a_frame_or_a_named_error(content):
    gdf = _named_or_valid(read_geo, UserFile.of("fuzz.geojson", json.dumps(content).encode()))
    if gdf is not None:
        assert gdf.crs is not None and len(gdf) == len(content["features"]) or content["type"] == "Feature"


def test_the_case_the_fuzz_found_a_blank_last_row():
    """b'capacity\\n0\\n,': one provider row and one blank row; the blank row is skipped, not lost."""
    table = read_table(UserFile.of("fuzz.csv", b"capacity\n0\n,"))
    assert len(table) == 2
    report = standardize_providers(table, "fuzz.csv")
    assert (report.rows_read, len(report.accepted), len(report.rejected)) == (1, 0, 1)
    assert "1 blank rows (every cell empty) were skipped." in report.notes
