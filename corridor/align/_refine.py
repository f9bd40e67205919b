"""Horizontal and vertical alignment together: legs searched again around their designed structures.

The grade-aware search (:mod:`corridor.align.gradesearch`) prices the ground's grade along
each move, but only the vertical design of the assembled line
(:func:`corridor.align.structures.vertical_design`) finds where the ruling grade needs a
tunnel or a viaduct: a climb that must start early on a long viaduct, a shortcut over a
spur. :func:`refine` feeds that back, leg by leg:

1. the cells under the leg's designed tunnels and bridges get their unit cost multiplied by a
   factor of ``CostParams.vertical_refine_penalties`` and the leg is searched again (the factors
   in turn, mild first, until one gives a cheaper leg);
2. the new leg is designed between the levels the current design has at its two waypoints
   (within ``CostParams.vertical_design_join_tolerance_m``), and so is the current leg: given
   those levels the rest of the line is unchanged, so the leg's designed cost decides;
3. a cheaper leg is assembled into the line and the whole line designed again; it is kept if
   the line's designed cost (``route.meta["design_cost_musd"]``) falls, and its penalty stays
   for the later legs and rounds. Otherwise the next factor is tried, and after the last the
   cells get their cost back.

Each later round searches again the legs the round before changed and their neighbours (whose
end levels may have moved), until a round changes nothing or ``CostParams.vertical_refine_rounds``
is reached. Legs that run on an existing network are left as searched. The designed cost
never rises: the result is the first line or a cheaper one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from corridor._errors import CorridorError, NoFeasibleAlignment, ParameterError
from corridor._geo import cumulative_distance
from corridor.align._assembly import (
    BlockPiece,
    Item,
    assemble_items,
    cut_spurs,
    leg_items,
    run_chain,
)
from corridor.align._problem import Problem, leg_name
from corridor.align.gradesearch import CellFields
from corridor.align.structures import vertical_design
from corridor.route import Route
from corridor.terrain import formation_at

__all__ = ["refine", "structure_cells"]

log = logging.getLogger(__name__)

#: ``solve(i, costs, fields) -> (steps, search cost)``: leg ``i`` searched over the given fields.
Solver = Callable[[int, np.ndarray, CellFields], tuple[list[Any], float]]


def structure_cells(pb: Problem, route: Route, leg: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Cells ``(rows, cols)`` under the designed tunnels and bridges of new line on ``leg``.

    The waypoints' own cells are left out; None when the leg has no such structure.
    """
    seg = route.segments
    under = seg[(seg["build"] == "new") & (seg["structure"] != "none") & (seg["leg"] == leg)]
    rows, cols = pb.cells_under(list(under.geometry))
    return None if rows.size == 0 else (rows, cols)


def _leg_ends(route: Route, leg: int) -> tuple[float, float] | None:
    """Formation levels at the start and end waypoints of ``leg`` in the route's design."""
    seg = route.segments
    on = np.flatnonzero(seg["leg"].to_numpy() == leg)
    if on.size == 0:
        return None
    off = route.offsets()
    start = float(off[on[0]])
    end = float(off[on[-1]]) + float(seg["length_m"].iloc[on[-1]])
    z = formation_at(route, np.array([start, end]), route.length_m)
    return None if z is None or not np.isfinite(z).all() else (float(z[0]), float(z[1]))


def _as_routed(pb: Problem, items: list[list[Item]], i: int, leg: list[Item]) -> list[Item]:
    """Leg ``i``'s pieces ``leg`` as the route would have them between its neighbours: spurs at its
    waypoints cut (:func:`~corridor.align._assembly.cut_spurs`), so that it ends where the levels of
    :func:`_leg_ends` are read."""
    lo = max(0, i - 1)
    cut, _stations, _spurs = cut_spurs(pb, [*items[lo:i], leg, *items[i + 1:i + 2]], first=lo)
    return cut[i - lo] or leg


def _leg_cost(pb: Problem, items: list[Item], ends: tuple[float, float]) -> float:
    """Designed cost (M USD) of a leg of new line between given levels at its two waypoints."""
    from shapely.geometry import LineString

    full, _bounds = run_chain(items)
    length = float(cumulative_distance(full[:, 0], full[:, 1])[-1])
    tol = pb.cost_params.vertical_design_join_tolerance_m
    try:
        design = vertical_design(LineString(full), mode=pb.mode, max_grade=pb.preset.max_grade, dem=pb.dem,
                                 params=pb.params, fixed_levels=[(0.0, ends[0], "leg start", tol),
                                                                 (length, ends[1], "leg end", tol)])
    except (NoFeasibleAlignment, ParameterError):
        return math.inf
    return float(design.cost_musd["total"])


