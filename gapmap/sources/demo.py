"""The synthetic demo region: three fictional counties, a city, towns and countryside.

**Synthetic demo data.** No number here describes a real place. It is generated from a seed so that
anyone can regenerate the committed files bit for bit::

    uv run gapmap demo-data --out data/demo

How it is made (all distances in km on a local azimuthal-equidistant plane, then to WGS 84):

1. Population density = the sum of Gaussian towns (a city of about 250,000 and seven towns of 2,000
   to 70,000) plus a countryside background; 20,000 "households" of 26 people are drawn from it.
2. Tract seeds are k-means centres of those draws, so tracts hold similar populations (as census
   tracts are designed to: about 4,000 people), small in town and large in the countryside. Tract
   polygons are the Voronoi cells of the seeds, clipped to an irregular region outline; counties are
   groups of whole tracts.
3. Children by single year of age are binomial draws from each tract's population; margins of error
   follow the size of ACS tract margins (a coefficient of variation of 0.2-0.6 for counts of 50-400).
   Poverty and working-parent shares vary smoothly in space (a poor city core and rural pocket,
   better-off suburbs), with noise.
4. Providers of every type are placed in towns (centres, Head Start, school pre-K, more clustered
   than people) and in the countryside (mostly family homes), with capacities by age band typical of
   their type: family homes of 10-16 children, centres of 30-200, school pre-K of 1-2 classrooms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from gapmap import schema as S

__all__ = ["DEMO_SEED", "DEMO_LABEL", "generate_demo", "write_demo", "read_demo"]

DEMO_SEED = 20261122
DEMO_LABEL = "synthetic demo data"
STATE_FIPS = "99"  # not a real state: the demo must never pass for one
CENTER_LAT, CENTER_LON = 44.30, -120.60
TRACTS_FILE = "tracts.geojson"
PROVIDERS_FILE = "providers.csv"


@dataclass(frozen=True)
class _Town:
    name: str
    x: float
    y: float
    population: float
    sigma_km: float


TOWNS = (
    _Town("Riverton", 0.0, 0.0, 240_000, 5.5),
    _Town("Millbrook", 24.0, -13.0, 70_000, 3.5),
    _Town("Cedar Falls", -52.0, -24.0, 45_000, 3.0),
    _Town("Pine Hollow", 42.0, 34.0, 22_000, 2.5),
    _Town("Ashford", -46.0, 33.0, 12_000, 2.0),
    _Town("Dry Creek", 58.0, -32.0, 8_000, 1.6),
    _Town("Juniper Flat", 6.0, -44.0, 12_000, 2.0),
    _Town("Elk Ridge", -72.0, 6.0, 2_000, 1.0),
)
RURAL_POPULATION = 90_000
PEOPLE_PER_DRAW = 26
TRACT_TARGET = 3_000  # people a tract
TRACT_MIN, TRACT_MAX = 1_200, 5_500
#: The demo's made-up state, as an address writes it.
DEMO_STATE_ABBR = "DS"
COUNTIES = {"001": "Alder County", "003": "Basalt County", "005": "Cascade County"}


def _outline(rng: np.random.Generator) -> shapely.Polygon:
    theta = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    p1, p2, p3 = rng.uniform(0, 2 * np.pi, 3)
    wobble = 1 + 0.10 * np.sin(2 * theta + p1) + 0.07 * np.sin(3 * theta + p2) + 0.04 * np.sin(7 * theta + p3)
    wobble *= 1 + rng.normal(0, 0.015, theta.size)
    return shapely.Polygon(np.column_stack([88 * wobble * np.cos(theta), 66 * wobble * np.sin(theta)]))


def _county_of(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fictional county lines: Alder west of a wavy north-south line, Cascade south of a wavy
    east-west line, Basalt the rest (the city and the north-east)."""
    west = x < -28 + 6 * np.sin(y / 11.0)
    south = y < -22 + 5 * np.sin(x / 17.0)
    return np.where(west, "001", np.where(south, "005", "003"))


