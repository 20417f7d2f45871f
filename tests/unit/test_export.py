"""Exports: formulas neutralized, plain numbers kept, accents kept, provenance header readable."""

import io

import pandas as pd

from gapmap.outputs.export import neutralize_formulas, to_csv_bytes


def test_formulas_are_neutralized_numbers_are_not():
    cells = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "Ok & fine", "-120.61", "+3", "-4", None]
    df = pd.DataFrame({"name": cells, "n": range(-1, 9)})
    out = neutralize_formulas(df)
    assert out["name"].tolist()[:9] == [
        "'=HYPERLINK(\"http://x\",\"y\")", "'+1+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "'\t=1", "Ok & fine",
        "-120.61", "+3", "-4",  # plain numbers are data, not formulas
    ]  # fmt: skip
    assert out["n"].tolist() == list(range(-1, 9))
    assert df["name"].iloc[0].startswith("=")  # input untouched


def test_csv_bytes_have_bom_and_the_header_on_line_1():
    df = pd.DataFrame({"name": ["Chávez Family Child Care"], "slots": [4]})
    raw = to_csv_bytes(df)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == '"name","slots"'
    back = pd.read_csv(io.BytesIO(raw))  # pandas' defaults read it as it is (the BOM is skipped)
    assert back["name"].tolist() == ["Chávez Family Child Care"] and back["slots"].tolist() == [4]


def test_a_bundle_holds_the_csv_and_where_it_came_from():
    import zipfile

    from gapmap.outputs.export import to_bundle_bytes

    df = pd.DataFrame({"name": ["A"], "slots": [4]})
    with zipfile.ZipFile(io.BytesIO(to_bundle_bytes({"tracts": df}, {"data": "demo", "note": "=1+1"}, "tracts"))) as z:
        assert z.namelist() == ["tracts.csv", "tracts.about.txt"]
        assert pd.read_csv(z.open("tracts.csv"))["slots"].tolist() == [4]
        about = z.read("tracts.about.txt").decode("utf-8").splitlines()
    assert about[:2] == ["Where these figures come from (gapmap).", "Files: tracts.csv."]
    assert "data: demo" in about and "note: =1+1" in about  # a line that starts with a key is not a formula


def test_xlsx_keeps_a_formula_name_as_text_and_reads_back_equal():
    from openpyxl import load_workbook

    from gapmap.outputs.export import to_xlsx_bytes

    df = pd.DataFrame({"name": ['=HYPERLINK("http://x","y")', "Kids & Co."], "slots": [12, 0], "share": [0.25, None]})
    wb = load_workbook(io.BytesIO(to_xlsx_bytes({"Providers": df}, {"data": "test", "parameter utilization": 0.85})))
    assert wb.sheetnames == ["Providers", "About"]
    rows = list(wb["Providers"].values)
    assert rows[0] == ("name", "slots", "share")
    assert rows[1] == ('\'=HYPERLINK("http://x","y")', 12, 0.25)
    assert rows[2] == ("Kids & Co.", 0, None)
    assert wb["Providers"]["A2"].data_type == "s"  # text, never a formula
    assert dict(list(wb["About"].values)[1:]) == {"data": "test", "parameter utilization": "0.85"}


def test_csv_keeps_a_formula_name_as_text():
    df = pd.DataFrame({"name": ['=HYPERLINK("http://x","y")']})
    back = pd.read_csv(io.BytesIO(to_csv_bytes(df)), encoding="utf-8-sig")
    assert back["name"].item() == '\'=HYPERLINK("http://x","y")'


