"""corridor.network: topology, transfers, gauge breaks, CSR routing vs networkx, cache, sources."""

from __future__ import annotations

import itertools
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
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
    ParameterError,
    UnknownUnitError,
)
from corridor.network import Network, as_network, load_network
from corridor.network._graph import gauge_km
from corridor.network._osm_tags import CLOSED_ROAD_STATUSES, RAIL_STATUSES

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


@pytest.mark.parametrize("closed_roads", [True, False])
@pytest.mark.parametrize("simplified", [True, False])
def test_same_lengths_as_networkx(net, raw, simplified, closed_roads):
    """Shortest paths by ``weight_length`` are the router's, with or without the closed roads (whose
    weights are infinite); by ``length`` on the routing graph (``closed_roads=False``) too."""
    import osmnx as ox

    net = net if simplified else raw
    for mode in ("road", "rail", None):
        G = net.to_networkx(mode=mode, closed_roads=closed_roads)
        assert G.graph["simplified"] is simplified
        nodes = list(G.nodes)
        g = net.graph
        comp = {n: i for i, c in enumerate(nx.connected_components(G.to_undirected())) for n in c}
        pairs = [(a, b) for a, b in itertools.permutations(nodes, 2) if comp[a] == comp[b]][:200]
        s = net._solver(mode, "length", ())
        n_blocked = n_closed = 0
        for a, b in pairs:
            va, vb = np.array([_vertex(net, G, a)]), np.array([_vertex(net, G, b)])
            if not nx.has_path(G, a, b):  # one-way edges: reachable one way only
                n_blocked += 1
                with pytest.raises(NoRouteError):
                    s.shortest(va, vb, 0.0)
                continue
            want = nx.shortest_path_length(G, a, b, weight="weight_length")
            if want == np.inf:  # only closed roads lead there: the router has no path either
                n_closed += 1
                with pytest.raises(NoRouteError):
                    s.shortest(va, vb, 0.0)
                continue
            got, _ = s.shortest(va, vb, 0.0)
            assert got == pytest.approx(want, rel=1e-9), (mode, a, b)
        if mode == "road":
            assert n_blocked > 0  # the fixture's one-way ramp makes some pairs one-directional
            # node 113 lies at the end of the construction road only
            assert (n_closed > 0) == closed_roads
        if mode == "road" and not closed_roads:
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
    # an entry written without the sidecar (meta.json lists none): read the GeoParquet geometry column
    import json

    record = json.loads((entry / "meta.json").read_text())
    for name in ("coords.npy", "offsets.npy"):
        (entry / name).unlink()
        del record["files"][name]
    (entry / "meta.json").write_text(json.dumps(record))
    same(load_network(pbf))
    np.save(entry / "coords.npy", np.zeros((3, 2)))  # a sidecar meta.json does not list: rebuilt, never trusted
    c = load_network(pbf)
    assert "cache" not in c.meta and c.edges.drop(columns="geometry").equals(a.edges.drop(columns="geometry"))
    same(load_network(pbf))
    (entry / "coords.npy").unlink()  # a listed sidecar that is gone: rebuilt
    assert "cache" not in load_network(pbf).meta
    same(load_network(pbf))


# ----------------------------------------------------------------------------- snapping (issue 15 §4)
def _lines(modes, coords, **cols):
    return gpd.GeoDataFrame({"mode": modes, **cols}, geometry=[LineString(c) for c in coords], crs="EPSG:4326")


def test_mode_free_route_takes_the_cheapest_layer_not_the_nearest():
    # a 12 km two-way road A-B and a 147 km disused rail loop with the same end nodes; the loop's
    # far-west vertex gets the lowest node id, which made the old snap pick the rail layer
    a, b = (44.50, 40.18), (44.64, 40.18)
    e = _lines(["road", "rail", "rail", "rail"],
               [[a, b], [a, (44.3, 40.7)], [(44.3, 40.7), (44.64, 40.7)], [(44.64, 40.7), b]],
               status=["active", "disused", "disused", "disused"])
    net = Network.from_edges(e)
    road_m = float(net.edges.length_m.iloc[0])
    for p, q in ((a, b), (b, a)):
        for weight in ("length", "time"):
            r = net.route(p, q, weight=weight)
            assert r.mode == "road" and r.length_m == pytest.approx(road_m), (p, weight)
    assert net.route(a, b, mode="rail").length_m > 10 * road_m  # the rail layer is still routable alone


