"""Routing on a :class:`corridor.network.Network`: snapping the ends of a leg, the leg search, route segments.

The private helpers behind :meth:`corridor.network.Network.route` and
:meth:`~corridor.network.Network.shortest_lengths`: snap candidates of each
end (every usable layer, with access costs), the cheapest leg within
``settings.snap_tolerance_m``, the explanation of an unreachable end, the
Route segment rows of a vertex path, and pairwise node-to-node costs.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from corridor import settings
from corridor._errors import InvalidInputError, NoRouteError
from corridor._geo import distances_from
from corridor._types import Place
from corridor._validate import check_positive
from corridor.network._design import with_design_levels
from corridor.network._graph import KIND_EDGE, KIND_GAUGE, Graph
from corridor.network._joints import part_coords
from corridor.network._solver import Solver
from corridor.route import Route

log = logging.getLogger(__name__)

__all__ = ["MAX_SNAP_M", "build_route", "leg", "lower_bound_m", "pair_costs", "segments", "snap"]

#: Snapped points farther than this from every usable node make a route fail (NoRouteError).
MAX_SNAP_M = 20_000.0
_SNAP_K = 16  # candidate vertices per layer at each end of a leg
_SNAP_K_FAR = 64  # per layer, when explaining why no candidate within the tolerance connects
_EXPLAIN_M = 2_000.0  # ... and up to this much farther than the nearest node


@dataclass(frozen=True)
class _End:
    """The snap candidates of one end of a leg (every layer): vertices and metres from the place, nearest first."""

    place: Place
    v: np.ndarray
    d: np.ndarray

    def nearest(self) -> np.ndarray:
        """The nearest node's vertices (one per layer it is in)."""
        return np.asarray(self.v[self.d <= self.d[0] + 1e-6])

    def within(self, tol: float) -> np.ndarray:
        """Mask of the candidates at most ``tol`` metres farther than the nearest one."""
        return np.asarray(self.d <= self.d[0] + tol)

    def label(self) -> str:
        return f"{self.place.name!r} ({self.place.lon:.4f}, {self.place.lat:.4f})"


def snap(s: Solver, p: Place, k: int = _SNAP_K) -> _End:
    """The ``k`` nearest usable vertices per layer around ``p`` within :data:`MAX_SNAP_M` (NoRouteError if none)."""
    v, d = s.layer_candidates(p.lon, p.lat, k)
    if not len(v):
        raise NoRouteError("the network has no usable edges for this mode/avoid_units; load more data")
    if d[0] > MAX_SNAP_M:
        raise NoRouteError(f"{p.name!r} ({p.lon:.4f}, {p.lat:.4f}) is {d[0] / 1000:.1f} km from the "
                           "nearest usable node; load a network covering it or move the waypoint")
    keep = d <= MAX_SNAP_M
    return _End(p, v[keep], d[keep])


def leg(s: Solver, p: Place, q: Place, mode: str | None) -> tuple[float, list[int], float, float]:
    """The cheapest path of one leg: network cost, vertex path, snap metres at both ends.

    Each end may start/end at a vertex of any usable layer at most
    ``settings.snap_tolerance_m`` farther than the nearest one; the snap
    distances count as access/egress costs (:meth:`Solver.access_cost`).
    """
    tol = check_positive(settings.snap_tolerance_m, "corridor.settings.snap_tolerance_m", allow_zero=True)
    o, t = snap(s, p), snap(s, q)
    lb = lower_bound_m(p.lon, p.lat, np.array([q.lon]), np.array([q.lat]))
    oi, ti = o.within(tol), t.within(tol)
    try:
        total, path = s.shortest(o.v[oi], t.v[ti], 0.99 * lb, s.access_cost(o.d[oi]), s.access_cost(t.d[ti]))
    except NoRouteError:
        no_route(s, o, t, tol, mode, lb)
    d_o = float(o.d[o.v == path[0]][0])
    d_d = float(t.d[t.v == path[-1]][0])
    # not at the nearest node: fine if that was cheaper, a warning if the nearest node has no path
    for end, dist, back in ((o, d_o, False), (t, d_d, True)):
        if dist - end.d[0] <= 0.5:
            continue
        other = o.v[oi] if back else t.v[ti]
        near = end.nearest()
        if not (s.reachable(other, near, search_from_b=True) if back else s.reachable(near, other)):
            msg = (f"{end.label()}: its nearest usable node ({end.d[0]:.0f} m away) "
                   f"{'cannot be reached from' if back else 'has no path to'} the other end; the route "
                   f"{'ends' if back else 'starts'} {dist:.0f} m from the waypoint instead (within "
                   f"corridor.settings.snap_tolerance_m = {tol:g} m)")
            log.warning("%s", msg)
            warnings.warn(msg, UserWarning, stacklevel=4)
    return total - float(s.access_cost(np.array([d_o + d_d]))[0]), path, d_o, d_d


