"""corridor.network._nx: networkx views of a network and networks from them: to_networkx ->
from_networkx round trips keep every edge, attribute and route (every status, mode and gauge; the
reference network, also through GraphML; osmnx's merged graph).

``net`` (simplified) and ``raw`` (unsimplified), the small SYNTHETIC network of tests/_osmgen.py, come
from tests/conftest.py; the network of every combination is generated here. osmnx conformance on real
extracts is in tests/test_networkx_conformance.py.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pandas.testing as pd_testing
import pytest
from _netgen import GYUMRI_RAIL, KARS_SIDE
from shapely.geometry import LineString

from corridor.network import Network, load_network
from corridor.network._graph import gauge_km
from corridor.network._osm_tags import CLOSED_ROAD_STATUSES, RAIL_STATUSES


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
