"""corridor.network._osm_tags: tag normalisation (classes, lifecycle and access statuses, maxspeed,
gauge, lanes, structures, transfer stations), directly and as read from OSM files.

Every OSM file here is SYNTHETIC (tests/_osmgen.py): the small network in each format (``files``,
written per module by ``small_files``) and files written by ``write``/``write_xml`` around the
``YEREVAN`` positions: invented ids, tags and positions.
"""

from __future__ import annotations

import math

import pytest
from _osmgen import YEREVAN

from corridor._errors import InvalidInputError
from corridor.network import osm
from corridor.network._osm_tags import (
    is_bridge,
    is_tunnel,
    parse_gauge,
    parse_lanes,
    parse_maxspeed,
    rail_class,
    resolve_road_classes,
    road_class,
)


# ----------------------------------------------------------------------------- tags
@pytest.mark.parametrize("raw, kmh", [("60", 60.0), ("60 mph", 96.56), ("50 knots", 92.6), ("RU:urban", 60.0),
                                      ("TR:rural", 90.0), ("60;80", 60.0), ("walk", 5.0), ("12,5", 12.5)])
def test_maxspeed_values(raw, kmh):
    assert parse_maxspeed(raw) == pytest.approx(kmh)


@pytest.mark.parametrize("raw", ["none", "signals", "variable", "XX:urban", "", None, "fast"])
def test_maxspeed_without_a_number_is_nan(raw):
    assert math.isnan(parse_maxspeed(raw))


def test_gauge_lanes_structures():
    assert parse_gauge("1520;1435") == (1520.0, "1520;1435")
    assert parse_gauge("1435;1435") == (1435.0, "1435")
    assert math.isnan(parse_gauge("standard")[0])
    assert parse_lanes("2;3") == 3.0
    assert is_tunnel("building_passage") and not is_tunnel("no")
    assert is_bridge("yes;no") and not is_bridge("no")


def test_classes_and_status():
    cls = resolve_road_classes(None)
    assert road_class({"highway": "footway;primary"}, cls) == ("primary", "active")
    assert road_class({"highway": "construction", "construction": "secondary"}, cls) == ("secondary", "construction")
    assert road_class({"highway": "track"}, cls) is None
    assert road_class({"highway": "track"}, resolve_road_classes("track")) == ("track", "active")
    assert rail_class({"railway": "narrow_gauge"}) == ("narrow_gauge", "active")
    assert rail_class({"railway": "razed"}) == ("rail", "razed")
    assert rail_class({"proposed:railway": "light_rail"}) == ("light_rail", "proposed")
    with pytest.raises(InvalidInputError, match="unknown road class level 'lane'"):
        resolve_road_classes("lane")


# ----------------------------------------------------------------------------- input that is wrong (issue 15)
# Every file below is SYNTHETIC, written by tests/_osmgen.write_xml / write: invented ids, tags and
# positions near Yerevan (ARM), laid out the way JOSM, Overpass or a broken merge writes them.
def test_access_and_lifecycle_statuses_of_roads(tmp_path):
    from _osmgen import write_xml

    from corridor.network._osm_tags import access_status

    cases = {11: ({"access": "private"}, "private"), 12: ({"access": "no"}, "no_access"),
             13: ({"motor_vehicle": "no"}, "no_access"), 14: ({"motor_vehicle": "private"}, "private"),
             15: ({"motorcar": "no"}, "no_access"), 16: ({"access": "no", "motor_vehicle": "yes"}, "active"),
             17: ({"access": "private", "motorcar": "destination"}, "active"), 18: ({"access": "yes"}, "active"),
             19: ({"highway": "construction", "construction": "primary", "access": "no"}, "construction"),
             20: ({"highway": "proposed", "proposed": "primary"}, "proposed"), 21: ({"vehicle": "no"}, "no_access")}
    items = [("node", n, *xy, {}) for n, xy in YEREVAN.items()]
    for wid, (tags, _) in cases.items():
        items.append(("way", wid, [1, 2], {"highway": "primary", **tags}))
    e = osm.read_osm(write_xml(tmp_path / "access.osm", items)).edges.set_index("osm_way_id")
    assert {w: e.loc[w, "status"] for w in cases} == {w: st for w, (_, st) in cases.items()}
    assert access_status({"access": "no;yes"}) == "no_access" and access_status({}) is None


def test_only_main_line_stations_are_transfer_points(tmp_path):
    from _osmgen import write_xml

    from corridor.network._osm_tags import is_transfer_station

    stations = {901: {"railway": "station", "name": "main"}, 902: {"railway": "station", "station": "subway"},
                903: {"railway": "station", "station": "light_rail"}, 904: {"railway": "halt", "station": "tram"},
                905: {"railway": "tram_stop"}, 906: {"railway": "subway_entrance"},
                907: {"railway": "station", "subway": "yes"}, 908: {"railway": "station", "station": "train"},
                909: {"railway": "station", "subway": "yes", "train": "yes"}, 910: {"railway": "yard"}}
    items = [("node", n, *xy, {}) for n, xy in YEREVAN.items()]
    items += [("node", sid, 44.55 + 0.001 * (sid - 900), 40.121, tags) for sid, tags in stations.items()]
    items += [("way", 7, [1, 2, 3], {"railway": "rail"}), ("way", 8, [2, 4], {"highway": "primary"})]
    st = osm.read_osm(write_xml(tmp_path / "stations.osm", items)).stations
    assert sorted(st["id"]) == [901, 908, 909, 910]
    assert not is_transfer_station({"railway": "station", "station": "subway;light_rail"})
