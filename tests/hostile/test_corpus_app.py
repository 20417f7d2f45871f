"""The hostile corpus through the app's upload paths (AppTest): an error box naming the problem, or a
correct import, never an exception, never a server file, never markdown run from a user's text."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import shown, texts
from tests.hostile.corpus import CASES, HOSTILE, vrt_document, zip_with

APP = str(Path(__file__).resolve().parents[2] / "app.py")
DEMO_TRACTS = Path(__file__).resolve().parents[2] / "data" / "demo" / "tracts.geojson"
CANARY_TEXT = "gapmap-canary-91ab: this text must never leave the server"
PAGE = {"providers": "pages/data.py", "tracts": "pages/data.py", "regions": "pages/compare.py", "scenario": "pages/simulate.py"}
#: What each uploader accepts (Streamlit itself refuses other endings).
ENDINGS = {
    "providers": (".csv", ".xlsx", ".geojson", ".json"),
    "tracts": (".geojson", ".json", ".gpkg", ".parquet", ".zip"),
    "regions": (".json", ".geojson", ".gpkg", ".zip", ".csv", ".xlsx"),
    "scenario": (".json",),
}
UPLOADER = {"providers": "upload_providers", "tracts": "upload_tracts", "regions": "region_upload", "scenario": "load_scenario"}


def open_page(path: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def upload(kind: str, name: str, data: bytes, with_tracts: bool = True) -> AppTest:
    at = open_page(PAGE[kind])
    if kind == "providers" and with_tracts:  # the region's tracts first, as a planner would
        at.file_uploader(key="upload_tracts").set_value(("tracts.geojson", DEMO_TRACTS.read_bytes(), "application/geo+json")).run()
    at.file_uploader(key=UPLOADER[kind]).set_value((name, data, "application/octet-stream")).run()
    return at


def all_text(at: AppTest) -> str:
    """Everything the page shows: messages, captions, markdown, metrics and tables."""
    parts = []
    for group in (at.error, at.warning, at.success, at.info, at.caption, at.markdown, at.code, at.text, at.exception):
        parts += [str(getattr(e, "value", e)) for e in group]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [e.value.to_csv() for e in at.dataframe]
    return "\n".join(parts)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.kind}:{c.file}" for c in CASES])
def test_case_through_the_upload(case, places):
    at = upload(case.kind, case.file, (HOSTILE / case.file).read_bytes())
    assert not at.exception, at.exception
    text = all_text(at)
    assert "Traceback" not in text and str(Path.home()) not in text and "/tmp/" not in text
    errors = texts(at.error)
    if case.outcome == "error":
        assert any(case.expect in e for e in errors), errors
        return
    assert errors == [], errors
    if case.kind == "providers":
        got = {m.label: m.value for m in at.metric}
        assert (got["Accepted"], got["Rejected"]) == (f"{case.accepted:,}", f"{case.rejected:,}")
        assert got["Rows read"] == f"{case.accepted + case.rejected:,}"
    if case.kind == "scenario":
        assert at.session_state["scenario_changes"] is not None


@pytest.mark.parametrize("kind", ["providers", "tracts", "regions"])
def test_a_vrt_upload_never_shows_a_server_file(kind, places, tmp_path):
    canary = tmp_path / "canary.csv"
    canary.write_text(f"longitude,latitude,name\n-120.7,44.3,{CANARY_TEXT}\n")
    vrt = vrt_document(f"CSV:{canary}")
    disguises = {
        "v.geojson": vrt,
        "v.gpkg": vrt,
        "v.json": vrt,
        "v.csv": vrt,
        "v.zip": zip_with({"v.shp": vrt, "v.shx": vrt, "v.dbf": vrt}),
    }
    for name, data in disguises.items():
        if not name.endswith(ENDINGS[kind]):
            continue
        at = upload(kind, name, data)
        assert not at.exception, at.exception
        text = all_text(at)
        assert CANARY_TEXT not in text and str(tmp_path) not in text, name
        assert texts(at.error), f"{name}: no error shown"


def test_markdown_in_a_header_shows_as_text(places):
    at = upload("providers", "markdown_header.csv", (HOSTILE / "markdown_header.csv").read_bytes())
    (error,) = at.error
    assert "[link](http" not in error.value and "![img](" not in error.value and "$x^2$" not in error.value  # nothing would render
    assert "[link](http://127.0.0.1/x)" in shown(error.value)  # yet the reader sees the header as it is


def test_an_upload_with_a_300_character_name(places):
    name = "Provider list " + "x" * 300 + ".csv"
    at = upload("providers", name, (HOSTILE / "trailing_comma.csv").read_bytes())
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Accepted"] == "2"


def test_a_bad_scenario_is_never_stored_and_the_page_recovers(places):
    at = open_page("pages/simulate.py")
    at.file_uploader(key="load_scenario").set_value(
        ("bad.json", (HOSTILE / "scenario_wrong_types.json").read_bytes(), "application/json")
    ).run()
    assert not at.exception and at.session_state["scenario_changes"] == []
    assert any("latitude true must be a number" in e for e in texts(at.error))
    # changes made for another dataset (a provider this region does not have): one error and a way out
    at.session_state["scenario_changes"] = [{"kind": "close_provider", "provider_id": "ELSEWHERE-1"}]
    at.run()
    assert not at.exception and any("no provider with id 'ELSEWHERE-1'" in e for e in texts(at.error))
    at.button(key="clear_changes").click().run()
    assert not at.exception and at.session_state["scenario_changes"] == [] and texts(at.error) == []


def test_a_site_name_with_script_is_kept_as_text(places):
    at = open_page("pages/simulate.py")
    at.text_input(key="site_name").input("${alert(1)}`</script>")
    at.button(key="FormSubmitter:new_site-Add this site").click().run()
    assert not at.exception, at.exception
    assert at.session_state["scenario_changes"][-1]["name"] == "${alert(1)}`</script>"


def test_saving_again_under_the_same_name_asks_and_then_shows_the_new_figures(places, demo):
    at = upload("providers", "two.csv", (HOSTILE / "trailing_comma.csv").read_bytes())
    at.text_input(key="dataset_name").input("South Coast").run()
    at.button(key="save_dataset").click().run()
    at.switch_page("pages/overview.py").run()
    assert {m.label: m.value for m in at.metric}["Slots in the region"] == "30"  # 2 providers x (5 + 10)

    at.switch_page("pages/data.py").run()
    at.file_uploader(key="upload_tracts").set_value(("tracts.geojson", DEMO_TRACTS.read_bytes(), "application/geo+json")).run()
    at.file_uploader(key="upload_providers").set_value(("one.csv", (HOSTILE / "long_name.csv").read_bytes(), "text/csv")).run()
    at.text_input(key="dataset_name").input("SOUTH  coast!!").run()
    at.button(key="save_dataset").click().run()
    assert any("a dataset called 'South Coast' exists already" in e for e in texts(at.error))
    at.checkbox(key="replace_dataset").check().run()
    at.button(key="save_dataset").click().run()
    assert not at.exception, at.exception
    at.switch_page("pages/overview.py").run()
    assert {m.label: m.value for m in at.metric}["Slots in the region"] == "15"  # the new list at once, not the cached one
    assert "Data: SOUTH coast!!, saved" in " ".join(texts(at.caption)).replace("**", "")  # the name as saved the second time


def test_a_dataset_of_three_tracts_opens_every_page(places, demo):
    """Small regions are regions too: the priority list's length, sliders and maps fit three tracts."""
    from gapmap.metrics.supply import locate_providers
    from gapmap.sources.datasets import save_dataset

    tracts, providers = demo
    small = tracts.head(3)
    inside = providers[locate_providers(small, providers).tract_pos >= 0]
    key = save_dataset(places / "datasets", "Three tracts", small, inside if len(inside) else providers.head(2), {})
    for page in ("pages/overview.py", "pages/map.py", "pages/priorities.py", "pages/simulate.py", "pages/compare.py"):
        at = AppTest.from_file(APP, default_timeout=90)
        at.session_state["region"] = key
        at.run()
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
