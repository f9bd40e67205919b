"""Input checks and level constraints of the vertical design.

The ground profile is checked (finite, strictly increasing chainage), and the
fixed levels (joins with existing line) and waypoint targets become level
windows at stations; :func:`precheck` tells, before the dynamic programme runs,
whether the ruling grade can join every pair of windows, naming the two
stations if not (see :mod:`corridor.align.vertical`). A fixed level known to less
than a level step (a join with a modelled line) is met exactly: the design's level
grid is put through the first such level, and :func:`meet_tight` brings the line
onto the others, which the grid meets only to within half a step.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor._errors import NoFeasibleAlignment, ParameterError
from corridor.align import _dp
from corridor.costs import CostParams

__all__ = ["Window", "check_profile", "level_windows", "meet_tight", "one_pin_per_station", "precheck", "tight",
           "waypoint_window"]


def check_profile(distance_m: Any, ground_m: Any) -> tuple[np.ndarray, np.ndarray]:
    """The profile as float arrays; :class:`ParameterError` unless it is usable for the design."""
    try:
        d = np.asarray(distance_m, dtype=float)
        g = np.asarray(ground_m, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"distance_m and ground_m must be arrays of numbers: {exc}") from exc
    if d.ndim != 1 or g.shape != d.shape or d.size < 2:
        raise ParameterError(f"distance_m and ground_m must be 1-D arrays of the same length >= 2, got shapes "
                             f"{d.shape} and {g.shape}")
    if not np.isfinite(d).all() or np.any(np.diff(d) <= 0):
        raise ParameterError("distance_m must be finite and strictly increasing (metres along the line)")
    bad = ~np.isfinite(g)
    if bad.any():
        raise ParameterError(f"ground_m has {int(bad.sum())} non-finite value(s) (first at km "
                             f"{d[np.argmax(bad)] / 1000:.2f}); fill DEM voids before the vertical design")
    return d, g


@dataclass
class Window:
    """The level window ``[lo, hi]`` (m) a station's formation must lie in."""

    station: int
    lo: float
    hi: float
    label: str
    fixed: bool  # given by the caller as a fixed level (join with existing line)
    #: Chainage (m) the level belongs to; the station is the nearest one (None: the station's own).
    at_m: float | None = None


def level_windows(d: np.ndarray, g: np.ndarray, s: np.ndarray, fixed_levels: Sequence[Any],
             waypoint_targets: Sequence[Any], params: CostParams) -> list[Window]:
    """The level windows of the fixed levels and waypoint targets at the uniform stations ``s``."""
    out: list[Window] = []
    ds = s[1] - s[0]

    def station(x: Any, what: str) -> tuple[int, float]:
        try:
            v = float(x)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"{what} distance {x!r} is not a number of metres") from exc
        if not math.isfinite(v) or v < d[0] - 1e-6 or v > d[-1] + 1e-6:
            raise ParameterError(f"{what} at {v!r} m lies outside the profile ({d[0]:.0f} to {d[-1]:.0f} m)")
        return round(float((v - s[0]) / ds)), v

    for item in fixed_levels:
        if not isinstance(item, Sequence) or isinstance(item, str) or len(item) not in (2, 3, 4):
            raise ParameterError(f"fixed level {item!r} must be (distance_m, level_m[, label[, tolerance_m]])")
        i, x = station(item[0], "fixed level")
        try:
            z = float(item[1])
            tol = float(item[3]) if len(item) == 4 else params.vertical_join_tolerance_m
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"fixed level {item!r}: level and tolerance must be numbers of metres") from exc
        if not math.isfinite(z) or not math.isfinite(tol) or tol < 0:
            raise ParameterError(f"fixed level {item!r}: level must be finite and the tolerance finite and >= 0")
        label = str(item[2]) if len(item) >= 3 else f"fixed level {z:.0f} m"
        out.append(Window(i, z - tol, z + tol, f"{label} (km {x / 1000:.2f})", True, x))
    r = params.waypoint_level_radius_m
    for item in waypoint_targets:
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) not in (1, 2):
            raise ParameterError(f"waypoint target {item!r} must be (distance_m, name)")
        i, x = station(item[0], "waypoint")
        name = str(item[1]) if len(item) == 2 else "waypoint"
        near = (d >= x - r) & (d <= x + r)
        lo, hi = waypoint_window(g[near], float(np.interp(x, d, g)), params)
        out.append(Window(i, lo, hi, f"{name} (km {x / 1000:.2f})", False, x))
    return out