def test_mode_free_snap_prices_the_access_distance():
    # the waypoint is 11 m from a rail node and 78 m from a road node; a station links the two layers
    # (2 km transfer penalty). Starting on the road costs 78 m of access, on the rail 11 m + 2 km.
    road = [(44.50, 40.1800), (44.60, 40.1800)]
    rail = [(44.50, 40.1808), (44.45, 40.2500)]
    st = pd.DataFrame({"id": [1], "lon": [44.50], "lat": [40.1804], "kind": ["station"], "name": ["S"]})
    net = Network.from_edges(_lines(["road", "rail"], [road, rail]), stations=st)
    start = (44.50, 40.1807)
    r = net.route(start, road[1])
    assert not r.segments["transfer"].any() and set(r.segments["mode"]) == {"road"}
    assert r.meta["snap_m"][0] == pytest.approx(78, abs=2)
    assert r.meta["cost"] == pytest.approx(net.edges.length_m.iloc[0])  # network cost, access excluded
    # a rail destination still goes through the transfer (the road does not reach it)
    assert net.route(road[1], rail[1]).segments["transfer"].sum() == 1


def _fragment_net(gap_m: float, *, oneway: bool = False):
    """A 10 km road east from (44.5, 40.18) and, ``gap_m`` west of its start, the waypoint on the end
    of a 1 km road fragment that is either isolated or (``oneway``) a one-way road into the start."""
    lon0 = 44.5 - gap_m / 85_070.0  # metres of longitude at 40.18 N
    main = [(44.5, 40.18), (44.62, 40.18)]
    frag = [(lon0, 40.19), (lon0, 40.18)]
    coords = [main, frag] if not oneway else [main, [(lon0, 40.18), (44.5, 40.18)]]
    return Network.from_edges(_lines(["road", "road"], coords, oneway=[False, oneway])), (lon0, 40.18)


def test_unreachable_nearest_node_beyond_the_tolerance_raises():
    net, wp = _fragment_net(400)
    with pytest.raises(NoRouteError, match=r"disconnected.*400 m farther.*snap_tolerance_m = 250") as ei:
        net.route(wp, (44.62, 40.18))
    assert "44.4953" in str(ei.value)  # names the waypoint


def test_unreachable_nearest_node_within_the_tolerance_warns(monkeypatch):
    net, wp = _fragment_net(400)
    monkeypatch.setattr(settings, "snap_tolerance_m", 500.0)
    with pytest.warns(UserWarning, match=r"nearest usable node \(0 m away\) has no path.*starts 400 m"):
        r = net.route(wp, (44.62, 40.18))
    assert r.meta["snap_m"][0] == pytest.approx(400, abs=2)
    # reversed: the waypoint is the destination, its nearest node cannot be reached
    with pytest.warns(UserWarning, match="cannot be reached from the other end"):
        net.route((44.62, 40.18), wp)
    monkeypatch.setattr(settings, "snap_tolerance_m", -1)
    with pytest.raises(ParameterError, match="snap_tolerance_m"):
        net.route(wp, (44.62, 40.18))


