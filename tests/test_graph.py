"""corridor.network._graph: the routing graph's topology (layers), transfers, gauge breaks and gauge
inference, one-way links and closed roads.

``net`` (simplified) and ``raw`` (unsimplified), the small SYNTHETIC network of tests/_osmgen.py, come
from tests/conftest.py; the networks read from OSM XML are SYNTHETIC too (tests/_netgen.xml_net:
invented ids, tags and positions).
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from _netgen import GYUMRI_RAIL, KARS_SIDE
from _netgen import xml_net as _xml_net

from corridor._errors import NoRouteError
from corridor.network import Network


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


# ----------------------------------------------------------------------------- OSM input that is wrong (issue 15)
# The files below are SYNTHETIC (tests/_osmgen.write_xml): invented ids, tags and positions.
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
