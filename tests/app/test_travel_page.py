"""Travel times in the app: a table uploaded on Your data (checked, rejected rows shown), saved with the
dataset, the sidebar's choice of measure, and the Travel time page's comparison."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from gapmap.metrics import compute_tract_metrics, compute_tract_points
from gapmap.metrics.access import haversine_km
from gapmap.metrics.access_compare import compute_access_comparison
from gapmap.sources.providers import RegionBounds, import_providers
from gapmap.sources.travel_times import check_travel_times
from tests.app.conftest import texts
from tests.conftest import DEMO_DIR

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _table(tracts, providers) -> pd.DataFrame:
    """Minutes as if roads were 1.8 times the straight line at 60 km/h, within 30 minutes."""
    pts = compute_tract_points(tracts)
    parts = []
    for g, (lon, lat) in zip(tracts.geoid, pts, strict=True):
        m = 1.8 * haversine_km(lon, lat, providers.longitude.to_numpy(), providers.latitude.to_numpy())
        k = np.flatnonzero(m <= 30)
        parts.append(pd.DataFrame({"GEOID": g, "provider_id": providers.provider_id.to_numpy()[k], "minutes": m[k].round(3)}))
    return pd.concat(parts, ignore_index=True)


def test_a_table_is_checked_saved_and_compared(places, demo):
    tracts, _ = demo
    providers = import_providers(DEMO_DIR / "providers.csv", bounds=RegionBounds.of_tracts(tracts)).accepted
    table = _table(tracts, providers)
    bad = pd.DataFrame(
        {"GEOID": [tracts.geoid.iloc[0], "99999000000"], "provider_id": [providers.provider_id.iloc[0], "X"], "minutes": ["-1", "4"]}
    )
    upload = pd.concat([table, bad], ignore_index=True)
    buf = io.StringIO()
    upload.to_csv(buf, index=False)

    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="upload_tracts").set_value(
        ("tracts.geojson", (DEMO_DIR / "tracts.geojson").read_bytes(), "application/geo+json")
    ).run()
    at.file_uploader(key="upload_providers").set_value(("providers.csv", (DEMO_DIR / "providers.csv").read_bytes(), "text/csv")).run()
    at.file_uploader(key="upload_travel_times").set_value(("od_matrix.csv", buf.getvalue().encode(), "text/csv")).run()
    assert not at.exception, at.exception
    got = {m.label: m.value for m in at.metric}
    assert (got["Rows read"], got["Accepted"], got["Rejected"]) == (f"{len(upload):,}", f"{len(table):,}", "2")
    rejected = next(d.value for d in at.dataframe if "reason" in d.value.columns and "minutes" in d.value.columns)
    assert sorted(rejected["reason"]) == [
        "no tract with this GEOID in the region",
        "the minutes are negative: expected a travel time of 0 minutes or more",
    ]

    at.text_input(key="dataset_name").input("River hub").run()
    at.button(key="save_dataset").click().run()
    assert not at.exception, at.exception
    assert at.session_state["region"] == "river-hub"
    assert (places / "datasets" / "river-hub" / "travel_times.parquet").exists()
    assert at.radio(key="access_by").value == "travel_time"

    # the Travel time page: its counts are those of an independent run on the same table
    at.switch_page("pages/travel.py").run()
    assert not at.exception, at.exception
    times = check_travel_times(
        table.rename(columns={"GEOID": "geoid"}), tracts.geoid.to_numpy(object), providers.provider_id.to_numpy(object), "t"
    ).times
    expect = compute_access_comparison(compute_tract_metrics(tracts, providers, travel=times), "under_5")
    moved = expect["change"].value_counts()
    shown = {m.label: m.value for m in at.metric}
    assert shown["Tracts worse by travel time"] == f"{moved.get('worse by travel time', 0):,}"
    assert shown["Tracts better by travel time"] == f"{moved.get('better by travel time', 0):,}"
    assert moved.get("worse by travel time", 0) + moved.get("better by travel time", 0) > 0

    # by distance, the Overview's access is the distance run's again
    at.radio(key="access_by").set_value("distance").run()
    assert not at.exception, at.exception


def test_without_travel_times_the_page_says_how_to_add_them(places):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/travel.py").run()
    assert not at.exception, at.exception
    assert any("has no travel times" in t for t in texts(at.info))
    assert "access_by" not in [r.key for r in at.radio]  # the sidebar offers the choice only with travel times
