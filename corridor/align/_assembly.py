"""Assembly of a traced route: search steps into pieces, pieces into a :class:`~corridor.route.Route`.

Each leg's path (grid cells and network nodes) becomes pieces of existing
edges and of new alignment; new pieces are simplified and pushed out of
excluded units, consecutive new pieces form a run, and every run gets its
least-cost vertical design (:func:`corridor.align.structures.vertical_design`):
tunnels, bridges and earthworks per segment, and the formation level in
``route.meta["formation"]``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from corridor._errors import NoFeasibleAlignment, ParameterError
from corridor._geo import cumulative_distance, pair_distances, points_at, same_point
from corridor._types import NATIONAL_GAUGE_MM
from corridor.align import surface as _cost
from corridor.align._problem import Problem, excluded_units, leg_name
from corridor.align.structures import _cut, run_levels, vertical_design
from corridor.costs import unit_rate
from corridor.data.regions import index, split_by_unit
from corridor.network import piece_levels, with_design_levels
from corridor.route import Route

__all__ = ["BlockPiece", "Item", "assemble_items", "cut_spurs", "leg_items", "run_chain", "spur_length", "trim_spur"]

log = logging.getLogger(__name__)


def _steps_to_pieces(pb: Problem, i: int, steps: list[Any], net: Any) -> list[tuple[np.ndarray, dict[str, Any] | None]]:
    """Turn a leg's steps into pieces: ``(coords, attrs)`` for existing, ``(coords, None)`` for new."""
    a, b = pb.places[i], pb.places[i + 1]
    g = pb.grid
    pieces: list[tuple[list[Any], dict[str, Any] | None]] = []
    node_xy = _cost.node_coords(net) if net is not None else {}
    # the search starts (ends) a leg at a network node at its waypoint (surface.waypoint_links); where
    # several stand there (ways not joined), the others are reached through the waypoint's cell: the
    # leg starts at the last of them it passes and ends at the first
    at_a, at_b = pb.place_nodes(net)[i:i + 2]
    ends = [k for k, st in enumerate(steps) if st[0] == "node" and st[1] in at_b]
    if ends:
        steps = steps[:ends[0] + 1]
    starts = [k for k, st in enumerate(steps) if st[0] == "node" and st[1] in at_a]
    if starts:
        steps = steps[starts[-1]:]
    # the waypoints themselves stand for their cells, also next to a node at the waypoint (a leg that
    # starts at such a node and leaves the network at once)
    # a leg at a node that serves its waypoint from elsewhere (a station, Problem.place_nodes) starts
    # (ends) there; at the waypoint's own nodes this is the waypoint
    here_a, here_b = pb.nodes_at_places(net)[i:i + 2]
    first = steps[0] if steps else None
    last = steps[-1] if steps else None
    station_a = first is not None and first[0] == "node" and first[1] in at_a and first[1] not in here_a
    station_b = last is not None and last[0] == "node" and last[1] in at_b and last[1] not in here_b
    cur: list[Any] = [node_xy[first[1]] if station_a and first is not None else (a.lon, a.lat)]
    end_xy = node_xy[last[1]] if station_b and last is not None else (b.lon, b.lat)
    skip = {0, len(steps) - 1}
    if len(steps) > 2 and steps[0][0] == "node" and steps[0][1] in here_a and steps[1][1:] == pb.cells[i]:
        skip.add(1)
    if len(steps) > 2 and steps[-1][0] == "node" and steps[-1][1] in here_b and steps[-2][1:] == pb.cells[i + 1]:
        skip.add(len(steps) - 2)
    prev_node = None
    for k, st in enumerate(steps):
        if st[0] == "cell":
            if k in skip:
                continue
            lon, lat = g.lonlat(np.array([st[1]]), np.array([st[2]]))
            cur.append((float(lon[0]), float(lat[0])))
            prev_node = None
        else:
            nid = st[1]
            if prev_node is not None:
                geom, attrs = _cost.edge_between(net, prev_node, nid)
                if len(cur) >= 2:
                    pieces.append((cur, None))
                pieces.append((list(geom), attrs))
                cur = [tuple(geom[-1])]
            else:
                cur.append(node_xy[nid])
                if len(cur) >= 2:
                    pieces.append((cur, None))
                cur = [node_xy[nid]]
            prev_node = nid
    cur.append(end_xy)
    if len(cur) >= 2:
        pieces.append((cur, None))
    out: list[tuple[np.ndarray, dict[str, Any] | None]] = []
    for pts, piece_attrs in pieces:
        arr = np.asarray(pts, dtype=float)
        keep = np.concatenate([[True], np.any(np.diff(arr, axis=0) != 0, axis=1)])
        arr = arr[keep]
        if len(arr) >= 2:
            out.append((arr, piece_attrs))
    return out


