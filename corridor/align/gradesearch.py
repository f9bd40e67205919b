"""Grade-aware least-cost search over a DEM: a directed graph of grid moves priced by their own grade.

The isotropic cost surface of :mod:`corridor.align.surface` prices a cell by its terrain
slope, whatever the direction of travel, so a search over it cannot tell a line
climbing straight up a hillside from one running along its contours. Here every
*move* between two cells is an edge of a directed graph whose cost depends on
the grade along that move, so the least-cost path can follow a valley side at
the ruling grade, or add length to gain height (development), instead of
climbing straight up a slope that is too steep.

Graph
-----
Nodes are the cells of a DEM window (row-major ids). Moves are the 8
neighbours plus the 8 knight moves (16-connected; ``connectivity=32`` adds the
16 ``(1, 3)``/``(2, 3)``-type moves). A move from ``(r, c)`` by ``(dr, dc)`` is
split into ``max(|dr|, |dc|)`` equal pieces; the ground at the inner points is
interpolated bilinearly, so a knight move cannot jump over a ridge crest cell.
Lengths are metric: ``hypot(dc * dx, dr * dy)`` with ``dx`` the mean geodesic
cell width of the rows the move joins (:meth:`corridor.align.surface.Grid.cell_m`).
The graph is a ``scipy.sparse.csr_matrix`` built with numpy array operations
only and solved with ``scipy.sparse.csgraph.dijkstra``.

Cost of a move (unit: metres of new open line on flat ground)
-------------------------------------------------------------
For each piece of length ``L`` with ground grade ``a = |dz| / L`` and the
ruling grade ``G``:

* ``a <= G`` (open line): ``L * t * (1 + GRADE_PENALTY * (a / G) ** 2)``, where
  ``t`` is the open-line terrain factor of the cells (flat / rolling /
  mountainous by terrain slope, the thresholds and factors of
  :class:`corridor.costs.CostParams`, relative to flat) and the mild grade term
  prefers flatter lines (a line at the ruling grade costs ``GRADE_PENALTY``
  more per km than a level one).
* ``a > G``: the line can gain only ``G * L`` of the ``a * L`` the ground gains;
  the share ``f = 1 - G / a`` of the piece is priced as a structure, the rest as
  open line at the ruling grade: ``L * ((1 - f) * t * (1 + GRADE_PENALTY) + f * S)``.
  ``f`` is 0 at the ruling grade and tends to 1 on cliffs, so the cost is
  continuous. ``S`` is the tunnel price where the piece lies above the local
  mean ground (a spur or ridge: the grade line passes below it) and the viaduct
  price where it lies below (a valley or hollow: the grade line passes above
  it). The local mean is taken over ``CostParams.terrain_window_m``. Climbing
  and descending are priced alike (the rail and road grade limits are
  symmetric); the graph stays directed so that an asymmetric model (e.g. a
  lower limit for loaded trains uphill) only needs :func:`move_cost` changed.
* Prices per km are the central values of :class:`corridor.costs.CostParams`
  (``<mode>_new_musd_per_km`` times the terrain factor, ``<mode>_tunnel_musd_per_km``,
  ``<mode>_bridge_musd_per_km``), divided by the flat open-line price.
* A move is multiplied by the highest unit factor (:func:`corridor.align.surface.unit_factors`)
  among the cells it touches; a move touching an excluded cell (``inf``) or a
  DEM void does not exist.

Limits of the model
-------------------
Every node is on the ground, so the search has no memory of height: a move's
structure share is priced on that move alone. A ridge crossed in one or two
moves costs about its width in tunnel (as it should); a tall plateau edge or
cliff costs only the moves on its face, not the kilometres of development a
line would need to reach the top, and a tunnel under a wide plateau is not
represented. The design grade line (cuts, fills, tunnels and bridges along
the chosen path) is the vertical alignment's job. Development is limited by
the move directions: with 16 moves the gentlest climbing direction is the
knight move, whose grade is about half the terrain slope (cells ~1.3:1), so
slopes up to about twice the ruling grade can be climbed by zig-zagging
within the limit (``connectivity=32`` raises that to about 2.5 times).

The windowed search, which solves a leg in a corridor around it and proves the
answer, is :mod:`corridor.align.gradewindow`.

Examples
--------
>>> import numpy as np
>>> from affine import Affine
>>> from corridor.align.surface import Grid
>>> g = Grid(np.zeros((5, 5)), Affine(1 / 1200, 0, 45.0, 0, -1 / 1200, 40.0))
>>> m = GradeModel.for_mode("rail")
>>> path, cost = search(g, np.ones((5, 5)), m, (0, 0), (0, 4))
>>> path[0], path[-1], round(cost / m.open_flat)
((0, 0), (0, 4), 285)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor._errors import ParameterError
from corridor._validate import check_mode
from corridor.align.surface import (
    EXISTING_FACTOR,
    PRESETS,
    Grid,
    graph_steps,
    network_edges,
    slope,
    waypoint_links,
)
from corridor.costs import CostParams

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

log = logging.getLogger(__name__)

__all__ = ["GRADE_PENALTY", "CellFields", "GradeModel", "bilinear_taps", "build_graph", "cell_fields", "cell_path",
           "move_cost", "offsets", "search", "search_network"]

#: Extra cost per metre of open line at the ruling grade relative to level line
#: (assumption: haulage and wear on a sustained ruling grade; quadratic in the grade).
GRADE_PENALTY = 0.2

_TIE_M = 0.5  # ground within this of the local mean is priced as a spur (tunnel), not a valley
_BASE = ((0, 1), (1, 0), (1, 1), (1, -1), (1, 2), (2, 1), (2, -1), (1, -2))
_EXTRA32 = ((1, 3), (3, 1), (3, -1), (1, -3), (2, 3), (3, 2), (3, -2), (2, -3))


def offsets(connectivity: int = 16) -> list[tuple[int, int]]:
    """Move offsets ``(dr, dc)``: each canonical move followed by its reverse.

    Examples
    --------
    >>> len(offsets(16)), len(offsets(32)), offsets(16)[:2]
    (16, 32, [(0, 1), (0, -1)])
    """
    if connectivity not in (8, 16, 32):
        raise ParameterError(f"connectivity must be 8, 16 or 32, got {connectivity!r}")
    base = _BASE[:4] if connectivity == 8 else _BASE if connectivity == 16 else _BASE + _EXTRA32
    out: list[tuple[int, int]] = []
    for dr, dc in base:
        out += [(dr, dc), (-dr, -dc)]
    return out


@dataclass(frozen=True)
class GradeModel:
    """Prices per metre (relative units) and the ruling grade of the grade-aware search.

    Attributes
    ----------
    max_grade : float
        Ruling grade (ratio).
    open_factors : tuple of float
        Open-line cost per metre on flat, rolling and mountainous ground.
    tunnel, bridge : float
        Cost per metre of tunnel and of viaduct.
    flat_max_slope, mountainous_min_slope : float
        Terrain-slope thresholds of the terrain classes.
    window_m : float
        Window of the local mean ground (valley vs ridge).
    grade_penalty : float
        See :data:`GRADE_PENALTY`.
    """

    max_grade: float
    open_factors: tuple[float, float, float]
    tunnel: float
    bridge: float
    flat_max_slope: float = 0.02
    mountainous_min_slope: float = 0.05
    window_m: float = 2000.0
    grade_penalty: float = GRADE_PENALTY
    source: str = field(default="", compare=False)

    @property
    def open_flat(self) -> float:
        """Cost per metre of level open line on flat ground (1 with the default prices)."""
        return self.open_factors[0]

    @classmethod
    def for_mode(cls, mode: str, max_grade: float | None = None, params: object | None = None) -> GradeModel:
        """Model from :class:`corridor.costs.CostParams` central values (default parameters).

        ``max_grade`` defaults to the mode's preset in :data:`corridor.align.surface.PRESETS`.

        Examples
        --------
        >>> m = GradeModel.for_mode("rail")
        >>> m.max_grade, m.open_factors[0], m.tunnel
        (0.0125, 1.0, 10.0)
        """

        check_mode(mode)
        p = params if isinstance(params, CostParams) else CostParams.default()
        new = getattr(p, f"{mode}_new_musd_per_km")[1]
        terr = [getattr(p, f"{mode}_terrain_{k}")[1] for k in ("flat", "rolling", "mountainous")]
        unit = new * terr[0]
        if not unit > 0:
            raise ParameterError(f"{mode} open-line cost must be > 0 for the grade search")
        g = PRESETS[mode].max_grade if max_grade is None else float(max_grade)
        if not 0 < g < 1:
            raise ParameterError(f"max_grade must be a ratio in (0, 1), got {max_grade!r}")
        return cls(
            max_grade=g,
            open_factors=(new * terr[0] / unit, new * terr[1] / unit, new * terr[2] / unit),
            tunnel=getattr(p, f"{mode}_tunnel_musd_per_km")[1] / unit,
            bridge=getattr(p, f"{mode}_bridge_musd_per_km")[1] / unit,
            flat_max_slope=p.flat_max_grade, mountainous_min_slope=p.mountainous_min_grade,
            window_m=p.terrain_window_m,
            source="corridor.costs.CostParams central values, relative to new open line on flat ground",
        )


@dataclass
class CellFields:
    """Per-cell inputs of the graph, computed once for a grid and cut into windows.

    ``z`` elevation (NaN = void), ``open`` open-line factor, ``struct`` structure
    price (tunnel above the local mean ground, viaduct below), ``factor`` unit
    factor (``inf`` excluded), ``dx`` row widths (m), ``dy`` row height (m).
    """

    z: np.ndarray
    open: np.ndarray
    struct: np.ndarray
    factor: np.ndarray
    dx: np.ndarray
    dy: float

    def window(self, r0: int, r1: int, c0: int, c1: int) -> CellFields:
        """Fields of rows ``r0:r1``, columns ``c0:c1`` (views)."""
        s = (slice(r0, r1), slice(c0, c1))
        return CellFields(self.z[s], self.open[s], self.struct[s], self.factor[s], self.dx[r0:r1], self.dy)

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        return (int(self.z.shape[0]), int(self.z.shape[1]))

    def min_cost_per_m(self, model: GradeModel) -> float:
        """Lowest cost per metre any move can have (for the window bound)."""
        f = self.factor[np.isfinite(self.factor)]
        if f.size == 0:
            return math.inf
        lo = min(float(np.nanmin(self.open)), model.tunnel, model.bridge)
        return lo * float(f.min())


def cell_fields(grid: Grid, factors: np.ndarray, model: GradeModel) -> CellFields:
    """Per-cell fields of ``grid`` for :func:`build_graph` (terrain class, structure kind, factor)."""
    from scipy.ndimage import uniform_filter


    z = np.asarray(grid.z, dtype=float)
    dx, dy = grid.cell_m()
    s = slope(grid)
    op = np.full(z.shape, model.open_factors[1])
    op[s < model.flat_max_slope] = model.open_factors[0]
    op[s >= model.mountainous_min_slope] = model.open_factors[2]
    fin = np.isfinite(z)
    k = max(1, round(model.window_m / max(dy, float(np.mean(dx)))))
    zf = np.where(fin, z, 0.0)
    num = uniform_filter(zf, size=2 * k + 1, mode="nearest")
    den = uniform_filter(fin.astype(float), size=2 * k + 1, mode="nearest")
    mean = np.divide(num, den, out=np.full(z.shape, np.nan), where=den > 0)
    # ties (a plane, gentle undulation) count as spurs: the dearer tunnel price
    struct = np.where(z >= mean - _TIE_M, model.tunnel, model.bridge)
    fac = np.asarray(factors, dtype=float).copy()
    fac[~fin] = np.inf
    return CellFields(z, op, struct, fac, np.asarray(dx, dtype=float), float(dy))


#: :func:`move_cost` depends on ``|dz|`` only, so a move and its reverse cost the same and the
#: graph builder prices each pair once. Set False when the model is made direction-dependent.
SYMMETRIC = True


def move_cost(length: np.ndarray, dz: np.ndarray, open_f: np.ndarray, struct: np.ndarray,
              model: GradeModel) -> np.ndarray:
    """Cost of move pieces of ``length`` m whose ground changes by ``dz`` (signed, in travel direction).

    Examples
    --------
    >>> import numpy as np
    >>> m = GradeModel.for_mode("rail")
    >>> move_cost(np.array([100.0, 100.0]), np.array([0.0, 5.0]), np.ones(2), np.full(2, 10.0), m).round(2).tolist()
    [100.0, 780.0]
    """
    g = model.max_grade
    a = np.abs(dz) / length
    f = np.clip(1.0 - g / np.maximum(a, 1e-300), 0.0, 1.0)
    ga = np.minimum(a, g) / g
    return np.asarray(length * ((1.0 - f) * open_f * (1.0 + model.grade_penalty * ga * ga) + f * struct))


def bilinear_taps(tr: float, tc: float) -> list[tuple[int, int, float]]:
    """Cells ``(row, col)`` and weights of the bilinear interpolation at fractional offset ``(tr, tc)``
    from a cell centre (zero weights left out; one tap at a cell centre).

    >>> bilinear_taps(0.5, 1.0)
    [(0, 1, 0.5), (1, 1, 0.5)]
    """
    r0, c0 = math.floor(tr), math.floor(tc)
    fr, fc = tr - r0, tc - c0
    taps = ((r0, c0, (1 - fr) * (1 - fc)), (r0 + 1, c0, fr * (1 - fc)),
            (r0, c0 + 1, (1 - fr) * fc), (r0 + 1, c0 + 1, fr * fc))
    return [(r, c, w) for r, c, w in taps if w > 1e-12]


def _shift(a: np.ndarray, r: int, c: int, rows: int, cols: int) -> np.ndarray:
    return a[r:r + rows, c:c + cols]


def build_graph(fields: CellFields, model: GradeModel, connectivity: int = 16,
                allowed: np.ndarray | None = None, dtype: type = np.float64) -> csr_matrix:
    """The directed move graph of ``fields`` as a ``scipy.sparse.csr_matrix`` (ids ``r * cols + c``).

    ``allowed`` (bool, optional) limits the nodes (a corridor mask). Moves that
    touch an excluded or void cell, or leave ``allowed``, are absent. Built from
    a dense ``(cells, moves)`` weight table (float32) compacted row by row into
    CSR arrays (float64 weights, int32 indices), so memory is about
    ``cells * moves * 16`` bytes at the peak.
    """
    from scipy.sparse import csr_matrix

    rows, cols = fields.shape
    n = rows * cols
    offs = offsets(connectivity)
    k = len(offs)
    fac = fields.factor if allowed is None else np.where(allowed, fields.factor, np.inf)
    w = np.full((n, k), np.inf, dtype=np.float32)
    w3 = w.reshape(rows, cols, k)
    z, op, st, dx, dy = fields.z, fields.open, fields.struct, fields.dx, fields.dy
    for j in range(0, k, 2):
        dr, dc = offs[j]  # canonical: dr >= 0
        ra, rb = 0, rows - dr
        ca, cb = max(0, -dc), cols - max(0, dc)
        h, wd = rb - ra, cb - ca
        if h <= 0 or wd <= 0:
            continue
        npc = max(abs(dr), abs(dc))
        xr = (dx[ra:rb] + dx[ra + dr:rb + dr]) / 2
        seg = np.hypot(dc * xr, dr * dy)[:, None] / npc
        # ground, open factor and structure price at the npc + 1 points along the move
        zs, ops, sts = [], [], []
        fmax = np.maximum(_shift(fac, ra, ca, h, wd), _shift(fac, ra + dr, ca + dc, h, wd))
        for q in range(npc + 1):
            tr, tc = q * dr / npc, q * dc / npc
            taps = bilinear_taps(tr, tc)
            if len(taps) == 1:  # a cell centre: views, no interpolation
                r0, c0, _w = taps[0]
                zs.append(_shift(z, ra + r0, ca + c0, h, wd))
                ops.append(_shift(op, ra + r0, ca + c0, h, wd))
                sts.append(_shift(st, ra + r0, ca + c0, h, wd))
                if 0 < q < npc:
                    fmax = np.maximum(fmax, _shift(fac, ra + r0, ca + c0, h, wd))
                continue
            zq = np.zeros((h, wd))
            oq = np.zeros((h, wd))
            sq = np.zeros((h, wd))
            for rr, cc, wt in taps:
                zq += wt * _shift(z, ra + rr, ca + cc, h, wd)
                oq += wt * _shift(op, ra + rr, ca + cc, h, wd)
                sq += wt * _shift(st, ra + rr, ca + cc, h, wd)
                if 0 < q < npc:
                    fmax = np.maximum(fmax, _shift(fac, ra + rr, ca + cc, h, wd))
            zs.append(zq)
            ops.append(oq)
            sts.append(sq)
        fwd = np.zeros((h, wd))
        bwd = np.zeros((h, wd))
        for q in range(npc):
            o = (ops[q] + ops[q + 1]) / 2
            s = (sts[q] + sts[q + 1]) / 2
            dz = zs[q + 1] - zs[q]
            fwd += move_cost(seg, dz, o, s, model)
            if not SYMMETRIC:
                bwd += move_cost(seg, -dz, o, s, model)
        bad = ~np.isfinite(fmax) | ~np.isfinite(fwd)
        fwd = np.where(bad, np.inf, fwd * fmax)
        bwd = fwd if SYMMETRIC else np.where(bad, np.inf, bwd * fmax)
        w3[ra:rb, ca:cb, j] = fwd
        w3[ra + dr:rb + dr, ca + dc:cb + dc, j + 1] = bwd
    step = np.array([dr * cols + dc for dr, dc in offs], dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    chunk = max(1, 4_000_000 // k)
    for i in range(0, n, chunk):
        counts[i:i + chunk] = np.isfinite(w[i:i + chunk]).sum(axis=1)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    nnz = int(indptr[-1])
    itype = np.int32 if max(nnz, n) < 2**31 - 1 else np.int64
    data: np.ndarray = np.empty(nnz, dtype=dtype)
    indices = np.empty(nnz, dtype=itype)
    for i in range(0, n, chunk):
        blk = w[i:i + chunk]
        ok = np.isfinite(blk)
        nodes, slots = np.nonzero(ok)
        a, b = indptr[i], indptr[min(i + chunk, n)]
        data[a:b] = blk[ok]
        indices[a:b] = (nodes + i + step[slots]).astype(itype)
    del w
    return csr_matrix((data, indices, indptr.astype(itype)), shape=(n, n))


def cell_path(pred: np.ndarray, s: int, t: int, cols: int) -> list[tuple[int, int]]:
    """Cells ``(row, col)`` of the shortest path ``s -> t`` from dijkstra's predecessors (ids ``r * cols + c``)."""
    seq = [t]
    while seq[-1] != s:
        seq.append(int(pred[seq[-1]]))
    seq.reverse()
    return [(k // cols, k % cols) for k in seq]


def search(grid: Grid, factors: np.ndarray, model: GradeModel, start: tuple[int, int], end: tuple[int, int],
           *, connectivity: int = 16, allowed: np.ndarray | None = None,
           fields: CellFields | None = None) -> tuple[list[tuple[int, int]], float]:
    """Least-cost path between two cells of ``grid`` over the whole grid (or ``allowed`` cells).

    Returns the cell path and its cost (``[]``, ``inf`` when unreachable).
    """
    from scipy.sparse.csgraph import dijkstra

    f = fields if fields is not None else cell_fields(grid, factors, model)
    cols = f.shape[1]
    mat = build_graph(f, model, connectivity, allowed)
    s, t = start[0] * cols + start[1], end[0] * cols + end[1]
    dist, pred = dijkstra(mat, directed=True, indices=s, return_predecessors=True)
    if not math.isfinite(dist[t]):
        return [], math.inf
    return cell_path(pred, s, t, cols), float(dist[t])


def search_network(grid: Grid, fields: CellFields, model: GradeModel, start: tuple[int, int],
                   end: tuple[int, int], net: Any, *, allowed: np.ndarray | None = None,
                   connectivity: int = 16, reuse: dict[str, float] | None = None,
                   at_start: Sequence[int] = (), at_end: Sequence[int] = (),
                   linked: Collection[int] | None = None) -> tuple[list[Any], float]:
    """Least-cost path over the move graph of ``fields`` and existing network edges together.

    ``grid`` and ``fields`` are the same window. Network edges and node-cell
    connectors are those of :func:`corridor.align.surface.network_edges` (connectors at
    the cell's open-line price), added in both directions. Network nodes ``at_start``
    (``at_end``) stand where the leg's start (end) waypoint is: the leg starts (ends) at the
    first of them, which is also joined to the start (end) cell at no cost (whichever cell its
    position rounds to) if it is in ``linked`` (default: all; :func:`corridor.align.surface.waypoint_links`).
    Returns steps
    ``("cell", r, c)`` / ``("node", id, None)`` and the cost (``inf`` if unreachable).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra


    rows, cols = fields.shape
    n = rows * cols
    fac = fields.factor if allowed is None else np.where(allowed, fields.factor, np.inf)
    mat = build_graph(fields, model, connectivity, allowed).tocoo()
    src, dst, w, node_ids = network_edges(fields.open * fac, grid, net, reuse or EXISTING_FACTOR, n)
    s, t, (ls, ld, lw) = waypoint_links(start[0] * cols + start[1], end[0] * cols + end[1], at_start, at_end,
                                        node_ids, n, linked)
    src += ls
    dst += ld
    w += lw
    s_all = np.concatenate([mat.row, *src, *dst])
    d_all = np.concatenate([mat.col, *dst, *src])
    w_all = np.concatenate([mat.data, *w, *w])
    total = n + len(node_ids)
    g = coo_matrix((w_all, (s_all, d_all)), shape=(total, total)).tocsr()
    dist, pred = dijkstra(g, directed=True, indices=s, return_predecessors=True)
    return graph_steps(dist, pred, s, t, cols, n, node_ids)
