import itertools
from typing import Any

import pytest
from shapely.geometry import LineString

from corridor import InvalidInputError
from corridor._geo import geodesic_length
from corridor.data import lookup, split_by_unit, unit_at


@pytest.mark.parametrize(
    "place, country, unit",
    [("Meghri", None, "ARM"), ("Julfa", "AZ", "NAX"), ("Jolfa", "IR", "IRN"),
     ("Horadiz", None, "AZE"), ("Kars", None, "TUR"), ("Gazakh", None, "AZE"),
     ("Tbilisi", None, "GEO"), ("Sadarak", None, "NAX")],
)
def test_unit_at_known_places(place, country, unit):
    p = lookup(place, country=country)
    assert unit_at(p.lon, p.lat) == unit


def test_unit_at_outside_and_enclaves():
    assert unit_at(30.0, 10.0) is None
    assert unit_at(50.5, 40.0) is None  # Caspian Sea
    assert unit_at(45.30, 40.35) == "ARM"  # Lake Sevan belongs to Armenia
    assert unit_at(45.514, 40.627) == "ARM"  # Artsvashen, Armenian exclave in Azerbaijan
    assert unit_at(45.209, 40.995) == "AZE"  # Azerbaijani exclave in Armenia (Tavush)
    assert unit_at(44.796, 39.671) == "NAX"  # Karki, Nakhchivan exclave


def test_unit_at_rejects_projected():
    with pytest.raises(InvalidInputError, match="not in degrees"):
        unit_at(450000, 4400000)


def test_split_by_unit_preserves_length_and_order():
    line = LineString([(45.41, 39.21), (45.9, 39.0), (46.24, 38.95), (46.8, 39.1), (47.34, 39.45)])
    parts = split_by_unit(line)
    units = [u for u, _ in parts]
    assert units[0] == "NAX" and units[-1] == "AZE" and "ARM" in units
    assert all(a != b for a, b in itertools.pairwise(units))  # neighbours differ: one change per crossing
    total = geodesic_length(line)
    assert sum(geodesic_length(g) for _, g in parts) == pytest.approx(total, rel=1e-3)
    # pieces chain end to start
    for (_, a), (_, b) in itertools.pairwise(parts):
        assert a.coords[-1] == pytest.approx(b.coords[0], abs=1e-9)


# ---------------------------------------------------------------- vectorised forms vs the plain ones
import numpy as np  # noqa: E402
import shapely  # noqa: E402

from corridor._geo import chain_lengths, lengths_of, segment_lengths  # noqa: E402
from corridor.data import regions  # noqa: E402