def test_one_way_dead_end_is_a_move_not_a_failure():
    # the waypoint is on the start node of a one-way road: it can leave but not be reached
    net, wp = _fragment_net(150, oneway=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert net.route(wp, (44.62, 40.18)).meta["snap_m"][0] == 0  # leaving is fine, no warning
    with pytest.warns(UserWarning, match="cannot be reached"):
        r = net.route((44.62, 40.18), wp)
    assert r.meta["snap_m"][1] == pytest.approx(150, abs=2)


def test_cheaper_farther_start_is_no_warning():
    # the nearest node (5 m) reaches the destination only the long way round (its short link east is
    # one-way westbound): starting 102 m away is cheaper, and it is no warning
    e = _lines(["road", "road", "road"], [[(44.5, 40.18), (44.5, 40.25), (44.6, 40.25), (44.6, 40.18)],
                                          [(44.5012, 40.18), (44.6, 40.18)], [(44.5012, 40.18), (44.5, 40.18)]],
               oneway=[False, False, True])
    net = Network.from_edges(e)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = net.route((44.5, 40.18005), (44.6, 40.18))
    assert r.meta["snap_m"][0] == pytest.approx(102, abs=3) and r.length_m < 9_000


def test_border_cut_ids_never_collide_with_input_ids():
    # user node ids -1..-4; the ARM piece and the NAX piece are 260 km apart and must stay disconnected
    e = _lines(["road", "road"], [[(44.5, 40.18), (44.6, 40.18)], [(45.5, 39.0), (46.5, 39.0)]],
               u=[-1, -3], v=[-2, -4])
    net = Network.from_edges(e)
    made = set(net.edges.u) | set(net.edges.v)
    assert len(net) == 3 and len(made - {-1, -2, -3, -4}) == 1  # one cut node with a fresh id
    assert max(made - {-1, -2, -3, -4}) < -4
    with pytest.raises(NoRouteError, match="disconnected"):
        net.route((44.5, 40.18), (46.5, 39.0))


def test_as_network_resolves_every_kind_of_reference(pbf, net, tmp_cache):
    assert as_network(None) is None and as_network(net) is net
    assert as_network(" Reference ").meta["modelled"] is True
    assert len(as_network(pbf)) == len(net) and len(as_network(str(pbf))) == len(net)
    for bad in ("osm", 42, pbf.parent / "missing.osm.pbf"):
        with pytest.raises(InvalidInputError, match="is not a Network"):
            as_network(bad)


def test_one_via_place_is_one_place(net):
    one = net.route((43.80, 40.75), (43.84, 40.80), via="Gyumri", mode="road")
    listed = net.route((43.80, 40.75), (43.84, 40.80), via=["Gyumri"], mode="road")
    assert [p.name for p in one.waypoints] == [p.name for p in listed.waypoints]
    assert len(one.waypoints) == 3 and one.length_m == pytest.approx(listed.length_m)


# ----------------------------------------------------------------------------- cache integrity (issue 15 §6)
def _entry(tmp_cache) -> Path:
    (entry,) = (tmp_cache / "networks").iterdir()
    return entry


@pytest.mark.parametrize("text", ["[]", "null", "{", "{}", '"text"', "\udcff"])
def test_cache_meta_json_of_the_wrong_shape_is_rebuilt(pbf, tmp_cache, caplog, text):
    a = load_network(pbf)
    (_entry(tmp_cache) / "meta.json").write_text(text, encoding="utf-8", errors="surrogateescape")
    b = load_network(pbf)  # no TypeError: the entry is rebuilt
    assert "cache" not in b.meta and "rebuilding" in caplog.text
    assert b.edges.drop(columns="geometry").equals(a.edges.drop(columns="geometry"))
    assert "cache" in load_network(pbf).meta


def test_cache_meta_json_fields_are_checked(pbf, tmp_cache, caplog):
    import json

    from corridor.network import _io as io

    load_network(pbf)
    entry = _entry(tmp_cache)
    good = json.loads((entry / "meta.json").read_text())
    assert good["version"] == io.CACHE_VERSION and set(good["files"]) == {"edges.parquet", "stations.parquet", "coords.npy",
                                                              "offsets.npy"}
    bad = [{**good, "version": 2}, {**good, "key": "0" * 24}, {**good, "files": []}, {**good, "meta": []},
           {**good, "files": {**good["files"], "edges.parquet": {"bytes": "many", "digest": 1}}},
           {**good, "files": {k: v for k, v in good["files"].items() if k != "stations.parquet"}},
           {k: v for k, v in good.items() if k != "format"}]
    for record in bad:
        (entry / "meta.json").write_text(json.dumps(record))
        caplog.clear()
        assert "cache" not in load_network(pbf).meta, record
        assert "rebuilding" in caplog.text
        assert "cache" in load_network(pbf).meta
        good = json.loads((entry / "meta.json").read_text())


def test_cache_files_changed_in_place_are_rebuilt(tmp_path, tmp_cache, caplog):
    """A sidecar or table edited in place (same size, valid format) is never served."""
    import pyarrow.parquet as pq
    import shapely

    pbf = small(tmp_path, "osm.pbf")
    a = load_network(pbf)
    entry = _entry(tmp_cache)
    coords = np.load(entry / "coords.npy")
    np.save(entry / "coords.npy", coords + 0.01)  # same shape and size: only the digest tells
    b = load_network(pbf)
    assert "cache" not in b.meta and "coords.npy" in caplog.text
    assert shapely.equals_exact(np.asarray(b.edges.geometry.values), np.asarray(a.edges.geometry.values), 0).all()
    table = pq.read_table(entry / "edges.parquet")
    names = table.column("name").to_pylist()
    pq.write_table(table.set_column(table.schema.get_field_index("name"), "name",
                                    __import__("pyarrow").array(["edited" if n else n for n in names])),
                   entry / "edges.parquet")
    c = load_network(pbf)
    assert "cache" not in c.meta and "edited" not in set(c.edges["name"])


def _osm_xml(lon: float) -> str:
    """A one-way OSM XML file; ``lon`` of the second node is written with a fixed width."""
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"test\">\n"
            '<node id="1" version="1" lat="40.1000000" lon="44.5000000"/>\n'
            f'<node id="2" version="1" lat="40.1000000" lon="{lon:.7f}"/>\n'
            '<way id="7" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way>\n</osm>\n')


def test_edited_file_with_restored_mtime_is_parsed_again(tmp_path, tmp_cache):
    """``cp -p``/``rsync -t`` keep size and mtime: the memo and the cache must follow the content."""
    import os

    path = tmp_path / "roads.osm"
    path.write_text(_osm_xml(44.6000000))
    first = load_network(path)
    st = path.stat()
    path.write_text(_osm_xml(44.7000000))  # same size, other geometry
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    second = load_network(path)
    assert second.meta["checksum"] != first.meta["checksum"] and "cache" not in second.meta
    assert second.edges.geometry.iloc[0].coords[-1][0] == pytest.approx(44.7)
    assert first.edges.geometry.iloc[0].coords[-1][0] == pytest.approx(44.6)
    assert load_network(path).meta["cache"]  # the new content has its own entry