#: How far inside the allowed units a line pushed off a border runs (degrees; ~30 m).
_INSET_DEG = 0.0003
#: Gaps narrower than about twice this between the allowed units' polygons (no unit's land: a
#: digitising slit, a river channel left out of both banks) count as allowed bank (degrees; ~300 m).
_GAP_DEG = 0.003


def _simplify(arr: np.ndarray, pb: Problem) -> np.ndarray:
    """Remove the grid's staircase (Douglas-Peucker, half a cell), then take the line out of excluded units.

    Cells touched by an allowed unit are searchable (:func:`corridor.align.surface.unit_factors`),
    so a line in a valley whose floor a border river splits may run through cells whose
    centre lies across the border. Every stretch of the line that leaves the allowed units
    (taken ~30 m inside their boundary) is replaced by the path along that inset boundary
    between the points where the line leaves and rejoins it, the shorter way round, pulled
    taut inside it (:func:`_taut`): the line then follows the border on the allowed bank, as a
    line in such a valley does, without running out and back along every notch or tongue of
    the border's outline. Slits between the allowed units' polygons narrower than about
    ``2 * _GAP_DEG`` that belong to no unit are closed first. The waypoints themselves never move.
    """
    import shapely
    from shapely.geometry import LineString, box

    line = LineString(arr).simplify(0.5 * pb.grid.res[0])
    excluded = excluded_units(pb)
    if not excluded:
        return np.asarray(line.coords, dtype=float)
    idx = index()
    area = box(*line.bounds).buffer(0.05)
    bad = shapely.union_all([g.intersection(area) for c, g in zip(idx.codes, idx.geoms, strict=True)
                             if c in excluded and g.intersects(area)])
    if bad.is_empty or line.distance(bad) > _GAP_DEG:
        return np.asarray(line.coords, dtype=float)
    good = shapely.union_all([g.intersection(area) for c, g in zip(idx.codes, idx.geoms, strict=True)
                              if c not in excluded and g.intersects(area)])
    # no unit's land beside an excluded unit (a border river's channel, a digitising gap) is kept out
    # of too: a segment there would be counted in the nearest unit, the excluded one
    # (but not around the line's ends: the waypoints never move, and one may stand on such land)
    ends = shapely.points(np.asarray(line.coords)[[0, -1]]).tolist()
    halo = bad.buffer(_GAP_DEG)
    near = area.difference(good).difference(bad).intersection(halo)
    forbidden = bad.union(near.difference(shapely.union_all([p.buffer(_GAP_DEG) for p in ends])))
    if line.intersection(forbidden).length == 0:
        return np.asarray(line.coords, dtype=float)
    inner = _bank(good, bad, halo)
    out = _hug(np.asarray(shapely.segmentize(line, 0.0001).coords, dtype=float), inner)
    if out is not None:
        # the coarsest simplification (the staircase's, halved in turn, at least just under the inset)
        # that stays out of the excluded units
        hugged = LineString(out)
        shapely.prepare(forbidden)
        tol = 0.5 * pb.grid.res[0]
        while True:
            cand = hugged.simplify(max(tol, 0.9 * _INSET_DEG))
            if not shapely.intersects(forbidden, cand) or cand.intersection(forbidden).length == 0:
                return np.asarray(cand.coords, dtype=float)
            if tol <= 0.9 * _INSET_DEG:
                break
            tol /= 2
    # the line leaves the allowed units where no inset boundary leads back (a tongue narrower than
    # the inset, or a run between two separate allowed parts): the caller blocks these cells
    raise BlockPiece(line.intersection(forbidden), "alignment crosses an excluded unit", join=False)


