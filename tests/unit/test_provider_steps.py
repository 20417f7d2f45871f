"""Each step of the provider import alone, then real-export shapes end to end (Oregon DELC, an unknown
vocabulary, capacity by age in odd column names, value mappings from the CLI, bad files)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from gapmap.cli import main
from gapmap.errors import DataSourceError, ParameterError
from gapmap.sources.files import UserFile
from gapmap.sources.provider_steps import (
    NOT_OPERATING,
    OPERATING,
    check_region,
    check_status,
    compute_capacity,
    guess_value,
    header_key,
    locate,
    map_values,
    recognise_columns,
    value_choices,
)
from gapmap.sources.providers import (
    RegionBounds,
    import_providers,
    parse_value_mapping,
    read_provider_table,
    read_value_mapping,
    value_mapping_json,
)
from tests.conftest import FIXTURES

P = FIXTURES / "providers"


def table(rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows[1:], columns=rows[0], dtype=object)


@pytest.fixture(scope="module")
def bounds(demo):
    return RegionBounds.of_tracts(demo[0])


# --- recognise_columns ---------------------------------------------------------------------------
def test_header_normal_form():
    assert header_key("NUMBER_OF_INFANTS") == "number of infants"
    assert header_key("CapToddler") == "cap toddler"
    assert header_key("  Licensed/Total  Capacity ") == "licensed total capacity"


def test_capacity_columns_are_found_by_meaning():
    cols = [
        "LICENSED CENTER INFANT CAPACITY", "NUMBER_OF_TODDLERS", "Cap Toddler", "preschool_capacity", "Pre-K Slots", "Cap SchoolAge",
        "School Age Capacity", "Total Licensed Capacity", "Licensed Home Capacity", "Infant Enrollment", "Ages Served: Infant, Toddler",
        "Infant Rate", "Capacity Notes",
    ]  # fmt: skip
    plan = recognise_columns(cols)
    assert plan.fields["capacity"] == "Total Licensed Capacity"
    assert plan.fields["slots_3_5"] == "preschool_capacity"  # an explicit band column wins over its parts
    assert plan.ages["0_2"] == ["LICENSED CENTER INFANT CAPACITY", "NUMBER_OF_TODDLERS", "Cap Toddler"]
    assert plan.ages["3_5"] == []
    assert plan.ages["school_age"] == ["Cap SchoolAge", "School Age Capacity"]
    assert plan.home_capacity == "Licensed Home Capacity"
    # enrollment, a list of ages, a rate and notes count nothing
    used = {c for v in plan.ages.values() for c in v} | set(plan.fields.values()) | {plan.home_capacity}
    assert not used & {"Infant Enrollment", "Ages Served: Infant, Toddler", "Infant Rate", "Capacity Notes"}


def test_an_explicit_mapping_wins_and_a_wrong_one_is_named():
    plan = recognise_columns(["Cap", "Total Capacity"], {"capacity": "Cap"})
    assert plan.fields["capacity"] == "Cap"
    with pytest.raises(ParameterError, match="unknown field 'size'"):
        recognise_columns(["Cap"], {"size": "Cap"})


# --- values ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Certified Child Care Center", "center"),
        ("Registered Family Child Care Home", "family_home"),
        ("Certified Family Child Care Home", "family_home"),
        ("Oregon Head Start Prekindergarten", "head_start"),
        ("Preschool Promise", "school_prek"),
        ("Recorded Program", "other"),
        ("License-Exempt", "other"),
        ("GFDC", "family_home"),
        ("SACC", "other"),
        ("Licensed Child-Care Home", "family_home"),
        ("Big Family Place", "family_home"),  # a "contains" rule
    ],
)
def test_type_vocabularies(value, code):
    assert guess_value("type", value)[0] == code


def test_statuses_and_unknown_values():
    assert [guess_value("status", v)[0] for v in ("Active", "INACTIVE", "Closed - voluntary", "Revoked", "Pending Closure", "Probation")] == [
        OPERATING, NOT_OPERATING, NOT_OPERATING, NOT_OPERATING, NOT_OPERATING, OPERATING,
    ]  # fmt: skip
    assert guess_value("type", "Type 7") == (None, "unknown")


def test_map_values_user_mapping_first_then_vocabulary_then_other():
    t = table([["Type", "Status"], ["Type 7", "Open"], ["GFDC", "Gone"], ["Type 7", "Closed"], ["", ""]])
    plan = recognise_columns(list(t.columns))
    step = map_values(t, plan, {"status": {"gone": "not_operating"}})
    assert step.codes["type"].tolist() == ["other", "family_home", "other", None]
    assert step.codes["status"].tolist() == [OPERATING, NOT_OPERATING, NOT_OPERATING, None]
    assert step.notes == ["Column 'Type': values no vocabulary knows, 'Type 7' (2 rows) -> other: map them to a type (the value mapping)."]
    assert step.used["type"] == {"Type 7": "other", "GFDC": "family_home"}
    with pytest.raises(ParameterError, match="'garage' is not a type code"):
        map_values(t, plan, {"type": {"Type 7": "garage"}})
    choices = value_choices(t, plan)["type"]
    assert choices.to_dict("records") == [
        {"value": "Type 7", "rows": 2, "code": "other", "from": "not known: counted as other"},
        {"value": "GFDC", "rows": 1, "code": "family_home", "from": "New York (OCFS)"},
    ]


# --- capacity ------------------------------------------------------------------------------------
def test_capacity_sums_ages_uses_home_capacity_and_scales_overlaps():
    t = table(
        [
            ["Type", "Total Capacity", "Infant Capacity", "Toddler Capacity", "Preschool Capacity", "School Age Capacity", "Home Capacity"],
            ["center", "1,200", "24", "36", "240", "900", ""],
            ["family_home", "", "2", "3", "5", "", "12"],
            ["center", "20", "10", "10", "10", "", ""],  # ages add up to 30 > 20
            ["center", "", "", "", "", "", ""],
        ]
    )
    plan = recognise_columns(list(t.columns))
    types = np.array(["center", "family_home", "center", "center"], dtype=object)
    step = compute_capacity(t, plan, types, np.array(["a", "b", "c", "d"], dtype=object))
    assert step.capacity[:3].tolist() == [1200.0, 12.0, 20.0]
    assert step.slots_0_2[:3].tolist() == [60.0, 5.0, 13.0] and step.slots_3_5[:3].tolist() == [
        240.0,
        5.0,
        6.0,
    ]  # 20/30 of 20 and 10, floored
    assert not step.estimated.any()
    assert step.reasons[3] == ["column 'Total Capacity' is empty: a licensed capacity is needed"] and step.reasons[0] == []
    assert any("scaled down" in n for n in step.notes) and any("'Home Capacity' (1 row)" in n for n in step.notes)


def test_bands_are_estimated_only_without_any_age_column():
    t = table([["Type", "Capacity", "School Age Capacity"], ["center", "100", "20"]])
    step = compute_capacity(t, recognise_columns(list(t.columns)), np.array(["center"], dtype=object), np.array(["x"], dtype=object))
    assert step.estimated.all() and (step.slots_0_2[0], step.slots_3_5[0]) == (20.0, 36.0)  # 25% / 45% of 100 - 20
    assert "less school-age capacity" in step.notes[0]


def test_capacity_rejects_only_what_cannot_be_used():
    t = table([["Capacity"], ["lots"], ["0"], ["inf"], ["20000"], ["12"]])
    step = compute_capacity(t, recognise_columns(["Capacity"]), np.array(["center"] * 5, dtype=object), np.array(["x"] * 5, dtype=object))
    assert step.reasons == [
        ["column 'Capacity' value 'lots' is not a number"],
        ["column 'Capacity' value '0': capacity must be greater than 0"],
        ["column 'Capacity' value 'inf' is not a number"],
        ["column 'Capacity' value '20000': capacity must be at most 10,000"],
        [],
    ]


# --- location, region, status ----------------------------------------------------------------------
def test_locate_degrees_projected_and_missing():
    t = table([["Lat", "Lon", "Address"], ["44.3", "-120.7", ""], ["", "", "1 Main St"], ["x", "-120.7", ""]])
    step = locate(t, recognise_columns(list(t.columns)))
    assert step.latitude[0] == 44.3 and np.isnan(step.latitude[1])
    assert step.reasons[1] == [
        "no coordinates (columns 'Lat'/'Lon' are empty), but an address: geocode it (the 'geocode addresses' option)"
    ]
    assert step.reasons[2] == ["column 'Lat' value 'x' is not a number"]
    xy = table([["X", "Y"], ["-13425131", "5511986"]])
    with pytest.raises(ParameterError, match="projected coordinates"):
        locate(xy, recognise_columns(["X", "Y"]))
    step = locate(xy, recognise_columns(["X", "Y"]), source_crs="EPSG:3857")
    assert step.longitude[0] == pytest.approx(-120.6, abs=0.01) and step.latitude[0] == pytest.approx(44.3, abs=0.1)


def test_region_check_swaps_only_when_asked(bounds):
    lat, lon = np.array([44.3, -120.6, 40.0]), np.array([-120.7, 44.3, -100.0])
    _, _, reasons, _, _ = check_region(lat, lon, bounds)
    assert reasons[0] == [] and "look swapped" in reasons[1][0] and "outside the region" in reasons[2][0]
    lat2, lon2, reasons, notes, k = check_region(lat, lon, bounds, fix_swapped=True)
    assert (lat2[1], lon2[1], reasons[1], k) == (44.3, -120.6, [], 1)


def test_status_rejects_closed_unless_kept():
    t = table([["Status"], ["Active"], ["Closed"]])
    plan = recognise_columns(["Status"])
    codes = np.array([OPERATING, NOT_OPERATING], dtype=object)
    reasons, notes, k = check_status(codes, t, plan)
    assert reasons == [
        [],
        ["column 'Status' value 'Closed': the provider is not operating (keep such rows with the 'keep inactive' option)"],
    ]
    assert k == 1 and notes == ["1 row left out because their status in 'Status' means not operating."]
    reasons, notes, k = check_status(codes, t, plan, keep_inactive=True)
    assert reasons == [[], []] and k == 0 and "kept as asked" in notes[0]


# --- real-export shapes ----------------------------------------------------------------------------
def test_an_oregon_delc_export_imports_whole_with_no_user_step(bounds):
    rep = import_providers(P / "oregon_delc_export.csv", bounds=bounds)
    # 11 data rows, one of them blank: 10 read; 4 closed, revoked, expired or suspended
    assert (rep.rows_read, len(rep.accepted), len(rep.rejected), rep.inactive) == (10, 6, 4, 4)
    a = rep.accepted.set_index("provider_id")
    assert a["type"].to_dict() == {
        "CC100123": "center", "RF200456": "family_home", "CF300789": "family_home", "HS400111": "head_start",
        "PSP500222": "school_prek", "RP600333": "other",
    }  # fmt: skip
    assert a.loc["CC100123", ["capacity", "slots_0_2", "slots_3_5"]].tolist() == [1200.0, 60.0, 240.0]  # "1,200"; infant + toddler
    assert not a["slots_estimated"].any()
    assert sorted(rep.rejected["row"]) == [8, 9, 10, 11]  # row numbers as in the file (the blank row is row 4)
    assert (
        rep.rejected.set_index("row").loc[8, "reason"].startswith("column 'License Status' value 'Closed': the provider is not operating")
    )
    assert "1 blank rows (every cell empty) were skipped." in rep.notes
    assert not any("no vocabulary knows" in n for n in rep.notes)  # Oregon's words are all known
    kept = import_providers(P / "oregon_delc_export.csv", bounds=bounds, keep_inactive=True)
    assert len(kept.accepted) == 10 and kept.inactive == 0


def test_an_unknown_vocabulary_imports_whole_with_a_note_and_a_mapping_fixes_it(bounds, tmp_path, capsys):
    rep = import_providers(P / "unknown_vocabulary_export.csv", bounds=bounds)
    assert len(rep.accepted) == 4 and set(rep.accepted["type"]) == {"other"}
    assert any("'Type 7' (2 rows), 'Type 9' (1 row), 'MISC' (1 row) -> other" in n for n in rep.notes)
    mapped = import_providers(P / "unknown_vocabulary_export.csv", bounds=bounds, value_maps=read_value_mapping(P / "value_mapping.json"))
    assert mapped.accepted["type"].tolist() == ["center", "family_home", "center"] and mapped.inactive == 1  # "Pending" mapped to closed
    # the same from the command line, by file and by --values
    out = tmp_path / "clean.csv"
    args = ["providers", str(P / "unknown_vocabulary_export.csv"), "--region", "demo", "--out", str(out)]
    assert main([*args, "--values-file", str(P / "value_mapping.json")]) == 0
    assert pd.read_csv(out, encoding="utf-8-sig")["type"].tolist() == ["center", "family_home", "center"]
    assert main([*args, "--values", "type=Type 7=center,Type 9=family_home", "--values", "status=Pending=operating"]) == 0
    assert pd.read_csv(out, encoding="utf-8-sig")["type"].tolist() == ["center", "family_home", "center", "other"]
    capsys.readouterr()
    assert main([*args, "--values", "type=Type 7=garage"]) == 2
    assert "'garage'; expected one of center" in capsys.readouterr().err
    # the mapping as applied round-trips through its file
    back = tmp_path / "mapping.json"
    back.write_text(mapped.value_mapping_json())
    assert read_value_mapping(back)["type"] == {"Type 7": "center", "Type 9": "family_home", "MISC": "other"}


def test_value_mapping_parsing():
    assert parse_value_mapping(["type=GFDC=family_home,SACC=other"]) == {"type": {"GFDC": "family_home", "SACC": "other"}}
    assert parse_value_mapping(["type=A = B=center"]) == {"type": {"A = B": "center"}}  # the last '=' splits
    with pytest.raises(ParameterError, match="expected FIELD="):
        parse_value_mapping(["colour=red=center"])
    assert json.loads(value_mapping_json({"type": {"x": "center"}}))["format"] == "gapmap-values/1"
    with pytest.raises(DataSourceError, match="is not a type code|expected one of"):
        read_value_mapping(UserFile.of("m.json", b'{"type": {"x": "garage"}}'))


def test_capacity_in_odd_column_names(bounds):
    rep = import_providers(P / "age_columns_export.csv", bounds=bounds)
    a = rep.accepted.set_index("provider_id")
    assert a.loc["F1", ["capacity", "slots_0_2", "slots_3_5"]].tolist() == [100.0, 25.0, 40.0]
    assert a.loc["F2", ["capacity", "slots_0_2", "slots_3_5"]].tolist() == [12.0, 4.0, 4.0]  # the home capacity column
    assert rep.mapping["slots_0_2"] == "LICENSED CENTER INFANT CAPACITY + NUMBER_OF_TODDLERS"
    assert rep.mapping["home_capacity"] == "Licensed Home Capacity" and not a["slots_estimated"].any()


def test_a_workbook_whose_first_sheet_is_a_cover(tmp_path, bounds):
    from openpyxl import Workbook

    wb = Workbook()
    cover = wb.active
    cover.title = "Read me"
    cover.append(["This export lists licensed providers as of 1 July"])
    data = wb.create_sheet("Providers")
    for row in pd.read_csv(P / "unknown_vocabulary_export.csv", dtype=str).itertuples(index=False):
        if data.max_row == 1 and data["A1"].value is None:
            data.append(["Program ID", "Program Name", "Program Type", "Status", "Lat", "Lon", "Capacity"])
        data.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    file = UserFile.of("export.xlsx", buf.getvalue())
    assert len(read_provider_table(file)) == 4
    assert len(read_provider_table(file, sheet="Read me")) == 0
    with pytest.raises(DataSourceError, match="no sheet 'Sheet 9'"):
        read_provider_table(file, sheet="Sheet 9")
    path = tmp_path / "export.xlsx"
    path.write_bytes(file.data)
    assert main(["providers", str(path), "--sheet", "Providers", "--region", "demo"]) == 0
    assert main(["providers", str(path), "--sheet", "Sheet 9"]) == 2


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("header.csv", b"name,capacity,latitude,longitude\n", "has a header but no rows of providers"),
        ("blank_rows.csv", b"name,capacity,latitude,longitude\n,,,\n , , ,\n", "has a header but no rows of providers"),
        ("garbage.csv", bytes(range(256)) * 8, "not a CSV table (unknown binary data)"),
        ("export.xls", b"<html><table><tr><td>name</td></tr></table></html>", "a web page (HTML) saved with an Excel name"),
        ("export.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "an old Excel file (.xls): save it as .xlsx"),
    ],
)
def test_bad_files_fail_with_one_sentence(name, data, words, tmp_path, capsys):
    path = tmp_path / name
    path.write_bytes(data)
    assert main(["providers", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_utf16_export_reads_like_utf8(tmp_path, bounds):
    text = (P / "oregon_delc_export.csv").read_bytes().decode("utf-8-sig")
    path = tmp_path / "utf16.csv"
    path.write_bytes(text.encode("utf-16"))
    a, b = import_providers(path, bounds=bounds), import_providers(P / "oregon_delc_export.csv", bounds=bounds)
    pd.testing.assert_frame_equal(a.accepted, b.accepted)
