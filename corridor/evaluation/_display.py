"""Notebook displays of evaluated routes: :class:`RouteMetrics` and a comparison of several.

The HTML is a compact summary with the elevation profile as inline SVG, built
from :mod:`corridor._html` (every text escaped, no script, no external
reference) and labelled through :mod:`corridor._labels`, like the terminal,
map and report.

Examples
--------
>>> from shapely.geometry import LineString
>>> from corridor.evaluation import comparison, evaluate
>>> from corridor.route import Route
>>> m = evaluate(Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="<i>a</i>"))
>>> html = m._repr_html_()
>>> "&lt;i&gt;a&lt;/i&gt;" in html, "<svg" in html, "Length in Armenia" in html
(True, True, True)
>>> "<svg" in comparison([m])._repr_html_()
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from corridor._html import card, profile_svg, table_html
from corridor._labels import display_value, label
from corridor._types import UNITS
from corridor.evaluation.ranking import in_rank_order

__all__ = ["Comparison", "metrics_html"]

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f")
#: Figures of the one-route summary, in order (zeros of per-unit lengths are left out).
_KEYS = ("length_km", *(f"length_km_{u}" for u in UNITS), "length_km_new", "n_crossings", "crossings",
         "n_gauge_breaks", "max_grade", "over_ruling_km", "tunnel_km", "bridge_km", "time_h", "terrain_class")


def _svg(m: Any, colour: str, width: int = 360, height: int = 96) -> str:
    p = getattr(m, "profile", None)
    if p is None:
        return ""
    return profile_svg(p.distance_m, p.elevation_m, getattr(p, "ground_m", None), width=width, height=height,
                       colour=colour)


def _band(row: dict[str, Any]) -> str:
    return "–".join(f"{float(row[k]):,.0f}" for k in ("cost_low_musd", "cost_central_musd", "cost_high_musd"))


def metrics_html(m: Any, colour: str = _PALETTE[0]) -> str:
    """Compact summary of one :class:`RouteMetrics` with its profile as inline SVG."""
    row = m.as_row()
    rows = []
    for k in _KEYS:
        v = row.get(k)
        if v in (None, "") or (k.startswith("length_km_") and not v):
            continue
        rows.append((label(k), display_value(k, v, m.mode)))
    rows.append(("Construction cost (low–central–high)", f"{_band(row)} million USD"))
    title = f"{m.name} ({m.mode}" + (", modelled)" if m.modelled else ")")
    return card(title, rows, svg=_svg(m, colour),
                note=f"Network: {m.network_source}; DEM: {m.dem_source}")


class Comparison:
    """Evaluated routes side by side; in a notebook a ranked table with each profile as inline SVG.

    Attributes
    ----------
    metrics : list of RouteMetrics
        The routes, in the order given.
    table : pandas.DataFrame
        The comparison table (:func:`corridor.evaluation.table`), ``summary.csv``'s rows.
    """

    def __init__(self, metrics: Sequence[Any], table: Any) -> None:
        self.metrics = list(metrics)
        self.table = table

    def __repr__(self) -> str:
        return f"Comparison({len(self.metrics)} routes)"

    def _repr_html_(self) -> str:
        by_name = {str(m.name): (i, m) for i, m in enumerate(self.metrics)}
        rows = []
        for r in in_rank_order(self.table).to_dict(orient="records"):
            i, m = by_name[str(r["name"])]
            units = ", ".join(f"{u} {r[f'length_km_{u}']:,.0f}" for u in UNITS if r.get(f"length_km_{u}", 0) >= 0.5)
            rows.append([int(r["rank"]), r["name"] + (" (modelled)" if r.get("modelled") else ""), r["mode"],
                         display_value("length_km", r["length_km"]), units, int(r["n_border_stops"]),
                         display_value("max_grade", r["max_grade"], str(r["mode"])),
                         display_value("time_h", r["time_h"]), _band(r),
                         _svg(m, _PALETTE[i % len(_PALETTE)], width=220, height=60)])
        header = ["#", "Route", "Mode", "Length", "km by country", "Border stops", "Max grade", "Time",
                  "Cost, million USD (low–central–high)", "Elevation profile"]
        return ('<div class="corridor-repr" style="font:12px system-ui,sans-serif">'
                + table_html(header, rows, raw_columns=(9,)) + "</div>")
