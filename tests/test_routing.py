"""corridor.network._routing: routes over a network: snapping the ends of a leg (issue 15 §4), place
names, the explanation of an unreachable or disconnected end.

``net``, the small SYNTHETIC network of tests/_osmgen.py, comes from tests/conftest.py; the other
networks are built here from coordinate lists (tests/_netgen.lines).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from _netgen import KARS_SIDE
from _netgen import lines as _lines

from corridor import settings
from corridor._errors import NoRouteError, ParameterError
from corridor.network import Network


def test_place_names_and_disconnected(net):
    r = net.route("Gyumri", KARS_SIDE, mode="rail")
    assert r.waypoints[0].name == "Gyumri" and r.unit_sequence() == ["ARM", "TUR"]
    with pytest.raises(NoRouteError, match="disconnected"):
        net.route((44.05, 40.70), (43.84, 40.80), mode="road")  # the island road
    with pytest.raises(NoRouteError, match="km from the nearest"):
        net.route((46.0, 39.0), (43.84, 40.80), mode="road")
    node, d = net.nearest_node(43.7205, 40.7255, mode="rail")
    assert node == 3 and d < 100  # the station split way 101 at its nearest node


# ----------------------------------------------------------------------------- snapping (issue 15 §4)
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
