"""corridor.network._osm_borders: the nodes made where edges are cut at unit borders never take an id
of the input (user node ids, JOSM's negative ids), so pieces that should not meet never do.

The networks are SYNTHETIC: built from coordinate lists or read from OSM XML (tests/_netgen.py).
"""

from __future__ import annotations

import pytest
from _netgen import lines as _lines
from _netgen import xml_net as _xml_net

from corridor._errors import NoRouteError
from corridor.network import Network


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
