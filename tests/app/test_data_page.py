"""The data page, driven in AppTest: upload or fetch tracts, import a provider list, save, map it."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from gapmap.metrics import compute_summary, compute_tract_metrics
from gapmap.sources.providers import RegionBounds, import_providers
from gapmap.ui import loaders
from tests.app.conftest import shown, texts
from tests.census_fake import RecordedCensus
from tests.conftest import DEMO_DIR, FIXTURES

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def data_page():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, at.exception
    return at


def metrics(at):
    return {m.label: m.value for m in at.metric}


def test_upload_import_report_save_and_map(places, demo):
    at = data_page()
    at.file_uploader(key="upload_tracts").set_value(
        ("tracts.geojson", (DEMO_DIR / "tracts.geojson").read_bytes(), "application/geo+json")
    ).run()
    assert "Tracts: 162 from uploaded tracts.geojson." in texts(at.success)
    defects = (FIXTURES / "providers" / "defects.csv").read_bytes()
    at.file_uploader(key="upload_providers").set_value(("defects.csv", defects, "text/csv")).run()
    assert not at.exception, at.exception
    got = metrics(at)
    assert (got["Rows read"], got["Accepted"], got["Rejected"]) == ("10", "2", "8")
    rejected = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert len(rejected) == 8 and rejected["reason"].str.len().gt(10).all()
    assert rejected.loc[rejected["row"] == 3, "reason"].item() == "column 'capacity' value 'lots' is not a number"

    at.text_input(key="dataset_name").input("Test region").run()
    # 8 of 10 rows rejected: the page says so beside the button and saves only when confirmed
    assert any("8 of 10 rows (80%) were rejected" in w for w in texts(at.warning))
    at.button(key="save_dataset").click().run()
    assert at.session_state["region"] == "demo" and any("tick 'Save anyway'" in w for w in texts(at.warning))
    at.checkbox(key="save_anyway").check().run()
    at.button(key="save_dataset").click().run()
    assert not at.exception, at.exception
    assert at.session_state["region"] == "test-region"
    assert (places / "datasets" / "test-region" / "tracts.parquet").exists()

    # every page now uses the saved dataset
    at.switch_page("pages/overview.py").run()
    assert not at.exception, at.exception
    expected_providers = import_providers(FIXTURES / "providers" / "defects.csv", bounds=RegionBounds.of_tracts(demo[0])).accepted
    s = compute_summary(compute_tract_metrics(demo[0], expected_providers)).set_index("band").loc["under_5"]
    assert metrics(at)["Children"] == f"{s['children']:,.0f}"
    assert metrics(at)["Slots in the region"] == f"{s['slots']:,.0f}" == "40"  # 30 + the Zoo-type provider (other)
    assert any("Test region" in c for c in texts(at.caption))
    at.switch_page("pages/map.py").run()
    assert not at.exception, at.exception


def test_fetch_with_progress_then_errors_keep_the_data(places, monkeypatch):
    monkeypatch.setenv("CENSUS_API_KEY", "k")
    monkeypatch.setattr(loaders, "new_http_session", lambda: RecordedCensus())
    at = data_page()
    at.text_input(key="fetch_counties").input("Coos, Curry")
    at.number_input(key="fetch_year").set_value(2023)
    at.button(key="fetch_go").click().run()
    assert not at.exception, at.exception
    assert "Tracts: 6 from ACS 5-year 2023, Oregon (Coos, Curry)." in texts(at.success)

    # the API fails now: a message a planner can act on, and the tracts already fetched stay
    monkeypatch.setattr(loaders, "new_http_session", lambda: RecordedCensus(script=[503] * 10))
    at.text_input(key="fetch_counties").input("Coos")
    at.button(key="fetch_go").click().run()
    assert not at.exception, at.exception
    assert "unavailable (HTTP 503)" in texts(at.error)[0] and "Try again later" in texts(at.error)[0]
    assert "Tracts: 6 from ACS 5-year 2023, Oregon (Coos, Curry)." in texts(at.success)

    # ... and on to the map: a provider list of the region, saved, drawn
    providers = b"provider_id,name,type,latitude,longitude,capacity,slots_0_2,slots_3_5,funding\nC1,Bay Center,center,43.35,-124.25,40,10,20,private\n"
    at.file_uploader(key="upload_providers").set_value(("coos.csv", providers, "text/csv")).run()
    assert {m.label: m.value for m in at.metric}["Accepted"] == "1"
    at.text_input(key="dataset_name").input("Coos and Curry").run()
    at.button(key="save_dataset").click().run()
    assert at.session_state["region"] == "coos-and-curry"
    at.switch_page("pages/map.py").run()
    assert not at.exception, at.exception
    at.session_state["selected_geoid"] = "41011000100"
    at.run()
    assert not at.exception, at.exception
    details = at.dataframe[0].value
    assert details["Slots in tract"].tolist() == [10.0, 20.0, 30.0]


def test_without_a_key_the_page_says_where_to_get_one(places, monkeypatch):
    monkeypatch.delenv("CENSUS_API_KEY", raising=False)
    at = data_page()
    assert "key_signup.html" in texts(at.warning)[0]
    assert at.button(key="fetch_go").disabled


def test_geocoding_on_the_data_page(places, monkeypatch):
    from tests.unit.test_geocode import RecordedGeocoder

    monkeypatch.setattr(loaders, "new_http_session", lambda: RecordedGeocoder())
    at = data_page()
    at.file_uploader(key="upload_providers").set_value(
        ("addr.csv", (FIXTURES / "geocoder" / "providers_with_addresses.csv").read_bytes(), "text/csv")
    ).run()
    assert {m.label: m.value for m in at.metric}["Accepted"] == "0"
    at.checkbox(key="geocode").check().run()
    assert not at.exception, at.exception
    got = {m.label: m.value for m in at.metric}
    assert (got["Rows read"], got["Accepted"], got["Rejected"]) == ("4", "2", "2")
    assert "Census geocoder answered 'No_Match'" in " ".join(next(d.value for d in at.dataframe if "reason" in d.value.columns)["reason"])


def test_an_oregon_export_on_the_demo_tracts_imports_whole_and_saves_what_it_read(places, demo):
    import json

    from gapmap.sources.datasets import read_dataset

    at = data_page()
    at.selectbox(key="known_region").set_value("demo")
    at.button(key="use_known").click().run()
    assert "Tracts: 162 from the tracts of Demo region (synthetic demo data)." in texts(at.success)
    at.file_uploader(key="upload_providers").set_value(
        ("oregon.csv", (FIXTURES / "providers" / "oregon_delc_export.csv").read_bytes(), "text/csv")
    ).run()
    assert not at.exception, at.exception
    got = metrics(at)
    assert (got["Rows read"], got["Accepted"], got["Rejected"], got["Not operating"]) == ("10", "6", "4", "4")
    assert not any("no vocabulary knows" in c for c in texts(at.caption))  # Oregon's words need no step
    assert any(
        "'Keep providers that are not operating' under Column mapping and options" in r
        for r in next(d.value for d in at.dataframe if "reason" in d.value.columns)["reason"]
    )
    at.checkbox(key="keep_inactive").check().run()
    assert metrics(at)["Accepted"] == "10"
    at.text_input(key="dataset_name").input("Oregon test").run()
    at.button(key="save_dataset").click().run()
    assert not at.exception, at.exception and at.session_state["region"] == "oregon-test"
    about = json.loads((places / "datasets" / "oregon-test" / "about.json").read_text())
    assert (about["import"]["rows_read"], about["import"]["accepted"], about["import"]["rejected"]) == (10, 10, 0)
    assert about["import"]["columns"]["slots_0_2"] == "Infant Capacity + Toddler Capacity"
    _, providers = read_dataset(places / "datasets", "oregon-test")
    assert "slots_estimated" in providers.columns and "quality_rating" in providers.columns
    at.switch_page("pages/overview.py").run()
    assert any(shown(e.label).startswith("Provider import: 10 rows read from oregon.csv, 10 accepted, 0 rejected") for e in at.expander)


def test_a_value_mapping_file_maps_a_states_own_words_in_the_app(places):
    import json

    at = data_page()
    at.selectbox(key="known_region").set_value("demo")
    at.button(key="use_known").click().run()
    at.file_uploader(key="upload_providers").set_value(
        ("export.csv", (FIXTURES / "providers" / "unknown_vocabulary_export.csv").read_bytes(), "text/csv")
    ).run()
    assert any("'Type 7' (2 rows), 'Type 9' (1 row), 'MISC' (1 row) -> other" in c for c in texts(at.caption))
    mapping = (FIXTURES / "providers" / "value_mapping.json").read_bytes()
    at.file_uploader(key="values_file").set_value(("mapping.json", mapping, "application/json")).run()
    assert not at.exception, at.exception
    got = metrics(at)
    assert (got["Accepted"], got["Not operating"]) == ("3", "1")  # "Pending" means not operating in this state's file
    assert not any("no vocabulary knows" in c for c in texts(at.caption))
    editors = {tuple(d.value["value"]): d.value for d in at.dataframe if "Counts as" in d.value.columns or "code" in d.value.columns}
    types = editors[("Type 7", "Type 9", "MISC")]
    assert types.set_index("value")["code"].to_dict() == {"Type 7": "center", "Type 9": "family_home", "MISC": "other"}
    assert set(json.loads(mapping)["type"]) == {"Type 7", "Type 9", "MISC"}


def test_saving_a_damaged_import_asks_first(places):
    """Slots outside every tract: the wrong region's list is caught before it is saved."""
    at = data_page()
    at.selectbox(key="known_region").set_value("demo")
    at.button(key="use_known").click().run()
    far = b"provider_id,name,type,latitude,longitude,capacity\nA,Far Center,center,44.95,-119.55,90\nB,Near Home,family_home,44.30,-120.70,10\n"
    at.file_uploader(key="upload_providers").set_value(("far.csv", far, "text/csv")).run()
    at.text_input(key="dataset_name").input("Far").run()
    assert any("90% of the accepted slots lie outside every tract" in w for w in texts(at.warning))


