"""The Compare page on the demo's hubs: its table equals sums over each hub's tracts."""

import io

import pytest

from gapmap import schema as S
from gapmap.regions import ALL_TRACTS, assign_regions, read_region_set
from tests.app.conftest import open_page, texts
from tests.conftest import DEMO_DIR

HUBS = ["High Desert Hub", "Riverton Hub", "Millbrook and Cascade Hub"]


def page(state=None):
    return open_page("pages/compare.py", state)


def _hub_sums(base, column):
    a = assign_regions(base.tracts, read_region_set(DEMO_DIR.parent / "regions" / "demo-hubs.json"))
    return base.tracts.groupby(a.table["region"].to_numpy())[column].sum()


def test_demo_hubs_side_by_side(base):
    at = page()
    assert at.selectbox(key="compare_set").value == "demo-hubs"
    assert at.multiselect(key="compare_regions_demo-hubs").value == HUBS
    table = at.dataframe[0].value.set_index("Measure")
    assert list(table.columns) == [*HUBS, ALL_TRACTS]
    kids = _hub_sums(base, S.CHILDREN_UNDER_5)
    slots = _hub_sums(base, "slots_under_5")
    for hub in HUBS:
        assert table.loc["Children under 5", hub] == f"{kids[hub]:,.0f}"
        assert table.loc["Slots per 100 children under 5", hub] == f"{100 * slots[hub] / kids[hub]:.1f}"
    assert table.loc["Children under 5", ALL_TRACTS] == f"{base.tracts[S.CHILDREN_UNDER_5].sum():,.0f}"
    # charts: bars with both thresholds, the scatter, access bars, desert shares; one equity chart per tab
    charts = at.get("plotly_chart")
    assert len(charts) == 4 + len(HUBS) + 1
    tabs = at.tabs
    assert [t.label for t in tabs] == [*HUBS, ALL_TRACTS]
    labels = [b.label for b in at.get("download_button")]
    assert labels == [
        "Comparison: CSV",
        "Comparison: CSV + where it came from (ZIP)",
        "Comparison: Excel workbook",
        "Comparison: Map file (GeoJSON)",
        "Who lives in the deserts (CSV)",
    ]


def test_equity_table_on_the_page(base):
    at = page()
    eq = at.dataframe[1 + HUBS.index("Riverton Hub")].value.set_index("Group")  # one table per tab, after the comparison
    assert "Hispanic or Latino (any race)" in eq.index and "Below 100% of poverty" in eq.index
    a = assign_regions(base.tracts, read_region_set(DEMO_DIR.parent / "regions" / "demo-hubs.json"))
    mine = base.tracts[a.table["region"].to_numpy() == "Riverton Hub"]
    desert = mine["osu_class_under_5"].astype(object).isin(["desert", "extreme desert"])
    col = "under5_hispanic_or_latino"
    assert eq.loc["Hispanic or Latino (any race)", "Children"] == mine[col].sum()
    assert eq.loc["Hispanic or Latino (any race)", "In deserts (%)"] == pytest.approx(
        round(100 * mine.loc[desert, col].sum() / mine[col].sum(), 1)
    )


def test_counties_and_a_subset(base):
    at = page()
    at.selectbox(key="compare_set").set_value("county").run()
    assert not at.exception, at.exception
    at.multiselect(key="compare_regions_county").set_value(["Alder County", "Cascade County"]).run()
    table = at.dataframe[0].value
    assert list(table.columns) == ["Measure", "Alder County", "Cascade County", ALL_TRACTS]
    at.multiselect(key="compare_regions_county").set_value(["Alder County"]).run()
    assert any("Pick two or more regions" in i.value for i in at.info)


def test_every_band_toggle_and_band_from_the_sidebar():
    at = page({"band": "0_2"})
    measures = at.dataframe[0].value["Measure"].tolist()
    assert "Children aged 0-2" in measures and "Children under 5" not in measures
    at.toggle(key="compare_all_bands").set_value(True).run()
    measures = at.dataframe[0].value["Measure"].tolist()
    assert {"Children aged 0-2", "Children aged 3-5", "Children under 5"} <= set(measures)


def test_uploaded_table_of_regions_and_bad_file(base, monkeypatch):
    """A CSV of tract -> region becomes the comparison; a bad row is reported by row, column and value."""
    import streamlit as st

    geoids = base.tracts[S.GEOID].tolist()
    good = "geoid,region\n" + "".join(f"{g},{'North' if i % 2 else 'South'}\n" for i, g in enumerate(geoids[:20]))

    class Upload(io.BytesIO):
        def __init__(self, data, name):
            super().__init__(data)
            self.name = name

        def getvalue(self):
            return super().getvalue()

    real = st.file_uploader

    def fake(label, *args, key=None, **kwargs):
        if key == "region_upload":
            return Upload(fake.data, fake.name)
        return real(label, *args, key=key, **kwargs)

    fake.data, fake.name = good.encode(), "my_regions.csv"
    monkeypatch.setattr(st, "file_uploader", fake)
    at = page()
    assert at.selectbox(key="compare_set").value == "custom"
    table = at.dataframe[0].value.set_index("Measure")
    assert list(table.columns) == ["South", "North", ALL_TRACTS]
    south = base.tracts[S.GEOID].isin(geoids[:20:2])
    assert table.loc["Children under 5", "South"] == f"{base.tracts.loc[south, S.CHILDREN_UNDER_5].sum():,.0f}"
    assert any("16 of 162 tracts" in c or "142 of 162 tracts are in no region" in c for c in texts(at.caption))

    fake.data, fake.name = b"geoid,region\n123,North\n", "bad.csv"
    at = page()
    assert any("bad.csv, row 1, column 'geoid', value '123'" in e for e in texts(at.error))


def test_a_link_restores_the_regions_and_options_of_a_comparison():
    import math

    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP

    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"compare_set": "county", "compare_share": "0.2", "compare_rule": "cap", "compare_preset": "equity"})
    at.run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="compare_set").value == "county"
    assert at.slider(key="compare_share").value == 0.2
    assert at.selectbox(key="compare_rule").value == "cap" and at.selectbox(key="compare_preset").value == "equity"
    assert any(f"the top {math.ceil(0.2 * 162)} of all 162 tracts" in c for c in texts(at.caption))
    assert at.query_params["compare_set"] == "county" and at.query_params["compare_rule"] == "cap"
    # a set this data does not have falls back to the page's own choice
    other = AppTest.from_file(APP, default_timeout=90)
    other.query_params["compare_set"] = "no-such-set"
    other.run()
    other.switch_page("pages/compare.py").run()
    assert not other.exception, other.exception
    assert other.selectbox(key="compare_set").value == "demo-hubs"
