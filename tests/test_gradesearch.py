"""Tests of corridor.align.gradesearch: the grade-aware move graph, its solver and the adaptive window.

DEMs are generated here or by tests/_demgen.py (planes, valleys and walls with
known geometry); the reference shortest paths are computed independently with
networkx over edge weights written out move by move in plain Python.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from affine import Affine

from corridor._errors import ParameterError
from corridor.align import Grid
from corridor.align.gradesearch import (
    GradeModel,
    build_graph,
    cell_fields,
    move_cost,
    offsets,
    search,
)
from tests import _demgen

RAIL = GradeModel.for_mode("rail")


def _moves(path, fields):
    """Length (m) and ground grade of every move of a cell path (end points; planes are linear)."""
    out = []
    for (r1, c1), (r2, c2) in itertools.pairwise(path):
        dxm = (fields.dx[r1] + fields.dx[r2]) / 2
        length = math.hypot((c2 - c1) * dxm, (r2 - r1) * fields.dy)
        out.append((length, (fields.z[r2, c2] - fields.z[r1, c1]) / length))
    return out


def _path_cost(path, fields, model):
    """Cost of a cell path summed move by move (end points only: valid on planes)."""
    total = 0.0
    for (r1, c1), (r2, c2) in itertools.pairwise(path):
        dxm = (fields.dx[r1] + fields.dx[r2]) / 2
        length = math.hypot((c2 - c1) * dxm, (r2 - r1) * fields.dy)
        total += float(move_cost(np.array([length]), np.array([fields.z[r2, c2] - fields.z[r1, c1]]),
                                 np.array([(fields.open[r1, c1] + fields.open[r2, c2]) / 2]),
                                 np.array([(fields.struct[r1, c1] + fields.struct[r2, c2]) / 2]), model)[0])
    return total


# --------------------------------------------------------------- model
def test_model_prices_come_from_cost_params():
    from corridor.costs import CostParams

    p = CostParams()
    unit = p.rail_new_musd_per_km[1] * p.rail_terrain_flat[1]
    assert RAIL.tunnel == pytest.approx(p.rail_tunnel_musd_per_km[1] / unit)
    assert RAIL.bridge == pytest.approx(p.rail_bridge_musd_per_km[1] / unit)
    assert RAIL.open_factors[2] == pytest.approx(p.rail_terrain_mountainous[1] / p.rail_terrain_flat[1])
    dear = GradeModel.for_mode("rail", params=p.replace(rail_tunnel_musd_per_km=(50.0, 80.0, 90.0)))
    assert dear.tunnel == pytest.approx(2 * RAIL.tunnel)
    with pytest.raises(ParameterError):
        GradeModel.for_mode("rail", max_grade=1.5)
    with pytest.raises(ParameterError):
        offsets(12)


def test_move_cost_is_open_within_the_limit_and_continuous_above():
    g = RAIL.max_grade
    L = np.full(3, 100.0)
    c = move_cost(L, np.array([0.0, g * 100, -g * 100]), np.ones(3), np.full(3, RAIL.tunnel), RAIL)
    assert c[0] == pytest.approx(100.0) and c[1] == pytest.approx(100.0 * (1 + RAIL.grade_penalty))
    assert c[2] == c[1]  # climbing and descending alike
    just = move_cost(L[:1], np.array([g * 100 * 1.0001]), np.ones(1), np.full(1, RAIL.tunnel), RAIL)
    assert just[0] == pytest.approx(c[1], rel=1e-3)  # no jump at the limit
    steep = move_cost(L[:1], np.array([1000.0]), np.ones(1), np.full(1, RAIL.tunnel), RAIL)
    assert steep[0] == pytest.approx(100.0 * RAIL.tunnel, rel=0.01)  # a cliff is all structure


# --------------------------------------------------------------- known answers
def test_uniform_slope_steeper_than_ruling_grade_develops():
    # a plane rising 2 % northwards (res 0.0005 deg: cells ~43 x 56 m): straight up is 1.6x the
    # ruling grade; knight moves across it climb at ~1.1 % and are within the limit
    z, tr = _demgen.slope(grade=0.02, n=61)
    g = Grid(z, tr)
    f = cell_fields(g, np.ones(z.shape), RAIL)
    start, end = (58, 30), (2, 30)
    path, cost = search(g, np.ones(z.shape), RAIL, start, end, fields=f)
    assert path[0] == start and path[-1] == end
    moves = _moves(path, f)
    length = sum(m[0] for m in moves)
    straight = (start[0] - end[0]) * f.dy
    assert length > 1.5 * straight  # developed: zig-zags across the slope
    assert max(abs(m[1]) for m in moves) <= RAIL.max_grade + 1e-9  # every move within the limit
    assert len({c for _, c in path}) > 5  # it really goes sideways
    straight_path = [(r, 30) for r in range(start[0], end[0] - 1, -1)]
    assert cost == pytest.approx(_path_cost(path, f, RAIL), rel=1e-6)
    assert cost < _path_cost(straight_path, f, RAIL)


def test_gentle_slope_goes_straight():
    z, tr = _demgen.slope(grade=0.005, n=41)
    g = Grid(z, tr)
    path, _ = search(g, np.ones(z.shape), RAIL, (38, 20), (2, 20))
    assert {c for _, c in path} == {20}


def _valley(n_rows=61, n_cols=121, floor_grade=0.004, side=0.15, half_floor=2, amp=18.0):
    """A winding valley: floor rising ``floor_grade`` eastwards, sides ``side`` steep across it.

    The axis is a sine (amplitude ``amp`` rows); the floor is ``2 * half_floor + 1`` rows wide.
    """
    res = 0.0005
    tr = Affine(res, 0, 45.0, 0, -res, 40.0)
    g = Grid(np.zeros((n_rows, n_cols)), tr)
    dx, dy = g.cell_m()
    rows, cols = np.indices((n_rows, n_cols))
    axis = n_rows // 2 + amp * np.sin(2 * np.pi * np.arange(n_cols) / (n_cols - 1))
    d = np.abs(rows - axis[None, :])
    east = cols * float(dx.mean())
    z = 500.0 + floor_grade * east + side * dy * np.clip(d - half_floor, 0, None)
    return Grid(z, tr), axis


def test_winding_valley_is_followed():
    g, axis = _valley()
    f = cell_fields(g, np.ones(g.shape), RAIL)
    start, end = (round(axis[0]), 0), (round(axis[-1]), g.shape[1] - 1)
    path, cost = search(g, np.ones(g.shape), RAIL, start, end, fields=f)
    off = [abs(r - axis[c]) for r, c in path]
    assert max(off) <= 2.5  # on the floor all the way round both bends
    moves = _moves(path, f)
    assert max(abs(m[1]) for m in moves) <= RAIL.max_grade
    # the straight line across the spurs would need structures: dearer
    straight = [(start[0], c) for c in range(g.shape[1])]
    assert cost < _path_cost(straight, f, RAIL)


# --------------------------------------------------------------- solver vs brute force
def _brute_force_weights(f, model, connectivity, allowed=None):
    """Edge weights written out move by move (plain Python, bilinear inner points)."""
    rows, cols = f.shape
    edges = {}
    for r in range(rows):
        for c in range(cols):
            for dr, dc in offsets(connectivity):
                r2, c2 = r + dr, c + dc
                if not (0 <= r2 < rows and 0 <= c2 < cols):
                    continue
                n = max(abs(dr), abs(dc))
                pts = []
                touched = {(r, c), (r2, c2)}
                for q in range(n + 1):
                    y, x = r + q * dr / n, c + q * dc / n
                    y0, x0 = math.floor(y), math.floor(x)
                    fy, fx = y - y0, x - x0
                    zz = oo = ss = 0.0
                    for yy, xx, wt in ((y0, x0, (1 - fy) * (1 - fx)), (y0 + 1, x0, fy * (1 - fx)),
                                       (y0, x0 + 1, (1 - fy) * fx), (y0 + 1, x0 + 1, fy * fx)):
                        if wt > 1e-12:
                            zz += wt * f.z[yy, xx]
                            oo += wt * f.open[yy, xx]
                            ss += wt * f.struct[yy, xx]
                            touched.add((yy, xx))
                    pts.append((zz, oo, ss))
                fac = max(f.factor[t] if allowed is None or allowed[t] else math.inf for t in touched)
                if not math.isfinite(fac):
                    continue
                seg = math.hypot(dc * (f.dx[r] + f.dx[r2]) / 2, dr * f.dy) / n
                w = 0.0
                for q in range(n):
                    w += float(move_cost(np.array([seg]), np.array([pts[q + 1][0] - pts[q][0]]),
                                         np.array([(pts[q][1] + pts[q + 1][1]) / 2]),
                                         np.array([(pts[q][2] + pts[q + 1][2]) / 2]), model)[0])
                edges[(r * cols + c, r2 * cols + c2)] = w * fac
    return edges


@pytest.mark.parametrize(("connectivity", "symmetric"), [(8, True), (16, True), (32, True), (16, False)])
def test_costs_equal_networkx_dijkstra(connectivity, symmetric, monkeypatch):
    import networkx as nx

    from corridor.align import gradesearch as _gradesearch

    # symmetric=False prices every reverse move on its own (the path an asymmetric model takes)
    monkeypatch.setattr(_gradesearch, "SYMMETRIC", symmetric)

    rng = np.random.default_rng(7)
    z = 800 + np.cumsum(rng.normal(0, 6, (11, 13)), axis=0) + 3 * np.arange(13)[None, :]
    g = Grid(z, Affine(1 / 1200, 0, 45.0, 0, -1 / 1200, 40.0))
    fac = np.ones(z.shape)
    fac[3:8, 6] = np.inf  # a wall with a way round
    fac[1, 1:4] = 3.0  # a penalised patch
    f = cell_fields(g, fac, RAIL)
    mat = build_graph(f, RAIL, connectivity)
    ref = _brute_force_weights(f, RAIL, connectivity)
    coo = mat.tocoo()
    got = {(int(a), int(b)): float(w) for a, b, w in zip(coo.row, coo.col, coo.data, strict=True)}
    assert set(got) == set(ref)
    assert all(got[k] == pytest.approx(ref[k], rel=1e-6) for k in ref)
    G = nx.DiGraph()
    G.add_weighted_edges_from((a, b, w) for (a, b), w in ref.items())
    cols = z.shape[1]
    for s, t in [((10, 0), (0, 12)), ((5, 2), (5, 11)), ((0, 0), (10, 12))]:
        path, cost = search(g, fac, RAIL, s, t, connectivity=connectivity, fields=f)
        want = nx.dijkstra_path_length(G, s[0] * cols + s[1], t[0] * cols + t[1])
        assert cost == pytest.approx(want, rel=1e-6)
        assert all(fac[p] < math.inf for p in path)


def test_excluded_cells_are_never_touched_nor_jumped():
    # a one-cell diagonal wall of excluded cells: 8-neighbour diagonals and knight moves
    # could slip between its cells if the inner points were not checked
    z = np.full((40, 40), 500.0)
    g = Grid(z, Affine(1 / 1200, 0, 45.0, 0, -1 / 1200, 40.0))
    fac = np.ones(z.shape)
    for k in range(40):
        fac[k, 39 - k] = np.inf
        if k < 39:
            fac[k, 38 - k] = np.inf  # two cells thick along the diagonal: no corner gaps
    fac[30:33, 7:10] = 1.0  # the only way through
    fac[31, 8] = 1.0
    f = cell_fields(g, fac, RAIL)
    path, cost = search(g, fac, RAIL, (2, 2), (37, 37), fields=f, connectivity=32)
    assert math.isfinite(cost)
    assert all(np.isfinite(fac[p]) for p in path)
    side = [r + c < 38 for r, c in path]
    cross = [i for i in range(len(side) - 1) if side[i] != side[i + 1]]
    assert cross and all(29 <= path[i][0] <= 33 for i in cross)


def test_penalty_factor_is_avoided_when_a_detour_is_cheap():
    z = np.full((30, 60), 500.0)
    g = Grid(z, Affine(1 / 1200, 0, 45.0, 0, -1 / 1200, 40.0))
    fac = np.ones(z.shape)
    fac[5:25, 20:40] = 5.0
    path, _ = search(g, fac, RAIL, (15, 2), (15, 57))
    assert not any(5 <= r < 25 and 20 <= c < 40 for r, c in path)
    path, _ = search(g, np.ones(z.shape), RAIL, (15, 2), (15, 57))
    assert any(5 <= r < 25 and 20 <= c < 40 for r, c in path)


# --------------------------------------------------------------- through trace
def test_trace_grade_search_respects_avoid_and_keeps_slope_option():
    from corridor.align import trace

    r = trace(["Ordubad", "Agarak"], mode="road", avoid=["IRN"])
    seg = r.segments
    assert float(seg.loc[seg["unit"] == "IRN", "length_m"].sum()) == 0.0
    assert r.meta["search"] == "grade" and "grade-aware" in r.meta["engine"]
    old = trace(["Ordubad", "Agarak"], mode="road", avoid=["IRN"], search="slope")
    assert old.meta["search"] == "slope" and "MCP_Geometric" in old.meta["engine"]
    with pytest.raises(ParameterError, match="search"):
        trace(["Ordubad", "Agarak"], mode="road", search="fast")


def test_trace_stay_in_keeps_the_line_in_the_units():
    from corridor.align import trace

    r = trace(["Ordubad", "Meghri"], mode="rail", stay_in=["NAX", "ARM"])
    assert set(r.segments["unit"]) <= {"NAX", "ARM"}
