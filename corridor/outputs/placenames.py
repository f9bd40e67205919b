"""Place-name labels for the offline map, chosen from the gazetteer by zoom level.

At the zoom of the whole region only capitals and large towns are named; closer
in, smaller towns; closer still, the routes' waypoints and border crossings and
the curated crossing points, stations and checkpoints of the gazetteer
(:data:`TIERS`). Within a tier a place is skipped when a larger one already
named lies within the tier's spacing, so Yerevan's districts do not bury Yerevan.

The labels are drawn by a fixed script (see :func:`label_script`): the names
travel as JSON data and become text with ``textContent``, never HTML or code.

River and lake names (Araks, Kura, Akhurian, Lake Sevan) are not drawn: the
region pack carries no hydrography from a source that could be packaged here.

Examples
--------
>>> from corridor._types import BBox
>>> names = {p.name: p.min_zoom for p in place_labels(BBox(43.0, 38.0, 50.5, 42.0))}
>>> names["Yerevan"], names["Baku"], names["Tabriz"]
(0, 0, 0)
>>> "Shengavit" in names  # a district of Yerevan, within the spacing of Yerevan
False
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from corridor._geo import great_circle_m
from corridor._types import BBox
from corridor.data import datasets

__all__ = ["CURATED_KINDS", "TIERS", "Label", "label_script", "place_labels"]

#: (lowest zoom shown, smallest population, spacing km) of the gazetteer tiers, largest first.
TIERS: tuple[tuple[int, int, float], ...] = ((0, 90_000, 40.0), (8, 15_000, 10.0))
#: Zoom from which waypoints, border crossings and the curated points are named.
DETAIL_ZOOM = 10
#: Gazetteer kinds named at :data:`DETAIL_ZOOM` (curated points: crossings, stations, checkpoints).
CURATED_KINDS = ("border_crossing", "rail_station", "checkpoint", "bridge")
_CSS = (".corridor-label{background:none;border:none}"
        ".corridor-label span{position:absolute;left:6px;top:-8px;white-space:nowrap;font:600 12px/1.2 "
        "system-ui,sans-serif;color:#1d1d1d;text-shadow:0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}"
        ".corridor-label i{position:absolute;left:-3px;top:-3px;width:6px;height:6px;border-radius:3px;"
        "background:#1d1d1d;border:1px solid #fff}"
        ".corridor-label-0 span{font-size:14px;font-weight:700}"
        ".corridor-label-2 span{font-size:11px;font-weight:500;font-style:italic;color:#3a2a00}")


@dataclass(frozen=True)
class Label:
    """One map label: where, what, from which zoom, and its tier (0 largest, 2 details)."""

    name: str
    lon: float
    lat: float
    min_zoom: int
    tier: int


def _spaced(rows: list[tuple[str, float, float]], taken: list[tuple[float, float]], spacing_km: float
            ) -> list[tuple[str, float, float]]:
    out = []
    for name, lon, lat in rows:
        if any(great_circle_m(lon, lat, x, y) < spacing_km * 1000 for x, y in taken):
            continue
        taken.append((lon, lat))
        out.append((name, lon, lat))
    return out


def place_labels(view: BBox, routes: Sequence[Any] = (), crossings: Sequence[dict[str, Any]] = ()
                 ) -> list[Label]:
    """The labels inside ``view``: gazetteer tiers, then the routes' waypoints and crossings.

    Parameters
    ----------
    view : BBox
        Area of the map.
    routes : sequence of Route
        Their waypoints are named from :data:`DETAIL_ZOOM`.
    crossings : sequence of dict
        Border crossings (``lon``, ``lat``, ``known_name``); named ones are labelled
        from :data:`DETAIL_ZOOM`.
    """
    df = datasets.places()
    inside = df[(df["lon"] >= view.left) & (df["lon"] <= view.right) & (df["lat"] >= view.bottom)
                & (df["lat"] <= view.top)]
    ranked = inside.sort_values("population", ascending=False, kind="stable")
    taken: list[tuple[float, float]] = []
    out: list[Label] = []
    for tier, (zoom, pop, spacing) in enumerate(TIERS):
        rows = [(str(r.name), float(r.lon), float(r.lat)) for r in ranked.itertuples()
                if float(r.population or 0) >= pop and math.isfinite(float(r.lon))]
        out += [Label(n, x, y, zoom, tier) for n, x, y in _spaced(rows, taken, spacing)]
    detail: list[tuple[str, float, float]] = []
    for r in inside[inside["kind"].isin(CURATED_KINDS)].itertuples():
        detail.append((str(r.name), float(r.lon), float(r.lat)))
    for route in routes:
        detail += [(str(p.name), float(p.lon), float(p.lat)) for p in route.waypoints]
    for c in crossings:
        if c.get("known_name"):
            detail.append((str(c["known_name"]), float(c["lon"]), float(c["lat"])))
    seen = {(round(lb.lon, 3), round(lb.lat, 3)) for lb in out}
    for name, lon, lat in detail:
        key = (round(lon, 3), round(lat, 3))
        if key in seen:
            continue
        seen.add(key)
        out.append(Label(name, lon, lat, DETAIL_ZOOM, len(TIERS)))
    return out


def _json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element."""
    return (json.dumps(data, ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def label_script(labels: Sequence[Label], group_name: str, map_name: str) -> str:
    """JavaScript adding the labels to a Leaflet layer group, each shown from its zoom on
    while it is in (or near) the view.

    ``group_name`` and ``map_name`` are the JavaScript names folium gave the
    layer group and the map (identifiers it generates); the labels travel as
    JSON and become text through ``textContent``.
    """
    data = _json([[round(lb.lat, 5), round(lb.lon, 5), lb.name, lb.min_zoom, lb.tier] for lb in labels])
    return (
        "(function () {"
        f"var map = {map_name}, group = {group_name}, data = {data};"
        "var css = document.createElement('style'); css.textContent = " + _json(_CSS) + ";"
        "document.head.appendChild(css);"
        "var marks = data.map(function (p) {"
        "  var el = document.createElement('div'); el.appendChild(document.createElement('i'));"
        "  var t = document.createElement('span'); t.textContent = p[2]; el.appendChild(t);"
        "  var m = L.marker([p[0], p[1]], {icon: L.divIcon({className: 'corridor-label corridor-label-' + p[4],"
        "    html: el, iconSize: null}), interactive: false, keyboard: false});"
        "  m.corridorMinZoom = p[3]; m.corridorName = p[2]; return m; });"
        "function update() { var z = map.getZoom(), view = map.getBounds().pad(0.25);"
        "  marks.forEach(function (m) { var on = z >= m.corridorMinZoom && view.contains(m.getLatLng());"
        "    if (on && !group.hasLayer(m)) group.addLayer(m);"
        "    else if (!on && group.hasLayer(m)) group.removeLayer(m); }); }"
        "map.on('moveend', update); update();"
        "})();"
    )
