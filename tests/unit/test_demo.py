"""The synthetic demo region: regenerated bit for bit, and shaped like a real region."""

import numpy as np
import pytest

from gapmap import schema as S
from gapmap.metrics import compute_tract_metrics
from gapmap.sources.demo import HUBS_FILE, PROVIDERS_FILE, TRACTS_FILE, write_demo
from tests.conftest import DEMO_DIR


def test_committed_files_regenerate_bit_for_bit(tmp_path):
    written = write_demo(tmp_path / "demo")
    assert [p.name for p in written] == [TRACTS_FILE, PROVIDERS_FILE, HUBS_FILE]
    for name in (TRACTS_FILE, PROVIDERS_FILE):
        assert (tmp_path / "demo" / name).read_bytes() == (DEMO_DIR / name).read_bytes(), f"{name} differs: run `uv run gapmap demo-data`"
    committed_hubs = DEMO_DIR.parent / "regions" / HUBS_FILE
    assert (tmp_path / "regions" / HUBS_FILE).read_bytes() == committed_hubs.read_bytes(), (
        "demo-hubs.json differs: run `uv run gapmap demo-data`"
    )


def test_demo_race_and_ethnicity_counts_are_consistent(demo):
    """Races alone (A-G) split the children under 5 exactly; H is part of A; H and I do not overlap."""
    tracts, _ = demo
    groups = list(S.UNDER5_GROUPS)
    races = tracts[groups[:7]].sum(axis=1)
    assert (races == tracts[S.CHILDREN_UNDER_5]).all()
    white, white_nh, hispanic = (tracts[c] for c in groups[0:1] + groups[7:9])
    assert (white_nh <= white).all()
    assert (white_nh + hispanic <= tracts[S.CHILDREN_UNDER_5]).all()
    for col in groups:
        assert (tracts[S.moe_column(col)] > 0).all()
    assert S.POPULATION in tracts.columns


def test_demo_is_labelled_synthetic():
    assert "synthetic demo data" in (DEMO_DIR.parent / "README.md").read_text()
    assert "synthetic demo data" in (DEMO_DIR / TRACTS_FILE).read_text()[:200]


def test_demo_shape(demo):
    tracts, providers = demo
    assert 120 <= len(tracts) <= 250
    assert 150 <= len(providers) <= 300
    assert tracts[S.COUNTY].nunique() == 3
    assert set(providers[S.PROVIDER_TYPE]) == set(S.PROVIDER_TYPES)
    assert set(providers[S.FUNDING]) == {"public", "private", "mixed"}
    for col in S.TRACT_COUNT_COLUMNS:
        assert col in tracts.columns and S.moe_column(col) in tracts.columns
        assert (tracts[S.moe_column(col)] > 0).all()
    # polygons tile the region without overlaps
    areas = tracts.to_crs(6933).area
    union = tracts.to_crs(6933).union_all().area
    assert areas.sum() == pytest.approx(union, rel=1e-6)


def test_demo_has_towns_countryside_and_gaps(demo):
    tracts, providers = demo
    res = compute_tract_metrics(tracts, providers)
    t = res.tracts
    no_providers = t["providers"] == 0
    assert no_providers.sum() >= 20, "some tracts must have no provider at all"
    area = t.to_crs(6933).area / 1e6
    assert area[no_providers].median() > 3 * area[~no_providers].median(), "empty tracts are the big rural ones"
    # capacities typical of their type
    by_type = providers.groupby(S.PROVIDER_TYPE)[S.CAPACITY].median()
    assert by_type["family_home"] <= 16 < by_type["center"]
    assert (providers.loc[providers[S.PROVIDER_TYPE] == "school_prek", S.SLOTS_0_2] == 0).all()
    # indicators vary in space
    assert t["poverty_share_100"].std() > 0.05
    assert 0.3 < t["working_parents_share"].mean() < 0.9
    for band in ("0_2", "3_5"):
        classes = set(t[f"osu_class_{band}"])
        assert {"extreme desert", "desert", "not a desert"} <= classes
    ratio = np.divide(t["children_0_2_moe"] / 1.645, t["children_0_2"])
    assert 0.1 < ratio.median() < 0.6  # ACS-like coefficients of variation
