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
the whole area only when the corridor is blocked.

With a ``network``, existing edges and the raster are searched together (a
scipy shortest path over the combined graph): existing track or road is used
where it connects the waypoints, new alignment bridges the gaps. Existing
segments keep their OSM status (``build="existing"``); new ones are
``build="new"``, ``status="new"``, ``class="new_rail"``/``"new_road"`` and
``source="modelled"``.

Ruling grade. After the search, every contiguous run of new alignment gets a
least-cost vertical design (:func:`corridor.align.vertical.design_grade_line`, dynamic
programming over stations every :data:`FLAG_STEP_M` and elevation levels): the
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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corridor._errors import (
    DEMCoverageError,
    InvalidInputError,
    NoFeasibleAlignment,
    NoRouteError,
    ParameterError,
)
from corridor._geo import cumulative_distance, great_circle_m
from corridor._types import NATIONAL_GAUGE_MM, BBox, Place
from corridor._validate import as_items, check_mode, check_positive, check_units
from corridor.align import gradesearch as _gradesearch
from corridor.align import surface as _cost
from corridor.align.structures import (
    FLAG_STEP_M,
    _cut,
    flag_structures,
    run_levels,
    vertical_design,
)
from corridor.align.surface import EXISTING_FACTOR
from corridor.costs import CostParams
from corridor.data.places import resolve_all
from corridor.data.regions import index, split_by_unit
from corridor.network.core import as_network
from corridor.route import Route

log = logging.getLogger(__name__)

__all__ = ["EXISTING_FACTOR", "FLAG_STEP_M", "GRADE_TOL", "SEARCHES", "flag_structures", "trace"]

#: Tolerance on the ruling grade outside flagged structures (0.1 per mille), for
#: floating-point noise only: the flagging loop uses the limit itself.
GRADE_TOL = 1e-4
#: Cost per metre of reusing existing track/road, relative to new open line, by status.
#: Leg search engines: ``grade`` prices every grid move by its own grade (:mod:`corridor.align.gradesearch`);
#: ``slope`` is the isotropic terrain-slope cost surface searched with ``MCP_Geometric`` (:mod:`corridor.align.surface`).
SEARCHES = ("grade", "slope")


@dataclass
class _Problem:
    places: list[Place]
    mode: str
    preset: _cost.SurfacePreset
    dem: Any
    grid: _cost.Grid
    cells: list[tuple[int, int]]
    costs: np.ndarray
    stay_in: tuple[str, ...]
    avoid: dict[str, float]
    network: Any = None
    buffer_m: float | None = None
    legs_info: list[dict[str, Any]] = field(default_factory=list)
    factors: np.ndarray | None = None
    search: str = "grade"
    params: CostParams | None = None


# ------------------------------------------------------------------ inputs
def _avoid_map(avoid: Any) -> dict[str, float]:
    if avoid is None:
        return {}
    if isinstance(avoid, Mapping):
        out = {}
        for u, f in avoid.items():
            code = check_units([u], what="avoid unit")[0]
            try:
                v = float(f)
            except (TypeError, ValueError):
                v = float("nan")
            if isinstance(f, bool) or not v > 0:  # inf (exclusion) is allowed
                raise ParameterError(f"avoid[{u!r}] penalty factor must be a number > 0 (inf excludes), got {f!r}")
            out[code] = v
        return out
    return {u: math.inf for u in check_units(avoid, what="avoid unit")}


def _leg_name(p: Sequence[Place], i: int) -> str:
    return f"leg {i + 1} ({p[i].name} -> {p[i + 1].name})"


