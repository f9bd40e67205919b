"""Stage 9, outputs: map layers, interactive maps, charts and the HTML report.

Every writer takes ``(path, routes, ...)`` and writes atomically
(:func:`atomic_output`); untrusted text (names, OSM tags, file names) is shown
literally and inertly in every output.
"""

from __future__ import annotations

from corridor.outputs.charts import comparison_png, profiles_png
from corridor.outputs.export import FORMATS, LAYERS, atomic_output, layers, write_layers
from corridor.outputs.maps import BASEMAPS, hillshade, map_html, route_map, save_map
from corridor.outputs.qgis import write_qgis_project
from corridor.outputs.report import write_report

__all__ = [
    "BASEMAPS",
    "FORMATS",
    "LAYERS",
    "atomic_output",
    "comparison_png",
    "hillshade",
    "layers",
    "map_html",
    "profiles_png",
    "route_map",
    "save_map",
    "write_layers",
    "write_qgis_project",
    "write_report",
]
