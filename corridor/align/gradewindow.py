"""Windowed grade-aware search: a leg solved in a corridor around it, with a proof of optimality.

The move graph of :mod:`corridor.align.gradesearch` over a whole DEM is large;
most legs' best paths stay near the straight line between their waypoints.
:func:`search_windowed` solves inside a corridor around the straight leg and
proves the answer: any path leaving the window has to leave it at a boundary
cell ``b1`` and come back at ``b2``, so it costs at least
``d_start(b1) + c_min * |b1 b2| + d_end(b2)`` (``c_min`` = lowest cost per metre
anywhere in the grid, ``|b1 b2|`` a lower bound of the metric distance). When
the window's best path touches the window edge, or the bound is below its cost,
the corridor is doubled and the leg solved again (at worst over the whole
grid), so the windowed cost equals the whole-grid cost.

Examples
--------
>>> import numpy as np
>>> from affine import Affine
>>> from corridor.align.gradesearch import GradeModel, cell_fields, search
>>> from corridor.align.surface import Grid
>>> g = Grid(np.zeros((30, 40)), Affine(1 / 1200, 0, 45.0, 0, -1 / 1200, 40.0))
>>> m = GradeModel.for_mode("rail")
>>> f = cell_fields(g, np.ones(g.shape), m)
>>> res = search_windowed(g, f, m, (15, 2), (15, 37), half_width_m=300.0)
>>> res.certified, res.cost == search(g, np.ones(g.shape), m, (15, 2), (15, 37), fields=f)[1]
(True, True)
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from corridor.align.gradesearch import (
    CellFields,
    GradeModel,
    build_graph,
    cell_path,
    offsets,
    search,
)
from corridor.align.surface import Grid

log = logging.getLogger(__name__)

__all__ = ["WindowResult", "search_windowed", "segment_mask", "window_bounds"]


@dataclass
class WindowResult:
    """Outcome of :func:`search_windowed`: path (grid cells), cost, windows tried, proof."""

    path: list[tuple[int, int]]
    cost: float
    windows: list[tuple[int, int, int, int]]
    certified: bool
    half_width_m: float | None


def window_bounds(shape: tuple[int, int], a: tuple[int, int], b: tuple[int, int], ry: float,
                  rx: float) -> tuple[int, int, int, int]:
    """Rows ``r0:r1`` and columns ``c0:c1`` of the cells within ``ry`` rows and ``rx`` columns of the
    cell segment a-b (its bounding box grown by them and a cell's margin), clipped to ``shape``."""
    rows, cols = shape
    return (max(0, math.floor(min(a[0], b[0]) - ry) - 1), min(rows, math.ceil(max(a[0], b[0]) + ry) + 2),
            max(0, math.floor(min(a[1], b[1]) - rx) - 1), min(cols, math.ceil(max(a[1], b[1]) + rx) + 2))


def segment_mask(shape: tuple[int, int], r0: int, c0: int, a: tuple[int, int], b: tuple[int, int],
                 sx: float, sy: float, half_m: float) -> np.ndarray:
    """Cells of a window (offset ``r0, c0``) within ``half_m`` of the cell segment a-b (metric sx, sy)."""
    rr, cc = np.indices(shape)
    py, px = (rr + r0 - a[0]) * sy, (cc + c0 - a[1]) * sx
    by, bx = (b[0] - a[0]) * sy, (b[1] - a[1]) * sx
    ll = bx * bx + by * by
    t = np.clip((px * bx + py * by) / ll, 0.0, 1.0) if ll > 0 else np.zeros(shape)
    return np.asarray(np.hypot(px - t * bx, py - t * by) <= half_m)


def _boundary(inside: np.ndarray, reach: int, r0: int, c0: int, full: tuple[int, int]) -> np.ndarray:
    """Inside cells from which a move of up to ``reach`` cells can land on a grid cell outside the window."""
    big = np.zeros((inside.shape[0] + 2 * reach, inside.shape[1] + 2 * reach), dtype=bool)
    big[reach:-reach, reach:-reach] = ~inside
    # the frame around the window is outside only where the full grid continues
    rows, cols = full
    h, w = inside.shape
    if r0 > 0:
        big[:reach, :] = True
    if c0 > 0:
        big[:, :reach] = True
    if r0 + h < rows:
        big[-reach:, :] = True
    if c0 + w < cols:
        big[:, -reach:] = True
    from scipy.ndimage import maximum_filter

    near = maximum_filter(big, size=2 * reach + 1)[reach:-reach, reach:-reach]
    return np.asarray(inside & near)


def _exit_bound(ds: np.ndarray, de: np.ndarray, bnd: np.ndarray, r0: int, c0: int, sx: float, sy: float,
                cmin: float) -> float:
    """Lower bound of any path that leaves the window: ``min d_s(b1) + cmin |b1 b2| + d_e(b2)``."""
    rr, cc = np.nonzero(bnd)
    a = ds[rr, cc]
    e = de[rr, cc]
    if not np.isfinite(a).any() or not np.isfinite(e).any():
        return math.inf
    ia, ie = np.isfinite(a), np.isfinite(e)
    r1, c1, a1 = rr[ia].astype(float), cc[ia].astype(float), a[ia]
    r2, c2, e2 = rr[ie].astype(float), cc[ie].astype(float), e[ie]
    best = math.inf
    blk = max(1, 2_000_000 // max(1, r2.size))
    for i in range(0, r1.size, blk):
        d = np.hypot((r1[i:i + blk, None] - r2[None, :]) * sy, (c1[i:i + blk, None] - c2[None, :]) * sx)
        best = min(best, float(np.min(a1[i:i + blk, None] + cmin * d + e2[None, :])))
    return best


def search_windowed(grid: Grid, fields: CellFields, model: GradeModel, start: tuple[int, int],
                    end: tuple[int, int], half_width_m: float, *, connectivity: int = 16,
                    grow: float = 2.0, max_rounds: int = 8) -> WindowResult:
    """Least-cost path inside a corridor of ``half_width_m`` around the start-end segment, grown until proven.

    ``fields`` covers the whole ``grid`` (computed once, :func:`~corridor.align.gradesearch.cell_fields`).
    The corridor is widened by ``grow`` while the path touches its edge or the
    exit bound (module docstring) is below the path cost; the last round is the
    whole grid. Returns :class:`WindowResult` (``cost`` ``inf`` when unreachable
    even over the whole grid).
    """
    from scipy.sparse.csgraph import dijkstra

    rows, cols = fields.shape
    reach = max(max(abs(dr), abs(dc)) for dr, dc in offsets(connectivity))
    sx = float(np.min(fields.dx)) * 0.999  # metric lower bounds for path lengths
    sy = fields.dy * 0.999
    cmin = fields.min_cost_per_m(model)
    half: float | None = float(half_width_m)
    tried: list[tuple[int, int, int, int]] = []
    for _ in range(max_rounds):
        if half is not None:
            r0, r1, c0, c1 = window_bounds((rows, cols), start, end, half / fields.dy,
                                           half / float(np.min(fields.dx)))
            if (r0, r1, c0, c1) == (0, rows, 0, cols):
                inside = segment_mask((rows, cols), 0, 0, start, end, sx, sy, half)
                if inside.all():
                    half = None
        if half is None:
            r0, r1, c0, c1 = 0, rows, 0, cols
            inside = np.ones((rows, cols), dtype=bool)
        else:
            inside = segment_mask((r1 - r0, c1 - c0), r0, c0, start, end, sx, sy, half)
        tried.append((r0, r1, c0, c1))
        inside[start[0] - r0, start[1] - c0] = inside[end[0] - r0, end[1] - c0] = True
        f = fields.window(r0, r1, c0, c1)
        mat = build_graph(f, model, connectivity, inside)
        w = c1 - c0
        s = (start[0] - r0) * w + start[1] - c0
        t = (end[0] - r0) * w + end[1] - c0
        dist, pred = dijkstra(mat, directed=True, indices=s, return_predecessors=True)
        cost = float(dist[t])
        path = cell_path(pred, s, t, w) if math.isfinite(cost) else []
        path = [(r + r0, c + c0) for r, c in path]
        if half is None:
            return WindowResult(path, cost, tried, True, None)
        bnd = _boundary(inside, reach, r0, c0, (rows, cols))
        if not bnd.any():
            return WindowResult(path, cost, tried, True, half)
        touches = bool(path) and any(bnd[r - r0, c - c0] for r, c in path)
        if not touches:
            de = dijkstra(mat.T.tocsr(), directed=True, indices=t).reshape(inside.shape)
            lb = _exit_bound(dist.reshape(inside.shape), de, bnd, r0, c0, sx, sy, cmin)
            if lb >= cost * (1 - 1e-12):
                return WindowResult(path, cost, tried, True, half)
            log.debug("window %s: exit bound %.0f below path cost %.0f; widening", tried[-1], lb, cost)
        else:
            log.debug("window %s: path touches the window edge; widening", tried[-1])
        half *= grow
    # max_rounds reached without proof: solve over the whole grid
    path, cost = search(grid, fields.factor, model, start, end, connectivity=connectivity, fields=fields)
    tried.append((0, rows, 0, cols))
    return WindowResult(path, cost, tried, True, None)
