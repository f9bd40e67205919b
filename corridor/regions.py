"""Country units: which unit a point lies in, and splitting lines at borders by overlay.

Units are ARM, AZE (mainland Azerbaijan), NAX (Nakhchivan, part of Azerbaijan),
GEO, TUR, IRN and RUS, from the region pack. Borders are handled by polygon
overlay, so a line crossing a border is cut exactly where it crosses.

Examples
--------
>>> from corridor.regions import unit_at
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

from . import datasets
from ._errors import InvalidInputError
from ._geo import lengths_of
from ._types import UNITS
from ._validate import check_lonlat

__all__ = ["SOVEREIGN", "UnitIndex", "split_by_unit", "split_lines", "unit_at", "units", "units_of_points"]

#: Sovereign state of each unit (NAX is part of Azerbaijan).
SOVEREIGN: dict[str, str] = {u: ("AZE" if u == "NAX" else u) for u in UNITS}

#: Pieces of a line off every unit polygon (lakes, the Araks channel, slivers) are
#: given the nearest unit when it is within this many degrees (~1 km).
SNAP_DEG = 0.01


@dataclass(frozen=True)
class UnitIndex:
    """Prepared unit polygons and a spatial index (built once per process).

    Examples
    --------
    >>> from corridor.regions import UnitIndex, index
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
    >>> from corridor.regions import index
    >>> sorted(index().codes)
    ['ARM', 'AZE', 'GEO', 'IRN', 'NAX', 'RUS', 'TUR']
    >>> index() is index()
    True
    """
    return _index(str(datasets.region_dir()))


def units() -> Any:
    """Country units as a GeoDataFrame (see :func:`corridor.datasets.units`).

    Examples
    --------
    >>> from corridor.regions import units
    >>> len(units()), "NAX" in set(units()["unit"])
    (7, True)
    """
    return datasets.units()


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
    >>> from corridor.regions import unit_at
    >>> unit_at(46.24, 38.90)  # Meghri
    'ARM'
    >>> unit_at(30.0, 10.0) is None
    True
    """
    x, y = check_lonlat(lon, lat)
    return units_of_points(np.array([x]), np.array([y]))[0]


