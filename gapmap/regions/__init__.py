"""Regions: assignment of tracts to regions, roll-ups, who lives in the deserts, and comparison.

Layer: above :mod:`gapmap.analysis` (a comparison counts each region's priority tracts from a ranking),
below :mod:`gapmap.outputs`, :mod:`gapmap.viz`, :mod:`gapmap.ui` and the CLI. It may import
:mod:`gapmap.analysis`, :mod:`gapmap.metrics`, :mod:`gapmap.sources` and the foundation (``errors``,
``config``, ``schema``, ``measures``). The region *model* and its files live in
:mod:`gapmap.sources.region_files` (files produce it) and are re-exported here.
"""

from gapmap.regions.assignment import RegionAssignment, assign_regions, dissolve_regions
from gapmap.regions.rollup import compute_rollup
from gapmap.sources.region_files import (
    ALL_TRACTS,
    FORMAT,
    Area,
    RegionDef,
    RegionSet,
    county_region_set,
    list_region_sets,
    parse_region_set,
    read_region_file,
    read_region_set,
    region_set_from_polygons,
    region_set_from_table,
    region_sets_for,
)

__all__ = [
    "ALL_TRACTS",
    "FORMAT",
    "Area",
    "RegionDef",
    "RegionSet",
    "RegionAssignment",
    "assign_regions",
    "compute_rollup",
    "county_region_set",
    "dissolve_regions",
    "list_region_sets",
    "parse_region_set",
    "read_region_file",
    "read_region_set",
    "region_set_from_polygons",
    "region_set_from_table",
    "region_sets_for",
]