def test_priority_export_carries_the_scenario(demo):
    from openpyxl import load_workbook

    from gapmap.analysis.ranking import PRESETS, add_reasons, rank_tracts
    from gapmap.metrics import compute_tract_metrics
    from gapmap.outputs.export import priority_about, to_priority_bytes

    res = compute_tract_metrics(*demo)
    w = PRESETS["balanced"]
    ranked = add_reasons(rank_tracts(res, w), w, 10)
    about = priority_about("demo", res.params, w, "balanced", 10)
    scen = [{"kind": "new_site", "name": "Church", "latitude": 44.05, "longitude": -120.7, "slots_0_2": 20.0, "slots_3_5": 40.0}]
    wb = load_workbook(io.BytesIO(to_priority_bytes(".xlsx", res, ranked, w, 10, about, scen)))
    assert wb.sheetnames[-2:] == ["Scenario", "About"]
    assert list(wb["Scenario"].values)[1][:2] == ("new_site", "Church")
    assert "Church" in dict(list(wb["About"].values)[1:])["Scenario changes"]
    import zipfile

    with zipfile.ZipFile(io.BytesIO(to_priority_bytes(".zip", res, ranked, w, 10, about, scen))) as z:
        assert "Scenario changes:" in z.read("gapmap_priorities.about.txt").decode("utf-8")


def test_privacy_mode_keeps_family_homes_out_of_the_export(demo):
    from openpyxl import load_workbook

    from gapmap.analysis.ranking import PRESETS, add_reasons, rank_tracts
    from gapmap.metrics import compute_tract_metrics
    from gapmap.outputs.export import priority_about, to_priority_bytes

    res = compute_tract_metrics(*demo)
    w = PRESETS["balanced"]
    ranked = add_reasons(rank_tracts(res, w), w, 10)
    about = priority_about("demo", res.params, w, "balanced", 10)
    wb = load_workbook(io.BytesIO(to_priority_bytes(".xlsx", res, ranked, w, 10, about, privacy=True)))
    rows = list(wb["Providers"].values)
    head = list(rows[0])
    kind, lat, lon, geoid = (head.index(c) for c in ("type", "latitude", "longitude", "geoid"))
    homes = [r for r in rows[1:] if r[kind] == "family_home"]
    assert homes and all(r[lat] is None and r[lon] is None and r[geoid] for r in homes)
    assert all(r[lat] is not None for r in rows[1:] if r[kind] != "family_home")
    assert dict(list(wb["About"].values)[1:])["Privacy"] == (
        "Privacy mode was on: family child care homes are listed with their census tract only, never their coordinates or address."
    )
    open_wb = load_workbook(io.BytesIO(to_priority_bytes(".xlsx", res, ranked, w, 10, about)))
    assert sum(r[lat] is not None for r in list(open_wb["Providers"].values)[1:]) == len(rows) - 1


def test_the_about_sheet_says_other_parameters_and_weights_in_sentences():
    from gapmap.analysis.ranking import RankWeights, describe_weights
    from gapmap.config import AnalysisParams
    from gapmap.glossary import describe_params

    said = describe_params(AnalysisParams(utilization=0.85, catchment_km=15.0, decay="gaussian", cap_min_children=40))
    assert said["Slots counted"] == "85% of each provider's licensed slots are taken to be operating (utilization 0.85)."
    assert said["Travel distance"].startswith("Families are taken to travel up to 15 km") and "Gaussian decay" in said["Travel distance"]
    assert said["Desert rules"].startswith("CAP rule: a tract with more than 40 children is a child-care desert")
    by_place = describe_params(AnalysisParams(catchment_by_place=True, catchment_urban_km=5.0))
    assert "up to 5 km in urban tracts, 12 km in towns and 20 km in rural tracts" in by_place["Travel distance"]
    # weights 2, 1, 1, 0, 0 are shares 50%, 25%, 25%, 0%, 0% of the score; scaled unreliable tracts are said
    w = describe_weights(RankWeights(2, 1, 1, 0, 0, unreliable_factor=0.5, band="0_2"), "infant_toddler")
    assert w["Ranking"] == (
        "Tracts were ranked for infants and toddlers (ages 0-2) with the Infant toddler weights: unmet need 50%, "
        "access gap 25%, desert class 25%, poverty 0%, working parents 0% of the score."
    )
    assert w["Unreliable estimates"].endswith("multiplied by 0.5.")
