"""Compiled kernels of the vertical design's dynamic programme (:mod:`corridor.align.vertical`).

The recurrence over stations is sequential: the cost-to-come of station ``i`` at level ``j``
is its own cost plus the least cost-to-come of station ``i - 1`` over levels ``j - k .. j + k``
(the rise the ruling grade allows over one station). In numpy that is a few ufunc calls per
station, each at numpy's per-call floor of about a microsecond, which made the loop the
design's largest cost. These kernels run it compiled with numba, whose compiled code is cached
on disk (``cache=True``) after a process's first call.

Layout shared with the caller: the cost of every station's band of levels ``lo[i] .. hi[i]``
is one row of a flat float32 buffer starting at ``starts[i]``; level ``j`` of station ``i`` is
``cost[starts[i] + j - lo[i]]``. Arithmetic stays float32, the same rounding as numpy's.

Examples
--------
Two stations 100 m apart on flat ground at level 1 of three (open line 5,000 USD/m, no
earthworks, no structure: every level off the ground costs the 40,000 USD/m cap):

>>> import numpy as np
>>> c = np.array([5e3, 4e4, 4e4, 6, 6, 1, 1, 0, 0, 0.5, 0.5], dtype=np.float32)
>>> starts, lo, hi = np.array([0, 3]), np.array([0, 0]), np.array([2, 2])
>>> cost = forward(np.array([1.0, 1.0]), 2.0, np.array([50.0, 50.0]), starts, lo, hi, 1, c)
>>> cost.tolist()
[2000000.0, 250000.0, 2000000.0, 2250000.0, 500000.0, 2250000.0]
>>> backtrack(cost, starts, lo, hi, 1, 1).tolist()
[1, 1]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import numba
import numpy as np

from corridor._errors import ParameterError

_F = TypeVar("_F", bound=Callable[..., object])


def njit(fn: _F) -> _F:
    """``numba.njit`` with the compiled code cached on disk (beside this file, else in the user's cache
    folder); where neither is writable (a read-only install and no home), compiled once per process."""
    try:
        return cast(_F, numba.njit(cache=True, nogil=True)(fn))
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return cast(_F, numba.njit(nogil=True)(fn))

__all__ = ["BRIDGE", "COEFFICIENTS", "CUT", "FILL", "OPEN", "TUNNEL", "backtrack", "cell_costs", "cell_kinds",
           "cheapest_offsets", "forward", "offset_path"]


#: Order of the cost-model figures in the float32 array the kernels take (:meth:`CostModel.coefficients`).
COEFFICIENTS = ("open_usd_m", "tunnel_usd_m", "bridge_usd_m", "w_cut", "w_fill", "s_cut", "s_fill", "c_cut",
                "c_fill", "cap_cut", "cap_fill")


#: Station kinds as the kernels number them (:data:`corridor.align._earthworks.KINDS` names them).
OPEN, CUT, FILL, TUNNEL, BRIDGE = 0, 1, 2, 3, 4
#: The kind :func:`_choice` gives to open line with earthworks, told apart into OPEN, CUT and FILL by depth.
_EARTH = -1


@numba.njit(inline="always", nogil=True)
def _choice(d: np.float32, open_: np.float32, tunnel: np.float32, bridge: np.float32, w_cut: np.float32,
            w_fill: np.float32, s_cut: np.float32, s_fill: np.float32, c_cut: np.float32, c_fill: np.float32,
            cap_cut: np.float32, cap_fill: np.float32) -> tuple[np.float32, int]:  # pragma: no cover
    """USD per metre of line where the formation is ``d`` m below ground, and what is built there:
    the one statement of the cost model. Open line plus earthworks over the trapezoid cross-section
    (kind ``_EARTH``), or the tunnel (viaduct) where that is cheaper or the cut (fill) exceeds its
    cap; at grade no structure. The figures come as scalars (:data:`COEFFICIENTS`), not as their
    array, so that the compiled loops keep them in registers (stores into the cost buffer could
    otherwise alias the array and force a reload per cell). Inlined, a caller that takes only the
    cost compiles without the kind."""
    if d != d:  # NaN (a void) is no depth: it stays NaN rather than pricing as open line
        return d, _EARTH
    zero = np.float32(0.0)
    cut = d if d > zero else zero
    fill = -d if -d > zero else zero
    if cut > cap_cut:
        return tunnel, TUNNEL
    if fill > cap_fill:
        return bridge, BRIDGE
    out: np.float32 = (cut * s_cut + w_cut) * cut * c_cut + (fill * s_fill + w_fill) * fill * c_fill + open_
    if d > zero and tunnel < out:
        return tunnel, TUNNEL
    if d < zero and bridge < out:
        return bridge, BRIDGE
    return out, _EARTH


@numba.njit(inline="always", nogil=True)
def _cell(d: np.float32, open_: np.float32, tunnel: np.float32, bridge: np.float32, w_cut: np.float32,
          w_fill: np.float32, s_cut: np.float32, s_fill: np.float32, c_cut: np.float32, c_fill: np.float32,
          cap_cut: np.float32, cap_fill: np.float32) -> np.float32:  # pragma: no cover
    """The cost of :func:`_choice`."""
    return _choice(d, open_, tunnel, bridge, w_cut, w_fill, s_cut, s_fill, c_cut, c_fill, cap_cut, cap_fill)[0]


@njit
def cell_costs(d: np.ndarray, c: np.ndarray) -> np.ndarray:  # pragma: no cover
    """:func:`_cell` of every element of the float32 array ``d`` (``c``: :data:`COEFFICIENTS`)."""
    out = np.empty(d.shape, dtype=np.float32)
    flat, res = d.ravel(), out.ravel()
    o_, t_, b_, wc, wf, sc, sf, cc, cf, kc, kf = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]
    for i in range(flat.size):
        res[i] = _cell(flat[i], o_, t_, b_, wc, wf, sc, sf, cc, cf, kc, kf)
    return out


@njit
def cell_kinds(base: np.ndarray, step: float, lev: np.ndarray, c: np.ndarray,
               open_tol: float) -> np.ndarray:  # pragma: no cover
    """What is built at each station of a designed line (int8: :data:`OPEN` .. :data:`BRIDGE`).

    Station ``i`` at level ``lev[i]`` lies ``step * (base[i] - lev[i])`` m below ground, the depth
    :func:`forward` priced it at; :func:`_choice` decides between structure and earthworks, and
    earthworks within ``open_tol`` m of the ground count as open line, else as cut or fill.
    """
    n = base.shape[0]
    if lev.shape[0] != n or c.shape[0] != len(COEFFICIENTS):
        raise ParameterError("cell_kinds: give one level per station and the cost model's coefficients")
    out = np.empty(n, dtype=np.int8)
    o_, t_, b_, wc, wf, sc, sf, cc, cf, kc, kf = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]
    for i in range(n):
        d = np.float32(step * (base[i] - lev[i]))
        kind = _choice(d, o_, t_, b_, wc, wf, sc, sf, cc, cf, kc, kf)[1]
        if kind == _EARTH:
            kind = CUT if d > open_tol else FILL if -d > open_tol else OPEN
        out[i] = kind
    return out


@njit
def forward(base: np.ndarray, step: float, weight: np.ndarray, starts: np.ndarray, lo: np.ndarray,
            hi: np.ndarray, k: int, c: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Cost-to-come of every (station, level) cell of the bands, as a flat float32 buffer.

    ``base[i]`` is station ``i``'s ground in level steps above level 0, so the formation at level
    ``j`` lies ``step * (base[i] - j)`` m below ground; a cell costs :func:`_cell` times the
    station's ``weight`` (m of line) plus the least cost-to-come of the previous station within
    ``k`` levels. That minimum is a sliding window over the previous row, kept as a monotone queue
    of level indices, so each station takes O(levels) whatever ``k``. A level whose window holds
    no reachable level of the previous row costs ``inf``. Raises ValueError on a layout that would
    read or write outside the buffer (numba does not check bounds): a ParameterError.
    """
    n = lo.shape[0]
    if n == 0 or hi.shape[0] != n or starts.shape[0] != n or base.shape[0] != n or weight.shape[0] != n:
        raise ParameterError("forward: give one base, weight, start, lo and hi per station, at least one station")
    if c.shape[0] != len(COEFFICIENTS):
        raise ParameterError("forward: give the cost model's coefficients (COEFFICIENTS)")
    size = 0
    width = 1
    for i in range(n):
        if hi[i] < lo[i] or starts[i] != size:
            raise ParameterError("forward: every band needs lo <= hi, and the rows must lie end to end from 0")
        size += hi[i] - lo[i] + 1
        width = max(width, hi[i] - lo[i] + 1)
    cost = np.empty(size, dtype=np.float32)
    o_, t_, b_, wc, wf, sc, sf, cc, cf, kc, kf = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]
    for i in range(n):
        o = starts[i] - lo[i]
        wt = np.float32(weight[i])
        bi = base[i]
        for j in range(lo[i], hi[i] + 1):
            cost[o + j] = _cell(np.float32(step * (bi - j)), o_, t_, b_, wc, wf, sc, sf, cc, cf, kc, kf) * wt
    inf = np.float32(np.inf)
    if k == 1:  # the usual rail case: the previous row's levels j - 1 .. j + 1, read from a padded copy
        ext = np.empty(width + 2, dtype=np.float32)
        for i in range(1, n):
            pa, pb, ps = lo[i - 1], hi[i - 1], starts[i - 1]
            a, row = lo[i], starts[i]
            cells = hi[i] - a + 1
            for t in range(cells + 2):  # ext[t]: the previous row at level a - 1 + t, inf outside its band
                q = a - 1 + t
                ext[t] = cost[ps + q - pa] if pa <= q <= pb else inf
            for t in range(cells):
                x, y, z = ext[t], ext[t + 1], ext[t + 2]
                m = x if x < y else y
                cost[row + t] += m if m < z else z
        return cost
    queue = np.empty(width, dtype=np.int64)
    for i in range(1, n):
        pa, pb, po = lo[i - 1], hi[i - 1], starts[i - 1] - lo[i - 1]
        a, b, so = lo[i], hi[i], starts[i] - lo[i]
        head = 0
        tail = 0
        nxt = max(pa, a - k)  # next level of the previous row to enter the window
        for j in range(a, b + 1):
            top = min(pb, j + k)
            while nxt <= top:
                v = cost[po + nxt]
                while tail > head and cost[po + queue[tail - 1]] >= v:
                    tail -= 1
                queue[tail] = nxt
                tail += 1
                nxt += 1
            bottom = j - k
            while head < tail and queue[head] < bottom:
                head += 1
            if head < tail:
                cost[so + j] += cost[po + queue[head]]
            else:
                cost[so + j] = inf
    return cost


