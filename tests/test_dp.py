"""Tests of corridor.align._dp: the compiled kernels of the vertical design's dynamic programme.

Each kernel is checked against a plain numpy/Python statement of what it computes, on random
bands (fixtures generated here): the station-cost formula of the cost model, the sliding-window
recurrence over arbitrary level bands (including bands that shift by more than ``k`` levels
and levels no earlier level can reach), and the backtrack's tie rule.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from corridor._errors import ParameterError
from corridor.align import _dp
from corridor.align._earthworks import cost_model
from corridor.costs import CostParams


def _formula(d: np.ndarray, m) -> np.ndarray:
    """The cost model written out in float64 (what the float32 kernel must approximate)."""
    cut, fill = np.maximum(d, 0), np.maximum(-d, 0)
    out = m.open_usd_m + m.c_cut * cut * (m.w_cut + m.s_cut * cut) + m.c_fill * fill * (m.w_fill + m.s_fill * fill)
    out = np.where(d > 0, np.minimum(out, m.tunnel_usd_m), out)
    out = np.where(d < 0, np.minimum(out, m.bridge_usd_m), out)
    out = np.where(cut > m.cap_cut, m.tunnel_usd_m, out)
    return np.where(fill > m.cap_fill, m.bridge_usd_m, out)


@pytest.mark.parametrize("mode", ["rail", "road"])
@pytest.mark.parametrize("cap", [20.0, 80.0])
def test_cell_costs_follow_the_cost_model(mode, cap):
    m, _ = cost_model(mode, CostParams().replace(max_cut_depth_m=cap, max_fill_height_m=cap), None)
    d = np.concatenate([np.linspace(-120, 120, 4801), [0.0, cap, -cap, 1e6, -1e6]]).astype(np.float32)
    got = m.costs(d)
    assert got.dtype == np.float32 and got.shape == d.shape
    np.testing.assert_allclose(got, _formula(d.astype(np.float64), m), rtol=1e-6)
    assert got[-5] == pytest.approx(m.open_usd_m)  # at grade: open line, no structure
    assert got[-2] == pytest.approx(m.tunnel_usd_m) and got[-1] == pytest.approx(m.bridge_usd_m)
    assert _dp.cell_costs(d.reshape(-1, 1), m.coefficients()).shape == (d.size, 1)


def _kinds_by_definition(d: np.ndarray, m, open_tol: float) -> np.ndarray:
    """What is built at depth ``d``, written out in float64: the structure over its cap or where dearer
    earthworks would cost more than it, else cut/fill beyond ``open_tol`` and open line within it."""
    cut, fill = np.maximum(d, 0), np.maximum(-d, 0)
    e_cut = m.open_usd_m + m.c_cut * (m.w_cut * cut + m.s_cut * cut * cut)
    e_fill = m.open_usd_m + m.c_fill * (m.w_fill * fill + m.s_fill * fill * fill)
    k = np.full(d.shape, _dp.OPEN, dtype=np.int8)
    k[d > open_tol] = _dp.CUT
    k[-d > open_tol] = _dp.FILL
    k[(d > 0) & ((cut > m.cap_cut) | (e_cut > m.tunnel_usd_m))] = _dp.TUNNEL
    k[(d < 0) & ((fill > m.cap_fill) | (e_fill > m.bridge_usd_m))] = _dp.BRIDGE
    return k


@pytest.mark.parametrize("mode", ["rail", "road"])
@pytest.mark.parametrize("cap", [20.0, 80.0])
def test_cell_kinds_are_what_the_cost_model_priced(mode, cap):
    m, _ = cost_model(mode, CostParams().replace(max_cut_depth_m=cap, max_fill_height_m=cap), None)
    step = 0.5
    ground = np.linspace(180.0, 420.0, 4801)
    lev = np.full(ground.size, 480)  # the formation at 240 m: from 60 m above ground to 180 m below it
    base = ground / step
    got = _dp.cell_kinds(base, step, lev, m.coefficients(), step / 2)
    d = step * (base - lev)
    away = np.abs(np.abs(d) - step / 2) > 1e-6  # leave out depths on the open tolerance itself
    np.testing.assert_array_equal(got[away], _kinds_by_definition(d, m, step / 2)[away])
    assert set(got.tolist()) >= {_dp.TUNNEL, _dp.BRIDGE, _dp.CUT, _dp.FILL, _dp.OPEN}
    # a station is a structure exactly where it was priced at the structure's rate
    price = m.costs(d.astype(np.float32))
    assert np.all((got == _dp.TUNNEL) == ((d > 0) & (price == np.float32(m.tunnel_usd_m))))
    assert np.all((got == _dp.BRIDGE) == ((d < 0) & (price == np.float32(m.bridge_usd_m))))
    with pytest.raises(ParameterError):
        _dp.cell_kinds(base, step, lev[:-1], m.coefficients(), step / 2)


def _reference(base, step, weight, lo, hi, k, m):
    """Cost-to-come by the definition: per cell, its cost plus the least over the previous row's window."""
    rows = []
    for i in range(len(lo)):
        levels = np.arange(lo[i], hi[i] + 1)
        own = m.costs((step * (base[i] - levels)).astype(np.float32)) * np.float32(weight[i])
        if i:
            prev = rows[-1]
            best = np.array([min((prev[q - lo[i - 1]] for q in range(max(lo[i - 1], j - k), min(hi[i - 1], j + k) + 1)),
                                 default=np.float32(np.inf)) for j in levels], dtype=np.float32)
            own = own + best
        rows.append(own.astype(np.float32))
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_forward_matches_the_definition_over_arbitrary_bands(seed):
    rng = np.random.default_rng(seed)
    m, _ = cost_model("road" if seed % 2 else "rail", CostParams(), None)
    n, k = int(rng.integers(2, 30)), int(rng.integers(1, 5))
    lo = rng.integers(0, 25, n)
    hi = lo + rng.integers(0, 12, n)  # bands jump by far more than k levels: some cells unreachable
    base = rng.uniform(0, 40, n)
    weight = rng.uniform(10, 300, n)
    step = float(rng.uniform(0.5, 3.0))
    starts = np.concatenate([[0], np.cumsum(hi - lo + 1)[:-1]])
    cost = _dp.forward(base, step, weight, starts, lo, hi, k, m.coefficients())
    for i, row in enumerate(_reference(base, step, weight, lo, hi, k, m)):
        got = cost[starts[i]:starts[i] + hi[i] - lo[i] + 1]
        np.testing.assert_array_equal(np.isinf(got), np.isinf(row))
        np.testing.assert_allclose(got[np.isfinite(got)], row[np.isfinite(row)], rtol=1e-5)


