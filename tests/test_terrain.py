"""Tests of corridor.terrain / corridor.terrain.dem on synthetic DEMs with exactly known answers."""

from __future__ import annotations

import io
import math
from types import SimpleNamespace
from typing import Any

import _demgen as gen
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString, MultiLineString

from corridor._errors import (
    CRSMismatchError,
    DEMCoverageError,
    DEMError,
    InvalidInputError,
    ParameterError,
)
from corridor.terrain import DEM, RAIL_GRADES, ROAD_GRADES, edge_grades, profile, sample_ground

LON = 45.1  # meridian of every test line (pixel-centre column 200)
CREST = 40.1


def fwd_north(lat: float, metres: float) -> float:
    return float(gen.GEOD.fwd(LON, lat, 0.0, metres)[1])


def meridian_len(lat_a: float, lat_b: float) -> float:
    return float(gen.GEOD.inv(LON, lat_a, LON, lat_b)[2])


@pytest.fixture(scope="module")
def slope_dem():
    z, tr = gen.slope(grade=0.02)
    return DEM.from_array(z, tr, source="synthetic slope (modelled)")


@pytest.fixture(scope="module")
def ridge_dem():
    z, tr = gen.ridge(height=350.0, half_width_m=5000.0)
    return DEM.from_array(z, tr, source="synthetic ridge (modelled)")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """GeoTIFF of the ridge, its four quadrant tiles, and a void version."""
    d = tmp_path_factory.mktemp("dem")
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


def test_embedded_profile_yerevan_to_sevan():
    p = profile([(44.51, 40.18), (44.95, 40.55)], mode="road")
    assert 600 < p.max_m - p.min_m < 1600 and p.ascent_m > 800
    assert p.step_m == pytest.approx(DEM.open(None).ground_resolution_m(40.365) / 2)
    assert "GLOBE" in p.dem_source


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


# -------------------------------------------------------------- profile
def test_profile_constant_slope(slope_dem):
    p = profile(LINE, slope_dem, mode="rail")
    length = meridian_len(40.02, 40.18)
    assert p.length_m == pytest.approx(length, abs=1e-6)
    assert p.ascent_m == pytest.approx(0.02 * length, abs=0.05) and p.descent_m == pytest.approx(0, abs=1e-3)
    np.testing.assert_allclose(p.grade, 0.02, atol=1e-5)
    assert p.mean_abs_grade == pytest.approx(0.02, abs=1e-5) and p.max_abs_grade == pytest.approx(0.02, abs=1e-5)
    assert p.share_above == {"12.5‰": 1.0, "18‰": 1.0, "25‰": 0.0}
    assert p.highest["lat"] == pytest.approx(40.18) and p.highest["distance_m"] == pytest.approx(length)
    assert p.min_m == pytest.approx(1000 + 0.02 * meridian_len(40.0, 40.02), abs=0.01)
    assert p.mean_m == pytest.approx((p.min_m + p.max_m) / 2, abs=0.01)
    assert p.step_m == pytest.approx(slope_dem.ground_resolution_m(40.1) / 2)
    assert np.all(np.diff(p.distance_m) <= p.step_m + 1e-6) and p.window_m == 200.0
    road = profile(LINE, slope_dem, mode="road", step_m=10)
    assert road.share_above == {"4%": 0.0, "6%": 0.0, "8%": 0.0} and road.window_m == 100.0
    assert set(profile(LINE, slope_dem).share_above) == {*(f"{t * 1000:g}‰" for t in RAIL_GRADES),
                                                        *(f"{t * 100:g}%" for t in ROAD_GRADES)}


