"""Geodesic helpers: lengths in metres on the WGS84 ellipsoid, never in degrees.

Examples
--------
>>> from shapely.geometry import LineString
>>> round(geodesic_length(LineString([(45.0, 40.0), (45.0, 41.0)])) / 1000, 1)
111.0
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["GEOD_ELLPS", "M_PER_DEG_LAT", "M_PER_DEG_LON_EQUATOR", "SAME_POINT_DEG", "chain_lengths", "cumulative_distance", "distances_from", "geod", "geodesic_length",
           "great_circle_m", "lengths_of", "nearest", "pair_distances", "points_at", "same_point",
           "segment_lengths"]

GEOD_ELLPS = "WGS84"
#: Metres per degree on WGS84, for sizing search windows and pads in degrees only (lengths are always
#: geodesic): a degree of latitude (at ~40 N) and a degree of longitude at the equator (times cos(lat)).
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQUATOR = 111_320.0
#: Two points whose longitudes and latitudes each differ by at most this (degrees, ~1 cm; OSM's
#: coordinate precision) are the same point: where a line meets a waypoint, a station or the next line.
SAME_POINT_DEG = 1e-7


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
    if lons.size < 2:
        return np.zeros(lons.size)
    return np.concatenate([[0.0], np.cumsum(segment_lengths(lons, lats))])


def points_at(xy: np.ndarray, s: np.ndarray, cum: np.ndarray | None = None) -> np.ndarray:
    """Points ``(lon, lat)`` at geodesic distances ``s`` (m) along the vertex chain ``xy``.

    A point lies on the geodesic between its two vertices, at its distance (as
    :func:`corridor.terrain.profile` samples a line); at a vertex (within 1 nm) it is that vertex.
    ``cum`` is the chain's :func:`cumulative_distance`, if already known.

    >>> xy = np.array([(45.0, 40.0), (45.1, 40.0)])
    >>> points_at(xy, np.array([0.0, cumulative_distance(xy[:, 0], xy[:, 1])[-1] / 2])).round(4).tolist()
    [[45.0, 40.0], [45.05, 40.0]]
    """
    xy = np.asarray(xy, dtype=float)
    cum = cumulative_distance(xy[:, 0], xy[:, 1]) if cum is None else cum
    s = np.asarray(s, dtype=float)
    k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(cum) - 2)
    out = xy[k].copy()
    off = s - cum[k]
    nxt = (off > 1e-9) & (cum[k + 1] - s <= 1e-9)
    out[nxt] = xy[k[nxt] + 1]
    mid = (off > 1e-9) & ~nxt
    if mid.any():
        a, b = xy[k[mid]], xy[k[mid] + 1]
        az, _, _ = geod().inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
        lon, lat, _ = geod().fwd(a[:, 0], a[:, 1], az, off[mid])
        out[mid, 0], out[mid, 1] = lon, lat
    return out


def same_point(a: Any, b: Any) -> bool:
    """Whether two ``(lon, lat)`` points are the same point (within :data:`SAME_POINT_DEG` in each coordinate).

    An absolute tolerance: ``numpy.allclose``'s default relative one would join points ~40 m apart
    at these longitudes.

    >>> same_point((46.1, 39.2), (46.1 + 5e-8, 39.2)), same_point((46.1, 39.2), (46.1003, 39.2))
    (True, False)
    """
    return bool(np.all(np.abs(np.asarray(a, dtype=float)[:2] - np.asarray(b, dtype=float)[:2]) <= SAME_POINT_DEG))


def great_circle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance (m) between two points."""
    return float(geod().inv(lon1, lat1, lon2, lat2)[2])


