"""corridor.network._solver: CSR routing vs networkx: the solver's shortest lengths are those of the
``to_networkx()`` graphs (and osmnx's shortest path on them), with or without the closed roads.

``net`` (simplified) and ``raw`` (unsimplified), the small SYNTHETIC network of tests/_osmgen.py, come
from tests/conftest.py.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from corridor._errors import NoRouteError


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
