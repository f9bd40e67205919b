"""Least-cost alignments over terrain: :func:`trace` and :func:`alternatives`.

A new alignment is searched on the DEM's own grid. The default engine
(``search="grade"``, :mod:`corridor.align.gradesearch`) is a directed graph of grid
moves (8 neighbours and 8 knight moves) priced by the grade *along* each move:
open line within the ruling grade, a tunnel or viaduct share per km above it,
times penalties or exclusions by country unit. It can follow a valley side or
add length to gain height where the direct line is too steep. The earlier
engine (``search="slope"``) is scikit-image's ``MCP_Geometric`` over an
isotropic cost surface of terrain slope (:mod:`corridor.align.surface`). The search
runs leg by leg inside a buffer corridor around the straight waypoint chain,
which keeps it fast; the grade engine widens the corridor until the leg's
path is proven optimal over the whole area read, the slope engine searches
the whole area only when the corridor is blocked. The level-aware engine
(``search="level"``, :mod:`corridor.align.levelsearch`) searches cells *and*
formation levels, priced by the vertical design's cost model, so the line
remembers its level; it searches the leg's corridor (doubled once if blocked).

Border rivers. Cells touched by an allowed unit are searchable (a river border
splits the valley floor, and on a 1-km DEM the floor cell's centre is often
across it); the parts of the line that leave the allowed units are then
replaced by the path along the border ~30 m inside them, pulled taut (:mod:`corridor.align._assembly`).

Waypoints are stations the line passes: where its two ways at an inner waypoint run together
(a spur out to it and back), the spur is cut where they part, up to
:data:`corridor.align.surface.SPUR_MAX_M` away, and ``route.meta["spurs_cut"]`` records the
station that serves the waypoint there.

With a ``network``, existing edges and the raster are searched together (a
scipy shortest path over the combined graph): existing track or road is used
where it connects the waypoints, new alignment bridges the gaps. Existing
segments keep their OSM status (``build="existing"``); new ones are
``build="new"``, ``status="new"``, ``class="new_rail"``/``"new_road"`` and
``source="modelled"``.

Ruling grade. After the search, every contiguous run of new alignment gets a
least-cost vertical design (:func:`corridor.align.vertical.design_grade_line`, dynamic
programming over stations a quarter DEM cell apart, at least :data:`FLAG_STEP_M`, and elevation levels): the
formation level obeys ``max_grade`` everywhere, structures included; cut and
fill where that is cheapest, a ``tunnel`` where a cutting would be deeper than
the economic depth, a ``bridge`` where an embankment would be higher than the
economic height. Waypoints are level windows (the lowest ground near the
waypoint, with a tolerance) and joins with existing track or road are fixed at
the ground there; if the ruling grade cannot join two of them,
:class:`~corridor.NoFeasibleAlignment` names both. New segments carry
``cut_m3_per_m``, ``fill_m3_per_m`` and ``structure_depth_m``, and
``route.meta["formation"]`` the grade line that :func:`corridor.terrain.profile`
follows. Existing edges keep their own tunnel/bridge attributes. On the 1-km
GLOBE DEM the design is a first comparison, not an engineering alignment.

The checked request is built by :mod:`corridor.align._problem`, the route is
assembled from the legs' paths by :mod:`corridor.align._assembly`; this module
runs the search.

Examples
--------
>>> from corridor.align import trace
>>> r = trace(["Ordubad", "Meghri"], mode="rail", stay_in=["NAX", "ARM"])
>>> r.unit_sequence()
['NAX', 'ARM']
>>> set(r.segments["build"]), r.meta["modelled"]
({'new'}, True)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from corridor._errors import InvalidInputError, NoFeasibleAlignment, NoRouteError
from corridor._geo import M_PER_DEG_LON_EQUATOR, great_circle_m
from corridor._logs import warn_once
from corridor._validate import as_items
from corridor.align import gradesearch as _gradesearch
from corridor.align import gradewindow as _gradewindow
from corridor.align import levelsearch as _levelsearch
from corridor.align import surface as _cost
from corridor.align._assembly import BlockPiece, assemble_items, leg_items
from corridor.align._earthworks import cost_model
from corridor.align._levels import waypoint_window
from corridor.align._problem import (
    SEARCHES,
    Problem,
    at_stop,
    check_search,
    excluded_units,
    half_width,
    leg_name,
    one_station,
    setup,
)
from corridor.align._refine import refine
from corridor.align.structures import FLAG_STEP_M, flag_structures
from corridor.align.surface import EXISTING_FACTOR
from corridor.costs import CostParams
from corridor.data.regions import index
from corridor.network import with_design_levels
from corridor.route import Route

log = logging.getLogger(__name__)

__all__ = ["EXISTING_FACTOR", "FLAG_STEP_M", "GRADE_TOL", "SEARCHES", "check_search", "flag_structures", "trace"]

#: Tolerance on the ruling grade outside flagged structures (0.1 per mille), for
#: floating-point noise only: the flagging loop uses the limit itself.
GRADE_TOL = 1e-4


# ------------------------------------------------------------------ search
def _grade_fields(pb: Problem, costs: np.ndarray) -> _gradesearch.CellFields:
    """Cell fields of the grade search; ``costs`` (penalised or blocked copies of ``pb.costs``) scale the unit factors."""
    base = pb.factors if pb.factors is not None else np.ones(pb.grid.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        extra = np.where(np.isfinite(costs) & np.isfinite(pb.costs), costs / pb.costs, np.inf)
    return _gradesearch.cell_fields(pb.grid, base * extra, _grade_model(pb))


def _grade_model(pb: Problem) -> _gradesearch.GradeModel:
    return _gradesearch.GradeModel.for_mode(pb.mode, pb.preset.max_grade, params=pb.params)


def _solve_leg(pb: Problem, i: int, costs: np.ndarray, net: Any,
               fields: _gradesearch.CellFields | None = None) -> tuple[list[Any], float]:
    """Path of leg ``i`` as a list of steps ``("cell", r, c)`` / ``("node", id)``."""
    a, b = pb.places[i], pb.places[i + 1]
    hw = half_width(pb.preset, great_circle_m(a.lon, a.lat, b.lon, b.lat), pb.buffer_m)
    g = pb.grid
    (ra, ca), (rb, cb) = pb.cells[i], pb.cells[i + 1]
    if fields is not None and net is None and pb.search == "level":
        found = _level_leg(pb, i, fields, hw)
        if found is not None:
            return found
    if fields is not None and net is None:
        res = _gradewindow.search_windowed(g, fields, _grade_model(pb), (ra, ca), (rb, cb), hw)
        if len(res.windows) > 1:
            log.info("%s: search corridor widened %d times (%s)", leg_name(pb.places, i), len(res.windows) - 1,
                     "whole area" if res.half_width_m is None else f"{res.half_width_m / 1000:.0f} km")
        if math.isfinite(res.cost):
            return [("cell", r, c) for r, c in res.path], res.cost
        return _blocked(pb, i)
    ry = hw / 110_574.0 / g.res[1]
    rx = hw / (M_PER_DEG_LON_EQUATOR * max(0.2, math.cos(math.radians((a.lat + b.lat) / 2)))) / g.res[0]
    r0, r1 = max(0, int(min(ra, rb) - ry) - 1), min(g.shape[0], int(max(ra, rb) + ry) + 2)
    c0, c1 = max(0, int(min(ca, cb) - rx) - 1), min(g.shape[1], int(max(ca, cb) + rx) + 2)
    attempts = [(r0, r1, c0, c1, hw), (0, g.shape[0], 0, g.shape[1], None)]
    # network nodes at the waypoints: the leg starts and ends there (surface.waypoint_links)
    at_a, at_b = (sorted(nodes) for nodes in pb.place_nodes(net)[i:i + 2])
    here = pb.nodes_at_places(net)
    linked = here[i] | here[i + 1]  # the nodes at the waypoints themselves, not a station serving from elsewhere
    for (w0, w1, v0, v1, half) in attempts:
        win = g.window(w0, w1, v0, v1)
        cw = costs[w0:w1, v0:v1].copy()
        if half is not None:
            cw[~_cost.corridor_mask(win, (a.lon, a.lat), (b.lon, b.lat), half)] = np.inf
        s, e = (ra - w0, ca - v0), (rb - w0, cb - v0)
        cw[s] = costs[s[0] + w0, s[1] + v0]
        cw[e] = costs[e[0] + w0, e[1] + v0]
        if net is not None and fields is not None:
            allowed = np.isfinite(cw) | ~np.isfinite(costs[w0:w1, v0:v1])
            steps, cost = _gradesearch.search_network(win, fields.window(w0, w1, v0, v1), _grade_model(pb),
                                                      s, e, net, allowed=allowed, at_start=at_a, at_end=at_b,
                                                      linked=linked)
        elif net is not None:
            steps, cost = _cost.search_combined(cw, win, s, e, net, at_start=at_a, at_end=at_b, linked=linked)
        else:
            path, cost = _cost.search(cw, win, s, e)
            steps = [("cell", r, c) for r, c in path]
        if math.isfinite(cost):
            steps = [(t[0], t[1] + w0, t[2] + v0) if t[0] == "cell" else t for t in steps]
            return steps, cost
        log.info("%s blocked inside its %s corridor; searching the whole area", leg_name(pb.places, i),
                 f"{hw / 1000:.0f} km")
    return _blocked(pb, i)


def _level_leg(pb: Problem, i: int, fields: _gradesearch.CellFields,
               hw: float) -> tuple[list[Any], float] | None:
    """Leg ``i`` by the level-aware search inside the leg's corridor (widened twice); None if it finds none."""
    params = pb.cost_params
    model, _n = cost_model(pb.mode, params, None)
    (ra, ca), (rb, cb) = pb.cells[i], pb.cells[i + 1]
    rad = params.waypoint_level_radius_m
    for half in (hw, 2 * hw):
        r0, r1, c0, c1 = _gradewindow.window_bounds(fields.shape, (ra, ca), (rb, cb), half / fields.dy,
                                                    half / float(np.min(fields.dx)))
        f = fields.window(r0, r1, c0, c1)
        inside = _gradewindow.segment_mask((r1 - r0, c1 - c0), r0, c0, (ra, ca), (rb, cb),
                                           float(np.min(fields.dx)), fields.dy, half)
        inside[ra - r0, ca - c0] = inside[rb - r0, cb - c0] = True
        fac = np.where(inside, f.factor, np.inf)

        def window(r: int, c: int, f: _gradesearch.CellFields = f, r0: int = r0, c0: int = c0) -> tuple[float, float]:
            kr, kc = max(0, round(rad / f.dy)), max(0, round(rad / float(np.min(f.dx))))
            near = f.z[max(0, r - r0 - kr):r - r0 + kr + 1, max(0, c - c0 - kc):c - c0 + kc + 1]
            return waypoint_window(near, float(f.z[r - r0, c - c0]), params)

        prob = _levelsearch.LevelProblem(f.z, fac, f.dx, f.dy, model, pb.preset.max_grade)
        try:
            tol = params.vertical_design_join_tolerance_m
            ends = [(pb.waypoint_levels[k] - tol, pb.waypoint_levels[k] + tol) if k in pb.waypoint_levels
                    else window(r, c) for k, (r, c) in ((i, (ra, ca)), (i + 1, (rb, cb)))]  # given levels first
            path, cost, _levels = _levelsearch.search_levels(prob, (ra - r0, ca - c0), (rb - r0, cb - c0), *ends)
        except _levelsearch.GraphTooLarge as exc:
            log.info("%s: level search skipped (%s)", leg_name(pb.places, i), exc)
            return None
        if math.isfinite(cost):
            return [("cell", r + r0, c + c0) for r, c in path], cost
    return None


