"""corridor.network: topology, transfers, gauge breaks, CSR routing vs networkx, cache, sources."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas.testing as pd_testing
import pytest
from _httpserver import Reply
from _osmgen import small
from shapely.geometry import LineString

from corridor import settings
from corridor._errors import (
    DataFileError,
    EmptyNetworkError,
    InvalidBBoxError,
    InvalidInputError,
    NoRouteError,
    OSMParseError,
    UnknownUnitError,
)
from corridor.network import Network, load_network

KARS_SIDE = (43.60, 40.70)  # rail, TUR, 1435 mm
GYUMRI_RAIL = (43.85, 40.79)  # rail, ARM, 1520 mm


@pytest.fixture(scope="module")
def pbf(tmp_path_factory):
    return small(tmp_path_factory.mktemp("net"), "osm.pbf")


@pytest.fixture(scope="module")
def net(pbf):
    return load_network(pbf, cache=False)


@pytest.fixture(scope="module")
def raw(pbf):
    """The unsimplified network: one edge per piece of way between shared nodes."""
    return load_network(pbf, cache=False, simplify=False)


def _continuous(route) -> bool:
    g = list(route.segments.geometry)
    return all(np.allclose(a.coords[-1], b.coords[0]) for a, b in itertools.pairwise(g))


# ----------------------------------------------------------------------------- topology
def test_nodes_and_layers(raw, net):
    nodes = raw.nodes
    assert nodes.loc[5, "mode"] == "rail;road"  # level crossing node shared by road and rail
    g = raw.graph
    layers = sorted(g.vlayer[g.vnode == 5].tolist())
    assert layers == [0, 1435, 1520]  # road + both gauges of the dual-gauge way 103
    assert len(raw) == len(raw.edges) and "osm" in repr(raw)
    # simplified: on the road layer node 5 only joins two pieces of way 203, so they are merged;
    # the rail layers keep it (gauges and structures change there)
    g = net.graph
    assert sorted(g.vlayer[g.vnode == 5].tolist()) == [1435, 1520]
    assert net.nodes.loc[5, "mode"] == "rail" and not raw.meta["simplified"] and net.meta["simplified"]


def test_gauge_break_route(net):
    r = net.route(KARS_SIDE, GYUMRI_RAIL, mode="rail")
    seg = r.segments
    assert r.unit_sequence() == ["TUR", "ARM"]
    gb = seg[seg["class"] == "gauge_break"]
    assert len(gb) == 1 and bool(gb["gauge_break"].iloc[0]) and gb["length_m"].iloc[0] == 0
    k = int(np.flatnonzero(seg["class"] == "gauge_break")[0])
    assert set(seg["gauge_mm"].iloc[:k]) == {1435} and set(seg["gauge_mm"].iloc[k:]) == {1520}
    assert set(seg["build"]) == {"existing"} and _continuous(r)
    assert {"bridge", "tunnel"} <= set(seg["structure"])  # way 102 viaduct, way 103 tunnel
    edge_sum = net.edges[net.edges.osm_way_id.isin([101, 102, 103, 104])].length_m.sum()
    assert r.length_m == pytest.approx(edge_sum)
    assert r.meta["cost"] == pytest.approx(edge_sum + net.costs.gauge_break_m)


def test_road_and_rail_meet_only_at_stations(net):
    r = net.route((43.80, 40.75), (43.82, 40.77))  # road node 104 -> rail node 6, mode free
    seg = r.segments
    assert seg["transfer"].sum() == 1
    modes = seg["mode"].tolist()
    switches = [i for i in range(1, len(modes)) if modes[i] != modes[i - 1]]
    assert all(seg["class"].iloc[i] == "transfer" or seg["class"].iloc[i - 1] == "transfer" for i in switches)
    assert "Gyumri (synthetic)" in " ".join(seg["name"])
    with pytest.raises(NoRouteError):  # without transfers the layers never touch, not even at node 5
        net.route((43.80, 40.75), (44.15, 40.85), mode="road")


def _vertex(net, graph, node) -> int:
    """The router vertex of a graph node of ``to_networkx()`` (OSM node + layer)."""
    g = net.graph
    d = graph.nodes[node]
    (v,) = np.flatnonzero((g.vnode == d["osm_node"]) & (g.vlayer == d["layer"]))
    return int(v)


@pytest.mark.parametrize("simplified", [True, False])
def test_same_lengths_as_networkx(net, raw, simplified):
    import osmnx as ox

    net = net if simplified else raw
    for mode in ("road", "rail", None):
        G = net.to_networkx(mode=mode)
        assert G.graph["simplified"] is simplified
        nodes = list(G.nodes)
        g = net.graph
        comp = {n: i for i, c in enumerate(nx.connected_components(G.to_undirected())) for n in c}
        pairs = [(a, b) for a, b in itertools.permutations(nodes, 2) if comp[a] == comp[b]][:200]
        s = net._solver(mode, "length", ())
        n_blocked = 0
        for a, b in pairs:
            va, vb = np.array([_vertex(net, G, a)]), np.array([_vertex(net, G, b)])
            if not nx.has_path(G, a, b):  # one-way edges: reachable one way only
                n_blocked += 1
                with pytest.raises(NoRouteError):
                    s.shortest(va, vb, 0.0)
                continue
            want = nx.shortest_path_length(G, a, b, weight="weight_length")
            got, _ = s.shortest(va, vb, 0.0)
            assert got == pytest.approx(want, rel=1e-9), (mode, a, b)
        if mode == "road":
            assert n_blocked > 0  # the fixture's one-way ramp makes some pairs one-directional
        if mode == "road":
            a, b = pairs[-1]
            path = ox.shortest_path(G, a, b, weight="length")
            assert path[0] == a and path[-1] == b
            _nodes_gdf, edges_gdf = ox.graph_to_gdfs(G)
            assert len(edges_gdf) == G.number_of_edges() and "highway" in edges_gdf.columns
            osm_ids = [g.vnode[_vertex(net, G, a)], g.vnode[_vertex(net, G, b)]]
            assert osm_ids == [a, b]  # road nodes are keyed by their OSM id
            d = net.shortest_lengths([osm_ids[0]], [osm_ids[1]], mode="road")[0]
            assert d == pytest.approx(nx.shortest_path_length(G, a, b, weight="length"))


def test_oneway_roads(net, raw):
    e = net.edges.set_index("osm_way_id")
    assert bool(e.loc[206, "oneway"]) and bool(e.loc[211, "oneway"]) and not bool(e.loc[204, "oneway"])
    assert not net.edges.loc[net.edges["mode"] == "rail", "oneway"].any()
    # oneway=-1 is stored reversed: the edge runs from node 121 to node 120, in the travel direction
    island = net.edges[net.edges.osm_way_id == 211].iloc[0]
    assert (island.u, island.v) == (121, 120)
    assert island.geometry.coords[0] == pytest.approx((44.08, 40.71))
    fwd = net.route((44.08, 40.71), (44.05, 40.70), mode="road")
    assert fwd.length_m == pytest.approx(float(island.length_m))
    with pytest.raises(NoRouteError):
        net.route((44.05, 40.70), (44.08, 40.71), mode="road")
    # the one-way ramp 108 -> 109: the way back must detour or fail, never use the ramp backwards
    G = raw.to_networkx(mode="road")
    ramp = [(a, d) for a, _b, d in G.edges(data=True) if d.get("osmid") == 206]
    starts = {G.nodes[a]["osm_node"] for a, _ in ramp}
    assert ramp and 108 in starts and 109 not in starts and not any(d["reversed"] for _, d in ramp)
    two_way = [d for _, _, d in G.edges(data=True) if d.get("osmid") == 204]
    assert len(two_way) == 2 * sum(1 for _ in raw.edges.osm_way_id[raw.edges.osm_way_id == 204])
    assert {d["reversed"] for d in two_way} == {False, True}


def test_time_weight_via_and_avoid(net):
    fast = net.route((43.84, 40.80), (43.70, 40.74), mode="road", weight="time")
    seg = fast.segments
    speed = seg["maxspeed_kmh"].fillna(seg["class"].map({"secondary": 70.0, "tertiary": 60.0}))
    assert fast.meta["cost"] == pytest.approx(float((seg["length_m"] / (speed / 3.6)).sum()))
    via = net.route((43.84, 40.80), (43.86, 40.78), via=[(43.80, 40.75)], mode="road")
    assert via.length_m > net.route((43.84, 40.80), (43.86, 40.78), mode="road").length_m
    assert len(via.waypoints) == 3
    with pytest.raises(NoRouteError, match="avoid_units"):
        net.route((43.84, 40.80), (43.70, 40.74), mode="road", avoid_units=["TUR"])
    arm = net.route((43.84, 40.80), (43.755, 40.75), mode="road", avoid_units=["tur"])
    assert set(arm.segments["unit"]) == {"ARM"}
    with pytest.raises(UnknownUnitError):
        net.route((43.84, 40.80), (43.70, 40.74), avoid_units=["XXX"])
    with pytest.raises(InvalidInputError, match="weight"):
        net.route((43.84, 40.80), (43.70, 40.74), weight="cost")
    with pytest.raises(InvalidInputError, match="mode"):
        net.route((43.84, 40.80), (43.70, 40.74), mode="ship")


def test_place_names_and_disconnected(net):
    r = net.route("Gyumri", KARS_SIDE, mode="rail")
    assert r.waypoints[0].name == "Gyumri" and r.unit_sequence() == ["ARM", "TUR"]
    with pytest.raises(NoRouteError, match="disconnected"):
        net.route((44.05, 40.70), (43.84, 40.80), mode="road")  # the island road
    with pytest.raises(NoRouteError, match="km from the nearest"):
        net.route((46.0, 39.0), (43.84, 40.80), mode="road")
    node, d = net.nearest_node(43.7205, 40.7255, mode="rail")
    assert node == 3 and d < 100  # the station split way 101 at its nearest node


def test_subset(net):
    sub = net.subset((43.83, 40.76, 43.87, 40.81))
    assert 0 < len(sub) < len(net) and sub.meta["bbox"] == [43.83, 40.76, 43.87, 40.81]
    with pytest.raises(EmptyNetworkError):
        net.subset((30.0, 30.0, 30.1, 30.1))


def test_from_edges_derives_topology():
    e = gpd.GeoDataFrame({"mode": ["road", "road", "road"]},
                         geometry=[LineString([(44.5, 40.1), (44.6, 40.1)]), LineString([(44.6, 40.1), (44.6, 40.2)]),
                                   LineString([(44.6, 40.2), (44.5, 40.1)])], crs="EPSG:4326")
    n = Network.from_edges(e, simplify=False)
    assert n.edges["v"].iloc[0] == n.edges["u"].iloc[1] and set(n.edges["unit"]) == {"ARM"}
    assert n.route((44.5, 40.1), (44.6, 40.2)).segments.shape[0] == 1  # the diagonal is shorter


# ----------------------------------------------------------------------------- loading + cache
def test_cache_roundtrip(pbf, tmp_cache):
    a = load_network(pbf)
    entries = list((tmp_cache / "networks").iterdir())
    assert len(entries) == 1 and "cache" not in a.meta
    b = load_network(pbf)
    assert b.meta["cache"] == str(entries[0])
    assert b.edges.drop(columns="geometry").equals(a.edges.drop(columns="geometry"))
    assert b.route(KARS_SIDE, GYUMRI_RAIL, mode="rail").length_m == pytest.approx(
        a.route(KARS_SIDE, GYUMRI_RAIL, mode="rail").length_m)
    assert a.meta["checksum"] and a.meta["filter"]["modes"] == ["road", "rail"]
    load_network(pbf, bbox=(43.83, 40.76, 43.87, 40.81))
    assert len(list((tmp_cache / "networks").iterdir())) == 2  # bbox is part of the key


def test_cache_entry_short_of_columns_is_rebuilt(pbf, tmp_cache):
    """An entry written before a column existed (e.g. ``oneway``) is never served."""
    import pyarrow.parquet as pq

    a = load_network(pbf)
    (entry,) = list((tmp_cache / "networks").iterdir())
    table = pq.read_table(entry / "edges.parquet")
    pq.write_table(table.drop_columns(["oneway"]), entry / "edges.parquet")
    b = load_network(pbf)
    assert "cache" not in b.meta and "oneway" in b.edges.columns  # parsed again
    assert b.edges.drop(columns="geometry").equals(a.edges.drop(columns="geometry"))
    assert "cache" in load_network(pbf).meta  # and the rebuilt entry is served


def test_bad_input_leaves_no_cache(tmp_path, pbf, tmp_cache):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(pbf.read_bytes()[:700])
    with pytest.raises(OSMParseError):
        load_network(bad)
    with pytest.raises(EmptyNetworkError):
        load_network(pbf, bbox=(30.0, 30.0, 30.1, 30.1))
    with pytest.raises(InvalidBBoxError):
        load_network(pbf, bbox=(44.0, 40.0, 43.0, 41.0))
    with pytest.raises(InvalidInputError, match="unknown mode"):
        load_network(pbf, modes=("road", "boat"))
    with pytest.raises(InvalidInputError, match="unknown region"):
        load_network(pbf, region="atlantis")
    with pytest.raises(DataFileError, match="does not exist"):
        load_network(tmp_path / "missing.osm.pbf")
    assert not (tmp_cache / "networks").exists() or not list((tmp_cache / "networks").iterdir())


def test_region_filter(pbf):
    arm = load_network(pbf, region="armenia", cache=False)
    assert set(arm.edges["unit"]) == {"ARM"}
    with pytest.raises(EmptyNetworkError):
        load_network(pbf, region="IRN", cache=False)


def test_geofabrik_source(pbf, http_server, monkeypatch, tmp_cache, fast_retries):
    import hashlib

    monkeypatch.setattr(settings, "geofabrik_url", http_server.base)
    data = pbf.read_bytes()
    http_server.add("/asia/armenia-latest.osm.pbf.md5", Reply(body=hashlib.md5(data).hexdigest().encode()))
    http_server.add("/asia/armenia-latest.osm.pbf", Reply(body=data))
    net = load_network("geofabrik", region="armenia")
    assert net.meta["source"] == "osm (geofabrik)" and set(net.edges["unit"]) == {"ARM"}


def test_reference_source(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "region", data / "region")
    monkeypatch.setattr(settings, "data_folder", data)
    with pytest.raises(DataFileError, match="build_reference_network"):
        load_network("reference")
    (data / "reference").mkdir()
    gpd.GeoDataFrame({"mode": ["rail", "rail", "road"], "class": ["rail", "rail", "primary"],
                      "status": ["razed", "active", "active"], "name": ["Meghri line", "", "M2"]},
                     geometry=[LineString([(46.0, 38.92), (46.15, 38.92)]), LineString([(46.15, 38.92), (46.3, 38.92)]),
                               LineString([(46.0, 38.95), (46.3, 38.95)])],
                     crs="EPSG:4326").to_file(data / "reference" / "network.geojson", driver="GeoJSON")
    net = load_network("reference", modes=("rail",))
    assert net.meta["source"] == "reference (modelled)" and net.meta["modelled"]
    assert set(net.edges["source"]) == {"reference (modelled)"} and set(net.edges["mode"]) == {"rail"}
    r = net.route((46.0, 38.92), (46.3, 38.92))
    assert r.modelled and r.unit_sequence() == ["NAX", "ARM"] and r.source == "reference (modelled)"


def test_demo_file_is_synthetic_and_loads():
    demo = Path(__file__).resolve().parents[1] / "data" / "demo" / "demo_network.osm.pbf"
    net = load_network(demo, cache=False)
    assert all("synthetic" in n for n in net.edges.loc[net.edges["name"] != "", "name"])
    r = net.route((45.643, 38.935), (45.412, 39.209), mode="rail")
    assert r.segments["gauge_break"].sum() == 1
    assert {"razed", "construction"} <= set(net.edges["status"])


def test_cache_reload_geometry_sidecar_and_fallbacks(tmp_path, tmp_cache):
    """The reload rebuilds geometries from the coordinate sidecar; without it the GeoParquet
    geometry column is used; a damaged sidecar makes the entry be rebuilt."""
    import shapely
    from _osmgen import big_network

    pbf = big_network(tmp_path / "grid.osm.pbf", n=20, k=3)  # crosses ARM/TUR/NAX borders: cut pieces
    a = load_network(pbf)
    (entry,) = (tmp_cache / "networks").iterdir()
    assert {p.name for p in entry.iterdir()} == {"edges.parquet", "coords.npy", "offsets.npy", "stations.parquet",
                                                 "meta.json"}
    assert (a.edges["u"] < 0).any()  # some edges were cut at borders
    assert gpd.read_parquet(entry / "edges.parquet").geometry.geom_equals_exact(a.edges.geometry, 0).all()

    def same(b: Network) -> None:
        assert b.meta["cache"] == str(entry)
        assert b.edges.drop(columns="geometry").equals(a.edges.drop(columns="geometry"))
        assert shapely.equals_exact(np.asarray(b.edges.geometry.values), np.asarray(a.edges.geometry.values), 0).all()
        assert b.edges.crs == a.edges.crs and b.edges["unit"].map(type).isin([str, type(None)]).all()

    same(load_network(pbf))
    (entry / "coords.npy").unlink()  # an entry without the sidecar: read the GeoParquet geometry column
    same(load_network(pbf))
    np.save(entry / "coords.npy", np.zeros((3, 2)))  # a sidecar that does not match: rebuilt, never trusted
    c = load_network(pbf)
    assert "cache" not in c.meta and c.edges.drop(columns="geometry").equals(a.edges.drop(columns="geometry"))
    same(load_network(pbf))


@pytest.mark.parametrize("simplified", [True, False])
def test_networkx_round_trip_keeps_routes(net, raw, simplified):
    """to_networkx(simplify=False) -> from_networkx gives the same table and the same routes (transfers
    come back from a station at the rail end of each transfer link, gauge breaks where gauges meet)."""
    src = net if simplified else raw
    back = Network.from_networkx(src.to_networkx(simplify=False), simplify=simplified)
    cols = ["mode", "u", "v", "class", "status", "gauge", "tunnel", "bridge", "oneway", "unit", "name"]
    key = ["mode", "u", "v"]
    a = src.edges[cols].sort_values(key).reset_index(drop=True)
    b = back.edges[cols].sort_values(key).reset_index(drop=True)
    pd_testing.assert_frame_equal(a, b, check_dtype=False)
    np.testing.assert_allclose(back.edges.sort_values(key)["length_m"], src.edges.sort_values(key)["length_m"],
                               rtol=1e-9)
    for p, q, mode in ((KARS_SIDE, GYUMRI_RAIL, "rail"), ((43.80, 40.75), (43.82, 40.77), None),
                       ((43.84, 40.80), (43.70, 40.74), "road")):
        r0, r1 = src.route(p, q, mode=mode), back.route(p, q, mode=mode)
        assert r1.meta["cost"] == pytest.approx(r0.meta["cost"], rel=1e-9)
        assert r1.segments["transfer"].sum() == r0.segments["transfer"].sum()
        assert r1.segments["gauge_break"].sum() == r0.segments["gauge_break"].sum()


def test_networkx_round_trip_of_osmnx_merged_graph(net):
    """The graph merged by osmnx's rule: fewer vertices, the same shortest lengths between those left."""
    G = net.to_networkx()
    assert G.graph["simplified"] and len(G) < len(net.to_networkx(simplify=False))
    back = Network.from_networkx(G)
    for mode in ("road", "rail"):
        nodes = sorted({d["osm_node"] for _, d in net.to_networkx(mode=mode).nodes(data=True)})
        o, d = zip(*itertools.permutations(nodes, 2), strict=True)
        np.testing.assert_allclose(back.shortest_lengths(o, d, mode=mode), net.shortest_lengths(o, d, mode=mode),
                                   rtol=1e-9)


def test_to_networkx_of_a_missing_layer_is_empty():
    e = gpd.GeoDataFrame({"mode": ["road"]}, geometry=[LineString([(44.5, 40.1), (44.6, 40.1)])], crs="EPSG:4326")
    G = Network.from_edges(e).to_networkx(mode="rail")
    assert G.number_of_nodes() == 0 and G.graph["crs"] == "EPSG:4326"
