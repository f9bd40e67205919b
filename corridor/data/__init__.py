"""Stage 1, data: the embedded region pack, country units and the gazetteer.

Everything here reads the files shipped in ``data/`` (``corridor/_data`` in a
wheel): country polygons, places, the DEM tile and the reference network, each
checked against its checksum on first use.

Examples
--------
>>> from corridor.data import unit_at, lookup
>>> unit_at(46.24, 38.90), lookup("Meghri").unit
('ARM', 'ARM')
"""

from __future__ import annotations

from corridor.data.datasets import (
    RegionPack,
    data_dir,
    dem_path,
    region_dir,
    region_pack,
    units,
    verify_region_pack,
)
from corridor.data.places import Waypoint, candidates, lookup, resolve, resolve_all
from corridor.data.regions import cut_lines, split_by_unit, split_lines
from corridor.data.unit_lookup import SOVEREIGN, UnitIndex, unit_at, units_of_lines, units_of_points

__all__ = [
    "SOVEREIGN",
    "RegionPack",
    "UnitIndex",
    "Waypoint",
    "candidates",
    "cut_lines",
    "data_dir",
    "dem_path",
    "lookup",
    "region_dir",
    "region_pack",
    "resolve",
    "resolve_all",
    "split_by_unit",
    "split_lines",
    "unit_at",
    "units",
    "units_of_lines",
    "units_of_points",
    "verify_region_pack",
]
