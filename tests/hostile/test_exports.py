"""Every export of hostile data, read the ways spreadsheets read it, holds no formula; and the app's last
line of defence shows a sentence, never a traceback."""

from __future__ import annotations

import dataclasses
import io

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from gapmap.analysis.ranking import PRESETS, add_reasons, rank_tracts
from gapmap.metrics import compute_metrics_table, compute_tract_metrics
from gapmap.outputs.export import PRIORITY_FORMATS, neutralize_text, priority_about, to_compare_bytes, to_csv_bytes, to_priority_bytes
from gapmap.regions import region_set_from_table
from tests.hostile.corpus import FORMULA_NAMES
from tests.hostile.scanner import formula_cells, xlsx_formula_cells


@pytest.fixture(scope="module")
def hostile(demo):
    tracts, providers = demo
    t, p = tracts.copy(), providers.copy()
    for i, name in enumerate(FORMULA_NAMES):
        t.loc[t.index[i], "name"] = name
        t.loc[t.index[i + len(FORMULA_NAMES)], "county"] = name
        p.loc[p.index[i], "name"] = name
        p.loc[p.index[i + len(FORMULA_NAMES)], "quality_rating"] = name
    return compute_tract_metrics(t, p)


def test_every_export_of_hostile_data_holds_no_formula(hostile):
    from gapmap.regions.compare import compare_regions

    w = PRESETS["balanced"]
    ranked = add_reasons(rank_tracts(hostile, w), w, 20)
    about = priority_about("=cmd|' /C calc'!A0, a dataset", hostile.params, w, "balanced", 20)
    scenario = [{"kind": "new_site", "name": FORMULA_NAMES[2], "latitude": 44.3, "longitude": -120.7, "slots_0_2": 5.0, "slots_3_5": 5.0}]
    outputs = {f"priorities{s}": to_priority_bytes(s, hostile, ranked, w, 20, about, scenario) for s in (".csv", ".xlsx")}
    outputs["metrics.csv"] = to_csv_bytes(compute_metrics_table(hostile, "under_5"))
    outputs["providers.csv"] = to_csv_bytes(hostile.providers)
    # regions named by a user's file
    geoids = hostile.tracts["geoid"].tolist()
    one_line = [n for n in FORMULA_NAMES if n.isprintable()]  # region names have no line breaks (refused)
    table = pd.DataFrame({"geoid": geoids, "region": [one_line[k % len(one_line)] for k in range(len(geoids))]})
    comparison = compare_regions(hostile, region_set_from_table(table, source="hubs.csv"))
    outputs.update({f"compare{s}": to_compare_bytes(s, comparison, hostile, about) for s in (".csv", ".xlsx")})
    import zipfile

    for name, raw in [
        ("priorities.zip", to_priority_bytes(".zip", hostile, ranked, w, 20, about, scenario)),
        ("compare.zip", to_compare_bytes(".zip", comparison, hostile, about)),
    ]:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            outputs.update({f"{name}/{member}": z.read(member) for member in z.namelist() if member.endswith(".csv")})
    checked = 0
    for name, raw in outputs.items():
        found = xlsx_formula_cells(raw) if name.endswith(".xlsx") else formula_cells(raw)
        assert found == [], (name, found[:5])
        checked += 1
    assert checked == 11 and set(PRIORITY_FORMATS) >= {".csv", ".zip", ".xlsx"}
    # the names are all there, as text a reader recognises
    back = pd.read_csv(pd.io.common.BytesIO(outputs["providers.csv"]), encoding="utf-8-sig", dtype=str)
    assert back["name"].head(len(FORMULA_NAMES)).tolist() == [
        neutralize_text(n) for n in hostile.providers["name"].head(len(FORMULA_NAMES))
    ]


def test_the_scanner_finds_what_the_old_writer_let_through():
    """The scanner is not blind: the CSV Python writes by default (a bare CR unquoted) fails it."""
    raw = pd.DataFrame({"name": ["Good Start\r=cmd|' /C calc'!A0"]}).to_csv(index=False, lineterminator="\n").encode()
    assert set(formula_cells(raw)) == {"=cmd|' /C calc'!A0"}
    assert formula_cells(b'"# data: a, =1+1"\n') == []
    assert set(formula_cells(b"# data: a, =1+1\n")) == {" =1+1"}  # unquoted: the comma starts a cell


def _failing_page():
    from gapmap.ui.frame import run_framed

    class Navigation:
        def run(self):
            raise KeyError("/srv/gapmap/secret/path.csv")

    run_framed(Navigation())


def test_an_unexpected_failure_shows_one_sentence_and_a_reference():
    at = AppTest.from_function(_failing_page).run()
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("**Something went wrong on this page** (KeyError, reference ")
    assert "/srv/gapmap" not in error.value and "Traceback" not in error.value


def test_a_hostile_result_is_not_changed_by_exporting(hostile):
    before = dataclasses.replace(hostile).providers.copy()
    to_csv_bytes(hostile.providers)
    pd.testing.assert_frame_equal(hostile.providers, before)
