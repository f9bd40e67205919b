"""The comparison report: one self-contained HTML file to send to a minister.

:func:`write_report` writes a single HTML file with no outside references: the
comparison table, the comparison chart, the interactive map (inlined with its
assets in an ``<iframe srcdoc>``, so it works offline), an elevation-profile
chart and the border crossings per route, published figures with their
sources, the modelled-vs-published table (% difference and source per figure;
figures without a modelled counterpart listed as such), the DEM-uncertainty
band of tunnel km, bridge km and central cost beside the unit-cost band, with
what it means, data provenance and the attributions the data licences require
(OpenStreetMap ODbL, GeoNames CC BY 4.0, NOAA GLOBE). Every text that comes
from OSM, scenario files or the provenance is HTML-escaped. Modelled routes are
labelled "modelled".

Examples
--------
>>> import tempfile, pandas as pd
>>> from shapely.geometry import LineString
>>> from corridor.route import Route
>>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="demo")
>>> t = pd.DataFrame({"name": ["demo"], "length_km": [r.length_m / 1000]})
>>> out = write_report(tempfile.mkdtemp() + "/report.html", [r], None, t,
...                    provenance={"network": "none"}, basemap="none")
>>> text = out.read_text(encoding="utf-8")
>>> "ODbL" in text and "GeoNames" in text and "GLOBE" in text
True
"""

from __future__ import annotations

import datetime as _dt
import html as _html
import json
import logging
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corridor._errors import InvalidInputError
from corridor._labels import label_with_unit, published_unit, published_value
from corridor._text import html_text
from corridor._version import __version__
from corridor.evaluation.published import USD_PER_EUR_SOURCE, published_table
from corridor.evaluation.ranking import in_rank_order
from corridor.evaluation.uncertainty_bands import MEANING
from corridor.outputs.charts import (
    comparison_png,
    format_metric,
    png_data_uri,
    profile_png_bytes,
    route_colour,
)
from corridor.outputs.export import atomic_output, border_crossings
from corridor.outputs.maps import map_html, route_map

log = logging.getLogger(__name__)

__all__ = ["ATTRIBUTIONS", "KEY_COLUMNS", "LINK_SCRIPT", "write_report"]

