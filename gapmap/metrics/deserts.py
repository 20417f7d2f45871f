"""Child-care desert rules on counts of children and slots (GUIDE.md section 4).

* **CAP** (Center for American Progress, 2017/2018): a tract is a child-care desert when it has more
  than ``cap_min_children`` (50) children and no slots, or more than ``desert_children_per_slot`` (3)
  children per slot. Exactly 50 children is not a desert; exactly 3.0 children per slot is not a desert.
* **OSU** (Oregon State University, Oregon's Child Care Deserts): *desert* = more than 3 children per
  slot; *extreme desert* = at most 1 slot per 10 children. Applied here tract by tract and band by
  band (infant/toddler 0-2, preschool 3-5).
* **Access classes** apply the OSU thresholds to E2SFCA access (slots per child reachable across tract
  lines) instead of slots inside the tract.

All functions are vectorized over numpy arrays; a missing count (NaN) gives a missing answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from gapmap import measures as M

__all__ = [
    "EXTREME_DESERT",
    "DESERT",
    "NOT_DESERT",
    "NO_CHILDREN",
    "NO_DATA",
    "DESERT_CLASSES",
    "compute_ratios",
    "classify_cap",
    "classify_osu",
    "classify_access",
    "DesertRule",
    "DESERT_RULES",
    "desert_mask",
]

EXTREME_DESERT = "extreme desert"
DESERT = "desert"
NOT_DESERT = "not a desert"
NO_CHILDREN = "no children"
NO_DATA = "no data"
#: Class labels, worst first; the order of legends and categorical dtypes.
DESERT_CLASSES: tuple[str, ...] = (EXTREME_DESERT, DESERT, NOT_DESERT, NO_CHILDREN, NO_DATA)


def compute_ratios(children: ArrayLike, slots: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Children per slot and slots per 100 children.

    ``children_per_slot`` is NaN where there are no slots (the ratio is undefined; the desert rules
    treat it as infinite); ``slots_per_100`` is NaN where there are no children.
    """
    children = np.asarray(children, dtype=float)
    slots = np.asarray(slots, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        children_per_slot = np.where(slots > 0, children / slots, np.nan)
        slots_per_100 = np.where(children > 0, 100.0 * slots / children, np.nan)
    return children_per_slot, slots_per_100


def classify_cap(
    children: ArrayLike, slots: ArrayLike, min_children: float = 50, children_per_slot: float = 3.0
) -> pd.api.extensions.ExtensionArray:
    """CAP desert flag: more than ``min_children`` children and more than ``children_per_slot`` per slot.

    "No providers" is the case ``slots == 0``, which the ratio test already covers (any positive number
    of children is more than 3 x 0). Returns a nullable boolean array (missing where children is NaN).
    """
    kids = np.asarray(children, dtype=float)
    supply = np.asarray(slots, dtype=float)
    with np.errstate(invalid="ignore"):
        flag = (kids > min_children) & (kids > children_per_slot * supply)
    missing = np.isnan(kids)
    return pd.arrays.BooleanArray(flag & ~missing, missing)


#: The categorical type of every class column (made once: building it validates its categories).
CLASS_DTYPE = pd.CategoricalDtype(list(DESERT_CLASSES))


def _classes(children: np.ndarray, extreme: np.ndarray, desert: np.ndarray) -> pd.Categorical:
    code = {c: i for i, c in enumerate(DESERT_CLASSES)}
    codes = np.select(
        [np.isnan(children), children <= 0, extreme, desert],
        [code[NO_DATA], code[NO_CHILDREN], code[EXTREME_DESERT], code[DESERT]],
        default=code[NOT_DESERT],
    )
    return pd.Categorical.from_codes(codes, dtype=CLASS_DTYPE)


def classify_osu(
    children: ArrayLike, slots: ArrayLike, desert_children_per_slot: float = 3.0, extreme_children_per_slot: float = 10.0
) -> pd.Categorical:
    """OSU classes: extreme desert (at most 1 slot per ``extreme_children_per_slot`` children), desert
    (more than ``desert_children_per_slot`` children per slot), not a desert, no children, no data."""
    children = np.asarray(children, dtype=float)
    slots = np.asarray(slots, dtype=float)
    extreme = slots * extreme_children_per_slot <= children
    desert = children > desert_children_per_slot * slots
    return _classes(children, extreme, desert)


def classify_access(
    access_slots_per_child: ArrayLike, children: ArrayLike, desert_children_per_slot: float = 3.0, extreme_children_per_slot: float = 10.0
) -> pd.Categorical:
    """The OSU classes applied to access: a tract is an access desert when the slots its children can
    reach (E2SFCA, slots per child) are fewer than 1 per ``desert_children_per_slot`` children."""
    a = np.asarray(access_slots_per_child, dtype=float)
    children = np.asarray(children, dtype=float)
    extreme = a * extreme_children_per_slot <= 1.0
    desert = a * desert_children_per_slot < 1.0
    return _classes(children, extreme, desert)


@dataclass(frozen=True)
class DesertRule:
    """Which tracts count as deserts: those whose ``measure`` (a flag or a class) takes one of ``values``."""

    key: str
    label: str
    measure: str
    values: tuple[object, ...]


#: The desert rules, by key: the one definition that summaries, roll-ups, scenarios and the equity
#: table all use.
DESERT_RULES: dict[str, DesertRule] = {
    r.key: r
    for r in (
        DesertRule("osu", "OSU desert or extreme desert (slots inside the tract)", "osu_class", (DESERT, EXTREME_DESERT)),
        DesertRule("osu_extreme", "OSU extreme desert (slots inside the tract)", "osu_class", (EXTREME_DESERT,)),
        DesertRule("cap", "CAP child-care desert", "cap_desert", (True,)),
        DesertRule("access", "Access desert (OSU thresholds on E2SFCA access)", "access_class", (DESERT, EXTREME_DESERT)),
    )
}


def desert_mask(tracts: pd.DataFrame, rule: str, band: str) -> np.ndarray:
    """Which tracts are deserts by ``rule`` (a key of :data:`DESERT_RULES`) for ``band``; a tract with no
    data is not a desert."""
    r = DESERT_RULES[rule]
    values = tracts[M.column(r.measure, band)]
    if r.values == (True,):
        return values.fillna(False).to_numpy(bool)
    return np.isin(values.astype(object).to_numpy(), np.array(r.values, dtype=object))