def test_backtrack_takes_the_first_least_level_and_stays_within_k():
    cost = np.array([3, 1, 1, 9,   # station 0, levels 0..3: a tie at 1 and 2
                     5, 5, 5, 5,   # station 1
                     0, 7, 7, 7], dtype=np.float32)  # station 2
    starts, lo, hi = np.array([0, 4, 8]), np.zeros(3, dtype=np.int64), np.full(3, 3)
    assert _dp.backtrack(cost, starts, lo, hi, 1, 3).tolist() == [1, 2, 3]
    assert _dp.backtrack(cost, starts, lo, hi, 2, 0).tolist() == [1, 0, 0]


def test_kernels_compile_without_a_writable_cache(monkeypatch):
    """A read-only install with no home: numba cannot cache (it raises at decoration); the kernel is
    then compiled in memory instead of failing the import."""
    import numba

    real = numba.njit

    def no_cache(*args, **kwargs):
        if kwargs.get("cache"):
            raise RuntimeError("cannot cache function 'f': no locator available for file 'x.py'")
        return real(*args, **kwargs)

    monkeypatch.setattr(numba, "njit", no_cache)

    def twice(x: float) -> float:
        return 2 * x

    compiled = _dp.njit(twice)
    assert compiled(2.5) == 5.0 and hasattr(compiled, "py_func")