#: Attributions required by the licences of the data the report shows.
ATTRIBUTIONS: tuple[tuple[str, str], ...] = (
    ("OpenStreetMap", "Boundary data, and network data where the network is OpenStreetMap (the embedded "
                      "reference network is modelled, not OSM), © OpenStreetMap contributors, available under "
                      "the Open Database License (ODbL 1.0); boundaries prepared by geo-maps (Simone Primarosa)."),
    ("GeoNames", "Place names and coordinates from GeoNames (geonames.org), licensed CC BY 4.0; "
                 "curated coordinates from the cited Wikipedia articles (CC BY-SA 4.0)."),
    ("GLOBE", "Elevation: GLOBE Task Team et al. (1999), The Global Land One-kilometer Base Elevation "
              "(GLOBE) Digital Elevation Model, Version 1.0, NOAA National Geophysical Data Center "
              "(public domain)."),
    ("Software", "Map drawn with Leaflet (BSD-2-Clause) through folium (MIT); web assets shipped by "
                 "folium-offline (MIT)."),
)

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1180px;
padding:16px 24px;color:#222}
h1{font-size:24px;margin:8px 0}h2{font-size:19px;margin:26px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:16px;margin:18px 0 6px}
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right}
th{background:#f4f4f4}td.t,th.t{text-align:left}.scroll{overflow-x:auto}
td.t{min-width:9em}.badge{display:inline-block;background:#fde2c4;color:#7a3e00;border-radius:3px;padding:0 5px;font-size:12px}
.note{color:#555;font-size:12px}iframe{width:100%;height:620px;border:1px solid #ccc}
img{max-width:100%}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:13px}
dt{font-weight:600}dd{margin:0;word-break:break-word}
tr[data-route]{cursor:pointer}tr.corridor-selected td{background:#fff3b0}
"""


def _fmt(col: str, v: Any, mode: str = "") -> str:
    if v is None:
        return ""
    text = format_metric(col, v, mode)
    return html_text(v) if text is None else text


#: Columns of the headline table (those present are shown, in this order); the full table follows.
KEY_COLUMNS = ("rank", "name", "mode", "length_km", "length_km_new", "n_crossings", "crossings",
               "n_gauge_breaks", "max_grade", "over_ruling_km", "tunnel_km", "bridge_km", "time_h",
               "cost_low_musd", "cost_central_musd", "cost_high_musd", "terrain_class", "score")


#: The report's one script: clicking a table row highlights that route on the embedded map, and
#: clicking a route on the map highlights its rows. Fixed text; messages carry a route number only.
LINK_SCRIPT = (
    "(function () {"
    "var frame = document.getElementById('corridor-map');"
    "var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-route]'));"
    "function mark(i) { var first = null; rows.forEach(function (r) {"
    "  var on = Number(r.getAttribute('data-route')) === i; r.classList.toggle('corridor-selected', on);"
    "  if (on && !first) { first = r; } }); return first; }"
    "rows.forEach(function (r) { r.addEventListener('click', function () {"
    "  var i = Number(r.getAttribute('data-route')); mark(i);"
    "  if (frame && frame.contentWindow) { frame.contentWindow.postMessage({corridor: 'route', index: i}, '*'); }"
    "}); });"
    "window.addEventListener('message', function (e) {"
    "  if (!frame || e.source !== frame.contentWindow) { return; }"
    "  var d = e.data; if (!d || d.corridor !== 'route' || typeof d.index !== 'number') { return; }"
    "  var r = mark(d.index); if (r) { r.scrollIntoView({block: 'nearest'}); } });"
    "})();"
)


def _table_html(table: Any, columns: Sequence[str] | None = None,
                route_index: Mapping[str, int] | None = None) -> str:
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise InvalidInputError(f"table must be a pandas DataFrame (from compare()), got {type(table).__name__}")
    df = table.reset_index() if "name" not in table.columns and table.index.name else table
    cols = [c for c in columns if c in df.columns] if columns is not None else list(df.columns)
    modes = set(df["mode"].astype(str)) if "mode" in df.columns else set()
    table_mode = next(iter(modes)) if len(modes) == 1 else ("mixed" if modes else "")  # grades: ‰ rail, % road
    head = "".join(f'<th class="{"t" if df[c].dtype == object or str(df[c].dtype) == "str" else ""}" '
                   f'title="{html_text(c)}">{html_text(label_with_unit(str(c), table_mode))}</th>' for c in cols)
    body = []
    for _, row in df.iterrows():
        mode = str(row.get("mode", ""))
        cells = []
        for c in cols:
            v = row[c]
            text = _fmt(str(c), v, mode)
            if c == "name" and bool(row.get("modelled", False)):
                text += ' <span class="badge">modelled</span>'
            cls = ' class="t"' if isinstance(v, str) else ' style="white-space:nowrap"'
            cells.append(f"<td{cls}>{text}</td>")
        idx = (route_index or {}).get(str(row.get("name", "")))
        attr = f' data-route="{int(idx)}" title="click to show on the map"' if idx is not None else ""
        body.append(f"<tr{attr}>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _dl(items: Mapping[str, Any]) -> str:
    rows = []
    for k, v in items.items():
        if isinstance(v, (Mapping, list, tuple)):
            v = json.dumps(v, ensure_ascii=False, indent=1, default=str)
        rows.append(f"<dt>{html_text(k)}</dt><dd>{html_text(v)}</dd>")
    return "<dl>" + "".join(rows) + "</dl>"


def _route_section(i: int, route: Any, met: Any) -> str:
    colour = route_colour(i)
    name = html_text(route.name)
    modelled = bool(route.modelled) or bool(met is not None and met.as_row().get("modelled", False))
    out = [f'<h3 style="color:{colour}">{name}'
           + (' <span class="badge">modelled</span>' if modelled else "") + "</h3>"]
    desc = route.meta.get("description")
    if desc:
        out.append(f"<p>{html_text(desc)}</p>")
    facts = {"mode": route.mode, "length (km)": f"{route.length_m / 1000:.1f}",
             "units": " → ".join(u or "?" for u in route.unit_sequence()),
             "waypoints": " – ".join(p.name for p in route.waypoints), "source": route.source}
    if route.meta.get("status"):
        facts["status"] = route.meta["status"]
    out.append(_dl(facts))
    prof = getattr(met, "profile", None) if met is not None else None
    if prof is not None and np.asarray(getattr(prof, "distance_m", [])).size >= 2:
        png = profile_png_bytes(prof, title=f"{route.name} — elevation profile", colour=colour,
                                size=(9.0, 2.6), dpi=100, route=route)
        out.append(f'<img alt="elevation profile of {name}" src="{png_data_uri(png)}">')
    else:
        out.append('<p class="note">No elevation profile.</p>')
    crossings = border_crossings(route, met)
    if crossings:
        out.append("<p><b>Border crossings</b></p><ul>")
        for c in crossings:
            known = f" — {html_text(c.get('known_name'))}" if c.get("known_name") else ""
            out.append(f"<li>{html_text(c.get('from_unit'))} → {html_text(c.get('to_unit'))} at km "
                       f"{float(c.get('distance_km', 0)):.1f} ({float(c['lat']):.4f}° N, "
                       f"{float(c['lon']):.4f}° E){known}</li>")
        out.append("</ul>")
    pub = [p for p in route.meta.get("published") or [] if isinstance(p, Mapping)]
    if pub:
        out.append("<p><b>Published figures</b> (as reported; not model output)</p><ul>")
        for p in pub:
            out.append(f"<li>{html_text(p.get('figure', ''))}: {html_text(published_value(p.get('value', '')))} "
                       f"{html_text(published_unit(p.get('unit', '')))} — <i>{html_text(p.get('source', ''))}</i></li>")
        out.append("</ul>")
    return "".join(out)


def _number(v: Any, fmt: str) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return html_text(v)
    return fmt.format(x) if np.isfinite(x) else ""


def _published_html(pub: Any) -> str:
    """The modelled-vs-published table (every text escaped)."""
    if pub is None or len(pub) == 0:
        return "<p class='note'>No published figures for these routes.</p>"
    head = "".join(f'<th class="{c}">{html_text(h)}</th>' for c, h in (
        ("t", "route"), ("t", "figure"), ("", "modelled"), ("", "published"), ("t", "unit"), ("", "% difference"),
        ("t", "source"), ("t", "note")))
    body = []
    for _, r in pub.iterrows():
        diff = _number(r["diff_pct"], "{:+,.1f} %")
        body.append(
            f"<tr><td class='t'>{html_text(r['route'])}</td><td class='t'>{html_text(r['figure'])}</td>"
            f"<td>{_number(r['modelled'], '{:,.1f}')}</td><td>{html_text(published_value(r['published']))}</td>"
            f"<td class='t'>{html_text(published_unit(r['unit']))}</td><td>{diff}</td>"
            f"<td class='t'><i>{html_text(r['source'])}</i></td><td class='t'>{html_text(r['note'])}</td></tr>")
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            "</table></div><p class='note'>% difference = (modelled − published) / published. Costs in euros "
            f"are converted at the rate in each figure's note (default {html_text(USD_PER_EUR_SOURCE)}). Published figures are as reported and "
            "disagree with each other at times; treat them as bands.</p>")


def _unrouted_html(unrouted: Sequence[tuple[str, str]], published: Any) -> str:
    """The scenarios left out of the comparison, each with its reason (escaped); whether their published
    figures are in the modelled-vs-published table is said only where they are."""
    if not unrouted:
        return ""
    items = "".join(f"<li><b>{html_text(name)}</b>: {html_text(why)}</li>" for name, why in unrouted)
    listed = published is not None and "route" in getattr(published, "columns", ()) and all(
        name in set(published["route"].astype(str)) for name, _why in unrouted)
    where = ("; their published figures are listed below with no modelled value" if listed else "")
    return f"<p><b>Not routed</b> (left out of the table{where}):</p><ul class='unrouted'>{items}</ul>"


def _band_html(table: Any, metrics: Sequence[Any] | None) -> str:
    """Tunnel km, bridge km and central cost: reported figure, DEM P10–P90 band, unit-cost band."""
    if "dem_band" not in getattr(table, "columns", ()):
        return "<p class='note'>No DEM-uncertainty band in this table.</p>"
    band = next((m.dem_band for m in metrics or () if getattr(m, "dem_band", None) is not None
                 and m.dem_band.n_ok > 0), None)
    meaning = (band.meaning() if band is not None else
               MEANING.format(n="N", sigma="the DEM's documented error", corr="its correlation length"))
    head = "".join(f'<th class="{c}">{html_text(h)}</th>' for c, h in (
        ("t", "route"), ("", "tunnels km"), ("", "DEM P10–P90"), ("", "bridges km"), ("", "DEM P10–P90"),
        ("", "central cost M USD"), ("", "DEM P10–P90"), ("", "unit-cost low–high"), ("t", "band")))
    def rng(r: Any, col: str, fmt: str) -> str:
        lo, hi = _number(r.get(f"{col}_dem_p10"), fmt), _number(r.get(f"{col}_dem_p90"), fmt)
        return f"{lo}–{hi}" if lo and hi else "–"

    body = []
    for _, r in table.iterrows():
        body.append(
            f"<tr><td class='t'>{html_text(r.get('name', ''))}</td>"
            f"<td>{_number(r.get('tunnel_km'), '{:,.1f}')}</td><td>{rng(r, 'tunnel_km', '{:,.1f}')}</td>"
            f"<td>{_number(r.get('bridge_km'), '{:,.1f}')}</td><td>{rng(r, 'bridge_km', '{:,.1f}')}</td>"
            f"<td>{_number(r.get('cost_central_musd'), '{:,.0f}')}</td>"
            f"<td>{rng(r, 'cost_central_musd', '{:,.0f}')}</td>"
            f"<td>{_number(r.get('cost_low_musd'), '{:,.0f}')}–{_number(r.get('cost_high_musd'), '{:,.0f}')}</td>"
            f"<td class='t'>{html_text(r.get('dem_band', ''))}</td></tr>")
    return (f"<p>{html_text(meaning)}</p>"
            f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            "</table></div>")


def write_report(path: str | Path, routes: Sequence[Any], metrics: Sequence[Any] | None, table: Any, *,
                 provenance: Mapping[str, Any], basemap: str = "auto", dem: Any = None,
                 title: str = "Corridor comparison", published: Any = None,
                 unrouted: Sequence[tuple[str, str]] = ()) -> Path:
    """Write the comparison report as one self-contained HTML file.

    Parameters
    ----------
    path : str or Path
        Output ``.html`` file (replaced atomically).
    routes : sequence of Route
        The compared routes.
    metrics : sequence of RouteMetrics or None
        One per route, aligned (profiles, crossings, popup tables).
    table : pandas.DataFrame
        The comparison table from :func:`corridor.evaluation.compare`. The report's tables list its
        routes best rank first, as the terminal does (:func:`corridor.evaluation.in_rank_order`); the
        chart, map and route sections keep the order of ``routes``, whose colours they share.
    provenance : mapping
        Data provenance to print (network source, extract date, DEM, cost
        parameters ...); values may be nested.
    basemap : str
        Basemap of the embedded map, see :func:`corridor.outputs.route_map`.
    dem : None, path or corridor.terrain.DEM
        DEM for the map's hillshade.
    title : str
        Report title.
    published : pandas.DataFrame, optional
        The modelled-vs-published table; default
        :func:`corridor.evaluation.published.published_table` of ``metrics``.
    unrouted : sequence of (str, str)
        ``(scenario name, reason)`` of scenarios that could not be routed: listed under the table.

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from shapely.geometry import LineString
    >>> from corridor.evaluation import evaluate, table
    >>> from corridor.route import Route
    >>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="demo")
    >>> m = evaluate(r)
    >>> out = write_report(Path(tempfile.mkdtemp()) / "report.html", [r], [m], table([m]),
    ...                    provenance={"dem": "GLOBE 30"}, basemap="none")
    >>> out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    """

    routes = [routes] if hasattr(routes, "segments") else list(routes)
    if not routes:
        raise InvalidInputError("write_report needs at least one route")
    if metrics is not None and len(metrics) != len(routes):
        raise InvalidInputError(f"got {len(routes)} routes but {len(metrics)} metrics; "
                                "pass one RouteMetrics per route, in the same order")
    if not isinstance(provenance, Mapping):
        raise InvalidInputError("provenance must be a mapping of name -> value")
    index = {str(r.name): i for i, r in enumerate(routes)}
    ranked = in_rank_order(table)  # the tables read best rank first, as the terminal's; the chart keeps route order
    table_html = (_table_html(ranked, KEY_COLUMNS, index)
                  + "<details><summary>All columns</summary>" + _table_html(ranked, None, index) + "</details>")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            chart = png_data_uri(comparison_png(Path(tmp) / "comparison.png", table).read_bytes())
            chart_html = f'<img alt="comparison chart" src="{chart}">'
        except InvalidInputError as exc:
            log.warning("no comparison chart: %s", exc)
            chart_html = ""
    m = route_map(routes, metrics=metrics, basemap=basemap, dem=dem)
    srcdoc = _html.escape(map_html(m, offline=True), quote=True)
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    any_modelled = any(bool(r.modelled) for r in routes)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html_text(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html_text(title)}</h1>",
        f"<p class='note'>Generated {now} by corridor {html_text(__version__)}. Lengths are geodesic "
        "(WGS84); costs are order-of-magnitude bands from published unit costs, not engineering "
        "estimates.</p>",
    ]
    if any_modelled:
        parts.append("<p><span class='badge'>modelled</span> marks routes that use modelled alignments "
                     "or the modelled reference network; they are drawn dashed on the map.</p>")
    if published is None and metrics is not None:
        published = published_table(metrics)
    parts += ["<h2>Comparison</h2>", table_html, _unrouted_html(unrouted, published), chart_html,
              "<h2>Modelled vs published</h2>", _published_html(published),
              "<h2>DEM uncertainty</h2>", _band_html(ranked, metrics),
              "<h2>Map</h2>",
              "<p class='note'>Works offline: the hillshade is the basemap; OpenStreetMap tiles show "
              "only when online. Use the layer control to colour routes by grade class. Click a route to "
              "highlight its row in the table above, or a row to highlight its route.</p>",
              f'<iframe title="route map" id="corridor-map" srcdoc="{srcdoc}"></iframe>',
              "<h2>Routes</h2>"]
    for i, route in enumerate(routes):
        parts.append(_route_section(i, route, metrics[i] if metrics is not None else None))
    parts += ["<h2>Data provenance</h2>", _dl(provenance) if provenance else "<p>none given</p>",
              "<h2>Attributions</h2><ul>"]
    parts += [f"<li><b>{html_text(k)}</b>: {html_text(v)}</li>" for k, v in ATTRIBUTIONS]
    parts.append(f"</ul><script id='corridor-links'>{LINK_SCRIPT}</script></body></html>")
    with atomic_output(path, suffix=".html") as tmp_path:
        tmp_path.write_text("".join(parts), encoding="utf-8")
    return Path(path)
