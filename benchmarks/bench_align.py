"""Benchmark: windowed grade-aware search vs the same search over the whole raster.

The embedded GLOBE 30" DEM (1020 x 564) is resampled with ``scipy.ndimage.zoom``
(x7 -> 28 M cells, ~130 m; x3 with ``quick``) into an in-memory DEM. Two legs
(~100 km each) are solved with the grade-aware move graph
(:mod:`corridor.align.gradesearch`, 16-connected, road prices):

* baseline: the move graph of the *whole* raster (28 M nodes, ~450 M directed
  edges: float32 weight table, float64/int32 CSR, ~9 GB at the peak) and one
  ``scipy.sparse.csgraph.dijkstra`` from the start cell;
* candidate: :func:`corridor.align.gradewindow.search_windowed` on the same cell
  fields: the corridor around the leg, widened until the path is proven
  optimal (exit bound), which makes its cost equal to the whole-raster cost.

The cell fields (terrain class, structure kind) are computed once for the
whole raster and are not in either time. Also timed: ``corridor.align.trace``
end to end (reads the DEM around the leg, cell fields there, windowed search,
structure flagging), whose path cost is compared with the whole-raster one too
(its cell fields come from the area read, so it can differ slightly near that
area's edge). Printed: speed ratios (whole / windowed; > 1 means the windowed
search is faster) and path-cost differences.

First, for every built-in scenario traced as new build throughout
(``Scenario.route()``, embedded DEM), the time of the least-cost vertical
design (:func:`corridor.align.structures.vertical_design`: profile sampling and
the dynamic programme) as a share of the horizontal search's time
(cell fields and leg searches), both measured inside the same ``trace`` call:
for one search and design pass (``CostParams.vertical_refine_rounds = 0``),
and for the default trace, whose refinement (:mod:`corridor.align._refine`)
searches legs again and designs every re-searched leg (printed with the trace
time against the one pass); the target, <= 0.25, applies to both. The
design's compiled kernels (:mod:`corridor.align._dp`) load once per process,
before the timings (that first call is printed). The
end-to-end ``trace`` of the 28 M-cell legs below is one pass too: its path
cost is the search's, compared with the whole-raster search.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

LEGS = (((44.55, 40.05), (45.70, 40.15)),  # Yerevan plain to Sevan basin, over the Geghama ridge
        ((45.30, 39.30), (46.20, 39.60)))  # Nakhchivan foothills into the Zangezur range


@contextmanager
def _timed(module: Any, names: tuple[str, ...], acc: dict[str, float], key: str) -> Iterator[None]:
    """Accumulate the wall time of calls to ``module.<name>`` into ``acc[key]`` (restored on exit)."""
    saved = {n: getattr(module, n) for n in names}

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def inner(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                acc[key] += time.perf_counter() - t0
        return inner

    for n, fn in saved.items():
        setattr(module, n, wrap(fn))
    try:
        yield
    finally:
        for n, fn in saved.items():
            setattr(module, n, fn)


def _scenario_times(s: Any, params: Any) -> tuple[Any, dict[str, float], float]:
    """Route of scenario ``s``; mean search and design time inside ``trace``, and trace time (s)."""
    from corridor.align import _assembly, _refine, tracing

    acc = {"search": 0.0, "design": 0.0}
    t0 = time.perf_counter()
    runs = 0
    # short scenarios take milliseconds: repeat until the search has run for 0.5 s (at most 50 runs)
    while runs == 0 or (acc["search"] < 0.5 and runs < 50):
        with _timed(tracing, ("_solve_leg", "_grade_fields"), acc, "search"), \
                _timed(_assembly, ("vertical_design",), acc, "design"), \
                _timed(_refine, ("vertical_design",), acc, "design"):
            r = s.route(params=params)
        runs += 1
    return r, {k: v / runs for k, v in acc.items()}, (time.perf_counter() - t0) / runs


def design_share() -> dict[str, float]:
    """Vertical design time / horizontal search time for every built-in scenario (new build throughout).

    Measured twice: one search and design pass (``vertical_refine_rounds = 0``), the target; and
    the default trace, whose refinement searches legs again and designs each re-searched leg.
    """
    from corridor import scenarios
    from corridor._errors import NoFeasibleAlignment
    from corridor.align.vertical import design_grade_line
    from corridor.costs import CostParams

    out: dict[str, float] = {}
    shares, refined = [], []
    one_pass = CostParams().replace(vertical_refine_rounds=0)
    # the design's compiled kernels load (or compile) on a process's first design: once, not per design
    t0 = time.perf_counter()
    design_grade_line(np.arange(0.0, 1001.0, 250.0), np.full(5, 100.0), mode="rail", max_grade=0.0125)
    out["design_first_call_s"] = time.perf_counter() - t0
    print("vertical design vs horizontal search, per built-in scenario (new build throughout, embedded DEM); "
          f"the first design of the process, which loads the compiled kernels, took {out['design_first_call_s']:.2f} s "
          "and is not counted")
    for s in sorted(scenarios.builtin(), key=lambda s: s.slug):
        try:
            r, acc, total = _scenario_times(s, one_pass)
            r2, acc2, total2 = _scenario_times(s, None)
        except NoFeasibleAlignment as exc:
            print(f"  {s.slug:24s} infeasible ({str(exc)[:90]}...)")
            continue
        share = acc["design"] / acc["search"] if acc["search"] > 0 else float("nan")
        share2 = acc2["design"] / acc2["search"] if acc2["search"] > 0 else float("nan")
        shares.append(share)
        refined.append(share2)
        ref = r2.meta.get("refinement", {})
        cost = ref.get("design_cost_musd", [float("nan")] * 2)
        print(f"  {s.slug:24s} {r.length_m / 1000:6.1f} km, one pass: trace {total * 1e3:6.1f} ms, search "
              f"{acc['search'] * 1e3:6.1f} ms, vertical design {acc['design'] * 1e3:5.2f} ms, share {share:5.3f} "
              f"(target <= 0.25)", flush=True)
        print(f"  {'':24s} default (refined, {ref.get('legs_kept', 0)} leg(s) kept, designed cost {cost[0]:.0f} -> "
              f"{cost[1]:.0f} M USD): trace {total2 * 1e3:6.1f} ms ({total2 / total:.2f}x), search "
              f"{acc2['search'] * 1e3:6.1f} ms, vertical design {acc2['design'] * 1e3:5.2f} ms, share {share2:5.3f}",
              flush=True)
        out[f"design_share_{s.slug}"] = share
        out[f"design_share_refined_{s.slug}"] = share2
        out[f"trace_refined_ratio_{s.slug}"] = total2 / total
    if shares:
        out["design_share_max"] = max(shares)
        out["design_share_refined_max"] = max(refined)
        print(f"  largest share, one search and design pass: {max(shares):.3f}; with the default refinement, which "
              f"designs each re-searched leg (corridor.align._refine): {max(refined):.3f} (target <= 0.25 for both)")
    return out


def run(quick: bool = False) -> dict[str, float]:
    from affine import Affine
    from scipy.ndimage import zoom
    from scipy.sparse.csgraph import dijkstra

    from corridor._geo import great_circle_m
    from corridor.align import _problem
    from corridor.align import gradesearch as _gradesearch
    from corridor.align import gradewindow as _gradewindow
    from corridor.align import surface as _cost
    from corridor.align import tracing as align
    from corridor.costs import CostParams
    from corridor.terrain import DEM

    shares = design_share()
    one_pass = CostParams().replace(vertical_refine_rounds=0)
    factor = 3 if quick else 7
    base = DEM.open(None)
    z0, tr0 = base.read()
    z0 = np.where(np.isfinite(z0), z0, -500.0)  # zoom cannot carry NaN; restore voids below
    z = zoom(z0.astype("float32"), factor, order=1)
    z[z < -400] = np.nan
    tr = Affine(tr0.a / factor, 0, tr0.c, 0, tr0.e / factor, tr0.f)
    dem = DEM.from_array(z, tr, source=f"GLOBE 30 arc-second x{factor} (bilinear zoom, benchmark only)")
    cells = z.size
    print(f"DEM {z.shape[1]} x {z.shape[0]} = {cells / 1e6:.1f} M cells", flush=True)

    grid = _cost.Grid(np.asarray(z, dtype=float), tr, dem.source)
    model = _gradesearch.GradeModel.for_mode("road")
    t0 = time.perf_counter()
    fields = _gradesearch.cell_fields(grid, np.ones(grid.shape), model)
    print(f"cell fields (whole raster, not timed below): {time.perf_counter() - t0:.1f} s", flush=True)

    # baseline: the whole-raster graph, built once, one Dijkstra per leg
    t0 = time.perf_counter()
    mat = _gradesearch.build_graph(fields, model, 16)
    t_build = time.perf_counter() - t0
    print(f"whole-raster graph: {mat.shape[0] / 1e6:.1f} M nodes, {mat.nnz / 1e6:.0f} M edges, "
          f"{(mat.data.nbytes + mat.indices.nbytes + mat.indptr.nbytes) / 1e9:.1f} GB, built in {t_build:.1f} s",
          flush=True)
    cols = grid.shape[1]
    whole: list[tuple[float, float]] = []
    for a, b in LEGS:
        s, e = grid.rowcol(*a), grid.rowcol(*b)
        t0 = time.perf_counter()
        dist = dijkstra(mat, directed=True, indices=s[0] * cols + s[1])
        t_dij = time.perf_counter() - t0
        whole.append((t_build + t_dij, float(dist[e[0] * cols + e[1]])))
        print(f"  leg {great_circle_m(*a, *b) / 1000:.0f} km: whole-raster dijkstra {t_dij:.1f} s "
              f"(+ build {t_build:.1f} s), path cost {whole[-1][1] / 1000:.1f} km-eq", flush=True)
        del dist
    del mat
    gc.collect()

    out: dict[str, float] = {"cells_millions": cells / 1e6, **shares}
    for k, ((a, b), (t_whole, c_whole)) in enumerate(zip(LEGS, whole, strict=True), start=1):
        s, e = grid.rowcol(*a), grid.rowcol(*b)
        hw = _problem.half_width(_cost.PRESETS["road"], great_circle_m(*a, *b), None)
        t0 = time.perf_counter()
        res = _gradewindow.search_windowed(grid, fields, model, s, e, hw)
        t_win = time.perf_counter() - t0
        ncells = sum((r1 - r0) * (c1 - c0) for r0, r1, c0, c1 in res.windows)
        diff = res.cost / c_whole - 1
        print(f"leg {k}: windowed search {t_win:.2f} s ({len(res.windows)} window(s), {ncells / 1e6:.2f} M cells "
              f"solved, proven={res.certified}), path cost {res.cost / 1000:.1f} km-eq; "
              f"speed-up {t_whole / t_win:.1f}x (target >= 5x), cost difference {100 * diff:+.4f} %", flush=True)
        t0 = time.perf_counter()
        r = align.trace([a, b], mode="road", dem=dem, params=one_pass)  # the search's own path and cost
        t_trace = time.perf_counter() - t0
        c_trace = float(sum(r.meta["leg_costs"]))
        dtr = c_trace / c_whole - 1
        print(f"leg {k}: align.trace end to end {t_trace:.2f} s, path cost {c_trace / 1000:.1f} km-eq, "
              f"route {r.length_m / 1000:.1f} km; speed-up {t_whole / t_trace:.1f}x, cost difference "
              f"{100 * dtr:+.4f} %", flush=True)
        out[f"leg{k}_speedup_windowed_vs_whole_raster"] = t_whole / t_win
        out[f"leg{k}_cost_diff_windowed_pct"] = 100 * diff
        out[f"leg{k}_speedup_trace_vs_whole_raster"] = t_whole / t_trace
        out[f"leg{k}_cost_diff_trace_pct"] = 100 * dtr
    return out


if __name__ == "__main__":
    run()
