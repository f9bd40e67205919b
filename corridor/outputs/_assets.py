"""Offline web assets for saved maps (see :mod:`corridor._webassets`, where the code lives so
that the notebook maps of :meth:`corridor.route.Route.explore` can inline them too).

Examples
--------
>>> html = '<head><script src="https://code.jquery.com/jquery-3.7.1.min.js"></script></head>'
>>> external_refs(inline_assets(html))
[]
"""

from __future__ import annotations

from corridor._webassets import asset, external_refs, inline_assets

__all__ = ["asset", "external_refs", "inline_assets"]