# ----------------------------------------------------------------------------- OSM input that is wrong (issue 15)
# The files below are SYNTHETIC (tests/_osmgen.write_xml): invented ids, tags and positions.
def _xml_net(tmp_path, name, nodes, ways, **kw):
    from _osmgen import write_xml

    items = [("node", n, x, y, t) for n, (x, y, t) in nodes.items()] + [("way", w, r, t) for w, (r, t) in ways.items()]
    return load_network(write_xml(tmp_path / name, items), cache=False, **kw)


def _transfers(net):
    from corridor.network._graph import KIND_TRANSFER

    g = net.graph
    k = np.flatnonzero(g.kind == KIND_TRANSFER)
    return sorted({(int(g.vnode[a]), int(g.vnode[b])) for a, b in zip(g.a[k], g.b[k], strict=True)})


def test_transfers_only_at_main_line_stations_to_main_line_track(tmp_path):
    # main line 1-2-3, a road 10-11 next to node 2, a light-rail line 20-21 next to the road's end 11
    nodes = {1: (44.50, 40.10, {}), 2: (44.52, 40.10, {}), 3: (44.54, 40.10, {}),
             10: (44.52, 40.105, {}), 11: (44.56, 40.105, {}), 20: (44.561, 40.106, {}), 21: (44.58, 40.11, {}),
             901: (44.5201, 40.1001, {"railway": "station", "station": "subway", "name": "Metro"}),
             902: (44.5605, 40.1055, {"railway": "station", "name": "Tram depot halt"}),
             903: (44.5202, 40.1002, {"railway": "tram_stop"})}
    ways = {1: ([1, 2, 3], {"railway": "rail", "gauge": "1520"}), 2: ([10, 11], {"highway": "primary"}),
            3: ([20, 21], {"railway": "light_rail", "gauge": "1520"})}
    net = _xml_net(tmp_path, "metro.osm", nodes, ways)
    assert list(net.stations["id"]) == [902]  # the metro station and the tram stop are no transfer points
    # the main-line station 902 lies 100 m from light-rail node 20 but links only main-line track (500 m)
    assert _transfers(net) == []
    with pytest.raises(NoRouteError):
        net.route((44.56, 40.105), (44.54, 40.10))  # road -> main line: no transfer anywhere
    nodes[904] = (44.5203, 40.1003, {"railway": "station", "name": "Main"})
    net = _xml_net(tmp_path, "main.osm", nodes, ways)
    assert _transfers(net) == [(10, 2)]
    r = net.route((44.56, 40.105), (44.54, 40.10))
    assert r.segments["transfer"].sum() == 1 and "Main" in " ".join(r.segments["name"])
    # a station table given by hand with OSM's station=* column follows the same rule
    st = pd.DataFrame({"id": [1], "lon": [44.5201], "lat": [40.1001], "kind": ["station"], "name": ["M"],
                       "station": ["subway"]})
    assert _transfers(Network(net.edges, stations=st)) == []
    assert _transfers(Network(net.edges, stations=st.assign(station=""))) == [(10, 2)]


def test_untagged_gauge_follows_the_connected_track(tmp_path):
    """Helsinki's 1524 mm: an untagged stretch between tagged 1524 mm track is 1524 mm, no gauge break."""
    nodes = {i: (24.90 + 0.01 * i, 60.20, {}) for i in range(1, 6)}
    nodes |= {6: (24.90, 60.25, {}), 7: (24.95, 60.25, {})}
    ways = {1: ([1, 2], {"railway": "rail", "gauge": "1524"}), 2: ([2, 3], {"railway": "rail"}),
            3: ([3, 4], {"railway": "rail", "gauge": "1524"}), 4: ([4, 5], {"railway": "disused"}),
            5: ([6, 7], {"railway": "rail"})}
    net = _xml_net(tmp_path, "helsinki.osm", nodes, ways)
    e = net.edges.set_index("osm_way_id")
    assert e["gauge_source"].to_dict() == {1: "tagged", 2: "inferred-neighbour", 3: "tagged",
                                           4: "inferred-neighbour", 5: "assumed-default"}
    assert e["gauge_mm"].to_dict() == {1: 1524.0, 2: 1524.0, 3: 1524.0, 4: 1524.0, 5: 1435.0}
    r = net.route((24.91, 60.20), (24.95, 60.20), mode="rail")
    assert not r.segments["gauge_break"].any() and set(r.segments["gauge_mm"]) == {1524.0}
    assert r.length_m == pytest.approx(e.loc[[1, 2, 3, 4], "length_m"].sum())
    km = net.gauge_km
    assert km["tagged"] == pytest.approx(e.loc[[1, 3], "length_m"].sum() / 1000, abs=1e-3)
    assert km["assumed-default"] == pytest.approx(e.loc[5, "length_m"] / 1000, abs=1e-3)
    assert net.meta["gauge_km"] == km


