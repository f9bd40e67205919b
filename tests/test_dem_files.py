"""Tests of corridor.terrain._dem_files: the raster files a DEM is opened from: GeoTIFF, .hgt and
.hgt.zip, mosaics of tiles (folders, lists, VRTs, different resolutions or nodata), bad files, rotated
or sheared grids and FIFOs (issue 15 §6), on synthetic DEMs with exactly known answers
(tests/_demgen.py).

``files`` (GeoTIFFs of the ridge, its tiles, a void) comes from tests/_demlines.py.
"""

from __future__ import annotations

import _demgen as gen
import numpy as np
import pytest
from _demlines import dem_files
from affine import Affine

from corridor._errors import DEMError
from corridor.terrain import DEM


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """GeoTIFF of the ridge, its four quadrant tiles, and a void version (tests/_demlines.dem_files)."""
    return dem_files(tmp_path_factory.mktemp("dem"))


def test_geotiff_hgt_and_hgt_zip_identical(tmp_path):
    tr, _res = gen.hgt_grid(40, 45)
    rows, cols = np.mgrid[0:1201, 0:1201]
    z = 1000 + 400 * np.sin(rows / 97.0) * np.cos(cols / 53.0) + cols * 0.3
    z = np.round(z)
    tif = gen.write_tif(tmp_path / "n40e045.tif", z, tr, dtype="int16", nodata=-32768)
    hgt = gen.write_hgt(tmp_path, z)
    hzip = gen.write_hgt(tmp_path / ".", z, zipped=True)
    a, b, c = DEM.open(tif), DEM.open(hgt), DEM.open(hzip)
    assert b.bounds == pytest.approx(a.bounds) and c.shape == a.shape == (1201, 1201)
    rng = np.random.default_rng(7)
    x, y = rng.uniform(45.0, 46.0, 2000), rng.uniform(40.0, 41.0, 2000)
    for method in ("bilinear", "nearest"):
        ref = a.sample(x, y, method=method)
        np.testing.assert_array_equal(b.sample(x, y, method=method), ref)
        np.testing.assert_array_equal(c.sample(x, y, method=method), ref)


def test_mosaic_of_tiles_matches_whole(files):
    whole = DEM.open(files.whole)
    mosaic = DEM.open(files.tiles)
    folder = DEM.open(files.tiles_dir)
    assert mosaic.bounds == pytest.approx(whole.bounds) and mosaic.shape == whole.shape
    rng = np.random.default_rng(3)
    x, y = rng.uniform(45.0, 45.2, 3000), rng.uniform(40.0, 40.2, 3000)
    ref = whole.sample(x, y)
    np.testing.assert_allclose(mosaic.sample(x, y), ref, atol=1e-4)
    np.testing.assert_allclose(folder.sample(x, y), ref, atol=1e-4)
    assert "4 tiles" not in mosaic.source and "t0_0.tif" in mosaic.source


def test_mosaic_of_different_resolutions_is_merged(tmp_path):
    z1, tr1 = gen.slope(grade=0.01, n=200)
    z2 = np.full((100, 100), 500.0)
    tr2 = Affine(0.001, 0, tr1.c + 200 * 0.0005, 0, -0.001, tr1.f)
    p1 = gen.write_tif(tmp_path / "a.tif", z1, tr1)
    p2 = gen.write_tif(tmp_path / "b.tif", z2, tr2)
    dem = DEM.open([p1, p2])
    assert "merged" in dem.source and dem.res_deg == pytest.approx((0.0005, 0.0005))
    assert dem.sample([tr2.c + 0.05], [tr2.f - 0.05])[0] == pytest.approx(500.0)


