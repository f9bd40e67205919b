"""Country units: splitting lines at unit borders by overlay.

Borders are handled by polygon overlay, so a line crossing a border is cut
exactly where it crosses (:func:`split_by_unit`, :func:`split_many`,
:func:`cut_lines`, :func:`split_lines`). Which unit a point or a line lies in
is :mod:`corridor.data.unit_lookup`; its names are importable from here too.

Examples
--------
>>> from corridor.data import unit_at
>>> unit_at(46.24, 38.90)   # Meghri
'ARM'
>>> from shapely.geometry import LineString
>>> [u for u, _ in split_by_unit(LineString([(46.0, 38.92), (46.3, 38.92)]))]  # Ordubad -> Meghri
['NAX', 'ARM']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from corridor._errors import InvalidInputError
from corridor._geo import lengths_of
from corridor.data.unit_lookup import (
    SNAP_M,
    SOVEREIGN,
    UnitIndex,
    _snap_metres,
    index,
    unit_at,
    units_of_lines,
    units_of_points,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["SOVEREIGN", "UnitIndex", "cut_lines", "split_by_unit", "split_lines", "split_many", "unit_at",
           "units_of_lines", "units_of_points"]


def split_by_unit(line: Any, *, snap_m: float = SNAP_M,
                  snap_deg: float | None = None) -> list[tuple[str | None, Any]]:
    """Cut a LineString at unit borders; return ``[(unit, piece), ...]`` in line order.

    Pieces over water or slivers outside every polygon take the nearest unit
    within ``snap_m`` metres (geodesic), else ``None``. Consecutive pieces of the same
    unit are merged, so each border crossing is one unit change. ``snap_deg`` is
    deprecated (see :func:`units_of_points`).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> parts = split_by_unit(LineString([(46.0, 38.92), (46.3, 38.92)]))  # Ordubad -> Meghri
    >>> [u for u, _ in parts]
    ['NAX', 'ARM']
    """
    snap_m = _snap_metres("split_by_unit", snap_m, snap_deg)
    if line is None:
        return []
    if getattr(line, "geom_type", None) not in ("LineString", "MultiLineString"):
        raise InvalidInputError(f"split_by_unit needs a shapely LineString in EPSG:4326, got {line!r}; "
                                "give one such as shapely.geometry.LineString([(lon, lat), ...])")
    if line.is_empty:
        return []
    if line.geom_type == "MultiLineString":
        return [p for part in line.geoms for p in split_by_unit(part, snap_m=snap_m)]
    if line.is_closed or not line.is_simple:
        # loops, rings and back-tracking: ordering pieces by projection is ambiguous there
        return _split_by_segment(line, snap_m)
    _, unit, piece = _split_simple(np.array([line], dtype=object), snap_m)
    return list(zip(unit.tolist(), piece.tolist(), strict=True))


def _split_by_segment(line: Any, snap_m: float) -> list[tuple[str | None, Any]]:
    """:func:`split_by_unit` for a line that revisits places: split each straight segment
    (which never revisits) in travel order, then merge same-unit neighbours."""
    import shapely
    from shapely.geometry import LineString

    xy = np.asarray(line.coords)[:, :2]
    xy = xy[np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]]
    if len(xy) < 2:
        return []
    segs = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
    inside = units_of_lines(segs)
    merged: list[tuple[str | None, list[Any]]] = []
    for seg, unit_in in zip(segs, inside, strict=True):
        parts = [(unit_in, seg)] if unit_in is not None else split_by_unit(seg, snap_m=snap_m)
        for unit, g in parts:
            coords = list(g.coords)
            if merged and merged[-1][0] == unit:
                merged[-1][1].extend(coords[1:] if merged[-1][1][-1] == coords[0] else coords)
            else:
                merged.append((unit, coords))
    return [(u, LineString(c)) for u, c in merged if len(c) >= 2]


def split_many(lines: Any, *, snap_m: float = SNAP_M,
               snap_deg: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`split_by_unit` for many lines at once, with array (GEOS) operations.

    Gives the same pieces as calling :func:`split_by_unit` on each line (up to
    float noise in the cut points), much faster for thousands of lines.

    Parameters
    ----------
    lines : array-like of LineString
        EPSG:4326 lines (``None``/empty ones yield no pieces).
    snap_m : float
        As in :func:`split_by_unit` (``snap_deg``: deprecated).

    Returns
    -------
    owner, unit, piece : numpy.ndarray
        For each piece, in line order and along each line: the index of its line,
        its unit code (or ``None``) and its LineString.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> owner, unit, piece = split_many([LineString([(46.0, 38.92), (46.3, 38.92)]),
    ...                                  LineString([(44.5, 40.1), (44.6, 40.1)])])
    >>> owner.tolist(), unit.tolist()
    ([0, 0, 1], ['NAX', 'ARM', 'ARM'])
    """
    import shapely

    snap_m = _snap_metres("split_many", snap_m, snap_deg)
    arr = np.asarray(lines, dtype=object).ravel()
    owner_parts: list[np.ndarray] = []
    unit_parts: list[np.ndarray] = []
    piece_parts: list[np.ndarray] = []
    if arr.size:
        gtype = shapely.get_type_id(arr)
        bad = ~np.isin(gtype, (-1, 1, 5))
        if bad.any():
            split_by_unit(arr[np.flatnonzero(bad)[0]])  # raises the usual InvalidInputError
        ok = np.flatnonzero((gtype == 1) & ~shapely.is_empty(arr))
        simple = np.zeros(arr.size, bool)
        simple[ok] = ~shapely.is_closed(arr[ok]) & shapely.is_simple(arr[ok])
        fast = np.flatnonzero(simple)
        if len(fast):
            o, u, g = _split_simple(arr[fast], snap_m)
            owner_parts.append(fast[o])
            unit_parts.append(u)
            piece_parts.append(g)
        for i in np.flatnonzero(~simple & ((gtype == 1) | (gtype == 5))):  # rings, loops, multi-part: one by one
            res = split_by_unit(arr[i], snap_m=snap_m)
            owner_parts.append(np.full(len(res), i, dtype=np.intp))
            unit_parts.append(np.array([r[0] for r in res], dtype=object))
            piece_parts.append(np.array([r[1] for r in res], dtype=object))
    if not owner_parts:
        return np.zeros(0, np.intp), np.zeros(0, dtype=object), np.zeros(0, dtype=object)
    owner = np.concatenate(owner_parts)
    order = np.argsort(owner, kind="stable")
    return owner[order], np.concatenate(unit_parts)[order], np.concatenate(piece_parts)[order]