def _setup(waypoints: Any, mode: str, dem: Any, stay_in: Any, avoid: Any, max_grade: Any,
           network: Any, buffer_m: float | None, search: str = "grade",
           params: CostParams | None = None) -> _Problem:

    check_mode(mode)
    if search not in SEARCHES:
        raise ParameterError(f"search must be one of {', '.join(SEARCHES)}, got {search!r}")
    if params is not None and not isinstance(params, CostParams):
        raise ParameterError(f"params must be a corridor.costs.CostParams (e.g. CostParams.from_toml(path)), "
                             f"got {type(params).__name__}")
    places = resolve_all(as_items(waypoints))
    network = as_network(network)
    stay = check_units(stay_in, what="stay_in unit")
    av = _avoid_map(avoid)
    preset = _cost.PRESETS[mode]
    if max_grade is not None:
        g = check_positive(max_grade, "max_grade")
        if g >= 1:
            raise ParameterError(f"max_grade {max_grade!r} looks like a percentage; give a ratio (0.0125 = 12.5 per mille)")
        preset = _cost.SurfacePreset(**{**preset.__dict__, "max_grade": g})
    if buffer_m is not None:
        check_positive(buffer_m, "buffer_m")
    dem_obj = _cost.open_dem(dem)
    for p in places:
        if not dem_obj.bounds.contains(p.lon, p.lat):
            raise DEMCoverageError(f"waypoint {p.name!r} ({p.lon:.4f}, {p.lat:.4f}) is outside the DEM "
                                   f"{tuple(round(v, 3) for v in dem_obj.bounds)}; open a DEM that covers it")
    # units each waypoint may sit in: excluded ones are an infeasible request, unless the
    # waypoint is on a border (within ~1 km of an allowed unit, e.g. a crossing)
    excluded = {u for u, f in av.items() if math.isinf(f)}
    if stay:
        excluded |= {u for u in index().codes if u not in stay}
    if excluded:
        import shapely

        idx = index()
        allowed = [g for c, g in zip(idx.codes, idx.geoms, strict=True) if c not in excluded]
        for i, p in enumerate(places):
            if p.unit in excluded and not any(
                    shapely.dwithin(g, shapely.Point(p.lon, p.lat), 0.01) for g in allowed):
                leg = _leg_name(places, max(0, min(i, len(places) - 2)))
                raise NoFeasibleAlignment(
                    f"{leg}: waypoint {p.name!r} lies in {p.unit}, which stay_in/avoid excludes "
                    f"(stay_in={list(stay) or None}, avoid={sorted(excluded - set(stay)) or None}); "
                    "allow that unit or move the waypoint")
    lons = [p.lon for p in places]
    lats = [p.lat for p in places]
    span_m = max(great_circle_m(lons[i], lats[i], lons[i + 1], lats[i + 1]) for i in range(len(places) - 1))
    hw = _half_width(preset, span_m, buffer_m)
    pad = 2.5 * hw / 111_000.0 / max(0.2, math.cos(math.radians(max(abs(v) for v in lats))))
    bbox = BBox(min(lons), min(lats), max(lons), max(lats)).buffer(pad)
    grid = _cost.read_grid(dem_obj, bbox)
    cells = [grid.rowcol(p.lon, p.lat) for p in places]
    for p, (r, c) in zip(places, cells, strict=True):
        if not np.isfinite(grid.z[r, c]):
            raise DEMCoverageError(f"waypoint {p.name!r} ({p.lon:.4f}, {p.lat:.4f}) falls on a DEM void "
                                   "(sea or missing data); move it onto land or fill the DEM")
    factors = _cost.unit_factors(grid, stay_in=stay, avoid=av, keep=cells)
    costs = _cost.cost_surface(grid, preset, factors)
    return _Problem(places, mode, preset, dem_obj, grid, cells, costs, stay, av, network, buffer_m,
                    factors=factors, search=search, params=params)


def _half_width(preset: _cost.SurfacePreset, leg_m: float, buffer_m: float | None) -> float:
    if buffer_m is not None:
        return float(buffer_m)
    return max(preset.buffer_m, preset.buffer_frac * leg_m)