def waypoint_window(near_ground: np.ndarray, here: float, params: CostParams) -> tuple[float, float]:
    """A waypoint's level window ``(lo, hi)`` (m): its station may sit on the lowest ground nearby.

    ``near_ground`` is the ground within ``params.waypoint_level_radius_m`` of the waypoint (along the
    line in the vertical design; around its cell in the level search, before there is a line), ``here``
    the ground at the waypoint. The window runs from the lowest of them less
    ``params.waypoint_level_tolerance_m`` to ``here`` (or that lowest, if higher) plus the tolerance.

    >>> import numpy as np
    >>> from corridor.costs import CostParams
    >>> waypoint_window(np.array([420.0, 380.0, 455.0]), 440.0, CostParams())
    (360.0, 460.0)
    """
    near = np.asarray(near_ground, dtype=float)
    near = near[np.isfinite(near)]
    lowest = float(near.min()) if near.size else here
    tol = params.waypoint_level_tolerance_m
    return lowest - tol, max(here, lowest) + tol


def _run(a: Window, b: Window, step: float) -> float:
    """Distance (m) between two windows: between their chainages, else their stations (``step`` apart)."""
    if a.at_m is not None and b.at_m is not None:
        return abs(b.at_m - a.at_m)
    return abs(b.station - a.station) * step


def _infeasible(a: Window, b: Window, step: float, max_grade: float) -> Exception:
    run = _run(a, b, step)
    gap = max(b.lo - a.hi, a.lo - b.hi)
    need = gap / run if run > 0 else math.inf
    msg = (f"the ruling grade {max_grade * 1000:g} per mille cannot join {a.label}, level {a.lo:.0f}-{a.hi:.0f} m, "
           f"and {b.label}, level {b.lo:.0f}-{b.hi:.0f} m: at least {gap:.0f} m of rise over {run / 1000:.2f} km "
           f"({'a grade of ' + format(need * 1000, '.1f') + ' per mille' if math.isfinite(need) else 'same station'})")
    if a.fixed and b.fixed:
        return ParameterError(msg + "; change the fixed levels or the ruling grade")
    return NoFeasibleAlignment(msg + "; add a waypoint, move it, or allow a steeper grade")


def precheck(wins: list[Window], step: float, max_grade: float) -> None:
    """Continuous feasibility of the level windows (pairwise: Helly's theorem on the line), over the
    distances between their own chainages (not their nearest stations, ``step`` apart): a pair this
    refuses cannot be joined at the ruling grade by any line."""
    order = sorted(wins, key=lambda w: w.station)
    for j, b in enumerate(order):
        for a in order[:j]:
            slack = max_grade * _run(a, b, step) + 1e-9
            if b.lo - a.hi > slack or a.lo - b.hi > slack:
                raise _infeasible(a, b, step, max_grade)


def tight(wins: list[Window], step: float) -> list[Window]:
    """Fixed levels known to less than a level step (a join with a modelled line): met exactly."""
    return [w for w in wins if w.fixed and w.hi - w.lo < step]


def one_pin_per_station(wins: list[Window], pins: list[Window]) -> tuple[list[Window], list[Window]]:
    """The windows and tight windows the level grid holds: of two joins at the nearest same station
    (between the same two stations), the first only; :func:`meet_tight` then meets both exactly.

    >>> a, b = Window(2, 103.7, 103.7, "a", True, 330.0), Window(2, 104.1, 104.1, "b", True, 370.0)
    >>> [w.label for w in one_pin_per_station([a, b], [a, b])[1]]
    ['a']
    """
    first: dict[int, Window] = {}
    for w in pins:
        first.setdefault(w.station, w)
    kept = set(map(id, first.values()))
    extra = {id(w) for w in pins if id(w) not in kept}
    return [w for w in wins if id(w) not in extra], [w for w in pins if id(w) in kept]


