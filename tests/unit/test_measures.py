"""The measure registry: declared once, read everywhere, rolled up by its rules (worked by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gapmap import measures as M
from gapmap.config import DEFAULT_PARAMS
from gapmap.errors import ParameterError
from gapmap.metrics import compute_summary, compute_tract_metrics, rollup_tracts
from gapmap.metrics.band import BAND_COMPUTE, computes
from gapmap.regions import assign_regions, compute_rollup, county_region_set
from gapmap.regions.compare import compute_compare_rows
from gapmap.viz.maps import TOOLTIP_MEASURES, tract_tooltip_fields
from tests.conftest import ROOT


def test_the_readme_table_is_the_registry():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert M.readme_with_table(text) == text, (
        "the README's table of measures is stale: run `uv run python -m gapmap.measures --readme README.md`"
    )
    for m in M.MEASURES.values():
        assert (f"`{m.key}_<band>`" if m.per_band else f"`{m.key}`") in text


def test_columns_follow_the_registry():
    assert M.column("access_per_100", "0_2") == "access_per_100_0_2"
    assert M.column("access_per_100", "under5") == "access_per_100_under_5"
    assert M.column("poverty_share_200") == "poverty_share_200"
    assert M.measure("children").moe_column("3_5") == "children_3_5_moe"
    with pytest.raises(ParameterError, match="per age band"):
        M.column("slots")
    with pytest.raises(ParameterError, match="unknown measure 'slots_per_1000'"):
        M.column("slots_per_1000", "0_2")


def test_labels_name_the_band():
    assert M.measure("slots_per_100").label_for("0_2") == "Slots per 100 children aged 0-2"
    assert M.measure("share_in_cap_deserts").label_for("under_5") == "Children under 5 in CAP deserts"
    assert M.measure("slots").label_for("3_5") == "Operating slots aged 3-5 in the area"
    assert M.measure("slots").label_for(None) == "Operating slots in the area"


def test_a_badly_declared_measure_is_refused():
    with pytest.raises(ParameterError, match="roll-up rule 'mean'"):
        M.Measure("x", "X", "u", "d", "number", "mean")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="the ratio rule takes 2 operand"):
        M.Measure("x", "X", "u", "d", "number", "ratio", of=("children",))
    with pytest.raises(ParameterError, match="not a per-band tract measure"):
        computes("share_in_cap_deserts")


def test_every_tract_measure_is_computed(demo):
    from gapmap.metrics.probability import compute_desert_probability

    result = compute_tract_metrics(*demo)
    drawn = compute_desert_probability(result, draws=20, seed=0).tracts
    for m in M.tract_measures():
        for b in result.bands if m.per_band else [None]:
            assert m.column(b) in (drawn if m.on_request else result.tracts).columns, m.key
    assert set(BAND_COMPUTE) <= {m.key for m in M.per_band("tract")}
    assert {m.key for m in M.MEASURES.values() if m.on_request} == {c.rsplit("_", 2)[0] for c in drawn.columns if c.endswith("_0_2")}


def test_every_region_measure_is_rolled_up(demo):
    result = compute_tract_metrics(*demo)
    roll = compute_rollup(result, assign_regions(result.tracts, county_region_set(result.tracts)), priority_geoids=[])
    for m in M.region_measures():
        for b in result.bands if m.per_band else [None]:
            assert m.column(b) in roll.columns, m.key
    rows = compute_compare_rows(roll, ["0_2"])
    assert "Slots per 100 children aged 0-2" in set(rows["Measure"])


# Two tracts of one band, worked by hand (params: desert above 3 children per slot, extreme at 1 per 10):
#   A: 30 children (MOE 12), 3 slots (4 licensed), access 10 per 100 -> 10 per slot: extreme desert
#   B: 10 children (MOE 5), 5 slots (5 licensed), access 50 per 100 -> 2 per slot: not a desert
TWO = pd.DataFrame(
    {
        "geoid": ["99001000100", "99001000200"],
        "providers": [1, 2],
        "children_0_2": [30.0, 10.0],
        "children_0_2_moe": [12.0, 5.0],
        "licensed_slots_0_2": [4.0, 5.0],
        "slots_0_2": [3.0, 5.0],
        "access_per_100_0_2": [10.0, 50.0],
        "cap_desert_0_2": pd.array([False, False], dtype="boolean"),
        "osu_class_0_2": ["extreme desert", "not a desert"],
        "access_class_0_2": ["desert", "not a desert"],
    }
)


def test_roll_up_rules_by_hand():
    row = rollup_tracts(TWO, ["0_2"], DEFAULT_PARAMS)
    assert row["tracts"] == 2 and row["providers"] == 3
    assert row["children_0_2"] == 40 and row["slots_0_2"] == 8 and row["licensed_slots_0_2"] == 9
    assert row["children_0_2_moe"] == pytest.approx(13.0)  # sqrt(12^2 + 5^2)
    assert row["slots_per_100_0_2"] == pytest.approx(20.0)  # 100 x 8 / 40, not the mean of 10 and 50
    assert row["children_per_slot_0_2"] == pytest.approx(5.0)
    assert row["access_per_100_0_2"] == pytest.approx((10 * 30 + 50 * 10) / 40)  # weighted by children: 20
    assert row["osu_class_0_2"] == "desert"  # 5 children per slot on the sums; extreme would need 8 x 10 <= 40
    assert row["share_in_osu_deserts_0_2"] == pytest.approx(0.75)
    assert row["share_in_osu_extreme_0_2"] == pytest.approx(0.75)
    assert row["share_in_access_deserts_0_2"] == pytest.approx(0.75)
    assert row["share_in_cap_deserts_0_2"] == 0 and row["cap_desert_tracts_0_2"] == 0
    assert row["children_in_osu_deserts_0_2"] == 30 and row["osu_desert_tracts_0_2"] == 1


def test_the_summary_is_the_one_region_roll_up(demo):
    result = compute_tract_metrics(*demo)
    summary = compute_summary(result).set_index("band")
    roll = compute_rollup(result, assign_regions(result.tracts, county_region_set(result.tracts))).iloc[-1]
    for b in result.bands:
        for key in ("children", "slots", "slots_per_100", "share_in_cap_deserts", "share_in_osu_extreme", "access_desert_tracts"):
            assert summary.loc[b, key] == pytest.approx(roll[M.column(key, b)])
    t = result.tracts
    kids = t["children_under_5"].fillna(0).to_numpy()
    cap = t["cap_desert_under_5"].fillna(False).to_numpy(bool)
    assert summary.loc["under_5", "share_in_cap_deserts"] == pytest.approx(kids[cap].sum() / kids.sum())


def test_slots_short_of_the_desert_line_by_hand():
    """The worked example of ARCHITECTURE.md: one registry entry and one function."""
    from gapmap.metrics.band import BandInputs, compute_band_measures

    out = compute_band_measures(
        "0_2", BandInputs(np.array([30.0, 10.0, np.nan, 0.0]), np.array([3.0, 5.0, 1.0, 0.0]), np.zeros(4), DEFAULT_PARAMS)
    )
    # A needs 30 / 3 = 10 slots and has 3; B needs 3.33 and has 5; C has no estimate; D has no children
    np.testing.assert_allclose(out["slots_short_0_2"], [7.0, 0.0, np.nan, 0.0])
    with_short = TWO.assign(slots_short_0_2=[7.0, 0.0])
    assert rollup_tracts(with_short, ["0_2"], DEFAULT_PARAMS)["slots_short_0_2"] == 7.0
    assert "slots_short" in dict(tract_tooltip_fields("0_2", False)) and "slots_short" in TOOLTIP_MEASURES
