"""corridor.align.levelsearch: cells x formation levels, priced by the vertical design's cost model.

Fixtures are synthetic grids built here (flat ground, a ramp steeper than the ruling grade, a valley
across the line); the small ones are checked against a brute-force search written independently.
"""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np
import pytest

from corridor import ParameterError
from corridor.align._earthworks import cost_model
from corridor.align.levelsearch import LevelProblem, search_levels
from corridor.costs import CostParams

G = 0.0125
MODEL, _ = cost_model("rail", CostParams(), None)


def _problem(z: np.ndarray, **kw: float) -> LevelProblem:
    return LevelProblem(z, np.ones_like(z), np.full(z.shape[0], 700.0), 900.0, MODEL, G, **kw)


def _move_cost(p: LevelProblem, a: tuple[int, int], la: float, b: tuple[int, int], lb: float) -> float:
    """Cost of one move, written from the module docstring (ends 1/4, midpoint 1/2, bilinear ground)."""
    dr, dc = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dc * (p.dx[a[0]] + p.dx[b[0]]) / 2, dr * p.dy)
    mr, mc = a[0] + dr / 2, a[1] + dc / 2
    r0, c0 = math.floor(mr), math.floor(mc)
    fr, fc = mr - r0, mc - c0
    zm = 0.0
    for rr, cc, wt in ((r0, c0, (1 - fr) * (1 - fc)), (r0 + 1, c0, fr * (1 - fc)),
                       (r0, c0 + 1, (1 - fr) * fc), (r0 + 1, c0 + 1, fr * fc)):
        if wt > 1e-12:
            zm += wt * p.z[rr, cc]
    c = [float(MODEL.costs(np.array([d], dtype=np.float32))[0])
         for d in (p.z[a] - la, zm - (la + lb) / 2, p.z[b] - lb)]
    return length * (0.25 * c[0] + 0.5 * c[1] + 0.25 * c[2])


