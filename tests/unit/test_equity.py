"""Who lives in the deserts: group shares from sums, poverty bands, RUCA and the density fallback."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gapmap import schema as S
from gapmap.errors import DataValidationError, ParameterError
from gapmap.metrics import compute_tract_metrics
from gapmap.regions import ALL_TRACTS, RegionDef, RegionSet, assign_regions
from gapmap.regions.equity import (
    DENSITY_CLASSES,
    SQ_M_PER_SQ_MILE,
    attach_ruca,
    classify_ruca,
    classify_urbanicity,
    compute_desert_mask,
    compute_equity,
    read_ruca,
)
from tests.conftest import make_providers

GEOIDS = ["99001000100", "99001000200", "99003000100"]


def _result(params=None, **extra):
    """A: 100 children, 20 slots (OSU desert); B: 10 children, 30 slots (not); C: 40, none (extreme)."""
    boxes = [(-120.0 + 0.1 * i, 44.0, -119.9 + 0.1 * i, 44.1) for i in range(3)]
    data = {
        S.GEOID: GEOIDS,
        S.CHILDREN_UNDER_5: [100.0, 10.0, 40.0],
        S.moe_column(S.CHILDREN_UNDER_5): [30.0, 10.0, 20.0],
        "under5_hispanic_or_latino": [60.0, 5.0, 0.0],
        "under5_hispanic_or_latino_moe": [20.0, 4.0, 9.0],
        "under5_asian_alone": [0.0, 8.0, 2.0],
        S.CHILDREN_UNDER_6: [120.0, 12.0, 48.0],
        S.UNDER6_BELOW_100PCT: [30.0, 2.0, 10.0],
        S.UNDER6_BELOW_200PCT: [70.0, 6.0, 20.0],
        S.POPULATION: [5000.0, 400.0, 1500.0],
    }
    data.update(extra)
    tracts = S.validate_tracts(gpd.GeoDataFrame(data, geometry=[shapely.box(*b) for b in boxes], crs="EPSG:4326"))
    providers = make_providers([(-119.95, 44.05, 10, 10), (-119.85, 44.05, 0, 30)])
    return compute_tract_metrics(tracts, providers, *([params] if params else []))


def _rows(table, region):
    return table[table["region"] == region].set_index("group")


def test_group_shares_by_hand():
    res = _result()
    rs = RegionSet("t", "t", "custom", (RegionDef("West", counties=("99001",)), RegionDef("East", counties=("99003",))))
    table, _method = compute_equity(res, assign_regions(res.tracts, rs), rule="osu")
    west = _rows(table, "West")
    # deserts (OSU, under 5): A only in West; C in East
    assert west.loc["All children under 5", "share_in_deserts"] == pytest.approx(100 / 110)
    hisp = west.loc["Hispanic or Latino (any race)"]
    assert hisp["children"] == 65 and hisp["children_in_deserts"] == 60
    assert hisp["share_in_deserts"] == pytest.approx(60 / 65)
    assert hisp["children_moe"] == pytest.approx(math.hypot(20, 4))
    assert hisp["gap_points"] == pytest.approx(100 * (60 / 65 - 100 / 110))
    asian = west.loc["Asian alone"]
    assert asian["children"] == 8 and asian["share_in_deserts"] == 0  # only B's zero-desert tract has Asian children
    # poverty bands of children under 6: below 100%, 100-199% (200% minus 100%), 200% or more
    assert west.loc["Below 100% of poverty", "children"] == 32
    assert west.loc["Below 100% of poverty", "share_in_deserts"] == pytest.approx(30 / 32)
    assert west.loc["100-199% of poverty", "children"] == (70 - 30) + (6 - 2)
    assert west.loc["200% of poverty or more", "children"] == (120 - 70) + (12 - 6)
    total = _rows(table, ALL_TRACTS)
    assert total.loc["All children under 5", "share_in_deserts"] == pytest.approx(140 / 150)
    assert total.loc["Asian alone", "share_in_deserts"] == pytest.approx(2 / 10)


def test_rules_pick_different_deserts():
    res = _result()
    # C: 40 children, no slots: an OSU extreme desert, but not a CAP desert (40 is not more than 50)
    assert compute_desert_mask(res, "osu").tolist() == [True, False, True]
    assert compute_desert_mask(res, "cap").tolist() == [True, False, False]
    table, _ = compute_equity(res, rule="cap")
    assert table["region"].unique().tolist() == [ALL_TRACTS]
    assert _rows(table, ALL_TRACTS).loc["All children under 5", "share_in_deserts"] == pytest.approx(100 / 150)
    with pytest.raises(ParameterError, match="unknown desert rule 'worst'"):
        compute_equity(res, rule="worst")


def test_density_fallback_on_land_area():
    """aland = 1 square mile: 1,000 people is urban, 999 is rural."""
    res = _result(aland=[SQ_M_PER_SQ_MILE] * 3, **{S.POPULATION: [1000.0, 999.0, np.nan]})
    classes, method = classify_urbanicity(res.tracts)
    assert classes.tolist() == [DENSITY_CLASSES[0], DENSITY_CLASSES[1], "Not classified"]
    assert "land area (ALAND)" in method and "1,000" in method


def test_density_from_polygon_area():
    # a 0.1 x 0.1 degree box at 44 N is about 8.0 km x 11.1 km = 89 km2 = 34.4 sq mi
    res = _result()
    classes, method = classify_urbanicity(res.tracts)
    area_sq_mi = res.tracts.to_crs(6933).area.to_numpy() / SQ_M_PER_SQ_MILE
    assert area_sq_mi == pytest.approx(34.4, rel=0.02)
    # densities 145, 12 and 44 people per sq mi: all rural
    assert classes.tolist() == [DENSITY_CLASSES[1]] * 3
    assert "polygon area" in method


def test_ruca_classes_and_file():
    assert classify_ruca([1, 3.0, 4.1, 6, 7, 9.2, 10, 10.6, np.nan]).tolist() == [
        "Urban (metropolitan, RUCA 1-3)",
        "Urban (metropolitan, RUCA 1-3)",
        "Large rural town (micropolitan, RUCA 4-6)",
        "Large rural town (micropolitan, RUCA 4-6)",
        "Small rural town (RUCA 7-9)",
        "Small rural town (RUCA 7-9)",
        "Isolated rural (RUCA 10)",
        "Isolated rural (RUCA 10)",
        "Not classified",
    ]
    # the USDA ERS layout: a long FIPS header, primary and secondary codes
    text = (
        "State-County FIPS Code,State-County-Tract FIPS Code (lookup by address at http://www.ffiec.gov/Geocode/),"
        "Primary RUCA Code 2010,Secondary RUCA Code 2010\n"
        "99001,99001000100,1,1.0\n99001,99001000200,10,10.3\n99003,99003000100,99,99\n"
    )
    ruca = read_ruca(text.encode(), "ruca2010.csv")
    assert ruca.to_dict() == {"99001000100": 1.0, "99001000200": 10.0, "99003000100": pytest.approx(np.nan, nan_ok=True)}
    res = _result()
    with_ruca = attach_ruca(res.tracts, ruca)
    classes, method = classify_urbanicity(with_ruca)
    assert classes.tolist() == ["Urban (metropolitan, RUCA 1-3)", "Isolated rural (RUCA 10)", "Not classified"]
    assert method.startswith("RUCA codes")
    with pytest.raises(DataValidationError) as err:
        read_ruca(b"geoid,ruca\n99001000100,12\n99001000200,x\n", "codes.csv")
    assert "codes.csv, row 1, column 'ruca', value '12': expected a RUCA code from 1 to 10" in str(err.value)
    assert "row 2, column 'ruca', value 'x'" in str(err.value)


def test_ruca_column_validated_in_tract_table():
    boxes = [(-120.0, 44.0, -119.9, 44.1)]
    gdf = gpd.GeoDataFrame(
        {S.GEOID: ["99001000100"], S.CHILDREN_UNDER_5: [5], S.RUCA: ["0.5"]}, geometry=[shapely.box(*b) for b in boxes], crs="EPSG:4326"
    )
    with pytest.raises(DataValidationError, match=r"row 1, column 'ruca', value '0.5': expected a RUCA code"):
        S.validate_tracts(gdf)


def test_catchments_by_place():
    from gapmap.config import AnalysisParams
    from gapmap.metrics.urbanicity import compute_catchments

    res = _result(aland=[SQ_M_PER_SQ_MILE] * 3, **{S.POPULATION: [5000.0, 10.0, np.nan]})
    fixed, how = compute_catchments(res.tracts, AnalysisParams())
    assert fixed.tolist() == [10.0] * 3 and how == "10 km for every tract"
    params = AnalysisParams(catchment_by_place=True)
    radius, how = compute_catchments(res.tracts, params)
    # density: 5,000 people per sq mi is urban, 10 is rural, no population keeps the fixed distance
    assert radius.tolist() == [7.4, 20.0, 10.0]
    assert how.startswith("by place (population density")
    ruca = attach_ruca(res.tracts, read_ruca(b"geoid,ruca\n99001000100,2\n99001000200,5.1\n99003000100,10\n", "r.csv"))
    radius, how = compute_catchments(ruca, params.replace(catchment_town_km=11.0))
    assert radius.tolist() == [7.4, 11.0, 20.0] and "RUCA" in how
    # the metrics use them: a tract's pairs are the providers within its own catchment
    by_place = _result(params, aland=[SQ_M_PER_SQ_MILE] * 3, **{S.POPULATION: [5000.0, 10.0, np.nan]})
    assert by_place.catchment_km.tolist() == [7.4, 20.0, 10.0]
    pairs = by_place.find_pairs()
    assert by_place.n_pairs == len(pairs)
    with pytest.raises(ParameterError, match="catchment_rural_km = 0"):
        AnalysisParams(catchment_rural_km=0)