#: Cell size (degrees) for grouping nearby lines when unit polygons are clipped to their area.
_CLIP_CELL = 0.05


def _clipped_polygons(lines: np.ndarray, li: np.ndarray, gi: np.ndarray, idx: UnitIndex) -> np.ndarray:
    """The unit polygon of each (line, polygon) pair clipped to a box around the line.

    Overlaying a short line with a whole country polygon costs time in proportion to
    the polygon; clipping it once per group of nearby lines to a box that holds them
    (with a margin) leaves the intersection unchanged and makes it cheap.
    """
    import shapely

    b = shapely.bounds(lines[li])
    cell = np.floor(b[:, :2] / _CLIP_CELL).astype(np.int64)
    keys = np.stack([gi.astype(np.int64), cell[:, 0], cell[:, 1]], axis=1)
    uniq, grp = np.unique(keys, axis=0, return_inverse=True)
    grp = grp.ravel()
    lo = np.full((len(uniq), 2), np.inf)
    hi = np.full((len(uniq), 2), -np.inf)
    np.minimum.at(lo, grp, b[:, :2])
    np.maximum.at(hi, grp, b[:, 2:])
    margin = _CLIP_CELL / 10
    out = np.empty(len(uniq), dtype=object)
    for k in range(len(uniq)):
        poly = idx.geoms[int(uniq[k, 0])]
        c = shapely.clip_by_rect(poly, lo[k, 0] - margin, lo[k, 1] - margin, hi[k, 0] + margin, hi[k, 1] + margin)
        out[k] = c if shapely.is_valid(c) else poly  # clipping may give an invalid polygon: use the whole
    return out[grp]