def _blocked(pb: Problem, i: int) -> tuple[list[Any], float]:
    units = f" staying in {', '.join(pb.stay_in)}" if pb.stay_in else ""
    avoid = [u for u, f in pb.avoid.items() if math.isinf(f)]
    avoid_txt = f" avoiding {', '.join(avoid)}" if avoid else ""
    raise NoFeasibleAlignment(
        f"{leg_name(pb.places, i)}: no alignment connects the waypoints{units}{avoid_txt} "
        "(blocked by excluded units or DEM voids); allow more units or add a waypoint")


def _net_edges(pb: Problem) -> Any:
    if pb.network is None:
        return None
    edges = pb.network.edges
    edges = edges[edges["mode"] == pb.mode] if "mode" in edges.columns else edges
    # existing edges obey the same unit constraints as new alignment: drop edges
    # in excluded units (avoid=inf, or outside stay_in)
    if "unit" in edges.columns:
        excluded = {u for u, f in pb.avoid.items() if math.isinf(f)}
        units = edges["unit"].astype(object)
        keep = ~units.isin(sorted(excluded))
        if pb.stay_in:
            keep &= units.isin(list(pb.stay_in))
        edges = edges[keep]
    if len(edges) == 0:
        return None
    b = pb.grid.bounds
    bb = edges.geometry.bounds
    edges = edges[(bb["minx"] <= b.right) & (bb["maxx"] >= b.left) & (bb["miny"] <= b.top) & (bb["maxy"] >= b.bottom)]
    return edges if len(edges) else None





