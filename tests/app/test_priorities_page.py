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


def test_a_preset_made_for_a_band_sets_the_band_visibly(demo):
    from gapmap.metrics import compute_tract_metrics

    at = page()
    assert at.radio(key="band").value == "under_5"
    at.selectbox(key="preset").set_value("infant_toddler").run()
    assert not at.exception, at.exception
    assert at.radio(key="band").value == "0_2"  # the sidebar shows the band the ranking reads
    assert at.title[0].value == "Priorities, ages 0-2"
    assert any("the age band is now 0-2" in i.value for i in at.info)
    expected = rank_tracts(compute_tract_metrics(*demo), PRESETS["infant_toddler"]).head(25)
    assert at.dataframe[0].value["Tract"].tolist() == expected["name"].tolist()
    assert at.query_params["band"] == "0_2" and at.query_params["preset"] == "infant_toddler"


def test_a_link_restores_preset_weights_and_number_of_tracts(base):
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP

    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"preset": "equity", "w_poverty": "0.9", "top_n": "7"})
    at.run()
    at.switch_page("pages/priorities.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="preset").value == "equity"
    assert at.slider(key="w_poverty").value == 0.9 and at.slider(key="w_desert").value == PRESETS["equity"].desert
    assert at.number_input(key="top_n").value == 7
    weights = RankWeights(0.25, 0.15, 0.10, 0.9, 0.10)
    expected = rank_tracts(base, weights).head(7)
    assert at.dataframe[0].value["Tract"].tolist() == expected["name"].tolist()
    # the page writes the view back: the link it offers is the one it was opened with
    assert at.query_params["w_poverty"] == "0.9" and at.query_params["top_n"] == "7"


def test_confident_deserts_can_come_first(base):
    """The option ranks every tract with a 90% or greater chance of an access desert first (the chance the
    app computes: 1,000 draws, seed 0), each group by score; the table shows the chance."""
    from gapmap.metrics.probability import compute_desert_probability, with_desert_probability

    at = page()
    at.selectbox(key="confident_first").set_value("access").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    drawn = with_desert_probability(base, compute_desert_probability(base, draws=1000, seed=0))
    expected = rank_tracts(drawn, RankWeights(confident_first="access")).head(25)
    assert table["Tract"].tolist() == expected["name"].tolist()
    chance = table["Chance of access desert (%)"].to_numpy()
    n = int((chance >= 90).sum())
    assert n > 0 and (chance[:n] >= 90).all()