# ------------------------------------------------------------------ search
def _grade_fields(pb: _Problem, costs: np.ndarray) -> _gradesearch.CellFields:
    """Cell fields of the grade search; ``costs`` (penalised or blocked copies of ``pb.costs``) scale the unit factors."""
    base = pb.factors if pb.factors is not None else np.ones(pb.grid.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        extra = np.where(np.isfinite(costs) & np.isfinite(pb.costs), costs / pb.costs, np.inf)
    return _gradesearch.cell_fields(pb.grid, base * extra, _grade_model(pb))


def _grade_model(pb: _Problem) -> _gradesearch.GradeModel:
    return _gradesearch.GradeModel.for_mode(pb.mode, pb.preset.max_grade, params=pb.params)


def _solve_leg(pb: _Problem, i: int, costs: np.ndarray, net: Any,
               fields: _gradesearch.CellFields | None = None) -> tuple[list[Any], float]:
    """Path of leg ``i`` as a list of steps ``("cell", r, c)`` / ``("node", id)``."""
    a, b = pb.places[i], pb.places[i + 1]
    hw = _half_width(pb.preset, great_circle_m(a.lon, a.lat, b.lon, b.lat), pb.buffer_m)
    g = pb.grid
    (ra, ca), (rb, cb) = pb.cells[i], pb.cells[i + 1]
    if fields is not None and net is None:
        res = _gradesearch.search_windowed(g, fields, _grade_model(pb), (ra, ca), (rb, cb), hw)
        if len(res.windows) > 1:
            log.info("%s: search corridor widened %d times (%s)", _leg_name(pb.places, i), len(res.windows) - 1,
                     "whole area" if res.half_width_m is None else f"{res.half_width_m / 1000:.0f} km")
        if math.isfinite(res.cost):
            return [("cell", r, c) for r, c in res.path], res.cost
        return _blocked(pb, i)
    ry = hw / 110_574.0 / g.res[1]
    rx = hw / (111_320.0 * max(0.2, math.cos(math.radians((a.lat + b.lat) / 2)))) / g.res[0]
    r0, r1 = max(0, int(min(ra, rb) - ry) - 1), min(g.shape[0], int(max(ra, rb) + ry) + 2)
    c0, c1 = max(0, int(min(ca, cb) - rx) - 1), min(g.shape[1], int(max(ca, cb) + rx) + 2)
    attempts = [(r0, r1, c0, c1, hw), (0, g.shape[0], 0, g.shape[1], None)]
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
                                                      s, e, net, allowed=allowed)
        elif net is not None:
            steps, cost = _cost.search_combined(cw, win, s, e, net)
        else:
            path, cost = _cost.search(cw, win, s, e)
            steps = [("cell", r, c) for r, c in path]
        if math.isfinite(cost):
            steps = [(t[0], t[1] + w0, t[2] + v0) if t[0] == "cell" else t for t in steps]
            return steps, cost
        log.info("%s blocked inside its %s corridor; searching the whole area", _leg_name(pb.places, i),
                 f"{hw / 1000:.0f} km")
    return _blocked(pb, i)


def _blocked(pb: _Problem, i: int) -> tuple[list[Any], float]:
    units = f" staying in {', '.join(pb.stay_in)}" if pb.stay_in else ""
    avoid = [u for u, f in pb.avoid.items() if math.isinf(f)]
    avoid_txt = f" avoiding {', '.join(avoid)}" if avoid else ""
    raise NoFeasibleAlignment(
        f"{_leg_name(pb.places, i)}: no alignment connects the waypoints{units}{avoid_txt} "
        "(blocked by excluded units or DEM voids); allow more units or add a waypoint")


def _net_edges(pb: _Problem) -> Any:
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




# ------------------------------------------------------------------ assembly
def _steps_to_pieces(pb: _Problem, i: int, steps: list[Any], net: Any) -> list[tuple[np.ndarray, dict[str, Any] | None]]:
    """Turn a leg's steps into pieces: ``(coords, attrs)`` for existing, ``(coords, None)`` for new."""
    a, b = pb.places[i], pb.places[i + 1]
    g = pb.grid
    pieces: list[tuple[list[Any], dict[str, Any] | None]] = []
    cur: list[Any] = [(a.lon, a.lat)]
    node_xy = _cost.node_coords(net) if net is not None else {}
    prev_node = None
    for k, st in enumerate(steps):
        if st[0] == "cell":
            if k == 0 or k == len(steps) - 1:
                continue  # the waypoints themselves stand for their cells
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
    cur.append((b.lon, b.lat))
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


def _excluded_units(pb: _Problem) -> set[str]:

    excluded = {u for u, f in pb.avoid.items() if math.isinf(f)}
    if pb.stay_in:
        excluded |= {u for u in index().codes if u not in pb.stay_in}
    return excluded