def _bank(good: Any, bad: Any, halo: Any = None) -> Any:
    """The allowed units' land (``good``) ~30 m (``_INSET_DEG``) inside their border with the excluded
    ones (``bad``). Unit polygons may overlap by a sliver (the difference removes it) or leave a slit
    of no unit's land between or inside them: a slit up to about ``2 * _GAP_DEG`` wide is closed
    where it lies more than ``_GAP_DEG`` from the excluded units (nearer those it stays out, so that
    no piece of the line lies in land nearer an excluded unit than an allowed one). ``halo`` is
    ``bad.buffer(_GAP_DEG)`` where the caller has it.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> slit = box(0, 0, 1, 1).difference(box(0.5, 0.2, 0.501, 1.0))  # a 0.001 deg slit from the top
    >>> bank = _bank(slit, box(0, 1, 1, 2))
    >>> bank.contains(Point(0.5005, 0.9)), bank.contains(Point(0.5005, 0.999)), bank.intersects(box(0, 1, 1, 2))
    (True, False, False)
    """
    halo = bad.buffer(_GAP_DEG) if halo is None else halo
    slits = good.buffer(_GAP_DEG).buffer(-_GAP_DEG).difference(good).difference(halo)
    return good.union(slits).difference(bad).buffer(-_INSET_DEG)


def _hug(dens: np.ndarray, inner: Any) -> np.ndarray | None:
    """Replace every run of vertices outside ``inner`` (except the ends) by the boundary path of ``inner``.

    Returns None when a run cannot be replaced: its two ends lie on different boundary rings.
    """
    import shapely
    from shapely.geometry import LineString

    shapely.prepare(inner)
    cover = inner.buffer(1e-9)  # chords of the taut path may run along the boundary
    shapely.prepare(cover)
    ins = shapely.contains(inner, shapely.points(dens))
    ins[0] = ins[-1] = True  # the waypoints stand for themselves
    if ins.all():
        return dens
    rings = [r for poly in getattr(inner, "geoms", [inner]) for r in (poly.exterior, *poly.interiors)]
    rings = [LineString(r.coords) for r in rings]
    pieces: list[np.ndarray] = []
    i, n = 0, len(dens)
    while i < n:
        if ins[i]:
            j = i
            while j + 1 < n and ins[j + 1]:
                j += 1
            pieces.append(dens[i:j + 1])
            i = j + 1
            continue
        j = i
        while not ins[j]:
            j += 1
        # where the line leaves and rejoins ``inner`` (on the segments out of and back into it)
        a = _crossing(dens[i - 1], dens[i], inner)
        b = _crossing(dens[j], dens[j - 1], inner)
        ring = min(rings, key=a.distance)
        if min(rings, key=b.distance) is not ring:
            return None
        coords = _ring_path(ring, ring.project(a), ring.project(b))
        if coords.ndim != 2 or len(coords) < 2:
            return None
        pieces.append(_taut(coords, cover))
        i = j
    return np.vstack(pieces)


#: How many vertices ahead :func:`_taut` looks for a chord (bounds its work on long borders).
_TAUT_AHEAD = 400


def _taut(path: np.ndarray, region: Any) -> np.ndarray:
    """``path`` (lying in ``region``, prepared or not) pulled taut: each kept vertex joins the farthest
    later vertex (up to :data:`_TAUT_AHEAD` ahead) whose chord stays in ``region``, so notches and
    tongues of the region's outline are crossed at their mouth instead of followed out and back. The
    ends never move.

    Examples
    --------
    >>> import numpy as np
    >>> from shapely.geometry import Polygon
    >>> notched = Polygon([(0, 0), (10, 0), (10, 10), (5.2, 10), (5.2, 2), (4.8, 2), (4.8, 10), (0, 10)])
    >>> along = np.array([(1, 10), (4.8, 10), (4.8, 2), (5.2, 2), (5.2, 10), (9, 10)], dtype=float)
    >>> _taut(along, notched).tolist()  # round the notch's end, not along its sides
    [[1.0, 10.0], [4.8, 2.0], [5.2, 2.0], [9.0, 10.0]]
    """
    import shapely

    n = len(path)
    if n <= 2:
        return path
    shapely.prepare(region)
    keep, k = [0], 0
    while k < n - 1:
        far = np.arange(min(n - 1, k + _TAUT_AHEAD), k + 1, -1)
        chords = shapely.linestrings(np.stack([np.broadcast_to(path[k], (len(far), 2)), path[far]], axis=1))
        ok = shapely.covers(region, chords)
        k = int(far[np.argmax(ok)]) if ok.any() else k + 1
        keep.append(k)
    return path[keep]


