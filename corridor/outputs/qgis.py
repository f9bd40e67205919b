"""QGIS styles for the exported layers, and a QGIS project beside a GeoPackage.

:func:`layer_styles` builds one QML style per layer of :data:`corridor.outputs.export.LAYERS`
from the routes being written: routes and segments coloured by route (the
route colours of the map and charts), drawn dashed where the alignment is
modelled, border crossings as yellow discs with a black ring, waypoints as
white discs labelled with their names, profile points as small grey dots,
tunnels and bridges as wide lines in the structure colours of the profile
charts (grey tunnels, blue bridges), dashed where modelled.
:func:`write_layer_styles` stores them in the GeoPackage's ``layer_styles``
table the way QGIS does (an attribute table registered in ``gpkg_contents``,
one default style per layer), so QGIS opens every layer styled.

:func:`write_qgis_project` writes a ``.qgs`` project next to a GeoPackage: the
hillshade of the area (an RGBA GeoTIFF written beside it) under every layer,
each with its style, paths relative to the project so the folder can move.

Route names are untrusted text: they only ever become XML attribute or text
values through :mod:`xml.etree.ElementTree` (escaped), never part of a filter
expression; filters use the integer ``route_index``. Escaping is not enough for
XML 1.0, which forbids most control characters even as character references:
every attribute and text of a style or project passes through :func:`_xml_text`
(:func:`corridor._text.clean_text`, as for HTML and CSV, then whatever XML 1.0
still forbids) in one place, :func:`_xml_clean`, just before it is serialised.

Examples
--------
>>> from shapely.geometry import LineString
>>> from corridor.route import Route
>>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="demo")
>>> styles = layer_styles([r])
>>> sorted(styles) == sorted(["routes", "segments", "border_crossings", "waypoints", "profiles", "structures"])
True
>>> import xml.etree.ElementTree as ET
>>> ET.fromstring(styles["routes"]).find("renderer-v2").get("type")
'RuleRenderer'
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corridor._errors import InvalidInputError
from corridor._files import atomic_output
from corridor._text import clean_text
from corridor._types import BBox
from corridor.outputs.charts import STRUCT_COLOURS, route_colour
from corridor.outputs.relief import basemap_extent, write_hillshade_tif

log = logging.getLogger(__name__)

__all__ = ["QGIS_VERSION", "hillshade_extent", "layer_styles", "write_layer_styles", "write_qgis_project"]

#: The QGIS version the styles and project declare (read by every QGIS 3).
QGIS_VERSION = "3.28.0-Firenze"
_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
_GEOMETRY = {"routes": ("Line", 1), "segments": ("Line", 1), "border_crossings": ("Point", 0),
             "waypoints": ("Point", 0), "profiles": ("Point", 0), "structures": ("Line", 1)}
_TITLES = {"routes": "Routes", "segments": "Route segments", "border_crossings": "Border crossings",
           "waypoints": "Waypoints", "profiles": "Profile points", "structures": "Tunnels and bridges"}
_CROSSING = ("#ffd166", "#000000")
_WAYPOINT = ("#ffffff", "#333333")
# Characters outside XML 1.0's Char production (#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
# [#x10000-#x10FFFF]): not allowed in a document at all, escaped or not.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: Any) -> str:
    """Untrusted text for an XML 1.0 attribute or text: :func:`corridor._text.clean_text`, then what XML forbids.

    >>> _xml_text("x \\x1b[2J \\x07\\ufffe")
    'x  '
    """
    return _XML_FORBIDDEN.sub("", clean_text(value))


def _xml_clean(root: ET.Element) -> ET.Element:
    """``root`` with every attribute value and text under it passed through :func:`_xml_text` (in place)."""
    for el in root.iter():
        for key, value in list(el.attrib.items()):
            el.set(key, _xml_text(value))
        if el.text is not None:
            el.text = _xml_text(el.text)
        if el.tail is not None:
            el.tail = _xml_text(el.tail)
    return root


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _props(parent: ET.Element, props: dict[str, str]) -> None:
    for k, v in props.items():
        ET.SubElement(parent, "prop", k=k, v=v)


def _line_symbol(name: str, colour: str, *, dashed: bool, width: float) -> ET.Element:
    sym = ET.Element("symbol", type="line", name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(sym, "layer", attrib={"class": "SimpleLine", "enabled": "1", "locked": "0",
                                                "pass": "0"})
    _props(layer, {"line_color": _rgba(colour), "line_width": f"{width:g}", "line_width_unit": "MM",
                   "line_style": "solid", "capstyle": "round", "joinstyle": "round",
                   "use_custom_dash": "1" if dashed else "0", "customdash": "3;2",
                   "customdash_unit": "MM"})
    return sym


def _marker_symbol(name: str, fill: str, outline: str, size: float) -> ET.Element:
    sym = ET.Element("symbol", type="marker", name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(sym, "layer", attrib={"class": "SimpleMarker", "enabled": "1", "locked": "0",
                                                "pass": "0"})
    _props(layer, {"name": "circle", "color": _rgba(fill), "outline_color": _rgba(outline),
                   "outline_width": "0.4", "outline_width_unit": "MM", "size": f"{size:g}",
                   "size_unit": "MM", "outline_style": "solid"})
    return sym


def _rule_renderer(rules: list[tuple[str, str, ET.Element]]) -> ET.Element:
    """A rule-based renderer: (filter, label, symbol) per rule."""
    r = ET.Element("renderer-v2", type="RuleRenderer", symbollevels="0", forceraster="0", enableorderby="0")
    root = ET.SubElement(r, "rules", key="root")
    syms = ET.SubElement(r, "symbols")
    for k, (flt, label, sym) in enumerate(rules):
        ET.SubElement(root, "rule", key=f"rule{k}", filter=flt, label=label, symbol=str(k))
        sym.set("name", str(k))
        syms.append(sym)
    return r


def _single_renderer(sym: ET.Element) -> ET.Element:
    r = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0", enableorderby="0")
    syms = ET.SubElement(r, "symbols")
    sym.set("name", "0")
    syms.append(sym)
    return r


def _labeling(field: str) -> ET.Element:
    lab = ET.Element("labeling", type="simple")
    settings = ET.SubElement(lab, "settings", calloutType="simple")
    style = ET.SubElement(settings, "text-style", fieldName=field, isExpression="0", fontSize="9",
                          fontSizeUnit="Point", textColor="0,0,0,255", fontFamily="Sans Serif",
                          namedStyle="Regular", textOpacity="1")
    ET.SubElement(style, "text-buffer", bufferDraw="1", bufferSize="0.8", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="0.9")
    ET.SubElement(settings, "placement", placement="0", dist="1.5", distUnits="MM", quadOffset="2")
    ET.SubElement(settings, "rendering", drawLabels="1", obstacle="1", scaleVisibility="0")
    return lab


def _renderers(layer: str, routes: Sequence[Any]) -> tuple[ET.Element, ET.Element | None]:
    """(renderer-v2, labeling or None) of one layer."""
    if layer in ("routes", "segments"):
        rules = []
        width = 1.2 if layer == "routes" else 0.9
        for i, route in enumerate(routes):
            colour = route_colour(i)
            name = str(route.name)
            if layer == "routes":
                dashed = bool(route.modelled)
                rules.append((f'"route_index" = {i}', name + (" (modelled)" if dashed else ""),
                              _line_symbol("", colour, dashed=dashed, width=width)))
            else:
                rules.append((f'"route_index" = {i} AND NOT "modelled"', name,
                              _line_symbol("", colour, dashed=False, width=width)))
                rules.append((f'"route_index" = {i} AND "modelled"', f"{name} (modelled)",
                              _line_symbol("", colour, dashed=True, width=width)))
        return _rule_renderer(rules), None
    if layer == "structures":
        return _rule_renderer([
            (f"\"kind\" = '{kind}' AND {'' if modelled else 'NOT '}\"modelled\"",
             kind.capitalize() + "s" + (" (modelled)" if modelled else ""),
             _line_symbol("", STRUCT_COLOURS[kind], dashed=modelled, width=2.2))
            for kind in ("tunnel", "bridge") for modelled in (False, True)]), None
    if layer == "border_crossings":
        return _single_renderer(_marker_symbol("", *_CROSSING, 3.2)), None
    if layer == "waypoints":
        return _single_renderer(_marker_symbol("", *_WAYPOINT, 2.4)), _labeling("name")
    return _single_renderer(_marker_symbol("", "#888888", "#888888", 0.6)), None


def _style_element(layer: str, routes: Sequence[Any]) -> ET.Element:
    q = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology|Labeling")
    renderer, labeling = _renderers(layer, routes)
    q.append(renderer)
    if labeling is not None:
        q.append(labeling)
    ET.SubElement(q, "layerGeometryType").text = str(_GEOMETRY[layer][1])
    return _xml_clean(q)


def layer_styles(routes: Any) -> dict[str, str]:
    """QML style (an XML document) of each export layer, for these routes in this order."""
    routes = [routes] if hasattr(routes, "segments") else list(routes)
    return {layer: _DOCTYPE + ET.tostring(_style_element(layer, routes), encoding="unicode")
            for layer in _GEOMETRY}


def _geometry_columns(gpkg: Path) -> dict[str, str]:
    con = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    try:
        return {str(t): str(c) for t, c in con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")}
    finally:
        con.close()


def write_layer_styles(gpkg: str | Path, routes: Any) -> None:
    """Store the QML styles of :func:`layer_styles` in the GeoPackage's ``layer_styles`` table.

    The table has the columns QGIS creates and reads (``f_table_name``,
    ``f_geometry_column``, ``styleName``, ``styleQML``, ``useAsDefault`` ...)
    and is written through GDAL like any other table of the file. Call it on a
    file no one else is reading (e.g. the temporary file of an atomic write).
    """
    import pandas as pd
    import pyogrio

    path = Path(gpkg)
    geom = _geometry_columns(path)
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0, tzinfo=None)
    rows = [{"f_table_catalog": "", "f_table_schema": "", "f_table_name": layer,
             "f_geometry_column": geom[layer], "styleName": layer, "styleQML": qml, "styleSLD": "",
             "useAsDefault": True, "description": f"corridor: {_TITLES[layer]}", "owner": "", "ui": "",
             "update_time": now}
            for layer, qml in layer_styles(routes).items() if layer in geom]
    pyogrio.write_dataframe(pd.DataFrame(rows), path, layer="layer_styles", driver="GPKG")


def hillshade_extent(routes: Sequence[Any]) -> BBox:
    """The area the project's hillshade covers: the region pack and the routes plus a margin."""
    if not routes:
        raise InvalidInputError("a QGIS project needs at least one route")
    b = [r.segments.total_bounds for r in routes]
    return basemap_extent(BBox(min(x[0] for x in b), min(x[1] for x in b), max(x[2] for x in b),
                               max(x[3] for x in b)))


