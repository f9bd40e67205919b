"""Structures of new alignments: tunnels and bridges from the least-cost vertical design.

Split out of :mod:`corridor.align.tracing` to keep modules small; the public entry point
is :func:`corridor.align.flag_structures` (re-exported there). The grade line
itself is designed by :func:`corridor.align.vertical.design_grade_line`; this module
samples the ground along a new line and passes the design's structures on.
Existing network edges never come through here: they keep their own
tunnel/bridge attributes.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from corridor._geo import cumulative_distance, points_at, same_point
from corridor._validate import check_mode, check_positive
from corridor.align import surface as _cost
from corridor.align.vertical import VerticalDesign, design_grade_line
from corridor.terrain import sample_ground

log = logging.getLogger(__name__)

#: Finest station spacing (m) of the vertical design of a new line.
FLAG_STEP_M = 50.0
#: Stations per DEM cell: the spacing is the DEM's ground resolution over this, at least
#: :data:`FLAG_STEP_M` (~180 m on the 30" GLOBE DEM, 50 m on 30 m DEMs). Bilinear ground between
#: cell centres is fully described by a few samples per cell; finer stations only cost time.
STATIONS_PER_CELL = 4
#: Target level step (m) of the vertical design of a new line (the step used divides the rise allowed per
#: station; on GLOBE rail stations that is one step of ~2.2 m, on 50 m stations ~0.6 m): an order of
#: magnitude below GLOBE's vertical error (tens of metres), so a finer step changes the design by less
#: than the data can tell.
LEVEL_STEP_M = 2.0


def design_stations(xy: np.ndarray, dem: Any, *,
                    fill_voids: bool = False) -> tuple[np.ndarray, np.ndarray, float]:
    """Stations and ground of a new line's vertical design: ``(distance_m, ground_m, step_m)``.

    Stations are at a uniform spacing that divides the length exactly, a quarter of the DEM's ground
    resolution and at least :data:`FLAG_STEP_M`; the profile samples them, and the ground at the
    stations is those samples alone, so the design does not depend on where the line has vertices
    (a route cut at its structures' ends, or split at unit borders, gets the same design as the line
    it was cut from). Every redesign of a traced line (the DEM-uncertainty band) uses these stations.
    """
    xy = np.asarray(xy, dtype=float)
    total = float(cumulative_distance(xy[:, 0], xy[:, 1])[-1])
    dem_obj = _cost.open_dem(dem)
    # the resolution at the middle of the line's latitude span, which vertices inserted on the line
    # (cut points of structures or unit borders) cannot move, unlike a mean over vertices
    mid_lat = (float(np.min(xy[:, 1])) + float(np.max(xy[:, 1]))) / 2
    spacing = max(FLAG_STEP_M, dem_obj.ground_resolution_m(mid_lat) / STATIONS_PER_CELL)
    n = max(1, math.ceil(total / spacing - 1e-9))
    step = total / n
    d_all, g_all = sample_ground(xy, dem_obj, step_m=step, fill_voids=fill_voids, vertices=False)
    d = step * np.arange(n + 1)
    d[-1] = d_all[-1]
    ground = np.interp(d, d_all, g_all)
    return d, ground, step


def vertical_design(line: Any, *, mode: str, max_grade: float | None = None, dem: Any = None,
                    params: Any = None, waypoints: Sequence[tuple[float, str]] | None = None,
                    fixed_levels: Sequence[tuple[Any, ...]] = ()) -> VerticalDesign:
    """The least-cost grade line of a new line (stations every quarter DEM cell, at least :data:`FLAG_STEP_M`).

    Parameters
    ----------
    line : shapely LineString
        EPSG:4326, in travel order.
    mode : {"rail", "road"}
    max_grade : float, optional
        Default: the mode preset (``CostParams.<mode>_ruling_grade``: 12.5 per mille rail, 8 % road).
    dem : DEM, path or None
        Default: the embedded GLOBE DEM.
    params : CostParams, optional
        Unit costs, cross-sections and tolerances.
    waypoints : sequence of (distance_m, name), optional
        Waypoint stations (level windows, see :mod:`corridor.align.vertical`). Default:
        both ends of the line, named ``start`` and ``end``.
    fixed_levels : sequence of (distance_m, level_m[, label])
        Levels to meet (joins with existing track or road).

    Returns
    -------
    VerticalDesign
    """
    check_mode(mode)
    lim = _cost.PRESETS[mode].max_grade if max_grade is None else check_positive(max_grade, "max_grade")
    xy = np.asarray(line.coords, dtype=float)
    d, ground, step = design_stations(xy, dem)
    if waypoints is None:
        waypoints = [] if fixed_levels else [(0.0, "start"), (float(d[-1]), "end")]
    return design_grade_line(d, ground, mode=mode, max_grade=lim, params=params,
                             waypoint_targets=waypoints, fixed_levels=fixed_levels, station_step_m=step,
                             level_step_m=LEVEL_STEP_M)


def flag_structures(line: Any, *, mode: str, max_grade: float | None = None, dem: Any = None,
                    max_iter: int = 25, params: Any = None,
                    waypoints: Sequence[tuple[float, str]] | None = None,
                    fixed_levels: Sequence[tuple[Any, ...]] = ()) -> list[tuple[float, float, str]]:
    """Spans ``(start_m, end_m, kind)`` of a new line that need a tunnel or bridge.

    The structures of the least-cost vertical design (:func:`vertical_design`,
    :func:`corridor.align.vertical.design_grade_line`): a tunnel where a cutting would
    be deeper than the economic depth, a bridge where an embankment would be
    higher than the economic height, with cut and fill elsewhere. The whole grade
    line, structures included, obeys ``max_grade``. ``max_iter`` is ignored (kept
    for callers of the former iterative flagging).

    Parameters
    ----------
    line : shapely LineString
        EPSG:4326.
    mode : {"rail", "road"}
    max_grade : float, optional
        Default: the mode preset (``CostParams.<mode>_ruling_grade``: 12.5 per mille rail, 8 % road).
    dem : DEM, path or None
        Default: the embedded GLOBE DEM.
    params, waypoints, fixed_levels
        See :func:`vertical_design`.

    Returns
    -------
    list of (float, float, str)

    Raises
    ------
    NoFeasibleAlignment
        The ruling grade cannot join two waypoints' level windows (named in the message).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> line = LineString([(46.05, 38.95), (46.20, 38.95)])  # 13 km, ends ~400 m apart in level
    >>> spans = flag_structures(line, mode="rail", max_grade=0.035)
    >>> all(k in ("tunnel", "bridge") and a < b for a, b, k in spans)
    True
    >>> flag_structures(line, mode="rail")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    corridor._errors.NoFeasibleAlignment: the ruling grade 12.5 per mille cannot join start (km 0.00), ...
    """
    return vertical_design(line, mode=mode, max_grade=max_grade, dem=dem, params=params, waypoints=waypoints,
                           fixed_levels=fixed_levels).spans()


class RunLevels(NamedTuple):
    """Level constraints of a run of new line (:func:`run_levels`)."""

    #: Waypoint targets ``(distance_m, name)``: the waypoint's window of levels.
    waypoints: list[tuple[float, str]]
    #: Fixed levels ``(distance_m, level_m, label[, tolerance_m])``.
    fixed: list[tuple[Any, ...]]
    #: Whether any fixed level is a join with existing line (not the caller's given level).
    joins: bool


def run_levels(full: np.ndarray, bounds: Sequence[float], pieces: Sequence[tuple[np.ndarray, int]],
               places: Sequence[Any], dem: Any, *,
               join_levels: tuple[tuple[float, float] | None, tuple[float, float] | None] = (None, None),
               given: Mapping[int, float] | None = None, given_tolerance_m: float = 1.0,
               stations: Mapping[int, np.ndarray] | None = None) -> RunLevels:
    """Level constraints of a run of new line: waypoint windows and joins with existing line.

    ``pieces`` are the run's ``(coords, leg)`` in order and ``bounds`` the chainages
    where one piece ends and the next begins. An end of the run (or a boundary
    between two legs) at a waypoint becomes a waypoint target; an end elsewhere
    joins existing track or road and is fixed at the DEM ground there (within
    ``CostParams.vertical_join_tolerance_m``), or, where the line joined carries its
    own design (``join_levels``: ``(level_m, tolerance_m)`` at the start and at the end of the
    run, e.g. the modelled reference network), at that level within that tolerance. A waypoint
    with a level in ``given`` (waypoint index -> level, the caller's ``waypoint_levels``) meets
    that level within ``given_tolerance_m`` instead of its window. ``stations`` (waypoint index ->
    ``(lon, lat)``) are points where the line serves a waypoint it does not reach (a spur cut,
    :func:`corridor.align._assembly.trim_spur`): a boundary there is that waypoint's target too.
    """
    total = float(cumulative_distance(full[:, 0], full[:, 1])[-1])
    stations = stations or {}

    def at(xy: np.ndarray, leg: int) -> bool:
        if not 0 <= leg < len(places):
            return False
        return same_point(xy, (places[leg].lon, places[leg].lat)) or (leg in stations
                                                                       and same_point(xy, stations[leg]))

    wps: list[tuple[float, str]] = []
    fixed: list[tuple[Any, ...]] = []
    joins: list[tuple[Any, ...]] = []
    given = given or {}

    def junction(d: float, xy: np.ndarray, known: tuple[float, float] | None) -> tuple[Any, ...]:
        if known is not None:
            joins.append((d, known[0], "junction with modelled line (its design level)", known[1]))
        else:
            joins.append((d, float(dem.sample(np.array([xy[0]]), np.array([xy[1]]), method="bilinear")[0]),
                          "junction with existing line"))
        return joins[-1]

    def waypoint(d: float, i: int) -> None:
        if i in given:  # the caller knows the level: it replaces the waypoint's window
            fixed.append((d, given[i], f"{places[i].name} (given level)", given_tolerance_m))
        else:
            wps.append((d, str(places[i].name)))

    first, leg0 = pieces[0]
    if at(first[0], leg0):  # a waypoint; where a modelled line ends there too, also that line's level
        waypoint(0.0, leg0)
        if join_levels[0] is not None:
            fixed.append(junction(0.0, full[0], join_levels[0]))
    else:
        fixed.append(junction(0.0, full[0], join_levels[0]))
    for b, (prev, nxt) in zip(bounds, itertools.pairwise(pieces), strict=False):
        if nxt[1] != prev[1] and at(nxt[0][0], nxt[1]):
            waypoint(float(b), nxt[1])
    last, leg1 = pieces[-1]
    if at(last[-1], leg1 + 1):
        waypoint(total, leg1 + 1)
        if join_levels[1] is not None:
            fixed.append(junction(total, full[-1], join_levels[1]))
    else:
        fixed.append(junction(total, full[-1], join_levels[1]))
    return RunLevels(wps, fixed, bool(joins))


def _cut(coords: np.ndarray, cuts: Sequence[float]) -> list[np.ndarray]:
    """Cut a vertex chain at geodesic distances.

    A cut point lies on the geodesic between its two vertices, at its distance
    (as :func:`corridor.terrain.profile` samples the line), so the pieces joined
    again are the same line, stations and ground included.
    """
    cum = cumulative_distance(coords[:, 0], coords[:, 1])
    bounds = [0.0, *[c for c in cuts if 0.0 < c < cum[-1]], float(cum[-1])]
    at = points_at(coords, np.asarray(bounds), cum)
    pieces = []
    for j, (a, b) in enumerate(itertools.pairwise(bounds)):
        if b - a <= 1e-6:
            continue
        inner = coords[(cum > a + 1e-9) & (cum < b - 1e-9)]
        pieces.append(np.vstack([at[j], inner, at[j + 1]]))
    return pieces
