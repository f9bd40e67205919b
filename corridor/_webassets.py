"""Offline web assets for saved maps: Leaflet, jQuery, Bootstrap, Font Awesome, folium plugins.

folium links its JavaScript and CSS from CDNs. A map sent to a minister must open
with no network at all, so :func:`inline_assets` replaces every such
``<script src=...>`` and ``<link rel="stylesheet" href=...>`` with the file's
content, inlined into the page. The content comes from the PyPI package
``folium-offline`` (MIT; import name ``offlinefolium``), which embeds the exact
files folium's CDN links point to (Leaflet 1.9.3, jQuery 3.7.1, Bootstrap 5.2.2,
Font Awesome 6.2.0, Leaflet.awesome-markers 2.0.2 and the plugins), with fonts
and images as data URIs. Nothing is downloaded at run time.

Examples
--------
>>> html = '<head><script src="https://code.jquery.com/jquery-3.7.1.min.js"></script></head>'
>>> out = inline_assets(html)
>>> "src=" in out, "jQuery" in out
(False, True)
>>> external_refs(out)
[]
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from corridor._errors import InvalidInputError, MissingDependencyError

log = logging.getLogger(__name__)

__all__ = ["asset", "external_refs", "inline_assets"]

_SCRIPT = re.compile(r"""<script\s+src=["'](https?://[^"']+)["'][^>]*>\s*</script>""", re.I)
_LINK = re.compile(r"""<link\s+[^>]*?href=["'](https?://[^"']+)["'][^>]*?/?>""", re.I)
_ANY = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)=["'](https?://[^"']+)["']""",
                  re.I)


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    try:
        from offlinefolium import elements, features
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependencyError(
            "offline maps need the package folium-offline; install it with "
            "`pip install folium-offline` or save with offline=False"
        ) from exc
    table: dict[str, str] = {}
    table.update(getattr(features, "_vres", {}))
    table.update(getattr(elements, "_res", {}))
    return table


def asset(url: str) -> str | None:
    """The content of a CDN asset folium links to, or ``None`` if it is not shipped.

    >>> "Leaflet" in (asset("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js") or "")
    True
    >>> asset("https://example.org/unknown.js") is None
    True
    """
    return _table().get(url)


def _js_block(code: str) -> str:
    # a literal "</script" inside inlined code would end the element early
    return "<script>" + re.sub(r"</(script)", r"<\\/\1", code, flags=re.I) + "</script>"


def _css_block(css: str) -> str:
    return "<style>" + re.sub(r"</(style)", r"<\\/\1", css, flags=re.I) + "</style>"


def inline_assets(html: str, *, strict: bool = True) -> str:
    """Replace CDN ``<script src>`` and stylesheet ``<link href>`` tags with inlined content.

    Parameters
    ----------
    html : str
        A full HTML page as rendered by folium.
    strict : bool
        If True, a remote script or stylesheet that is not shipped raises
        :class:`~corridor.InvalidInputError`; if False it is left as a link and
        logged (the page then needs the network for it).

    Returns
    -------
    str
        The page with no remote scripts or stylesheets.
    """

    def _script(mo: re.Match[str]) -> str:
        content = asset(mo.group(1))
        if content is None:
            return _missing(mo)
        return _js_block(content)

    def _link(mo: re.Match[str]) -> str:
        tag = mo.group(0)
        if not re.search(r"""rel=["']?stylesheet""", tag, re.I):
            return tag
        content = asset(mo.group(1))
        if content is None:
            return _missing(mo)
        return _css_block(content)

    def _missing(mo: re.Match[str]) -> str:
        if strict:
            raise InvalidInputError(
                f"the map links {mo.group(1)!r}, which has no offline copy; remove the plugin "
                "that needs it or save with offline=False"
            )
        log.warning("no offline copy of %s; the saved map needs the network for it", mo.group(1))
        return mo.group(0)

    return _LINK.sub(_link, _SCRIPT.sub(_script, html))


def external_refs(html: str) -> list[str]:
    """Remote URLs that scripts, stylesheets, images or frames in ``html`` would load.

    >>> external_refs('<img src="https://tile.example/1.png">')
    ['https://tile.example/1.png']
    """
    return _ANY.findall(html)
