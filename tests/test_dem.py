"""Tests of corridor.terrain.dem: the DEM raster (the embedded grid, sampling, windows, ground
resolution, warped grids, arrays) and its documented vertical error, on synthetic DEMs with exactly
known answers (tests/_demgen.py).

``slope_dem`` comes from tests/conftest.py; ``files`` (GeoTIFFs of the ridge, its tiles, a void) from
tests/_demlines.py. The files a DEM is opened from are tested in test_dem_files.
"""

from __future__ import annotations

from typing import Any

import _demgen as gen
import numpy as np
import pytest
from _demlines import dem_files
from affine import Affine

from corridor._errors import DEMCoverageError, InvalidInputError, ParameterError
from corridor.terrain import DEM


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """GeoTIFF of the ridge, its four quadrant tiles, and a void version (tests/_demlines.dem_files)."""
    return dem_files(tmp_path_factory.mktemp("dem"))


# ------------------------------------------------------------------ DEM
def test_open_embedded_and_known_places():
    dem = DEM.open(None)
    assert dem.crs == "EPSG:4326" and dem.shape == (564, 1020)
    assert "GLOBE" in dem.source
    z = dem.sample([44.51, 45.25, 43.85, 45.412, 50.5], [40.18, 40.35, 40.79, 39.209, 40.0])
    assert 900 < z[0] < 1300  # Yerevan ~990 m
    assert 1850 < z[1] < 1950  # Lake Sevan surface ~1900 m
    assert 1400 < z[2] < 1700  # Gyumri ~1550 m
    assert 800 < z[3] < 1000  # Nakhchivan ~900 m
    assert np.isnan(z[4])  # Caspian Sea: nodata, not 0
    arr, _ = dem.read((44.1, 39.5, 44.5, 39.9))
    assert 4600 < np.nanmax(arr) < 5200  # Mount Ararat 5137 m, smoothed by 1 km cells


def test_sample_bilinear_and_nearest(slope_dem):
    lons, lats, _tr = gen.grid()
    z, _ = gen.slope(grade=0.02)
    # at a pixel centre both methods give the pixel value
    got = slope_dem.sample([lons[200], lons[10]], [lats[100], lats[300]])
    assert got == pytest.approx([z[100, 200], z[300, 10]], abs=1e-3)
    # halfway between two row centres bilinear is the mean, nearest one of them
    mid = (lats[100] + lats[101]) / 2
    assert slope_dem.sample([lons[5]], [mid])[0] == pytest.approx((z[100, 5] + z[101, 5]) / 2, abs=1e-3)
    near = slope_dem.sample([lons[5]], [lats[100] + 0.0001], method="nearest")[0]
    assert near == pytest.approx(z[100, 5], abs=1e-3)
    # off the grid -> NaN
    assert np.isnan(slope_dem.sample([44.0, 45.1], [40.1, 41.0])).all()
    with pytest.raises(InvalidInputError, match="cubic"):
        slope_dem.sample([45.1], [40.1], method="cubic")
    with pytest.raises(InvalidInputError, match="same length"):
        slope_dem.sample([45.1, 45.0], [40.1])


def test_nearest_identical_to_rasterio(files):
    import rasterio

    rng = np.random.default_rng(1)
    x, y = rng.uniform(44.99, 45.21, 5000), rng.uniform(39.99, 40.21, 5000)
    dem = DEM.open(files.void)
    with rasterio.open(files.void) as ds:
        ref = np.array([v[0] for v in ds.sample(zip(x, y, strict=True))], dtype=float)
    inside = dem.covers(x, y)
    ref[ref == -32768] = np.nan
    ref[~inside] = np.nan
    np.testing.assert_array_equal(dem.sample(x, y, method="nearest"), ref)


def test_bilinear_void_is_nan(files):
    dem = DEM.open(files.void)
    lons, lats, _ = gen.grid()
    z = dem.sample([lons[200], lons[200], lons[200]], [lats[175], (lats[149] + lats[150]) / 2, lats[100]])
    assert np.isnan(z[0]) and np.isnan(z[1]) and not np.isnan(z[2])


def test_read_window_and_errors(slope_dem):
    arr, tr = slope_dem.read((45.05, 40.05, 45.1, 40.1))  # edges on pixel centres: snapped outward
    assert arr.dtype == np.float32 and arr.shape == (101, 101)
    assert slope_dem.read((45.04975, 40.04975, 45.09975, 40.09975))[0].shape == (100, 100)
    assert tr.c == pytest.approx(45.05 - 0.00025) and tr.a == pytest.approx(0.0005)
    full, tr_full = slope_dem.read()
    assert full.shape == slope_dem.shape and tr_full == slope_dem.transform
    full[0, 0] = -1  # a copy: the DEM is not changed
    assert slope_dem.read()[0][0, 0] != -1
    with pytest.raises(DEMCoverageError, match="does not overlap"):
        slope_dem.read((10, 10, 11, 11))


def test_ground_resolution(slope_dem):
    assert slope_dem.ground_resolution_m(40.0) == pytest.approx(0.0005 * 85394 * 0.9995, rel=2e-3)
    assert slope_dem.res_deg == pytest.approx((0.0005, 0.0005))
    with pytest.raises(InvalidInputError):
        slope_dem.ground_resolution_m(100)