def _ring_path(ring: Any, da: float, db: float) -> np.ndarray:
    """Coordinates along a closed ring from chainage ``da`` to ``db``, the shorter way round (in that order)."""
    from shapely.ops import substring

    total = ring.length

    def part(x: float, y: float) -> np.ndarray:  # substring runs backwards when x > y
        return np.asarray(substring(ring, x, y).coords, dtype=float).reshape(-1, 2)

    forward = (db - da) % total
    if forward <= total - forward:  # increasing chainage, through the ring's start if db < da
        return part(da, db) if da <= db else np.vstack([part(da, total), part(0.0, db)[1:]])
    return part(da, db) if da >= db else np.vstack([part(da, 0.0), part(total, db)[1:]])


def _crossing(inside: np.ndarray, outside: np.ndarray, inner: Any) -> Any:
    """The point where the segment from an inside vertex to an outside one crosses the boundary of ``inner``
    (nearest the inside vertex)."""
    import shapely
    from shapely.geometry import LineString, Point

    hit = shapely.get_coordinates(LineString([inside, outside]).intersection(inner.boundary))
    if len(hit) == 0:
        return Point(inside)
    return Point(hit[int(np.argmin(np.hypot(*(hit - inside).T)))])


class BlockPiece(Exception):
    """Internal: a piece of the assembled line to block before the legs are searched again.

    Either it still crosses an excluded unit (``join=False``), or it is a run of new line joining
    existing line that the ruling grade cannot reach along it (``join=True``, the message says why;
    ``modelled``: a modelled line joined at its own design level).
    """

    def __init__(self, geom: Any, message: str, *, join: bool, modelled: bool = False) -> None:
        super().__init__(message)
        self.geom = geom
        self.join = join
        self.modelled = modelled


def _join_level(item: tuple[np.ndarray, dict[str, Any] | None, int], end: int,
                pb: Problem) -> tuple[float, float] | None:
    """``(level, tolerance)`` at vertex ``end`` of an existing piece that carries its own design, else None."""
    coords, attrs, _leg = item
    z = piece_levels(attrs, coords) if attrs is not None else None
    if z is None:
        return None
    return float(z[end]), pb.cost_params.vertical_design_join_tolerance_m


#: A piece of a leg: coordinates, route attributes (None for new line) and the leg's index.
Item = tuple[np.ndarray, dict[str, Any] | None, int]


def leg_items(pb: Problem, i: int, steps: list[Any], net: Any, allow_new: bool = True) -> list[Item]:
    """Leg ``i``'s pieces in travel order, new ones simplified and kept out of excluded units."""
    out: list[Item] = []
    for coords, at in _steps_to_pieces(pb, i, steps, net):
        if at is None and not allow_new:
            raise NoFeasibleAlignment(f"{leg_name(pb.places, i)}: the network does not connect the "
                                      "waypoints and allow_new=False; allow new build or add edges")
        out.append((_simplify(coords, pb) if at is None else coords, at, i))
    return out


def run_chain(run: list[Item]) -> tuple[np.ndarray, list[float]]:
    """One vertex chain for consecutive new pieces, and the distances where one piece ends.

    The chain also gets the unit-border vertices the route will get, so that the vertical
    design's profile samples match the route's.
    """
    from shapely.geometry import LineString

    chain = [run[0][0]]
    bounds = []
    for c, _a, _l in run[1:]:
        bounds.append(float(cumulative_distance(*np.vstack(chain).T)[-1]))
        chain.append(c[1:] if same_point(c[0], chain[-1][-1]) else c)
    full = np.vstack(chain)
    parts = split_by_unit(LineString(full))
    if len(parts) > 1:
        full = np.vstack([np.asarray(parts[0][1].coords)] + [np.asarray(g.coords)[1:] for _, g in parts[1:]])
    return full, bounds


