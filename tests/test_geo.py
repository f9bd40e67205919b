"""Shared geodesic helpers (corridor._geo): lengths, points along a chain, point identity.

Expected figures are independent: pyproj's own ``Geod.inv`` / ``Geod.npts`` on the WGS84
ellipsoid, or closed-form facts (a degree of latitude is ~111 km). No fixture files.
"""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString, MultiLineString

from corridor import _geo

_G = pyproj.Geod(ellps="WGS84")


def _chain() -> np.ndarray:
    return np.array([(45.0, 39.0), (45.2, 39.1), (45.25, 39.4), (45.6, 39.45)])


def test_cumulative_distance_sums_the_ellipsoid_segments() -> None:
    xy = _chain()
    expected = np.concatenate([[0.0], np.cumsum(_G.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])[2])])
    assert np.allclose(_geo.cumulative_distance(xy[:, 0], xy[:, 1]), expected, atol=1e-6)
    assert _geo.cumulative_distance(np.array([45.0]), np.array([39.0])).tolist() == [0.0]


def test_lengths_of_measures_parts_without_the_gaps_and_none_as_zero() -> None:
    a = LineString([(45.0, 39.0), (45.0, 39.5)])
    b = LineString([(46.0, 39.0), (46.3, 39.0)])
    got = _geo.lengths_of([a, MultiLineString([a, b]), None, LineString()])
    la = _G.geometry_length(a)
    assert got[0] == pytest.approx(la, abs=1e-6)
    assert got[1] == pytest.approx(la + _G.geometry_length(b), abs=1e-6)
    assert got[2:].tolist() == [0.0, 0.0]


def test_segment_lengths_in_threads_equal_one_pass() -> None:
    rng = np.random.default_rng(3)
    lon = 45.0 + np.cumsum(rng.uniform(0, 1e-3, 5000))
    lat = 39.0 + np.cumsum(rng.uniform(-1e-3, 1e-3, 5000))
    assert np.array_equal(_geo.segment_lengths(lon, lat, threads=3), _geo.segment_lengths(lon, lat, threads=1))


def test_points_at_lies_on_the_geodesic_at_its_distance() -> None:
    xy = _chain()
    cum = _geo.cumulative_distance(xy[:, 0], xy[:, 1])
    s = np.array([0.0, 1234.5, cum[1], cum[1] + 10.0, cum[-1] - 1.0, cum[-1]])
    pts = _geo.points_at(xy, s)
    assert np.array_equal(pts[[0, 2, 5]], xy[[0, 1, 3]])  # at a vertex: the vertex itself
    # 1234.5 m from the first vertex towards the second, on the geodesic between them
    az, _, _ = _G.inv(xy[0, 0], xy[0, 1], xy[1, 0], xy[1, 1])
    lon, lat, _ = _G.fwd(xy[0, 0], xy[0, 1], az, 1234.5)
    assert np.allclose(pts[1], (lon, lat), atol=1e-12)
    back = _G.inv(xy[1, 0], xy[1, 1], pts[3, 0], pts[3, 1])[2]
    assert back == pytest.approx(10.0, abs=1e-6)


def test_same_point_is_absolute_and_per_coordinate() -> None:
    p = (46.12345, 39.2)
    assert _geo.same_point(p, (p[0] + 0.9 * _geo.SAME_POINT_DEG, p[1] - 0.9 * _geo.SAME_POINT_DEG))
    assert not _geo.same_point(p, (p[0] + 3 * _geo.SAME_POINT_DEG, p[1]))
    # numpy.allclose's default relative tolerance would take these as one point (~40 m apart)
    q = (p[0] + 4e-4, p[1])
    assert np.allclose(p, q) and _geo.great_circle_m(*p, *q) > 30
    assert not _geo.same_point(p, q)
    assert _geo.same_point(np.array([*p, 100.0]), p)  # a third coordinate (z) is ignored


def test_nearest_and_nearest_within_are_geodesic() -> None:
    import shapely

    j, d = _geo.nearest(np.array([45.0]), np.array([40.0]), np.array([46.0, 45.01]), np.array([40.0, 40.0]),
                        ref_lat=40.0)
    assert j.tolist() == [1]
    assert d[0] == pytest.approx(_G.inv(45.0, 40.0, 45.01, 40.0)[2], abs=1e-6)
    tree = shapely.STRtree([shapely.LineString([(45.0, 40.0), (45.0, 41.0)])])
    pts = shapely.points([45.011, 45.013], [40.5, 40.5])  # ~940 m and ~1,110 m east of the line
    pi, gi = _geo.nearest_within(pts, tree, 1000.0)
    assert pi.tolist() == [0] and gi.tolist() == [0]


def test_radius_deg_holds_every_point_within_the_radius() -> None:
    for lat in (0.0, 39.0, 60.0):
        r = _geo.radius_deg(5000.0, lat)
        for az in range(0, 360, 15):
            lon, la, _ = _G.fwd(45.0, lat, az, 5000.0)
            assert abs(lon - 45.0) <= r and abs(la - lat) <= r
