"""Synthetic regions of any size for benchmarks: clustered like real states (cities, towns, countryside).

Tracts hold similar populations, so their points are drawn where people live (denser in cities) and
their polygons are the Voronoi cells of those points clipped to the state outline. Providers are drawn
a little more clustered than people. Child counts are plausible per-tract values. Deterministic by seed.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from gapmap import schema as S


def _cities(rng, width_km, height_km, n_cities):
    sizes = 1.0 / np.arange(1, n_cities + 1) ** 1.1
    centers = np.column_stack([rng.uniform(-width_km / 2, width_km / 2, n_cities), rng.uniform(-height_km / 2, height_km / 2, n_cities)])
    return sizes, centers


def _people(rng, n, width_km, height_km, cities, concentration=1.0, city_km=(3, 25), urban_share=0.8):
    """n points (km) from a mixture: cities of Zipf-like sizes plus a rural background."""
    sizes, centers = cities
    n_cities = len(sizes)
    sizes = sizes**concentration
    spread = city_km[0] + city_km[1] * np.sqrt(sizes / sizes[0])
    weights = np.append(sizes / sizes.sum() * urban_share, 1 - urban_share)
    which = rng.choice(n_cities + 1, size=n, p=weights)
    pts = np.empty((n, 2))
    rural = which == n_cities
    pts[rural] = np.column_stack(
        [rng.uniform(-width_km / 2, width_km / 2, rural.sum()), rng.uniform(-height_km / 2, height_km / 2, rural.sum())]
    )
    urban = ~rural
    r = spread[which[urban]] * np.sqrt(rng.chisquare(2, urban.sum())) / 2
    a = rng.uniform(0, 2 * np.pi, urban.sum())
    pts[urban] = centers[which[urban]] + np.column_stack([r * np.cos(a), r * np.sin(a)])
    return np.clip(pts, [-width_km / 2, -height_km / 2], [width_km / 2, height_km / 2])


def generate_region(
    n_tracts: int,
    n_providers: int,
    seed: int = 0,
    width_km: float = 600,
    height_km: float = 450,
    n_cities: int = 60,
    lat0: float = 39.0,
    lon0: float = -98.0,
    city_km: tuple[float, float] = (3, 25),
    urban_share: float = 0.8,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """(tracts, providers) validated-shape frames of a synthetic state (or, with :func:`generate_nation`'s
    extent, a country)."""
    rng = np.random.default_rng(seed)
    cities = _cities(rng, width_km, height_km, n_cities)
    seeds = _people(rng, n_tracts, width_km, height_km, cities, 1.0, city_km, urban_share)
    seeds += rng.normal(0, 0.05, seeds.shape)  # no two seeds coincide
    box = shapely.box(-width_km / 2 - 1, -height_km / 2 - 1, width_km / 2 + 1, height_km / 2 + 1)
    cells = np.array(shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=box.buffer(10))))
    cells = shapely.intersection(cells, box)
    to_wgs = Transformer.from_crs(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +units=km +ellps=WGS84", "EPSG:4326", always_xy=True)
    geoms = shapely.transform(cells, lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1])))
    kids02 = rng.poisson(110, len(cells)).astype(float)
    kids35 = rng.poisson(115, len(cells)).astype(float)
    tracts = gpd.GeoDataFrame(
        {
            S.GEOID: [f"98{1 + i // 1000:03d}{i % 1000 * 100 + 100:06d}" for i in range(len(cells))],
            S.NAME: [f"Tract {i + 1}" for i in range(len(cells))],
            S.COUNTY: [f"County {1 + i // 1000}" for i in range(len(cells))],
            S.CHILDREN_0_2: kids02,
            S.CHILDREN_3_5: kids35,
            S.CHILDREN_UNDER_5: np.round(kids02 + kids35 * 2 / 3),
            S.POPULATION: rng.poisson(4000, len(cells)).astype(float),
        },
        geometry=list(geoms),
        crs="EPSG:4326",
    )
    p = _people(rng, n_providers, width_km, height_km, cities, 1.1, city_km, urban_share)
    plon, plat = to_wgs.transform(p[:, 0], p[:, 1])
    cap = np.clip(rng.lognormal(np.log(40), 0.8, n_providers), 6, 250).round()
    s02 = np.floor(cap * rng.uniform(0, 0.35, n_providers))
    s35 = np.floor((cap - s02) * rng.uniform(0.3, 0.8, n_providers))
    providers = pd.DataFrame(
        {
            S.PROVIDER_ID: [f"B{i:06d}" for i in range(n_providers)],
            S.PROVIDER_NAME: [f"Provider {i}" for i in range(n_providers)],
            S.PROVIDER_TYPE: rng.choice(list(S.PROVIDER_TYPES), n_providers),
            S.LATITUDE: plat,
            S.LONGITUDE: plon,
            S.CAPACITY: cap,
            S.SLOTS_0_2: s02,
            S.SLOTS_3_5: s35,
            S.FUNDING: rng.choice(list(S.FUNDING_TYPES), n_providers),
        }
    )
    return tracts, providers


#: The nation: 85,000 tracts and 200,000 providers over a 4,500 x 2,500 km extent with 600 cities, tuned so
#: that a 16 km catchment holds about 59 million pairs, as clustered national points did in GUIDE.md.
NATION = dict(
    n_tracts=85_000,
    n_providers=200_000,
    width_km=4500,
    height_km=2500,
    n_cities=600,
    lat0=38.5,
    lon0=-96.0,
    city_km=(8, 60),
    urban_share=0.75,
)


def generate_nation(seed: int = 2) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """A synthetic country the size of the United States' tract and provider counts."""
    return generate_region(seed=seed, **NATION)