def _split_simple(lines: np.ndarray, snap_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`split_many` for simple, open, non-empty LineStrings (the algorithm of :func:`split_by_unit`)."""
    import shapely

    idx = index()
    polys = np.asarray(idx.geoms, dtype=object)
    codes = np.asarray(idx.codes, dtype=object)
    li, gi = idx.tree.query(lines)
    hit = shapely.intersects(polys[gi], lines[li])  # the unit polygons are prepared
    li, gi = li[hit], gi[hit]
    inter = shapely.intersection(lines[li], _clipped_polygons(lines, li, gi, idx)) if len(li) else \
        np.zeros(0, dtype=object)
    full = ~shapely.is_empty(inter)
    li, gi, inter = li[full], gi[full], inter[full]
    # the parts of each line off every unit polygon (none where the union covers it)
    covered = np.zeros(len(lines), bool)
    covered[li] = True
    rest = lines.copy()
    cov = np.flatnonzero(covered)
    if len(cov):
        on_land = shapely.covers(idx.union, lines[cov])
        rest[cov[on_land]] = None
        off = cov[~on_land]
        rest[off] = shapely.difference(lines[off], idx.union)
    # candidate pieces: intersections first (merged), then the off-land parts, as split_by_unit adds them
    multi = shapely.get_type_id(inter) == 5
    inter[multi] = shapely.line_merge(inter[multi])
    p1, i1 = shapely.get_parts(inter, return_index=True)
    p2, i2 = shapely.get_parts(rest, return_index=True)
    parts = np.concatenate([p1, p2])
    owner = np.concatenate([li[i1], i2]).astype(np.intp)
    unit = np.concatenate([codes[gi[i1]], np.full(len(p2), None, dtype=object)])
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0)
    keep_off = keep.copy()
    keep_off[: len(p1)] = False
    if keep_off.any():
        mid = shapely.line_interpolate_point(parts[keep_off], 0.5, normalized=True)
        unit[keep_off] = np.asarray(units_of_points(shapely.get_x(mid), shapely.get_y(mid), snap_m=snap_m),
                                    dtype=object)
    parts, owner, unit = parts[keep], owner[keep], unit[keep]
    a = shapely.line_locate_point(lines[owner], shapely.get_point(parts, 0))
    b = shapely.line_locate_point(lines[owner], shapely.get_point(parts, -1))
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((np.arange(len(parts)), hi, lo, owner))
    # walk along each line, exactly as split_by_unit does
    length = shapely.length(lines)
    s_owner: list[int] = []
    s_unit: list[Any] = []
    s_a: list[float] = []
    s_b: list[float] = []
    own_l, hi_l, unit_l = owner[order].tolist(), hi[order].tolist(), unit[order].tolist()
    k, n = 0, len(own_l)
    while k < n:
        line_i = own_l[k]
        first = len(s_owner)
        carry: float | None = None
        while k < n and own_l[k] == line_i:
            bb, uu = hi_l[k], unit_l[k]
            k += 1
            start = s_b[-1] if len(s_owner) > first else 0.0
            if bb <= start:
                continue
            if bb - start <= 1e-12:
                carry = start if carry is None else carry
                continue
            if carry is not None:
                start, carry = carry, None
            if len(s_owner) > first and s_unit[-1] == uu:
                s_b[-1] = bb
            else:
                s_owner.append(line_i)
                s_unit.append(uu)
                s_a.append(start)
                s_b.append(bb)
        if len(s_owner) > first:
            s_a[first] = 0.0
            s_b[-1] = float(length[line_i])
    if not s_owner:
        return np.zeros(0, np.intp), np.zeros(0, dtype=object), np.zeros(0, dtype=object)
    so = np.asarray(s_owner, dtype=np.intp)
    pieces = _substrings(lines, so, np.asarray(s_a), np.asarray(s_b))
    good = shapely.get_num_coordinates(pieces) >= 2
    return so[good], np.asarray(s_unit, dtype=object)[good], pieces[good]


def _substrings(lines: np.ndarray, owner: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``shapely.ops.substring(lines[owner], a, b)`` for many spans with ``0 <= a < b`` (as LineStrings)."""
    import shapely

    used, inv = np.unique(owner, return_inverse=True)
    xy, vi = shapely.get_coordinates(lines[used], return_index=True)
    nv = np.bincount(vi, minlength=len(used))
    first = np.concatenate([[0], np.cumsum(nv)[:-1]])
    # distance along each line to each vertex, summed in vertex order as substring does
    pad = np.zeros((len(used), int(nv.max())))
    col = np.arange(len(vi)) - first[vi]
    seg = np.zeros(len(vi))
    seg[1:] = np.sqrt(np.sum(np.diff(xy, axis=0) ** 2, axis=1))
    seg[first] = 0.0
    pad[vi, col] = seg
    cd = np.cumsum(pad, axis=1)[vi, col]
    # each span takes the vertices strictly between a and b (never the last one)
    line_of = inv.ravel()
    rep = np.repeat(np.arange(len(owner)), nv[line_of])
    vert = first[line_of][rep] + np.arange(len(rep)) - np.repeat(np.cumsum(nv[line_of]) - nv[line_of], nv[line_of])
    inside = (cd[vert] > a[rep]) & (cd[vert] < b[rep]) & (col[vert] < nv[line_of][rep] - 1)
    rep, vert = rep[inside], vert[inside]
    p0 = shapely.get_coordinates(shapely.line_interpolate_point(lines[owner], a))
    p1 = shapely.get_coordinates(shapely.line_interpolate_point(lines[owner], b))
    n_mid = np.bincount(rep, minlength=len(owner))
    size = n_mid + 2
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    out = np.empty((int(size.sum()), 2))
    out[start] = p0
    out[start + size - 1] = p1
    pos = start[rep] + 1 + (np.arange(len(rep)) - np.concatenate([[0], np.cumsum(n_mid)[:-1]])[rep])
    out[pos] = xy[vert]
    return np.asarray(shapely.linestrings(out, indices=np.repeat(np.arange(len(owner)), size)), dtype=object)


def cut_lines(lines: Any, *, snap_m: float = SNAP_M,
              snap_deg: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The unit of each line, cutting the lines that cross unit borders; input order is kept.

    ``snap_m`` as in :func:`split_by_unit` (``snap_deg``: deprecated).

    Lines wholly inside one unit (the vast majority) are classified by
    :func:`units_of_lines`; only the others go through :func:`split_many`.

    Returns
    -------
    eid, unit, geoms, at : numpy.ndarray
        For each output row: the input line it comes from (non-decreasing), its
        unit code (or ``None``) and its geometry; ``at`` lists the rows that are
        cut pieces (a cut line's pieces replace it, in travel order).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> eid, unit, geoms, at = cut_lines([LineString([(44.5, 40.1), (44.6, 40.1)]),
    ...                                   LineString([(46.0, 38.92), (46.3, 38.92)])])
    >>> eid.tolist(), unit.tolist(), at.tolist()
    ([0, 1, 1], ['ARM', 'NAX', 'ARM'], [1, 2])
    """
    snap_m = _snap_metres("cut_lines", snap_m, snap_deg)
    geoms = np.asarray(lines, dtype=object).ravel()
    unit = units_of_lines(geoms)
    rest = np.flatnonzero(unit == None)  # noqa: E711  (object array)
    if len(rest) == 0:
        return np.arange(len(geoms)), unit, geoms, np.zeros(0, np.intp)
    owner, p_unit, pieces = split_many(geoms[rest], snap_m=snap_m)
    owner = rest[owner]
    count = np.ones(len(geoms), np.int64)
    count[rest] = np.bincount(owner, minlength=len(geoms))[rest]
    eid = np.repeat(np.arange(len(geoms)), count)
    is_piece = np.zeros(len(geoms), bool)
    is_piece[rest] = True
    at = np.flatnonzero(is_piece[eid])  # rows of the pieces, in line and travel order
    unit_out, geoms_out = unit[eid], geoms[eid]
    unit_out[at] = p_unit
    geoms_out[at] = pieces
    return eid, unit_out, geoms_out, at


def split_lines(gdf: gpd.GeoDataFrame, *, snap_m: float = SNAP_M,
                snap_deg: float | None = None) -> gpd.GeoDataFrame:
    """Split every line of a GeoDataFrame at unit borders and add a ``unit`` column.

    ``snap_m`` as in :func:`split_by_unit` (``snap_deg``: deprecated).

    Rows keep their order; a line that crosses borders is replaced by its
    pieces, in travel order (:func:`cut_lines`). Split rows keep all other
    attributes; ``length_m`` (geodesic) is recomputed when present.

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

    snap_m = _snap_metres("split_lines", snap_m, snap_deg)
    if len(gdf) == 0:
        out = gdf.copy()
        out["unit"] = pd.Series(dtype=object)
        return out
    geom_col = gdf.geometry.name
    eid, unit, geoms, _ = cut_lines(gdf.geometry.values, snap_m=snap_m)
    out = gdf.iloc[eid].reset_index(drop=True)
    out[geom_col] = gpd.GeoSeries(geoms, crs=gdf.crs)
    out["unit"] = pd.Series(unit, dtype=object)
    if "length_m" in out.columns:
        out["length_m"] = lengths_of(geoms)
    return gpd.GeoDataFrame(out, geometry=geom_col, crs=gdf.crs)
