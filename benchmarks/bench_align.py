"""Benchmark: windowed ``align.trace`` vs ``MCP_Geometric`` over the whole raster.

The embedded GLOBE 30" DEM (1020 x 564) is resampled with ``scipy.ndimage.zoom``
(x7 -> 28 M cells, ~130 m; x3 with ``quick``) into an in-memory DEM. Baseline:
the same cost surface (``corridor.align.surface.cost_surface``) built over the whole
raster and ``skimage.graph.MCP_Geometric.find_costs`` from start to end on it.
Candidate: ``corridor.align.trace`` between the same two points ~100 km apart
(reads the DEM around the leg, builds the cost surface there, searches the
buffer corridor, flags structures). Printed: the speed ratio (baseline time /
trace time; > 1 means trace is faster) and the path-cost ratio (trace / whole).
"""

from __future__ import annotations

import time

import numpy as np

A = (44.55, 40.05)
B = (45.70, 40.15)


def run(quick: bool = False) -> dict[str, float]:
    from affine import Affine
    from scipy.ndimage import zoom
    from skimage.graph import MCP_Geometric

    from corridor._geo import great_circle_m
    from corridor.align import surface as _cost
    from corridor.align import tracing as align
    from corridor.terrain import DEM

    factor = 3 if quick else 7
    base = DEM.open(None)
    z0, tr0 = base.read()
    z0 = np.where(np.isfinite(z0), z0, -500.0)  # zoom cannot carry NaN; restore voids below
    z = zoom(z0.astype("float32"), factor, order=1)
    z[z < -400] = np.nan
    tr = Affine(tr0.a / factor, 0, tr0.c, 0, tr0.e / factor, tr0.f)
    dem = DEM.from_array(z, tr, source=f"GLOBE 30 arc-second x{factor} (bilinear zoom, benchmark only)")
    cells = z.size
    print(f"DEM {z.shape[1]} x {z.shape[0]} = {cells / 1e6:.1f} M cells; "
          f"leg {great_circle_m(*A, *B) / 1000:.0f} km", flush=True)

    # baseline: MCP_Geometric over the whole raster
    t0 = time.perf_counter()
    grid = _cost.Grid(np.asarray(z, dtype=float), tr, dem.source)
    costs = _cost.cost_surface(grid, _cost.PRESETS["road"])
    s, e = grid.rowcol(*A), grid.rowcol(*B)
    dx, dy = grid.cell_m()
    mcp = MCP_Geometric(costs, fully_connected=True, sampling=(dy, float(dx[s[0]])))
    cum, _ = mcp.find_costs([s], [e])
    whole_cost = float(cum[e])
    t_whole = time.perf_counter() - t0
    del cum, mcp, costs, grid
    print(f"whole-raster MCP_Geometric: {t_whole:.2f} s, path cost {whole_cost / 1000:.1f} km-eq", flush=True)

    # candidate: windowed trace
    t0 = time.perf_counter()
    r = align.trace([A, B], mode="road", dem=dem)
    t_win = time.perf_counter() - t0
    win_cost = float(sum(r.meta["leg_costs"]))
    print(f"windowed trace: {t_win:.2f} s, path cost {win_cost / 1000:.1f} km-eq, "
          f"route {r.length_m / 1000:.1f} km", flush=True)
    speed = t_whole / t_win
    ratio = win_cost / whole_cost
    print(f"speed-up (whole / windowed): {speed:.1f}x (target >= 5x); "
          f"path cost ratio {ratio:.4f} (target within 1 %)")
    return {"cells_millions": cells / 1e6, "speedup_vs_whole_raster_mcp": speed, "path_cost_ratio": ratio}


if __name__ == "__main__":
    run()
