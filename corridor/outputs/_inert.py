"""folium elements that show untrusted text only as data, never as template source.

See :func:`inert`. Used by :mod:`corridor.outputs.maps` for every element that
carries a route name, OSM name, published figure or file name, and for the
fixed scripts (legend, labels, route links) built in Python.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from corridor._errors import InvalidInputError

__all__ = ["inert"]


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
