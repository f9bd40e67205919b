"""Hypothesis property tests over random lines in the region, BBoxes and place-name keys.

Profile and evaluation properties (highest point, grade bounds, export round trip)
are added with those modules.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

from corridor import BBox, InvalidBBoxError
from corridor._geo import geodesic_length, great_circle_m
from corridor.data import split_by_unit, unit_at
from corridor.data.places import fold, norm
from corridor.route import Route

# The region pack covers lon 42.5-51.0, lat 37.8-42.5; stay a little inside.
LON = st.floats(43.0, 50.5, allow_nan=False)
LAT = st.floats(38.0, 42.2, allow_nan=False)
POINT = st.tuples(LON, LAT)
# Lines of 2-5 vertices: long straight ones crossing many borders, zig-zags, loops,
# closed rings and back-tracking (repeated vertices) all occur.
LINE = st.lists(POINT, min_size=2, max_size=5).map(LineString).filter(lambda g: g.length > 1e-6)
# Short local lines near the Meghri/Nakhchivan/Iran tripoint, where borders are dense.
LOCAL = st.lists(st.tuples(st.floats(45.9, 46.6), st.floats(38.8, 39.1)), min_size=2, max_size=6).map(
    LineString).filter(lambda g: g.length > 1e-6)
GEO = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_split(line: LineString) -> list[str | None]:
    parts = split_by_unit(line)
    total = geodesic_length(line)
    pieces = sum(geodesic_length(g) for _, g in parts)
    assert pieces == pytest.approx(total, rel=1e-3)
    units = [u for u, _ in parts]
    assert all(a != b for a, b in itertools.pairwise(units)), units  # alternates
    start, end = parts[0][1].coords[0], parts[-1][1].coords[-1]
    assert start == pytest.approx(line.coords[0], abs=1e-9)
    assert end == pytest.approx(line.coords[-1], abs=1e-9)
    for (_, a), (_, b) in itertools.pairwise(parts):  # pieces join up in travel order
        assert a.coords[-1] == pytest.approx(b.coords[0], abs=1e-7)
    return units


@GEO
@given(LINE)
def test_split_by_unit_keeps_length_and_alternates(line):
    _check_split(line)


@GEO
@given(LOCAL)
def test_split_by_unit_near_tripoint(line):
    units = _check_split(line)
    assert set(units) <= {"ARM", "NAX", "IRN", "AZE", None}


@GEO
@given(LOCAL)
def test_split_pieces_lie_in_their_unit(line):
    for unit, piece in split_by_unit(line):
        if not piece.is_simple or piece.length < 1e-3:
            continue
        mid = piece.interpolate(0.5, normalized=True)
        found = unit_at(mid.x, mid.y)
        if found is not None:
            assert found == unit


@GEO
@given(LINE)
def test_split_reversal_symmetry(line):
    forward = [u for u, _ in split_by_unit(line)]
    backward = [u for u, _ in split_by_unit(line.reverse())]
    assert backward == forward[::-1]


@GEO
@given(st.lists(POINT, min_size=3, max_size=6, unique=True))
def test_route_unit_lengths_sum_and_exceed_great_circle(pts):
    lines = [LineString([a, b]) for a, b in itertools.pairwise(pts)]
    route = Route.from_lines(lines, mode="rail", name="random")
    seg = route.segments
    by_unit = seg.groupby(seg["unit"].fillna("none"))["length_m"].sum()
    assert by_unit.sum() == pytest.approx(route.length_m, rel=1e-9)
    assert route.length_m == pytest.approx(sum(geodesic_length(g) for g in lines), rel=1e-3)
    assert route.length_m >= great_circle_m(*pts[0], *pts[-1]) * (1 - 1e-9)
    back = route.reversed()
    assert back.length_m == pytest.approx(route.length_m, rel=1e-9)
    assert back.segments["unit"].tolist() == seg["unit"].tolist()[::-1]


# --- BBox ----------------------------------------------------------------------------
FINITE_LON = st.floats(-180, 180, allow_nan=False, allow_infinity=False)
FINITE_LAT = st.floats(-90, 90, allow_nan=False, allow_infinity=False)


@given(FINITE_LON, FINITE_LON, FINITE_LAT, FINITE_LAT)
def test_bbox_parse_round_trip(x1, x2, y1, y2):
    b = BBox(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    text = ",".join(repr(v) for v in b)
    assert BBox.parse(text) == b
    assert BBox.parse(" , ".join(str(v) for v in b)) == b
    assert BBox(*BBox.parse(text)) == b
    assert b.contains((b.left + b.right) / 2, (b.bottom + b.top) / 2)
    assert b.intersects(b) and b.width >= 0 and b.height >= 0


@given(FINITE_LON, FINITE_LON, FINITE_LAT, FINITE_LAT)
def test_bbox_rejects_swapped_edges(x1, x2, y1, y2):
    assume(x1 != x2 or y1 != y2)
    swapped = (max(x1, x2), min(y1, y2), min(x1, x2), max(y1, y2)) if x1 != x2 else \
        (x1, max(y1, y2), x2, min(y1, y2))
    with pytest.raises(InvalidBBoxError):
        BBox(*swapped)


@given(st.text(max_size=40))
def test_bbox_parse_fuzz(text):
    try:
        b = BBox.parse(text)
    except InvalidBBoxError:
        return
    assert all(math.isfinite(v) for v in b) and b.left <= b.right and b.bottom <= b.top


# --- place-name keys -------------------------------------------------------------------
@given(st.text(max_size=30))
def test_fold_is_idempotent(s):
    k = fold(s)
    assert fold(k) == k
    assert norm(norm(s)) == norm(s)
    assert set(k) <= set("abcdefghijklmnopqrstuvwxyz0123456789")


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30))
def test_fold_ignores_ascii_case_and_punctuation(s):
    assert fold(s.upper()) == fold(s.lower()) == fold(f"  {s}!! ")


@pytest.mark.parametrize("a, b", [("Culfa", "Jolfa"), ("Naxçıvan", "Nakhchivan"), ("Ağbənd", "Aghband"),
                                  ("Yeraskh", "Yerasx"), ("Sadakhlo", "Sadaxlo"), ("Şərur", "Sharur")])
def test_fold_merges_transliterations(a, b):
    assert fold(a) == fold(b)


# ----------------------------------------------------------------- terrain and export
_RES = 0.01  # degrees per cell of the synthetic DEMs
_ORIGIN = (45.0, 40.0)  # top-left corner (lon, lat)


@st.composite
def _dem_and_line(draw):
    import numpy as np

    rows = draw(st.integers(4, 12))
    cols = draw(st.integers(4, 12))
    flat = draw(st.lists(st.floats(0, 3000, allow_nan=False), min_size=rows * cols, max_size=rows * cols))
    z = np.asarray(flat, dtype="float32").reshape(rows, cols)
    left, top = _ORIGIN
    inner = st.tuples(st.floats(left + 0.6 * _RES, left + (cols - 0.6) * _RES),
                      st.floats(top - (rows - 0.6) * _RES, top - 0.6 * _RES))
    pts = draw(st.lists(inner, min_size=2, max_size=5))
    from shapely.geometry import LineString

    line = LineString(pts)
    assume(line.length > 2 * _RES)
    return z, line


def _dem(z):
    from affine import Affine

    from corridor.terrain import DEM

    return DEM.from_array(z, Affine(_RES, 0, _ORIGIN[0], 0, -_RES, _ORIGIN[1]), source="synthetic")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_dem_and_line())
def test_profile_highest_point_and_grade_bound(case):
    """The highest point is at least every sample, and no grade exceeds the DEM's
    steepest slope (a Lipschitz bound of the bilinear surface, in metres)."""
    import math

    import numpy as np

    from corridor.terrain import profile

    z, line = case
    prof = profile(line, _dem(z), mode="rail")
    elev = np.asarray(prof.elevation_m, dtype=float)
    assert prof.highest["elevation_m"] >= np.nanmax(elev) - 1e-6
    assert prof.max_m == pytest.approx(np.nanmax(elev))
    # steepest possible slope of the bilinear surface between cell centres
    lat_max = _ORIGIN[1]
    dx_m = _RES * 111_320.0 * math.cos(math.radians(lat_max))
    dy_m = _RES * 110_574.0
    zz = z.astype(float)
    gx = np.abs(np.diff(zz, axis=1)).max() / dx_m
    gy = np.abs(np.diff(zz, axis=0)).max() / dy_m
    bound = math.hypot(gx, gy)
    grades = np.abs(np.asarray(prof.grade, dtype=float))
    assert np.nanmax(grades) <= bound * 1.02 + 1e-9
    assert prof.max_abs_grade <= bound * 1.02 + 1e-9


_name_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(names=st.lists(_name_text, min_size=1, max_size=3), ways=st.lists(st.integers(1, 10**12), min_size=2, max_size=2))
def test_export_round_trip(tmp_path, names, ways):
    """Routes written to a GeoPackage read back with the same features and attributes."""
    import pyogrio
    from shapely.geometry import LineString

    from corridor.outputs import export
    from corridor.route import Route

    routes = []
    for i, name in enumerate(names):
        lines = [LineString([(45.9 + 0.01 * i, 38.92), (46.1, 38.92)]),
                 LineString([(46.1, 38.92), (46.3, 38.93)])]
        attrs = [{"name": name, "osm_way_id": ways[0]}, {"name": name[::-1], "osm_way_id": ways[1]}]
        routes.append(Route.from_lines(lines, mode="rail", name=name, attrs=attrs))
    out = export.write_layers(tmp_path / f"r{len(names)}.gpkg", routes)
    back = pyogrio.read_dataframe(out, layer="routes")
    assert list(back["name"]) == names
    segs = pyogrio.read_dataframe(out, layer="segments")
    # the segments layer is split by unit and build type: same units, same total length
    assert sorted(set(segs["unit"])) == sorted({u for r in routes for u in r.segments["unit"]})
    assert segs.geometry.length.sum() == pytest.approx(sum(r.geometry.length for r in routes), rel=1e-6)
    got = back.geometry.length.to_numpy()
    want = [r.geometry.length for r in routes]
    assert got == pytest.approx(want, rel=1e-6)
