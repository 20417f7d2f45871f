"""Regions: definitions, assignment by county / area / tract, and roll-ups worked by hand."""

from __future__ import annotations

import csv
import json
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gapmap import schema as S
from gapmap.errors import DataValidationError, ParameterError
from gapmap.metrics import compute_tract_metrics, compute_tract_points
from gapmap.regions import (
    ALL_TRACTS,
    Area,
    RegionDef,
    RegionSet,
    assign_regions,
    compute_rollup,
    county_region_set,
    dissolve_regions,
    list_region_sets,
    parse_region_set,
    read_region_file,
    read_region_set,
)
from gapmap.regions.compare import choose_region_set, compare_regions, compute_compare_rows
from gapmap.sources.acs import combine_moe, proportion_moe
from tests.conftest import DEMO_DIR, make_providers

REGIONS_DIR = DEMO_DIR.parent / "regions"

# Four tracts in a row, 0.1 degree squares: A and B in county 99001, C and D in county 99003.
#   A: 100 children under 5 (MOE 30), one provider with 10 + 10 slots -> 5 children per slot: a desert
#   B:  10 children (MOE 40), one provider with 30 slots             -> 1/3 child per slot: not a desert
#   C:  40 children (MOE 25), no provider                            -> extreme desert; not CAP (40 <= 50)
#   D:   0 children (MOE 12)                                         -> no children
GEOIDS = ["99001000100", "99001000200", "99003000100", "99003000200"]


def _tracts(**extra):
    boxes = [(-120.0 + 0.1 * i, 44.0, -119.9 + 0.1 * i, 44.1) for i in range(4)]
    data = {
        S.GEOID: GEOIDS,
        S.CHILDREN_UNDER_5: [100.0, 10.0, 40.0, 0.0],
        S.moe_column(S.CHILDREN_UNDER_5): [30.0, 40.0, 25.0, 12.0],
    }
    data.update(extra)
    return S.validate_tracts(gpd.GeoDataFrame(data, geometry=[shapely.box(*b) for b in boxes], crs="EPSG:4326"))


def _providers():
    p = make_providers([(-119.95, 44.05, 10, 10), (-119.85, 44.05, 0, 30)])
    p[S.FUNDING] = ["public", "private"]
    return p


@pytest.fixture
def hand():
    return compute_tract_metrics(_tracts(), _providers())


def _county_set():
    return RegionSet("t", "Test regions", "custom", (RegionDef("West", counties=("99001",)), RegionDef("East", counties=("99003",))))


def test_rollup_worked_by_hand(hand):
    roll = compute_rollup(hand, assign_regions(hand.tracts, _county_set()))
    west, east, total = (roll.set_index("region").loc[n] for n in ("West", "East", ALL_TRACTS))
    assert west["tracts"] == 2 and west["providers"] == 2
    assert west["children_under_5"] == 110
    assert west["children_under_5_moe"] == pytest.approx(50.0)  # sqrt(30^2 + 40^2)
    assert west["slots_under_5"] == 50
    assert west["slots_per_100_under_5"] == pytest.approx(100 * 50 / 110)
    assert west["children_per_slot_under_5"] == pytest.approx(110 / 50)
    assert west["osu_class_under_5"] == "not a desert"  # 2.2 children per slot in the region as a whole
    # A is a desert by both rules (100 > 50 children, 5 per slot), B is not: 100 of 110 children
    assert west["share_in_osu_deserts_under_5"] == pytest.approx(100 / 110)
    assert west["share_in_cap_deserts_under_5"] == pytest.approx(100 / 110)
    assert west["share_in_osu_extreme_under_5"] == 0
    assert west["public_slot_share"] == pytest.approx(20 / 50)
    # East: C (40 children, no slots) is an extreme desert, but not a CAP desert (40 is not more than 50);
    # D's zero estimate has MOE 12, C's 25: sqrt(25^2 + 12^2)
    assert east["children_under_5"] == 40 and east["slots_under_5"] == 0
    assert east["children_under_5_moe"] == pytest.approx(math.hypot(25, 12))
    assert math.isnan(east["children_per_slot_under_5"]) and east["slots_per_100_under_5"] == 0
    assert east["osu_class_under_5"] == "extreme desert"
    assert east["share_in_osu_extreme_under_5"] == 1 and east["share_in_cap_deserts_under_5"] == 0
    assert math.isnan(east["public_slot_share"])  # no slots at all
    # the whole: 150 children, 50 slots; the zero estimate's margin counted once
    assert total["children_under_5"] == 150 and total["slots_under_5"] == 50
    assert total["children_under_5_moe"] == pytest.approx(math.sqrt(30**2 + 40**2 + 25**2 + 12**2))
    assert total["share_in_osu_deserts_under_5"] == pytest.approx(140 / 150)