def _border_lines(n: int, seed: int) -> np.ndarray:
    """Random short and long lines (2-6 vertices) around the ARM/NAX/IRN/TUR/AZE borders."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(2, 7))
        x0, y0 = rng.uniform(44.0, 46.8), rng.uniform(38.7, 40.9)
        step = float(rng.choice([0.002, 0.02, 0.2]))
        xy = np.c_[x0 + np.cumsum(rng.normal(0, step, k)), y0 + np.cumsum(rng.normal(0, step, k))]
        out.append(shapely.LineString(xy))
    return np.asarray(out, dtype=object)


def _reference_split(line: LineString, snap_m: float = regions.SNAP_M) -> list:
    """The one-line overlay split_by_unit used before split_many: the slow reference (simple open lines)."""
    from shapely.ops import substring

    idx = regions.index()
    cands = idx.tree.query(line, predicate="intersects")
    pieces: list[tuple[float, float, str | None, Any]] = []

    def _add(geom: Any, unit: str | None) -> None:
        for g in shapely.get_parts(shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom):
            if g.geom_type != "LineString" or g.length == 0:
                continue
            a = line.project(shapely.Point(g.coords[0]))
            b = line.project(shapely.Point(g.coords[-1]))
            pieces.append((min(a, b), max(a, b), unit, g))

    covered = []
    for g in cands:
        inter = line.intersection(idx.geoms[g])
        if not inter.is_empty:
            _add(inter, idx.codes[g])
            covered.append(idx.geoms[g])
    # the union of every unit is prepared once per process; unioning the hit units here
    # each call cost 90 % of the time
    rest = line.difference(idx.union) if covered else line
    if not rest.is_empty:
        for g in shapely.get_parts(rest):
            if g.geom_type != "LineString" or g.length == 0:
                continue
            mid = g.interpolate(0.5, normalized=True)
            u = regions.units_of_points(np.array([mid.x]), np.array([mid.y]), snap_m=snap_m)[0]
            _add(g, u)
    pieces.sort(key=lambda t: (t[0], t[1]))
    # Walk along the line: each span starts where the previous one ended, so where unit
    # polygons overlap nothing is counted twice, and the pieces join exactly.
    spans: list[list[Any]] = []  # [unit, start, end] in the line's own parametrisation
    carry: float | None = None
    for _, b, unit, _g in pieces:
        start = spans[-1][2] if spans else 0.0
        if b <= start:
            continue
        if b - start <= 1e-12:  # a sliver: give it to the next span
            carry = start if carry is None else carry
            continue
        if carry is not None:
            start, carry = carry, None
        if spans and spans[-1][0] == unit:
            spans[-1][2] = b
        else:
            spans.append([unit, start, b])
    if not spans:
        return []
    spans[0][1], spans[-1][2] = 0.0, line.length
    out = []
    for unit, a, b in spans:
        piece = substring(line, a, b)
        if piece.geom_type == "LineString" and len(piece.coords) >= 2:
            out.append((unit, LineString(piece.coords)))
    return out


def _fixture_lines(tmp_path) -> np.ndarray:
    """Edges of a small synthetic grid network over the borders (tests/_osmgen.big_network)."""
    from _osmgen import big_network

    from corridor.network import _osm_read, _osm_tags

    pbf = big_network(tmp_path / "grid.osm.pbf", n=40, k=4)
    cols, _ = _osm_read._scan(pbf, ("road", "rail"), _osm_tags.resolve_road_classes("unclassified"))
    edges, _ = _osm_read.build_edges(cols, bbox=None, source="osm", split_units=False)
    return np.asarray(edges.geometry.values, dtype=object)


def test_split_many_equals_split_by_unit(tmp_path):
    grid = _fixture_lines(tmp_path)
    crossing = regions.units_of_lines(grid) == None  # noqa: E711
    lines = np.concatenate([_border_lines(300, 1), grid[crossing], grid[~crossing][:200]])
    lines = np.concatenate([lines, [shapely.LineString([(45.0, 39.6), (45.3, 39.7), (45.0, 39.6)]),  # back-tracks
                                    shapely.LineString([(45.3, 39.4), (45.6, 39.4), (45.5, 39.6), (45.3, 39.4)]), None]])
    owner, unit, piece = regions.split_many(lines)
    ref = [(i, u, g) for i, line in enumerate(lines) if line is not None
           for u, g in (_reference_split(line) if line.is_simple and not line.is_closed
                        else regions.split_by_unit(line))]  # rings/loops: per segment, as split_many
    assert len(ref) > len(lines)  # many lines are cut
    assert owner.tolist() == [r[0] for r in ref]
    assert unit.tolist() == [r[1] for r in ref]
    ref_geoms = np.asarray([r[2] for r in ref], dtype=object)
    assert (shapely.get_num_coordinates(piece) == shapely.get_num_coordinates(ref_geoms)).all()
    assert shapely.hausdorff_distance(piece, ref_geoms).max() < 1e-9  # cut points agree to float noise
    np.testing.assert_allclose(lengths_of(piece), lengths_of(ref_geoms), rtol=1e-6, atol=1e-6)


def test_split_lines_uses_the_vectorised_split():
    import geopandas as gpd

    lines = _border_lines(50, 2)
    gdf = gpd.GeoDataFrame({"name": [f"l{i}" for i in range(len(lines))], "length_m": 0.0}, geometry=lines,
                           crs="EPSG:4326")
    out = regions.split_lines(gdf)
    ref = [(f"l{i}", u) for i, line in enumerate(lines) for u, _ in regions.split_by_unit(line)]
    assert sorted(zip(out["name"], out["unit"].fillna("-"), strict=True)) == sorted(
        (n, u or "-") for n, u in ref)
    np.testing.assert_allclose(out["length_m"], lengths_of(out.geometry.values), rtol=1e-12)
    assert out["name"].tolist() == [n for n, _ in ref]  # input order kept, pieces in travel order


def test_units_of_lines_equals_contains_test(tmp_path):
    lines = np.concatenate([_border_lines(3000, 3), _fixture_lines(tmp_path)])
    got = regions.units_of_lines(lines)
    idx = regions.index()
    want = np.full(len(lines), None, dtype=object)
    for code, poly in zip(idx.codes, idx.geoms, strict=True):
        want[shapely.contains(poly, lines)] = code
    assert (got == want).all()
    assert (got != None).sum() > len(lines) // 2 and (got == None).sum() > 100  # noqa: E711


def test_units_of_points_snap_equals_nearest_polygon():
    """``snap_m`` is a geodesic distance: a point off every unit takes the unit with the
    nearest border when that border is within snap_m metres. Reference: geodesic distance
    to the vertices of each border densified to ~50 m (so within ~60 m of the threshold
    either answer is right)."""
    from corridor._geo import nearest

    rng = np.random.default_rng(4)
    x, y = rng.uniform(44.0, 51.0, 4000), rng.uniform(38.5, 41.5, 4000)  # the Caspian too
    idx = regions.index()
    pts = shapely.points(x, y)
    off = ~np.any([shapely.intersects(g, pts) for g in idx.geoms], axis=0)
    x, y, pts = x[off], y[off], pts[off]  # off every unit: lakes, the Araks, outside the pack
    dist = []
    for g in idx.geoms:
        b = shapely.get_coordinates(shapely.segmentize(shapely.boundary(g), 0.0005))
        dist.append(nearest(x, y, b[:, 0], b[:, 1], ref_lat=40.0)[1])
    d = np.array(dist)
    want = [idx.codes[int(np.argmin(c))] if c.min() <= 2_000.0 else None for c in d.T]
    got = regions.units_of_points(x, y, snap_m=2_000.0)
    sure = np.flatnonzero(np.abs(d.min(axis=0) - 2_000.0) > 60.0)
    assert [got[i] for i in sure] == [want[i] for i in sure] and len(sure) > 0.9 * len(x)
    assert any(w is not None for w in want) and any(w is None for w in want)
    assert regions.units_of_points(x, y, snap_m=0.0) == [None] * len(x)
    # the threshold is in metres: a point ~1.5 km off its nearest border snaps at 1.6 km, not at 1.4 km
    k = int(np.argmin(np.abs(d.min(axis=0) - 1_500.0)))
    dk = float(d[:, k].min())
    assert want[k] is not None and regions.units_of_points(x[k:k + 1], y[k:k + 1], snap_m=dk + 100.0) == [want[k]]
    assert regions.units_of_points(x[k:k + 1], y[k:k + 1], snap_m=dk - 100.0) == [None]


def test_snap_deg_is_a_deprecated_alias_of_snap_m():
    x, y = np.array([50.5]), np.array([40.0])
    with pytest.warns(DeprecationWarning, match=r"units_of_points\(snap_deg=\.\.\.\) is deprecated.*snap_m"):
        old = regions.units_of_points(x, y, snap_deg=0.5)
    assert old == regions.units_of_points(x, y, snap_m=0.5 * 111_000.0)
    line = LineString([(46.0, 38.92), (46.3, 38.92)])
    for func in (regions.split_by_unit, regions.split_many, regions.cut_lines):
        with pytest.warns(DeprecationWarning, match="snap_deg"):
            func(line if func is regions.split_by_unit else [line], snap_deg=0.01)


def test_geodesic_lengths_from_flat_arrays():
    from corridor._geo import geodesic_length

    lines = _border_lines(500, 5)
    want = np.array([geodesic_length(g) for g in lines])
    np.testing.assert_allclose(lengths_of(lines), want, rtol=1e-9)
    xy, i = shapely.get_coordinates(lines, return_index=True)
    starts = np.flatnonzero(np.r_[True, i[1:] != i[:-1]])
    ends = np.r_[starts[1:], len(i)] - 1
    np.testing.assert_allclose(chain_lengths(xy[:, 0], xy[:, 1], starts, ends), want, rtol=1e-9)
    seg = segment_lengths(xy[:, 0], xy[:, 1])
    np.testing.assert_allclose(chain_lengths(xy[:, 0], xy[:, 1], starts, ends, seg), want, rtol=1e-9)
    # only some chains: the rest of the arrays is not measured
    np.testing.assert_allclose(chain_lengths(xy[:, 0], xy[:, 1], starts[::7], ends[::7]), want[::7], rtol=1e-9)
    multi = shapely.MultiLineString([lines[0], lines[1]])  # parts are summed without the gap
    assert lengths_of([multi])[0] == pytest.approx(want[0] + want[1], rel=1e-12)


def test_segment_lengths_threaded_equals_single(monkeypatch):
    from corridor import _geo

    rng = np.random.default_rng(6)
    lon, lat = 45 + np.cumsum(rng.normal(0, 1e-3, 5000)), 40 + np.cumsum(rng.normal(0, 1e-3, 5000))
    _, _, want = _geo.geod().inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    assert np.array_equal(_geo.segment_lengths(lon, lat), want)
    monkeypatch.setattr(_geo, "_PARALLEL_MIN", 10)
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    assert np.array_equal(_geo.segment_lengths(lon, lat), want)