def test_bad_dem_files(tmp_path):
    with pytest.raises(DEMError, match="does not exist"):
        DEM.open(tmp_path / "nope.tif")
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\x00" + b"garbage" * 50)
    with pytest.raises(DEMError, match=r"bad\.tif"):
        DEM.open(bad)
    badzip = tmp_path / "N40E045.hgt.zip"
    badzip.write_bytes(b"PK not a zip")
    with pytest.raises(DEMError, match="zip"):
        DEM.open(badzip)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DEMError, match="no raster tiles"):
        DEM.open(empty)
    with pytest.raises(DEMError, match="no DEM file"):
        DEM.open([])
    # a truncated GeoTIFF opens but cannot be read: DEMError, not a raw GDAL error
    z, tr = gen.slope(n=401)
    good = gen.write_tif(tmp_path / "trunc.tif", z, tr)
    data = good.read_bytes()
    good.write_bytes(data[: len(data) // 2])
    with pytest.raises(DEMError):
        DEM.open(good).sample([45.1], [40.1])
    nocrs = gen.write_tif(tmp_path / "nocrs.tif", z, tr, crs=None)  # type: ignore[arg-type]
    with pytest.raises(DEMError, match="no coordinate reference system"):
        DEM.open(nocrs)


# ------------------------------------------------------------------ rotated grids and special files (issue 15 §6)
def _rotated(tr: Affine, degrees: float = 5.0) -> Affine:
    """``tr`` turned about its origin: the geotransform gets non-zero b/d (rotation) terms."""
    return Affine.translation(tr.c, tr.f) @ Affine.rotation(degrees) @ Affine(tr.a, 0, 0, 0, tr.e, 0)


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:32638"])
def test_rotated_geotiff_is_refused(tmp_path, crs):
    # a synthetic slope written with a rotated geotransform (as some scanned or rectified rasters are)
    z, tr = gen.slope(n=101)
    if crs != "EPSG:4326":  # the same grid in UTM metres: the warped path must refuse it too
        tr = Affine(30.0, 0, 500000.0, 0, -30.0, 4430000.0)
    path = gen.write_tif(tmp_path / "rotated.tif", z, _rotated(tr), crs=crs)
    with pytest.raises(DEMError, match=r"rotated\.tif.*rotated or sheared.*gdalwarp"):
        DEM.open(path)
    # in a folder of tiles (mosaic) and in a list of tiles beside a good one
    good = gen.write_tif(tmp_path / "good.tif", z, tr, crs=crs)
    for src in (tmp_path, [good, path]):
        with pytest.raises(DEMError, match=r"rotated\.tif"):
            DEM.open(src)
    # a shear alone is refused the same way; an axis-aligned grid still opens
    sheared = gen.write_tif(tmp_path / "sheared.tif", z, tr @ Affine.shear(3.0, 0.0), crs=crs)
    with pytest.raises(DEMError, match=r"sheared\.tif"):
        DEM.open(sheared)
    assert DEM.open(good).shape[0] > 0


def test_rotated_dem_in_cli_is_one_line(tmp_path, capsys):
    from corridor.cli import main

    z, tr = gen.slope(n=101)
    path = gen.write_tif(tmp_path / "rot.tif", z, _rotated(tr))
    assert main(["route", "45.01,40.01", "45.03,40.03", "--mode", "road", "--network", "none",
                 "--dem", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rot.tif" in err[0] and "gdalwarp" in err[0], err


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs os.mkfifo")
def test_fifo_dem_is_refused_not_read(tmp_path):
    import os
    import subprocess
    import sys
    import threading

    fifo = tmp_path / "dem.tif"
    os.mkfifo(fifo)
    folder = tmp_path / "tiles"
    folder.mkdir()
    gen.write_tif(folder / "a.tif", *gen.slope(n=11))
    os.mkfifo(folder / "b.tif")
    done = threading.Event()

    def unblock() -> None:  # should a reader open a FIFO after all, end it (EOF) so the test fails, not hangs
        if not done.wait(30):
            for f in (fifo, folder / "b.tif"):
                with contextlib.suppress(OSError):
                    os.close(os.open(f, os.O_WRONLY | os.O_NONBLOCK))

    import contextlib

    threading.Thread(target=unblock, daemon=True).start()
    try:
        with pytest.raises(DEMError, match=r"FIFO.*not a regular file"):
            DEM.open(fifo)
        with pytest.raises(DEMError, match=r"b\.tif.*FIFO"):
            DEM.open(folder)
    finally:
        done.set()
    # the CLI does not hang on it (a reader opening the FIFO would block until the timeout)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run([sys.executable, "-m", "corridor.cli", "route", "Ordubad", "Meghri", "--mode", "road",
                          "--network", "none", "--dem", str(fifo)], capture_output=True, text=True, timeout=120,
                         env=env)
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1 and "FIFO" in run.stderr and "dem.tif" in run.stderr


# ----------------------------------------------------------------------------- VRT mosaics (issue 17 §5: rio-vrt)
def test_zipped_hgt_tiles_mosaic_through_a_vrt(tmp_path):
    """Two SRTM .hgt.zip tiles (int16, -32768 voids) open as one VRT mosaic, not an in-memory merge:
    every sample equals the tile's own, voids are NaN."""
    rows, cols = np.mgrid[0:1201, 0:1201]
    za = np.round(1000 + 300 * np.sin(rows / 71.0) + cols * 0.2)
    zb = np.round(1500 + 200 * np.cos(cols / 43.0) - rows * 0.1)
    za[100:150, 200:260] = -32768  # a void
    a = gen.write_hgt(tmp_path, za, 40, 45, zipped=True)
    b = gen.write_hgt(tmp_path, zb, 40, 46, zipped=True)
    dem = DEM.open([a, b])
    assert "merged" not in dem.source and "VRTDataset" in str(dem._name) and dem.shape == (1201, 2401)
    rng = np.random.default_rng(11)
    xa, xb, y = rng.uniform(45.01, 45.99, 500), rng.uniform(46.01, 46.99, 500), rng.uniform(40.01, 40.99, 500)
    for x, tile in ((xa, a), (xb, b)):
        np.testing.assert_array_equal(dem.sample(x, y, method="nearest"), DEM.open(tile).sample(x, y, method="nearest"))
    void_lon, void_lat = 45.0 + 230 / 1200, 41.0 - 125 / 1200
    assert np.isnan(dem.sample([void_lon], [void_lat], method="nearest")[0])


def test_tiles_with_different_nodata_are_merged_with_their_voids(tmp_path):
    """rio-vrt takes one nodata for a mosaic: tiles that differ are merged, each void still NaN."""
    z, tr = gen.slope(grade=0.01, n=200)
    left = gen.write_tif(tmp_path / "l.tif", gen.with_void(z[:, :100], slice(10, 20), slice(10, 20)), tr)
    right = gen.write_tif(tmp_path / "r.tif", gen.with_void(z[:, 100:], slice(10, 20), slice(10, 20), nodata=-9999.0),
                          tr @ Affine.translation(100, 0), nodata=-9999.0)
    dem = DEM.open([left, right])
    assert "merged" in dem.source
    centre = [tr @ (15.5, 15.5), tr @ (115.5, 15.5)]
    assert np.isnan(dem.sample([c[0] for c in centre], [c[1] for c in centre], method="nearest")).all()
    x, y = tr @ (150.5, 150.5)
    assert dem.sample([x], [y], method="nearest")[0] == pytest.approx(z[150, 150])