def test_profile_ridge_exact_pass(ridge_dem):
    p = profile(RIDGE_LINE, ridge_dem, mode="road")
    length = meridian_len(40.02, 40.18)
    assert p.ascent_m == pytest.approx(350.0, abs=0.01) and p.descent_m == pytest.approx(350.0, abs=0.01)
    assert p.max_m == pytest.approx(1350.0, abs=0.01) and p.min_m == pytest.approx(1000.0, abs=0.01)
    assert p.highest["lat"] == pytest.approx(CREST, abs=1e-9) and p.highest["lon"] == pytest.approx(LON)
    assert p.highest["distance_m"] == pytest.approx(meridian_len(40.02, CREST), abs=1e-6)
    assert p.max_abs_grade == pytest.approx(0.07, abs=1e-4)
    flank = 10_000 / length  # two 5 km flanks at 7 %
    assert p.share_above["4%"] == pytest.approx(flank, abs=0.01)
    assert p.share_above["6%"] == pytest.approx(flank, abs=0.02)
    assert p.share_above["8%"] == 0.0
    assert p.mean_abs_grade == pytest.approx(700 / length, rel=0.02)


def test_tunnel_removes_the_climb(ridge_dem):
    dc = meridian_len(40.02, CREST)
    p = profile(RIDGE_LINE, ridge_dem, structures=[(dc - 2000, dc + 2000, "tunnel")], mode="rail")
    portal = 1000 + 350 * (1 - 2000 / 5000)
    assert p.max_m == pytest.approx(portal, abs=0.01)
    assert p.ascent_m == pytest.approx(portal - 1000, abs=0.01)
    assert p.structure_length_m == {"tunnel": 4000.0, "bridge": 0.0}
    inside = (p.distance_m > dc - 1900) & (p.distance_m < dc + 1900)
    np.testing.assert_allclose(p.elevation_m[inside], portal, atol=1e-6)
    assert np.nanmax(p.ground_m) == pytest.approx(1350.0, abs=0.01)  # the ground keeps the ridge
    np.testing.assert_allclose(p.grade[inside], 0.0, atol=1e-7)
    assert dc - 2000 in p.distance_m and dc + 2000 in p.distance_m  # portals are sampled


def test_bridge_over_valley(slope_dem):
    z, tr = gen.ridge(height=-120.0, half_width_m=3000.0)
    dem = DEM.from_array(z, tr)
    dc = meridian_len(40.02, CREST)
    p = profile(RIDGE_LINE, dem, structures=[(dc - 3100, dc + 3100, "bridge")], mode="road")
    assert p.descent_m == pytest.approx(0.0, abs=1e-6) and p.min_m == pytest.approx(1000.0, abs=1e-3)
    assert p.structure_length_m["bridge"] == 6200.0
    assert profile(RIDGE_LINE, dem).descent_m == pytest.approx(120.0, abs=0.01)


def test_route_structures_are_used(ridge_dem):
    from corridor.route import Route

    a, b = fwd_north(CREST, -2000), fwd_north(CREST, 2000)
    lines = [LineString([(LON, 40.02), (LON, a)]), LineString([(LON, a), (LON, b)]),
             LineString([(LON, b), (LON, 40.18)])]
    route = Route.from_lines(lines, mode="rail", attrs=[{}, {"structure": "tunnel"}, {}], split_units=False)
    p = profile(route, ridge_dem)
    assert p.mode == "rail" and p.window_m == 200.0
    assert p.structure_length_m["tunnel"] == pytest.approx(4000.0, abs=0.01)
    assert p.max_m == pytest.approx(1000 + 350 * 0.6, abs=0.01)
    # explicit structures override the route's
    # (no vertex on the crest here: the nearest ~21 m sample is within 0.75 m of it)
    assert profile(route, ridge_dem, structures=[]).max_m == pytest.approx(1350.0, abs=0.75)


def test_voids_raise_or_are_filled(files):
    dem = DEM.open(files.void)
    with pytest.raises(DEMCoverageError, match="fill_voids=True"):
        profile(LINE, dem)
    p = profile(LINE, dem, fill_voids=True, mode="rail")
    length = meridian_len(40.02, 40.18)
    assert p.voids_filled and "voids interpolated" in p.dem_source
    assert p.void_length_m == pytest.approx(51 * 55.5, rel=0.05)
    assert np.isnan(p.ground_m).sum() > 0 and not np.isnan(p.elevation_m).any()
    # the synthetic ground is a plane, so interpolating across the void is exact
    assert p.ascent_m == pytest.approx(0.02 * length, abs=0.05)
    np.testing.assert_allclose(p.grade, 0.02, atol=1e-4)
    assert p.summary()["voids_filled"] == 1.0


