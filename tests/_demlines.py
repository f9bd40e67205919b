"""Test lines along the meridian 45.1 E over the synthetic DEMs of ``tests/_demgen.py``, and DEM files.

Shared by the terrain tests (test_dem, test_dem_files, test_profiles, test_sampling): ``LINE`` runs
north over the slope, ``RIDGE_LINE`` over the ridge's crest at ``CREST``; :func:`meridian_len` and
:func:`fwd_north` measure along the meridian (geodesic). :func:`dem_files` writes the GeoTIFF of the
ridge, its four quadrant tiles and a version of the slope with a void (each module's ``files``).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import _demgen as gen
from affine import Affine
from shapely.geometry import LineString

LON = 45.1  # meridian of every test line (pixel-centre column 200)
CREST = 40.1


def fwd_north(lat: float, metres: float) -> float:
    return float(gen.GEOD.fwd(LON, lat, 0.0, metres)[1])


def meridian_len(lat_a: float, lat_b: float) -> float:
    return float(gen.GEOD.inv(LON, lat_a, LON, lat_b)[2])


def dem_files(d: Path) -> SimpleNamespace:
    """GeoTIFF of the ridge, its four quadrant tiles, and a void version, written into ``d``."""
    z, tr = gen.ridge(height=350.0)
    whole = gen.write_tif(d / "ridge.tif", z, tr)
    tiles = d / "tiles"
    tiles.mkdir()
    paths = []
    h = z.shape[0] // 2
    for r0, r1 in ((0, h), (h, z.shape[0])):
        for c0, c1 in ((0, h), (h, z.shape[1])):
            paths.append(gen.write_tif(tiles / f"t{r0}_{c0}.tif", z[r0:r1, c0:c1], tr @ Affine.translation(c0, r0)))
    sz, str_ = gen.slope(grade=0.02)
    void = gen.write_tif(d / "void.tif", gen.with_void(sz, slice(150, 200), slice(150, 250)), str_)
    return SimpleNamespace(dir=d, whole=whole, tiles=paths, tiles_dir=tiles, void=void)


LINE = LineString([(LON, 40.02), (LON, 40.18)])
RIDGE_LINE = LineString([(LON, 40.02), (LON, CREST), (LON, 40.18)])
