"""corridor.osm: readers, tag normalisation, Overpass and Geofabrik (all offline, loopback only)."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from _httpserver import Reply
from _osmgen import small

from corridor._errors import (
    ChecksumError,
    DownloadError,
    EmptyNetworkError,
    InvalidBBoxError,
    InvalidInputError,
    OSMParseError,
)
from corridor.network import _overpass, osm
from corridor.network._osm_tags import (
    is_bridge,
    is_tunnel,
    parse_gauge,
    parse_lanes,
    parse_maxspeed,
    rail_class,
    resolve_road_classes,
    road_class,
)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("osm")
    return {fmt: small(d, fmt) for fmt in ("osm.pbf", "osm", "osm.bz2")}


@pytest.fixture(scope="module")
def edges(files):
    return osm.read_osm(files["osm.pbf"]).edges


def _by_way(e, way):
    return e[e.osm_way_id == way]


# ----------------------------------------------------------------------------- tags
@pytest.mark.parametrize("raw, kmh", [("60", 60.0), ("60 mph", 96.56), ("50 knots", 92.6), ("RU:urban", 60.0),
                                      ("TR:rural", 90.0), ("60;80", 60.0), ("walk", 5.0), ("12,5", 12.5)])
def test_maxspeed_values(raw, kmh):
    assert parse_maxspeed(raw) == pytest.approx(kmh)


@pytest.mark.parametrize("raw", ["none", "signals", "variable", "XX:urban", "", None, "fast"])
def test_maxspeed_without_a_number_is_nan(raw):
    assert math.isnan(parse_maxspeed(raw))


def test_gauge_lanes_structures():
    assert parse_gauge("1520;1435") == (1520.0, "1520;1435")
    assert parse_gauge("1435;1435") == (1435.0, "1435")
    assert math.isnan(parse_gauge("standard")[0])
    assert parse_lanes("2;3") == 3.0
    assert is_tunnel("building_passage") and not is_tunnel("no")
    assert is_bridge("yes;no") and not is_bridge("no")


def test_classes_and_status():
    cls = resolve_road_classes(None)
    assert road_class({"highway": "footway;primary"}, cls) == ("primary", "active")
    assert road_class({"highway": "construction", "construction": "secondary"}, cls) == ("secondary", "construction")
    assert road_class({"highway": "track"}, cls) is None
    assert road_class({"highway": "track"}, resolve_road_classes("track")) == ("track", "active")
    assert rail_class({"railway": "narrow_gauge"}) == ("narrow_gauge", "active")
    assert rail_class({"railway": "razed"}) == ("rail", "razed")
    assert rail_class({"proposed:railway": "light_rail"}) == ("light_rail", "proposed")
    with pytest.raises(InvalidInputError, match="unknown road class level 'lane'"):
        resolve_road_classes("lane")


# ----------------------------------------------------------------------------- reader
def test_every_format_gives_the_same_network(files):
    tables = [osm.read_osm(p).edges for p in files.values()]
    for t in tables[1:]:
        assert t.drop(columns="geometry").equals(tables[0].drop(columns="geometry"))
        assert t.geometry.geom_equals_exact(tables[0].geometry, 1e-9).all()


def test_edge_table_columns_and_types(edges):
    assert list(edges.columns) == [*osm.EDGE_COLUMNS, "geometry"]
    assert edges.crs.to_epsg() == 4326
    for col in ("name", "ref", "gauge", "electrified", "class", "status"):
        assert edges[col].map(type).eq(str).all(), col  # scalars only: exports never see lists
    assert edges["length_m"].gt(0).all()


def test_normalised_attributes(edges):
    w201 = _by_way(edges, 201).iloc[0]
    assert (w201["class"], w201["maxspeed_kmh"], w201["lanes"], w201["ref"]) == ("primary", 60.0, 3.0, "M1;E691")
    assert _by_way(edges, 202).iloc[0]["maxspeed_kmh"] == pytest.approx(96.56)
    assert _by_way(edges, 202).iloc[0]["class"] == "primary" and _by_way(edges, 202).iloc[0]["bridge"]
    assert math.isnan(_by_way(edges, 203).iloc[0]["maxspeed_kmh"])
    assert _by_way(edges, 205).iloc[0]["maxspeed_kmh"] == 90.0
    dual = _by_way(edges, 103).iloc[0]
    assert dual["gauge"] == "1520;1435" and dual["tunnel"] and dual["maxspeed_kmh"] == 60.0
    assert _by_way(edges, 101).iloc[0]["electrified"] == "contact_line"
    status = {w: _by_way(edges, w).iloc[0]["status"] for w in (104, 105, 106, 107, 108, 109, 110)}
    assert status == {104: "active", 105: "disused", 106: "abandoned", 107: "razed", 108: "construction",
                      109: "proposed", 110: "disused"}
    assert _by_way(edges, 210).iloc[0]["status"] == "construction"
    # excluded: footway, unclassified, track, residential, platform; way 113 lost its only other node
    assert not set(edges.osm_way_id) & {207, 208, 209, 212, 112, 113}


def test_topology_and_border_split(edges):
    # ways split at the shared node 5 (level crossing) and at the TUR/ARM border (new node -1, -2 ...)
    w102 = _by_way(edges, 102)
    assert list(w102.unit) == ["TUR", "ARM"] and w102.iloc[0]["v"] == w102.iloc[1]["u"] < 0
    assert w102.iloc[0]["u"] == 4 and w102.iloc[1]["v"] == 5
    assert set(_by_way(edges, 203)[["u", "v"]].itertuples(index=False)) == {(104, 5), (5, 106)}
    # border pieces add up to the geodesic length of the way
    coords = [(43.745, 40.73), (43.78, 40.74)]
    from corridor._geo import cumulative_distance

    total = cumulative_distance(np.array([c[0] for c in coords]), np.array([c[1] for c in coords]))[-1]
    assert w102.length_m.sum() == pytest.approx(total, rel=1e-7)


def test_bbox_and_classes(files):
    e = osm.read_osm(files["osm.pbf"], bbox=(43.83, 40.76, 43.87, 40.81), modes=("road",))
    assert set(e.edges["mode"]) == {"road"} and set(e.edges.osm_way_id) <= {201, 202, 208}
    tracks = osm.read_osm(files["osm.pbf"], modes=["road"], road_classes="track").edges
    assert {208, 209} <= set(tracks.osm_way_id)
    st = osm.read_osm(files["osm"], modes=("rail",)).stations
    assert sorted(st["kind"]) == ["halt", "station", "station"]


# ----------------------------------------------------------------------------- bad input
def test_bad_files(tmp_path, files):
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(OSMParseError, match="empty"):
        osm.read_osm(empty)
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(OSMParseError, match="corrupt or truncated"):
        osm.read_osm(junk)
    text = files["osm"].read_bytes()
    cut = tmp_path / "cut.osm"
    cut.write_bytes(text[: len(text) - 300])
    with pytest.raises(OSMParseError, match=r"cut\.osm"):
        osm.read_osm(cut)
    with pytest.raises(OSMParseError, match="does not exist"):
        osm.read_osm(tmp_path / "nope.osm.pbf")


def test_bad_arguments(files):
    with pytest.raises(InvalidBBoxError, match="left"):
        osm.read_osm(files["osm.pbf"], bbox=(44.0, 40.0, 43.0, 41.0))
    with pytest.raises(EmptyNetworkError, match="inside bbox"):
        osm.read_osm(files["osm.pbf"], bbox=(30.0, 30.0, 30.1, 30.1))
    with pytest.raises(InvalidInputError, match="unknown mode 'tram'"):
        osm.read_osm(files["osm.pbf"], modes=("tram",))


# ----------------------------------------------------------------------------- Overpass
@pytest.fixture()
def overpass(http_server, monkeypatch, tmp_cache, fast_retries):
    from corridor import settings

    monkeypatch.setattr(settings, "overpass_url", http_server.url("/api/interpreter"))
    monkeypatch.setattr("corridor._http._sleep", lambda s: None)
    return http_server


BBOX = (43.55, 40.65, 44.2, 40.95)


def test_overpass_retries_then_caches(overpass, files, tmp_cache):
    body = files["osm"].read_bytes()
    overpass.add("/api/interpreter",
                 Reply(status=429, headers={"Retry-After": "0"}),
                 Reply(body=body, truncate_at=len(body) // 2),
                 Reply(body=b"<!DOCTYPE html><html><body>busy</body></html>"),
                 Reply(body=body))
    path = osm.fetch_overpass(BBOX)
    assert path.read_bytes() == body and path.parent == tmp_cache / "overpass"
    method, _, _, sent = overpass.requests[0]
    assert method == "POST" and b"railway" in sent
    n = len(overpass.requests)
    assert osm.fetch_overpass(BBOX) == path and len(overpass.requests) == n  # served from the cache
    from_overpass = osm.read_osm(path).edges
    assert from_overpass.drop(columns="geometry").equals(osm.read_osm(files["osm.pbf"]).edges.drop(columns="geometry"))


def test_overpass_gives_up_and_caches_nothing(overpass, files, tmp_cache):
    body = files["osm"].read_bytes()
    overpass.add("/api/interpreter", Reply(body=body[:-40]))  # complete HTTP body, document cut short
    with pytest.raises(DownloadError, match="truncated OSM XML"):
        osm.fetch_overpass(BBOX)
    overpass.add("/api/interpreter", Reply(status=504))
    with pytest.raises(DownloadError, match="HTTP 504"):
        osm.fetch_overpass(BBOX)
    assert not [p for p in tmp_cache.rglob("*") if p.is_file() and p.suffix in (".osm", ".part")]


def test_overpass_query_needs_bbox():
    with pytest.raises(InvalidInputError, match="needs a bbox"):
        osm.overpass_queries(None)
    (q,) = osm.overpass_queries(BBOX, modes=("road",), road_classes="unclassified")
    assert "unclassified" in q and "railway" not in q
    assert q.startswith("[out:xml][timeout:180];") and q.count("(poly:'") == 2  # two osmnx custom filters


class _ReadOnly:
    """A stand-in for ``osmnx.settings`` that fails the test on any assignment."""

    def __init__(self, module):
        object.__setattr__(self, "_module", module)

    def __getattr__(self, name):
        return getattr(self._module, name)

    def __setattr__(self, name, value):
        raise AssertionError(f"osmnx.settings.{name} was changed")


def test_overpass_queries_built_as_osmnx_builds_them(monkeypatch):
    import osmnx as ox
    from shapely.geometry import MultiPolygon, Polygon

    monkeypatch.setattr(ox.settings, "max_query_area_size", 20_000 * 20_000)
    monkeypatch.setattr(ox.settings, "overpass_memory", 1_073_741_824)
    monkeypatch.setattr(ox, "settings", _ReadOnly(ox.settings))  # read, never written (not even briefly)
    queries = osm.overpass_queries(BBOX)
    # the 55 km x 33 km box is cut into sub-polygons of at most 20 km x 20 km
    assert len(queries) >= 5 and len(set(queries)) == len(queries)
    assert all(q.startswith("[out:xml][timeout:180][maxsize:1073741824];") for q in queries)
    assert osm.overpass_queries(BBOX, timeout=25)[0].startswith("[out:xml][timeout:25][maxsize:1073741824];")
    (q,) = osm.overpass_queries(Polygon([(43.6, 40.7), (43.7, 40.7), (43.65, 40.8)]))  # a polygon area
    assert "(poly:'40.700000 43.600000 " in q or "40.800000 43.650000" in q
    # the vendored subdivision gives osmnx's own sub-polygons (a box, a small polygon, a multipolygon
    # with a hole, a long thin strip), so queries and their cache keys are the ones osmnx would send
    ox_overpass = pytest.importorskip("osmnx._overpass")
    if not hasattr(ox_overpass, "_make_overpass_polygon_coord_strs"):
        pytest.skip("this osmnx no longer has the builder corridor vendored")
    ring = [(43.6, 40.66), (44.1, 40.66), (44.1, 40.94), (43.6, 40.94)]
    areas = [Polygon([(43.55, 40.65), (44.2, 40.65), (44.2, 40.95), (43.55, 40.95)]),
             Polygon([(43.6, 40.7), (43.7, 40.7), (43.65, 40.8)]),
             MultiPolygon([Polygon(ring, [[(43.8, 40.7), (43.9, 40.7), (43.9, 40.8)]]),
                           Polygon([(44.5, 41.0), (44.9, 41.0), (44.9, 41.3)])]),
             Polygon([(45.0, 39.0), (46.5, 39.0), (46.5, 39.05), (45.0, 39.05)])]
    for area in areas:
        assert _overpass._polygon_coord_strs(area) == ox_overpass._make_overpass_polygon_coord_strs(area)


def test_overpass_subdivided_area_is_merged(overpass, files, tmp_cache, monkeypatch):
    import osmnx as ox
    from _osmgen import overpass_handler

    monkeypatch.setattr(ox.settings, "max_query_area_size", 20_000 * 20_000)
    overpass.add("/api/interpreter", Reply(handler=overpass_handler()))
    path = osm.fetch_overpass(BBOX)
    n = len(overpass.requests)
    assert n == len(osm.overpass_queries(BBOX)) >= 5 and path.name.endswith(".osm.pbf")
    # every sub-polygon answered with only its part; ways in two parts are read once
    got = osm.read_osm(path)
    want = osm.read_osm(files["osm.pbf"])
    assert got.edges.drop(columns=["geometry", "source"]).equals(want.edges.drop(columns=["geometry", "source"]))
    assert got.stations.equals(want.stations)
    # a later call is served from the cache; losing the merged file re-merges without re-downloading
    assert osm.fetch_overpass(BBOX) == path and len(overpass.requests) == n
    path.unlink()
    assert osm.fetch_overpass(BBOX) == path and len(overpass.requests) == n and path.is_file()


def test_overpass_partial_failure_resumes(overpass, files, tmp_cache, monkeypatch):
    import osmnx as ox
    from _osmgen import overpass_handler

    monkeypatch.setattr(ox.settings, "max_query_area_size", 20_000 * 20_000)
    k = len(osm.overpass_queries(BBOX))
    ok = Reply(handler=overpass_handler())
    overpass.add("/api/interpreter", ok, ok, Reply(status=500))  # the third query keeps failing
    with pytest.raises(DownloadError):
        osm.fetch_overpass(BBOX)
    cached = sorted((tmp_cache / "overpass").glob("*.osm"))
    assert len(cached) == 2 and not list((tmp_cache / "overpass").glob("*.pbf"))
    assert not [p for p in tmp_cache.rglob("*") if ".part" in p.name]
    before = len(overpass.requests)
    overpass.add("/api/interpreter", ok)
    osm.fetch_overpass(BBOX)
    assert len(overpass.requests) - before == k - 2  # only the missing queries were sent
# ----------------------------------------------------------------------------- Geofabrik
@pytest.fixture()
def geofabrik(http_server, monkeypatch, tmp_cache, fast_retries):
    from corridor import settings

    monkeypatch.setattr(settings, "geofabrik_url", http_server.base)
    monkeypatch.setattr("corridor._http._sleep", lambda s: None)
    return http_server


def test_geofabrik_download_verify_and_update(geofabrik, files, tmp_cache):
    data = files["osm.pbf"].read_bytes()
    md5 = hashlib.md5(data).hexdigest()
    path = "/asia/armenia-latest.osm.pbf"
    geofabrik.add(path + ".md5", Reply(body=f"{md5}  armenia-latest.osm.pbf\n".encode()))
    geofabrik.add(path, Reply(body=data[:100] + b"x" * (len(data) - 100)), Reply(body=data))  # bad md5 once
    (got,) = osm.fetch_geofabrik("armenia")
    assert got.read_bytes() == data and geofabrik.hits(path) == 2
    osm.fetch_geofabrik("ARM")  # up to date: only the .md5 is fetched again
    assert geofabrik.hits(path) == 2 and geofabrik.hits(path + ".md5") == 2
    new = data + b"\0"
    geofabrik.add(path + ".md5", Reply(body=hashlib.md5(new).hexdigest().encode()))
    geofabrik.add(path, Reply(body=new, honour_range=False))
    (got,) = osm.fetch_geofabrik("armenia")
    assert got.read_bytes() == new


def test_geofabrik_bad_md5_raises_and_leaves_nothing(geofabrik, files, tmp_cache):
    data = files["osm.pbf"].read_bytes()
    path = "/europe/georgia-latest.osm.pbf"
    geofabrik.add(path + ".md5", Reply(body=b"0" * 32))
    geofabrik.add(path, Reply(body=data))
    with pytest.raises(ChecksumError):
        osm.fetch_geofabrik("georgia")
    left = [p.name for p in (tmp_cache / "geofabrik").iterdir() if not p.name.endswith(".lock")]
    assert left == []  # no extract, no .part, no .md5 sidecar


def test_geofabrik_offline_uses_cached_copy(geofabrik, files, tmp_cache):
    data = files["osm.pbf"].read_bytes()
    dest = tmp_cache / "geofabrik" / "iran-latest.osm.pbf"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(data)
    geofabrik.add("/asia/iran-latest.osm.pbf.md5", Reply(status=503))
    assert osm.fetch_geofabrik("iran") == [dest]
    with pytest.raises(InvalidInputError, match="unknown region 'mars'"):
        osm.fetch_geofabrik("mars")


def test_cli_fetch_osm(geofabrik, files, tmp_cache):
    from typer.testing import CliRunner

    from corridor.cli import app

    data = files["osm.pbf"].read_bytes()
    geofabrik.add("/asia/armenia-latest.osm.pbf.md5", Reply(body=hashlib.md5(data).hexdigest().encode()))
    geofabrik.add("/asia/armenia-latest.osm.pbf", Reply(body=data))
    res = CliRunner().invoke(app, ["fetch", "osm", "--region", "armenia"])
    assert res.exit_code == 0, res.output
    assert (tmp_cache / "geofabrik" / "armenia-latest.osm.pbf").read_bytes() == data
    assert "armenia-latest.osm.pbf" in res.stdout
    from corridor.cli import main

    assert main(["fetch", "osm", "--region", "narnia"]) == 2  # one-line error, exit code 2


def test_lengths_skip_missing_and_repeated_nodes(tmp_path):
    """Lengths measured during the scan are re-measured where a vertex was dropped."""
    from _osmgen import write

    from corridor._geo import lengths_of

    nodes = {1: (44.50, 40.10, {}), 2: (44.52, 40.11, {}), 3: (44.55, 40.11, {}), 4: (44.58, 40.13, {})}
    ways = {7: ([1, 2, 2, 99, 3, 4], {"highway": "primary"})}  # node 99 is not in the file
    e = osm.read_osm(write(tmp_path / "gap.osm.pbf", nodes, ways)).edges
    assert len(e) == 1
    assert np.allclose(e.geometry.iloc[0].coords, [nodes[i][:2] for i in (1, 2, 3, 4)], atol=1e-7)
    assert e.length_m.iloc[0] == pytest.approx(float(lengths_of(e.geometry.values)[0]), rel=1e-12)
    assert np.isfinite(e.length_m).all()


def test_checksum_memo_follows_content_not_mtime(tmp_path, tmp_cache):
    """An edit that keeps size and mtime (``cp -p``, ``rsync -t``) gets its own MD5 (issue 15 §6)."""
    import hashlib
    import os

    from corridor.network.osm import file_checksum, remember_checksum

    p = tmp_path / "a.osm"
    p.write_bytes(b"<osm>first</osm>")
    assert file_checksum(p) == hashlib.md5(b"<osm>first</osm>").hexdigest()
    st = p.stat()
    p.write_bytes(b"<osm>other</osm>")
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert file_checksum(p) == hashlib.md5(b"<osm>other</osm>").hexdigest()
    # a memo pairs an MD5 with the very content that was hashed, even if the file changed in between
    q = tmp_path / "b.osm"
    q.write_bytes(b"<osm>one</osm>")
    digest = file_checksum(q, remember=False)
    q.write_bytes(b"<osm>two</osm>")
    remember_checksum(q, digest)
    assert file_checksum(q) == hashlib.md5(b"<osm>two</osm>").hexdigest()
    memos = list((tmp_cache / "osm" / "checksums").iterdir())
    assert sorted(m.read_text() for m in memos) == sorted(
        hashlib.md5(c).hexdigest() for c in (b"<osm>first</osm>", b"<osm>other</osm>", b"<osm>one</osm>",
                                             b"<osm>two</osm>"))


# ----------------------------------------------------------------------------- input that is wrong (issue 15)
# Every file below is SYNTHETIC, written by tests/_osmgen.write_xml / write: invented ids, tags and
# positions near Yerevan (ARM), laid out the way JOSM, Overpass or a broken merge writes them.
YEREVAN = {1: (44.50, 40.10), 2: (44.55, 40.12), 3: (44.60, 40.10), 4: (44.65, 40.12)}


def _geodesic(points):
    from corridor._geo import cumulative_distance

    return float(cumulative_distance(np.array([p[0] for p in points]), np.array([p[1] for p in points]))[-1])


def test_invalid_coordinates_are_skipped_with_a_warning(tmp_path, caplog):
    from _osmgen import write_xml

    items = [("node", n, *xy, {}) for n, xy in YEREVAN.items()]
    items += [("node", 90, 44.52, 95.0, {}), ("node", 91, 200.0, 40.11, {}), ("node", 92, -181.0, -91.0, {})]
    items += [("way", 7, [1, 90, 2, 91, 3, 92, 4], {"highway": "primary"})]
    with caplog.at_level("WARNING", logger="corridor.network._osm_read"):
        e = osm.read_osm(write_xml(tmp_path / "bad_coords.osm", items)).edges
    assert "3 way nodes have invalid coordinates" in caplog.text
    assert len(e) == 1 and np.isfinite(e.length_m).all()
    assert e.length_m.iloc[0] == pytest.approx(_geodesic([YEREVAN[i] for i in (1, 2, 3, 4)]), rel=1e-9)
    assert np.allclose(e.geometry.iloc[0].coords, [YEREVAN[i] for i in (1, 2, 3, 4)])
    assert set(e.unit) == {"ARM"}  # no phantom unit from a point off the globe
    # nothing valid left: an error naming the cause, not "no road/rail ways"
    only_bad = [("node", 90, 44.52, 95.0, {}), ("node", 91, 200.0, 40.11, {}),
                ("way", 7, [90, 91], {"highway": "primary"})]
    with pytest.raises(OSMParseError, match="2 way nodes have invalid coordinates"):
        osm.read_osm(write_xml(tmp_path / "all_bad.osm", only_bad))


def test_negative_ids_as_josm_saves_them(tmp_path):
    """A way through node -5 keeps its detour (it used to become a straight line 1 -> 2)."""
    from _osmgen import write_xml

    items = [("node", 1, 44.50, 40.10, {}), ("node", -5, 44.70, 40.30, {}), ("node", 2, 44.60, 40.10, {}),
             ("node", -6, 44.62, 40.20, {}), ("node", -7, 44.66, 40.22, {}),
             ("way", -1, [1, -5, 2], {"highway": "primary"}), ("way", -2, [2, -6, -7], {"railway": "rail"})]
    e = osm.read_osm(write_xml(tmp_path / "josm.osm", items)).edges.set_index("osm_way_id")
    want = _geodesic([(44.50, 40.10), (44.70, 40.30), (44.60, 40.10)])
    assert e.loc[-1, "length_m"] == pytest.approx(want, rel=1e-9)
    assert want > 2 * _geodesic([(44.50, 40.10), (44.60, 40.10)])  # the straight line would be far shorter
    assert (e.loc[-2, "u"], e.loc[-2, "v"], e.loc[-2, "mode"]) == (2, -7, "rail")


@pytest.mark.parametrize("fmt", ["osm", "osm.pbf"])
def test_ways_before_nodes_as_overpass_writes_them(tmp_path, fmt):
    """``out body; >; out skel qt;`` puts the ways first: same edges as the sorted file."""
    import osmium
    from _osmgen import _mutable_node, _mutable_way, write

    nodes = {n: (*xy, {}) for n, xy in YEREVAN.items()}
    ways = {7: ([1, 2, 3], {"highway": "primary"}), 8: ([3, 4], {"railway": "rail", "gauge": "1520"})}
    want = osm.read_osm(write(tmp_path / f"sorted.{fmt}", nodes, ways)).edges
    path = tmp_path / f"ways_first.{fmt}"
    with osmium.SimpleWriter(str(path), overwrite=True) as w:
        for wid in sorted(ways):
            w.add_way(_mutable_way(wid, *ways[wid]))
        for nid in sorted(nodes, reverse=True):
            w.add_node(_mutable_node(nid, *nodes[nid]))
    got = osm.read_osm(path)
    assert got.edges.drop(columns="geometry").equals(want.drop(columns="geometry"))
    assert got.edges.geometry.geom_equals_exact(want.geometry, 1e-9).all()
    assert got.info["missing_nodes"] == 0 and got.info["located_late"] == 4


def test_missing_nodes_are_counted_in_a_warning(tmp_path, caplog):
    from _osmgen import write_xml

    items = [("way", 7, [1, 98, 2, 99, 3], {"highway": "primary"})] + \
        [("node", n, *YEREVAN[n], {}) for n in (1, 2, 3)]  # ways first, and nodes 98, 99 are not in the file
    with caplog.at_level("WARNING", logger="corridor.network._osm_read"):
        raw = osm.read_osm(write_xml(tmp_path / "gap.osm", items))
    assert "2 way nodes are not in the file" in caplog.text and raw.info["missing_nodes"] == 2
    assert raw.edges.length_m.iloc[0] == pytest.approx(_geodesic([YEREVAN[i] for i in (1, 2, 3)]), rel=1e-9)


@pytest.mark.parametrize("first", ["nodes", "ways"])
@pytest.mark.parametrize("nid", [3, -3])
def test_duplicate_node_ids_with_other_coordinates_are_an_error(tmp_path, first, nid):
    from _osmgen import write_xml

    nodes = [("node", 1, 44.50, 40.10, {}), ("node", nid, 44.55, 40.20, {}), ("node", nid, 44.55, 40.30, {}),
             ("node", 2, 44.60, 40.10, {})]
    ways = [("way", 7, [1, nid, 2], {"highway": "primary"})]
    path = write_xml(tmp_path / "dup.osm", nodes + ways if first == "nodes" else ways + nodes)
    with pytest.raises(OSMParseError, match=rf"node {nid} at \(44.5500000, 40.2000000\), \(44.5500000, 40.3000000\)"):
        osm.read_osm(path)


def test_duplicate_node_ids_in_a_pbf_and_identical_repeats(tmp_path):
    import osmium
    from _osmgen import _mutable_node, _mutable_way

    def pbf(name, second):
        path = tmp_path / name
        with osmium.SimpleWriter(str(path), overwrite=True) as w:
            for nid, xy in [(1, (44.50, 40.10)), (3, (44.55, 40.20)), (3, second), (2, (44.60, 40.10))]:
                w.add_node(_mutable_node(nid, *xy, {}))
            w.add_way(_mutable_way(7, [1, 3, 2], {"highway": "primary"}))
        return path

    with pytest.raises(OSMParseError, match="1 node ids occur more than once with different coordinates"):
        osm.read_osm(pbf("dup.osm.pbf", (44.56, 40.20)))
    e = osm.read_osm(pbf("same.osm.pbf", (44.55, 40.20))).edges  # the same node written twice: harmless
    assert e.length_m.iloc[0] == pytest.approx(_geodesic([(44.50, 40.10), (44.55, 40.20), (44.60, 40.10)]))


def test_a_way_with_road_and_rail_tags_is_in_both_layers(tmp_path):
    """Rail contents do not depend on which modes are loaded (Monaco: 787 m instead of 2,999.5 m)."""
    from _osmgen import write_xml

    items = [("node", n, *xy, {}) for n, xy in YEREVAN.items()] + [("node", 5, 44.70, 40.10, {})]
    items += [("way", 7, [1, 2, 3], {"highway": "primary", "railway": "abandoned"}),
              ("way", 8, [3, 4, 5], {"railway": "rail", "gauge": "1520"}),
              ("way", 9, [4, 5], {"highway": "secondary", "abandoned:railway": "rail"}),
              ("way", 10, [2, 4], {"highway": "footway", "railway": "disused"})]
    path = write_xml(tmp_path / "mixed.osm", items)
    both = osm.read_osm(path).edges
    rail_only = osm.read_osm(path, modes=("rail",)).edges
    road_only = osm.read_osm(path, modes=("road",)).edges
    cols = [c for c in both.columns if c != "geometry"]
    assert both[both["mode"] == "rail"][cols].reset_index(drop=True).equals(rail_only[cols])
    # road edges may be split where rail shares a node (level crossings), the contents are the same
    road_both = both[both["mode"] == "road"]
    assert road_both.groupby("osm_way_id").length_m.sum().to_dict() == pytest.approx(
        road_only.groupby("osm_way_id").length_m.sum().to_dict())
    assert sorted(rail_only.osm_way_id.unique()) == [7, 8, 9, 10]
    assert sorted(road_only.osm_way_id.unique()) == [7, 9]
    w7 = both[both.osm_way_id == 7]
    assert set(zip(w7["mode"], w7["status"], strict=True)) == {("road", "active"), ("rail", "abandoned")}
    # way 7 is split at node 2 only (shared with way 10), in both layers: not at every vertex
    assert sorted(map(tuple, w7[["mode", "u", "v"]].values.tolist())) == [
        ("rail", 1, 2), ("rail", 2, 3), ("road", 1, 2), ("road", 2, 3)]
    assert rail_only.length_m.sum() == pytest.approx(both[both["mode"] == "rail"].length_m.sum())


def test_access_and_lifecycle_statuses_of_roads(tmp_path):
    from _osmgen import write_xml

    from corridor.network._osm_tags import access_status

    cases = {11: ({"access": "private"}, "private"), 12: ({"access": "no"}, "no_access"),
             13: ({"motor_vehicle": "no"}, "no_access"), 14: ({"motor_vehicle": "private"}, "private"),
             15: ({"motorcar": "no"}, "no_access"), 16: ({"access": "no", "motor_vehicle": "yes"}, "active"),
             17: ({"access": "private", "motorcar": "destination"}, "active"), 18: ({"access": "yes"}, "active"),
             19: ({"highway": "construction", "construction": "primary", "access": "no"}, "construction"),
             20: ({"highway": "proposed", "proposed": "primary"}, "proposed"), 21: ({"vehicle": "no"}, "no_access")}
    items = [("node", n, *xy, {}) for n, xy in YEREVAN.items()]
    for wid, (tags, _) in cases.items():
        items.append(("way", wid, [1, 2], {"highway": "primary", **tags}))
    e = osm.read_osm(write_xml(tmp_path / "access.osm", items)).edges.set_index("osm_way_id")
    assert {w: e.loc[w, "status"] for w in cases} == {w: st for w, (_, st) in cases.items()}
    assert access_status({"access": "no;yes"}) == "no_access" and access_status({}) is None


def test_only_main_line_stations_are_transfer_points(tmp_path):
    from _osmgen import write_xml

    from corridor.network._osm_tags import is_transfer_station

    stations = {901: {"railway": "station", "name": "main"}, 902: {"railway": "station", "station": "subway"},
                903: {"railway": "station", "station": "light_rail"}, 904: {"railway": "halt", "station": "tram"},
                905: {"railway": "tram_stop"}, 906: {"railway": "subway_entrance"},
                907: {"railway": "station", "subway": "yes"}, 908: {"railway": "station", "station": "train"},
                909: {"railway": "station", "subway": "yes", "train": "yes"}, 910: {"railway": "yard"}}
    items = [("node", n, *xy, {}) for n, xy in YEREVAN.items()]
    items += [("node", sid, 44.55 + 0.001 * (sid - 900), 40.121, tags) for sid, tags in stations.items()]
    items += [("way", 7, [1, 2, 3], {"railway": "rail"}), ("way", 8, [2, 4], {"highway": "primary"})]
    st = osm.read_osm(write_xml(tmp_path / "stations.osm", items)).stations
    assert sorted(st["id"]) == [901, 908, 909, 910]
    assert not is_transfer_station({"railway": "station", "station": "subway;light_rail"})


def test_public_pyosmium_access_reads_the_same_table(tmp_path, monkeypatch):
    """The scan reads way nodes and tags through pyosmium's C++ accessors; the public API gives the same table."""
    from _osmgen import write_xml

    from corridor.network import _osm_read

    items = [("node", n, *xy, {}) for n, xy in YEREVAN.items()] + [("node", 5, 44.70, 40.10, {})]
    items += [("way", 7, [1, 2, 3], {"highway": "primary", "railway": "abandoned", "name": "A"}),
              ("way", 8, [3, 4, 5], {"railway": "rail", "gauge": "1520", "electrified": "contact_line"}),
              ("way", 9, [5, 4, 2], {"highway": "secondary", "oneway": "-1", "maxspeed": "60"}),
              ("way", 10, [2, 4], {"highway": "tertiary", "oneway": "yes", "lanes": "2", "access": "private"}),
              ("way", 11, [1], {"highway": "primary"})]  # one node: skipped either way
    path = write_xml(tmp_path / "access.osm", items)
    fast = osm.read_osm(path).edges
    assert sorted(fast.osm_way_id.unique()) == [7, 8, 9, 10]
    w9 = fast[fast.osm_way_id == 9]  # oneway=-1: stored against its drawing order
    assert (w9.u.iloc[0], w9.v.iloc[-1]) == (2, 5)
    monkeypatch.setattr(_osm_read, "_has_fast_access", lambda way: False)
    public = osm.read_osm(path).edges
    assert public.to_wkt().equals(fast.to_wkt())