def _meta(pb: Problem, costs: list[float], net: Any) -> dict[str, Any]:
    net_src = None
    if pb.network is not None:
        net_src = str(getattr(pb.network, "meta", {}).get("source", "network"))
    return {
        "modelled": True,
        "engine": ("corridor.align (level-aware (cell, formation level) graph, scipy dijkstra)"
                   if pb.search == "level" and net is None else
                   "corridor.align (grade-aware move graph, scipy dijkstra"
                   + (" over network and raster" if net is not None else "") + ")")
        if pb.search in ("grade", "level") else
        ("corridor.align (scikit-image MCP_Geometric"
         + (" + scipy shortest path over network and raster" if net is not None else "") + ")"),
        "search": pb.search,
        "dem_source": pb.grid.source,
        "network_source": net_src,
        "max_grade": pb.preset.max_grade,
        "cost_model": {k: v for k, v in pb.preset.__dict__.items()},
        "cost_params": "defaults" if pb.params is None else "given",
        "stay_in": list(pb.stay_in),
        "avoid": {u: ("excluded" if math.isinf(f) else f) for u, f in pb.avoid.items()},
        "leg_costs": costs,
        "provenance": "modelled: least-cost alignment over the DEM by corridor.align; not a surveyed "
                      "or published alignment",
    }


