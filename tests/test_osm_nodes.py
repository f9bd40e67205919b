"""corridor.network._osm_nodes: node locations of the scanned ways: invalid coordinates, negative ids,
ways before their nodes, missing nodes, duplicate ids, and the decoding of libosmium's OPL ids and
WKB locations.

Every OSM file here is SYNTHETIC (tests/_osmgen.py): the small network in each format (``files``,
written per module by ``small_files``) and files written by ``write``/``write_xml`` around the
``YEREVAN`` positions: invented ids, tags and positions.
"""

from __future__ import annotations

import numpy as np
import pytest
from _osmgen import YEREVAN

from corridor._errors import OSMParseError
from corridor.network import osm


# ----------------------------------------------------------------------------- input that is wrong (issue 15)
# Every file below is SYNTHETIC, written by tests/_osmgen.write_xml / write: invented ids, tags and
# positions near Yerevan (ARM), laid out the way JOSM, Overpass or a broken merge writes them.
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
