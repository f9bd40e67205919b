"""Neutralising untrusted text (OSM names, scenario labels) for HTML, CSV and terminals.

Examples
--------
>>> html_text("<script>alert(1)</script>")
'&lt;script&gt;alert(1)&lt;/script&gt;'
>>> csv_cell("=HYPERLINK(1)")
"'=HYPERLINK(1)"
>>> clean_terminal("ok\\x1b[31mred\\x1b[0m")
'okred'
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["clean_terminal", "csv_cell", "html_text", "safe_filename"]

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def html_text(value: Any) -> str:
    """Escape any value for HTML element or attribute content."""
    return html.escape("" if value is None else str(value), quote=True)


def csv_cell(value: Any) -> Any:
    """Prefix a quote to strings that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def clean_terminal(value: Any) -> str:
    """Remove ANSI escape sequences and control characters (keeps newlines/tabs)."""
    s = _ANSI.sub("", "" if value is None else str(value))
    return _CTRL.sub("", s)


def safe_filename(name: Any, *, default: str = "item") -> str:
    """A file-name stem with no path separators, dots-only names or control characters.

    >>> safe_filename("../../etc/passwd")
    'etc_passwd'
    """
    s = clean_terminal(name)
    s = re.sub(r"[^\w\-. ]+", "_", s, flags=re.UNICODE).strip(" ._")
    s = re.sub(r"_+", "_", s.replace(" ", "_"))
    return s[:80] or default