def test_way_nodes_from_libosmium_writers_match_the_public_api(tmp_path, monkeypatch):
    """Ids (OPL text) and locations (WKB) decoded in many small chunks give the public API's table.

    Mixed in: ways stored reversed (oneway=-1, also as the road row of a road+rail way), ways the WKB
    writer refuses (a node off the globe, a missing node, a negative id) between ones it takes, a node
    repeated in a row; the temporary OPL files are removed, and without a temporary folder the ids are
    read one by one.
    """
    import tempfile

    from _osmgen import write_xml

    from corridor.network import _osm_read

    nodes = {n: (44.50 + 0.01 * n, 40.10 + 0.003 * (n % 7), {}) for n in range(1, 41)}
    items = [("node", n, lon, lat, tags) for n, (lon, lat, tags) in nodes.items()]
    items += [("node", 90, 44.52, 95.0, {}), ("node", -5, 44.71, 40.31, {})]
    ways = {100 + k: ([k + 1, k + 2, k + 3], {"highway": "secondary"}) for k in range(0, 36, 2)}
    ways[101] = ([5, 9, 13, 17], {"highway": "primary", "oneway": "-1", "name": "a N b"})
    ways[103] = ([17, 90, 18, 19], {"highway": "tertiary"})  # node 90: invalid coordinates
    ways[105] = ([19, 99, 20, 21], {"highway": "primary", "oneway": "-1"})  # node 99: not in the file
    ways[107] = ([21, 22, 22, 23, 24], {"highway": "primary", "railway": "rail", "oneway": "-1"})
    ways[109] = ([24, -5, 25], {"highway": "unclassified"})
    ways[111] = ([30, 31, 32, 33, 34, 35], {"railway": "rail", "gauge": "1520"})
    items += [("way", w, refs, tags) for w, (refs, tags) in sorted(ways.items())]
    path = write_xml(tmp_path / "mixed.osm", items)
    monkeypatch.setattr(_osm_read, "_SEG_CHUNK", 7)  # a flush (and a new OPL file) every few ways
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    fast = osm.read_osm(path).edges
    assert list((tmp_path / "tmp").iterdir()) == []
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))  # no temporary folder: ids one by one
    assert osm.read_osm(path).edges.to_wkt().equals(fast.to_wkt())
    w101 = fast[fast.osm_way_id == 101]
    assert (w101.u.iloc[0], w101.v.iloc[-1]) == (17, 5)
    assert set(fast[fast.osm_way_id == 107]["mode"]) == {"road", "rail"}
    monkeypatch.setattr(_osm_read, "_has_fast_access", lambda way: False)
    public = osm.read_osm(path).edges
    assert fast.drop(columns="geometry").equals(public.drop(columns="geometry"))
    assert fast.to_wkt().equals(public.to_wkt())