def test_sample_ground_is_the_profiles_sampling_with_its_checks(files):
    dem = DEM.open(files.void)
    xy = np.asarray(LINE.coords)
    with pytest.raises(DEMCoverageError, match="fill_voids=True"):
        sample_ground(xy, dem, step_m=100)
    d, z = sample_ground(xy, dem, step_m=100, fill_voids=True)
    p = profile(LINE, dem, step_m=100, fill_voids=True)
    np.testing.assert_array_equal(d, p.distance_m)
    np.testing.assert_allclose(z, p.elevation_m)  # voids interpolated, as the profile's line
    assert np.all(np.diff(d) <= 100 + 1e-9) and d[-1] == pytest.approx(meridian_len(40.02, 40.18))
    with pytest.raises(InvalidInputError, match="two or more"):
        sample_ground([(45.1, 40.1)], dem, step_m=100)
    with pytest.raises(ParameterError, match="step_m"):
        sample_ground(xy, dem, step_m=0)


def test_void_under_a_tunnel_is_not_an_error(files):
    dem = DEM.open(files.void)
    lats = gen.grid()[1]
    a = meridian_len(40.02, lats[200] - 0.001)
    b = meridian_len(40.02, lats[149] + 0.001)
    p = profile(LINE, dem, structures=[(a, b, "tunnel")])
    assert not p.voids_filled and p.ascent_m == pytest.approx(0.02 * meridian_len(40.02, 40.18), abs=0.05)


def test_profile_of_a_mosaic_file(files):
    p = profile(RIDGE_LINE, files.tiles)
    assert p.max_m == pytest.approx(1350.0, abs=0.01) and "t0_0.tif" in p.dem_source


def test_reversed_and_summary(ridge_dem):
    p = profile([(LON, 40.02), (LON, 40.13)], ridge_dem, mode="rail")
    r = p.reversed()
    assert (r.ascent_m, r.descent_m) == (p.descent_m, p.ascent_m)
    assert r.distance_m[0] == 0 and np.all(np.diff(r.distance_m) > 0)
    assert r.highest["distance_m"] == pytest.approx(p.length_m - p.highest["distance_m"])
    np.testing.assert_allclose(r.elevation_m, p.elevation_m[::-1])
    s = p.summary()
    assert all(isinstance(v, (float, str)) for v in s.values())
    assert s["ascent_m"] == p.ascent_m and s["highest_m"] == p.max_m and float(s["share_above_25‰"]) > 0
    assert s["length_m"] == pytest.approx(meridian_len(40.02, 40.13))


def test_plot_is_headless(ridge_dem):
    dc = meridian_len(40.02, CREST)
    p = profile(RIDGE_LINE, ridge_dem, structures=[(dc - 500, dc + 500, "tunnel")], mode="rail")
    ax = p.plot(title="ridge")
    assert ax.get_title() == "ridge" and ax.get_xlabel() == "distance (km)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "tunnel" in labels and any(lab.startswith("grade > 25") for lab in labels)
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"


def test_plot_labels_are_plain_text(tmp_path):
    """A DEM name / SOURCE tag or title with mathtext (malformed: raises if parsed) or control
    characters is drawn as typed (issue 15)."""
    from _maproutes import CONTROL, hostile

    _, metrics = hostile("$\\frac{$ red\x1b[31m\x07", tmp_path)
    ax = metrics[0].profile.plot(title="R $x^2$ \x07")
    texts = [t for t in ax.figure.findobj(lambda a: hasattr(a, "get_parse_math")) if "$" in t.get_text()]
    assert ax.get_title() == "R $x^2$ " and len(texts) >= 2
    assert all(not t.get_parse_math() and not CONTROL.search(t.get_text()) for t in texts)
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"


