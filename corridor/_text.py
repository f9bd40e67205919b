"""Neutralising untrusted text (OSM names, scenario labels) for HTML, CSV, terminals and paths.

OSM names and refs are written by anyone; scenario names come from hand-written
files. Before such text reaches an output, pass it through the matching function:

========================  ===========================================================
:func:`html_text`         HTML element and attribute content (maps, report)
:func:`csv_cell`          one CSV/spreadsheet cell (formula injection)
:func:`csv_safe_frame`    every text cell of a table about to be written as CSV
:func:`clean_terminal`    terminal output (ANSI/OSC escapes, control characters)
:func:`safe_filename`     a file-name stem (no separators, no traversal)
:func:`safe_path`         a file inside an output folder, guaranteed not to escape it
========================  ===========================================================

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
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

from ._errors import OutputError

__all__ = ["clean_terminal", "csv_cell", "csv_safe_frame", "html_text", "safe_filename", "safe_path"]

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC strings (ESC P/X/^/_ ... ST),
# then any other two-character escape (ESC + one byte).
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[PX^_][^\x1b]*\x1b\\"
    r"|\x1b[ -/]*[0-~]"
)
_C1_CSI = re.compile(r"\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*(?:\x07|\x9c)?")
# C0 (except TAB and LF), DEL, C1, and bidirectional overrides that reorder what a reader sees.
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_HTML_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                     *(f"lpt{i}" for i in range(10))}


def html_text(value: Any) -> str:
    """Escape any value for HTML element or attribute content.

    ``<``, ``>``, ``&`` and both quotes are escaped; control characters, which
    are not allowed in HTML, are dropped. ``None`` becomes ``""``.

    Examples
    --------
    >>> html_text('"><img src=x onerror=alert(1)>')
    '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'
    >>> html_text("Ağbənd & Nrnadzor")
    'Ağbənd &amp; Nrnadzor'
    """
    return html.escape(_HTML_CTRL.sub("", "" if value is None else str(value)), quote=True)


def csv_cell(value: Any) -> Any:
    """Prefix a quote to strings that a spreadsheet would run as a formula.

    Strings starting (after any spaces) with ``=``, ``+``, ``-``, ``@``, a tab,
    CR or LF (or their full-width forms) get a leading ``'``; other values are
    returned unchanged, so numbers stay numbers.

    Examples
    --------
    >>> csv_cell("+1-2"), csv_cell("  @SUM(A1)"), csv_cell("Meghri"), csv_cell(-3.5)
    ("'+1-2", "'  @SUM(A1)", 'Meghri', -3.5)
    """
    if isinstance(value, str) and value.lstrip(" ")[:1] in _FORMULA and value.strip(" "):
        return "'" + value
    return value


def csv_safe_frame(df: Any) -> Any:
    """A copy of a pandas DataFrame whose text cells went through :func:`csv_cell`.

    Numeric, boolean and geometry columns are left alone. Column names are
    neutralised too.

    Examples
    --------
    >>> import pandas as pd
    >>> t = csv_safe_frame(pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "Julfa"], "km": [-1.5, 2.0]}))
    >>> t["name"].tolist(), t["km"].tolist()
    (["'=cmd|' /C calc'!A0", 'Julfa'], [-1.5, 2.0])
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].map(csv_cell)
    out.columns = [csv_cell(c) for c in out.columns]
    return out


def clean_terminal(value: Any) -> str:
    """Remove ANSI/OSC escape sequences, control characters and bidi overrides.

    Newlines and tabs are kept; CR (which can overwrite a line), BEL, backspace,
    DEL, C1 controls and Unicode direction overrides are removed.

    Examples
    --------
    >>> clean_terminal("a\\x1b]0;pwned\\x07b\\rc\\u202ed")
    'abcd'
    """
    s = _ANSI.sub("", "" if value is None else str(value))
    s = _C1_CSI.sub("", s)
    return _CTRL.sub("", s)


def safe_filename(name: Any, *, default: str = "item", max_len: int = 80) -> str:
    """A file-name stem with no path separators, traversal, control characters or reserved names.

    Path separators (``/``, ``\\``, full-width forms), drive colons and other
    punctuation become ``_``; leading dots, dashes and spaces are removed, so
    the result is never ``..``, hidden or an option-like name. Windows device
    names (``CON``, ``NUL``, ``COM1`` ...) get a trailing ``_``. An empty result
    becomes ``default``.

    Examples
    --------
    >>> safe_filename("../../etc/passwd")
    'etc_passwd'
    >>> safe_filename("C:\\\\Windows\\\\system32"), safe_filename("nul"), safe_filename("..")
    ('C_Windows_system32', 'nul_', 'item')
    >>> safe_filename("Kars–Iğdır–Nakhchivan (rail)")
    'Kars–Iğdır–Nakhchivan_rail'
    """
    s = unicodedata.normalize("NFKC", clean_terminal(name).replace("\n", " ").replace("\t", " "))
    s = re.sub(r"[^\w\-–. ]+", "_", s, flags=re.UNICODE)
    s = re.sub(r"[_ ]+", "_", s.replace(" ", "_"))
    s = re.sub(r"\.{2,}", ".", s).strip("._-–")
    s = s[:max_len].rstrip("._-–")
    if s.split(".")[0].lower() in _WINDOWS_RESERVED:
        s += "_"
    return s or default


def safe_path(folder: str | os.PathLike[str], name: Any, suffix: str = "") -> Path:
    """``folder / (safe_filename(name) + suffix)``, checked to stay inside ``folder``.

    Parameters
    ----------
    folder : path
        Output folder (need not exist yet).
    name : any
        Untrusted name (scenario name, layer name).
    suffix : str
        File suffix such as ``".gpkg"``; must itself be a plain suffix.

    Raises
    ------
    OutputError
        ``suffix`` contains a path separator (the path would leave ``folder``).

    Examples
    --------
    >>> safe_path("/tmp/out", "../../etc/passwd", ".csv").as_posix()
    '/tmp/out/etc_passwd.csv'
    """
    if any(sep in suffix for sep in ("/", "\\", "\x00")) or ".." in suffix:
        raise OutputError(f"file suffix {suffix!r} is not a plain suffix; use e.g. '.csv'")
    base = Path(folder)
    path = base / (safe_filename(name) + suffix)
    root = os.path.abspath(base)
    if os.path.dirname(os.path.abspath(path)) != root:  # pragma: no cover (defensive)
        raise OutputError(f"name {name!r} would write outside {base}; choose another name")
    return path
