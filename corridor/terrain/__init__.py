"""Stage 2, terrain: DEMs, elevation profiles and grades, Copernicus tiles.

Examples
--------
>>> from corridor.terrain import DEM, profile
>>> p = profile([(46.18, 38.86), (46.24, 38.90)])
>>> p.length_m > 0
True
"""

from __future__ import annotations

from corridor.terrain.copernicus import (
    SOURCES,
    FetchResult,
    fetch_copernicus,
    tile_name,
    tile_names,
    tile_url,
)
from corridor.terrain.dem import DEM, DEMLike
from corridor.terrain.profiles import (
    RAIL_GRADES,
    ROAD_GRADES,
    Profile,
    edge_grades,
    formation_at,
    grade_labels,
    profile,
    sample_ground,
)

__all__ = [
    "DEM",
    "RAIL_GRADES",
    "ROAD_GRADES",
    "SOURCES",
    "DEMLike",
    "FetchResult",
    "Profile",
    "edge_grades",
    "fetch_copernicus",
    "formation_at",
    "grade_labels",
    "profile",
    "sample_ground",
    "tile_name",
    "tile_names",
    "tile_url",
]