def _srs(parent: ET.Element) -> None:
    """A ``spatialrefsys`` element of EPSG:4326 under ``parent``."""
    from pyproj import CRS

    crs = CRS.from_epsg(4326)
    ref = ET.SubElement(parent, "spatialrefsys")
    for tag, text in (("wkt", crs.to_wkt()), ("proj4", "+proj=longlat +datum=WGS84 +no_defs"),
                      ("srsid", "3452"), ("srid", "4326"), ("authid", "EPSG:4326"),
                      ("description", "WGS 84"), ("projectionacronym", "longlat"),
                      ("ellipsoidacronym", "EPSG:7030"), ("geographicflag", "true")):
        ET.SubElement(ref, tag).text = text


def _maplayer(lid: str, kind: str, source: str, name: str, provider: str, geometry: str | None) -> ET.Element:
    ml = ET.Element("maplayer", type=kind)
    if geometry:
        ml.set("geometry", geometry)
    ET.SubElement(ml, "id").text = lid
    ET.SubElement(ml, "datasource").text = source
    ET.SubElement(ml, "layername").text = name
    _srs(ET.SubElement(ml, "srs"))
    ET.SubElement(ml, "provider", encoding="UTF-8").text = provider
    return ml


def _check_linkable(file: Path) -> None:
    """Refuse a file whose name the project could only link after cleaning (the link would break)."""
    if _xml_text(file.name) != file.name:
        raise InvalidInputError(f"the project cannot link {str(file)!r}: its name has control or "
                                "direction characters; rename the file")