def test_ratio_comes_from_sums_not_the_mean_of_tract_ratios(hand):
    """A has 20 slots per 100 children, B 300: their mean (160) would say West is well served; the
    region's 110 children share 50 slots, 45.5 per 100. The roll-up uses the sums."""
    t = hand.tracts.set_index(S.GEOID)
    tract_ratios = t.loc[GEOIDS[:2], "slots_per_100_under_5"].to_numpy()
    assert tract_ratios == pytest.approx([20.0, 300.0])
    mean_of_ratios = tract_ratios.mean()
    roll = compute_rollup(hand, assign_regions(hand.tracts, _county_set()), ["West"], include_total=False)
    value = roll.loc[0, "slots_per_100_under_5"]
    assert value == pytest.approx(5000 / 110)
    assert value != pytest.approx(mean_of_ratios)


def test_access_is_weighted_by_children():
    """With a 5 km catchment (tract centres are 8 km apart) each tract reaches only its own provider:
    A 20 slots for 100 children (20 per 100), B 30 for 10 (300 per 100). Weighted by children the
    region reaches (20 x 100 + 300 x 10) / 110 = 45.5 per 100; the plain mean would be 160."""
    from gapmap.config import AnalysisParams

    res = compute_tract_metrics(_tracts(), _providers(), AnalysisParams(catchment_km=5))
    access = res.tracts["access_per_100_under_5"].to_numpy()
    assert access[:3] == pytest.approx([20.0, 300.0, 0.0])
    roll = compute_rollup(res, assign_regions(res.tracts, _county_set())).set_index("region")
    assert roll.loc["West", "access_per_100_under_5"] == pytest.approx(5000 / 110)
    assert roll.loc["East", "access_per_100_under_5"] == 0  # D has no children, so only C counts
    assert roll.loc[ALL_TRACTS, "access_per_100_under_5"] == pytest.approx(5000 / 150)


def test_combine_moe():
    assert combine_moe([3, 4]) == pytest.approx(5)
    # zero estimates: only the largest of their margins counts (Census Bureau guidance)
    assert combine_moe([10, 12, 3], [0, 0, 5]) == pytest.approx(math.hypot(12, 3))
    # a present estimate without a margin: unknown
    assert math.isnan(combine_moe([3, np.nan], [5, 6]))
    # a missing estimate is left out with its margin
    assert combine_moe([3, np.nan], [5, np.nan]) == pytest.approx(3)


def test_proportion_moe():
    # p = 20/100; sqrt(6^2 - 0.2^2 * 10^2) / 100 = sqrt(32) / 100
    assert proportion_moe(20, 6, 100, 10) == pytest.approx(math.sqrt(32) / 100)
    # negative under the root: the ratio formula, sqrt(5^2 + 0.5^2 * 20^2) / 100 = sqrt(125) / 100
    assert proportion_moe(50, 5, 100, 20) == pytest.approx(math.sqrt(125) / 100)
    assert math.isnan(proportion_moe(1, 1, 0, 1))


