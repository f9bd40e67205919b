"""corridor.network._osm_read: the streaming reader behind read_osm: every format gives the same table,
columns and normalised attributes, topology and border splits, bbox and classes, bad files, lengths,
ways in both layers, and the C++ accessors and libosmium writers against pyosmium's public API (all
offline).

Every OSM file here is SYNTHETIC (tests/_osmgen.py): the small network in each format (``files``,
written per module by ``small_files``) and files written by ``write``/``write_xml`` around the
``YEREVAN`` positions: invented ids, tags and positions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _osmgen import YEREVAN, small_files

from corridor._errors import OSMParseError
from corridor.network import osm


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The small network as PBF, XML and XML.bz2 (tests/_osmgen.small_files)."""
    return small_files(tmp_path_factory.mktemp("osm"))


@pytest.fixture(scope="module")
def edges(files):
    return osm.read_osm(files["osm.pbf"]).edges


def _by_way(e, way):
    return e[e.osm_way_id == way]


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


# ----------------------------------------------------------------------------- input that is wrong (issue 15)
# Every file below is SYNTHETIC, written by tests/_osmgen.write_xml / write: invented ids, tags and
# positions near Yerevan (ARM), laid out the way JOSM, Overpass or a broken merge writes them.
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