@njit
def backtrack(cost: np.ndarray, starts: np.ndarray, lo: np.ndarray, hi: np.ndarray, k: int,
              last: int) -> np.ndarray:  # pragma: no cover
    """Level index per station of the optimal line ending at level ``last``.

    From the last station back to the first, the least cost-to-come within ``k`` levels of
    the level chosen after it (the first such level on a tie, as ``numpy.argmin``).
    """
    n = lo.shape[0]
    if n == 0 or hi.shape[0] != n or starts.shape[0] != n or not lo[n - 1] <= last <= hi[n - 1]:
        raise ParameterError("backtrack: give one start, lo and hi per station, and a last level in the last band")
    lev = np.empty(n, dtype=np.int64)
    lev[n - 1] = last
    cur = last
    for i in range(n - 2, -1, -1):
        a = max(cur - k, lo[i])
        b = min(cur + k, hi[i])
        if a > b:
            raise ParameterError("backtrack: no level of a station lies within k levels of the next one's")
        if starts[i] < 0 or starts[i] + hi[i] - lo[i] >= cost.shape[0]:
            raise ParameterError("backtrack: the cost buffer is shorter than its bands")
        o = starts[i] - lo[i]
        best = a
        value = cost[o + a]
        for q in range(a + 1, b + 1):
            if cost[o + q] < value:
                value = cost[o + q]
                best = q
        lev[i] = best
        cur = best
    return lev