def meet_tight(z: np.ndarray, s: np.ndarray, ground: np.ndarray, weight: np.ndarray, coefficients: np.ndarray,
               pins: list[Window], wins: list[Window], max_grade: float) -> np.ndarray | None:
    """The grade line ``z`` (m at the uniform stations ``s``) moved to pass exactly through every tight
    window ``pins`` (:func:`tight`) of the windows ``wins`` at its chainage, at least cost; ``z`` itself
    (the same array) if it already does, None if it cannot be.

    The level grid of the design passes through the first tight window's level at its
    station, so a second one is met only to the nearest level, up to half a step off;
    and a join between two stations is met at the nearer station, not where it is (the line
    interpolated there is off by up to half a station's rise). Each join therefore asks
    for an offset at its station, or the same offset at the two stations either side of
    it. Between two such stations the offset runs from one to the other, station by station
    (each choosing among :data:`MEET_STEPS` + 1 offsets of the way and as many over those it
    can take, :func:`_cheapest_offsets`), as cheaply as the cost model (``coefficients``, USD per
    metre of line at a depth below ``ground``, times the stations' ``weight``) allows without any interval
    exceeding the ruling grade: a small dynamic programme over stations x offsets
    (:func:`corridor.align._dp.offset_path`). Before the first and after the last the offset
    runs likewise from that join's towards none, the line as designed, ending where it is
    cheapest. No station is moved out of a window it is in, or farther out of one it is not
    in (a window is met on the level grid, within a step). Where that leaves no move (two
    joins ask different offsets of one station, as two joins between the same two stations
    do, or the same offset at both stations of a join would break the ruling grade), the
    line takes the least move, in total, that meets every join exactly, a join between two
    stations by any split of its offset between them (:func:`_nearest_line`, a linear
    programme). None (the caller keeps ``z``) where the ruling grade and the windows leave
    no line through every join.

    >>> import numpy as np
    >>> s = np.array([0.0, 100.0, 200.0, 300.0])
    >>> z = np.array([100.0, 101.0, 102.0, 103.0])  # a second join at 102.6 m, 0.4 m below the grid
    >>> wins = [Window(0, 100.0, 100.0, "a", True, 0.0), Window(3, 102.6, 102.6, "b", True, 300.0)]
    >>> from corridor.align._earthworks import cost_model
    >>> from corridor.costs import CostParams
    >>> c = cost_model("rail", CostParams(), None)[0].coefficients()  # at grade everywhere: any move costs
    >>> meet_tight(z, s, z, np.ones(4), c, wins, wins, 0.0125).round(2).tolist()
    [100.0, 101.0, 102.0, 102.6]
    >>> ground = np.array([100.0, 100.6, 101.5, 102.6])  # the ground is lower before the join: move there
    >>> meet_tight(z, s, ground, np.ones(4), c, wins, wins, 0.0125).round(2).tolist()
    [100.0, 100.6, 101.6, 102.6]
    >>> meet_tight(z, s, z, np.ones(4), c, wins[1:], wins[1:], 0.0125).round(2).tolist()  # b alone
    [100.0, 101.0, 102.0, 102.6]
    >>> meet_tight(z, s, z, np.ones(4), c, wins[:1], wins[:1], 0.0125) is z  # a alone: met already
    True
    """
    anchors = _anchors(z, s, pins)  # per join: its station(s), the offset at each, and where between them
    if max(abs(e) for a in anchors for e in a.offsets) < 1e-9:
        return z
    lo = np.full(z.size, -np.inf)  # the offsets each station may take: within its windows, or no farther out
    hi = np.full(z.size, np.inf)
    for w in wins:
        if w not in pins:
            j = w.station
            lo[j] = max(lo[j], min(w.lo - z[j], 0.0) - 1e-9)
            hi[j] = min(hi[j], max(w.hi - z[j], 0.0) + 1e-9)
    limit = max_grade * float(s[1] - s[0]) + 1e-9

    need = {j: e for a in anchors for j, e in zip(a.stations, a.offsets, strict=True)}
    same = all(abs(need[j] - e) < 1e-9 for a in anchors for j, e in zip(a.stations, a.offsets, strict=True))
    # each join between two stations asks the same offset of both; else the least move through every join
    delta = _segments(z, ground, weight, coefficients, need, lo, hi, limit) if same else None
    if delta is None:
        delta = _nearest_line(z, anchors, lo, hi, limit)
    if delta is None:
        return None
    moved: np.ndarray = z + delta
    return moved


@dataclass(frozen=True)
class _Anchor:
    """A join as :func:`meet_tight` meets it: the offset(s) its station(s) take, and the join's fraction of
    the way from the first station to the second (0 for a join at a station)."""

    stations: tuple[int, ...]
    offsets: tuple[float, ...]
    t: float


def _anchors(z: np.ndarray, s: np.ndarray, pins: list[Window]) -> list[_Anchor]:
    """Each tight window as an anchor, in order along the line: the offset its station must take, or, for a
    join between two stations, the same offset at both (the line interpolated there then meets it)."""
    out: list[_Anchor] = []
    for w in pins:
        x = float(s[w.station]) if w.at_m is None else w.at_m
        i = min(max(int(np.searchsorted(s, x, side="right")) - 1, 0), s.size - 2)
        t = (x - float(s[i])) / (float(s[i + 1]) - float(s[i]))
        if t <= 1e-9 or t >= 1 - 1e-9:
            j = i if t <= 1e-9 else i + 1
            out.append(_Anchor((j,), ((w.lo + w.hi) / 2 - float(z[j]),), 0.0))
        else:
            e = (w.lo + w.hi) / 2 - float(z[i] + t * (z[i + 1] - z[i]))
            out.append(_Anchor((i, i + 1), (e, e), t))
    return sorted(out, key=lambda a: a.stations)