def test_assumed_gauge_never_makes_a_break(tmp_path):
    """An untagged line across the TUR (1435) / ARM (1520) border takes one gauge, not a break at the border."""
    nodes = {1: (43.70, 40.72, {}), 2: (43.745, 40.73, {}), 3: (43.78, 40.74, {}), 4: (43.85, 40.79, {})}
    net = _xml_net(tmp_path, "border.osm", nodes, {1: ([1, 2, 3, 4], {"railway": "rail"})})
    assert list(net.edges["unit"]) == ["TUR", "ARM"]
    assert set(net.edges["gauge_source"]) == {"assumed-unit"} and set(net.edges["gauge_mm"]) == {1520.0}
    r = net.route((43.70, 40.72), (43.85, 40.79), mode="rail")
    assert r.unit_sequence() == ["TUR", "ARM"] and not r.segments["gauge_break"].any()
    assert r.meta["cost"] == pytest.approx(r.length_m)  # no penalty


def test_gauge_inference_votes_and_ties():
    from corridor.network._graph import infer_gauges

    # edges: 0 tagged 1435 (TUR), 1-2 untagged stretch, 3 tagged 1520, 4 tagged dual, 5 untagged off dual
    mode = np.array(["rail"] * 6, dtype=object)
    u = np.array([1, 2, 3, 4, 10, 11])
    v = np.array([2, 3, 4, 5, 11, 12])
    gauge = np.array(["1435", "", "", "1520", "1520;1435", ""], dtype=object)
    mm = np.array([1435.0, np.nan, np.nan, 1520.0, 1520.0, np.nan])
    unit = np.array(["TUR", "ARM", "ARM", "ARM", "IRN", "IRN"], dtype=object)
    text, out_mm, src = infer_gauges(mode, u, v, gauge, mm, np.full(6, "", dtype=object), unit, np.ones(6))
    # 1435 and 1520 touch the stretch once each: the tie goes to its own unit's gauge (ARM 1520)
    assert list(out_mm[[1, 2]]) == [1520.0, 1520.0] and set(src[[1, 2]]) == {"inferred-neighbour"}
    # a dual-gauge neighbour offers both gauges: tie, IRN's 1435 wins
    assert out_mm[5] == 1435.0 and src[5] == "inferred-neighbour" and text[5] == "1435"
    assert list(src[[0, 3, 4]]) == ["tagged"] * 3 and text[4] == "1520;1435"


def test_closed_roads_stay_in_the_table_but_are_not_routed(tmp_path):
    nodes = {1: (44.50, 40.10, {}), 2: (44.52, 40.10, {}), 3: (44.51, 40.13, {}), 4: (44.55, 40.10, {}),
             5: (44.56, 40.12, {})}
    ways = {1: ([1, 2], {"highway": "primary", "access": "private"}),
            2: ([1, 3, 2], {"highway": "secondary"}),
            3: ([2, 4], {"highway": "construction", "construction": "primary"}),
            4: ([4, 5], {"highway": "primary", "motor_vehicle": "no"}),
            5: ([2, 5], {"highway": "proposed", "proposed": "tertiary"})}
    net = _xml_net(tmp_path, "access.osm", nodes, ways)
    st = net.edges.set_index("osm_way_id")["status"]
    assert st.to_dict() == {1: "private", 2: "active", 3: "construction", 4: "no_access", 5: "proposed"}
    r = net.route((44.50, 40.10), (44.52, 40.10), mode="road")
    assert set(r.segments["osm_way_id"]) == {2}  # the detour, not the private road
    far = net.route((44.50, 40.10), (44.56, 40.12), mode="road")  # only closed roads lead to node 5
    assert set(far.segments["osm_way_id"]) == {2} and far.meta["snap_m"][-1] > 3_000  # snapped to node 2
    def way_ids(graph):
        return {i for _, _, d in graph.edges(data=True)
                for i in (d["osmid"] if isinstance(d["osmid"], list) else [d["osmid"]])}

    assert way_ids(net.to_networkx(mode="road", closed_roads=False)) == {2}  # the routing graph
    # the whole table: closed roads with infinite weights, never merged with an open one (node 1 joins
    # the private road 1 and the open road 2 only)
    full = net.to_networkx(mode="road")
    assert way_ids(full) == {1, 2, 3, 4, 5}
    for _, _, d in full.edges(data=True):
        st = set(d["status"] if isinstance(d["status"], list) else [d["status"]])
        shut = st <= set(net.costs.closed_road_statuses)
        assert shut or not st & set(net.costs.closed_road_statuses)
        assert (d["weight_length"] == d["weight_time"] == np.inf) == shut and np.isfinite(d["length"])
    assert nx.shortest_path_length(net.to_networkx(simplify=False), 1, 5, weight="weight_length") == np.inf
    from corridor.network import RoutingCosts

    open_all = Network(net.edges, costs=RoutingCosts(closed_road_statuses=()))
    assert set(open_all.route((44.50, 40.10), (44.52, 40.10), mode="road").segments["osm_way_id"]) == {1}
    assert open_all.route((44.50, 40.10), (44.56, 40.12), mode="road").meta["snap_m"][-1] < 1