def distances_from(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Geodesic distances (m) from one point to each of many.

    >>> distances_from(45.0, 40.0, np.array([45.0, 45.0]), np.array([40.0, 41.0])).round(-2).tolist()
    [0.0, 111000.0]
    """
    n = len(lons)
    return pair_distances(np.full(n, float(lon)), np.full(n, float(lat)), lons, lats)


def nearest(lons: np.ndarray, lats: np.ndarray, cand_lons: np.ndarray, cand_lats: np.ndarray, *,
            ref_lat: float) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest candidate to each point, and its geodesic distance (m).

    The search runs in a KD-tree on longitudes scaled by ``cos(ref_lat)`` (a
    local equirectangular frame); the distances returned are geodesic.

    >>> j, d = nearest(np.array([45.0]), np.array([40.0]), np.array([46.0, 45.01]), np.array([40.0, 40.0]),
    ...                ref_lat=40.0)
    >>> j.tolist(), d.round(-1).tolist()
    ([1], [850.0])
    """
    from scipy.spatial import cKDTree

    k = math.cos(math.radians(ref_lat))
    _, j = cKDTree(np.c_[np.asarray(cand_lons) * k, cand_lats]).query(np.c_[np.asarray(lons) * k, lats], k=1)
    j = np.atleast_1d(j)
    return j, pair_distances(lons, lats, np.asarray(cand_lons)[j], np.asarray(cand_lats)[j])


def lengths_of(geoms: Any) -> np.ndarray:
    """Geodesic lengths (m) of many (Multi)LineStrings at once (vectorised over vertices).

    ``None`` and empty geometries have length 0; the parts of a multi-part
    geometry are summed without the gaps between them.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> lengths_of([LineString([(45.0, 40.0), (45.0, 41.0)]), None]).round(-2).tolist()
    [111000.0, 0.0]
    """
    import shapely

    arr = np.asarray(geoms, dtype=object).ravel()
    out = np.zeros(arr.size)
    if arr.size == 0:
        return out
    owner = np.arange(arr.size)
    if np.isin(shapely.get_type_id(arr), (4, 5, 6, 7)).any():  # multi-part: measure each part
        arr, owner = shapely.get_parts(arr, return_index=True)
    coords, idx = shapely.get_coordinates(arr, return_index=True)
    if len(coords) < 2:
        return out
    cut = np.flatnonzero(np.diff(idx)) + 1
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [len(idx)]]) - 1
    lens = chain_lengths(coords[:, 0], coords[:, 1], starts, ends)
    np.add.at(out, owner[idx[starts]], lens)
    return out


def segment_lengths(lons: np.ndarray, lats: np.ndarray, *, threads: int | None = None) -> np.ndarray:
    """Geodesic length (m) of each segment ``i -> i + 1`` of a flat vertex chain (``len - 1`` values).

    Large inputs are split over up to ``threads`` threads (default: up to 4, by
    CPU count); pyproj releases the GIL, so they run in parallel.

    Examples
    --------
    >>> segment_lengths(np.array([45.0, 45.0, 45.0]), np.array([40.0, 40.5, 41.0])).round(-2).tolist()
    [55500.0, 55500.0]
    """
    import os

    lons = np.ascontiguousarray(lons, dtype=np.float64)
    lats = np.ascontiguousarray(lats, dtype=np.float64)
    n = lons.size
    if n < 2:
        return np.zeros(0)
    g = geod()
    k = (threads or min(4, os.cpu_count() or 1)) if n >= _PARALLEL_MIN else 1
    if k == 1:
        return np.asarray(g.line_lengths(lons, lats), dtype=np.float64)
    from concurrent.futures import ThreadPoolExecutor

    b = np.linspace(0, n - 1, k + 1).astype(np.intp)  # chunks share their end vertex
    with ThreadPoolExecutor(k) as ex:  # pyproj releases the GIL: the chunks run in parallel
        parts = list(ex.map(lambda i: g.line_lengths(lons[b[i]:b[i + 1] + 1], lats[b[i]:b[i + 1] + 1]), range(k)))
    return np.concatenate([np.atleast_1d(np.asarray(q, dtype=np.float64)) for q in parts])


#: Above this many points, :func:`segment_lengths` splits the work over threads.
_PARALLEL_MIN = 200_000