def test_a_void_stays_nan_instead_of_pricing_as_open_line():
    m, _ = cost_model("rail", CostParams(), None)
    got = m.costs(np.array([np.nan, 0.0], dtype=np.float32))
    assert np.isnan(got[0]) and got[1] == pytest.approx(m.open_usd_m)


def _layout(lo, hi):
    lo, hi = np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64)
    return np.concatenate([[0], np.cumsum(hi - lo + 1)[:-1]]).astype(np.int64), lo, hi


@pytest.mark.parametrize("lo, hi, starts", [
    ([0, 10, 0], [9, 5, 0], None),  # a band with hi < lo before the last station
    ([], [], None),  # no station
    ([0, 0], [3, 3], [0, 2]),  # rows overlapping
])
def test_forward_refuses_a_layout_outside_its_buffer(lo, hi, starts):
    """numba does not check bounds: a bad layout is refused instead of writing past the buffer."""
    m, _ = cost_model("rail", CostParams(), None)
    st, lo_, hi_ = _layout(lo, hi) if lo else (np.zeros(0, np.int64),) * 3
    if starts is not None:
        st = np.asarray(starts, dtype=np.int64)
    n = lo_.size
    with pytest.raises(ParameterError):
        _dp.forward(np.zeros(n), 1.0, np.ones(n), st, lo_, hi_, 1, m.coefficients())


def test_backtrack_refuses_levels_outside_the_bands():
    starts, lo, hi = _layout([0, 10], [3, 13])  # the band jumps by more than k = 1
    cost = np.zeros(8, dtype=np.float32)
    with pytest.raises(ParameterError, match="within k levels"):
        _dp.backtrack(cost, starts, lo, hi, 1, 12)
    with pytest.raises(ParameterError, match="last band"):
        _dp.backtrack(cost, starts, lo, hi, 1, 20)
    with pytest.raises(ParameterError, match="shorter"):
        _dp.backtrack(np.zeros(3, dtype=np.float32), *_layout([0, 0], [3, 3]), 1, 1)


def _offset_path_by_enumeration(cost, rise, offs, limit, first, last):
    """Every choice of offsets: the least cost of an admissible one (None: there is none)."""
    n, m = cost.shape
    best = None
    for path in itertools.product(range(m), repeat=n):
        if (first >= 0 and path[0] != first) or (last >= 0 and path[-1] != last):
            continue
        if any(abs(rise[i] + offs[i + 1, path[i + 1]] - offs[i, path[i]]) > limit for i in range(n - 1)):
            continue
        total = sum(cost[i, path[i]] for i in range(n))
        if np.isfinite(total) and (best is None or total < best):
            best = total
    return best


@pytest.mark.parametrize("seed", range(16))
def test_offset_path_is_the_least_cost_admissible_choice(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 6)), int(rng.integers(1, 5))
    cost = rng.uniform(1.0, 10.0, (n, m))
    cost[rng.random((n, m)) < 0.15] = np.inf  # offsets a window does not allow
    rise = rng.uniform(-1.0, 1.0, n - 1)
    offs = np.sort(rng.uniform(-0.6, 0.6, (n, m)), axis=1)  # each station's own choices
    first, last = (int(rng.integers(-1, m)) for _ in range(2))
    best = _offset_path_by_enumeration(cost, rise, offs, 0.8, first, last)
    got = _dp.offset_path(cost, rise, offs, 0.8, first, last)
    if best is None:
        assert got.size == 0
    else:
        assert got.size == n and first in (-1, got[0]) and last in (-1, got[-1])
        assert np.all(np.abs(rise + np.diff(offs[np.arange(n), got])) <= 0.8)
        assert sum(cost[i, j] for i, j in enumerate(got)) == pytest.approx(best)
    with pytest.raises(ParameterError):
        _dp.offset_path(cost, rise[:-1] if n > 1 else np.zeros(1), offs, 0.8, first, last)
    with pytest.raises(ParameterError):
        _dp.offset_path(cost, rise, offs, 0.8, m, last)
    with pytest.raises(ParameterError):
        _dp.offset_path(cost, rise, offs[:, :-1], 0.8, first, last)