def test_bad_nodes_reach_the_network_meta_and_both_layers_survive_a_join(tmp_path):
    from _osmgen import write_xml

    from corridor.network import _io as io
    from corridor.network._osm_tags import ROAD_CLASSES

    items = [("node", 1, 44.50, 40.10, {}), ("node", 2, 44.52, 40.10, {}), ("node", 3, 44.53, 95.0, {}),
             ("way", 1, [1, 3, 2], {"highway": "primary", "railway": "disused", "gauge": "1520"})]
    a = write_xml(tmp_path / "a.osm", items)
    net = load_network(a, cache=False)
    assert net.meta["invalid_nodes"] == 1 and net.meta["missing_nodes"] == 0
    assert sorted(net.edges["mode"]) == ["rail", "road"]
    b = write_xml(tmp_path / "b.osm", items)  # the same way in a second extract
    edges, _st, _infos = io.read_paths([a, b], ("road", "rail"), ROAD_CLASSES, None, "osm")
    assert sorted(edges["mode"]) == ["rail", "road"] and set(edges["gauge_source"]) == {"tagged", ""}


def test_negative_node_ids_and_border_cuts_do_not_meet(tmp_path):
    """Border cuts get new ids below JOSM's negative ones (-1 here would have tied the TUR piece into a loop)."""
    nodes = {-1: (43.70, 40.72, {}), -2: (43.78, 40.74, {}), -3: (43.85, 40.79, {})}
    ways = {-10: ([-1, -2], {"railway": "rail", "gauge": "1520"}), -11: ([-2, -3], {"railway": "rail", "gauge": "1520"})}
    raw = _xml_net(tmp_path, "josm_border.osm", nodes, ways, simplify=False)  # one edge per piece of way
    cut = raw.edges[raw.edges.osm_way_id == -10]
    assert list(cut["unit"]) == ["TUR", "ARM"] and cut["v"].iloc[0] == cut["u"].iloc[1] < -3
    assert (cut["u"].iloc[0], cut["v"].iloc[1]) == (-1, -2)
    # simplified: the ARM piece of -10 and way -11 meet only at -2, so they are one edge from the cut to -3
    # that lists -2 as a node merged away; the cut node stays (the unit changes there)
    net = _xml_net(tmp_path, "josm_border.osm", nodes, ways)
    arm = net.edges[net.edges.unit == "ARM"]
    assert len(net) == 2 and arm["osm_way_ids"].tolist() == ["-10;-11"]
    assert (arm["u"].iloc[0], arm["v"].iloc[0]) == (cut["v"].iloc[0], -3) and arm["via_nodes"].iloc[0].startswith("-2:")
    for n in (raw, net):
        r = n.route((43.70, 40.72), (43.85, 40.79), mode="rail")
        assert r.length_m == pytest.approx(raw.edges.length_m.sum())
        assert n.nearest_node(43.78, 40.74, mode="rail") == (-2, 0.0)


@pytest.mark.parametrize("simplified", [True, False])
def test_networkx_round_trip_keeps_routes(net, raw, simplified):
    """to_networkx(simplify=False) -> from_networkx gives the same table, the fixture's construction road
    included, and the same routes (transfers come back from a station at the rail end of each transfer
    link, gauge breaks where gauges meet). The routing graph (``closed_roads=False``) leaves the closed
    road out, as osmnx's drive network does, and gives the routed edges back."""
    src = net if simplified else raw
    whole = Network.from_networkx(src.to_networkx(simplify=False), simplify=simplified)
    routing = Network.from_networkx(src.to_networkx(simplify=False, closed_roads=False), simplify=simplified)
    cols = ["mode", "u", "v", "osm_way_id", "class", "status", "gauge", "gauge_mm", "gauge_source", "electrified",
            "tunnel", "bridge", "oneway", "maxspeed_kmh", "lanes", "unit", "name", "ref", "via_nodes"]
    key = ["mode", "u", "v"]

    def closed_roads(e):
        return (e["mode"] == "road") & e["status"].isin(src.costs.closed_road_statuses)

    def table(e):
        return e.assign(via_nodes=lambda d: d.get("via_nodes", ""))[cols].sort_values(key).reset_index(drop=True)

    closed = closed_roads(src.edges)
    assert closed.sum() == 1 and closed_roads(whole.edges).sum() == 1 and not closed_roads(routing.edges).any()
    for back, want in ((whole, src.edges), (routing, src.edges[~closed])):
        pd_testing.assert_frame_equal(table(want), table(back.edges), check_dtype=False)
        np.testing.assert_allclose(back.edges.sort_values(key)["length_m"], want.sort_values(key)["length_m"],
                                   rtol=1e-9)
        assert back.gauge_km == gauge_km(want)  # inferred gauges stay inferred, not tagged
        for p, q, mode in ((KARS_SIDE, GYUMRI_RAIL, "rail"), ((43.80, 40.75), (43.82, 40.77), None),
                           ((43.84, 40.80), (43.70, 40.74), "road")):
            r0, r1 = src.route(p, q, mode=mode), back.route(p, q, mode=mode)
            assert r1.meta["cost"] == pytest.approx(r0.meta["cost"], rel=1e-9)
            assert r1.segments["transfer"].sum() == r0.segments["transfer"].sum()
            assert r1.segments["gauge_break"].sum() == r0.segments["gauge_break"].sum()