# ----------------------------------------------------------- CRS / input
def test_projected_shapely_line_is_rejected(slope_dem):
    with pytest.raises(CRSMismatchError, match="not degrees"):
        profile(LineString([(500000, 4400000), (501000, 4401000)]), slope_dem)


def test_geoseries_in_other_crs_is_reprojected(slope_dem):
    import geopandas as gpd

    gs = gpd.GeoSeries([LINE], crs=4326).to_crs(32638)
    p = profile(gs, slope_dem)
    assert p.length_m == pytest.approx(meridian_len(40.02, 40.18), rel=1e-6)
    gdf = gpd.GeoDataFrame(geometry=[LineString([(LON, 40.02), (LON, 40.1)]),
                                     LineString([(LON, 40.1), (LON, 40.18)])], crs=4326)
    assert profile(gdf, slope_dem).length_m == pytest.approx(p.length_m, rel=1e-6)
    multi = MultiLineString([[(LON, 40.02), (LON, 40.1)], [(LON, 40.1), (LON, 40.18)]])
    assert profile(multi, slope_dem).length_m == pytest.approx(p.length_m, rel=1e-6)


@pytest.mark.parametrize("line", [LineString(), [(45.1, 40.1)], [], LineString([(45.1, 40.1), (45.1, 40.1)])])
def test_empty_line(slope_dem, line):
    with pytest.raises(InvalidInputError, match=r"empty|one point|zero length|pairs"):
        profile(line, slope_dem)


def test_line_outside_dem(slope_dem):
    with pytest.raises(DEMCoverageError, match="leaves the DEM"):
        profile([(46.0, 41.0), (46.1, 41.1)], slope_dem)
    with pytest.raises(DEMCoverageError, match="between km"):
        profile([(45.1, 40.1), (45.1, 40.3)], slope_dem)


@pytest.mark.parametrize("step", [0, -5, float("nan"), float("inf"), "abc"])
def test_bad_step(slope_dem, step):
    with pytest.raises(ParameterError, match="step_m"):
        profile(LINE, slope_dem, step_m=step)


def test_bad_parameters(slope_dem):
    with pytest.raises(ParameterError, match="window_m"):
        profile(LINE, slope_dem, window_m=0)
    with pytest.raises(InvalidInputError, match="mode"):
        profile(LINE, slope_dem, mode="ship")
    with pytest.raises(InvalidInputError, match="tunnel"):
        profile(LINE, slope_dem, structures=[(0, 100, "viaduct")])
    with pytest.raises(InvalidInputError, match="outside the line"):
        profile(LINE, slope_dem, structures=[(0, 1e7, "tunnel")])
    with pytest.raises(InvalidInputError, match="start_m < end_m"):
        profile(LINE, slope_dem, structures=[(500, 100, "bridge")])
    with pytest.raises(ParameterError, match="larger step_m"):
        profile(LINE, slope_dem, step_m=1e-6)
    with pytest.raises(InvalidInputError, match="Point"):
        from shapely.geometry import Point

        profile(Point(45.1, 40.1), slope_dem)


