"""Tests of corridor.terrain.profiles: profile (grades, structures, voids, CRS and input checks, plots,
the designed grade line, the notebook display) and edge_grades, on synthetic DEMs with exactly known
answers (tests/_demgen.py).

``slope_dem`` comes from tests/conftest.py; the test lines and ``files`` (GeoTIFFs of the ridge, its
tiles, a void) from tests/_demlines.py.
"""

from __future__ import annotations

import io
import math
from types import SimpleNamespace

import _demgen as gen
import numpy as np
import pytest
from _demlines import CREST, LINE, LON, RIDGE_LINE, dem_files, fwd_north, meridian_len
from shapely.geometry import LineString, MultiLineString

from corridor._errors import CRSMismatchError, DEMCoverageError, InvalidInputError, ParameterError
from corridor.terrain import DEM, RAIL_GRADES, ROAD_GRADES, edge_grades, profile


@pytest.fixture(scope="module")
def ridge_dem():
    z, tr = gen.ridge(height=350.0, half_width_m=5000.0)
    return DEM.from_array(z, tr, source="synthetic ridge (modelled)")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """GeoTIFF of the ridge, its four quadrant tiles, and a void version (tests/_demlines.dem_files)."""
    return dem_files(tmp_path_factory.mktemp("dem"))


def test_embedded_profile_yerevan_to_sevan():
    p = profile([(44.51, 40.18), (44.95, 40.55)], mode="road")
    assert 600 < p.max_m - p.min_m < 1600 and p.ascent_m > 800
    assert p.step_m == pytest.approx(DEM.open(None).ground_resolution_m(40.365) / 2)
    assert "GLOBE" in p.dem_source


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