@njit
def offset_path(cost: np.ndarray, rise: np.ndarray, offs: np.ndarray, limit: float, first: int,
                last: int) -> np.ndarray:  # pragma: no cover
    """The least-cost choice of one offset per station among its ``offs`` (a row of ``cost`` and of ``offs``
    per station, a column per choice; ``inf`` cost: not allowed) whose every interval ``i`` keeps
    ``|rise[i] + offs[i + 1, to] - offs[i, from]|`` within ``limit``, starting at choice ``first`` and
    ending at ``last`` (-1: any); an empty array if there is none. On a tie the lower index, as
    ``numpy.argmin`` (:func:`corridor.align._levels.meet_tight`).
    """
    n, m = cost.shape
    if (n == 0 or rise.shape[0] != n - 1 or offs.shape[0] != n or offs.shape[1] != m or not -1 <= first < m
            or not -1 <= last < m):
        raise ParameterError("offset_path: give a rise per interval, a cost and an offset per station and choice, "
                             "and choices first and last among them (or -1)")
    inf = np.inf
    best = np.empty(m)
    for t in range(m):
        best[t] = cost[0, t] if first < 0 or t == first else inf
    came = np.zeros((n, m), dtype=np.int64)
    nxt = np.empty(m)
    for i in range(1, n):
        r = rise[i - 1]
        for t in range(m):
            value = inf
            arg = 0
            to = r + offs[i, t]
            for f in range(m):
                if best[f] < value and abs(to - offs[i - 1, f]) <= limit:
                    value = best[f]
                    arg = f
            came[i, t] = arg
            nxt[t] = value + cost[i, t]
        best[:] = nxt
    end = last
    if end < 0:
        end = 0
        for t in range(1, m):
            if best[t] < best[end]:
                end = t
    path = np.empty(n, dtype=np.int64)
    if not best[end] < inf:
        return path[:0]
    path[n - 1] = end
    for i in range(n - 1, 0, -1):
        path[i - 1] = came[i, path[i]]
    return path


