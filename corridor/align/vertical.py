"""Vertical alignment: the least-cost design grade line (formation level) of a new line.

Given the ground profile along a horizontal alignment, :func:`design_grade_line`
chooses the formation level at every station so that the construction cost
(open line, earthworks, tunnels, viaducts) is least while the grade between
stations never exceeds the ruling grade. The structures of a new line follow
from that design: a tunnel where a cutting would be deeper than the economic
depth, a viaduct where an embankment would be higher than the economic height.
Because the whole grade line obeys the limit, so does every structure's
portal-to-portal grade.

Method: dynamic programming over stations x elevation levels (Goh, Chew & Fwa
1988, *Transportation Research B* 22(6); ``corridors.md``, "Vertical alignment
and earthworks"). Stations are resampled to a uniform spacing ``ds`` and the
level step is chosen so that the rise allowed at the ruling grade over one
station, ``max_grade * ds``, is a whole number ``k`` of level steps: the grade
constraint is then exact (a level window is widened outward to the level grid,
so a fixed level is met within its tolerance plus at most one level step; a level known
to less than a step, a join with a modelled line, is met exactly where it is: the grid
passes through the first and the line is moved onto the others at least cost,
:func:`corridor.align._levels.meet_tight`), and the
transition from one station to the next is a sliding-window minimum of width
``2k + 1`` over the levels (a monotone queue, O(levels) per station whatever ``k``),
O(stations x levels); that loop runs compiled (:mod:`corridor.align._dp`, numba). The
cost-to-come arrays are kept as float32 and the optimal line is recovered by a
windowed argmin from the last station back to the first.

Cost model (:mod:`corridor.align._earthworks`) per metre of line at a station where the formation is ``d`` metres
below ground (``d < 0``: ``h = -d`` metres above it); every figure is a
:class:`corridor.costs.CostParams` field with its source:

* open line: ``<mode>_new_musd_per_km`` (central) plus earthworks, with the
  cross-section of a trapezoid: area ``w * d + s * d**2`` (formation width
  ``w`` in cutting or on embankment by mode and number of tracks/lanes, side
  slope ``s`` horizontal per vertical); cut is priced as excavation plus
  dumping, fill as borrow plus placing (no mass-haul balancing: a conservative
  simplification);
* tunnel: ``<mode>_tunnel_musd_per_km`` (central), whatever the depth;
* viaduct: ``<mode>_bridge_musd_per_km`` (central), whatever the height;
* at each station the cheaper of open line and structure is taken; a cut deeper
  than ``max_cut_depth_m`` or a fill higher than ``max_fill_height_m`` is not
  allowed (the ~20 m benchmark), so there the structure is forced. The depth
  and height at which the model switches are reported
  (:attr:`VerticalDesign.switch_depth_m`, :attr:`VerticalDesign.switch_height_m`).

Terrain factors of :mod:`corridor.costs` are not applied here: the design
prices earthworks explicitly. Vertical curves are not modelled.

Constraints (:mod:`corridor.align._levels`): fixed levels (where the line joins existing track or road, within
``vertical_join_tolerance_m``) and waypoint level windows. A town's DEM cell is
not its station's level (stations sit on valley floors), so a waypoint's window
is ``[lowest ground within waypoint_level_radius_m along the profile -
tolerance, ground at the waypoint + tolerance]`` with ``waypoint_level_tolerance_m``.
If the ruling grade cannot join two windows, :class:`~corridor.NoFeasibleAlignment`
names the two stations (between two fixed levels given by the caller it is a
:class:`~corridor.ParameterError`); the design never tunnels to make it fit.

Examples
--------
>>> import numpy as np
>>> d = np.arange(0.0, 2001.0, 50.0)
>>> ridge = 100.0 + np.maximum(0.0, 60.0 - np.abs(d - 1000.0) * 0.3)   # a 60 m high ridge
>>> v = design_grade_line(d, ridge, mode="rail", max_grade=0.0125,
...                       fixed_levels=[(0.0, 100.0), (2000.0, 100.0)])
>>> [s.kind for s in v.structures]
['tunnel']
>>> bool(np.all(np.abs(np.diff(v.formation_m)) <= 0.0125 * np.diff(v.distance_m) + 1e-6))
True
>>> round(v.switch_depth_m, 1)
20.0
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corridor._errors import NoFeasibleAlignment, ParameterError
from corridor._validate import check_mode, check_positive
from corridor.align import _dp
from corridor.align._earthworks import (
    BRIDGE,
    FILL,
    KINDS,
    TUNNEL,
    CostModel,
    cost_model,
    economic_switch,
)
from corridor.align._levels import (
    Window,
    check_profile,
    level_windows,
    meet_tight,
    one_pin_per_station,
    precheck,
    tight,
)
from corridor.costs import CostParams

log = logging.getLogger(__name__)

__all__ = ["KINDS", "Structure", "VerticalDesign", "design_grade_line", "economic_switch"]

#: Largest DP table (stations x levels); beyond it the level step is coarsened (logged).
MAX_CELLS = 16_000_000


@dataclass(frozen=True)
class Structure:
    """One tunnel or bridge of a design: consecutive stations of the same kind, merged.

    ``max_depth_m`` is the greatest depth of the formation below ground (tunnel)
    or height above ground (bridge); NaN where unknown (existing structures).

    Examples
    --------
    >>> s = Structure("tunnel", 1200.0, 800.0, 35.0)
    >>> s.start_km, s.end_m
    (1.2, 2000.0)
    """

    kind: str
    start_m: float
    length_m: float
    max_depth_m: float = math.nan

    @property
    def start_km(self) -> float:
        """Start chainage in km."""
        return self.start_m / 1000.0

    @property
    def end_m(self) -> float:
        """End chainage in metres."""
        return self.start_m + self.length_m


@dataclass(frozen=True, eq=False)
class VerticalDesign:
    """The least-cost grade line of :func:`design_grade_line` (arrays share the station index).

    Attributes
    ----------
    distance_m, ground_m, formation_m : numpy.ndarray
        Uniform stations (m from the start of the input), ground and formation level.
    kind : numpy.ndarray of str
        Per station, one of :data:`KINDS`.
    cut_m3, fill_m3 : float
        Earthwork volumes of the open stretches (tunnels and viaducts excluded).
    structures : tuple of Structure
        Tunnels and bridges in chainage order (maximal runs of stations of one kind; no
        minimum length: the station spacing is the resolution).
    cost_musd : dict
        ``open_line``, ``earthworks``, ``tunnels``, ``bridges``, ``total`` (central unit rates).
    switch_depth_m, switch_height_m : float
        Cut depth / fill height beyond which a tunnel / viaduct is built: the economic
        figure the unit costs imply, capped at ``max_cut_depth_m`` / ``max_fill_height_m``.
    economic_depth_m, economic_height_m : float
        The uncapped economic figures (inf if the structure never pays).
    max_grade, level_step_m, station_step_m : float
        The ruling grade and the discretisation actually used.
    mode : str
    formation_width_m : tuple of float
        ``(in cutting, on embankment)``.
    cut_area_m2, fill_area_m2 : numpy.ndarray
        Cross-section area of cut / fill per station (0 in tunnels and on viaducts).
    """

    distance_m: np.ndarray
    ground_m: np.ndarray
    formation_m: np.ndarray
    kind: np.ndarray
    cut_m3: float
    fill_m3: float
    structures: tuple[Structure, ...]
    cost_musd: Mapping[str, float]
    switch_depth_m: float
    switch_height_m: float
    economic_depth_m: float
    economic_height_m: float
    max_grade: float
    level_step_m: float
    station_step_m: float
    mode: str
    formation_width_m: tuple[float, float]
    cut_area_m2: np.ndarray
    fill_area_m2: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)

    def spans(self) -> list[tuple[float, float, str]]:
        """``(start_m, end_m, kind)`` of the structures, in input chainage."""
        return [(s.start_m, s.end_m, s.kind) for s in self.structures]

    def volumes_between(self, start_m: float, end_m: float) -> tuple[float, float]:
        """``(cut_m3, fill_m3)`` of the open stretches between two chainages (each station covers half a
        station step either side)."""
        half = self.station_step_m / 2
        lo = np.maximum(self.distance_m - half, self.distance_m[0])
        hi = np.minimum(self.distance_m + half, self.distance_m[-1])
        w = np.clip(np.minimum(hi, end_m) - np.maximum(lo, start_m), 0.0, None)
        return float(np.sum(self.cut_area_m2 * w)), float(np.sum(self.fill_area_m2 * w))

    def length_m(self, kind: str) -> float:
        """Total length of one structure kind (m)."""
        return float(sum(s.length_m for s in self.structures if s.kind == kind))


def design_grade_line(distance_m: Any, ground_m: Any, *, mode: str, max_grade: float,
                      params: CostParams | None = None, tracks_or_lanes: int | None = None,
                      fixed_levels: Sequence[Any] = (), waypoint_targets: Sequence[Any] = (),
                      level_step_m: float = 0.5, station_step_m: float | None = None) -> VerticalDesign:
    """Least-cost formation level under a ruling grade (see the module docstring).

    Parameters
    ----------
    distance_m, ground_m : array-like
        Ground profile: strictly increasing chainage (m) and finite ground levels (m).
    mode : {"rail", "road"}
        Selects unit rates and cross-sections.
    max_grade : float
        Ruling grade as a ratio (0.0125 = 12.5 per mille), 0 < max_grade < 1.
    params : CostParams, optional
        Unit costs, cross-sections, caps and tolerances (defaults of :mod:`corridor.costs`).
    tracks_or_lanes : int, optional
        Rail tracks (default 1) or road lanes (default 2).
    fixed_levels : sequence of (distance_m, level_m[, label[, tolerance_m]])
        Levels to meet within ``tolerance_m`` (default ``params.vertical_join_tolerance_m``): joins with
        existing line.
    waypoint_targets : sequence of (distance_m, name)
        Stations at waypoints; their level must lie in the waypoint window (module docstring).
    level_step_m : float
        Target level step; the step used divides ``max_grade * station step`` exactly.
    station_step_m : float, optional
        Station spacing; default the median spacing of ``distance_m``.

    Returns
    -------
    VerticalDesign

    Raises
    ------
    ParameterError
        Bad profile (non-finite ground, non-increasing chainage), bad parameter
        (side slope, cap depth/height or formation width <= 0), or two fixed levels
        the ruling grade cannot join (the message names both stations' km).
    NoFeasibleAlignment
        A waypoint window cannot be reached at the ruling grade (the message names
        the two stations and their km).
    """
    check_mode(mode)
    g_max = check_positive(max_grade, "max_grade")
    if g_max >= 1:
        raise ParameterError(f"max_grade {max_grade!r} looks like a percentage; give a ratio (0.0125 = 12.5 per mille)")
    params = params if params is not None else CostParams.default()
    if not isinstance(params, CostParams):
        raise ParameterError(f"params must be a CostParams, got {type(params).__name__}")
    check_positive(level_step_m, "level_step_m")
    model, n_tracks = cost_model(mode, params, tracks_or_lanes)
    d, g = check_profile(distance_m, ground_m)
    total = float(d[-1] - d[0])
    base_step = (check_positive(station_step_m, "station_step_m") if station_step_m is not None
                 else float(np.median(np.diff(d))))
    k = max(1, round(g_max * base_step / level_step_m))
    n = max(1, math.ceil(total / base_step - 1e-9))
    # levels span the ground and every window (a line outside [min, max] of them is never cheaper)
    while True:
        ds = total / n
        s = d[0] + ds * np.arange(n + 1)
        s[-1] = d[-1]
        gs = np.interp(s, d, g)
        wins = level_windows(d, g, s, fixed_levels, waypoint_targets, params)
        step = g_max * ds / k
        zlo = min(float(gs.min()), *(w.lo for w in wins)) if wins else float(gs.min())
        zhi = max(float(gs.max()), *(w.hi for w in wins)) if wins else float(gs.max())
        pins = tight(wins, step)
        if pins:  # a level known to less than a step (a modelled line joined): put it on the level grid
            centre = (pins[0].lo + pins[0].hi) / 2
            zlo = centre - step * math.ceil((centre - zlo) / step - 1e-9)
        n_lev = math.floor((zhi - zlo) / step + 1e-9) + 2
        band_lo, band_hi = _band(gs, *one_pin_per_station(wins, pins), model, zlo, step, k, n_lev)
        cells = int(np.sum(np.maximum(band_hi - band_lo + 1, 0)))
        if cells <= MAX_CELLS:
            break
        if k > 1:
            k = max(1, k * MAX_CELLS // cells)
        else:
            n = max(1, n * MAX_CELLS // cells)
        log.info("vertical design: coarsened to %d stations, level step %.2f m to bound memory", n + 1,
                 g_max * total / n / k)
    precheck(wins, ds, g_max)
    z = zlo + step * np.arange(n_lev)
    weight = np.full(n + 1, ds)
    weight[0] = weight[-1] = ds / 2
    if np.any(band_hi < band_lo):
        raise _discretised(g_max, ds)
    base, lstep = _grounds(gs, z)
    coef = model.coefficients()  # the cost model's figures as the kernels take them
    cost, offs = _forward(base, lstep, weight, band_lo, band_hi, k, coef)
    last = cost[offs[n]:offs[n] + band_hi[n] - band_lo[n] + 1]
    best = int(np.argmin(last))
    if not np.isfinite(last[best]):
        raise _discretised(g_max, ds)
    objective = float(last[best])
    lev = _dp.backtrack(cost, offs, band_lo, band_hi, k, int(band_lo[n]) + best)
    zf = z[lev]
    # onto the joins the level grid misses (pins: the tight windows of the last grid above)
    moved = meet_tight(zf, s, gs, weight, coef, pins, wins, g_max) if pins else zf
    if moved is None:
        log.info("vertical design: joins %s met to the nearest level and station only (the line could not be moved "
                 "onto them within the ruling grade and the level windows)", ", ".join(w.label for w in pins))
        moved = zf
    shift = moved - zf
    depth = gs - moved
    if moved is not zf:  # the objective of the line returned
        objective = float(np.sum(model.costs(depth.astype(np.float32)) * weight))
    zf = moved
    # what is built where, decided as the programme priced it (the same float32 depth); at grade within
    # half a level step counts as open line
    kinds = _dp.cell_kinds(base, lstep, lev + shift / lstep, coef, step / 2)
    cut = np.maximum(depth, 0.0)
    fill = np.maximum(-depth, 0.0)
    is_open = kinds <= FILL  # "open" is at grade within half a level step: its small cut or fill counts too
    area_cut = np.where(is_open, model.w_cut * cut + model.s_cut * cut * cut, 0.0)
    area_fill = np.where(is_open, model.w_fill * fill + model.s_fill * fill * fill, 0.0)
    cut_m3 = float(np.sum(area_cut * weight))
    fill_m3 = float(np.sum(area_fill * weight))
    parts = {
        "open_line": float(np.sum(weight[is_open])) * model.open_usd_m / 1e6,
        "earthworks": (cut_m3 * model.c_cut + fill_m3 * model.c_fill) / 1e6,
        "tunnels": float(np.sum(weight[kinds == TUNNEL])) * model.tunnel_usd_m / 1e6,
        "bridges": float(np.sum(weight[kinds == BRIDGE])) * model.bridge_usd_m / 1e6,
    }
    parts["total"] = sum(parts.values())
    structures = _runs(s, kinds, depth, ds)
    e_depth = economic_switch(model.w_cut, model.s_cut, model.c_cut, model.tunnel_usd_m, model.open_usd_m)
    e_height = economic_switch(model.w_fill, model.s_fill, model.c_fill, model.bridge_usd_m, model.open_usd_m)
    log.debug("vertical design: %d stations x %d levels, %.0f m3 cut, %.0f m3 fill, %d structures",
              n + 1, n_lev, cut_m3, fill_m3, len(structures))
    return VerticalDesign(
        distance_m=s, ground_m=gs, formation_m=zf, kind=np.asarray(KINDS)[kinds], cut_m3=cut_m3, fill_m3=fill_m3,
        structures=structures, cost_musd=parts, switch_depth_m=min(e_depth, model.cap_cut),
        switch_height_m=min(e_height, model.cap_fill), economic_depth_m=e_depth, economic_height_m=e_height,
        max_grade=g_max, level_step_m=step, station_step_m=ds, mode=mode,
        formation_width_m=(model.w_cut, model.w_fill), cut_area_m2=area_cut, fill_area_m2=area_fill,
        meta={"levels": n_lev, "cells": cells, "objective_musd": objective / 1e6, "tracks_or_lanes": n_tracks},
    )


def _band(gs: np.ndarray, wins: list[Window], pins: list[Window], model: CostModel, zlo: float, step: float,
          k: int, n_lev: int) -> tuple[np.ndarray, np.ndarray]:
    """Level-index band ``[lo, hi]`` per station that holds an optimal grade line (``pins``: the tight
    windows of ``wins``, :func:`corridor.align._levels.tight`, each held to its one level).

    ``upper`` is the least majorant of the ground (raised to each window's top) whose
    grade is within the limit, ``lower`` the greatest such minorant. Clipping any
    admissible line into ``[lower, upper]`` keeps its grade within the limit (both
    bounds obey it), keeps it in every window, and moves each station towards its
    ground, which never costs more while tunnels and viaducts cost at least as much
    as open line; so an optimum lies in the band. Rounded outward to the level grid
    (plus one level for rounding) the integer bounds still change by at most ``k``
    levels per station. Where a structure is cheaper than open line, no band.
    """
    n = gs.size
    lo = np.zeros(n, dtype=np.int64)
    hi = np.full(n, n_lev - 1, dtype=np.int64)
    win_lo = np.full(n, -np.inf)
    win_hi = np.full(n, np.inf)
    for w in wins:
        win_lo[w.station] = max(win_lo[w.station], w.lo)
        win_hi[w.station] = min(win_hi[w.station], w.hi)
    if model.tunnel_usd_m >= model.open_usd_m and model.bridge_usd_m >= model.open_usd_m:
        rise = k * step
        up = np.maximum(gs, np.where(np.isfinite(win_hi), win_hi, -np.inf))
        dn = np.minimum(gs, np.where(np.isfinite(win_lo), win_lo, np.inf))
        up = _envelope(up, rise, np.maximum)
        dn = _envelope(dn, rise, np.minimum)
        lo = np.maximum(lo, np.floor((dn - zlo) / step).astype(np.int64) - 1)
        hi = np.minimum(hi, np.ceil((up - zlo) / step).astype(np.int64) + 1)
    fin = np.isfinite(win_lo)
    lo[fin] = np.maximum(lo[fin], np.floor((win_lo[fin] - zlo) / step + 1e-9).astype(np.int64))
    fin = np.isfinite(win_hi)
    hi[fin] = np.minimum(hi[fin], np.ceil((win_hi[fin] - zlo) / step - 1e-9).astype(np.int64))
    for w in pins:  # on the level grid (see design_grade_line): that level only
        at = round(((w.lo + w.hi) / 2 - zlo) / step)
        lo[w.station], hi[w.station] = max(lo[w.station], at), min(hi[w.station], at)
    return lo, hi


def _envelope(h: np.ndarray, rise: float, pick: Any) -> np.ndarray:
    """Least majorant (``np.maximum``) or greatest minorant (``np.minimum``) of ``h`` changing by <= ``rise``."""
    n = h.size
    ramp = rise * np.arange(n)
    sign = 1.0 if pick is np.maximum else -1.0
    # forward: out_i = pick_j<=i (h_j -/+ rise (i - j)); backward likewise; both as running extrema
    fwd = sign * np.maximum.accumulate(sign * (h + sign * ramp)) - ramp * sign
    bwd = (sign * np.maximum.accumulate((sign * (h - sign * ramp))[::-1]))[::-1] + ramp * sign
    return np.asarray(pick(fwd, bwd))


def _discretised(g_max: float, ds: float) -> NoFeasibleAlignment:
    """The windows can be joined at the ruling grade, but not on the design's grid of stations and levels."""
    return NoFeasibleAlignment(
        f"no grade line satisfies the level windows at the ruling grade {g_max * 1000:g} per mille on the design's "
        f"grid (windows are met at the nearest of stations {ds:.0f} m apart, on a grid of levels); use a smaller "
        "station_step_m or level_step_m")


def _grounds(gs: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, float]:
    """Each station's ground in level steps above ``z[0]``, and the step, as the kernels take them."""
    step = float(z[1] - z[0]) if z.size > 1 else 1.0
    return (gs - z[0]) / step, step


def _forward(base: np.ndarray, step: float, weight: np.ndarray, band_lo: np.ndarray, band_hi: np.ndarray,
             k: int, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cost-to-come per station over its band (flat float32 buffer and row starts); ``base`` and ``step``
    as :func:`_grounds` gives them, ``coef`` the cost model's :meth:`~CostModel.coefficients`.

    Station costs and the recurrence over stations (a sliding-window minimum of the previous
    row per station) run in one compiled kernel, :func:`corridor.align._dp.forward`.
    """
    width = band_hi - band_lo + 1
    starts = np.concatenate([[0], np.cumsum(width)[:-1]])  # row i at starts[i]
    cost = _dp.forward(base, step, weight, starts, band_lo, band_hi, k, coef)
    return cost, starts


def _runs(s: np.ndarray, kinds: np.ndarray, depth: np.ndarray, ds: float) -> tuple[Structure, ...]:
    """Runs of consecutive tunnel (bridge) stations as structures, each half a station past its end stations."""
    is_struct = (kinds == TUNNEL) | (kinds == BRIDGE)
    if not is_struct.any():
        return ()
    same_prev = np.concatenate([[False], kinds[1:] == kinds[:-1]])
    same_next = np.concatenate([kinds[:-1] == kinds[1:], [False]])
    first = np.flatnonzero(is_struct & ~same_prev)
    last = np.flatnonzero(is_struct & ~same_next)
    mags = np.maximum.reduceat(np.append(np.abs(depth), 0.0), np.ravel(np.column_stack([first, last + 1])))[::2]
    out = []
    for i, j, mag in zip(first.tolist(), last.tolist(), mags.tolist(), strict=True):
        a = max(float(s[0]), float(s[i]) - ds / 2)
        b = min(float(s[-1]), float(s[j]) + ds / 2)
        out.append(Structure(KINDS[int(kinds[i])], a, b - a, float(mag)))
    return tuple(out)