def no_route(s: Solver, o: _End, t: _End, tol: float, mode: str | None, lb: float) -> NoReturn:
    """Raise the NoRouteError of a leg with no path within the snap tolerance, saying what would connect."""
    p, q = o.place, t.place
    try:  # would the leg connect if an end moved farther?
        o2, t2 = snap(s, p, _SNAP_K_FAR), snap(s, q, _SNAP_K_FAR)
        oi, ti = o2.within(tol + _EXPLAIN_M), t2.within(tol + _EXPLAIN_M)
        _, path = s.shortest(o2.v[oi], t2.v[ti], 0.99 * lb, s.access_cost(o2.d[oi]), s.access_cost(t2.d[ti]))
    except NoRouteError:
        raise NoRouteError(
            f"no {mode or 'road/rail'} route from {p.name!r} to {q.name!r}: they are in disconnected parts "
            f"of the network ({s.ncomp} parts for mode={mode or 'any'}); add the missing links, widen the "
            "bbox, allow both modes or drop avoid_units") from None
    moves = [f"the nearest usable node of {end.label()} ({end.d[0]:.0f} m away) is disconnected from the other "
             f"end; the nearest node that connects is {float(end.d[end.v == vtx][0]) - end.d[0]:.0f} m farther"
             for end, vtx in ((o2, path[0]), (t2, path[-1]))
             if float(end.d[end.v == vtx][0]) - end.d[0] > tol]
    raise NoRouteError(f"no {mode or 'road/rail'} route from {p.name!r} to {q.name!r}: "
                       + "; ".join(moves or ["no node near the waypoints connects them"])
                       + f" (more than corridor.settings.snap_tolerance_m = {tol:g} m); move the waypoint "
                       "onto the connected network, add the missing links, "
                       + ("restrict mode, " if mode is None else "") + "or raise that setting")


