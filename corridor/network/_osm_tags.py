"""OSM tag normalisation: classes, lifecycle status, maxspeed, gauge, lanes, structures.

Every function maps raw (possibly multi-valued, ``;``-separated) tag strings to
one scalar or a ``;``-joined string, so the edge table exports to any format.

Examples
--------
>>> parse_maxspeed("60 mph")
96.56
>>> parse_gauge("1520;1435")
(1520.0, '1520;1435')
>>> road_class({"highway": "primary;secondary"}, ROAD_CLASSES)
('primary', 'active')
>>> rail_class({"railway": "construction", "construction": "rail"})
('rail', 'construction')
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence

from corridor._errors import InvalidInputError
from corridor._types import ROAD_LEVELS

__all__ = [
    "ACCESS_KEYS",
    "CLOSED_ROAD_STATUSES",
    "RAIL_CLASSES",
    "RAIL_STATUSES",
    "ROAD_CLASSES",
    "ROAD_LEVELS",
    "STATION_RAIL_M",
    "STATION_ROAD_M",
    "STATION_VALUES",
    "TRANSFER_TRACK_CLASSES",
    "URBAN_STATION_VALUES",
    "ZONE_SPEEDS",
    "access_status",
    "is_bridge",
    "is_transfer_station",
    "is_tunnel",
    "norm_electrified",
    "norm_text",
    "oneway_direction",
    "parse_gauge",
    "parse_lanes",
    "parse_maxspeed",
    "rail_class",
    "resolve_road_classes",
    "road_class",
]

_LINKS = {"motorway", "trunk", "primary", "secondary", "tertiary"}
#: Default road classes: motorway ... tertiary and their links.
ROAD_CLASSES: tuple[str, ...] = tuple(c for lvl in ROAD_LEVELS[:5] for c in (lvl, f"{lvl}_link"))
#: Railway values kept as running lines (their class).
RAIL_CLASSES: tuple[str, ...] = ("rail", "narrow_gauge", "light_rail")
#: Lifecycle values of ``railway=*`` (and ``<status>:railway=*`` prefixes) kept with their status.
RAIL_STATUSES: tuple[str, ...] = ("disused", "abandoned", "razed", "construction", "proposed")
#: ``railway=*`` values of nodes where road and rail may exchange traffic.
STATION_VALUES: tuple[str, ...] = ("station", "halt", "yard")
#: ``station=*`` values (and ``<value>=yes`` keys) of urban-rail stops: metro, light rail, tram...
#: Such a station serves its own line only, so it never links road and main-line rail.
URBAN_STATION_VALUES: tuple[str, ...] = ("subway", "light_rail", "tram", "monorail", "funicular", "miniature")
#: Track classes a main-line station links to (``light_rail`` track never gets a road-rail transfer).
TRANSFER_TRACK_CLASSES: tuple[str, ...] = ("rail", "narrow_gauge")
#: A station links road and rail when a rail node lies within STATION_RAIL_M and a road node
#: within STATION_ROAD_M of it; those nodes become graph vertices (ways are split there).
STATION_RAIL_M = 500.0
STATION_ROAD_M = 1_500.0
#: Road statuses the router leaves out unless asked (``RoutingCosts.closed_road_statuses``): not built yet
#: (``highway=construction|proposed``) or closed to the public by an access tag. The edges stay in the
#: table; rail statuses (disused, abandoned ...) stay routable, since reusing old lines is what
#: corridor studies evaluate.
CLOSED_ROAD_STATUSES: tuple[str, ...] = ("construction", "proposed", "private", "no_access")
#: Access keys from the most to the least specific for a car (the OSM access hierarchy).
ACCESS_KEYS: tuple[str, ...] = ("motorcar", "motor_vehicle", "vehicle", "access")

#: Implicit speed limits (km/h) of ``maxspeed=<CC>:<zone>`` values, from the OSM wiki page
#: "Default speed limits" (Russian zone tags are also used in Armenia and Azerbaijan).
#: Zones not listed here give NaN rather than a guess.
ZONE_SPEEDS: dict[str, float] = {
    "RU:urban": 60.0, "RU:rural": 90.0, "RU:motorway": 110.0, "RU:living_street": 20.0,
    "TR:urban": 50.0, "TR:rural": 90.0, "TR:trunk": 110.0, "TR:motorway": 130.0,
    "TR:living_street": 20.0, "TR:zone30": 30.0,
}
_MPH = 1.609344
_KNOT = 1.852
_NUM = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)


def _values(raw: str | None) -> list[str]:
    """Split a multi-valued tag on ``;`` (the OSM list separator), dropping blanks."""
    if raw is None:
        return []
    return [v.strip() for v in str(raw).split(";") if v.strip()]


def resolve_road_classes(road_classes: str | Iterable[str] | None) -> tuple[str, ...]:
    """The road classes to keep.

    ``None`` gives :data:`ROAD_CLASSES`; a level name (``"unclassified"``,
    ``"track"`` ...) keeps every class down to and including it; a list keeps
    exactly those classes (``_link`` classes of listed levels are added).

    Examples
    --------
    >>> resolve_road_classes("unclassified")[-3:]
    ('tertiary', 'tertiary_link', 'unclassified')
    >>> resolve_road_classes(["primary"])
    ('primary', 'primary_link')
    """
    if road_classes is None:
        return ROAD_CLASSES
    if isinstance(road_classes, str):
        level = road_classes.strip().lower()
        if level not in ROAD_LEVELS:
            raise InvalidInputError(f"unknown road class level {road_classes!r}; use one of "
                                    f"{', '.join(ROAD_LEVELS)} or a list of highway=* values")
        top = ROAD_LEVELS[: ROAD_LEVELS.index(level) + 1]
        return tuple(c for lvl in top for c in ((lvl, f"{lvl}_link") if lvl in _LINKS else (lvl,)))
    out: list[str] = []
    for c in road_classes:
        if not isinstance(c, str) or not re.fullmatch(r"[a-z_]+", c.strip().lower()):
            raise InvalidInputError(f"road class {c!r} is not a highway=* value such as 'primary'")
        c = c.strip().lower()
        for v in (c, f"{c}_link") if c in _LINKS else (c,):
            if v not in out:
                out.append(v)
    if not out:
        raise InvalidInputError("road_classes is empty; give a level such as 'tertiary' or a list of classes")
    return tuple(out)


def road_class(tags: Mapping[str, str], classes: Sequence[str]) -> tuple[str, str] | None:
    """``(class, status)`` of a way for the road layer, or ``None`` if it is not kept.

    ``highway=construction``/``proposed`` with ``construction=<class>`` keep the
    class with status ``construction``/``proposed``; an open road closed by an
    access tag gets status ``private``/``no_access`` (:func:`access_status`).
    Of a multi-valued tag the first kept value wins.

    >>> road_class({"highway": "proposed", "proposed": "motorway"}, ROAD_CLASSES)
    ('motorway', 'proposed')
    >>> road_class({"highway": "primary", "access": "private"}, ROAD_CLASSES)
    ('primary', 'private')
    >>> road_class({"highway": "footway"}, ROAD_CLASSES) is None
    True
    """
    hw = tags.get("highway")
    if hw is None:
        return None
    for v in _values(hw):
        if v in classes:
            return v, access_status(tags) or "active"
        if v in ("construction", "proposed"):
            for sub in _values(tags.get(v)):
                if sub in classes:
                    return sub, v
    return None


def rail_class(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """``(class, status)`` of a way for the rail layer, or ``None`` if it is not kept.

    ``railway=rail|narrow_gauge|light_rail`` is active unless ``disused=yes``
    etc.; ``railway=disused|abandoned|razed|construction|proposed`` keeps the
    lifecycle as status and takes the class from ``<status>=*`` (default
    ``rail``); ``disused:railway=rail`` style prefixes are understood too.

    >>> rail_class({"railway": "rail", "disused": "yes"})
    ('rail', 'disused')
    >>> rail_class({"abandoned:railway": "rail"})
    ('rail', 'abandoned')
    >>> rail_class({"railway": "platform"}) is None
    True
    """
    rw = tags.get("railway")
    for v in _values(rw):
        if v in RAIL_CLASSES:
            for st in RAIL_STATUSES:
                if tags.get(st) == "yes":
                    return v, st
            return v, "active"
        if v in RAIL_STATUSES:
            sub = next((s for s in _values(tags.get(v)) if s in RAIL_CLASSES), None)
            sub = sub or next((s for s in _values(tags.get(f"{v}:railway")) if s in RAIL_CLASSES), None)
            return sub or "rail", v
    if rw is None:
        for st in RAIL_STATUSES:
            sub = next((s for s in _values(tags.get(f"{st}:railway")) if s in RAIL_CLASSES), None)
            if sub:
                return sub, st
    return None


def access_status(tags: Mapping[str, str]) -> str | None:
    """``"private"`` or ``"no_access"`` if a road is closed to general car traffic, else ``None``.

    The most specific access key present decides (:data:`ACCESS_KEYS`:
    ``motorcar`` > ``motor_vehicle`` > ``vehicle`` > ``access``), as in the OSM
    access hierarchy: ``access=no`` with ``motor_vehicle=yes`` is open. Of a
    list value the first entry counts; ``destination``, ``permissive`` ... are open.

    >>> access_status({"access": "private"}), access_status({"motorcar": "no"})
    ('private', 'no_access')
    >>> access_status({"access": "no", "motor_vehicle": "destination"}) is None
    True
    """
    for key in ACCESS_KEYS:
        vals = _values(tags.get(key))
        if not vals:
            continue
        v = vals[0].lower()
        return "private" if v == "private" else "no_access" if v == "no" else None
    return None


def is_transfer_station(tags: Mapping[str, str]) -> bool:
    """True for a main-line station/halt/yard node, where road and rail may exchange traffic.

    ``railway=station|halt|yard`` counts unless it is an urban-rail stop:
    every ``station=*`` value in :data:`URBAN_STATION_VALUES`, or (without
    ``station=*`` and ``train=yes``) a ``subway=yes``/``tram=yes``... key.
    ``railway=tram_stop``, ``subway_entrance`` ... never count.

    >>> is_transfer_station({"railway": "station"}), is_transfer_station({"railway": "station", "station": "subway"})
    (True, False)
    >>> is_transfer_station({"railway": "station", "station": "train;subway"})
    True
    """
    if tags.get("railway") not in STATION_VALUES:
        return False
    st = _values(tags.get("station"))
    if st:
        return not all(v in URBAN_STATION_VALUES for v in st)
    if tags.get("train") == "yes":
        return True
    return not any(tags.get(v) == "yes" for v in URBAN_STATION_VALUES)


def parse_maxspeed(raw: str | None) -> float:
    """Speed limit in km/h from a ``maxspeed`` value; NaN when none is stated.

    Handles ``"60"``, ``"60 mph"``, ``"10 knots"``, ``"RU:urban"`` (see
    :data:`ZONE_SPEEDS`), ``"walk"`` (5), ``"none"``/``"signals"``/``"variable"``
    (NaN: no fixed limit) and lists (``"60;80"``: the lowest, conservative).

    >>> parse_maxspeed("RU:urban"), parse_maxspeed("60;80"), parse_maxspeed("none")
    (60.0, 60.0, nan)
    """
    best = math.nan
    for v in _values(raw):
        m = _NUM.match(v)
        if m:
            num = float(m.group(1).replace(",", "."))
            unit = (m.group(2) or "").lower()
            kmh = num * _MPH if unit == "mph" else num * _KNOT if unit == "knots" else num
        elif v in ZONE_SPEEDS:
            kmh = ZONE_SPEEDS[v]
        elif v.lower() == "walk":
            kmh = 5.0
        else:
            continue
        if kmh > 0 and (math.isnan(best) or kmh < best):
            best = kmh
    return round(best, 2) if not math.isnan(best) else best


def parse_gauge(raw: str | None) -> tuple[float, str]:
    """``(gauge_mm, gauge_text)``: the first numeric gauge and all gauges ``;``-joined.

    Dual gauge (``"1520;1435"``) keeps both in the text; the number is the
    first. Unparsable values give NaN and ``""``.

    >>> parse_gauge("1435")
    (1435.0, '1435')
    >>> parse_gauge("standard")
    (nan, '')
    """
    nums: list[int] = []
    for v in _values(raw):
        try:
            g = float(v)
        except ValueError:
            continue
        if 300 <= g <= 2000 and int(g) not in nums:
            nums.append(int(g))
    if not nums:
        return math.nan, ""
    return float(nums[0]), ";".join(str(n) for n in nums)


def parse_lanes(raw: str | None) -> float:
    """Number of lanes (the largest listed value); NaN if unknown.

    >>> parse_lanes("2;3"), parse_lanes("x")
    (3.0, nan)
    """
    best = math.nan
    for v in _values(raw):
        try:
            n = float(v.replace(",", "."))
        except ValueError:
            continue
        if n > 0 and (math.isnan(best) or n > best):
            best = n
    return best


def is_tunnel(raw: str | None) -> bool:
    """True for ``tunnel=yes|building_passage|avalanche_protector|covered`` (any listed value).

    >>> is_tunnel("yes"), is_tunnel("no"), is_tunnel(None)
    (True, False, False)
    """
    return any(v in ("yes", "building_passage", "avalanche_protector", "covered") for v in _values(raw))


def is_bridge(raw: str | None) -> bool:
    """True for any ``bridge=*`` value other than ``no`` (yes, viaduct, cantilever ...).

    >>> is_bridge("viaduct"), is_bridge("no")
    (True, False)
    """
    return any(v not in ("no", "false", "0") for v in _values(raw))


def norm_electrified(raw: str | None) -> str:
    """``electrified`` as ``;``-joined values (``contact_line``, ``rail``, ``no``); ``""`` if untagged.

    >>> norm_electrified("contact_line; rail"), norm_electrified(None)
    ('contact_line;rail', '')
    """
    return ";".join(_values(raw))


def norm_text(raw: str | None) -> str:
    """A name/ref tag as one string, list values ``;``-joined without blanks.

    >>> norm_text(" M2 ;E117")
    'M2;E117'
    """
    return ";".join(_values(raw))


#: ``oneway`` values meaning "open both ways" (time-dependent directions count as both).
_TWO_WAY = frozenset({"no", "false", "0", "reversible", "alternating"})


def oneway_direction(tags: Mapping[str, str]) -> int:
    """Travel direction of a road way: ``1`` along the way only, ``-1`` against it only, ``0`` both.

    Follows the OSM wiki and OSRM's car profile: ``oneway=yes|true|1`` is
    forward, ``oneway=-1|reverse`` is backward, ``no``/``reversible``/``alternating``
    are two-way; an untagged ``junction=roundabout|circular`` or
    ``highway=motorway`` is implied forward. Of a list value the first entry counts.

    >>> oneway_direction({"highway": "primary", "oneway": "yes"})
    1
    >>> oneway_direction({"highway": "primary", "oneway": "-1"})
    -1
    >>> oneway_direction({"highway": "motorway"}), oneway_direction({"highway": "motorway", "oneway": "no"})
    (1, 0)
    >>> oneway_direction({"highway": "tertiary", "junction": "roundabout"})
    1
    """
    vals = _values(tags.get("oneway"))
    v = vals[0].lower() if vals else ""
    if v in ("yes", "true", "1"):
        return 1
    if v in ("-1", "reverse"):
        return -1
    if v in _TWO_WAY:
        return 0
    if tags.get("junction") in ("roundabout", "circular"):
        return 1
    if "motorway" in _values(tags.get("highway")):
        return 1
    return 0