KEY = "0123456789abcdef0123456789abcdef01234567"  # the form of a Census key: 40 letters and digits


def test_a_census_key_entered_for_the_session_fetches_and_is_never_shown(places, monkeypatch):
    monkeypatch.delenv("CENSUS_API_KEY", raising=False)
    calls = []

    class Spy(RecordedCensus):
        def get(self, url, params=None, **kwargs):
            calls.append(dict(params or {}))
            return super().get(url, params=params, **kwargs)

    monkeypatch.setattr(loaders, "new_http_session", lambda: Spy())
    at = data_page()
    assert at.button(key="fetch_go").disabled  # no key yet
    at.text_input(key="census_key_field").input("not a key")
    at.button(key="FormSubmitter:census_key_form-Use this key").click().run()
    assert any("not a Census API key" in e for e in texts(at.error)) and "not a key" not in " ".join(texts(at.error))
    assert at.button(key="fetch_go").disabled and calls == []  # refused before any request
    at.text_input(key="census_key_field").input(KEY)
    at.button(key="FormSubmitter:census_key_form-Use this key").click().run()
    assert not at.exception, at.exception
    assert at.session_state["census_key_field"] == ""  # the form clears the field: the key stays on the server
    assert "A Census API key is set for this session." in texts(at.caption)
    assert not at.button(key="fetch_go").disabled
    at.text_input(key="fetch_counties").input("Coos, Curry")
    at.number_input(key="fetch_year").set_value(2023)
    at.button(key="fetch_go").click().run()
    assert "Tracts: 6 from ACS 5-year 2023, Oregon (Coos, Curry)." in texts(at.success)
    assert calls and all(c.get("key") == KEY for c in calls if "key" in c)
    shown = " ".join(texts(at.markdown) + texts(at.caption) + texts(at.success) + texts(at.warning) + texts(at.error))
    assert KEY not in shown
    at.button(key="census_key_forget").click().run()
    assert at.button(key="fetch_go").disabled


def test_a_saved_dataset_is_renamed_then_deleted_and_the_sidebar_follows(places, demo):
    from gapmap.sources.datasets import list_datasets, save_dataset

    key = save_dataset(loaders.DATASETS_DIR, "Hub A", *demo, {"tracts": "demo"})
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="region").set_value(key).run()
    at.switch_page("pages/data.py").run()
    assert at.selectbox(key="manage_dataset").value == key
    at.text_input(key=f"rename_{key}").input("Hub A 2024")
    at.button(key="rename_dataset").click().run()
    assert not at.exception, at.exception
    assert list_datasets(loaders.DATASETS_DIR) == {"hub-a-2024": "Hub A 2024"}
    assert at.selectbox(key="region").value == "hub-a-2024"  # the data in use follows its new name
    assert at.button(key="delete_dataset").disabled  # deleting asks first
    at.checkbox(key="delete_sure_hub-a-2024").check().run()
    at.button(key="delete_dataset").click().run()
    assert not at.exception, at.exception
    assert list_datasets(loaders.DATASETS_DIR) == {}
    assert at.selectbox(key="region").value == "demo"
    assert "No saved datasets yet." in texts(at.caption)
