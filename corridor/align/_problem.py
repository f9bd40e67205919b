"""The problem :func:`~corridor.align.trace` solves: waypoints, constraints and the cost surface, checked.

:func:`setup` validates the arguments of a trace (mode, search engine, cost
parameters, units to stay in or avoid, ruling grade, buffer), resolves the
waypoints, refuses waypoints off the DEM, on a void or in an excluded unit, and
reads the DEM grid and the cost surface around them into a :class:`Problem`
that the search (:mod:`corridor.align.tracing`) and the assembly of the route
(:mod:`corridor.align._assembly`) share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corridor._errors import DEMCoverageError, NoFeasibleAlignment, ParameterError
from corridor._geo import M_PER_DEG_LON_EQUATOR, great_circle_m
from corridor._types import BBox, Place
from corridor._validate import as_items, check_mode, check_positive, check_units
from corridor.align import surface as _cost
from corridor.costs import CostParams
from corridor.data.places import resolve_all
from corridor.data.regions import index
from corridor.network import REFERENCE_SOURCE, reference_design
from corridor.network.core import as_network

__all__ = ["SEARCHES", "Problem", "check_search", "excluded_units", "half_width", "leg_name", "setup"]

#: Leg search engines: ``grade`` prices every grid move by its own grade (:mod:`corridor.align.gradesearch`);
#: ``level`` searches cells and formation levels, priced by the vertical design's cost model
#: (:mod:`corridor.align.levelsearch`); ``slope`` is the isotropic terrain-slope cost surface searched with
#: ``MCP_Geometric`` (:mod:`corridor.align.surface`).
SEARCHES = ("level", "grade", "slope")


def check_search(search: str, *, what: str = "search") -> str:
    """``search`` if it names a search engine (:data:`SEARCHES`), else :class:`ParameterError`."""
    if search not in SEARCHES:
        raise ParameterError(f"{what} must be one of {', '.join(SEARCHES)}, got {search!r}")
    return search


@dataclass
class Problem:
    """A checked trace request: waypoints, their grid cells, the cost surface and the constraints."""

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
    waypoint_levels: dict[int, float] = field(default_factory=dict)  # waypoint index -> given formation level
    _place_nodes: list[set[int]] | None = field(default=None, init=False, repr=False)
    _nodes_at_places: list[set[int]] | None = field(default=None, init=False, repr=False)

    @property
    def cost_params(self) -> CostParams:
        """The caller's :class:`CostParams`, or the defaults."""
        return self.params if self.params is not None else CostParams.default()

    def nodes_at_places(self, net: Any) -> list[set[int]]:
        """Network nodes at each waypoint itself (:func:`corridor.align.surface.nodes_at`; the edges ``net``
        of this problem's network, looked up once), or no nodes without a network."""
        if net is None:
            return [set() for _ in self.places]
        if self._nodes_at_places is None:
            self._nodes_at_places = [_cost.nodes_at(net, p.lon, p.lat) for p in self.places]
        return self._nodes_at_places

    def place_nodes(self, net: Any) -> list[set[int]]:
        """Network nodes where the line meets each waypoint: those at it (:meth:`nodes_at_places`), else,
        for an inner waypoint, the node of the one station of the modelled reference network that
        serves it (:func:`_station_nodes`); no nodes without a network."""
        if net is None:
            return [set() for _ in self.places]
        if self._place_nodes is None:
            at = self.nodes_at_places(net)
            last = len(self.places) - 1
            self._place_nodes = [nodes or (_station_nodes(net, p) if 0 < k < last else set())
                                 for k, (nodes, p) in enumerate(zip(at, self.places, strict=True))]
        return self._place_nodes

    def cells_under(self, geoms: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Grid cells ``(rows, cols)`` a line's pieces touch (within half a cell), the waypoints' cells left out."""
        from rasterio.features import rasterize
        from shapely import union_all

        g = self.grid
        none = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        area = union_all([geom.buffer(0.5 * g.res[0]) for geom in geoms])
        if area.is_empty:
            return none
        left, bottom, right, top = area.bounds
        (r0, c0), (r1, c1) = g.rowcol(left, top), g.rowcol(right, bottom)
        r0, c0 = max(0, r0 - 1), max(0, c0 - 1)
        r1, c1 = min(g.shape[0], r1 + 2), min(g.shape[1], c1 + 2)
        if r1 <= r0 or c1 <= c0:
            return none
        win = g.window(r0, r1, c0, c1)
        mask = rasterize([(area, 1)], out_shape=win.shape, transform=win.transform, all_touched=True, fill=0,
                         dtype="uint8").astype(bool)
        for r, c in self.cells:
            if r0 <= r < r1 and c0 <= c < c1:
                mask[r - r0, c - c0] = False
        rows, cols = np.nonzero(mask)
        return rows + r0, cols + c0


def station_points(place: Place) -> set[tuple[float, float]]:
    """Stations of the modelled reference network that serve ``place`` (matched by the waypoint's
    position, within :data:`corridor.align.surface.SPUR_MAX_M`): where a line was traced, the spur
    out to the waypoint and back was cut (:attr:`corridor.network.DesignLevels.stations`)."""
    return {st for key, points in reference_design().stations.items()
            if abs(key[0] - place.lon) <= _cost.AT_PLACE_DEG and abs(key[1] - place.lat) <= _cost.AT_PLACE_DEG
            for st in points if great_circle_m(place.lon, place.lat, st[0], st[1]) <= _cost.SPUR_MAX_M}


def at_stop(place: Place, lon: float, lat: float) -> bool:
    """Whether ``(lon, lat)`` is the waypoint ``place`` itself or a station of the reference network
    that serves it (:func:`station_points`), within :data:`corridor.align.surface.AT_PLACE_DEG`."""
    return any(abs(x - lon) <= _cost.AT_PLACE_DEG and abs(y - lat) <= _cost.AT_PLACE_DEG
               for x, y in {(place.lon, place.lat), *station_points(place)})


def one_station(net: Any, place: Place) -> tuple[float, float] | None:
    """The one station of the modelled reference network that serves ``place`` (:func:`station_points`),
    where the edges ``net`` hold reference lines; None where none does, or several (the line would not
    be continuous between them)."""
    if "source" not in net.columns or not (net["source"] == REFERENCE_SOURCE).any():
        return None
    found = station_points(place)
    return next(iter(found)) if len(found) == 1 else None


def _station_nodes(net: Any, place: Place) -> set[int]:
    """Nodes of :func:`one_station` (none without it)."""
    st = one_station(net, place)
    return set() if st is None else _cost.nodes_at(net, *st)


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


def leg_name(p: Sequence[Place], i: int) -> str:
    """How messages name leg ``i``."""
    return f"leg {i + 1} ({p[i].name} -> {p[i + 1].name})"


def check_waypoint_levels(levels: Any, n: int) -> dict[int, float]:
    """``{waypoint index: level}`` with indices in ``0 .. n - 1`` (negative ones from the end)."""
    if levels is None:
        return {}
    if not isinstance(levels, Mapping):
        raise ParameterError(f"waypoint_levels must map waypoint indices to levels in metres, got {levels!r}")
    out: dict[int, float] = {}
    for key, value in levels.items():
        if isinstance(key, bool) or not isinstance(key, int) or not -n <= key < n:
            raise ParameterError(f"waypoint_levels: {key!r} is not the index of one of the {n} waypoints")
        try:
            z = float(value)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"waypoint_levels[{key}]: {value!r} is not a level in metres") from exc
        if isinstance(value, bool) or not math.isfinite(z):
            raise ParameterError(f"waypoint_levels[{key}]: the level must be a finite number of metres")
        out[key % n] = z
    return out


def setup(waypoints: Any, mode: str, dem: Any, stay_in: Any, avoid: Any, max_grade: Any,
           network: Any, buffer_m: float | None, search: str = "grade",
           params: CostParams | None = None, waypoint_levels: Any = None) -> Problem:
    """Check the arguments of :func:`~corridor.align.trace` and build its :class:`Problem`."""
    check_mode(mode)
    check_search(search)
    if params is not None and not isinstance(params, CostParams):
        raise ParameterError(f"params must be a corridor.costs.CostParams (e.g. CostParams.from_toml(path)), "
                             f"got {type(params).__name__}")
    places = resolve_all(as_items(waypoints))
    levels = check_waypoint_levels(waypoint_levels, len(places))
    network = as_network(network)
    stay = check_units(stay_in, what="stay_in unit")
    av = _avoid_map(avoid)
    both = [u for u in stay if math.isinf(av.get(u, 1.0))]
    if both:
        raise ParameterError(f"{', '.join(both)} is in both stay_in and avoid; a route cannot stay in a unit it "
                             "excludes: drop it from one of them")
    preset = _cost.PRESETS[mode]
    if max_grade is None and params is not None:  # a costs file's ruling grade reaches the search and the design
        max_grade = getattr(params, f"{mode}_ruling_grade")
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
                leg = leg_name(places, max(0, min(i, len(places) - 2)))
                raise NoFeasibleAlignment(
                    f"{leg}: waypoint {p.name!r} lies in {p.unit}, which stay_in/avoid excludes "
                    f"(stay_in={list(stay) or None}, avoid={sorted(u for u, f in av.items() if math.isinf(f)) or None}); "
                    "allow that unit or move the waypoint")
    lons = [p.lon for p in places]
    lats = [p.lat for p in places]
    span_m = max(great_circle_m(lons[i], lats[i], lons[i + 1], lats[i + 1]) for i in range(len(places) - 1))
    hw = half_width(preset, span_m, buffer_m)
    pad = 2.5 * hw / M_PER_DEG_LON_EQUATOR / max(0.2, math.cos(math.radians(max(abs(v) for v in lats))))
    bbox = BBox(min(lons), min(lats), max(lons), max(lats)).buffer(pad)
    grid = _cost.read_grid(dem_obj, bbox)
    cells = [grid.rowcol(p.lon, p.lat) for p in places]
    for p, (r, c) in zip(places, cells, strict=True):
        if not np.isfinite(grid.z[r, c]):
            raise DEMCoverageError(f"waypoint {p.name!r} ({p.lon:.4f}, {p.lat:.4f}) falls on a DEM void "
                                   "(sea or missing data); move it onto land or fill the DEM")
    factors = _cost.unit_factors(grid, stay_in=stay, avoid=av, keep=cells)
    costs = _cost.cost_surface(grid, preset, factors)
    return Problem(places, mode, preset, dem_obj, grid, cells, costs, stay, av, network, buffer_m,
                    factors=factors, search=search, params=params, waypoint_levels=levels)


def half_width(preset: _cost.SurfacePreset, leg_m: float, buffer_m: float | None) -> float:
    """Half-width (m) of the first search corridor around a leg of length ``leg_m``."""
    if buffer_m is not None:
        return float(buffer_m)
    return max(preset.buffer_m, preset.buffer_frac * leg_m)


def excluded_units(pb: Problem) -> set[str]:
    """Units the line may not enter: excluded by ``avoid`` (inf) or outside ``stay_in``."""
    excluded = {u for u, f in pb.avoid.items() if math.isinf(f)}
    if pb.stay_in:
        excluded |= {u for u in index().codes if u not in pb.stay_in}
    return excluded
