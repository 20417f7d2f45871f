"""Importing provider lists as states export them: recognised columns, a report for every row."""

import math

import numpy as np
import pandas as pd
import pytest

from gapmap.errors import ParameterError
from gapmap.outputs.export import to_csv_bytes
from gapmap.sources.providers import RegionBounds, import_providers, parse_mapping, read_provider_table
from tests.conftest import FIXTURES

P = FIXTURES / "providers"


@pytest.fixture(scope="module")
def bounds(demo):
    return RegionBounds.of_tracts(demo[0])


def test_licensing_export_imports_without_any_mapping(bounds):
    rep = import_providers(P / "licensing_export.csv", bounds=bounds)
    assert rep.rows_read == 5 and len(rep.accepted) == 5 and rep.rejected.empty
    a = rep.accepted.set_index("provider_id")
    # infant + toddler -> 0-2; preschool -> 3-5; school-age only in the total; "1,600" is 1600
    assert a.loc["CC-1001", ["capacity", "slots_0_2", "slots_3_5"]].tolist() == [88.0, 28.0, 40.0]
    assert a.loc["CC-4004", ["capacity", "slots_0_2", "slots_3_5"]].tolist() == [1600.0, 108.0, 1200.0]
    assert a["type"].tolist() == ["center", "family_home", "family_home", "center", "head_start"]
    assert a.loc["CF-2002", "name"] == "Ana López Family Child Care"  # BOM file read as UTF-8
    # degrees from LATITUDE/LONGITUDE, not the Web Mercator X/Y beside them
    assert a.loc["CC-1001", ["latitude", "longitude"]].tolist() == [44.3012, -120.6023]
    assert any("projected columns 'X', 'Y' are ignored" in n for n in rep.notes)
    assert rep.mapping["slots_0_2"] == "Infant Capacity + Toddler Capacity"
    assert rep.mapping["capacity"] == "Total Capacity" and rep.mapping["provider_id"] == "License Number"
    # no funding column: unknown, but Head Start is public
    assert a.loc["HS-5005", "funding"] == "public" and a.loc["CC-1001", "funding"] == "unknown"
    assert not a["slots_estimated"].any()
    # the address kept on one line for the place search (street and city; the file has no state or ZIP)
    assert a.loc["CC-1001", "address"] == "101 Main St, Riverton" and a.loc["CF-2002", "address"] == "22 Oak Ave, Riverton"


def test_every_defect_gets_its_own_reason(bounds):
    rep = import_providers(P / "defects.csv", bounds=bounds)
    assert rep.rows_read == 10 == len(rep.accepted) + len(rep.rejected)
    assert rep.accepted["provider_id"].tolist() == ["P1", "P10"]  # a type no vocabulary knows is 'other', never a rejection
    assert rep.accepted.set_index("provider_id").loc["P10", "type"] == "other"
    assert any("'Zoo' (1 row) -> other: map them to a type" in n for n in rep.notes)
    reasons = dict(zip(rep.rejected["row"], rep.rejected["reason"]))
    assert reasons == {
        2: "column 'capacity' is empty: a licensed capacity is needed",
        3: "column 'capacity' value 'lots' is not a number",
        4: "column 'capacity' value '0': capacity must be greater than 0",
        5: "column 'capacity' value '-4': capacity must be greater than 0",
        6: "no coordinates: columns 'latitude'/'longitude' are empty and there is no address to geocode",
        7: "latitude 40, longitude -100 is outside the region (more than 10 km beyond its bounding box)",
        8: "latitude -120.58 and longitude 44.28 look swapped (swap them back with the 'fix swapped coordinates' option)",
        9: "column 'provider_id' value 'P1': the same provider id as row 1 (counted once)",
    }
    # the rejected rows keep the file's own cells
    assert rep.rejected.loc[rep.rejected["row"] == 3, "capacity"].item() == "lots"


def test_swapped_rows_are_fixed_only_with_consent(bounds):
    rep = import_providers(P / "defects.csv", bounds=bounds, fix_swapped=True)
    fixed = rep.accepted.set_index("provider_id").loc["P8"]
    assert (fixed["latitude"], fixed["longitude"]) == (44.28, -120.58)
    assert rep.swapped_fixed == 1 and len(rep.accepted) == 3


def test_projected_xy_is_not_taken_for_degrees():
    with pytest.raises(
        ParameterError, match=r"projected_xy.csv: columns 'X'/'Y' hold projected coordinates .*'coordinate system' option: EPSG:3857"
    ):
        import_providers(P / "projected_xy.csv")
    rep = import_providers(P / "projected_xy.csv", source_crs="EPSG:3857")
    a = rep.accepted.set_index("provider_id")
    np.testing.assert_allclose(a.loc["A1", ["longitude", "latitude"]].to_numpy(float), [-120.60, 44.30], atol=1e-6)
    # no age columns: bands estimated and flagged
    assert a["slots_estimated"].all()
    assert a.loc["A1", ["slots_0_2", "slots_3_5"]].tolist() == [math.floor(60 * 0.25), math.floor(60 * 0.45)]
    assert any("ESTIMATED" in n for n in rep.notes)


