"""Terrain benchmarks: profile sampling and network edge grades.

1. ``profile`` (DEM open + geodesic densification + bilinear sampling + summary)
   against rasterio's ``DatasetReader.sample`` on the *same points* of a synthetic
   1°×1° GLO-90-like GeoTIFF (1200×1200 float32); nearest-neighbour values are
   checked to be identical. Target ≥ 20×.
2. ``edge_grades`` on a synthetic 200 k-edge lattice network against osmnx
   ``add_node_elevations_raster`` (cpus=1) + ``add_edge_grades`` on the same
   network and DEM file. ``edge_grades`` does more (samples every ~35 m along
   each edge instead of the end points). Target ≥ 5×.

All data are synthetic (modelled) and generated in a temporary folder.
Run: ``python -m benchmarks terrain [--quick]`` or ``python benchmarks/bench_terrain.py``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def _dem_file(folder: Path, n: int = 1200) -> Path:
    import rasterio
    from affine import Affine

    res = 1.0 / n
    rows, cols = np.mgrid[0:n, 0:n].astype("float32")
    z = 800 + 600 * np.sin(rows / 150.0) * np.cos(cols / 110.0) + 0.4 * rows
    z[500:520, 600:640] = -32768  # a void, as in real DEMs
    tr = Affine(res, 0, 45.0 - res / 2, 0, -res, 40.0 + res / 2)
    path = folder / "bench_dem.tif"
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                       crs="EPSG:4326", transform=tr, nodata=-32768, tiled=True, compress="deflate") as ds:
        ds.write(z.astype("float32"), 1)
    return path


def _best(fn: Any, repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_profile(path: Path, quick: bool) -> dict[str, float]:
    import rasterio
    from shapely.geometry import LineString

    from corridor.terrain import DEM, profile

    rng = np.random.default_rng(0)
    nv = 20 if quick else 60
    xs = 45.02 + 0.96 * rng.random(nv)
    ys = np.linspace(39.02, 39.98, nv) + 0.01 * rng.standard_normal(nv)
    line = LineString(np.column_stack([xs, np.clip(ys, 39.01, 39.99)]))
    step = 30.0 if quick else 15.0

    t_ours, prof = _best(lambda: profile(line, DEM.open(path), step_m=step, fill_voids=True), 3)
    pts = list(zip(prof.lon, prof.lat, strict=True))

    def baseline() -> np.ndarray:
        with rasterio.open(path) as ds:
            return np.array([v[0] for v in ds.sample(pts)], dtype=float)

    t_base, ref = _best(baseline, 1 if not quick else 2)
    ref[ref == -32768] = np.nan
    near = DEM.open(path).sample(prof.lon, prof.lat, method="nearest")
    identical = bool(np.array_equal(near, ref, equal_nan=True))
    t_samp, _ = _best(lambda: DEM.open(path).sample(prof.lon, prof.lat, method="nearest"), 3)
    n = len(pts)
    print(f"profile: {n} points over {prof.length_m / 1000:.0f} km (step {step} m)")
    print(f"  rasterio DatasetReader.sample     {t_base:8.3f} s")
    print(f"  corridor profile() (open+all)     {t_ours:8.3f} s   ratio {t_base / t_ours:7.1f}x (target >= 20)")
    print(f"  corridor DEM.sample nearest       {t_samp:8.3f} s   ratio {t_base / t_samp:7.1f}x")
    print(f"  nearest values identical to rasterio: {identical}")
    return {"profile_points": float(n), "profile_vs_rasterio_sample": t_base / t_ours,
            "dem_sample_nearest_vs_rasterio_sample": t_base / t_samp,
            "nearest_identical": float(identical)}


def _lattice(nx_: int, ny: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Node coordinates and (u, v) of a lattice with right and up neighbours."""
    lon = 45.01 + 0.98 * np.arange(nx_) / (nx_ - 1)
    lat = 39.01 + 0.98 * np.arange(ny) / (ny - 1)
    gx, gy = np.meshgrid(lon, lat)
    ids = np.arange(nx_ * ny).reshape(ny, nx_)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    return gx.ravel(), gy.ravel(), u, v


def bench_edges(path: Path, quick: bool) -> dict[str, float]:
    import geopandas as gpd
    import networkx as nx
    import osmnx as ox
    import shapely

    from corridor._geo import lengths_of
    from corridor.terrain import DEM, edge_grades

    side = 100 if quick else 317  # 2*317*316 = 200,344 edges
    x, y, u, v = _lattice(side, side)
    coords = np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
    geoms = shapely.linestrings(coords)
    edges = gpd.GeoDataFrame({"u": u, "v": v}, geometry=geoms, crs="EPSG:4326")
    lengths = lengths_of(geoms)
    G = nx.MultiDiGraph(crs="EPSG:4326")  # noqa: N806 (networkx convention)
    G.add_nodes_from((int(i), {"x": float(x[i]), "y": float(y[i])}) for i in range(len(x)))
    G.add_edges_from((int(a), int(b), 0, {"length": float(L)}) for a, b, L in zip(u, v, lengths, strict=True))
    n_edges = G.number_of_edges()

    def baseline() -> Any:
        ox.elevation.add_node_elevations_raster(G, path, cpus=1)
        return ox.elevation.add_edge_grades(G, add_absolute=True)

    t_base, _ = _best(baseline, 1)
    t_ours, out = _best(lambda: edge_grades(edges, DEM.open(path)), 2)
    step = DEM.open(path).ground_resolution_m(39.5) / 2
    samples = float(np.sum(np.maximum(2, np.ceil(lengths / step) + 1)))
    # sanity: rise over each edge agrees with osmnx's end-point difference (bilinear vs nearest)
    grade_osm = np.array([d["grade"] for _, _, d in G.edges(data=True)])
    rise_osm = grade_osm * lengths
    agree = float(np.nanmedian(np.abs(out["rise_m"].to_numpy() - rise_osm)))
    print(f"edge_grades: {n_edges} edges, {samples:.0f} samples along edges (osmnx: {len(x)} nodes)")
    print(f"  osmnx add_node_elevations_raster + add_edge_grades  {t_base:8.3f} s")
    print(f"  corridor edge_grades                                {t_ours:8.3f} s   ratio "
          f"{t_base / t_ours:6.1f}x (target >= 5)")
    print(f"  median |rise difference| vs osmnx end points: {agree:.2f} m (bilinear vs nearest)")
    return {"edges": float(n_edges), "edge_grades_vs_osmnx": t_base / t_ours,
            "edge_samples": samples, "rise_median_abs_diff_m": agree}


def run(quick: bool = False) -> dict[str, float]:
    """Run both benchmarks; return figures (ratios > 1 mean corridor is faster)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = _dem_file(Path(tmp), 600 if quick else 1200)
        out = bench_profile(path, quick)
        out.update(bench_edges(path, quick))
    return out


if __name__ == "__main__":
    run()
