"""The priorities page: presets set the weights, the table is the core's ranking, weights re-rank."""

import pytest

from gapmap.analysis.ranking import PRESETS, RankWeights, rank_tracts
from tests.app.conftest import open_page


def page(state=None):
    return open_page("pages/priorities.py", state)


def test_default_ranking_is_the_balanced_preset(base):
    at = page()
    table = at.dataframe[0].value
    expected = rank_tracts(base, PRESETS["balanced"]).head(25)
    assert table["Tract"].tolist() == expected["name"].tolist()
    assert table["Score"].tolist() == pytest.approx(expected["score"].tolist())
    assert table["Why this rank"].iloc[0].startswith("Rank 1 (score")
    labels = [b.label for b in at.get("download_button")]
    assert labels == [
        "Priorities: CSV",
        "Priorities: CSV + where it came from (ZIP)",
        "Priorities: Excel workbook",
        "Priorities: Map file (GeoJSON)",
        "Priorities: GIS file (GeoPackage)",
        "Printable summary",
    ]


def test_a_preset_sets_the_weights_and_reranks(base):
    at = page()
    at.selectbox(key="preset").set_value("equity").run()
    assert not at.exception, at.exception
    assert at.slider(key="w_poverty").value == PRESETS["equity"].poverty
    expected = rank_tracts(base, PRESETS["equity"]).head(25)
    assert at.dataframe[0].value["Tract"].tolist() == expected["name"].tolist()


def test_moving_a_weight_reranks(base):
    at = page()
    at.slider(key="w_working_parents").set_value(1.0).run()
    w = RankWeights(0.30, 0.20, 0.15, 0.20, 1.0)
    expected = rank_tracts(base, w).head(25)
    assert at.dataframe[0].value["Tract"].tolist() == expected["name"].tolist()
    at.number_input(key="top_n").set_value(10).run()
    assert len(at.dataframe[0].value) == 10