def trace(waypoints: Iterable[Any], *, mode: str, network: Any = None, dem: Any = None,
          stay_in: Sequence[str] | str | None = None, avoid: Any = None, max_grade: float | None = None,
          allow_new: bool = True, name: str | None = None, buffer_m: float | None = None,
          search: str = "grade", params: CostParams | None = None,
          waypoint_levels: Mapping[int, float] | None = None) -> Route:
    """Trace a least-cost alignment through ordered waypoints.

    Parameters
    ----------
    waypoints : iterable
        At least two place names (``"Julfa, AZ"`` allowed), ``(lon, lat)`` pairs or
        Places; any iterable (a generator is read once).
    mode : {"rail", "road"}
        Selects the cost preset (rail: ruling grade 12.5 per mille; road: 8 %; both from CostParams.<mode>_ruling_grade, so a costs file sets them).
    network : Network, "reference" or OSM file path, optional
        Existing edges to reuse (see :func:`corridor.network.as_network`); gaps
        are bridged by new alignment.
    dem : DEM, path or None
        Default: the embedded GLOBE 30" DEM.
    stay_in : sequence of str, optional
        Units the alignment must stay in (others excluded).
    avoid : sequence of str or mapping, optional
        Units to exclude, or ``{unit: factor}`` cost multipliers (``inf`` excludes).
    max_grade : float, optional
        Ruling grade as a ratio; the vertical design of new build obeys it (module docstring).
    allow_new : bool
        If False, only the network may be used.
    name : str, optional
        Route name (default ``"A - B"``).
    buffer_m : float, optional
        Half-width of the search corridor around each leg (default from the preset).
        With ``search="grade"`` this is the first corridor: it is widened until
        the leg's path is proven optimal over the whole area read.
    search : {"grade", "level", "slope"}
        ``grade`` (default): every grid move is priced by its own grade, so the
        line can follow valley sides or develop length to gain height
        (:mod:`corridor.align.gradesearch`); ``level``: nodes carry the formation
        level too, and moves are priced by the vertical design's own cost model, so
        the search remembers the level the line has reached and heads round side
        valleys instead of crossing them on viaduct (:mod:`corridor.align.levelsearch`;
        new build without a network only; a leg whose window is too large for it
        uses ``grade``, logged); ``slope``: the isotropic terrain-slope cost surface
        (:mod:`corridor.align.surface`), the earlier engine.
    params : CostParams, optional
        Unit costs, cross-sections and tolerances of the grade search and the
        vertical design (default: the :mod:`corridor.costs` defaults); pass the
        set the route will be evaluated with (e.g. ``CostParams.from_toml``) so
        that the design is the least-cost one at those prices.
    waypoint_levels : mapping of int to float, optional
        Formation levels (m) the vertical design must meet at given waypoints (by index, negative
        from the end), within ``CostParams.vertical_design_join_tolerance_m``, instead of the
        waypoint's own level window: where the line continues a designed line or must meet a
        known station level. If the ruling grade cannot meet them,
        :class:`~corridor.NoFeasibleAlignment` names the stations.

    Returns
    -------
    Route
        Segments with ``build``, ``status``, ``unit``, ``structure``; ``meta["modelled"]`` is True.

    Raises
    ------
    InvalidInputError
        Fewer than two waypoints, bad mode, unit or parameter.
    UnknownPlaceError
        A waypoint name is not in the gazetteer.
    DEMCoverageError
        A waypoint is off the DEM or on a void.
    NoFeasibleAlignment
        The constraints cannot connect a leg (the message names it).

    Examples
    --------
    >>> r = trace([(45.30, 39.30), (45.45, 39.20)], mode="road")
    >>> r.segments["class"].iloc[0], r.source
    ('new_road', 'modelled')
    """
    wps = as_items(waypoints)  # a generator is read once; a single name is one (too few) waypoint
    if len(wps) < 2:
        raise InvalidInputError(f"need at least two waypoints, got {wps!r}")
    pb = setup(wps, mode, dem, stay_in, avoid, max_grade, network, buffer_m, search, params, waypoint_levels)
    return _trace_problem(pb, pb.costs, name, allow_new)