@pytest.mark.parametrize("byte_order", [0, 1])
def test_wkb_points_decode_to_the_fixed_point_coordinates(byte_order):
    """libosmium writes ``x / 1e7`` as a double: decoding gives ``x`` back exactly, either byte order."""
    import shapely

    from corridor.network._osm_nodes import wkb_xy

    rng = np.random.default_rng(3)
    x = rng.integers(-1_800_000_000, 1_800_000_001, 40)
    y = rng.integers(-900_000_000, 900_000_001, 40)
    lines = shapely.linestrings(x / 1e7, y / 1e7, indices=np.repeat(np.arange(10), 4))
    hexes = [str(h) for h in shapely.to_wkb(lines, hex=True, byte_order=byte_order)]
    gx, gy = wkb_xy(hexes)
    assert gx.tolist() == x.tolist() and gy.tolist() == y.tolist()
    with pytest.raises(ValueError, match="line strings"):
        wkb_xy([str(shapely.to_wkb(shapely.points(1, 2), hex=True))])


def test_opl_node_ids():
    from corridor.network._osm_nodes import opl_node_ids

    text = "w5 Thighway=primary,name=a%20%N%20%b Nn1,n-7,n9000000000123\nw6 T Nn2,n3\n"
    assert opl_node_ids(text, 5).tolist() == [1, -7, 9000000000123, 2, 3]
    with pytest.raises(ValueError, match="3 way node ids, not 4"):
        opl_node_ids("w6 T Nn2,n3,n4\n", 4)
