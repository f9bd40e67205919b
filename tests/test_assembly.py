"""Tests of corridor.align._assembly: the traced line taken back into its units along a border (border
rivers on a coarse DEM, issue #14; slits of no unit's land), pulled taut, and spurs to a waypoint cut
where the ways part.

The helpers are called directly on small synthetic lines and polygons; the traced lines are built-in
scenarios or waypoints traced over the embedded DEM.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import LineString, Polygon

from corridor import scenarios
from corridor.align import trace
from corridor.align._assembly import _taut, spur_length, trim_spur
from corridor.align.surface import SPUR_GAP_M, SPUR_MAX_M


# ------------------------------------------------ border rivers on a coarse DEM (issue #14)
def test_hug_replaces_an_excursion_by_the_boundary_path_the_shorter_way():
    from shapely.geometry import LineString, Point, Polygon

    from corridor.align._assembly import _hug

    inner = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)]).buffer(0)
    dens = np.column_stack([np.linspace(1, 9, 81), 5 + 0 * np.linspace(1, 9, 81)])
    dens[30:50, 1] = -3.0  # an excursion below the bottom edge
    out = _hug(dens.copy(), inner)
    assert out is not None
    line = LineString(out)
    assert line.difference(inner.buffer(1e-9)).length == 0  # never outside
    assert np.allclose(out[0], dens[0]) and np.allclose(out[-1], dens[-1])  # the ends never move
    # the replacement runs along the bottom edge (the shorter way), not round the other three sides
    assert line.length < 8 + 2 * 5 + 1e-6 + 2 * 5
    assert min(Point(p).distance(LineString([(0, 0), (10, 0)])) for p in out) < 1e-9
    # excursions whose ends meet different rings cannot be followed
    holed = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(4, 4), (6, 4), (6, 6), (4, 6)]])
    dens2 = np.column_stack([np.linspace(1, 9, 81), np.full(81, 5.0)])  # crosses the hole
    dens2[:, 1] = np.where(np.abs(dens2[:, 0] - 5) < 1.5, 5.0, 0.5)
    assert _hug(dens2, holed) is None or LineString(_hug(dens2, holed)).difference(holed.buffer(1e-9)).length == 0


@pytest.mark.parametrize("slug", ["meghri-rail", "horadiz-aghband"])
def test_border_river_lines_stay_in_their_units_and_hold_the_bank(slug):
    """Traced along the Araks with stay_in, no metre of the line lies outside its units, and it runs
    along the river border for kilometres (on the allowed bank) instead of up the valley side."""
    import shapely
    from scipy.spatial import cKDTree

    from corridor import scenarios
    from corridor.data.regions import index

    s = scenarios.get(slug)
    r = s.route()
    geoms = dict(zip(index().codes, index().geoms, strict=True))
    outside = shapely.union_all([g for c, g in geoms.items() if c not in s.stay_in])
    assert r.geometry.intersection(outside).length == 0
    assert set(r.segments["unit"]) <= set(s.stay_in)
    near = r.geometry.intersection(outside.buffer(0.002))  # within ~200 m of the border
    assert near.length * 90 > 5  # ~degrees to km: more than 5 km along the river bank
    # along the bank the line never runs out and back round a notch or tongue of the border's
    # outline: no two points near the border > 1.5 km apart along the line are < 250 m apart
    pts = shapely.get_coordinates(shapely.segmentize(r.geometry, 0.0005))
    chain = np.concatenate([[0.0], np.cumsum(Geod(ellps="WGS84").line_lengths(pts[:, 0], pts[:, 1]))])
    bank = shapely.dwithin(outside, shapely.points(pts), 0.002)
    xy = np.column_stack([pts[:, 0] * 111_320 * np.cos(np.radians(pts[:, 1])), pts[:, 1] * 110_950])
    pairs = cKDTree(xy).query_pairs(SPUR_GAP_M, output_type="ndarray")
    back = pairs[bank[pairs[:, 0]] & bank[pairs[:, 1]] & (np.abs(np.diff(chain[pairs], axis=1))[:, 0] > 1500)]
    assert len(back) == 0, sorted({round(chain[i] / 1000, 1) for i in back[:, 0]})


def test_a_waypoint_in_no_unit_land_beside_an_excluded_unit_can_be_traced():
    """A waypoint standing in a slit of no unit's land next to the Iranian border (Araks bank): the
    line keeps out of such land except where the waypoint itself stands."""
    r = trace([(46.71345, 39.01182), "Gumlagh"], mode="rail", stay_in=["AZE"])
    assert set(r.segments["unit"]) <= {"AZE", None}
    assert r.length_m > 25_000


def test_taut_crosses_a_tongue_at_its_base_and_stays_inside():
    # a square with a thin tongue up from its top edge; the boundary path runs up and down the tongue
    region = Polygon([(0, 0), (10, 0), (10, 10), (5.2, 10), (5.2, 14), (4.8, 14), (4.8, 10), (0, 10)])
    along = np.array([(1, 10), (4.8, 10), (4.8, 14), (5.2, 14), (5.2, 10), (9, 10)], dtype=float)
    out = _taut(along, region)
    assert out.tolist() == [[1.0, 10.0], [9.0, 10.0]]
    # a bend the chord would leave the region to cut keeps its corner
    ell = Polygon([(0, 0), (2, 0), (2, 8), (10, 8), (10, 10), (0, 10)])
    path = np.array([(1, 0.5), (1, 5), (1, 9), (5, 9), (9, 9)], dtype=float)
    pulled = _taut(path, ell)
    assert LineString(pulled).difference(ell.buffer(1e-9)).length == 0
    assert len(pulled) >= 3 and np.allclose(pulled[0], path[0]) and np.allclose(pulled[-1], path[-1])
    assert LineString(pulled).length <= LineString(path).length


@pytest.mark.parametrize(("da", "db", "length"), [(5.0, 12.0, 7.0), (12.0, 5.0, 7.0), (35.0, 5.0, 10.0),
                                                  (5.0, 35.0, 10.0), (2.0, 25.0, 17.0), (39.0, 1.0, 2.0)])
def test_ring_path_runs_from_a_to_b_the_shorter_way_through_the_ring_start(da, db, length):
    from shapely.geometry import LineString, Point

    from corridor.align._assembly import _ring_path

    ring = LineString([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)])  # chainage 0..40 from (0, 0)
    xy = _ring_path(ring, da, db)
    path = LineString(xy)
    assert Point(xy[0]).distance(ring.interpolate(da)) < 1e-9
    assert Point(xy[-1]).distance(ring.interpolate(db)) < 1e-9
    assert path.length == pytest.approx(length)  # continuous along the ring, never a jump across it
    assert ring.buffer(1e-9).contains(path)


# ------------------------------------------------------------------ spurs
def test_trim_spur_cuts_a_retrace_and_a_hairpin_but_not_a_turn():
    w = (45.1, 39.02)
    into = np.array([(45.0, 39.0), (45.1, 39.0), w])  # east, then north 2.2 km to the waypoint
    back = trim_spur(into, np.array([w, (45.1, 39.0), (45.2, 39.0)]))  # the same way back, then east
    assert back is not None
    a, b = back
    assert np.array_equal(a[-1], b[0])  # joined where the ways part, near the corner (45.1, 39.0)
    assert abs(a[-1][1] - 39.0) < 0.001 and abs(a[-1][0] - 45.1) < 0.002
    assert np.allclose(b[-1], (45.2, 39.0)) and np.allclose(a[0], (45.0, 39.0))  # the far ends stay
    # a hairpin: out and back 10 degrees apart is cut until the ways are SPUR_GAP_M apart
    tip = np.array([(45.1, 38.99), w])  # due north into the waypoint
    ang = math.radians(10)
    ret = np.array([w, (w[0] + 0.03 * math.sin(ang) / math.cos(math.radians(39)), w[1] - 0.03 * math.cos(ang))])
    a2, b2 = trim_spur(tip, ret)
    gap = Geod(ellps="WGS84").inv(a2[-1][0], a2[-1][1], b2[1][0], b2[1][1])[2]
    assert gap <= SPUR_GAP_M + 1 and a2[-1][1] < w[1] - 0.002  # cut some hundreds of metres back
    # through the waypoint, or a right-angle turn at it: nothing to cut
    assert trim_spur(into, np.array([w, (45.1, 39.05)])) is None
    assert trim_spur(into, np.array([w, (45.15, 39.02)])) is None


def test_a_route_asked_out_and_back_along_a_whole_leg_keeps_it():
    """A -> B -> A with B 1.7 km out: the spur is the whole leg, so it is the route asked for, not cut
    (cutting it would leave nothing); a waypoint beyond that, on the way on, is served by a station."""
    there_and_back = trace([(44.60, 40.10), (44.62, 40.10), (44.60, 40.10)], mode="rail")
    assert there_and_back.meta["spurs_cut"] == [] and there_and_back.length_m > 3000
    on = trace([(44.60, 40.10), (44.62, 40.10), (44.60, 40.101), (44.70, 40.10)], mode="rail")
    assert [sp["waypoint"] for sp in on.meta["spurs_cut"]] == ["44.6000,40.1010"]
    assert 0 < on.meta["spurs_cut"][0]["spur_m"] <= SPUR_MAX_M


@pytest.mark.parametrize("wps", [[(44.60, 40.10), (44.62, 40.10), (44.70, 40.10)],
                                 [(44.60, 40.10), (44.62, 40.10), (44.60, 40.101), (44.70, 40.10)],
                                 [(44.55, 40.08), (44.62, 40.10), (44.58, 40.12), (44.70, 40.10)]])
def test_spur_cuts_do_not_depend_on_the_route_direction(wps):
    fwd, rev = trace(wps, mode="rail"), trace(wps[::-1], mode="rail")
    assert sorted(sp["waypoint"] for sp in fwd.meta["spurs_cut"]) == sorted(sp["waypoint"] for sp in rev.meta["spurs_cut"])
    assert fwd.length_m == pytest.approx(rev.length_m, rel=0.02)


def test_spur_length_measures_where_the_ways_part():
    w = (45.1, 39.02)
    into = np.array([(45.0, 39.0), (45.1, 39.0), w])
    d = spur_length(into, np.array([w, (45.1, 39.0), (45.2, 39.0)]))
    assert d is not None and 2200 < d <= 2200 + 2 * SPUR_GAP_M
    far = np.array([(45.1, 38.9), w])  # 13 km straight out and back: longer than SPUR_MAX_M
    assert spur_length(far, far[::-1].copy()) is None


@pytest.mark.parametrize("slug", ["horadiz-aghband", "meghri-rail", "aras-iran", "meghri-road",
                                  "kars-dilucu-sadarak", "gyumri-kars", "margara-kornidzor-road"])
def test_traced_lines_never_run_out_and_back(slug):
    """No two points of a built-in scenario's line more than 1.5 km apart along it are within
    SPUR_GAP_M (250 m) of each other: no spur to a waypoint and back, no run along a notch of a
    border and back."""
    import shapely
    from scipy.spatial import cKDTree


    s = scenarios.get(slug)
    r = s.route()
    if s.stay_in:  # no piece counted in an excluded unit (the line kept out of no unit's land beside one)
        assert set(r.segments["unit"]) <= set(s.stay_in)
    pts = shapely.get_coordinates(shapely.segmentize(r.geometry, 0.0005))
    chain = np.concatenate([[0.0], np.cumsum(Geod(ellps="WGS84").line_lengths(pts[:, 0], pts[:, 1]))])
    xy = np.column_stack([pts[:, 0] * 111_320 * np.cos(np.radians(pts[:, 1])), pts[:, 1] * 110_950])
    pairs = cKDTree(xy).query_pairs(250.0, output_type="ndarray")
    back = pairs[np.abs(chain[pairs[:, 1]] - chain[pairs[:, 0]]) > 1500]
    assert len(back) == 0, sorted({round(chain[i] / 1000, 1) for i in back[:, 0]})
    for spur in r.meta.get("spurs_cut", []):  # a cut spur is recorded with the station that serves the waypoint
        assert spur["spur_m"] > 0 and spur["waypoint"] in [w.name for w in r.waypoints]