def _draw_people(rng: np.random.Generator, outline: shapely.Polygon) -> np.ndarray:
    """Locations (km) of population draws of PEOPLE_PER_DRAW people each."""
    pts = []
    for town in TOWNS:
        n = int(round(town.population / PEOPLE_PER_DRAW))
        # heavier tails than a Gaussian: suburbs spill out of towns
        r = town.sigma_km * np.sqrt(rng.chisquare(2, n)) * np.where(rng.random(n) < 0.25, 1.8, 1.0)
        a = rng.uniform(0, 2 * np.pi, n)
        pts.append(np.column_stack([town.x + r * np.cos(a), town.y + r * np.sin(a)]))
    n_rural = int(round(RURAL_POPULATION / PEOPLE_PER_DRAW))
    minx, miny, maxx, maxy = outline.bounds
    parts: list[np.ndarray] = []
    while sum(len(p) for p in parts) < n_rural:
        cand = np.column_stack([rng.uniform(minx, maxx, 4 * n_rural), rng.uniform(miny, maxy, 4 * n_rural)])
        # farmland in two river valleys is more settled than the hills
        valley = np.exp(-((cand[:, 1] - 0.25 * cand[:, 0] - 5) ** 2) / (2 * 12**2)) + 0.6 * np.exp(-((cand[:, 0] + 20) ** 2) / (2 * 10**2))
        keep = rng.random(len(cand)) < 0.25 + 0.75 * valley / valley.max()
        parts.append(cand[keep])
    pts.append(np.concatenate(parts)[:n_rural])
    people = np.concatenate(pts)
    inside = shapely.contains_xy(outline, people[:, 0], people[:, 1])
    return people[inside]


def _tract_seeds(rng, people: np.ndarray) -> np.ndarray:
    """Seeds whose Voronoi cells hold between TRACT_MIN and TRACT_MAX people.

    Start from seeds drawn where people live, then alternate a damped Lloyd step (regular shapes) with
    splitting crowded cells and dropping empty ones, as the Census Bureau splits and merges tracts.
    """
    from scipy.spatial import cKDTree

    total = len(people) * PEOPLE_PER_DRAW
    seeds = people[rng.choice(len(people), int(total / TRACT_TARGET), replace=False)].copy()
    for _ in range(40):
        owner = cKDTree(seeds).query(people)[1]
        pop = np.bincount(owner, minlength=len(seeds)) * PEOPLE_PER_DRAW
        sums = np.zeros_like(seeds)
        np.add.at(sums, owner, people)
        moved = np.where(pop[:, None] > 0, sums / np.maximum(pop, 1)[:, None] * PEOPLE_PER_DRAW, seeds)
        seeds = 0.5 * seeds + 0.5 * moved
        big = np.flatnonzero(pop > TRACT_MAX)
        small = np.flatnonzero(pop < TRACT_MIN)
        if len(big) == 0 and len(small) == 0:
            break
        extra = [people[rng.choice(np.flatnonzero(owner == i))] for i in big]
        keep = np.ones(len(seeds), dtype=bool)
        keep[small[: max(1, len(small) // 2)]] = False  # drop gradually: neighbours absorb them
        seeds = np.concatenate([seeds[keep]] + ([np.array(extra)] if extra else []))
    return seeds


def _tract_polygons(rng, outline, people) -> tuple[np.ndarray, np.ndarray]:
    """Balanced seeds -> Voronoi cells clipped to the outline, in seed order."""
    seeds = _tract_seeds(rng, people)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=outline.buffer(50))
    cells = np.array(shapely.get_parts(cells))
    cells = shapely.intersection(cells, outline)
    order = np.empty(len(seeds), dtype=np.int64)
    tree = shapely.STRtree(cells)
    s_idx, c_idx = tree.query(shapely.points(seeds), predicate="intersects")
    order[s_idx] = c_idx
    return seeds, cells[order]


def _moe(rng, est: np.ndarray) -> np.ndarray:
    """ACS-like 90% margins of error of tract counts."""
    se = 0.07 * est + 2.3 * np.sqrt(est) + 6.0
    return np.round(1.645 * se * rng.uniform(0.85, 1.15, est.shape)).astype(np.int64)


def _smooth(x, y, bumps) -> np.ndarray:
    return sum(a * np.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * s**2)) for bx, by, s, a in bumps)