def test_projected_dem_is_warped(tmp_path):
    from pyproj import Transformer

    to_utm = Transformer.from_crs(4326, 32638, always_xy=True)
    e0, n0 = to_utm.transform(45.0, 40.0)
    res = 50.0
    n = 400
    tr = Affine(res, 0, e0 - 1000, 0, -res, n0 + 19000)
    northing = tr.f - res * (np.arange(n) + 0.5)
    z = np.repeat((1000 + 0.01 * (northing - n0))[:, None], n, axis=1)
    path = gen.write_tif(tmp_path / "utm.tif", z, tr, crs="EPSG:32638")
    dem = DEM.open(path)
    assert dem.crs == "EPSG:4326" and "warped" in dem.source and dem.bounds.left < 45.0 < dem.bounds.right
    _e, nn = to_utm.transform(45.05, 40.1)
    assert dem.sample([45.05], [40.1])[0] == pytest.approx(1000 + 0.01 * (nn - n0), abs=2.0)


def test_from_array_validation():
    with pytest.raises(InvalidInputError, match="2-D"):
        DEM.from_array(np.zeros(5), Affine(1, 0, 0, 0, -1, 0))
    with pytest.raises(InvalidInputError, match="north-up"):
        DEM.from_array(np.zeros((2, 2)), Affine(1, 0, 0, 0, 1, 0))
    dem = DEM.from_array(np.array([[1.0, -9999.0]]), Affine(1, 0, 0, 0, -1, 1), nodata=-9999)
    assert np.isnan(dem.sample([1.5], [0.5], method="nearest")[0])


# --- documented vertical error (one table: corridor.terrain.dem.VERTICAL_ERRORS) ----------------------
def test_le90_to_sigma_is_the_normal_90_percent_point():
    from scipy.stats import norm

    from corridor.terrain.dem import LE90_PER_SIGMA, VERTICAL_ERRORS

    assert abs(LE90_PER_SIGMA - norm.ppf(0.95)) < 1e-12
    # P(|e| < LE90) = 90 % for e ~ N(0, sigma)
    assert norm.cdf(LE90_PER_SIGMA) - norm.cdf(-LE90_PER_SIGMA) == pytest.approx(0.90, abs=1e-12)
    assert set(VERTICAL_ERRORS) >= {"GLOBE", "GLO-30", "GLO-90", "unknown"}
    for value, source in VERTICAL_ERRORS.values():
        assert value > 0 and len(source) > 20
    assert "Product Handbook" in VERTICAL_ERRORS["GLO-30"][1] and "GLOBE" in VERTICAL_ERRORS["GLOBE"][1]
    # the default for an unknown DEM is no better than the documented satellite DEM figures
    assert VERTICAL_ERRORS["unknown"][0] >= max(VERTICAL_ERRORS["GLO-30"][0], VERTICAL_ERRORS["GLO-90"][0])


def test_embedded_dem_carries_the_globe_error():
    from corridor.terrain.dem import LE90_PER_SIGMA, VERTICAL_ERRORS

    dem = DEM.open(None)
    assert dem.vertical_le90_m == VERTICAL_ERRORS["GLOBE"][0] == 30.0
    assert dem.vertical_sigma_m == pytest.approx(30.0 / LE90_PER_SIGMA)
    assert dem.vertical_sigma_m == pytest.approx(18.24, abs=0.01)  # GLOBE docs: ±30 m LE90 = 18 m RMSE
    assert "GLOBE" in dem.vertical_error_note
    # an override is a copy: the shared embedded DEM is never changed
    mine = DEM.open(None, vertical_le90_m=45.0)
    assert mine is not dem and mine.vertical_le90_m == 45.0 and "caller" in mine.vertical_error_note
    assert DEM.open(None).vertical_le90_m == 30.0
    again = DEM.open(dem, vertical_le90_m=12.0)
    assert again.vertical_le90_m == 12.0 and dem.vertical_le90_m == 30.0
    assert DEM.open(dem) is dem
    z = mine.sample([44.51], [40.18])
    assert z[0] == dem.sample([44.51], [40.18])[0]


def test_user_dem_error_default_and_override(tmp_path):
    from corridor.terrain.dem import VERTICAL_ERRORS

    z, tr = gen.slope(n=41)
    path = gen.write_tif(tmp_path / "mine.tif", z, tr)
    dem = DEM.open(path)
    assert dem.vertical_le90_m == VERTICAL_ERRORS["unknown"][0] and "unknown" in dem.vertical_error_note
    assert DEM.open(path, vertical_le90_m=2.5).vertical_le90_m == 2.5
    assert DEM.open(path, vertical_le90_m=0).vertical_sigma_m == 0.0  # exact (synthetic) data
    assert DEM.from_array(z, tr).vertical_le90_m == VERTICAL_ERRORS["unknown"][0]
    assert DEM.from_array(z, tr, vertical_le90_m=6.0).vertical_sigma_m == pytest.approx(6.0 / 1.6448536)
    bads: tuple[Any, ...] = (-1.0, float("nan"), float("inf"), "x", True)
    for bad in bads:
        with pytest.raises(ParameterError, match="vertical_le90_m"):
            DEM.open(path, vertical_le90_m=bad)
        with pytest.raises(ParameterError, match="vertical_le90_m"):
            DEM.from_array(z, tr, vertical_le90_m=bad)
    with pytest.raises(ParameterError, match="vertical_le90_m"):
        DEM.open(None, vertical_le90_m=-3)


