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


# ------------------------------------------------------------------ notebook display (issue 18)
_HOSTILE = "<script>alert(1)</script> {{7*7}} `${x}`"


def _two_part_route(name: str = _HOSTILE) -> Route:
    attrs = [{"build": "existing", "status": "active", "source": "osm"},
             {"build": "new", "status": "new", "source": "modelled"}]
    return Route.from_lines([LineString([(45.0, 40.0), (45.2, 40.1)]), LineString([(45.2, 40.1), (45.5, 40.2)])],
                            mode="road", name=name, attrs=attrs, source="osm")


def test_route_html_repr_is_a_compact_escaped_summary():
    import re

    html = _two_part_route()._repr_html_()
    assert "<script" not in html and "&lt;script&gt;" in html and "{{7*7}}" in html
    assert re.search(r"Length</th><td>[0-9.]+ km", html)
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert svg.count("<polyline") == 2 and svg.count("stroke-dasharray") == 1  # the new part dashed


def test_route_explore_is_an_offline_folium_map():
    import html as _html

    import folium

    from corridor.outputs._assets import external_refs

    m = _two_part_route().explore(tiles=None)
    assert isinstance(m, folium.Map)
    page = m.get_root().render()
    assert "<script>alert(1)</script>" not in page and "{{7*7}}" in page  # shown as typed, never evaluated
    shown = m._repr_html_()
    inner = _html.unescape(shown.split('srcdoc="', 1)[1].split('"', 1)[0])
    assert external_refs(inner) == []  # Leaflet and the rest inlined: shows offline
    assert inner.count("dashArray") >= 1 and "&lt;script&gt;alert(1)&lt;/script&gt;" in inner
    with_tiles = _two_part_route().explore()
    assert "tile.openstreetmap.org" in with_tiles.get_root().render()
