"""Interactive maps of routes (folium / Leaflet) that work with no network at all.

:func:`route_map` draws every route in its own colour (one SVG path per route,
class ``corridor-route``), with a popup holding the metrics table and an
elevation-profile chart (inline PNG), border crossings and waypoints as markers,
the country units with Nakhchivan (NAX) drawn distinct, a hillshade made from
the DEM as the offline basemap, an OpenStreetMap tile layer when online, a
legend and a LayerControl. The overlay "Colour by grade class" recolours the
routes by grade class (rail: 12.5/18/25 ‰, road: 4/6/8 %) and dims the route
colours while it is on.

Modelled alignments (new build, the reference network) are drawn dashed and
labelled "modelled" in the tooltip, the layer name and the legend.

:func:`save_map` writes the page with Leaflet, jQuery, Bootstrap and the plugin
assets inlined (see :mod:`corridor.outputs._assets`), so the HTML opens offline; if the
tile server cannot be reached the hillshade still shows.

Every text that comes from OSM, a scenario file, a DEM or its metadata goes
through :func:`corridor._text.html_text` (plus neutralising backticks, ``$`` and
backslashes, since folium places popups and tooltips in JavaScript template
literals), so a way named ``<script>alert(1)</script>`` is shown as text. No such
text ever becomes Jinja template source: the elements that carry it (tooltips,
popups, the layer control, the legend) render through :func:`_inert`, so
``{{ 7*7 }}`` in a name is shown as typed and never evaluated.

Display size: route lines are simplified with :data:`SIMPLIFY_TOLERANCE_DEG`
(0.0005°, about 55 m north-south and 43 m east-west at 39° N; display only,
lengths and metrics are computed on the full geometry), and the grade-class
layer uses at most :data:`MAX_PROFILE_POINTS` bins per route (each bin shows
the steepest class inside it, so short steep stretches are not hidden).

Examples
--------
>>> from shapely.geometry import LineString
>>> from corridor.route import Route
>>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="demo")
>>> m = route_map([r], basemap="offline")
>>> html = map_html(m)
>>> html.count("corridor-route corridor-route-0"), "cdn.jsdelivr" in html
(1, False)
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor._errors import InvalidInputError
from corridor._folium import inert as _inert
from corridor._folium import js_text
from corridor._labels import display_value, format_metric, published_unit, published_value
from corridor._labels import label as metric_label
from corridor._text import html_text
from corridor._types import OUTSIDE, UNITS, BBox
from corridor.data import datasets
from corridor.outputs._assets import inline_assets
from corridor.outputs.charts import png_data_uri, profile_png_bytes, route_colour
from corridor.outputs.export import atomic_output, border_crossings
from corridor.outputs.placenames import label_script, place_labels
from corridor.outputs.relief import basemap_extent, hillshade, overlay_data_uri
from corridor.terrain import profiles as terrain

if TYPE_CHECKING:
    import folium

    from corridor.evaluation.metrics import RouteMetrics
    from corridor.route import Route
    from corridor.terrain.dem import DEMLike

log = logging.getLogger(__name__)

__all__ = ["BASEMAPS", "GRADE_COLOURS", "MAX_PROFILE_POINTS", "SIMPLIFY_TOLERANCE_DEG", "grade_classes",
           "hillshade", "map_html", "route_map", "save_map"]

#: Display simplification tolerance in degrees (~55 m N-S, ~43 m E-W at 39° N).
SIMPLIFY_TOLERANCE_DEG = 0.0005
#: At most this many grade bins per route on the map.
MAX_PROFILE_POINTS = 400
#: ``auto``: hillshade + OSM tiles; ``osm``: OSM tiles, hillshade off at start;
#: ``offline``: hillshade only; ``none``: no basemap.
BASEMAPS = ("auto", "osm", "offline", "none")
#: Colours of grade classes, gentlest first; the last is "unknown".
GRADE_COLOURS = ("#1a9850", "#fee08b", "#fc8d59", "#d73027", "#888888")
_NAX_STYLE = {"color": "#b5651d", "weight": 2.5, "dashArray": "6 4", "fillColor": "#f4a261",
              "fillOpacity": 0.35}
_UNIT_STYLE = {"color": "#555555", "weight": 1, "fillColor": "#ffffff", "fillOpacity": 0.05}
ATTRIBUTION = ("Boundaries © OpenStreetMap contributors (ODbL 1.0), via geo-maps · "
               "Elevation: NOAA GLOBE 30″ DEM · Places: GeoNames (CC BY 4.0)")


_safe = js_text


# --------------------------------------------------------------- grade classes
def grade_classes(mode: str) -> list[tuple[float, float, str]]:
    """Grade classes ``(low, high, label)`` of absolute grade for a mode.

    >>> [c[2] for c in grade_classes("rail")]
    ['≤ 12.5 ‰', '12.5–18 ‰', '18–25 ‰', '> 25 ‰']
    >>> grade_classes("road")[0]
    (0.0, 0.04, '≤ 4 %')
    """
    rail, road = tuple(terrain.RAIL_GRADES), tuple(terrain.ROAD_GRADES)  # the terrain stage owns the thresholds
    th = rail if mode == "rail" else road

    def fmt(v: float) -> str:
        return f"{v * 1000:g}" if mode == "rail" else f"{v * 100:g}"

    unit = "‰" if mode == "rail" else "%"
    out = [(0.0, th[0], f"≤ {fmt(th[0])} {unit}")]
    out += [(a, b, f"{fmt(a)}–{fmt(b)} {unit}") for a, b in itertools.pairwise(th)]
    out.append((th[-1], math.inf, f"> {fmt(th[-1])} {unit}"))
    return out


def _classify(grade: np.ndarray, mode: str) -> np.ndarray:
    th = np.array([c[1] for c in grade_classes(mode)[:-1]])
    g = np.abs(np.asarray(grade, dtype=float))
    cls = np.searchsorted(th, g, side="left")
    cls[~np.isfinite(g)] = -1
    return np.asarray(cls)


# --------------------------------------------------------------- pieces
def _routes(routes: Any) -> list[Any]:
    if hasattr(routes, "segments"):
        return [routes]
    out = list(routes)
    if not out:
        raise InvalidInputError("route_map needs at least one Route")
    for r in out:
        if not hasattr(r, "segments"):
            raise InvalidInputError(f"expected corridor.route.Route objects, got {type(r).__name__}")
    return out


def _latlngs(geom: Any) -> list[list[float]]:
    import shapely

    g = shapely.simplify(geom, SIMPLIFY_TOLERANCE_DEG, preserve_topology=False)
    if g.is_empty:
        g = geom
    return [[round(float(y), 6), round(float(x), 6)] for x, y in g.coords]


def _runs(route: Any) -> list[tuple[bool, Any]]:
    """Consecutive (modelled?, merged line) parts of a route."""
    import shapely
    from shapely.geometry import MultiLineString

    seg = route.segments
    flags = [(b == "new") or ("modelled" in str(s)) for b, s in zip(seg["build"], seg["source"], strict=True)]
    out: list[tuple[bool, Any]] = []
    start = 0
    for j in range(1, len(seg) + 1):
        if j < len(seg) and flags[j] == flags[start]:
            continue
        merged = shapely.line_merge(MultiLineString(list(seg.geometry.iloc[start:j])))
        out.extend((flags[start], g) for g in shapely.get_parts(merged))
        start = j
    return out


def _fmt(key: str, value: Any, mode: str) -> str:
    """A popup value with its unit (:func:`corridor._labels.display_value`); text escaped."""
    if format_metric(key, value, mode) is None:
        return _safe(value)
    return html_text(display_value(key, value, mode))


#: The cost of a route's part in each unit: left out of a popup where zero, as the length there is.
_UNIT_COSTS = frozenset(f"cost_central_musd_{u}" for u in (*UNITS, OUTSIDE))


def _popup_html(route: Any, row: dict[str, Any], profile: Any, colour: str) -> str:
    title = _safe(route.name)
    modelled = bool(route.modelled) or bool(row.get("modelled", False))
    parts = ['<div class="corridor-popup" style="font-size:12px;max-height:420px;overflow:auto">',
             f'<h4 style="margin:0 0 4px 0;color:{colour}">{title}</h4>']
    if modelled:
        parts.append('<p style="margin:0 0 4px 0"><b>modelled</b>: alignment or network is a model, '
                     'not surveyed track or road</p>')
    parts.append('<table class="corridor-metrics" style="border-collapse:collapse">')
    for k, v in row.items():
        if k in ("name",) or ((k.startswith("length_km_") or k in _UNIT_COSTS) and isinstance(v, float) and v == 0.0):
            continue
        parts.append(f'<tr><th style="text-align:left;padding:0 6px 0 0;font-weight:600">{_safe(metric_label(k))}</th>'
                     f"<td>{_fmt(k, v, route.mode)}</td></tr>")
    parts.append("</table>")
    pub = route.meta.get("published") or []
    if pub:
        parts.append('<p style="margin:6px 0 2px 0"><b>Published figures</b></p><ul style="margin:0">')
        for p in pub:
            if isinstance(p, dict):
                parts.append(f"<li>{_safe(p.get('figure', ''))}: {_safe(published_value(p.get('value', '')))} "
                             f"{_safe(published_unit(p.get('unit', '')))} <i>({_safe(p.get('source', ''))})</i></li>")
        parts.append("</ul>")
    if profile is not None and np.asarray(getattr(profile, "distance_m", [])).size >= 2:
        png = profile_png_bytes(profile, title="elevation profile", colour=colour, route=route)
        parts.append(f'<img alt="elevation profile" style="width:420px" src="{png_data_uri(png)}">')
    parts.append("</div>")
    return "".join(parts)


def _basic_row(route: Any) -> dict[str, Any]:
    return {"mode": route.mode, "length_km": route.length_m / 1000.0,
            "units": " → ".join(u or "?" for u in route.unit_sequence()),
            "source": route.source, "modelled": bool(route.modelled)}


def _bounds(routes: list[Any]) -> BBox:
    b = np.array([r.segments.total_bounds for r in routes])
    pts = [(p.lon, p.lat) for r in routes for p in r.waypoints]
    left, bottom = float(b[:, 0].min()), float(b[:, 1].min())
    right, top = float(b[:, 2].max()), float(b[:, 3].max())
    if pts:
        xs, ys = zip(*pts, strict=True)
        left, right = min(left, *xs), max(right, *xs)
        bottom, top = min(bottom, *ys), max(top, *ys)
    return BBox(left, bottom, right, top)


def _units_layer(folium: Any, view: BBox) -> Any:
    import shapely


    fg = folium.FeatureGroup(name="Country units (Nakhchivan distinct)", show=True)
    units = datasets.units()
    for _, row in units.iterrows():
        code = str(row["unit"])
        geom = shapely.clip_by_rect(row.geometry, *view)
        if geom.is_empty:
            continue
        geom = shapely.simplify(geom, 0.003, preserve_topology=True)
        style = dict(_NAX_STYLE if code == "NAX" else _UNIT_STYLE)
        label = f"{UNITS.get(code, code)} ({code})"
        folium.GeoJson(
            shapely.geometry.mapping(geom), name=code, control=False,
            style_function=lambda _f, s=style: s,
            tooltip=_inert().Tooltip(_safe(label), sticky=True),
        ).add_to(fg)
    return fg


def _legend(folium: Any, m: Any, items: list[tuple[str, str, bool]], modes: set[str]) -> None:
    rows = ['<div style="font-weight:600;margin-bottom:2px">Routes</div>']
    for colour, label, dashed in items:
        dash = "stroke-dasharray:6 4;" if dashed else ""
        rows.append(f'<div><svg width="28" height="8"><line x1="0" y1="4" x2="28" y2="4" '
                    f'style="stroke:{colour};stroke-width:4;{dash}"/></svg> {label}</div>')
    if any(d for _, _, d in items):
        rows.append('<div style="font-size:10px">dashed = modelled (not surveyed)</div>')
    for mode in sorted(modes):
        rows.append(f'<div style="font-weight:600;margin-top:4px">Grade classes, {mode} '
                    f"(layer “Colour by grade class”)</div>")
        for k, (_, _, label) in enumerate(grade_classes(mode)):
            rows.append(f'<span style="display:inline-block;width:12px;height:8px;'
                        f'background:{GRADE_COLOURS[k]}"></span> {html_text(label)} ')
    rows.append('<div style="margin-top:4px"><span style="display:inline-block;width:12px;height:10px;'
                f'background:{_NAX_STYLE["fillColor"]};border:1px dashed {_NAX_STYLE["color"]}"></span> '
                'Nakhchivan (NAX, Azerbaijan)</div>')
    rows.append('<div><span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
                'background:#ffd166;border:2px solid #000"></span> border crossing '
                '<span style="display:inline-block;width:8px;height:8px;border-radius:4px;'
                'background:#fff;border:2px solid #333"></span> waypoint</div>')
    rows.append(f'<div style="font-size:9px;color:#555;max-width:260px">{html_text(ATTRIBUTION)}</div>')
    import json

    payload = json.dumps("".join(rows)).replace("<", "\\u003c").replace(">", "\\u003e")

    def script(map_name: str) -> str:
        return ("var legend = L.control({position: 'bottomright'});"
                "legend.onAdd = function () { var d = L.DomUtil.create('div', 'corridor-legend');"
                "d.style.cssText = 'background:rgba(255,255,255,0.92);padding:6px 8px;font:11px sans-serif;"
                "border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,0.3)';"
                f"d.innerHTML = {payload};"
                "return d; };"
                f"legend.addTo({map_name});")

    m.add_child(_inert().Script(script))


def _grade_toggle(m: Any, grade_fg: Any) -> None:
    layer = grade_fg.get_name()

    def script(map_name: str) -> str:
        return (f"{map_name}.on('overlayadd overlayremove', function (e) {{"
                f"  if (e.layer !== {layer}) return;"
                "  var dim = e.type === 'overlayadd';"
                "  document.querySelectorAll('path.corridor-route').forEach(function (p) {"
                "    p.style.opacity = dim ? '0.25' : ''; });"
                "});")

    m.add_child(_inert().Script(script))


def _route_links(m: Any, line_names: list[str]) -> None:
    """Clicking a route highlights it and tells an embedding page (the report) which one; the page
    can ask the map to highlight a route too. Messages carry only ``{corridor: "route", index: i}``."""
    lines = "[" + ", ".join(line_names) + "]"

    def script(map_name: str) -> str:
        return (
            "(function () {"
            f"var lines = {lines};"
            "var base = lines.map(function (l) { return l.options.weight; });"
            "function highlight(i) { lines.forEach(function (l, k) {"
            "  l.setStyle({weight: k === i ? base[k] + 5 : base[k]});"
            "  var el = l.getElement && l.getElement();"
            "  if (el) { el.classList.toggle('corridor-selected', k === i); }"
            "  if (k === i) { l.bringToFront(); } }); }"
            "window.corridorHighlight = highlight;"
            "lines.forEach(function (l, k) { l.on('click', function () { highlight(k);"
            "  if (window.parent !== window) {"
            "    window.parent.postMessage({corridor: 'route', index: k}, '*'); } }); });"
            "window.addEventListener('message', function (e) {"
            "  var d = e.data; if (!d || d.corridor !== 'route') { return; }"
            "  var i = d.index; if (typeof i !== 'number' || !(i >= 0 && i < lines.length) || i % 1) { return; }"
            "  highlight(i);"
            f"  {map_name}.fitBounds(lines[i].getBounds(), {{maxZoom: 10, padding: [20, 20]}}); }});"
            "})();"
        )

    m.add_child(_inert().Script(script))


def _grade_lines(folium: Any, fg: Any, route: Any, profile: Any, name: str) -> None:
    lon = np.asarray(getattr(profile, "lon", []), dtype=float)
    lat = np.asarray(getattr(profile, "lat", []), dtype=float)
    grade = np.asarray(getattr(profile, "grade", []), dtype=float)
    if not (lon.size == lat.size == grade.size) or lon.size < 2:
        return
    cls = _classify(grade, route.mode)
    n = lon.size
    if n > MAX_PROFILE_POINTS:  # bin, keeping the steepest class of each bin
        edges = np.linspace(0, n, MAX_PROFILE_POINTS + 1).astype(int)
        idx = np.append(edges[:-1], n - 1)
        bcls = np.maximum.reduceat(cls, edges[:-1])
        lon, lat = lon[idx], lat[idx]
        cls = np.append(bcls, bcls[-1])
    labels = grade_classes(route.mode)
    pieces: dict[int, list[list[list[float]]]] = {}
    start = 0
    for j in range(1, len(cls) + 1):
        if j < len(cls) and cls[j] == cls[start]:
            continue
        end = min(j, len(cls) - 1)
        coords = [[round(float(lat[k]), 6), round(float(lon[k]), 6)] for k in range(start, end + 1)]
        if len(coords) >= 2:
            pieces.setdefault(int(cls[start]), []).append(coords)
        start = j
    for c, lines in sorted(pieces.items()):
        label = labels[c][2] if c >= 0 else "unknown"
        folium.PolyLine(lines, color=GRADE_COLOURS[c], weight=7, opacity=0.95,
                        class_name="corridor-grade",
                        tooltip=_inert().Tooltip(f"{name}: grade {html_text(label)}")).add_to(fg)


# --------------------------------------------------------------- public API
def route_map(routes: Route | Sequence[Route], *, metrics: Sequence[RouteMetrics] | None = None,
              basemap: str = "auto", m: folium.Map | None = None, dem: DEMLike = None) -> folium.Map:
    """An interactive folium map of routes with their metrics, profiles and context layers.

    Parameters
    ----------
    routes : Route or sequence of Route
        Routes to draw, in legend order.
    metrics : sequence of RouteMetrics, optional
        One per route, aligned: ``as_row()`` fills the popup table,
        ``crossings`` the border-crossing markers, ``profile`` the popup chart
        and the grade-class layer. Without metrics, crossings come from the
        route's unit changes and no profile is shown.
    basemap : {"auto", "osm", "offline", "none"}
        ``auto``: hillshade overlay plus OSM tiles (used when online);
        ``osm``: OSM tiles with the hillshade available but off;
        ``offline``: hillshade only; ``none``: neither.
    m : folium.Map, optional
        Draw into this map instead of a new one.
    dem : None, path or corridor.terrain.DEM
        DEM for the hillshade (default: the embedded GLOBE DEM).

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> r = Route.from_lines([LineString([(45.6, 38.95), (46.2, 38.9)])], mode="road", name="<b>x</b>")
    >>> html = map_html(route_map(r, basemap="none"))
    >>> "<b>x</b>" in html, "&lt;b&gt;x&lt;/b&gt;" in html
    (False, True)
    """
    import folium

    routes = _routes(routes)
    if basemap not in BASEMAPS:
        raise InvalidInputError(f"unknown basemap {basemap!r}; choose one of {', '.join(BASEMAPS)}")
    if metrics is not None:
        metrics = list(metrics)
        if len(metrics) != len(routes):
            raise InvalidInputError(f"got {len(routes)} routes but {len(metrics)} metrics; "
                                    "pass one RouteMetrics per route, in the same order")
    bounds = _bounds(routes)
    if m is None:
        m = folium.Map(location=[(bounds.bottom + bounds.top) / 2, (bounds.left + bounds.right) / 2],
                       zoom_start=8, tiles=None, control_scale=True)
    if basemap in ("auto", "osm"):
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap tiles (online only)", overlay=False,
                         control=True).add_to(m)
    if basemap != "none":
        try:
            img, ib = hillshade(basemap_extent(bounds), dem)
            folium.raster_layers.ImageOverlay(
                overlay_data_uri(img, ib), bounds=[[ib.bottom, ib.left], [ib.top, ib.right]],
                opacity=0.75 if basemap == "auto" else 1.0, pixelated=False,
                name="Hillshade (GLOBE DEM, offline)", overlay=True, control=True,
                show=basemap != "osm", attribution="Elevation: NOAA GLOBE 30″",
            ).add_to(m)
        except InvalidInputError as exc:
            log.warning("no hillshade: %s", exc)
    _units_layer(folium, basemap_extent(bounds)).add_to(m)

    grade_fg = folium.FeatureGroup(name="Colour by grade class", show=False)
    crossings_fg = folium.FeatureGroup(name="Border crossings", show=True)
    waypoints_fg = folium.FeatureGroup(name="Waypoints", show=True)
    legend_items: list[tuple[str, str, bool]] = []
    modes: set[str] = set()
    seen_pts: set[tuple[float, float, str]] = set()
    line_names: list[str] = []
    all_crossings: list[dict[str, Any]] = []
    for i, route in enumerate(routes):
        met = metrics[i] if metrics is not None else None
        colour = route_colour(i)
        row = dict(met.as_row()) if met is not None and hasattr(met, "as_row") else _basic_row(route)
        profile = getattr(met, "profile", None) if met is not None else None
        runs = _runs(route)
        all_modelled = all(flag for flag, _ in runs)
        any_modelled = bool(route.modelled) or any(flag for flag, _ in runs)
        name = _safe(route.name)
        label = f"{name} (modelled)" if any_modelled else name
        fg = folium.FeatureGroup(name=f"Route: {label}", show=True)
        tip = f"{name} — {_safe(route.mode)}, {route.length_m / 1000:.1f} km"
        tip += " — modelled" if any_modelled else ""
        line = folium.PolyLine(
            [_latlngs(g) for _, g in runs], color=colour, weight=5, opacity=0.9,
            dash_array="10 8" if all_modelled else None,
            class_name=f"corridor-route corridor-route-{i}",
            tooltip=_inert().Tooltip(tip),
            popup=_inert().Popup(_popup_html(route, row, profile, colour), max_width=480),
        ).add_to(fg)
        line_names.append(line.get_name())
        if any_modelled and not all_modelled:
            folium.PolyLine([_latlngs(g) for flag, g in runs if flag], color="#ffffff", weight=2,
                            dash_array="6 8", class_name="corridor-modelled",
                            tooltip=_inert().Tooltip(f"{name}: modelled new build")).add_to(fg)
        fg.add_to(m)
        legend_items.append((colour, label, all_modelled))
        if profile is not None:
            modes.add(route.mode)
            _grade_lines(folium, grade_fg, route, profile, name)
        for c in border_crossings(route, met):
            all_crossings.append(c)
            key = (round(float(c["lon"]), 4), round(float(c["lat"]), 4), "x")
            if key in seen_pts:
                continue
            seen_pts.add(key)
            known = f" ({_safe(c.get('known_name'))})" if c.get("known_name") else ""
            text = f"Border crossing {_safe(c.get('from_unit'))} → {_safe(c.get('to_unit'))}{known}"
            folium.CircleMarker(
                [float(c["lat"]), float(c["lon"])], radius=7, color="#000000", weight=2,
                fill_color="#ffd166", fill_opacity=1.0, class_name="corridor-crossing",
                tooltip=_inert().Tooltip(text),
                popup=_inert().Popup(f"<b>{text}</b><br>{name}, km {float(c.get('distance_km', 0)):.1f}",
                                   max_width=300),
            ).add_to(crossings_fg)
        for p in route.waypoints:
            key = (round(p.lon, 4), round(p.lat, 4), "w")
            if key in seen_pts:
                continue
            seen_pts.add(key)
            folium.CircleMarker(
                [p.lat, p.lon], radius=5, color="#333333", weight=2, fill_color="#ffffff",
                fill_opacity=1.0, class_name="corridor-waypoint",
                tooltip=_inert().Tooltip(f"{_safe(p.name)} ({_safe(p.kind)}, {_safe(p.unit or '?')})"),
            ).add_to(waypoints_fg)
        for sp in route.meta.get("spurs_cut", []):  # where the line serves a waypoint it does not reach
            lon, lat = (float(v) for v in sp["station_lonlat"])
            folium.CircleMarker(
                [lat, lon], radius=4, color="#333333", weight=2, fill_color="#333333", fill_opacity=1.0,
                class_name="corridor-station",
                tooltip=_inert().Tooltip(f"station for {_safe(sp['waypoint'])} (modelled): the line passes here; "
                                         f"a spur of {float(sp['spur_m']) / 1000:.1f} km out to it and back was cut"),
            ).add_to(waypoints_fg)
    grade_fg.add_to(m)
    crossings_fg.add_to(m)
    waypoints_fg.add_to(m)
    names_fg = folium.FeatureGroup(name="Place names", show=True)
    names_fg.add_to(m)
    labels = place_labels(basemap_extent(bounds), routes, all_crossings)
    m.add_child(_inert().Script(lambda map_name: label_script(labels, names_fg.get_name(), map_name)))
    _inert().LayerControl(collapsed=False, position="topright").add_to(m)
    _grade_toggle(m, grade_fg)
    _route_links(m, line_names)
    _legend(folium, m, legend_items, modes)
    pad = 0.05
    m.fit_bounds([[bounds.bottom - pad, bounds.left - pad], [bounds.top + pad, bounds.right + pad]])
    return m


def map_html(m: Any, *, offline: bool = True) -> str:
    """The full HTML page of a folium map; with ``offline`` all web assets are inlined.

    >>> import folium
    >>> "leaflet.js" in map_html(folium.Map(tiles=None), offline=False)
    True
    """

    html = str(m.get_root().render())
    return inline_assets(html) if offline else html


def save_map(path: str | Path | Any, m: Any, *, offline: bool = True) -> Path:
    """Write a map to an HTML file atomically.

    The output path comes first, as in every writer of :mod:`corridor.outputs`
    (``write_layers(path, routes)``, ``write_report(path, ...)``).

    Parameters
    ----------
    path : str or Path
        Output ``.html`` file.
    m : folium.Map
        The map (e.g. from :func:`route_map`).
    offline : bool
        Inline Leaflet, jQuery, Bootstrap and plugin assets so the page needs no
        network (about 1.5 MB); ``False`` keeps folium's CDN links.

    Returns
    -------
    Path

    Examples
    --------
    >>> import folium, tempfile
    >>> out = save_map(tempfile.mkdtemp() + "/m.html", folium.Map(tiles=None))
    >>> "https://cdn.jsdelivr.net/npm/leaflet" in out.read_text(encoding="utf-8")
    False
    """
    if not isinstance(path, str | os.PathLike) and isinstance(m, str | os.PathLike):
        warnings.warn("save_map(m, path) is deprecated; the path comes first, as in every writer: "
                      "save_map(path, m)", DeprecationWarning, stacklevel=2)
        path, m = m, path
    html = map_html(m, offline=offline)
    with atomic_output(path, suffix=".html") as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(path)