def _trace_problem(pb: Problem, costs: np.ndarray, name: str | None, allow_new: bool) -> Route:
    nm = name or f"{pb.places[0].name} - {pb.places[-1].name}"
    net = _net_edges(pb)
    if not allow_new:
        if pb.network is None:
            raise InvalidInputError("allow_new=False needs a network to route on")
        return _network_only(pb, nm)
    given = costs
    costs = costs.copy()
    last: BlockPiece | None = None

    def out_of_reach(cause: BaseException) -> Route:
        """The retries blocked every way to a join. Where the join is at a modelled line's own level,
        joining at the ground instead would step the grade line by the modelled line's cut or fill
        there, so the route is one that is continuous in level: the network alone, else new build
        alone. Else the reason: new build alone's where it was tried (the more basic one: the ruling grade
        cannot join the waypoints at all), else the join's."""
        why = f"{nm}: {last}"
        if pb.network is not None and last is not None and last.modelled:
            route: Route | None = None
            try:
                route, how = _network_only(pb, nm, at_waypoints=True), "the network alone"
            except NoFeasibleAlignment as exc:
                log.debug("%s: the network alone does not join the waypoints (%s)", nm, exc)
                saved, pb.network = pb.network, None
                try:
                    route, how = _trace_problem(pb, given, name, allow_new), "new build alone"
                except NoFeasibleAlignment as exc2:
                    log.debug("%s: new build alone is infeasible too (%s)", nm, exc2)
                    why = str(exc2)
                finally:  # the problem is shared (alternatives): the next search has its network again
                    pb.network = saved
            if route is not None:
                # once per route, reason and fallback (alternatives trace the same problem again and again)
                warn_once(log, "%s: new build cannot join the modelled line at its own level within the ruling "
                          "grade (%s); the route follows %s", nm, str(last), how)
                return route.with_meta(join_fallback=f"{how}: {last}")
        raise NoFeasibleAlignment(why) from cause

    for attempt in range(6):
        legs, leg_costs = [], []
        fields = _grade_fields(pb, costs) if pb.search in ("grade", "level") else None
        for i in range(len(pb.places) - 1):
            try:
                steps, c = _solve_leg(pb, i, costs, net, fields)
            except NoFeasibleAlignment as exc:
                if last is not None and last.join:  # blocked by the retries: the reason is the unreachable join
                    return out_of_reach(exc)
                raise
            legs.append(steps)
            leg_costs.append(c)
        try:
            items = [leg_items(pb, i, steps, net, allow_new) for i, steps in enumerate(legs)]
            route = assemble_items(pb, items, nm)
        except BlockPiece as why:
            # block the cells of the offending piece (it clips an excluded unit, or the ruling grade cannot
            # reach the existing line it joins along it) and search again; the waypoints' cells stay open
            blocked = pb.cells_under([why.geom])
            costs[blocked] = np.inf
            last = why
            log.debug("attempt %d: %s; blocked %d cells", attempt, why, blocked[0].size)
            continue
        if fields is not None:  # the grade-aware searches: the vertical design's structures inform a re-search
            def solve(i: int, c: np.ndarray, f: _gradesearch.CellFields) -> tuple[list[Any], float]:
                return _solve_leg(pb, i, c, net, f)

            route, refined = refine(pb, costs, fields, legs, leg_costs, items, route, net, nm, solve)
            return route.with_meta(**_meta(pb, leg_costs, net), refinement=refined)
        return route.with_meta(**_meta(pb, leg_costs, net))
    if last is not None and last.join:
        return out_of_reach(last)
    raise NoFeasibleAlignment(f"{nm}: the alignment keeps crossing an excluded unit "
                              f"({', '.join(sorted(excluded_units(pb)))}); add a waypoint on the allowed side")