@njit
def cheapest_offsets(z: np.ndarray, ground: np.ndarray, weight: np.ndarray, c: np.ndarray, ea: float, eb: float,
                     free_a: bool, free_b: bool, lo: np.ndarray, hi: np.ndarray, limit: float,
                     steps: int) -> np.ndarray:  # pragma: no cover
    """Offsets of the grade line ``z`` from ``ea`` (first station) to ``eb`` (last) of least cost, each
    interval's rise within ``limit``, each station's offset within ``[lo, hi]`` and between the two ends';
    an end marked free (``free_a``, ``free_b``) is anywhere from the other end's offset to 0. Empty if none.

    The stations cost :func:`_cell` (``c``: :data:`COEFFICIENTS`) at their depth below ``ground`` times
    their ``weight``. Each station chooses among ``steps + 1`` offsets evenly from one end's to the
    other's, and as many evenly over the interval it can take on an admissible line (the least and
    greatest of each station are admissible lines themselves, and so is each same fraction of the way
    between them: the lines are closed under minimum, maximum and mean), so a line is found wherever
    there is one, however unevenly the grade leaves room; :func:`offset_path` picks the cheapest
    (:func:`corridor.align._levels.meet_tight`).
    """
    n = z.shape[0]
    if n == 0 or ground.shape[0] != n or weight.shape[0] != n or lo.shape[0] != n or hi.shape[0] != n or steps < 1:
        raise ParameterError("cheapest_offsets: give a ground, weight, lo and hi per station, and steps >= 1")
    a = 0.0 if free_a else ea
    b = 0.0 if free_b else eb
    mn = min(a, b)
    mx = max(a, b)
    low = np.empty(n)
    high = np.empty(n)
    for i in range(n):
        low[i] = max(lo[i], mn)
        high[i] = min(hi[i], mx)
    if not free_a:
        low[0] = max(low[0], ea)
        high[0] = min(high[0], ea)
    if not free_b:
        low[n - 1] = max(low[n - 1], eb)
        high[n - 1] = min(high[n - 1], eb)
    rise = np.empty(max(n - 1, 0))
    for i in range(n - 1):
        rise[i] = z[i + 1] - z[i]
    # the least and greatest change of offset over the intervals before each station, summed
    down = np.zeros(n)
    up = np.zeros(n)
    for i in range(1, n):
        down[i] = down[i - 1] + (-limit - rise[i - 1])
        up[i] = up[i - 1] + (limit - rise[i - 1])
    # what the offsets of the stations before reach, and what reaches those of the stations after
    fl = np.empty(n)
    fh = np.empty(n)
    run_l = -np.inf
    run_h = np.inf
    for i in range(n):
        run_l = max(run_l, low[i] - down[i])
        run_h = min(run_h, high[i] - up[i])
        fl[i] = down[i] + run_l
        fh[i] = up[i] + run_h
    run_l = -np.inf
    run_h = np.inf
    for i in range(n - 1, -1, -1):
        run_l = max(run_l, low[i] - up[i])
        run_h = min(run_h, high[i] - down[i])
        low[i] = max(fl[i], up[i] + run_l)
        high[i] = min(fh[i], down[i] + run_h)
    for i in range(n):
        if low[i] > high[i] + 1e-9:
            return np.empty(0)
        high[i] = max(high[i], low[i])
    m = 2 * (steps + 1)
    offs = np.empty((n, m))
    cost = np.empty((n, m))
    o_, t_, b_, wc, wf, sc, sf, cc, cf, kc, kf = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]
    for i in range(n):
        g = ground[i] - z[i]
        for k in range(steps + 1):
            q = k / steps
            offs[i, k] = a + (b - a) * q
            offs[i, steps + 1 + k] = low[i] + (high[i] - low[i]) * q
        for k in range(m):
            o = offs[i, k]
            if o < low[i] - 1e-9 or o > high[i] + 1e-9:  # on no admissible line
                cost[i, k] = np.inf
            else:
                cost[i, k] = np.float64(_cell(np.float32(g - o), o_, t_, b_, wc, wf, sc, sf, cc, cf, kc, kf)) * weight[i]
    path = offset_path(cost, rise, offs, limit, -1, -1)
    if path.shape[0] == 0:
        return np.empty(0)
    out = np.empty(n)
    for i in range(n):
        out[i] = offs[i, path[i]]
    if not free_a:
        out[0] = ea
    if not free_b:
        out[n - 1] = eb
    return out