def test_poverty_shares_from_sums_with_margins():
    res = compute_tract_metrics(
        _tracts(
            **{
                S.CHILDREN_UNDER_6: [120.0, 12.0, 50.0, 0.0],
                S.moe_column(S.CHILDREN_UNDER_6): [30.0, 40.0, 20.0, 10.0],
                S.UNDER6_BELOW_100PCT: [60.0, 0.0, 10.0, 0.0],
                S.moe_column(S.UNDER6_BELOW_100PCT): [30.0, 9.0, 8.0, 5.0],
            }
        ),
        _providers(),
    )
    west = compute_rollup(res, assign_regions(res.tracts, _county_set()), ["West"], include_total=False).iloc[0]
    assert west[S.UNDER6_BELOW_100PCT] == 60 and west["children_under_6"] == 132
    assert west["poverty_share_100"] == pytest.approx(60 / 132)
    num_moe = math.hypot(30, 9)  # B's zero estimate is the only zero: its margin counts once
    den_moe = math.hypot(30, 40)
    p = 60 / 132
    assert west[f"{S.UNDER6_BELOW_100PCT}_moe"] == pytest.approx(num_moe)
    assert west["poverty_share_100_moe"] == pytest.approx(math.sqrt(num_moe**2 - p**2 * den_moe**2) / 132)


def _points(tracts):
    return compute_tract_points(tracts)


def test_area_assigns_by_representative_point_and_beats_county(hand):
    t = hand.tracts
    pts = _points(t)
    # an area around C's point only (0.02 degree box), claimed by "Central" over East's county claim
    x, y = pts[2]
    area = Area("around C", shapely.box(x - 0.01, y - 0.01, x + 0.01, y + 0.01))
    rs = RegionSet("t", "t", "custom", (RegionDef("East", counties=("99003",)), RegionDef("Central", areas=(area,))))
    a = assign_regions(t, rs)
    assert a.table["region"].tolist() == [None, None, "Central", "East"]
    assert a.table["via"].tolist() == [None, None, "area", "county"]
    assert any("2 of 4 tracts are in no region" in n for n in a.notes)
    # a listed tract beats the area
    rs2 = RegionSet("t", "t", "custom", (*rs.regions, RegionDef("Listed", tracts=(GEOIDS[2],))))
    assert assign_regions(t, rs2).table["region"].tolist()[2] == "Listed"


def test_area_limited_to_counties(hand):
    t = hand.tracts
    everything = shapely.box(-121, 43, -119, 45)
    rs = RegionSet("t", "t", "custom", (RegionDef("Only 99003", areas=(Area("all", everything, ("99003",)),)),))
    assert assign_regions(t, rs).table["region"].tolist() == [None, None, "Only 99003", "Only 99003"]


def test_same_kind_of_claim_twice_is_an_error_naming_tract_and_regions(hand):
    rs = RegionSet(
        "t",
        "Clash",
        "custom",
        (RegionDef("One", counties=("99001",)), RegionDef("Two", tracts=(GEOIDS[0],)), RegionDef("Three", tracts=(GEOIDS[0],))),
    )
    with pytest.raises(DataValidationError) as err:
        assign_regions(hand.tracts, rs)
    assert GEOIDS[0] in str(err.value) and "'Two' and 'Three' both claim it by tract" in str(err.value)


def test_region_file_round_trip_and_errors(tmp_path):
    rs = RegionSet(
        "k",
        "Label",
        "hub",
        (
            RegionDef("A", counties=("99001",), areas=(Area("part", shapely.box(0, 0, 1, 1), ("99003",)),)),
            RegionDef("B", tracts=(GEOIDS[3],)),
        ),
        state="99",
    )
    path = tmp_path / "k.json"
    path.write_text(rs.to_json())
    back = read_region_set(path)
    assert back.names == ["A", "B"] and back.regions[0].areas[0].counties == ("99003",) and back.state == "99"
    assert back.regions[0].areas[0].geometry.equals(shapely.box(0, 0, 1, 1))
    # 3-digit county codes take the file's state
    assert parse_region_set({"state": "41", "regions": [{"name": "X", "counties": ["019"]}]}).regions[0].counties == ("41019",)
    bad = {"regions": [{"name": "A", "counties": ["4101"]}, {"name": "A", "tracts": ["x"]}, {"name": "C"}]}
    with pytest.raises(DataValidationError) as err:
        parse_region_set(bad, "hubs.json")
    text = str(err.value)
    assert "hubs.json, row 1, column 'counties', value '4101': expected a 5-digit county FIPS code" in text
    assert "row 2, column 'name', value 'A': expected a name no other region has (region 1 has it)" in text
    assert "row 2, column 'tracts', value 'x'" in text
    assert "row 3, column 'name', value 'C': expected a region with at least one county, area or tract" in text