def spur_length(a: np.ndarray, b: np.ndarray, gap_m: float = _cost.SPUR_GAP_M,
                max_m: float = _cost.SPUR_MAX_M) -> float | None:
    """How far (m) from a waypoint line ``a`` (ending there) and line ``b`` (starting there) run
    together: a spur out to the waypoint and back, or None when there is none to cut.

    Parameters
    ----------
    a, b : numpy.ndarray
        ``(n, 2)`` lon/lat vertices; ``a[-1]`` and ``b[0]`` are the waypoint.
    gap_m, max_m : float
        The ways are compared at equal distances ``s`` from the waypoint and part at the first
        where they are more than ``gap_m``, or more than ``s * SPUR_SPREAD`` (an angle of
        ~29 degrees between them), apart; a spur longer than ``max_m`` is not one to cut.

    Returns
    -------
    float or None
        The distance where the ways part; None when they part at once (the line passes through,
        or turns less sharply than ~150 degrees) or only beyond ``max_m``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([(45.0, 39.0), (45.1, 39.0), (45.1, 39.02)])  # north 2.2 km to the waypoint
    >>> b = np.array([(45.1, 39.02), (45.1, 39.0), (45.2, 39.0)])  # and back south, then on east
    >>> 2200 < spur_length(a, b) <= 2400  # to the corner, and on until the ways are 250 m apart
    True
    >>> spur_length(a, np.array([(45.1, 39.02), (45.2, 39.03)])) is None  # through the waypoint
    True
    """
    if len(a) < 2 or len(b) < 2 or not same_point(a[-1], b[0]):
        return None
    ca = cumulative_distance(a[::-1, 0], a[::-1, 1])  # from the waypoint back along a
    cb = cumulative_distance(b[:, 0], b[:, 1])
    shorter = min(ca[-1], cb[-1], max_m + gap_m)
    if shorter <= 0:
        return None
    s = np.append(np.arange(gap_m / 4, shorter, gap_m / 4), shorter)
    pa, pb_ = points_at(a[::-1], s, ca), points_at(b, s, cb)
    gaps = pair_distances(pa[:, 0], pa[:, 1], pb_[:, 0], pb_[:, 1])
    apart = np.flatnonzero(gaps > np.minimum(gap_m, s * _cost.SPUR_SPREAD))
    if apart.size and apart[0] == 0:
        return None  # the ways part at once: the line passes through the waypoint
    k = int(apart[0]) - 1 if apart.size else len(s) - 1  # the last distance where they are still together
    return None if s[k] > max_m else float(s[k])


def trim_spur(a: np.ndarray, b: np.ndarray, gap_m: float = _cost.SPUR_GAP_M,
              max_m: float = _cost.SPUR_MAX_M) -> tuple[np.ndarray, np.ndarray] | None:
    """Lines ``a`` and ``b`` that meet at a waypoint, cut where a spur out to it and back parts
    (:func:`spur_length`), ``b`` then starting at ``a``'s new end (a link of at most ``gap_m``), or
    None where there is no spur to cut.

    Parameters
    ----------
    a, b : numpy.ndarray
        ``(n, 2)`` lon/lat vertices; ``a[-1]`` and ``b[0]`` are the waypoint.
    gap_m, max_m : float
        As in :func:`spur_length`.

    Returns
    -------
    tuple of numpy.ndarray or None
        The cut lines; a line the spur takes whole is left as its one far point (``a``) or as the link
        to its far end (``b``).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([(45.0, 39.0), (45.1, 39.0), (45.1, 39.02)])
    >>> b = np.array([(45.1, 39.02), (45.1, 39.0), (45.2, 39.0)])
    >>> cut = trim_spur(a, b)
    >>> np.round(cut[0][-1], 2).tolist(), np.array_equal(cut[0][-1], cut[1][0])  # parted near the corner
    ([45.1, 39.0], True)
    """
    d = spur_length(a, b, gap_m, max_m)
    return None if d is None else _cut_at(a, b, d)


def _cut_at(a: np.ndarray, b: np.ndarray, d: float) -> tuple[np.ndarray, np.ndarray]:
    """``a`` less its last ``d`` metres and ``b`` less its first ``d``, joined."""
    keep_a = _length(a) - d
    cut_a = _cut(a, [keep_a])[0] if keep_a > 1e-6 else a[:1]
    cut_b = _cut(b, [d])[-1] if _length(b) - d > 1e-6 else b[-1:]
    return cut_a, np.vstack([cut_a[-1:], cut_b])


