"""Data contracts: every defect is named by row, column and value; good input is normalized."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gapmap.errors import DataValidationError, MissingColumnError
from gapmap.schema import check_providers, validate_providers, validate_tracts
from tests.conftest import make_providers, make_tracts


def problems_of(df):
    return {(p.row, p.column, p.value if not isinstance(p.value, float) or p.value == p.value else "nan") for p in check_providers(df)[1]}


def test_good_providers_are_normalized_and_not_mutated():
    df = make_providers([(-120.0, 44.0, 4, 6)])
    df["type"] = ["Family child care home"]
    df["funding"] = ["PUBLIC"]
    df["capacity"] = ["1,600"]
    before = df.copy()
    out = validate_providers(df)
    pd.testing.assert_frame_equal(df, before)
    assert out.loc[0, "type"] == "family_home"
    assert out.loc[0, "funding"] == "public"
    assert out.loc[0, "capacity"] == 1600.0


@pytest.mark.parametrize(
    ("column", "value", "expected_words"),
    [
        ("capacity", "abc", "a number"),
        ("capacity", "0", "greater than 0"),
        ("capacity", "-5", "greater than 0"),
        ("latitude", "95", "latitude in degrees"),
        ("longitude", "-200", "longitude in degrees"),
        ("type", "daycare palace", "one of: center"),
        ("funding", "lottery", "one of: public"),
        ("slots_0_2", "-1", "at least 0"),
    ],
)
def test_each_defect_names_row_column_and_value(column, value, expected_words):
    df = make_providers([(-120.0, 44.0, 4, 6), (-120.1, 44.1, 2, 2), (-120.2, 44.2, 1, 1)]).astype({column: object})
    df.loc[1, column] = value
    with pytest.raises(DataValidationError) as info:
        validate_providers(df, source="providers.csv")
    err = info.value
    assert [(p.row, p.column, p.value) for p in err.problems] == [(2, column, value)]
    text = str(err)
    assert "providers.csv" in text and "row 2" in text and repr(column) in text and repr(value) in text
    assert expected_words in text


def test_empty_cells_and_duplicates_and_overfull_slots():
    df = make_providers([(-120.0, 44.0, 4, 6), (-120.1, 44.1, 2, 2), (-120.2, 44.2, 10, 10)])
    df.loc[1, "provider_id"] = "P1"  # repeats row 1
    df.loc[0, "name"] = "  "
    df.loc[2, "capacity"] = 12.0  # 10 + 10 > 12
    got = {(p.row, p.column) for p in check_providers(df)[1]}
    assert got == {(1, "name"), (2, "provider_id"), (3, "slots_0_2+slots_3_5")}
    dup = [p for p in check_providers(df)[1] if p.column == "provider_id"][0]
    assert "row 1 has it too" in dup.expected


def test_missing_provider_column_is_named():
    df = make_providers([(-120.0, 44.0, 4, 6)]).drop(columns="funding")
    with pytest.raises(MissingColumnError, match="'funding'"):
        validate_providers(df)


def test_minimal_tract_table_is_valid_and_filled_in():
    gdf = make_tracts([(0, 0, 1, 1)], children_0_2=[12])
    out = validate_tracts(gdf)
    assert out.loc[0, "county"] == "99001"
    assert out.loc[0, "name"] == "99001000100"
    assert out.crs.equals("EPSG:4326")


def test_numeric_geoid_gets_its_leading_zero_back():
    gdf = make_tracts([(0, 0, 1, 1)], children_0_2=[12])
    gdf["geoid"] = [6001400100]  # California lost its leading zero in a spreadsheet
    assert validate_tracts(gdf).loc[0, "geoid"] == "06001400100"


def test_tract_defects_are_listed():
    gdf = make_tracts([(0, 0, 1, 1), (1, 0, 2, 1), (2, 0, 3, 1)], children_0_2=[12, -3, "many"])
    gdf.loc[2, "geoid"] = "99001000100"  # duplicate of row 1
    gdf["children_0_2_moe"] = [5, 5, 5]
    with pytest.raises(DataValidationError) as info:
        validate_tracts(gdf, source="t.geojson")
    got = {(p.row, p.column, p.value) for p in info.value.problems}
    assert got == {(2, "children_0_2", -3.0), (3, "children_0_2", "many"), (3, "geoid", "99001000100")}


def test_tract_geometry_must_be_polygonal():
    gdf = gpd.GeoDataFrame({"geoid": ["99001000100"], "children_0_2": [3]}, geometry=[shapely.Point(0, 0)], crs=4326)
    with pytest.raises(DataValidationError, match="Polygon or MultiPolygon"):
        validate_tracts(gdf)


def test_tract_table_without_any_count_says_which_columns():
    gdf = make_tracts([(0, 0, 1, 1)])
    with pytest.raises(MissingColumnError, match="children_0_2"):
        validate_tracts(gdf)


def test_projected_tracts_are_converted_to_degrees():
    gdf = make_tracts([(-120.0, 44.0, -119.9, 44.1)], children_0_2=[1]).to_crs(32610)
    out = validate_tracts(gdf)
    np.testing.assert_allclose(out.total_bounds, [-120.0, 44.0, -119.9, 44.1], atol=1e-6)
