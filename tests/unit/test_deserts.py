"""Desert rules at their edges, worked by hand from the published definitions."""

import numpy as np
import pandas as pd
import pytest

from gapmap.metrics.deserts import classify_access, classify_cap, classify_osu, compute_ratios


@pytest.mark.parametrize(
    ("children", "slots", "expected", "why"),
    [
        (50, 0, False, "exactly 50 children is not more than 50"),
        (51, 0, True, "more than 50 children and no slots"),
        (51, 17, False, "51 / 17 = exactly 3.0 children per slot: not more than 3"),
        (52, 17, True, "52 / 17 = 3.06 children per slot"),
        (0, 0, False, "no children"),
        (400, 200, False, "2 children per slot"),
        (40, 1, False, "40 per slot, but only 40 children"),
    ],
)
def test_cap_rule_edges(children, slots, expected, why):
    assert bool(classify_cap([children], [slots])[0]) is expected, why


def test_cap_missing_children_is_missing():
    assert classify_cap([np.nan], [3])[0] is pd.NA


@pytest.mark.parametrize(
    ("children", "slots", "expected"),
    [
        (30, 3, "extreme desert"),  # 1 slot per 10 children: at most 1 per 10
        (31, 3, "extreme desert"),
        (29, 3, "desert"),  # 9.7 children per slot
        (10, 3, "desert"),  # 3.33 per slot
        (9, 3, "not a desert"),  # exactly 3.0 per slot
        (5, 0, "extreme desert"),  # no slots at all
        (0, 0, "no children"),
        (0, 5, "no children"),
        (np.nan, 5, "no data"),
    ],
)
def test_osu_classes_edges(children, slots, expected):
    assert classify_osu([children], [slots])[0] == expected


def test_access_classes_use_the_same_thresholds():
    # slots per child: 0.1 (= 1 per 10), 0.2, 1/3 exactly (3 children per slot), 0.5
    got = list(classify_access([0.1, 0.2, 1 / 3, 0.5], [10, 10, 10, 10]))
    assert got == ["extreme desert", "desert", "not a desert", "not a desert"]


def test_ratios():
    cps, per100 = compute_ratios([30, 0, 10], [10, 5, 0])
    np.testing.assert_array_equal(cps[:2], [3.0, 0.0])
    assert np.isnan(cps[2])  # no slots: undefined ratio
    np.testing.assert_array_equal(per100[[0, 2]], [100 * 10 / 30, 0.0])
    assert np.isnan(per100[1])  # no children