def _tracts(rng, outline) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    people = _draw_people(rng, outline)
    seeds, cells = _tract_polygons(rng, outline, people)
    # population: the draws inside each cell
    tree = shapely.STRtree(cells)
    p_idx, c_idx = tree.query(shapely.points(people), predicate="intersects")
    first = np.unique(p_idx, return_index=True)[1]
    draws = np.bincount(c_idx[first], minlength=len(cells))
    pop = draws * PEOPLE_PER_DRAW + rng.integers(-12, 13, len(cells))
    pop = np.maximum(pop, 40)
    reps = shapely.point_on_surface(cells)
    cx, cy = shapely.get_x(reps), shapely.get_y(reps)
    county = _county_of(seeds[:, 0], seeds[:, 1])

    # children by single year of age; young families in suburbs, fewer in the city core
    d_core = np.hypot(cx, cy)
    young = 0.0118 + 0.0025 * np.exp(-((d_core - 14) ** 2) / (2 * 6**2)) - 0.0022 * np.exp(-(d_core**2) / (2 * 3**2))
    young = young * rng.uniform(0.85, 1.15, len(cells))
    ages = rng.binomial(pop[:, None], young[:, None], size=(len(cells), 6))
    poverty = 0.13 + _smooth(cx, cy, [(0, 0, 4.5, 0.22), (-60, -10, 14, 0.14), (40, 34, 4, 0.08), (24, -13, 5, -0.06), (12, 10, 6, -0.07)])
    poverty = np.clip(poverty + rng.normal(0, 0.035, len(cells)), 0.02, 0.6)
    under6 = ages.sum(axis=1)
    below100 = rng.binomial(under6, poverty)
    rate200 = np.clip(1.9 * poverty + 0.06, poverty + 0.01, 0.9)
    below200 = below100 + rng.binomial(under6 - below100, (rate200 - poverty) / (1 - poverty))
    working = np.clip(0.67 - 0.45 * (poverty - 0.15) + rng.normal(0, 0.05, len(cells)), 0.35, 0.88)
    all_working = rng.binomial(under6, working)

    counts = {
        S.CHILDREN_0_2: ages[:, 0:3].sum(axis=1),
        S.CHILDREN_3_5: ages[:, 3:6].sum(axis=1),
        S.CHILDREN_UNDER_5: ages[:, 0:5].sum(axis=1),
        S.CHILDREN_UNDER_6: under6,
        S.UNDER6_ALL_PARENTS_WORKING: all_working,
        S.UNDER6_BELOW_100PCT: below100,
        S.UNDER6_BELOW_200PCT: below200,
    }
    # tract codes: numbered within each county from north-west to south-east, as census tracts often are
    order = np.lexsort((cx, -np.round(cy, 0), county))
    codes = np.empty(len(cells), dtype=object)
    for fips in COUNTIES:
        members = [i for i in order if county[i] == fips]
        for k, i in enumerate(members, start=1):
            codes[i] = f"{k * 100:06d}"
    geoid = np.array([STATE_FIPS + county[i] + codes[i] for i in range(len(cells))], dtype=object)

    town_xy = np.array([[t.x, t.y] for t in TOWNS])
    dist = np.hypot(cx[:, None] - town_xy[None, :, 0], cy[:, None] - town_xy[None, :, 1])
    nearest = dist.argmin(axis=1)
    reach = np.array([3.2 * t.sigma_km for t in TOWNS])
    names = []
    for i in range(len(cells)):
        tract_no = f"{int(codes[i]) / 100:g}"
        if dist[i, nearest[i]] <= reach[nearest[i]]:
            names.append(f"{TOWNS[nearest[i]].name}, tract {tract_no}")
        else:
            names.append(f"Rural {COUNTIES[county[i]].replace(' County', '')}, tract {tract_no}")

    data = {S.GEOID: geoid, S.NAME: names, S.COUNTY: [COUNTIES[c] for c in county], "population": pop}
    for col, est in counts.items():
        data[col] = est
        data[S.moe_column(col)] = _moe(rng, est.astype(float))
    frame = pd.DataFrame(data)
    gdf = gpd.GeoDataFrame(frame, geometry=list(cells), crs=None)
    order = np.argsort(geoid, kind="stable")
    return gdf.iloc[order].reset_index(drop=True), people


