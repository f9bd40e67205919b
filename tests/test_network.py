"""corridor.network.core: the Network type (from an edge table, subsets, routes with weights, vias and
avoided units), as_network, the deprecated Costs alias and the notebook display (issue 18).

``pbf`` and ``net``, the small SYNTHETIC network of tests/_osmgen.py, come from tests/conftest.py.
The rest of the network stage has its own modules: test_graph (topology, transfers, gauges),
test_routing (snapping), test_solver (CSR routing vs networkx), test_io (sources, cache), test_nx
(networkx round trips), test_osm_borders, test_simplify, and test_osm* for the OSM sources.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString

from corridor._errors import EmptyNetworkError, InvalidInputError, NoRouteError, UnknownUnitError
from corridor.network import Network, as_network


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


def test_one_via_place_is_one_place(net):
    one = net.route((43.80, 40.75), (43.84, 40.80), via="Gyumri", mode="road")
    listed = net.route((43.80, 40.75), (43.84, 40.80), via=["Gyumri"], mode="road")
    assert [p.name for p in one.waypoints] == [p.name for p in listed.waypoints]
    assert len(one.waypoints) == 3 and one.length_m == pytest.approx(listed.length_m)


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


def test_as_network_resolves_every_kind_of_reference(pbf, net, tmp_cache):
    assert as_network(None) is None and as_network(net) is net
    assert as_network(" Reference ").meta["modelled"] is True
    assert len(as_network(pbf)) == len(net) and len(as_network(str(pbf))) == len(net)
    for bad in ("osm", 42, pbf.parent / "missing.osm.pbf"):
        with pytest.raises(InvalidInputError, match="is not a Network"):
            as_network(bad)


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