def cut_spurs(pb: Problem, per_leg: list[list[Item]], first: int = 0
              ) -> tuple[list[list[Item]], dict[int, np.ndarray], list[dict[str, Any]]]:
    """The legs' pieces with the spurs at inner waypoints cut (:func:`spur_length`, new line on both
    sides only), the stations that serve those waypoints instead (waypoint index -> lon, lat) and a
    record of each cut for the route's meta.

    Every spur is measured on the pieces as searched, so the cuts do not depend on the order they
    are made in or on the route's direction. A spur that takes a whole leg, to within ``SPUR_GAP_M``
    (the line goes out from a waypoint to the next and straight back), is left: the route was asked
    to go there and back; so is one that would meet another cut on the same piece. ``per_leg`` may
    be a run of the route's legs that starts at leg ``first`` (waypoint indices are the route's).
    """
    legs = [list(leg) for leg in per_leg]
    gap = _cost.SPUR_GAP_M
    cuts: dict[int, float] = {}  # waypoint index -> spur length
    for j in range(1, len(legs)):
        if not legs[j - 1] or not legs[j]:
            continue
        (ca, aa, _la), (cb, ab, _lb) = legs[j - 1][-1], legs[j][0]  # new line on both sides of waypoint j
        place = pb.places[first + j]
        if aa is not None or ab is not None or not same_point(ca[-1], (place.lon, place.lat)):
            continue
        d = spur_length(ca, cb)
        whole = (d is not None and ((len(legs[j - 1]) == 1 and d >= _length(ca) - gap)
                                    or (len(legs[j]) == 1 and d >= _length(cb) - gap)))
        if d is not None and not whole:
            cuts[j] = d
    for j in sorted(cuts):  # two cuts on one piece must leave some of it between them
        if j - 1 in cuts and len(legs[j - 1]) == 1 and cuts[j - 1] + cuts[j] >= _length(legs[j - 1][0][0]) - gap:
            del cuts[j]
    stations: dict[int, np.ndarray] = {}
    spurs: list[dict[str, Any]] = []
    for j, d in sorted(cuts.items()):
        (ca, _aa, la), (cb, _ab, lb) = legs[j - 1][-1], legs[j][0]
        cut_a, cut_b = _cut_at(ca, cb, d)
        legs[j - 1][-1], legs[j][0] = (cut_a, None, la), (cut_b, None, lb)
        place = pb.places[first + j]
        stations[first + j] = cut_a[-1]
        spurs.append({"waypoint": str(place.name), "waypoint_lonlat": [float(place.lon), float(place.lat)],
                      "station_lonlat": [float(v) for v in cut_a[-1]], "spur_m": round(d, 1)})
        log.debug("%s: spur of %.0f m out to the waypoint and back cut", place.name, d)
    for j in range(len(legs)):  # a piece a spur took whole (a point, or a link back to the station) goes
        legs[j] = [it for it in legs[j] if _length(it[0]) > 1e-6]
    return legs, stations, spurs


def _length(xy: np.ndarray) -> float:
    return float(cumulative_distance(xy[:, 0], xy[:, 1])[-1]) if len(xy) > 1 else 0.0