def segments(g: Graph, edges: Any, stations: Any, src: str, s: Solver, path: list[int],
             rows: list[dict[str, Any]], geoms: list[Any]) -> None:
    """Append the Route segment rows (and geometries) of the vertex ``path`` of one leg to ``rows``/``geoms``."""
    import shapely
    from shapely.geometry import LineString

    e = edges
    for p, q in itertools.pairwise(path):
        lk, ci, cj, backward = s.step(p, q)
        kind = int(g.kind[lk])
        if kind == KIND_EDGE:
            i = int(g.ref[lk])
            r = e.iloc[i]
            if ci is None and cj is None:  # the whole link
                geom = shapely.reverse(r.geometry) if backward else r.geometry
            else:  # a start or end at a joint: the part of the edge it runs on
                geom = LineString(part_coords(shapely.get_coordinates(r.geometry), ci, cj, backward=backward))
            layer = int(g.vlayer[g.a[lk]])
            rows.append({
                "build": "existing", "status": r["status"], "unit": r["unit"], "mode": r["mode"],
                "structure": "tunnel" if r["tunnel"] else "bridge" if r["bridge"] else "none",
                "class": r["class"], "gauge_mm": float(layer) if r["mode"] == "rail" else math.nan,
                "source": r["source"], "name": r["name"], "osm_way_id": int(r["osm_way_id"]),
                "ref": r["ref"], "maxspeed_kmh": r["maxspeed_kmh"], "electrified": r["electrified"],
                "transfer": False, "gauge_break": False})
            geoms.append(geom)
        else:
            gb = kind == KIND_GAUGE
            to_rail = int(g.vlayer[q]) > 0
            unit = rows[-1]["unit"] if rows else None
            rows.append({
                "build": "existing", "status": "active", "unit": unit,
                "mode": "rail" if (gb or to_rail) else "road", "structure": "none",
                "class": "gauge_break" if gb else "transfer",
                "gauge_mm": float(g.vlayer[q]) if to_rail else math.nan, "source": src,
                "name": "gauge break" if gb else station_name(stations, int(g.ref[lk])), "osm_way_id": -1,
                "ref": "", "maxspeed_kmh": math.nan, "electrified": "",
                "transfer": not gb, "gauge_break": gb})
            geoms.append(LineString([(g.vx[p], g.vy[p]), (g.vx[q], g.vy[q])]))

def station_name(stations: Any, i: int) -> str:
    """The name of a road-rail transfer link at station ``i``."""
    try:
        nm = str(stations["name"].iloc[i])
    except (IndexError, KeyError):
        nm = ""
    return f"transfer at {nm}" if nm else "road-rail transfer"


def build_route(rows: list[dict[str, Any]], geoms: list[Any], pts: list[Place], *, mode: str | None,
                name: str | None, source: str, meta: dict[str, Any]) -> Route:
    """The Route of the segment ``rows``/``geoms`` of every leg (its mode: ``mode``, or the longest one's)."""
    if not rows:
        raise NoRouteError(f"{pts[0].name!r} and {pts[-1].name!r} snap to the same node; "
                           "there is no route to build (pick places farther apart)")
    import geopandas as gpd

    seg = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")
    if mode is None:
        by = seg.assign(_l=[g.length for g in geoms]).groupby("mode")["_l"].sum()
        rmode = str(by.idxmax())
    else:
        rmode = mode
    route = Route.from_segments(seg, mode=rmode, name=name or f"{pts[0].name} - {pts[-1].name}",
                                waypoints=pts, source=source, meta=meta, split_units=False)
    return with_design_levels(route)  # edges of the modelled reference network carry their grade line


def pair_costs(s: Solver, orig_nodes: Sequence[int], dest_nodes: Sequence[int]) -> np.ndarray:
    """Shortest-path costs between OSM node ids, pairwise (see :meth:`corridor.network.Network.shortest_lengths`)."""
    out = np.full(len(orig_nodes), np.inf)

    def vertices(node: int) -> np.ndarray:  # every layer's vertex of an OSM node, or its joints
        found, known = s.node_candidates(node)
        if not known:
            raise InvalidInputError(f"node {node} is not in the network")
        return found

    for k, (o, d) in enumerate(zip(orig_nodes, dest_nodes, strict=True)):
        src, dst = vertices(o), vertices(d)
        if not len(src) or not len(dst):
            continue  # only on links this mode cannot use
        (sx, sy), (dx, dy) = s.xy(src[:1]), s.xy(dst)
        lb = lower_bound_m(float(sx[0]), float(sy[0]), dx, dy)
        with contextlib.suppress(NoRouteError):
            out[k] = s.shortest(src, dst, 0.99 * lb)[0]
    return out


def lower_bound_m(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> float:
    """Geodesic metres from a point to the nearest of ``lons``/``lats``: no path between them is shorter."""

    return float(np.min(distances_from(lon, lat, lons, lats)))