def refine(pb: Problem, costs: np.ndarray, fields: CellFields, legs: list[list[Any]], leg_costs: list[float],
           items: list[list[Item]], route: Route, net: Any, name: str, solve: Solver) -> tuple[Route, dict[str, Any]]:
    """``route`` with its legs searched again around their structures while that lowers its designed cost.

    ``legs``, ``leg_costs`` and ``items`` (the route's search steps, search costs and pieces per
    leg, :func:`~corridor.align._assembly.leg_items`) are updated in place, as are ``costs`` and
    ``fields`` (the caller's working copies: the kept penalties).
    Returns the line and a summary for its meta (legs kept, designed cost before and after,
    the rule).
    """
    params = pb.cost_params
    first = best = float(route.meta["design_cost_musd"])
    current: dict[tuple[int, tuple[float, float]], float] = {}  # (leg, end levels) -> the leg's designed cost
    tried: set[tuple[int, tuple[float, float], tuple[Any, ...]]] = set()  # (leg, end levels, path) not cheaper
    kept: list[int] = []  # the legs changed, once per re-search kept
    todo = list(range(len(legs)))
    for _round in range(params.vertical_refine_rounds):
        changed = []
        for i in todo:
            cells = structure_cells(pb, route, i)
            ends = _leg_ends(route, i)
            if cells is None or ends is None or any(at is not None for _c, at, _l in items[i]):
                continue  # no structure, or the leg runs on existing line
            saved = costs[cells].copy(), fields.factor[cells].copy()
            for penalty in params.vertical_refine_penalties:  # mild first; stronger while nothing is cheaper
                costs[cells] = saved[0] * penalty
                fields.factor[cells] = saved[1] * penalty
                cand = None
                try:
                    steps, c = solve(i, costs, fields)
                    key = (i, ends, tuple(steps))
                    new = leg_items(pb, i, steps, net) if steps != legs[i] and key not in tried else []
                    if new and all(at is None for _c, at, _l in new):
                        if (i, ends) not in current:
                            current[(i, ends)] = _leg_cost(pb, _as_routed(pb, items, i, items[i]), ends)
                        if _leg_cost(pb, _as_routed(pb, items, i, new), ends) < current[(i, ends)]:
                            cand = assemble_items(pb, [*items[:i], new, *items[i + 1:]], name)
                        else:  # the same path between the same levels is not designed twice
                            tried.add(key)
                except (CorridorError, BlockPiece) as exc:  # the line as it is stays valid (a given level out of reach)
                    log.debug("%s: re-search dropped (%s)", leg_name(pb.places, i), exc)
                cost = math.inf if cand is None else float(cand.meta["design_cost_musd"])
                if cand is not None and cost < best * (1.0 - 1e-9):
                    log.debug("%s searched again (cells x%g): designed cost %.1f -> %.1f M USD",
                              leg_name(pb.places, i), penalty, best, cost)
                    route, best, legs[i], leg_costs[i], items[i] = cand, cost, steps, c, new
                    current = {key: v for key, v in current.items() if key[0] != i}
                    kept.append(i)
                    changed.append(i)
                    break
            else:  # no penalty gave a cheaper line: the cells keep their cost
                costs[cells], fields.factor[cells] = saved
        if not changed:
            break
        # next round: the changed legs (new structures) and their neighbours (their end levels may have moved)
        todo = sorted({j for i in changed for j in (i - 1, i, i + 1) if 0 <= j < len(legs)})
    legs_kept = sorted(set(kept))
    if kept:
        log.info("%s: %d leg(s) searched again around their structures; designed cost %.0f -> %.0f M USD",
                 name, len(legs_kept), first, best)
    return route, {"legs_kept": len(legs_kept), "legs": legs_kept, "searches_kept": len(kept),
                   "design_cost_musd": [first, best],
                   "rule": "each leg searched again with the cells under its designed tunnels and bridges x"
                           + "/".join(f"{p:g}" for p in params.vertical_refine_penalties)
                           + f" in turn; kept if the line's designed cost fell (at most {params.vertical_refine_rounds} "
                           "rounds); legs' search costs then include the penalty"}