def test_flat_ground_is_a_straight_line_at_grade():
    p = _problem(np.full((3, 7), 500.0))
    path, cost, levels = search_levels(p, (1, 0), (1, 6), (480.0, 520.0), (480.0, 520.0))
    assert path == [(1, c) for c in range(7)]
    assert levels == [500.0] * 7
    assert cost == pytest.approx(6 * 700.0 * MODEL.open_usd_m, rel=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_small_random_grids_match_a_brute_force_search(seed):
    rng = np.random.default_rng(seed)
    z = 300.0 + np.cumsum(rng.normal(0.0, 12.0, (4, 5)), axis=1)
    p = _problem(z, level_step_m=5.0, band_below_m=30.0, band_above_m=30.0)
    lo, hi = z[1, 0] - 10.0, z[1, 0] + 10.0
    elo, ehi = z[2, 4] - 25.0, z[2, 4] + 25.0
    _path, cost, _lv = search_levels(p, (1, 0), (2, 4), (lo, hi), (elo, ehi))
    brute = _brute_windows(p, (1, 0), (2, 4), (lo, hi), (elo, ehi))
    assert cost == pytest.approx(brute, rel=1e-5)


def _brute_windows(p: LevelProblem, start: tuple[int, int], end: tuple[int, int],
                   sw: tuple[float, float], ew: tuple[float, float]) -> float:
    q = p.level_step_m
    best = math.inf
    # every admissible end level in turn: the least cost of reaching it, from any start level
    g = round(p.z[end] / q)
    for j in range(g - math.ceil(p.band_below_m / q), g + math.ceil(p.band_above_m / q) + 1):
        lv = q * j
        if ew[0] - q / 2 <= lv <= ew[1] + q / 2:
            best = min(best, _brute_to(p, start, sw, end, lv))
    return best


def _brute_to(p: LevelProblem, start: tuple[int, int], sw: tuple[float, float], end: tuple[int, int],
              target: float) -> float:
    """Dijkstra over explicit (cell, level) tuples with the rules restated: a reference, not the module."""
    q = p.level_step_m
    rows, cols = p.z.shape
    moves = [(dr, dc) for dr, dc in itertools.product(range(-2, 3), repeat=2)
             if (dr, dc) != (0, 0) and sorted((abs(dr), abs(dc))) in ([0, 1], [1, 1], [1, 2])]

    def levels(cell: tuple[int, int]) -> list[float]:
        g = round(p.z[cell] / q)
        return [q * j for j in range(g - math.ceil(p.band_below_m / q), g + math.ceil(p.band_above_m / q) + 1)]

    heap = [(0.0, start, lv) for lv in levels(start) if sw[0] - q / 2 <= lv <= sw[1] + q / 2]
    heapq.heapify(heap)
    seen: set[tuple[tuple[int, int], float]] = set()
    while heap:
        dist, cell, lv = heapq.heappop(heap)
        if (cell, lv) in seen:
            continue
        seen.add((cell, lv))
        if cell == end and abs(lv - target) < 1e-9:
            return dist
        for dr, dc in moves:
            b = (cell[0] + dr, cell[1] + dc)
            if not (0 <= b[0] < rows and 0 <= b[1] < cols):
                continue
            length = math.hypot(dc * (p.dx[cell[0]] + p.dx[b[0]]) / 2, dr * p.dy)
            k = math.floor(G * length / q + 1e-9)
            for lb in levels(b):
                if abs(lb - lv) <= k * q + 1e-9 and (b, lb) not in seen:
                    heapq.heappush(heap, (dist + _move_cost(p, cell, lv, b, lb), b, lb))
    return math.inf


def test_every_move_keeps_within_the_ruling_grade_on_a_steep_ramp():
    z = np.tile(np.arange(12) * 30.0 + 100.0, (9, 1))  # 30 m a 700 m cell: 43 per mille, 3.4x the limit
    p = _problem(z)
    path, cost, levels = search_levels(p, (4, 0), (4, 11), (90.0, 110.0), (420.0, 440.0))
    assert math.isfinite(cost)
    for (a, la), (b, lb) in itertools.pairwise(zip(path, levels, strict=True)):
        length = math.hypot((b[1] - a[1]) * 700.0, (b[0] - a[0]) * 900.0)
        assert abs(lb - la) <= G * length + 1e-9
    # the line cannot climb 330 m in 7.7 km at 12.5 per mille: it develops length (zig-zags) or tunnels/bridges
    assert len(path) > 12 or cost > 11 * 700.0 * MODEL.open_usd_m * 1.5


def test_a_valley_is_headed_round_near_its_head_and_crossed_far_from_it():
    z = np.full((7, 9), 100.0)
    z[1:, 4] = 60.0
    p = _problem(z)
    near, _c, lv = search_levels(p, (1, 0), (1, 8), (90.0, 110.0), (90.0, 110.0))
    assert min(r for r, _c2 in near) == 0 and min(lv) == 100.0
    far, _c, lv = search_levels(p, (5, 0), (5, 8), (90.0, 110.0), (90.0, 110.0))
    assert {r for r, _c2 in far} == {5} and min(lv) < 100.0  # dips at the grade towards the valley


def test_excluded_cells_are_never_entered_and_unreachable_is_inf():
    z = np.full((5, 7), 100.0)
    f = np.ones_like(z)
    f[:, 3] = np.inf
    p = LevelProblem(z, f, np.full(5, 700.0), 900.0, MODEL, G)
    path, cost, levels = search_levels(p, (2, 0), (2, 6), (90.0, 110.0), (90.0, 110.0))
    assert path == [] and math.isinf(cost) and levels == []
    f[0, 3] = 1.0
    p = LevelProblem(z, f, np.full(5, 700.0), 900.0, MODEL, G)
    path, cost, _lv = search_levels(p, (2, 0), (2, 6), (90.0, 110.0), (90.0, 110.0))
    assert math.isfinite(cost) and all(c != 3 or r == 0 for r, c in path)


@pytest.mark.parametrize("field", ["level_step_m", "band_below_m", "band_above_m", "dy", "max_grade"])
@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan])
def test_bad_parameters_are_a_parameter_error(field, bad):
    kw = {"z": np.zeros((2, 2)), "factor": np.ones((2, 2)), "dx": np.ones(2), "dy": 1.0, "model": MODEL,
          "max_grade": G, field: bad}
    with pytest.raises(ParameterError, match=field):
        LevelProblem(**kw)


def test_trace_with_the_level_search_keeps_grades_and_units():
    from corridor.align import trace

    r = trace(["Meghri", "Ordubad"], mode="rail", stay_in=["ARM", "NAX"], search="level")
    assert r.meta["search"] == "level" and "level-aware" in r.meta["engine"]
    assert set(r.segments["unit"]) <= {"ARM", "NAX"}
    (run,) = r.meta["formation"]["runs"]
    grade = np.abs(np.diff(run["level_m"]) / np.diff(run["distance_m"]))
    assert grade.max() <= 0.0125 + 1e-6