def write_qgis_project(path: str | Path, gpkg: str | Path, routes: Any, *, dem: Any = None,
                       hillshade: str | Path | None = None, title: str = "Corridor comparison") -> Path:
    """Write a QGIS project (``.qgs``) showing a GeoPackage's layers, styled, over a hillshade.

    Parameters
    ----------
    path : str or Path
        The ``.qgs`` file (replaced atomically); it must be in the folder of ``gpkg``.
    gpkg : str or Path
        A GeoPackage written by :func:`corridor.outputs.write_layers`.
    routes : Route or sequence of Route
        The routes in that file, in the same order (for the styles).
    dem : None, path or corridor.terrain.DEM
        DEM for the hillshade (default: the embedded GLOBE DEM). The hillshade
        covers the region pack and the routes, and is written beside the project
        as ``<project name>-hillshade.tif``.
    hillshade : str or Path, optional
        An existing hillshade raster in the project's folder to use instead
        (e.g. from :func:`corridor.outputs.relief.write_hillshade_tif`).
    title : str
        Project title.

    Returns
    -------
    Path
    """
    import pyogrio

    target, source = Path(path), Path(gpkg)
    if target.suffix.lower() != ".qgs":
        raise InvalidInputError(f"a QGIS project needs the suffix .qgs, got {str(target)!r}")
    if target.resolve().parent != source.resolve().parent:
        raise InvalidInputError("write the QGIS project into the folder of its GeoPackage (paths are relative)")
    routes = [routes] if hasattr(routes, "segments") else list(routes)
    _check_linkable(source)
    present = [str(n) for n, _ in pyogrio.list_layers(source)]
    extent = hillshade_extent(routes)
    if hillshade is None:
        tif = target.with_name(f"{target.stem}-hillshade.tif")
        _check_linkable(tif)
        write_hillshade_tif(tif, extent, dem)
    else:
        tif = Path(hillshade)
        if tif.resolve().parent != target.resolve().parent or not tif.is_file():
            raise InvalidInputError(f"the hillshade {str(tif)!r} must be a file in the project's folder")
        _check_linkable(tif)

    q = ET.Element("qgis", projectname=title, version=QGIS_VERSION)
    ET.SubElement(q, "title").text = title
    _srs(ET.SubElement(q, "projectCrs"))
    tree = ET.SubElement(q, "layer-tree-group")
    layers = ET.SubElement(q, "projectlayers")
    order = ET.SubElement(q, "layerorder")
    stack = [name for name in ("border_crossings", "waypoints", "structures", "routes", "segments", "profiles")
             if name in present]
    for name in stack:
        lid = f"corridor_{name}"
        src = f"./{source.name}|layername={name}"
        ET.SubElement(tree, "layer-tree-layer", id=lid, name=_TITLES[name], source=src, providerKey="ogr",
                      checked="Qt::Unchecked" if name in ("segments", "profiles") else "Qt::Checked",
                      expanded="1")
        ml = _maplayer(lid, "vector", src, _TITLES[name], "ogr", _GEOMETRY[name][0])
        for child in _style_element(name, routes):
            if child.tag != "layerGeometryType":
                ml.append(child)
        layers.append(ml)
        ET.SubElement(order, "layer", id=lid)
    lid = "corridor_hillshade"
    ET.SubElement(tree, "layer-tree-layer", id=lid, name="Hillshade (offline basemap)",
                  source=f"./{tif.name}", providerKey="gdal", checked="Qt::Checked", expanded="0")
    ml = _maplayer(lid, "raster", f"./{tif.name}", "Hillshade (offline basemap)", "gdal", None)
    pipe = ET.SubElement(ml, "pipe")
    ET.SubElement(pipe, "rasterrenderer", type="multibandcolor", opacity="1", alphaBand="4", redBand="1",
                  greenBand="2", blueBand="3")
    layers.append(ml)
    ET.SubElement(order, "layer", id=lid)
    props = ET.SubElement(ET.SubElement(q, "properties"), "Paths")
    ET.SubElement(props, "Absolute", type="bool").text = "false"
    text = _DOCTYPE + ET.tostring(_xml_clean(q), encoding="unicode")
    with atomic_output(target, suffix=".qgs") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