def test_region_table_and_polygon_files():
    table = b"GEOID,Hub\n99001000100,North\n9001000200,North\n99003000100,South\n"
    rs = read_region_file(table, "hubs.csv")
    assert rs.names == ["North", "South"] and rs.regions[0].tracts == ("99001000100", "09001000200")
    with pytest.raises(DataValidationError) as err:
        read_region_file(b"geoid,region\n99001000100,North\nabc,North\n99001000100,South\n", "hubs.csv")
    assert "hubs.csv, row 2, column 'geoid', value 'abc'" in str(err.value)
    assert "row 3, column 'geoid', value '99001000100': expected a tract listed once (row 1 lists it too)" in str(err.value)
    geo = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": "Box"}, "geometry": shapely.geometry.mapping(shapely.box(-120, 44, -119.85, 44.1))},
        ],
    }
    prs = read_region_file(json.dumps(geo).encode(), "areas.geojson")
    assert prs.names == ["Box"] and prs.regions[0].areas[0].geometry.equals(shapely.box(-120, 44, -119.85, 44.1))
    # representative points at x = -119.95 and -119.85: A's is inside, B's on the edge (counts), C's outside
    t = _tracts()
    assert assign_regions(t, prs).table["region"].tolist() == ["Box", "Box", None, None]


def test_county_region_set_uses_names(demo):
    tracts, _ = demo
    rs = county_region_set(tracts)
    assert rs.names == ["Alder County", "Basalt County", "Cascade County"]
    assert [r.counties for r in rs.regions] == [("99001",), ("99003",), ("99005",)]


# --- bundled definitions -------------------------------------------------------------------------
OREGON_COUNTIES = 36


def test_oregon_hubs_cover_every_county_once():
    rs = read_region_set(REGIONS_DIR / "oregon-hubs.json")
    assert rs.kind == "hub" and rs.state == "41" and len(rs.regions) == 16
    counties = [c for r in rs.regions for c in r.counties]
    assert len(counties) == OREGON_COUNTIES == len(set(counties))
    # Oregon's county FIPS codes are the odd numbers 001..071
    assert sorted(counties) == [f"41{k:03d}" for k in range(1, 72, 2)]
    assert "Douglas" in rs.notes and "approximate" in rs.notes


def test_oregon_douglas_split():
    """Reedsport (coastal Douglas) -> South Coast; Roseburg (inland Douglas) -> South-Central;
    Florence (Lane County, inside the coastal box but not Douglas) -> Lane."""
    rs = read_region_set(REGIONS_DIR / "oregon-hubs.json")
    places = {
        "41019000100": (-124.10, 43.70),
        "41019000200": (-123.34, 43.22),
        "41039000100": (-124.10, 43.97),
        "41011000100": (-124.21, 43.37),
    }
    tracts = gpd.GeoDataFrame(
        {S.GEOID: list(places), S.CHILDREN_UNDER_5: 100.0},
        geometry=[shapely.box(x - 0.01, y - 0.01, x + 0.01, y + 0.01) for x, y in places.values()],
        crs="EPSG:4326",
    )
    got = dict(zip(tracts[S.GEOID], assign_regions(S.validate_tracts(tracts), rs).table["region"]))
    assert got == {
        "41019000100": "South Coast Regional Early Learning Hub",
        "41019000200": "South-Central Early Learning Hub",
        "41039000100": "Lane Early Learning Alliance",
        "41011000100": "South Coast Regional Early Learning Hub",
    }


def test_hub_choice_by_state(demo):
    tracts, _ = demo
    sets = list_region_sets(REGIONS_DIR)
    assert {rs.key for rs in sets} >= {"demo-hubs", "oregon-hubs"}
    assert choose_region_set("hub", tracts, sets).key == "demo-hubs"
    assert choose_region_set("county", tracts, sets).kind == "county"
    oregon_only = [rs for rs in sets if rs.key == "oregon-hubs"]
    with pytest.raises(ParameterError, match="no hub definition covers these tracts"):
        choose_region_set("hub", tracts, oregon_only)