def test_copernicus_tiles_and_mixed_mosaic_take_the_worst(tmp_path):
    from corridor.terrain import tile_name

    glo30 = gen.copernicus_tile(tmp_path / f"{tile_name(39, 45, source='copernicus-30')}.tif", 39, 45, n=60)
    glo90 = gen.copernicus_tile(tmp_path / f"{tile_name(39, 46)}.tif", 39, 46, n=20)
    assert DEM.open(glo30).vertical_le90_m == 4.0 and "GLO-30" in DEM.open(glo30).vertical_error_note
    both = DEM.open([glo30, glo90])
    assert both.vertical_le90_m == 4.0 and "GLO-30, GLO-90" in both.vertical_error_note
    # a tile of unknown provenance in the mosaic: the worst documented figure applies
    other = gen.copernicus_tile(tmp_path / "N39E047.tif", 39, 47, n=20)
    mixed = DEM.open([glo90, other])
    assert mixed.vertical_le90_m == 16.0 and "worst of GLO-90, unknown" in mixed.vertical_error_note
    # a name only looks like a Copernicus tile when it is one
    fake = gen.copernicus_tile(tmp_path / "Copernicus_DSM_COG_10_N39_00_E045_00_DEM.tif.bak.tif", 39, 45)
    assert DEM.open(fake).vertical_le90_m == 16.0


def test_vrt_over_copernicus_tiles_takes_their_product(tmp_path):
    """A VRT built over fetched tiles (rio-vrt, as ``--dem dem/copernicus.vrt``) carries the tiles' product,
    as the folder or the list of the same tiles does; mixed sources take the worst; sources of unknown
    product (or a VRT of VRTs) count as unknown."""
    from rio_vrt import build_vrt

    from corridor.terrain import tile_name

    glo90 = [gen.copernicus_tile(tmp_path / f"{tile_name(39, lon)}.tif", 39, lon, n=20) for lon in (45, 46)]
    glo30 = [gen.copernicus_tile(tmp_path / f"{tile_name(40, lon, source='copernicus-30')}.tif", 40, lon, n=20)
             for lon in (45, 46)]
    other = gen.copernicus_tile(tmp_path / "N41E045.tif", 41, 45, n=20)
    vrt = build_vrt(tmp_path / "copernicus.vrt", glo90)
    dem = DEM.open(vrt)
    assert DEM.open(glo90).vertical_le90_m == dem.vertical_le90_m == 4.0
    assert "GLO-90" in dem.vertical_error_note and "unknown" not in dem.vertical_error_note
    assert 1000 < dem.sample([45.5], [39.5])[0] < 1110  # the VRT itself is what is read
    mixed = DEM.open(build_vrt(tmp_path / "mixed.vrt", [*glo90, *glo30]))
    assert mixed.vertical_le90_m == 4.0 and "worst of GLO-30, GLO-90" in mixed.vertical_error_note
    worst = DEM.open(build_vrt(tmp_path / "worst.vrt", [glo90[0], other]))
    assert worst.vertical_le90_m == 16.0 and "worst of GLO-90, unknown" in worst.vertical_error_note
    (tmp_path / "sub").mkdir()
    nested = DEM.open(build_vrt(tmp_path / "sub" / "outer.vrt", [vrt, tmp_path / "mixed.vrt"]))
    assert nested.vertical_le90_m == 16.0
    # a VRT's own name says nothing: one named like a tile, over an unknown raster, is unknown
    fake = build_vrt(tmp_path / "Copernicus_DSM_COG_10_N41_00_E045_00_DEM.vrt",
                     [other, gen.copernicus_tile(tmp_path / "N41E046.tif", 41, 46, n=20)])
    assert DEM.open(fake).vertical_le90_m == 16.0


def test_the_embedded_dem_given_by_its_path_keeps_globes_error_and_provenance(tmp_path):
    """`--dem data/region/dem_globe30.tif` is the embedded GLOBE grid: its documented error (30 m LE90),
    not the conservative figure for an unknown DEM, and the same provenance; a copy elsewhere is unknown."""
    import shutil

    from corridor.data.datasets import dem_path

    embedded = DEM.open(None)
    by_path = DEM.open(str(dem_path()))
    assert by_path.vertical_le90_m == embedded.vertical_le90_m == 30.0
    assert by_path.source == embedded.source
    assert DEM.open(dem_path(), vertical_le90_m=12.0).vertical_le90_m == 12.0  # the caller's figure wins
    copy = tmp_path / "mine.tif"
    shutil.copy(dem_path(), copy)
    assert DEM.open(copy).vertical_le90_m != 30.0  # not recognised by content: an unknown product
