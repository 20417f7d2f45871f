"""Exports: formulas neutralized, plain numbers kept, accents kept, provenance header readable."""

import io

import pandas as pd

from gapmap.export import neutralize_formulas, to_csv_bytes


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


def test_csv_bytes_have_bom_and_about_header():
    df = pd.DataFrame({"name": ["Chávez Family Child Care"], "slots": [4]})
    raw = to_csv_bytes(df, {"data": "demo", "parameter utilization": 0.85})
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[:2] == ["# data: demo", "# parameter utilization: 0.85"]
    back = pd.read_csv(io.StringIO(text), skiprows=2)
    assert back["name"].tolist() == ["Chávez Family Child Care"]