def _network_only(pb: Problem, name: str, *, at_waypoints: bool = False) -> Route:
    """The route over the network alone, leg by leg (ends snapped to the nearest nodes). With
    ``at_waypoints``, each leg runs between its waypoints' stops (the waypoint where the network has a
    node there, else the one station of the reference network that serves it) and must start and end
    at them (:func:`corridor.align._problem.at_stop`), else NoFeasibleAlignment."""
    import dataclasses

    import pandas as pd

    stops = list(pb.places)
    if at_waypoints:
        net = _net_edges(pb)
        for k, (p, here) in enumerate(zip(pb.places, pb.nodes_at_places(net), strict=True)):
            st = None if here else one_station(net, p)
            if st is not None:
                stops[k] = dataclasses.replace(p, lon=st[0], lat=st[1])
    parts = []
    for i in range(len(pb.places) - 1):
        try:
            excluded = {u for u, f in pb.avoid.items() if math.isinf(f)}
            if pb.stay_in:

                excluded |= {u for u in index().codes if u not in pb.stay_in}
            part = pb.network.route(stops[i], stops[i + 1], mode=pb.mode, avoid_units=tuple(sorted(excluded)))
        except NoRouteError as exc:
            raise NoFeasibleAlignment(f"{leg_name(pb.places, i)}: {exc}; allow_new=True would bridge "
                                      "the gap with a new alignment") from exc
        if at_waypoints:
            for place, (lon, lat) in ((pb.places[i], part.start), (pb.places[i + 1], part.end)):
                if not at_stop(place, lon, lat):
                    raise NoFeasibleAlignment(f"{leg_name(pb.places, i)}: the network does not reach {place.name} "
                                              f"(its nearest node is {great_circle_m(place.lon, place.lat, lon, lat):.0f} m "
                                              "away)")
        parts.append(part)
    seg = pd.concat([p.segments for p in parts], ignore_index=True)
    import geopandas as gpd

    seg = gpd.GeoDataFrame(seg, geometry="geometry", crs="EPSG:4326")
    r = Route.from_segments(seg, mode=pb.mode, name=name, waypoints=pb.places,
                            source=str(parts[0].source), split_units=False)
    return with_design_levels(r.with_meta(**{**_meta(pb, [], None), "modelled": r.modelled}))