_ROUND_TRIP_COLUMNS = ["mode", "u", "v", "osm_way_id", "class", "status", "gauge", "gauge_mm", "gauge_source",
                       "electrified", "tunnel", "bridge", "oneway", "maxspeed_kmh", "lanes", "unit", "name", "ref"]


def _same_table(a, b):
    """The edge tables agree on every column but ``source`` (and lengths to 1e-9), whatever their row order."""
    assert len(a) == len(b)
    for m in ("road", "rail"):
        assert (b["mode"] == m).sum() == (a["mode"] == m).sum()
        assert b.loc[b["mode"] == m, "length_m"].sum() == pytest.approx(a.loc[a["mode"] == m, "length_m"].sum(),
                                                                          rel=1e-9)
    key = ["mode", "u", "v", "name", "status", "gauge", "tunnel", "bridge", "electrified"]

    def table(e):
        return e.assign(via_nodes=lambda d: d.get("via_nodes", ""))[[*_ROUND_TRIP_COLUMNS, "via_nodes", "length_m"]] \
            .sort_values(key).reset_index(drop=True)

    ta, tb = table(a), table(b)
    pd_testing.assert_frame_equal(ta.drop(columns="length_m"), tb.drop(columns="length_m"), check_dtype=False)
    np.testing.assert_allclose(tb["length_m"], ta["length_m"], rtol=1e-9)


def _every_combination() -> gpd.GeoDataFrame:
    """A generated network with every road/rail status, gauge (tagged, dual, untagged), electrification,
    tunnel/bridge, one-way and name; parallel twins of a road and of a rail edge, and a way that is both
    a road and a railway. Each row of a product is two chained 85 m pieces (so simplification merges
    them, untagged track takes its neighbour's gauge and gauges meet at gauge breaks), all inside ARM."""
    rows, geoms = [], []

    def add(y, i, n=2, **attrs):
        for j in range(n):
            x = 44.40 + 0.001 * (n * i + j)
            rows.append(attrs)
            geoms.append(LineString([(x, y), (x + 0.001, y)]))

    road = itertools.product(("active", *CLOSED_ROAD_STATUSES), (False, True), (False, True), (False, True),
                             ("", "Road"))
    for i, (st, one, tun, bri, name) in enumerate(road):
        add(40.15, i, mode="road", status=st, oneway=one, tunnel=tun, bridge=bri, name=name, ref=name[:1],
            **{"class": "primary" if i % 2 else "secondary"}, maxspeed_kmh=60.0 if i % 3 else np.nan,
            lanes=2.0 if i % 5 else np.nan)
    rail = itertools.product(("active", *RAIL_STATUSES), ("1520", "1435", "1520;1435", "750", ""),
                             ("", "contact_line", "no"), (False, True), (False, True))
    for i, (st, gauge, el, tun, bri) in enumerate(rail):
        add(40.20, i, mode="rail", status=st, gauge=gauge, electrified=el, tunnel=tun, bridge=bri,
            name=f"Line {i % 7}" if i % 4 else "", **{"class": "narrow_gauge" if gauge == "750" else "rail"})
    for y, attrs in ((40.15, {"mode": "road", "status": "active", "name": "twin"}),
                     (40.20, {"mode": "rail", "status": "active", "gauge": "1520", "name": "twin"}),
                     (40.25, {"mode": "road", "status": "active", "name": "level"}),
                     (40.25, {"mode": "rail", "status": "disused", "gauge": "1435", "name": "level"})):
        add(y, 0, n=1, **attrs)  # the twins lie on the first piece of their row
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def test_networkx_round_trip_of_every_status_mode_and_attribute():
    """to_networkx(simplify=False) -> from_networkx keeps every edge and attribute of a network holding
    every combination (closed roads, proposed track, untagged and dual gauges, parallel twins, a
    road+rail way); from_networkx's own simplification changes nothing of a table already simplified.
    Routes over the copy are the same, and the routing graph (closed_roads=False) loses exactly the
    closed roads."""
    net = Network.from_edges(_every_combination(), simplify=False)
    e = net.edges
    assert set(e["unit"]) == {"ARM"} and (e["gauge_source"] == "inferred-neighbour").any()
    closed = (e["mode"] == "road") & e["status"].isin(net.costs.closed_road_statuses)
    assert closed.sum() == 2 * 64 and len(e) == 2 * (64 + 16 + 360) + 4
    G = net.to_networkx(simplify=False)
    assert {d["kind"] for _, _, d in G.edges(data=True)} == {"edge", "gauge_break"}
    _same_table(e, Network.from_networkx(G, simplify=False).edges)
    simplified = Network.from_edges(_every_combination())
    assert len(simplified) == len(net) - (64 + 16 + 360) + 2  # pieces merged but where the twins are
    back = Network.from_networkx(simplified.to_networkx(simplify=False))
    _same_table(simplified.edges, back.edges)
    for p, q, mode in (((44.40, 40.20), (45.10, 40.20), "rail"), ((44.40, 40.15), (44.44, 40.15), "road")):
        r0, r1 = net.route(p, q, mode=mode), Network.from_networkx(G, simplify=False).route(p, q, mode=mode)
        assert r1.meta["cost"] == pytest.approx(r0.meta["cost"], rel=1e-9)
        assert r1.segments["structure"].tolist() == r0.segments["structure"].tolist()
        assert r1.segments["gauge_break"].sum() == r0.segments["gauge_break"].sum() and \
            (mode == "road" or r0.segments["gauge_break"].sum() > 0)
    routing = Network.from_networkx(net.to_networkx(simplify=False, closed_roads=False), simplify=False)
    _same_table(e[~closed], routing.edges)