def _nearest_line(z: np.ndarray, anchors: list[_Anchor], lo: np.ndarray, hi: np.ndarray,
                  limit: float) -> np.ndarray | None:
    """Offsets of least total size (a linear programme, scipy's HiGHS) that put the line exactly through every
    join, a join between two stations by any split of its offset between them, with every interval within
    ``limit`` and every station's offset in ``[lo, hi]``; None if there is none (the joins and windows
    cannot be met together at the ruling grade)."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_array, hstack, vstack

    n = z.size
    rows, cols, vals, rhs = [], [], [], []
    for r, an in enumerate(anchors):  # the join's offset e = (1 - t) d_i + t d_i+1 (at a station: d_i = e)
        for j, wgt in zip(an.stations, (1.0,) if len(an.stations) == 1 else (1.0 - an.t, an.t), strict=True):
            rows.append(r)
            cols.append(j)
            vals.append(wgt)
        rhs.append(an.offsets[0])
    eq = coo_array((vals, (rows, cols)), shape=(len(anchors), n))
    step = coo_array((np.r_[-np.ones(n - 1), np.ones(n - 1)],
                      (np.r_[np.arange(n - 1), np.arange(n - 1)], np.r_[np.arange(n - 1), np.arange(1, n)])),
                     shape=(n - 1, n))  # d_j+1 - d_j
    rise = np.diff(z)
    eye = coo_array((np.ones(n), (np.arange(n), np.arange(n))), shape=(n, n))
    none = coo_array((n - 1, n))
    # variables [d, u]: minimise sum(u), u >= |d|; |rise + d_j+1 - d_j| <= limit
    a_ub = vstack([hstack([step, none]), hstack([-step, none]), hstack([eye, -eye]), hstack([-eye, -eye])])
    b_ub = np.r_[limit - rise, limit + rise, np.zeros(2 * n)]
    a_eq = hstack([eq, coo_array((len(anchors), n))])
    bounds = [(None if not np.isfinite(a) else a, None if not np.isfinite(b) else b) for a, b in zip(lo, hi, strict=True)]
    res = linprog(np.r_[np.zeros(n), np.ones(n)], A_ub=a_ub.tocsr(), b_ub=b_ub, A_eq=a_eq.tocsr(), b_eq=rhs,
                  bounds=bounds + [(0, None)] * n, method="highs")
    if res.status != 0:
        return None
    delta: np.ndarray = res.x[:n]
    return delta


def _segments(z: np.ndarray, ground: np.ndarray, weight: np.ndarray, coefficients: np.ndarray,
              need: dict[int, float], lo: np.ndarray, hi: np.ndarray, limit: float) -> np.ndarray | None:
    """Offsets that take each station of ``need`` to its offset and run, between them and to the line's ends,
    as cheaply as :func:`_cheapest_offsets` finds; None where the ruling grade or the windows leave none."""
    order = sorted(need)
    ends: list[tuple[int, int, float | None, float | None]] = [(0, order[0], None, need[order[0]])]
    ends += [(a, b, need[a], need[b]) for a, b in itertools.pairwise(order)]
    ends.append((order[-1], z.size - 1, need[order[-1]], None))
    delta = np.empty(z.size)
    for a, b, ea, eb in ends:
        if a == b:  # a join at the first (last) station: nothing before (after) it to move
            if not lo[a] - 1e-9 <= need[a] <= hi[a] + 1e-9:
                return None
            delta[a] = need[a]
            continue
        part = _cheapest_offsets(z[a:b + 1], ground[a:b + 1], weight[a:b + 1], coefficients, ea, eb, lo[a:b + 1],
                                 hi[a:b + 1], limit)
        if part is None:
            return None
        delta[a:b + 1] = part
    return delta


#: Offsets each station chooses from (:func:`meet_tight`): ``MEET_STEPS + 1`` evenly from one end's to the
#: other's, and as many evenly from the least to the greatest it can take.
MEET_STEPS = 8


def _cheapest_offsets(z: np.ndarray, ground: np.ndarray, weight: np.ndarray, coefficients: np.ndarray,
                      ea: float | None, eb: float | None, lo: np.ndarray, hi: np.ndarray,
                      limit: float) -> np.ndarray | None:
    """Offsets from ``ea`` (first station) to ``eb`` (last) of least cost whose every interval keeps the limit
    and every station's within ``[lo, hi]`` and between the two; an end given as None is free, anywhere from
    the other end's offset to 0 (:func:`corridor.align._dp.cheapest_offsets`, compiled). None if there is none."""
    out: np.ndarray = _dp.cheapest_offsets(z, ground, weight, coefficients, 0.0 if ea is None else ea,
                                           0.0 if eb is None else eb, ea is None, eb is None, lo, hi, limit,
                                           MEET_STEPS)
    return out if out.size else None