def assemble_items(pb: Problem, per_leg: list[list[Item]], name: str) -> Route:
    """The route of the legs' pieces (:func:`leg_items`), every run of new line with its vertical design.

    ``route.meta["design_cost_musd"]`` is the line's designed cost: new build at its vertical
    design's cost, existing line at the search's reuse share of new open line.
    """
    from shapely.geometry import LineString

    mode = pb.mode
    # 1. pieces in travel order; consecutive new pieces (across legs) form one run; a spur out to an
    # inner waypoint and back is cut where its two ways part: the waypoint's station stands there
    per_leg, stations, spurs = cut_spurs(pb, per_leg)
    items = [it for leg in per_leg for it in leg]
    lines: list[Any] = []
    attrs: list[dict[str, Any]] = []
    formation: list[dict[str, Any]] = []  # designed formation level of each run, in route chainage
    open_musd_km = unit_rate(pb.cost_params, mode, "new", "none")[0][1]
    design_cost = 0.0  # new build at its designed cost, existing line at the search's reuse share of open line
    k = 0
    while k < len(items):
        coords, at, leg = items[k]
        if at is not None:
            lines.append(LineString(coords))
            attrs.append({**at, "leg": leg})
            design_cost += (float(cumulative_distance(coords[:, 0], coords[:, 1])[-1]) / 1000 * open_musd_km
                            * _cost.EXISTING_FACTOR.get(str(at.get("status")), 0.5))
            k += 1
            continue
        k0 = k
        run = [items[k]]
        while k + 1 < len(items) and items[k + 1][1] is None:
            k += 1
            run.append(items[k])
        k += 1
        # where the run joins a modelled line that carries its design, it meets that line's level
        before = _join_level(items[k0 - 1], -1, pb) if k0 > 0 else None
        after = _join_level(items[k], 0, pb) if k < len(items) else None
        # 2. one vertex chain for the run, with the leg boundaries as distances
        full, bounds = run_chain(run)
        # 3. the least-cost grade line of the run gives its tunnels, bridges and earthworks
        pieces = [(c, leg) for c, _a, leg in run]
        tol = pb.cost_params.vertical_design_join_tolerance_m
        levels = run_levels(full, bounds, pieces, pb.places, pb.dem, join_levels=(before, after),
                            given=pb.waypoint_levels, given_tolerance_m=tol, stations=stations)
        try:
            design = vertical_design(LineString(full), mode=mode, max_grade=pb.preset.max_grade, dem=pb.dem,
                                     params=pb.params, waypoints=levels.waypoints, fixed_levels=levels.fixed)
        except (NoFeasibleAlignment, ParameterError) as exc:
            if not levels.joins:  # the caller's constraints only: as it is
                raise
            # a join with existing line the ruling grade cannot reach along this piece of new line: the
            # search did not know that; the caller blocks the piece and searches again
            raise BlockPiece(LineString(full), f"{leg_name(pb.places, run[0][2])}: {exc}", join=True,
                             modelled=before is not None or after is not None) from exc
        design_cost += float(design.cost_musd["total"])
        spans = design.spans()
        run_start = sum(float(cumulative_distance(*np.asarray(ln.coords, dtype=float).T)[-1]) for ln in lines)
        formation.append({"start_m": run_start, "distance_m": design.distance_m - design.distance_m[0],
                          "level_m": design.formation_m})
        cuts = sorted({*bounds, *(x for a, b, _k in spans for x in (a, b))})
        offs = 0.0
        for piece in _cut(full, cuts):
            plen = float(cumulative_distance(piece[:, 0], piece[:, 1])[-1])
            mid = offs + plen / 2
            kind = next((kk for a, b, kk in spans if a <= mid <= b), "none")
            depth = next((st.max_depth_m for st in design.structures if st.start_m <= mid <= st.end_m), math.nan)
            cut_m3, fill_m3 = design.volumes_between(offs, offs + plen)
            leg_i = run[int(np.searchsorted(bounds, mid))][2]
            offs += plen
            lines.append(LineString(piece))
            attrs.append({"build": "new", "status": "new", "class": f"new_{mode}", "structure": kind,
                          "source": "modelled", "name": name, "osm_way_id": -1, "leg": leg_i,
                          "cut_m3_per_m": cut_m3 / plen if plen > 0 else 0.0,
                          "fill_m3_per_m": fill_m3 / plen if plen > 0 else 0.0,
                          "structure_depth_m": depth if kind != "none" else math.nan})
    route = Route.from_lines(lines, mode=mode, name=name, attrs=attrs, waypoints=pb.places,
                             source="modelled").with_meta(design_cost_musd=design_cost, spurs_cut=spurs)
    if formation:  # read by corridor.terrain.profile: the profile follows the design, not the ground
        route = route.with_meta(formation={"start_lonlat": route.start, "end_lonlat": route.end,
                                           "length_m": route.length_m, "runs": formation})
    seg = route.segments
    if mode == "rail":
        new = seg["build"] == "new"
        seg.loc[new, "gauge_mm"] = seg.loc[new, "unit"].map(NATIONAL_GAUGE_MM).astype(float)
    seg["leg"] = seg["leg"].astype(int)
    return with_design_levels(route)  # existing edges of the modelled reference network: their grade line