def _simplify(arr: np.ndarray, pb: _Problem) -> np.ndarray:
    """Remove the grid's staircase (Douglas-Peucker, half a cell), then push the line out of excluded units.

    Excluded cells are those whose centre is in an excluded unit, so the path
    between cell centres may clip a border (a river, often). Vertices every
    ~100 m that fall in an excluded unit move to the nearest point at least
    ~30 m inside the allowed units; the waypoints themselves never move.
    """
    import shapely
    from shapely.geometry import LineString, box
    from shapely.ops import nearest_points


    line = LineString(arr).simplify(0.5 * pb.grid.res[0])
    excluded = _excluded_units(pb)
    if not excluded:
        return np.asarray(line.coords, dtype=float)
    idx = index()
    area = box(*line.bounds).buffer(0.05)
    bad = shapely.union_all([g.intersection(area) for c, g in zip(idx.codes, idx.geoms, strict=True)
                             if c in excluded and g.intersects(area)])
    if bad.is_empty or line.intersection(bad).length == 0:
        return np.asarray(line.coords, dtype=float)
    good = shapely.union_all([g.intersection(area) for c, g in zip(idx.codes, idx.geoms, strict=True)
                              if c not in excluded and g.intersects(area)])
    inner = good.buffer(-0.0003)
    shapely.prepare(inner)
    for step in (0.001, 0.0003, 0.0001):
        dens = np.asarray(shapely.segmentize(line, step).coords, dtype=float)
        pts = shapely.points(dens[1:-1])
        out = ~shapely.contains(inner, pts)
        for i in np.flatnonzero(out):
            q = nearest_points(inner, pts[i])[0]
            dens[i + 1] = (q.x, q.y)
        line = LineString(dens).simplify(0.00005)
        if line.intersection(bad).length == 0:
            break
    else:
        # the line crosses an excluded tongue (a river loop): the caller blocks these cells
        raise _Clipped(line.intersection(bad))
    return np.asarray(line.coords, dtype=float)


class _Clipped(Exception):
    """Internal: a traced leg still crosses an excluded unit; carries the offending geometry."""

    def __init__(self, geom: Any) -> None:
        super().__init__("alignment crosses an excluded unit")
        self.geom = geom


def _assemble(pb: _Problem, legs: list[list[Any]], net: Any, name: str, allow_new: bool) -> Route:
    """Join the legs' pieces; flag structures on every contiguous run of new alignment."""
    from shapely.geometry import LineString


    mode = pb.mode
    # 1. pieces in travel order; consecutive new pieces (across legs) form one run
    items: list[tuple[np.ndarray, dict[str, Any] | None, int]] = []
    for i, steps in enumerate(legs):
        for coords, at in _steps_to_pieces(pb, i, steps, net):
            if at is None and not allow_new:
                raise NoFeasibleAlignment(f"{_leg_name(pb.places, i)}: the network does not connect the "
                                          "waypoints and allow_new=False; allow new build or add edges")
            items.append((_simplify(coords, pb) if at is None else coords, at, i))
    lines: list[Any] = []
    attrs: list[dict[str, Any]] = []
    formation: list[dict[str, Any]] = []  # designed formation level of each run, in route chainage
    k = 0
    while k < len(items):
        coords, at, leg = items[k]
        if at is not None:
            lines.append(LineString(coords))
            attrs.append({**at, "leg": leg})
            k += 1
            continue
        run = [items[k]]
        while k + 1 < len(items) and items[k + 1][1] is None:
            k += 1
            run.append(items[k])
        k += 1
        # 2. one vertex chain for the run, with the leg boundaries as distances
        chain = [run[0][0]]
        bounds = []
        for c, _a, _l in run[1:]:
            bounds.append(float(cumulative_distance(*np.vstack(chain).T)[-1]))
            chain.append(c[1:] if np.allclose(c[0], chain[-1][-1]) else c)
        full = np.vstack(chain)
        # add the unit-border vertices the route will get, so the profile samples match
        parts = split_by_unit(LineString(full))
        if len(parts) > 1:
            full = np.vstack([np.asarray(parts[0][1].coords)] + [np.asarray(g.coords)[1:] for _, g in parts[1:]])
        # 3. the least-cost grade line of the run gives its tunnels, bridges and earthworks
        wps, fixed = run_levels(full, bounds, [(c, leg) for c, _a, leg in run], pb.places, pb.dem)
        design = vertical_design(LineString(full), mode=mode, max_grade=pb.preset.max_grade, dem=pb.dem,
                                 params=pb.params, waypoints=wps, fixed_levels=fixed)
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
                             source="modelled")
    if formation:  # read by corridor.terrain.profile: the profile follows the design, not the ground
        route = route.with_meta(formation={"start_lonlat": route.start, "end_lonlat": route.end,
                                           "length_m": route.length_m, "runs": formation})
    seg = route.segments
    if mode == "rail":
        new = seg["build"] == "new"
        seg.loc[new, "gauge_mm"] = seg.loc[new, "unit"].map(NATIONAL_GAUGE_MM).astype(float)
    seg["leg"] = seg["leg"].astype(int)
    return route