def units_of_points(lons: np.ndarray, lats: np.ndarray, *, snap_deg: float = 0.0) -> list[str | None]:
    """Vectorised :func:`unit_at`; with ``snap_deg``, points just off land get the nearest unit.

    Examples
    --------
    >>> from corridor.regions import units_of_points
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
    if snap_deg > 0:
        missing = [i for i, u in enumerate(out) if u is None]
        if missing:
            mi, mg = idx.tree.query_nearest(pts[missing], max_distance=snap_deg)
            for m, g in zip(mi, mg, strict=True):
                out[missing[m]] = idx.codes[g]
    return out


def split_by_unit(line: Any, *, snap_deg: float = SNAP_DEG) -> list[tuple[str | None, Any]]:
    """Cut a LineString at unit borders; return ``[(unit, piece), ...]`` in line order.

    Pieces over water or slivers outside every polygon take the nearest unit
    within ``snap_deg`` degrees, else ``None``. Consecutive pieces of the same
    unit are merged, so each border crossing is one unit change.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> parts = split_by_unit(LineString([(46.0, 38.92), (46.3, 38.92)]))  # Ordubad -> Meghri
    >>> [u for u, _ in parts]
    ['NAX', 'ARM']
    """
    import shapely
    from shapely.geometry import LineString
    from shapely.ops import substring

    if line is None:
        return []
    if getattr(line, "geom_type", None) not in ("LineString", "MultiLineString"):
        raise InvalidInputError(f"split_by_unit needs a shapely LineString in EPSG:4326, got {line!r}; "
                                "give one such as shapely.geometry.LineString([(lon, lat), ...])")
    if line.is_empty:
        return []
    if line.geom_type == "MultiLineString":
        return [p for part in line.geoms for p in split_by_unit(part, snap_deg=snap_deg)]
    if line.is_closed or not line.is_simple:
        # loops, rings and back-tracking: ordering pieces by projection is ambiguous there
        return _split_by_segment(line, snap_deg)
    idx = index()
    cands = idx.tree.query(line, predicate="intersects")
    pieces: list[tuple[float, float, str | None, Any]] = []

    def _add(geom: Any, unit: str | None) -> None:
        for g in shapely.get_parts(shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom):
            if g.geom_type != "LineString" or g.length == 0:
                continue
            a = line.project(shapely.Point(g.coords[0]))
            b = line.project(shapely.Point(g.coords[-1]))
            pieces.append((min(a, b), max(a, b), unit, g))

    covered = []
    for g in cands:
        inter = line.intersection(idx.geoms[g])
        if not inter.is_empty:
            _add(inter, idx.codes[g])
            covered.append(idx.geoms[g])
    # the union of every unit is prepared once per process; unioning the hit units here
    # each call cost 90 % of the time
    rest = line.difference(idx.union) if covered else line
    if not rest.is_empty:
        for g in shapely.get_parts(rest):
            if g.geom_type != "LineString" or g.length == 0:
                continue
            mid = g.interpolate(0.5, normalized=True)
            u = units_of_points(np.array([mid.x]), np.array([mid.y]), snap_deg=snap_deg)[0]
            _add(g, u)
    pieces.sort(key=lambda t: (t[0], t[1]))
    # Walk along the line: each span starts where the previous one ended, so where unit
    # polygons overlap nothing is counted twice, and the pieces join exactly.
    spans: list[list[Any]] = []  # [unit, start, end] in the line's own parametrisation
    carry: float | None = None
    for _, b, unit, _g in pieces:
        start = spans[-1][2] if spans else 0.0
        if b <= start:
            continue
        if b - start <= 1e-12:  # a sliver: give it to the next span
            carry = start if carry is None else carry
            continue
        if carry is not None:
            start, carry = carry, None
        if spans and spans[-1][0] == unit:
            spans[-1][2] = b
        else:
            spans.append([unit, start, b])
    if not spans:
        return []
    spans[0][1], spans[-1][2] = 0.0, line.length
    out = []
    for unit, a, b in spans:
        piece = substring(line, a, b)
        if piece.geom_type == "LineString" and len(piece.coords) >= 2:
            out.append((unit, LineString(piece.coords)))
    return out


def _split_by_segment(line: Any, snap_deg: float) -> list[tuple[str | None, Any]]:
    """:func:`split_by_unit` for a line that revisits places: split each straight segment
    (which never revisits) in travel order, then merge same-unit neighbours."""
    import shapely
    from shapely.geometry import LineString

    xy = np.asarray(line.coords)[:, :2]
    xy = xy[np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]]
    if len(xy) < 2:
        return []
    segs = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
    idx = index()
    si, gi = idx.tree.query(segs, predicate="within")
    inside = {int(k): idx.codes[g] for k, g in zip(si, gi, strict=True)}
    merged: list[tuple[str | None, list[Any]]] = []
    for k, seg in enumerate(segs):
        parts = [(inside[k], seg)] if k in inside else split_by_unit(seg, snap_deg=snap_deg)
        for unit, g in parts:
            coords = list(g.coords)
            if merged and merged[-1][0] == unit:
                merged[-1][1].extend(coords[1:] if merged[-1][1][-1] == coords[0] else coords)
            else:
                merged.append((unit, coords))
    return [(u, LineString(c)) for u, c in merged if len(c) >= 2]


def split_lines(gdf: Any, *, snap_deg: float = SNAP_DEG) -> Any:
    """Split every line of a GeoDataFrame at unit borders and add a ``unit`` column.

    Lines entirely inside one unit (the vast majority) are assigned in one
    vectorised spatial query; only border-crossing lines are cut. Split rows keep
    all other attributes; ``length_m`` (geodesic) is recomputed when present.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> gdf = gpd.GeoDataFrame({"name": ["x"]}, geometry=[LineString([(46.0, 38.92), (46.3, 38.92)])],
    ...                        crs="EPSG:4326")
    >>> split_lines(gdf)[["name", "unit"]].values.tolist()
    [['x', 'NAX'], ['x', 'ARM']]
    """
    import geopandas as gpd
    import pandas as pd

    if len(gdf) == 0:
        out = gdf.copy()
        out["unit"] = pd.Series(dtype=object)
        return out
    idx = index()
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    li, gi = idx.tree.query(geoms, predicate="within")
    unit = np.full(len(gdf), None, dtype=object)
    unit[li] = np.asarray(idx.codes, dtype=object)[gi]
    inside = unit != None  # noqa: E711  (object array comparison)
    keep = gdf.loc[inside].copy()
    keep["unit"] = unit[inside]
    rows = []
    rest = gdf.loc[~inside]
    # to_dict, not itertuples: itertuples renames columns such as "class" or "_seq"
    for rec, geom in zip(rest.drop(columns=rest.geometry.name).to_dict("records"), rest.geometry, strict=True):
        for u, piece in split_by_unit(geom, snap_deg=snap_deg):
            rows.append({**rec, "geometry": piece, "unit": u})
    if rows:
        extra = gpd.GeoDataFrame(rows, geometry="geometry", crs=gdf.crs)
        out = pd.concat([keep, extra], ignore_index=True)
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=gdf.crs)
    else:
        out = keep.reset_index(drop=True)
    if "length_m" in out.columns:
        out["length_m"] = lengths_of(out.geometry.values)
    return out
