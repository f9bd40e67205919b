"""Input checks and level constraints of the vertical design.

The ground profile is checked (finite, strictly increasing chainage), and the
fixed levels (joins with existing line) and waypoint targets become level
windows at stations; :func:`precheck` tells, before the dynamic programme runs,
whether the ruling grade can join every pair of windows, naming the two
stations if not (see :mod:`corridor.align.vertical`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor._errors import NoFeasibleAlignment, ParameterError
from corridor.costs import CostParams

__all__ = ["Window", "check_profile", "level_windows", "precheck", "waypoint_window"]


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
        out.append(Window(i, z - tol, z + tol, f"{label} (km {x / 1000:.2f})", True))
    r = params.waypoint_level_radius_m
    for item in waypoint_targets:
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) not in (1, 2):
            raise ParameterError(f"waypoint target {item!r} must be (distance_m, name)")
        i, x = station(item[0], "waypoint")
        name = str(item[1]) if len(item) == 2 else "waypoint"
        near = (d >= x - r) & (d <= x + r)
        lo, hi = waypoint_window(g[near], float(np.interp(x, d, g)), params)
        out.append(Window(i, lo, hi, f"{name} (km {x / 1000:.2f})", False))
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


def _infeasible(a: Window, b: Window, step: float, max_grade: float) -> Exception:
    run = abs(b.station - a.station) * step
    gap = max(b.lo - a.hi, a.lo - b.hi)
    need = gap / run if run > 0 else math.inf
    msg = (f"the ruling grade {max_grade * 1000:g} per mille cannot join {a.label}, level {a.lo:.0f}-{a.hi:.0f} m, "
           f"and {b.label}, level {b.lo:.0f}-{b.hi:.0f} m: at least {gap:.0f} m of rise over {run / 1000:.2f} km "
           f"({'a grade of ' + format(need * 1000, '.1f') + ' per mille' if math.isfinite(need) else 'same station'})")
    if a.fixed and b.fixed:
        return ParameterError(msg + "; change the fixed levels or the ruling grade")
    return NoFeasibleAlignment(msg + "; add a waypoint, move it, or allow a steeper grade")


def precheck(wins: list[Window], step: float, max_grade: float) -> None:
    """Continuous feasibility of the level windows (pairwise: Helly's theorem on the line)."""
    order = sorted(wins, key=lambda w: w.station)
    for j, b in enumerate(order):
        for a in order[:j]:
            slack = max_grade * abs(b.station - a.station) * step + 1e-9
            if b.lo - a.hi > slack or a.lo - b.hi > slack:
                raise _infeasible(a, b, step, max_grade)