def test_an_address_is_one_line_and_a_home_loses_it_in_privacy_mode(tmp_path):
    from gapmap.outputs.export import private_providers

    f = tmp_path / "addr.csv"
    f.write_text(
        "id,name,type,lat,lon,capacity,street address,city,state,zip\n"
        "A1,Sun Center,center,44.3,-120.6,20,1 Elm St,Bend,OR,97701\n"
        "A2,Home Care,family home,44.3,-120.6,8,5 Pine Rd,Bend,OR,97702\n"
        "A3,No Street,center,44.3,-120.6,8,,Bend,OR,97702\n",
        encoding="utf-8",
    )
    acc = import_providers(f).accepted.set_index("provider_id")
    assert acc["address"].tolist() == ["1 Elm St, Bend, OR 97701", "5 Pine Rd, Bend, OR 97702", None]
    shown = private_providers(acc.reset_index(), privacy=True).set_index("provider_id")
    assert shown.loc["A1", "address"] == "1 Elm St, Bend, OR 97701"
    assert shown.loc["A2", ["address", "latitude", "longitude"]].tolist() == [None, None, None]


def test_explicit_mapping_overrides_recognition(tmp_path):
    f = tmp_path / "odd.csv"
    f.write_text("Ref,Site,Kind,Lat,Lon,Seats\nZ1,Odd Place,center,44.3,-120.6,25\n", encoding="utf-8")
    rep = import_providers(f, mapping=parse_mapping(["provider_id=Ref", "name=Site", "type=Kind", "capacity=Seats"]))
    assert rep.accepted[["provider_id", "name", "capacity"]].values.tolist() == [["Z1", "Odd Place", 25.0]]
    with pytest.raises(ParameterError, match="unknown field 'seats'"):
        parse_mapping(["seats=Seats"])


def test_latin1_xlsx_and_geojson_files(tmp_path):
    assert import_providers(P / "latin1.csv").accepted["name"].tolist() == ["Guardería Peña"]
    table = read_provider_table(P / "defects.csv")
    xlsx = tmp_path / "providers.xlsx"
    table.to_excel(xlsx, index=False)
    rep = import_providers(xlsx)
    assert rep.rows_read == 10 and rep.accepted["provider_id"].tolist()[0] == "P1"
    import geopandas as gpd
    import shapely

    good = table.iloc[[0]]
    gdf = gpd.GeoDataFrame(good.drop(columns=["latitude", "longitude"]), geometry=[shapely.Point(-120.6, 44.3)], crs=4326)
    gj = tmp_path / "providers.geojson"
    gdf.to_file(gj)
    acc = import_providers(gj).accepted
    assert acc[["latitude", "longitude"]].values.tolist() == [[44.3, -120.6]]


def test_rejected_rows_download_with_reason(bounds):
    rep = import_providers(P / "defects.csv", bounds=bounds)
    back = pd.read_csv(pd.io.common.BytesIO(to_csv_bytes(rep.rejected)), encoding="utf-8-sig", dtype=str)
    assert list(back.columns[:2]) == ["row", "provider_id"] and back.columns[-1] == "reason"
    assert len(back) == 8
    # plain numbers stay numbers; a formula in a name would be neutralized (tests/unit/test_export.py)
    assert back.loc[back["row"] == "5", "capacity"].item() == "-4"
    assert back.loc[back["row"] == "2", "longitude"].item() == "-120.61"


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (2, "column 'capacity' is empty"),
        (3, "column 'capacity' value 'lots' is not a number"),
        (4, "column 'capacity' value '0': capacity must be greater than 0"),
        (5, "column 'capacity' value '-4': capacity must be greater than 0"),
        (6, "columns 'latitude'/'longitude' are empty"),
        (7, "latitude 40, longitude -100 is outside the region"),
        (8, "latitude -120.58 and longitude 44.28 look swapped"),
    ],
)
def test_a_file_for_each_defect(tmp_path, bounds, row, words):
    """A good row plus one defective row: the report names exactly that row, column and value."""
    lines = (P / "defects.csv").read_text(encoding="utf-8").splitlines()
    f = tmp_path / f"defect_row{row}.csv"
    f.write_text("\n".join([lines[0], lines[1], lines[row]]) + "\n", encoding="utf-8")
    rep = import_providers(f, bounds=bounds)
    n_data_rows = sum(1 for _ in f.open(encoding="utf-8")) - 1  # counted from the file, not the report
    assert rep.rows_read == n_data_rows == len(rep.accepted) + len(rep.rejected) == 2
    assert rep.rejected["row"].tolist() == [2] and words in rep.rejected["reason"].item()


def test_duplicate_id_file(tmp_path, bounds):
    f = tmp_path / "dup.csv"
    lines = (P / "defects.csv").read_text(encoding="utf-8").splitlines()
    f.write_text("\n".join([lines[0], lines[1], lines[9]]) + "\n", encoding="utf-8")
    rep = import_providers(f, bounds=bounds)
    assert rep.rejected["reason"].item() == "column 'provider_id' value 'P1': the same provider id as row 1 (counted once)"


def test_xy_columns_holding_degrees_are_used(tmp_path):
    f = tmp_path / "xy_degrees.csv"
    f.write_text(
        'ID,Name,Type,X,Y,Authorized Capacity,Infants,Toddlers,Preschool\nD1,Deg Center,Child Care Center,-120.61,44.31,"1,000",100,150,500\n',
        encoding="utf-8",
    )
    rep = import_providers(f)
    row = rep.accepted.iloc[0]
    assert (row["longitude"], row["latitude"]) == (-120.61, 44.31)
    assert (row["capacity"], row["slots_0_2"], row["slots_3_5"]) == (1000.0, 250.0, 500.0)
    assert rep.mapping["capacity"] == "Authorized Capacity"
    assert any("'X' (longitude) and 'Y' (latitude), which hold degrees" in n for n in rep.notes)
