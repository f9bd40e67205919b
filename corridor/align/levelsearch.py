"""Level-aware least-cost search: grid moves that carry the line's formation level.

The grade-aware search (:mod:`corridor.align.gradesearch`) keeps every node on the
ground, so it prices each move by its own grade and has no memory of the level the
line has reached: a side valley is crossed on the price of the moves on its flanks,
not on the viaduct a line at grade would need, and a climb costs only its steep moves,
not the kilometres of development that reach the top. Here a node is a grid cell
*and* a formation level, so the search optimises the same cost as the vertical design
(:mod:`corridor.align.vertical`) along the path it chooses.

Graph
-----
Nodes are ``(cell, level)``: for each cell of a search window, the levels
``q * J`` (``q`` the level step) from ``band_below_m`` under its ground to
``band_above_m`` over it. Moves are the 16 of the grade search (8 neighbours and
the 8 knight moves). A move of length ``L`` may change the level by at most
``floor(G * L / q)`` steps (``G`` the ruling grade), so every path of the graph
has a grade line within the limit. Its cost is ``L`` times the mean of the
per-metre cost of the vertical design's cost model (open line and earthworks of
the trapezoid cross-section, tunnel or viaduct where cheaper or beyond the cut/fill
caps; :class:`corridor.align._earthworks.CostModel`) at the two ends and at the
move's midpoint (ground interpolated bilinearly there, so a knight move cannot
jump a ridge), times the highest unit factor of the cells it touches. The graph
is a ``scipy.sparse.csr_matrix`` built with numpy array operations and solved
with ``scipy.sparse.csgraph.dijkstra`` from every admissible level of the start
cell at once.

Limits
------
The band bounds how deep a tunnel or how high a viaduct the search may plan
(beyond it the path goes round); the level step and the floor on the rise per
move make the search slightly stricter than the ruling grade on some move
directions. The line it returns is designed again, exactly, by the vertical
design; the search only chooses the horizontal line.

Examples
--------
A valley 40 m deep across the straight line: the level-aware search heads round it.

>>> import numpy as np
>>> z = np.full((7, 9), 100.0)
>>> z[1:, 4] = 60.0                               # a valley from row 1 down, across the line
>>> from corridor.align._earthworks import cost_model
>>> from corridor.costs import CostParams
>>> m, _ = cost_model("rail", CostParams(), None)
>>> p = LevelProblem(z, np.ones_like(z), np.full(7, 700.0), 900.0, m, 0.0125)
>>> path, cost, levels = search_levels(p, (1, 0), (1, 8), (90.0, 110.0), (90.0, 110.0))
>>> min(r for r, c in path), min(levels)          # round the valley's head through row 0, at grade
(0, 100.0)
>>> path, cost, levels = search_levels(p, (3, 0), (3, 8), (90.0, 110.0), (90.0, 110.0))
>>> {r for r, c in path}, min(levels)             # farther from the head: across, dipping at the grade
({3}, 85.0)
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from corridor._errors import ParameterError
from corridor.align._earthworks import CostModel
from corridor.align.gradesearch import bilinear_taps, offsets

log = logging.getLogger(__name__)

__all__ = ["MAX_EDGES", "GraphTooLarge", "LevelProblem", "search_levels"]

#: Largest graph (edges) the search builds; a bigger window is refused (the caller falls back).
MAX_EDGES = 30_000_000


class GraphTooLarge(Exception):
    """The window's graph would pass :data:`MAX_EDGES`; the caller uses another search for the leg."""


@dataclass(frozen=True)
class LevelProblem:
    """Inputs of :func:`search_levels` over one window.

    Attributes
    ----------
    z : numpy.ndarray
        Ground level of every cell (m; NaN = void).
    factor : numpy.ndarray
        Unit factor of every cell (``inf`` = the line may not enter).
    dx : numpy.ndarray
        Cell width of every row (m).
    dy : float
        Cell height (m).
    model : CostModel
        Per-metre cost model of the vertical design.
    max_grade : float
        Ruling grade (ratio).
    level_step_m : float
        Level step ``q``.
    band_below_m, band_above_m : float
        Deepest formation under the ground (tunnel) and highest over it (viaduct) the search plans.
    """

    z: np.ndarray
    factor: np.ndarray
    dx: np.ndarray
    dy: float
    model: CostModel
    max_grade: float
    level_step_m: float = 2.5
    band_below_m: float = 200.0
    band_above_m: float = 60.0

    def __post_init__(self) -> None:
        for name in ("level_step_m", "band_below_m", "band_above_m", "dy", "max_grade"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and v > 0):
                raise ParameterError(f"level search: {name} must be a finite number > 0, got {v!r}")


def _shift(a: np.ndarray, r: int, c: int, h: int, w: int) -> np.ndarray:
    return a[r:r + h, c:c + w]