def _independent_demo_hub_totals():
    """Children under 5 and slots (0-5, at utilization 1) of each demo hub from the raw files: the tract
    GeoJSON read with json, providers with csv, points in polygons with shapely, the Millbrook area
    from the hub file; no gapmap code but the tract point rule."""
    features = json.loads((DEMO_DIR / "tracts.geojson").read_text())["features"]
    hubs = json.loads((REGIONS_DIR / "demo-hubs.json").read_text())
    area = shapely.geometry.shape(hubs["regions"][2]["areas"][0]["geometry"])
    tracts = gpd.GeoDataFrame(
        {S.GEOID: [f["properties"]["geoid"] for f in features]},
        geometry=[shapely.geometry.shape(f["geometry"]) for f in features],
        crs="EPSG:4326",
    )
    pts = compute_tract_points(tracts)
    hub_of = {}
    for f, (x, y) in zip(features, pts):
        county = f["properties"]["geoid"][2:5]
        if county == "001":
            hub_of[f["properties"]["geoid"]] = "High Desert Hub"
        elif county == "005" or area.intersects(shapely.Point(x, y)):
            hub_of[f["properties"]["geoid"]] = "Millbrook and Cascade Hub"
        else:
            hub_of[f["properties"]["geoid"]] = "Riverton Hub"
    children = {}
    for f in features:
        h = hub_of[f["properties"]["geoid"]]
        children[h] = children.get(h, 0) + f["properties"]["children_under_5"]
    slots = {}
    polys = [(f["properties"]["geoid"], shapely.geometry.shape(f["geometry"])) for f in features]
    with open(DEMO_DIR / "providers.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            p = shapely.Point(float(row["longitude"]), float(row["latitude"]))
            inside = [g for g, poly in polys if poly.covers(p)]
            if inside:
                h = hub_of[inside[0]]
                slots[h] = slots.get(h, 0) + float(row["slots_0_2"]) + float(row["slots_3_5"])
    return children, slots, hub_of


def test_demo_hub_rollup_equals_sums_over_their_tracts(demo):
    tracts, providers = demo
    children, slots, hub_of = _independent_demo_hub_totals()
    res = compute_tract_metrics(tracts, providers)
    rs = read_region_set(REGIONS_DIR / "demo-hubs.json")
    a = assign_regions(res.tracts, rs)
    assert dict(zip(a.table[S.GEOID], a.table["region"])) == hub_of
    assert (a.table["via"] == "area").sum() > 0, "the Millbrook area must take some Basalt County tracts"
    roll = compute_rollup(res, a).set_index("region")
    for hub in rs.names:
        assert roll.loc[hub, "children_under_5"] == children[hub]
        assert roll.loc[hub, "slots_under_5"] == pytest.approx(slots[hub])
    assert roll.loc[ALL_TRACTS, "children_under_5"] == sum(children.values())
    # the regions partition the data: their counts add up to the whole
    for col in ("tracts", "providers", "children_0_2", "slots_3_5", "licensed_slots_all"):
        assert roll.loc[rs.names, col].sum() == pytest.approx(roll.loc[ALL_TRACTS, col])


def test_compare_regions_counts_priority_tracts_against_one_cutoff(demo):
    tracts, providers = demo
    res = compute_tract_metrics(tracts, providers)
    rs = read_region_set(REGIONS_DIR / "demo-hubs.json")
    comp = compare_regions(res, rs, priority_share=0.1)
    assert comp.priority_top == math.ceil(0.1 * len(tracts))
    roll = comp.rollup.set_index("region")
    assert roll.loc[rs.names, "priority_tracts"].sum() == comp.priority_top == roll.loc[ALL_TRACTS, "priority_tracts"]
    rows = compute_compare_rows(comp.rollup, res.bands)
    assert list(rows.columns) == ["Measure", *rs.names, ALL_TRACTS]
    spr = rows.set_index("Measure").loc["Slots per 100 children under 5"]
    assert spr["Riverton Hub"] == round(roll.loc["Riverton Hub", "slots_per_100_under_5"], 1)
    with pytest.raises(ParameterError, match="no region called 'Nowhere'"):
        compare_regions(res, rs, ["Nowhere"])


def test_dissolve_regions_keeps_area(demo):
    tracts, _ = demo
    rs = read_region_set(REGIONS_DIR / "demo-hubs.json")
    a = assign_regions(tracts, rs)
    g = dissolve_regions(tracts, a)
    assert g["region"].tolist() == rs.names
    assert g.to_crs(6933).area.sum() == pytest.approx(tracts.to_crs(6933).area.sum(), rel=1e-6)


def test_read_region_file_rejects_unknown_types():
    from gapmap.errors import DataSourceError

    with pytest.raises(DataSourceError, match="hubs.pdf: unsupported file type '.pdf'; expected JSON document"):
        read_region_file(b"", "hubs.pdf")
    with pytest.raises(DataSourceError, match="hubs.json: not a valid region file"):
        read_region_file(b"{oops", "hubs.json")


# --- the command ---------------------------------------------------------------------------------
def test_compare_command_on_demo_hubs(tmp_path, capsys):
    """`gapmap compare --region demo --by hub --out compare.csv`: the numbers equal the sums over each
    hub's tracts computed from the raw files."""
    import openpyxl
    import pandas as pd

    from gapmap.cli import main

    children, slots, _hub_of = _independent_demo_hub_totals()
    out, eq = tmp_path / "compare.csv", tmp_path / "equity.csv"
    assert main(["compare", "--region", "demo", "--by", "hub", "--out", str(out), "--equity-out", str(eq)]) == 0
    printed = capsys.readouterr().out
    assert "Demo early learning hubs (synthetic) (3 compared)" in printed
    assert (tmp_path / "compare.about.txt").read_text(encoding="utf-8").count("What this is: A side-by-side comparison of regions") == 1
    table = pd.read_csv(out).set_index("region")  # the header on line 1
    assert list(table.index) == ["High Desert Hub", "Riverton Hub", "Millbrook and Cascade Hub", ALL_TRACTS]
    for hub, n in children.items():
        assert table.loc[hub, "children_under_5"] == n
        assert table.loc[hub, "slots_under_5"] == pytest.approx(slots[hub])
        assert table.loc[hub, "slots_per_100_under_5"] == pytest.approx(100 * slots[hub] / n)
        assert f"{hub}: " in printed
    equity = pd.read_csv(eq)
    assert set(equity["dimension"]) == {"All", "Race and ethnicity (under 5)", "Family income (under 6)", "Rural or urban (under 5)"}
    # Excel: the people's table, the roll-up, who lives in deserts, each tract's region, About
    xl = tmp_path / "compare.xlsx"
    assert main(["compare", "--region", "demo", "--by", "county", "--regions", "Alder County,Cascade County", "--out", str(xl)]) == 0
    wb = openpyxl.load_workbook(xl)
    assert wb.sheetnames == ["Comparison", "Roll-up", "Who lives in deserts", "Region of each tract", "About"]
    header = [c.value for c in wb["Comparison"][1]]
    assert header == ["Measure", "Alder County", "Cascade County", ALL_TRACTS]
    about = {r[0].value: r[1].value for r in wb["About"].iter_rows(min_row=2)}
    assert "Alder County; Cascade County." == about["Regions compared"]
    gj = tmp_path / "compare.geojson"
    assert main(["compare", "--region", "demo", "--by", str(REGIONS_DIR / "demo-hubs.json"), "--out", str(gj)]) == 0
    feats = json.loads(gj.read_text())["features"]
    assert [f["properties"]["region"] for f in feats] == ["High Desert Hub", "Riverton Hub", "Millbrook and Cascade Hub"]


def test_compare_command_errors(tmp_path, capsys):
    from gapmap.cli import main

    assert main(["compare", "--region", "demo", "--by", "hub", "--regions", "Atlantis", "--out", str(tmp_path / "c.csv")]) == 2
    assert "no region called 'Atlantis'" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"regions": [{"name": "X", "counties": ["1"]}]}')
    assert main(["compare", "--region", "demo", "--by", str(bad), "--out", str(tmp_path / "c.csv")]) == 2
    assert "bad.json, row 1, column 'counties', value '1'" in capsys.readouterr().err
    assert main(["compare", "--region", "demo", "--out", str(tmp_path / "c.txt")]) == 2
    assert "must end in .csv, .zip, .xlsx, .geojson" in capsys.readouterr().err
