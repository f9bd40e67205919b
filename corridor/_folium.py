"""folium elements that show untrusted text only as data, never as template source, and the
small offline maps of ``Route.explore()`` and ``Network.explore()``.

See :func:`inert`. Used by :mod:`corridor.outputs.maps` for every element that
carries a route name, OSM name, published figure or file name, and for the
fixed scripts (legend, labels, route links) built in Python. :func:`explore_map`
draws lines and points with escaped tooltips into an :func:`offline_map`, whose
notebook display inlines Leaflet and the other web assets
(:mod:`corridor._webassets`), so it shows with the network off (tiles aside).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from corridor._errors import InvalidInputError
from corridor._text import html_text
from corridor._webassets import inline_assets

__all__ = ["ExploreLine", "ExplorePoint", "explore_map", "inert", "js_text", "offline_map"]

#: A line to explore: (parts as [[lat, lon], ...] lists, colour, dashed?, tooltip text, layer name).
ExploreLine = tuple[list[list[list[float]]], str, bool, str, str]
#: A point to explore: (lat, lon, tooltip text).
ExplorePoint = tuple[float, float, str]


def js_text(value: Any) -> str:
    """HTML-escape, and neutralise characters that matter inside JS template literals.

    >>> js_text("<b>`${x}`</b>")
    '&lt;b&gt;&#96;&#36;{x}&#96;&lt;/b&gt;'
    """
    return html_text(value).replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


@functools.lru_cache(maxsize=1)
def inert() -> SimpleNamespace:
    """folium elements whose rendered output is never parsed as a Jinja template again.

    branca's ``MacroElement.render`` (and folium's ``Popup.render``) wrap the
    text each element renders in ``Element(text)``, which *compiles that text as
    a template* and renders it a second time when the page is assembled. Any
    ``{{ }}``, ``{% %}`` or ``{# #}`` in a route name, status, published figure,
    DEM name or OSM name would then run as template code (or crash the render).
    The classes here add the rendered text as a :class:`Literal` instead, whose
    template is fixed (``{{ this.text }}``): the text is only ever data.
    Every element of :func:`route_map` that carries untrusted text (tooltips,
    popups, the layer control with the layer names, the legend script) is one of
    these.
    """
    import folium
    from branca.element import Element, Figure, MacroElement
    from jinja2 import Template

    class Literal(Element):
        """Finished HTML or JavaScript, emitted as is."""

        _template = Template("{{ this.text }}")

        def __init__(self, text: str) -> None:
            super().__init__()
            self._name = "Literal"
            self.text = text

    def _figure(el: Any) -> Any:
        figure = el.get_root()
        if not isinstance(figure, Figure):
            raise InvalidInputError("a map element can only be rendered inside a folium Map or Figure")
        return figure

    class InertMacro(MacroElement):
        """``MacroElement`` whose macro output is added as a :class:`Literal`."""

        def render(self, **kwargs: Any) -> str:
            figure = _figure(self)
            macros = self._template.module.__dict__
            for part in ("header", "html", "script"):
                macro = macros.get(part)
                if macro is not None:
                    getattr(figure, part).add_child(Literal(str(macro(self, kwargs))), name=self.get_name())
            for element in self._children.values():
                element.render(**kwargs)
            return ""

    class Tooltip(folium.Tooltip, InertMacro):
        """folium.Tooltip, rendered inertly; the text must already be :func:`_safe`."""

    class LayerControl(folium.LayerControl, InertMacro):
        """folium.LayerControl (layer names are untrusted), rendered inertly."""

    class Popup(folium.Popup):
        """folium.Popup, rendered inertly; the HTML must already be built from :func:`_safe` text."""

        def render(self, **kwargs: Any) -> str:
            for child in self._children.values():
                child.render(**kwargs)
            _figure(self).script.add_child(Literal(self._template.render(this=self, kwargs=kwargs)),
                                           name=self.get_name())
            return ""

    class Script(InertMacro):
        """Fixed JavaScript built in Python from the parent map's variable name."""

        _template = Template("{% macro script(this, kwargs) %}{{ this.code() }}{% endmacro %}")

        def __init__(self, build: Callable[[str], str]) -> None:
            super().__init__()
            self._name = "CorridorScript"
            self._build = build

        def code(self) -> str:
            if self._parent is None:
                raise InvalidInputError("a map script must be added to a folium Map before rendering")
            return self._build(self._parent.get_name())

    return SimpleNamespace(Literal=Literal, Tooltip=Tooltip, Popup=Popup, LayerControl=LayerControl,
                           Script=Script)


@functools.lru_cache(maxsize=1)
def _offline_map_class() -> type:
    import html

    import folium

    class OfflineMap(folium.Map):  # type: ignore[misc]
        """folium.Map whose notebook display inlines every web asset (works offline)."""

        def _repr_html_(self, **kwargs: Any) -> str:
            page = inline_assets(self.get_root().render())
            return ('<div style="width:100%"><iframe srcdoc="' + html.escape(page, quote=True)
                    + '" style="width:100%;height:460px;border:1px solid #ddd" '
                    'title="map" sandbox="allow-scripts"></iframe></div>')

    return OfflineMap


def offline_map(**kwargs: Any) -> Any:
    """A ``folium.Map`` (subclass) whose notebook display needs no network for its scripts."""
    return _offline_map_class()(**kwargs)


def explore_map(lines: Sequence[ExploreLine], points: Sequence[ExplorePoint] = (), *,
                tiles: str | None = "OpenStreetMap", m: Any = None) -> Any:
    """A folium map of lines and points with escaped tooltips, fitted to them.

    Parameters
    ----------
    lines : sequence of ExploreLine
        ``(parts, colour, dashed, tooltip, layer name)``; texts are untrusted.
    points : sequence of ExplorePoint
        ``(lat, lon, tooltip)``, drawn as small white discs.
    tiles : str or None
        folium tile layer name (shown when online); ``None`` for none.
    m : folium.Map, optional
        Draw into this map.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> m = explore_map([([[[38.9, 46.0], [38.9, 46.3]]], "#1f77b4", True, "<b>x</b>", "demo")], tiles=None)
    >>> html = m.get_root().render()
    >>> "&lt;b&gt;x&lt;/b&gt;" in html, "<b>x</b>" in html
    (True, False)
    """
    import folium

    ns = inert()
    if m is None:
        m = offline_map(tiles=None, control_scale=True)
        if tiles:
            folium.TileLayer(tiles, name=f"{tiles} tiles (online only)").add_to(m)
    lats: list[float] = []
    lons: list[float] = []
    for parts, colour, dashed, tip, name in lines:
        fg = folium.FeatureGroup(name=js_text(name), show=True)
        folium.PolyLine(parts, color=colour, weight=4, opacity=0.9, dash_array="8 6" if dashed else None,
                        tooltip=ns.Tooltip(js_text(tip))).add_to(fg)
        fg.add_to(m)
        for part in parts:
            lats += [p[0] for p in part]
            lons += [p[1] for p in part]
    if points:
        pts = folium.FeatureGroup(name="Waypoints", show=True)
        for lat, lon, tip in points:
            folium.CircleMarker([lat, lon], radius=5, color="#333333", weight=2, fill_color="#ffffff",
                                fill_opacity=1.0, tooltip=ns.Tooltip(js_text(tip))).add_to(pts)
            lats.append(lat)
            lons.append(lon)
        pts.add_to(m)
    ns.LayerControl(collapsed=True).add_to(m)
    if lats:
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    return m
