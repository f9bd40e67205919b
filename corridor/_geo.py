"""Geodesic helpers: lengths in metres on the WGS84 ellipsoid, never in degrees.

Examples
--------
>>> from shapely.geometry import LineString
>>> round(geodesic_length(LineString([(45.0, 40.0), (45.0, 41.0)])) / 1000, 1)
111.0
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["GEOD_ELLPS", "cumulative_distance", "geod", "geodesic_length", "great_circle_m", "lengths_of"]

GEOD_ELLPS = "WGS84"


@lru_cache(maxsize=1)
def geod() -> Any:
    """The shared :class:`pyproj.Geod` (WGS84)."""
    import pyproj

    return pyproj.Geod(ellps=GEOD_ELLPS)


def geodesic_length(geom: Any) -> float:
    """Geodesic length in metres of a (Multi)LineString in EPSG:4326."""
    if geom is None or geom.is_empty:
        return 0.0
    return float(geod().geometry_length(geom))


def cumulative_distance(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Cumulative geodesic distance (m) along a vertex chain; first value 0."""
    lons = np.asarray(lons, dtype=float)
    lats = np.asarray(lats, dtype=float)
    if lons.size < 2:
        return np.zeros(lons.size)
    _, _, d = geod().inv(lons[:-1], lats[:-1], lons[1:], lats[1:])
    return np.concatenate([[0.0], np.cumsum(d)])


def great_circle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance (m) between two points."""
    return float(geod().inv(lon1, lat1, lon2, lat2)[2])


def lengths_of(geoms: Any) -> np.ndarray:
    """Geodesic lengths (m) of many LineStrings at once (vectorised over vertices)."""
    import shapely

    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return np.zeros(0)
    coords, idx = shapely.get_coordinates(arr, return_index=True)
    if len(coords) < 2:
        return np.zeros(arr.size)
    _, _, d = geod().inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    same = idx[:-1] == idx[1:]
    out = np.zeros(arr.size)
    np.add.at(out, idx[:-1][same], d[same])
    return out