def _meta(pb: _Problem, costs: list[float], net: Any) -> dict[str, Any]:
    net_src = None
    if pb.network is not None:
        net_src = str(getattr(pb.network, "meta", {}).get("source", "network"))
    return {
        "modelled": True,
        "engine": ("corridor.align (grade-aware move graph, scipy dijkstra"
                   + (" over network and raster" if net is not None else "") + ")")
        if pb.search == "grade" else
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
          search: str = "grade", params: CostParams | None = None) -> Route:
    """Trace a least-cost alignment through ordered waypoints.

    Parameters
    ----------
    waypoints : iterable
        At least two place names (``"Julfa, AZ"`` allowed), ``(lon, lat)`` pairs or
        Places; any iterable (a generator is read once).
    mode : {"rail", "road"}
        Selects the cost preset (rail: ruling grade 12.5 per mille; road: 8 %).
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
    search : {"grade", "slope"}
        ``grade`` (default): every grid move is priced by its own grade, so the
        line can follow valley sides or develop length to gain height
        (:mod:`corridor.align.gradesearch`); ``slope``: the isotropic terrain-slope
        cost surface (:mod:`corridor.align.surface`), the earlier engine.
    params : CostParams, optional
        Unit costs, cross-sections and tolerances of the grade search and the
        vertical design (default: the :mod:`corridor.costs` defaults); pass the
        set the route will be evaluated with (e.g. ``CostParams.from_toml``) so
        that the design is the least-cost one at those prices.

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
    pb = _setup(wps, mode, dem, stay_in, avoid, max_grade, network, buffer_m, search, params)
    return _trace_problem(pb, pb.costs, name, allow_new)


def _trace_problem(pb: _Problem, costs: np.ndarray, name: str | None, allow_new: bool) -> Route:
    nm = name or f"{pb.places[0].name} - {pb.places[-1].name}"
    net = _net_edges(pb)
    if not allow_new:
        if pb.network is None:
            raise InvalidInputError("allow_new=False needs a network to route on")
        return _network_only(pb, nm)
    from rasterio.features import rasterize

    costs = costs.copy()
    for attempt in range(6):
        legs, leg_costs = [], []
        fields = _grade_fields(pb, costs) if pb.search == "grade" else None
        for i in range(len(pb.places) - 1):
            steps, c = _solve_leg(pb, i, costs, net, fields)
            legs.append(steps)
            leg_costs.append(c)
        try:
            route = _assemble(pb, legs, net, nm, allow_new)
        except _Clipped as clip:
            # block the cells where the line clipped an excluded unit and search again
            blocked = rasterize([(clip.geom.buffer(0.5 * pb.grid.res[0]), 1)], out_shape=pb.grid.shape,
                                transform=pb.grid.transform, all_touched=True, fill=0,
                                dtype="uint8").astype(bool)
            blocked[tuple(np.array(pb.cells).T)] = False
            costs[blocked] = np.inf
            log.debug("attempt %d: line clipped an excluded unit; blocked %d cells", attempt, blocked.sum())
            continue
        return route.with_meta(**_meta(pb, leg_costs, net))
    raise NoFeasibleAlignment(f"{nm}: the alignment keeps crossing an excluded unit "
                              f"({', '.join(sorted(_excluded_units(pb)))}); add a waypoint on the allowed side")


def _network_only(pb: _Problem, name: str) -> Route:
    import pandas as pd

    parts = []
    for i in range(len(pb.places) - 1):
        try:
            excluded = {u for u, f in pb.avoid.items() if math.isinf(f)}
            if pb.stay_in:

                excluded |= {u for u in index().codes if u not in pb.stay_in}
            parts.append(pb.network.route(pb.places[i], pb.places[i + 1], mode=pb.mode,
                                          avoid_units=tuple(sorted(excluded))))
        except NoRouteError as exc:
            raise NoFeasibleAlignment(f"{_leg_name(pb.places, i)}: {exc}; allow_new=True would bridge "
                                      "the gap with a new alignment") from exc
    seg = pd.concat([p.segments for p in parts], ignore_index=True)
    import geopandas as gpd

    seg = gpd.GeoDataFrame(seg, geometry="geometry", crs="EPSG:4326")
    r = Route.from_segments(seg, mode=pb.mode, name=name, waypoints=pb.places,
                            source=str(parts[0].source), split_units=False)
    return r.with_meta(**{**_meta(pb, [], None), "modelled": r.modelled})