def search_levels(p: LevelProblem, start: tuple[int, int], end: tuple[int, int],
                  start_levels: tuple[float, float], end_levels: tuple[float, float]
                  ) -> tuple[list[tuple[int, int]], float, list[float]]:
    """Least-cost path of cells and formation levels from ``start`` to ``end``.

    ``start_levels`` / ``end_levels`` are the level windows ``(lo, hi)`` (m) the
    formation must lie in at the two cells. Returns the cell path, its cost (USD,
    ``inf`` and an empty path if unreachable) and the level at each cell.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    z = np.asarray(p.z, dtype=float)
    rows, cols = z.shape
    q = float(p.level_step_m)
    nb = math.ceil(p.band_below_m / q)
    na = math.ceil(p.band_above_m / q)
    nl = nb + na + 1
    ok = np.isfinite(z) & np.isfinite(p.factor)
    zz = np.where(ok, z, 0.0)
    g = np.rint(zz / q).astype(np.int64)  # level index of each cell's ground
    lev0 = g - nb  # level index of slot 0 of each cell
    slots = np.arange(nl)
    # per-metre cost of each (cell, slot): depth = ground - level
    depth = zz[..., None] - (lev0[..., None] + slots) * q
    node_cost = p.model.costs(depth.reshape(-1)).reshape(rows, cols, nl).astype(np.float64)
    n_nodes = rows * cols * nl
    srcs: list[np.ndarray] = []
    dsts: list[np.ndarray] = []
    ws: list[np.ndarray] = []
    n_edges = 0
    fac = np.where(ok, p.factor, np.inf)
    for dr, dc in offsets(16):  # the grade search's 16 moves, each followed by its reverse
        ra, rb = max(0, -dr), rows - max(0, dr)
        ca, cb = max(0, -dc), cols - max(0, dc)
        h, w = rb - ra, cb - ca
        if h <= 0 or w <= 0:
            continue
        xr = (p.dx[ra:rb] + p.dx[ra + dr:rb + dr]) / 2
        length = np.broadcast_to(np.hypot(dc * xr, dr * p.dy)[:, None], (h, w))
        k = np.floor(p.max_grade * length / q + 1e-9).astype(np.int64)
        fa = _shift(fac, ra, ca, h, w)
        fb = _shift(fac, ra + dr, ca + dc, h, w)
        # the midpoint: bilinear ground of the cells around it, and their factors
        zm = np.zeros((h, w))
        fm = np.maximum(fa, fb)
        for rr, cc, wt in bilinear_taps(dr / 2, dc / 2):
            zm += wt * _shift(zz, ra + rr, ca + cc, h, w)
            fm = np.maximum(fm, _shift(fac, ra + rr, ca + cc, h, w))
        valid = np.isfinite(fm)
        if not valid.any():
            continue
        ia, ja = np.nonzero(valid)
        ia_g, ja_g = ia + ra, ja + ca
        ib_g, jb_g = ia_g + dr, ja_g + dc
        cell_a = ia_g * cols + ja_g
        cell_b = ib_g * cols + jb_g
        la = lev0[ia_g, ja_g]
        lb = lev0[ib_g, jb_g]
        kk = k[ia, ja]
        move_len = length[ia, ja]
        f = fm[ia, ja]
        zmid = zm[ia, ja]
        ca_cost = node_cost[ia_g, ja_g]  # (m, nl)
        cb_cost = node_cost[ib_g, jb_g]
        kmax = int(kk.max())
        for d in range(-kmax, kmax + 1):
            sel = kk >= abs(d)
            if not sel.any():
                continue
            # slot sb of b for slot sa of a: lev0a + sa + d = lev0b + sb
            off = (la - lb + d)[sel]  # sb = sa + off
            sa = slots[None, :]
            sb = sa + off[:, None]
            good = (sb >= 0) & (sb < nl)
            if not good.any():
                continue
            mi, si = np.nonzero(good)
            idx = np.flatnonzero(sel)[mi]
            sbi = sb[mi, si]
            lvl_mid = (la[idx] + si + d / 2.0) * q
            cm = p.model.costs((zmid[idx] - lvl_mid).astype(np.float32)).astype(np.float64)
            wgt = move_len[idx] * (0.25 * ca_cost[idx, si] + 0.5 * cm + 0.25 * cb_cost[idx, sbi]) * f[idx]
            srcs.append(cell_a[idx] * nl + si)
            dsts.append(cell_b[idx] * nl + sbi)
            ws.append(wgt)
            n_edges += idx.size
            if n_edges > MAX_EDGES:
                raise GraphTooLarge(f"level search window too large ({n_edges:,} edges so far)")
    if not ws:
        return [], math.inf, []
    src = np.concatenate(srcs)
    dst = np.concatenate(dsts)
    weights = np.concatenate(ws)
    itype = np.int32 if n_nodes < 2**31 - 1 else np.int64
    mat = csr_matrix((weights, (src.astype(itype), dst.astype(itype))), shape=(n_nodes, n_nodes))
    del src, dst, weights, srcs, dsts, ws

    def nodes_in(cell: tuple[int, int], win: tuple[float, float]) -> np.ndarray:
        r, c = cell
        levels = (lev0[r, c] + slots) * q
        sel = (levels >= win[0] - q / 2) & (levels <= win[1] + q / 2)
        return np.asarray((r * cols + c) * nl + slots[sel], dtype=np.int64)

    s_nodes = nodes_in(start, start_levels)
    t_nodes = nodes_in(end, end_levels)
    if s_nodes.size == 0 or t_nodes.size == 0:
        return [], math.inf, []
    dist, pred, _origin = dijkstra(mat, directed=True, indices=s_nodes, min_only=True,
                                  return_predecessors=True)
    best_t = int(t_nodes[np.argmin(dist[t_nodes])])
    cost = float(dist[best_t])
    if not math.isfinite(cost):
        return [], math.inf, []
    seq = [best_t]
    while pred[seq[-1]] >= 0:
        seq.append(int(pred[seq[-1]]))
    seq.reverse()
    arr = np.asarray(seq, dtype=np.int64)
    cells = arr // nl
    path = [(int(c // cols), int(c % cols)) for c in cells]
    levels = [float((lev0[r, c] + int(s)) * q) for (r, c), s in zip(path, arr % nl, strict=True)]
    log.debug("level search: %d nodes, %d edges, cost %.0f", n_nodes, n_edges, cost)
    return path, cost, levels
