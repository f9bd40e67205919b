"""Country units: which unit a point or a line lies in.

Units are ARM, AZE (mainland Azerbaijan), NAX (Nakhchivan, part of Azerbaijan),
GEO, TUR, IRN and RUS, from the region pack. :func:`index` holds the prepared
unit polygons; points are looked up in it (snapping to the nearest border
within a distance when asked) and lines far from every border are classified
by a grid. Cutting lines at borders is :mod:`corridor.data.regions`.

Examples
--------
>>> from corridor.data import unit_at
>>> unit_at(46.24, 38.90)   # Meghri
'ARM'
>>> unit_at(45.63, 38.955)  # Julfa, Nakhchivan
'NAX'
>>> unit_at(30.0, 10.0) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from corridor._geo import nearest_within
from corridor._types import UNITS
from corridor._validate import check_lonlat, renamed_keyword
from corridor.data import datasets

__all__ = ["SNAP_M", "SOVEREIGN", "UnitIndex", "index", "unit_at", "units_of_lines", "units_of_points"]

#: Sovereign state of each unit (NAX is part of Azerbaijan).
SOVEREIGN: dict[str, str] = {u: ("AZE" if u == "NAX" else u) for u in UNITS}

#: Pieces of a line off every unit polygon (lakes, the Araks channel, slivers) are
#: given the nearest unit when it is within this distance (m, geodesic).
SNAP_M = 1_000.0
_M_PER_DEG_SNAP = 111_000.0  # metres per degree of the deprecated ``snap_deg`` (a degree of latitude)


def _snap_metres(func: str, snap_m: float, snap_deg: float | None) -> float:
    """``snap_m``, or the deprecated ``snap_deg`` in metres (with a DeprecationWarning)."""
    if snap_deg is None:
        return float(snap_m)
    renamed_keyword(func, "snap_deg", "snap_m")
    return float(snap_deg) * _M_PER_DEG_SNAP


@dataclass(frozen=True)
class UnitIndex:
    """Prepared unit polygons and a spatial index (built once per process).

    Examples
    --------
    >>> from corridor.data.regions import UnitIndex, index
    >>> idx = index()
    >>> isinstance(idx, UnitIndex), len(idx.codes) == len(idx.geoms)
    (True, True)
    """

    codes: tuple[str, ...]
    geoms: tuple[Any, ...]
    tree: Any
    union: Any


@lru_cache(maxsize=2)
def _index(folder: str) -> UnitIndex:
    import shapely
    from shapely.strtree import STRtree

    gdf = datasets.units()
    codes = tuple(str(u) for u in gdf["unit"])
    geoms = tuple(gdf.geometry)
    for g in geoms:
        shapely.prepare(g)
    union = shapely.union_all(list(geoms))
    shapely.prepare(union)
    return UnitIndex(codes, geoms, STRtree(list(geoms)), union)


def index() -> UnitIndex:
    """The process-wide :class:`UnitIndex` of the current data folder.

    Examples
    --------
    >>> from corridor.data.regions import index
    >>> sorted(index().codes)
    ['ARM', 'AZE', 'GEO', 'IRN', 'NAX', 'RUS', 'TUR']
    >>> index() is index()
    True
    """
    return _index(str(datasets.region_dir()))


def unit_at(lon: float, lat: float) -> str | None:
    """Unit code at a point, or ``None`` outside every unit.

    Parameters
    ----------
    lon, lat : float
        EPSG:4326 degrees.

    Returns
    -------
    str or None
        ``ARM``, ``AZE``, ``NAX``, ``GEO``, ``TUR``, ``IRN``, ``RUS`` or ``None``.

    Examples
    --------
    >>> from corridor.data import unit_at
    >>> unit_at(46.24, 38.90)  # Meghri
    'ARM'
    >>> unit_at(30.0, 10.0) is None
    True
    """
    x, y = check_lonlat(lon, lat)
    return units_of_points(np.array([x]), np.array([y]))[0]


def units_of_points(lons: np.ndarray, lats: np.ndarray, *, snap_m: float = 0.0,
                    snap_deg: float | None = None) -> list[str | None]:
    """Vectorised :func:`unit_at`; with ``snap_m``, points just off land get the nearest unit.

    A point off every unit polygon takes the unit whose border is nearest, when
    that border lies within ``snap_m`` metres (geodesic). ``snap_deg`` is the
    deprecated form (degrees, read as 111 km each; ``DeprecationWarning``).

    Examples
    --------
    >>> from corridor.data import units_of_points
    >>> units_of_points([46.24, 45.63, 30.0], [38.90, 38.955, 10.0])
    ['ARM', 'NAX', None]
    """
    import shapely

    idx = index()
    pts = shapely.points(np.asarray(lons, float), np.asarray(lats, float))
    out: list[str | None] = [None] * len(pts)
    pi, gi = idx.tree.query(pts, predicate="intersects")
    for p, g in zip(pi, gi, strict=True):
        if out[p] is None:
            out[p] = idx.codes[g]
    snap = _snap_metres("units_of_points", snap_m, snap_deg)
    missing = np.array([i for i, u in enumerate(out) if u is None], dtype=np.intp)
    if snap > 0 and len(missing):
        # off every polygon the distance to a polygon is the distance to its edges: query a tree
        # of edges (fast) rather than of whole polygons
        codes, tree, _ = _edge_tree(str(datasets.region_dir()))
        pi, ei = nearest_within(pts[missing], tree, snap)
        for p, e in zip(pi, ei, strict=True):
            out[missing[p]] = codes[e]
    return out


@lru_cache(maxsize=2)
def _edge_tree(folder: str) -> tuple[np.ndarray, Any, np.ndarray]:
    """Unit code of each polygon edge (two-point line), an STRtree of the edges and their
    end points (``(n, 2, 2)``)."""
    import shapely
    from shapely.strtree import STRtree

    idx = _index(folder)
    rings = [shapely.get_rings(shapely.get_parts(g)) for g in idx.geoms]
    xy, ri = shapely.get_coordinates(np.concatenate(rings), return_index=True)
    unit_of_ring = np.repeat(np.arange(len(idx.geoms)), [len(r) for r in rings])
    same = ri[1:] == ri[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    ends = np.stack([a, b], axis=1)
    edges = shapely.linestrings(ends)
    return np.asarray(idx.codes, dtype=object)[unit_of_ring[ri[:-1][same]]], STRtree(edges), ends


#: Cell size (degrees) of the grid that classifies lines far from every border without overlay.
_GRID_DEG = 1 / 64


def units_of_lines(lines: Any) -> np.ndarray:
    """Unit code of each line lying wholly inside one unit, else ``None`` (exact).

    Lines whose bounding box falls in grid cells that no border touches are
    classified by a table look-up; only the others take the prepared-polygon
    ``contains`` test. Where unit polygons overlap, the unit the test finds last
    wins, as in a plain spatial query.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> units_of_lines([LineString([(44.5, 40.1), (44.6, 40.1)]),
    ...                 LineString([(46.0, 38.92), (46.3, 38.92)])]).tolist()
    ['ARM', None]
    """
    import shapely

    arr = np.asarray(lines, dtype=object).ravel()
    out = np.full(arr.size, None, dtype=object)
    if arr.size == 0:
        return out
    idx = index()
    codes = np.asarray(idx.codes, dtype=object)
    b = shapely.bounds(arr)
    ok = np.isfinite(b).all(axis=1)
    label = np.full(arr.size, -1, np.int64)
    if ok.sum() > 1000:  # the grid pays off
        x0, y0 = b[ok, 0].min(), b[ok, 1].min()
        h = max(_GRID_DEG, (b[ok, 2].max() - x0) / 4096, (b[ok, 3].max() - y0) / 4096)
        nx = int((b[ok, 2].max() - x0) / h) + 2
        ny = int((b[ok, 3].max() - y0) / h) + 2
        grid = _cell_units(x0, y0, h, nx, ny)
        cb = np.zeros((arr.size, 4), np.int64)
        cb[ok] = np.floor((b[ok] - [x0, y0, x0, y0]) / h).astype(np.int64)
        small = ok & (cb[:, 2] - cb[:, 0] <= 1) & (cb[:, 3] - cb[:, 1] <= 1)
        c = cb[small]
        corners = np.stack([grid[c[:, 1], c[:, 0]], grid[c[:, 1], c[:, 2]], grid[c[:, 3], c[:, 0]],
                            grid[c[:, 3], c[:, 2]]], axis=1)
        same = (corners == corners[:, :1]).all(axis=1) & (corners[:, 0] >= 0)
        label[np.flatnonzero(small)[same]] = corners[same, 0]
    known = label >= 0
    out[known] = codes[label[known]]
    todo = np.flatnonzero(ok & ~known)
    if len(todo):
        li, gi = idx.tree.query(arr[todo])
        polys = np.asarray(idx.geoms, dtype=object)
        inside = shapely.contains(polys[gi], arr[todo][li])  # unit polygons are prepared: fast
        out[todo[li[inside]]] = codes[gi[inside]]
    return out


def _cell_units(x0: float, y0: float, h: float, nx: int, ny: int) -> np.ndarray:
    """``(ny, nx)`` grid of cells ``[x0 + i h, x0 + (i + 1) h] x [y0 + j h, ...]``: the index of the
    one unit holding the whole closed cell, else -1 (a border near or through it, overlapping
    units, or no unit)."""
    import shapely

    idx = index()
    _, _, ends = _edge_tree(str(datasets.region_dir()))
    eps = 1e-9 * max(1.0, abs(x0), abs(y0))
    lo = np.floor((np.minimum(ends[:, 0], ends[:, 1]) - eps - [x0, y0]) / h)
    hi = np.floor((np.maximum(ends[:, 0], ends[:, 1]) + eps - [x0, y0]) / h)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [nx - 1, ny - 1])
    use = (lo <= hi).all(axis=1)
    lo, hi = lo[use].astype(np.int64), hi[use].astype(np.int64)
    border = np.zeros((ny, nx), bool)
    w = hi[:, 0] - lo[:, 0] + 1
    tot = w * (hi[:, 1] - lo[:, 1] + 1)
    rep = np.repeat(np.arange(len(lo)), tot)
    k = np.arange(int(tot.sum())) - np.repeat(np.cumsum(tot) - tot, tot)
    border[lo[rep, 1] + k // w[rep], lo[rep, 0] + k % w[rep]] = True
    # a cell no border touches lies wholly inside or outside each unit: its centre decides
    jy, ix = np.nonzero(~border)
    cx, cy = x0 + (ix + 0.5) * h, y0 + (jy + 0.5) * h
    grid = np.full((ny, nx), -1, np.int64)
    pi, gi = idx.tree.query(shapely.points(cx, cy))
    polys = np.asarray(idx.geoms, dtype=object)
    hit = shapely.intersects_xy(polys[gi], cx[pi], cy[pi])  # prepared polygons
    pi, gi = pi[hit], gi[hit]
    n_hit = np.bincount(pi, minlength=len(cx))
    one = n_hit[pi] == 1
    grid[jy[pi[one]], ix[pi[one]]] = gi[one]
    return grid