# ----------------------------------------------------------- edge grades
def test_edge_grades(ridge_dem, slope_dem):
    import geopandas as gpd

    dc = meridian_len(40.02, CREST)
    edges = gpd.GeoDataFrame(
        {"tunnel": [False, False, True, False, False, None]},
        geometry=[
            LineString([(LON, 40.02), (LON, 40.18)]),  # straight over the pass, ends at base level
            LineString([(LON, 40.11), (LON, 40.15)]),  # north flank, descending
            LineString([(LON, 40.02), (LON, 40.18)]),  # the same, as a tunnel
            LineString([(46.0, 41.0), (46.1, 41.1)]),  # off the DEM
            LineString([(LON, 40.05), (LON, 40.05)]),  # zero length
            LineString([(45.05, 40.02), (45.06, 40.03), (45.08, 40.02)]),
        ],
        crs=4326,
    )
    out = edge_grades(edges, ridge_dem)
    assert "grade_max" not in edges.columns  # input untouched
    g = out["grade_max"].to_numpy()
    # end points alone would say 0 %: sampling along the edge finds the 7 % flanks
    assert g[0] == pytest.approx(0.07, abs=1e-4) and out["rise_m"].iloc[0] == pytest.approx(0.0, abs=1e-3)
    assert out["grade_mean"].iloc[0] == pytest.approx(700 / meridian_len(40.02, 40.18), rel=0.01)
    assert g[1] == pytest.approx(0.07, abs=1e-4) and out["rise_m"].iloc[1] < -200
    assert g[2] == pytest.approx(0.0, abs=1e-9)  # tunnel: straight between portals
    assert np.isnan(g[3]) and np.isnan(out["rise_m"].iloc[3])  # never 0 off the DEM
    assert g[4] == 0.0 and out["rise_m"].iloc[4] == 0.0
    assert g[5] == pytest.approx(0.0, abs=1e-6)  # flat base outside the ridge
    # consistent with profile() on the same line
    p = profile(LineString([(LON, 40.11), (LON, 40.15)]), ridge_dem, window_m=1)
    assert out["rise_m"].iloc[1] == pytest.approx(p.elevation_m[-1] - p.elevation_m[0], abs=1e-6)
    assert dc > 0
    # a Network-like object gets the columns in place
    net = SimpleNamespace(edges=edges.iloc[:2].copy())
    res = edge_grades(net, slope_dem)
    assert res is net.edges and res["grade_mean"].to_numpy() == pytest.approx([0.02, 0.02], abs=1e-5)
    assert res["rise_m"].iloc[0] == pytest.approx(0.02 * meridian_len(40.02, 40.18), abs=0.05)


def test_edge_grades_reprojects_and_rejects(slope_dem):
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(geometry=[LINE], crs=4326).to_crs(32638)
    out = edge_grades(gdf, slope_dem)
    assert out["grade_mean"].iloc[0] == pytest.approx(0.02, abs=1e-4)
    with pytest.raises(CRSMismatchError):
        edge_grades(gpd.GeoDataFrame(geometry=[LineString([(5e5, 4.4e6), (5e5, 4.5e6)])]), slope_dem)
    with pytest.raises(InvalidInputError):
        edge_grades([LINE], slope_dem)
    empty = edge_grades(gpd.GeoDataFrame(geometry=[], crs=4326), slope_dem)
    assert list(empty.columns[-3:]) == ["grade_max", "grade_mean", "rise_m"]
    assert math.isfinite(slope_dem.ground_resolution_m())


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


def test_profile_marks_the_designed_grade_line():
    """``design_m`` is the formation where a traced route's new build was designed, NaN elsewhere; None
    for a line without a design; reversed with the profile."""
    import numpy as np
    from shapely.geometry import LineString

    from corridor.align import trace
    from corridor.route import Route
    from corridor.terrain import profile

    r = trace(["Meghri", "Agarak"], mode="road", network=None)
    p = profile(r)
    assert p.design_m is not None and p.design_m.shape == p.elevation_m.shape
    assert np.allclose(p.design_m, p.elevation_m)
    back = p.reversed()
    assert np.allclose(back.design_m, p.design_m[::-1])
    plain = profile(Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail"))
    assert plain.design_m is None and plain.reversed().design_m is None


def test_profile_html_repr():
    """The profile displays as a summary with the profile as inline SVG, grades in the mode's unit."""
    p = profile(LineString([(44.40, 40.10), (44.60, 40.25)]), mode="rail")
    html = p._repr_html_()
    assert "<svg" in html and "<polyline" in html and "‰" in html and "km" in html
    assert f"{p.max_abs_grade * 1000:.1f}" in html


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