def _add_race_ethnicity(rng: np.random.Generator, tracts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Children under 5 by race and ethnicity (the ACS B01001A-I groups), drawn from their own random
    stream so the other columns do not depend on them.

    Races alone (A-G) split each tract's children under 5 exactly; Hispanic or Latino children (I) are
    of any race; white alone, not Hispanic (H) is part of white alone (A). The mix varies over space:
    more Hispanic families around Millbrook, Cedar Falls and the southern farmland, more Black and
    Asian families in Riverton's core, and an American Indian community near Elk Ridge.
    """
    reps = shapely.point_on_surface(tracts.geometry.values)
    x, y = shapely.get_x(reps), shapely.get_y(reps)
    u5 = tracts[S.CHILDREN_UNDER_5].to_numpy(np.int64)
    hisp = np.clip(
        0.16 + _smooth(x, y, [(24, -13, 8, 0.22), (-52, -24, 7, 0.18), (10, -45, 20, 0.15)]) + rng.normal(0, 0.03, len(x)), 0.03, 0.7
    )
    weights = np.column_stack(
        [
            0.70 - 0.5 * hisp,  # white alone
            0.02 + _smooth(x, y, [(0, 0, 4, 0.10)]),  # Black alone
            0.015 + _smooth(x, y, [(-72, 6, 9, 0.35)]),  # American Indian and Alaska Native alone
            0.03 + _smooth(x, y, [(3, 3, 5, 0.08)]),  # Asian alone
            np.full(len(x), 0.004),  # Native Hawaiian and Other Pacific Islander alone
            0.45 * hisp,  # some other race alone
            np.full(len(x), 0.09),  # two or more races
        ]
    )
    weights = weights / weights.sum(axis=1, keepdims=True)
    races = np.array([rng.multinomial(n, w) for n, w in zip(u5, weights)])
    hispanic = rng.binomial(u5, hisp)
    white_nh = np.minimum(rng.binomial(races[:, 0], np.clip(1 - 0.6 * hisp, 0, 1)), u5 - hispanic)
    white_nh = np.maximum(white_nh, 0)
    counts = dict(zip(list(S.UNDER5_GROUPS)[:7], races.T))
    counts["under5_white_alone_not_hispanic"] = white_nh
    counts["under5_hispanic_or_latino"] = hispanic
    out = tracts.copy()
    for col in S.UNDER5_GROUPS:
        out[col] = counts[col]
        out[S.moe_column(col)] = _moe(rng, counts[col].astype(float))
    return out[[c for c in out.columns if c != "geometry"] + ["geometry"]]


_CENTER_WORDS = (
    ["Little", "Bright", "Sunny", "Happy", "Tiny", "Growing", "Busy", "Rainbow", "Wonder", "Acorn"],
    ["Sprouts", "Steps", "Stars", "Hands", "Owls", "Bees", "Minds", "Trails", "Roots", "Meadows"],
    ["Learning Center", "Child Development Center", "Early Learning Academy", "Preschool & Child Care", "Kids' Center"],
)
_SURNAMES = [
    "Garcia",
    "Nguyen",
    "Smith",
    "O'Brien",
    "Martinez",
    "Johnson",
    "Lee",
    "Hernandez",
    "Brown",
    "Yazzie",
    "Rodriguez",
    "Kim",
    "Davis",
    "López",
    "Wilson",
    "Anderson",
    "Thomas",
    "Moore",
    "Jackson",
    "Chávez",
]
_SCHOOLS = [
    "Lincoln",
    "Jefferson",
    "Roosevelt",
    "Riverside",
    "Hillcrest",
    "Oak Grove",
    "Sunset",
    "Valley View",
    "Maple",
    "Westside",
    "Eastside",
    "Meadow Park",
    "Cedar",
    "Willow Creek",
    "Pioneer",
]
_OTHER = ["Relief Nursery", "Community Preschool Co-op", "Parent Child Center", "Kids & Co. Play School", "Faith Preschool"]


_FIRST_NAMES = [
    "Maria",
    "Linh",
    "Sarah",
    "Aisha",
    "Rosa",
    "Jennifer",
    "Mei",
    "Ana",
    "Tamara",
    "Grace",
    "Lupe",
    "Heather",
    "Fatima",
    "Dawn",
    "Keiko",
    "Yesenia",
    "Crystal",
    "Olga",
    "Brenda",
    "Nadia",
    "Teresa",
    "Amy",
    "Joy",
    "Ruth",
]
_SITES = ["Main Street", "Oak Avenue", "Park", "Riverside", "Hillside", "Fairgrounds", "Depot", "Library", "Mill", "Orchard"]


def _providers(rng, outline, tracts: gpd.GeoDataFrame, people: np.ndarray, name_rng: np.random.Generator) -> pd.DataFrame:
    town_pop = np.array([t.population for t in TOWNS])
    counts = {"family_home": 110, "center": 95, "head_start": 22, "school_prek": 30, "other": 15}
    rows = []

    def place_in_town(weights_power: float, spread: float = 0.9) -> tuple[float, float, int]:
        w = town_pop**weights_power
        k = rng.choice(len(TOWNS), p=w / w.sum())
        t = TOWNS[k]
        while True:
            r = t.sigma_km * spread * np.sqrt(rng.chisquare(2))
            a = rng.uniform(0, 2 * np.pi)
            x, y = t.x + r * np.cos(a), t.y + r * np.sin(a)
            if shapely.contains_xy(outline, x, y):
                return x, y, k

    def place_with_people() -> tuple[float, float, int]:
        x, y = people[rng.integers(len(people))]
        return float(x + rng.normal(0, 0.3)), float(y + rng.normal(0, 0.3)), -1

    used_names: set[str] = set()

    def unique(name: str) -> str:
        """A second site of the same name is told apart by its site, as multi-site operators do."""
        base = name.split(" (")[0]
        sites = iter(_SITES + [f"Site {n}" for n in range(2, 100)])
        while name in used_names:
            name = f"{base} ({next(sites)})"
        used_names.add(name)
        return name

    for ptype, n in counts.items():
        for _ in range(n):
            if ptype == "family_home":
                x, y, k = place_with_people() if rng.random() < 0.55 else place_in_town(0.8, 1.4)
                cap = int(rng.choice([10, 12, 16], p=[0.5, 0.2, 0.3]))
                s02 = int(rng.integers(2, 6))
                s35 = int(min(cap - s02, rng.integers(3, 8)))
                funding = "mixed" if rng.random() < 0.15 else "private"
                name = None
                while name is None or name in used_names:  # a home is a person's: draw another name
                    first, last = _FIRST_NAMES[name_rng.integers(len(_FIRST_NAMES))], _SURNAMES[name_rng.integers(len(_SURNAMES))]
                    name = f"{first} {last} Family Child Care"
            elif ptype == "center":
                x, y, k = place_in_town(1.15) if rng.random() < 0.93 else place_with_people()
                cap = int(np.clip(rng.lognormal(np.log(95), 0.45), 30, 220))
                infants = rng.random() < 0.65
                s02 = int(round(cap * rng.uniform(0.18, 0.36))) if infants else 0
                s35 = int(round(cap * rng.uniform(0.45, 0.65)))
                s35 = min(s35, cap - s02)
                funding = "mixed" if rng.random() < 0.3 else "private"
                w = _CENTER_WORDS
                name = f"{w[0][name_rng.integers(10)]} {w[1][name_rng.integers(10)]} {w[2][name_rng.integers(5)]}"
            elif ptype == "head_start":
                x, y, k = place_in_town(0.9)
                early = rng.random() < 0.35
                town = TOWNS[k].name
                if early:
                    cap = int(rng.choice([8, 16, 24]))
                    s02, s35 = cap, 0
                    name = f"{town} Early Head Start ({_SITES[name_rng.integers(len(_SITES))]})"
                else:
                    cap = int(rng.choice([20, 34, 40, 60, 80]))
                    s02, s35 = 0, cap
                    name = f"{town} Head Start ({_SITES[name_rng.integers(len(_SITES))]})"
                funding = "public"
            elif ptype == "school_prek":
                x, y, k = place_in_town(1.0, 1.2)
                cap = int(rng.choice([18, 20, 36, 40]))
                s02, s35 = 0, cap
                funding = "public"
                name = f"{_SCHOOLS[name_rng.integers(len(_SCHOOLS))]} Elementary Pre-K, {TOWNS[k].name}"
            else:
                x, y, k = place_in_town(1.0)
                cap = int(rng.integers(10, 41))
                s02 = int(rng.integers(0, cap // 3 + 1))
                s35 = cap - s02
                funding = str(rng.choice(["mixed", "private", "public"]))
                name = f"{TOWNS[k].name} {_OTHER[name_rng.integers(len(_OTHER))]}"
            rating = "" if rng.random() < 0.4 else str(int(rng.choice([1, 2, 3, 4, 5], p=[0.1, 0.2, 0.35, 0.25, 0.1])))
            rows.append(
                {
                    "ptype": ptype,
                    "x": x,
                    "y": y,
                    "name": unique(name),
                    "capacity": cap,
                    "s02": s02,
                    "s35": s35,
                    "funding": funding,
                    "rating": rating,
                }
            )
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["y", "x"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return frame


def generate_demo(seed: int = DEMO_SEED) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Generate the demo tracts (GeoDataFrame, EPSG:4326) and providers (DataFrame). Deterministic."""
    rng = np.random.default_rng(seed)
    outline = _outline(rng)
    tracts_km, people = _tracts(rng, outline)
    tracts_km = _add_race_ethnicity(np.random.default_rng([seed, 2]), tracts_km)
    prov_km = _providers(rng, outline, tracts_km, people, np.random.default_rng([seed, 1]))
    to_wgs = Transformer.from_crs(f"+proj=aeqd +lat_0={CENTER_LAT} +lon_0={CENTER_LON} +units=km +ellps=WGS84", "EPSG:4326", always_xy=True)
    geoms = shapely.transform(tracts_km.geometry.values, lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1])))
    geoms = shapely.set_precision(geoms, 1e-6)  # what the committed file holds; ~0.1 m
    tracts = gpd.GeoDataFrame(tracts_km.drop(columns="geometry"), geometry=list(geoms), crs="EPSG:4326")
    lon, lat = to_wgs.transform(prov_km["x"].to_numpy(), prov_km["y"].to_numpy())
    providers = pd.DataFrame(
        {
            S.PROVIDER_ID: [f"DEMO-{i + 1:04d}" for i in range(len(prov_km))],
            S.PROVIDER_NAME: prov_km["name"],
            S.PROVIDER_TYPE: prov_km["ptype"],
            S.LATITUDE: np.round(lat, 6),
            S.LONGITUDE: np.round(lon, 6),
            S.CAPACITY: prov_km["capacity"],
            S.SLOTS_0_2: prov_km["s02"],
            S.SLOTS_3_5: prov_km["s35"],
            S.FUNDING: prov_km["funding"],
            S.QUALITY_RATING: prov_km["rating"],
            S.ADDRESS: _addresses(prov_km["x"].to_numpy(), prov_km["y"].to_numpy()),
        }
    )
    return tracts, providers


