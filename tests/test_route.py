"""corridor.route: building routes from lines and segment tables (input validation)."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
from shapely.geometry import LineString, MultiLineString, Point

from corridor._errors import InvalidInputError
from corridor.route import Route

LINE = LineString([(46.0, 38.92), (46.3, 38.92)])  # crosses the NAX/ARM border


def test_one_line_is_one_item():
    r = Route.from_lines(LINE, mode="rail", name="one")
    assert r.unit_sequence() == ["NAX", "ARM"] and r.length_m == pytest.approx(
        Route.from_lines([LINE], mode="rail").length_m)
    assert Route.from_lines((g for g in [LINE]), mode="rail").length_m == pytest.approx(r.length_m)


@pytest.mark.parametrize(("bad", "problem"), [
    (Point(46.0, 38.92), "line 0 is a Point"),
    (LineString(), "line 0 is empty"),
    (None, "line 0 is empty"),
    (LineString([(46.0, 38.92), (math.nan, 38.93)]), "line 0 has NaN or infinite coordinates"),
    (LineString([(46.0, 38.92), (math.inf, 38.93)]), "line 0 has NaN or infinite coordinates"),
    ("46 38.92, 46.3 38.92", "line 0 is a str"),
    (MultiLineString([LINE.coords, [(46.3, 38.92), (46.4, 38.95)]]), "line 0 is a MultiLineString"),
])
def test_from_lines_rejects_what_is_not_a_line(bad, problem):
    with pytest.raises(InvalidInputError, match=problem):
        Route.from_lines([bad], mode="rail", name="bad")
    with pytest.raises(InvalidInputError, match=problem.replace("line 0", "line 1")):
        Route.from_lines([LINE, bad], mode="rail", name="bad")


def test_from_segments_rejects_nan_and_points():
    nan = gpd.GeoDataFrame(geometry=[LINE, LineString([(46.3, 38.92), (46.4, math.nan)])], crs="EPSG:4326")
    with pytest.raises(InvalidInputError, match="line 1 has NaN"):
        Route.from_segments(nan, mode="rail")
    pts = gpd.GeoDataFrame(geometry=[Point(46.0, 38.92)], crs="EPSG:4326")
    with pytest.raises(InvalidInputError, match="Point"):
        Route.from_segments(pts, mode="rail")
    empty = gpd.GeoDataFrame(geometry=[LineString()], crs="EPSG:4326")
    with pytest.raises(InvalidInputError, match="only empty geometries"):
        Route.from_segments(empty, mode="rail")