def test_reference_network_round_trips_through_networkx(tmp_path):
    """The modelled reference network through to_networkx(simplify=False) and from_networkx (either
    simplify, and through a GraphML file): all its edges (the proposed Meghri road link, a closed road, too),
    the same kilometres per mode and status, the same attributes; its nodes (the scenarios' waypoints)
    are not merged away."""
    import osmnx as ox

    from corridor.network import GRAPHML_EDGE_DTYPES, GRAPHML_NODE_DTYPES

    ref = load_network("reference")
    e = ref.edges
    proposed_road = (e["mode"] == "road") & (e["status"] == "proposed")
    assert proposed_road.any() and e["tunnel"].any() and e["bridge"].any()
    G = ref.to_networkx(simplify=False)
    assert G.graph["keep_all_nodes"] is True
    path = tmp_path / "reference.graphml"
    ox.save_graphml(G, path)
    H = ox.load_graphml(path, node_dtypes=GRAPHML_NODE_DTYPES, edge_dtypes=GRAPHML_EDGE_DTYPES)
    km = e.groupby(["mode", "status"])["length_m"].sum()
    for graph in (G, H):
        for simplify in (True, False):
            back = Network.from_networkx(graph, simplify=simplify)
            _same_table(e, back.edges)
            assert back.meta["keep_all_nodes"] and not back.meta["simplified"]
            # still labelled modelled (maps, reports and exports read this), also through GraphML
            assert back.meta["modelled"] and (back.edges["source"] == "reference (modelled)").all()
            pd_testing.assert_series_equal(back.edges.groupby(["mode", "status"])["length_m"].sum(), km, rtol=1e-9)
    routing = Network.from_networkx(ref.to_networkx(simplify=False, closed_roads=False))
    _same_table(e[~proposed_road], routing.edges)


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


def test_costs_is_a_deprecated_alias_of_routing_costs():
    import corridor.network as network_pkg
    from corridor.network import core

    for mod in (network_pkg, core):
        with pytest.warns(DeprecationWarning, match=r"corridor\.network.*\.Costs is deprecated.*RoutingCosts"):
            old = mod.Costs
        assert old is network_pkg.RoutingCosts
    with pytest.warns(DeprecationWarning):
        from corridor.network import Costs  # noqa: F401  (the old import still works, with a warning)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = network_pkg.Nope


# ------------------------------------------------------------------ notebook display (issue 18)
def test_network_html_repr_and_explore():
    import html as _html

    import folium

    from corridor.network import Network
    from corridor.outputs._assets import external_refs

    edges = gpd.GeoDataFrame(
        {"mode": ["rail", "rail", "road"], "status": ["active", "disused", "active"],
         "name": ["<img src=x onerror=alert(1)>", "b", "c"]}, crs="EPSG:4326",
        geometry=[LineString([(44.5, 40.1), (44.7, 40.2)]), LineString([(44.7, 40.2), (44.9, 40.2)]),
                  LineString([(44.5, 40.1), (44.6, 40.0)])])
    net = Network.from_edges(edges, source="<b>mine</b>")
    html = net._repr_html_()
    assert "&lt;b&gt;mine&lt;/b&gt;" in html and "<b>mine" not in html
    assert "Rail km by status" in html and "disused" in html and html.count("<polyline") == 3
    m = net.explore(tiles=None)
    assert isinstance(m, folium.Map)
    inner = _html.unescape(m._repr_html_().split('srcdoc="', 1)[1].split('"', 1)[0])
    assert external_refs(inner) == []
    assert "rail, disused" in inner and "road, active" in inner and "onerror=alert" not in inner