_STREETS = ("Main St", "Oak Ave", "Juniper Ln", "Canyon Rd", "River Dr", "Pine St", "Butte Way", "Sage Ct", "Mill Rd", "Rim Rock Dr")


def _addresses(x_km: np.ndarray, y_km: np.ndarray) -> list[str]:
    """A made-up street address for each provider in the nearest town (no draw from the generator, so
    adding addresses changed no other demo value)."""
    towns = np.array([[t.x, t.y] for t in TOWNS])
    nearest = np.argmin((x_km[:, None] - towns[None, :, 0]) ** 2 + (y_km[:, None] - towns[None, :, 1]) ** 2, axis=1)
    return [
        f"{100 + (37 * i) % 4900} {_STREETS[(7 * i) % len(_STREETS)]}, {TOWNS[k].name}, {DEMO_STATE_ABBR}" for i, k in enumerate(nearest)
    ]


def _geojson_text(tracts: gpd.GeoDataFrame) -> str:
    """A deterministic GeoJSON text: fixed key order, coordinates with 6 decimals, one feature a line."""

    def rounded(obj):
        if isinstance(obj, (list, tuple)):
            return [rounded(o) for o in obj]
        return round(float(obj), 6)

    lines = []
    props = [c for c in tracts.columns if c != "geometry"]
    for rec, geom in zip(tracts[props].itertuples(index=False), tracts.geometry.values):
        geo = shapely.geometry.mapping(geom)
        feature = {
            "type": "Feature",
            "properties": {k: (v.item() if hasattr(v, "item") else v) for k, v in zip(props, rec)},
            "geometry": {"type": geo["type"], "coordinates": rounded(geo["coordinates"])},
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = '{"type":"FeatureCollection","name":"gapmap demo tracts (synthetic demo data)","features":[\n'
    return head + ",\n".join(lines) + "\n]}\n"


HUBS_FILE = "demo-hubs.json"


def demo_hubs():
    """The demo region's three early learning hubs (a :class:`gapmap.regions.RegionSet`).

    Like Oregon's Douglas County, one county is split: the Millbrook area of Basalt County (tracts
    whose representative point lies within 10 km of Millbrook's centre) belongs to the Millbrook and
    Cascade hub, the rest of Basalt County to the Riverton hub.
    """
    from gapmap.sources.region_files import Area, RegionDef, RegionSet

    to_wgs = Transformer.from_crs(f"+proj=aeqd +lat_0={CENTER_LAT} +lon_0={CENTER_LON} +units=km +ellps=WGS84", "EPSG:4326", always_xy=True)
    millbrook = next(t for t in TOWNS if t.name == "Millbrook")
    theta = np.linspace(0, 2 * np.pi, 33)[:-1]
    lon, lat = to_wgs.transform(millbrook.x + 10 * np.cos(theta), millbrook.y + 10 * np.sin(theta))
    circle = shapely.Polygon(np.column_stack([np.round(lon, 6), np.round(lat, 6)]))
    state = STATE_FIPS
    return RegionSet(
        key="demo-hubs",
        label="Demo early learning hubs (synthetic)",
        kind="hub",
        state=state,
        source=f"gapmap demo region ({DEMO_LABEL}); written by `gapmap demo-data`",
        notes="Basalt County is split between two hubs, like Oregon's Douglas County: its Millbrook area (tracts "
        "whose representative point lies within 10 km of Millbrook) belongs to the Millbrook and Cascade hub.",
        regions=(
            RegionDef("High Desert Hub", counties=(state + "001",), note="Alder County"),
            RegionDef("Riverton Hub", counties=(state + "003",), note="Basalt County except the Millbrook area"),
            RegionDef(
                "Millbrook and Cascade Hub",
                counties=(state + "005",),
                areas=(Area("Millbrook area of Basalt County", circle, (state + "003",)),),
                note="Cascade County and the Millbrook area of Basalt County",
            ),
        ),
    )


def write_demo(out_dir: str | Path, seed: int = DEMO_SEED, regions_dir: str | Path | None = None) -> list[Path]:
    """Generate the demo region and write ``tracts.geojson`` and ``providers.csv`` to ``out_dir``, and
    the demo hubs (``demo-hubs.json``) to ``regions_dir`` (default: ``regions`` beside ``out_dir``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tracts, providers = generate_demo(seed)
    t_path, p_path = out / TRACTS_FILE, out / PROVIDERS_FILE
    t_path.write_text(_geojson_text(tracts), encoding="utf-8", newline="\n")
    providers.to_csv(p_path, index=False, lineterminator="\n", encoding="utf-8")
    regions = Path(regions_dir) if regions_dir is not None else out.parent / "regions"
    regions.mkdir(parents=True, exist_ok=True)
    h_path = regions / HUBS_FILE
    h_path.write_text(demo_hubs().to_json(), encoding="utf-8", newline="\n")
    return [t_path, p_path, h_path]


def read_demo(data_dir: str | Path) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read the committed demo files (validated) from ``data_dir`` (normally ``data/demo``)."""
    from gapmap.sources.geography import read_tracts
    from gapmap.sources.providers import read_providers

    data_dir = Path(data_dir)
    return read_tracts(data_dir / TRACTS_FILE), read_providers(data_dir / PROVIDERS_FILE)