def chain_lengths(lons: np.ndarray, lats: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                  segments: np.ndarray | None = None) -> np.ndarray:
    """Geodesic lengths (m) of the vertex chains ``starts[i] .. ends[i]`` (inclusive) of flat arrays.

    Chains must be sorted and must not overlap (they may share an end vertex);
    only the segments inside chains are measured, unless ``segments`` (the
    :func:`segment_lengths` of the whole arrays) is given.

    Examples
    --------
    >>> lon, lat = np.array([45.0, 45.0, 45.0, 46.0]), np.array([40.0, 40.5, 41.0, 41.0])
    >>> chain_lengths(lon, lat, np.array([0, 1]), np.array([1, 2])).round(-2).tolist()
    [55500.0, 55500.0]
    """
    starts = np.asarray(starts, dtype=np.intp)
    ends = np.asarray(ends, dtype=np.intp)
    n = len(lons)
    if len(starts) == 0 or n < 2:
        return np.zeros(len(starts))
    nseg = int((ends - starts).sum())
    if segments is not None:
        d = np.asarray(segments, dtype=np.float64)
    elif nseg > 0.6 * (n - 1):  # most segments are used: measure the whole array in one pass
        d = segment_lengths(lons, lats)
    else:
        cover = np.zeros(n, np.int64)
        np.add.at(cover, starts, 1)
        np.add.at(cover, ends, -1)
        s = np.flatnonzero(np.cumsum(cover)[:-1] > 0)
        d = np.zeros(n - 1)
        if len(s):
            d[s] = pair_distances(np.asarray(lons)[s], np.asarray(lats)[s], np.asarray(lons)[s + 1],
                                np.asarray(lats)[s + 1])
    d = np.append(d, 0.0)
    both = np.empty(2 * len(starts), dtype=np.intp)
    both[0::2], both[1::2] = starts, ends
    return np.asarray(np.add.reduceat(d, both)[0::2], dtype=np.float64)


def radius_deg(metres: float, lat: float) -> float:
    """A search radius in degrees (planar lon/lat) holding every point within ``metres``
    (geodesic) of a point at latitude ``lat``.

    It is ``metres`` over the geodesic length of a degree of longitude (the shorter
    degree) at the disc's pole-ward edge, plus 1 %: a candidate search, to be
    followed by geodesic distances.

    >>> round(radius_deg(1000.0, 40.0), 4)
    0.0118
    """
    edge = min(89.0, abs(float(lat)) + metres / 110_000.0)
    return 1.01 * float(metres) / great_circle_m(0.0, edge, 1.0, edge)


def nearest_within(points: Any, tree: Any, metres: float) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the geometry of a shapely ``STRtree`` nearest by geodesic distance, if within ``metres``.

    Candidates come from the tree within :func:`radius_deg`; the distance to each is
    the geodesic distance to its (planar) nearest point.

    Returns
    -------
    point, geometry : numpy.ndarray
        Index of each point that has such a geometry, and the tree index of the geometry.

    Examples
    --------
    >>> import shapely
    >>> tree = shapely.STRtree([shapely.LineString([(45.0, 40.0), (45.0, 41.0)])])
    >>> nearest_within(shapely.points([45.011, 45.013], [40.5, 40.5]), tree, 1000.0)[0].tolist()
    [0]
    """
    import shapely

    points = np.asarray(points, dtype=object)
    if not len(points) or metres <= 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    lat_max = float(np.max(np.abs(shapely.get_y(points))))
    pi, gi = tree.query(points, predicate="dwithin", distance=radius_deg(metres, lat_max))
    near = shapely.get_point(shapely.shortest_line(points[pi], tree.geometries[gi]), 1)
    d = pair_distances(shapely.get_x(points[pi]), shapely.get_y(points[pi]), shapely.get_x(near), shapely.get_y(near))
    order = np.lexsort((gi, d, pi))  # per point, nearest first (ties: the first geometry)
    first = order[np.r_[True, pi[order][1:] != pi[order][:-1]]] if len(order) else order
    keep = first[d[first] <= metres]
    return pi[keep].astype(np.intp), gi[keep].astype(np.intp)


def pair_distances(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Geodesic distances (m) between point pairs ``(lon1[i], lat1[i])``, ``(lon2[i], lat2[i])``."""
    return np.asarray(geod().inv(lon1, lat1, lon2, lat2)[2], dtype=np.float64)
