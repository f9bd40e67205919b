"""Notebook displays of a :class:`corridor.network.Network`: HTML summary and an explore map.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import LineString
>>> from corridor.network import Network
>>> net = Network.from_edges(gpd.GeoDataFrame({"mode": ["rail"]}, crs="EPSG:4326",
...                                           geometry=[LineString([(44.5, 40.1), (44.7, 40.2)])]))
>>> "Rail km by status" in net._repr_html_(), type(net.explore(tiles=None)).__name__
(True, 'OfflineMap')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from corridor._folium import ExploreLine, explore_map
from corridor._html import card, plan_svg

__all__ = ["MODE_COLOURS", "REPR_MAX_EDGES", "network_html", "network_map"]

#: Most edges drawn in the HTML summary (larger networks show the table only).
REPR_MAX_EDGES = 5000
#: Line colour of each mode.
MODE_COLOURS = {"rail": "#7b3294", "road": "#e66101"}


def network_html(net: Any) -> str:
    """Compact summary: km by mode and status, provenance, and a small plan of the edges."""
    e = net.edges
    km = e.groupby(["mode", "status"])["length_m"].sum() / 1000.0
    rows = [("Source", str(net.meta.get("source", "?"))
             + (" (modelled, not OpenStreetMap)" if net.meta.get("modelled") else "")),
            ("Edges", f"{len(e):,}")]
    for mode in sorted({str(m) for m, _ in km.index}):
        parts = ", ".join(f"{st} {v:,.0f}" for (m, st), v in km.items() if str(m) == mode and v >= 0.5)
        rows.append((f"{mode.capitalize()} km by status", parts or "–"))
    if net.meta.get("extract_date"):
        rows.append(("Extract date", str(net.meta["extract_date"])))
    svg = ""
    if len(e) <= REPR_MAX_EDGES:
        lines = [np.asarray(g.coords)[:, :2] for g in e.geometry]
        svg = plan_svg(lines, [MODE_COLOURS.get(str(m), "#555555") for m in e["mode"]], width=260, height=160)
    return card(f"Network: {net.meta.get('source', '?')}", rows, svg=svg,
                note="rail purple, road orange; .explore() for a map")


def network_map(net: Any, *, tiles: str | None = "OpenStreetMap", m: Any = None,
                simplify_deg: float = 0.0005) -> Any:
    """An interactive folium map of the network (like ``GeoDataFrame.explore``), offline-capable.

    One layer per mode and status (rail purple, road orange; anything but
    active, and every modelled network, dashed). Lines are simplified for
    display by ``simplify_deg`` degrees (about 50 m). The map's notebook display
    inlines Leaflet, so it works with the network off (the tiles need it).
    """
    import shapely

    e = net.edges
    lines: list[ExploreLine] = []
    for (mode, status), grp in e.groupby(["mode", "status"], sort=True):
        geoms = shapely.simplify(grp.geometry.to_numpy(), simplify_deg)
        parts = [[[round(float(y), 5), round(float(x), 5)] for x, y in shapely.get_coordinates(g)]
                 for g in geoms if not g.is_empty]
        km = float(grp["length_m"].sum()) / 1000.0
        dashed = str(status) not in ("active", "") or bool(net.meta.get("modelled"))
        name = f"{mode}, {status} ({km:,.0f} km)"
        lines.append((parts, MODE_COLOURS.get(str(mode), "#555555"), dashed, name, name))
    return explore_map(lines, tiles=tiles, m=m)
