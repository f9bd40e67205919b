"""Neutralising untrusted text (OSM names, scenario labels) for HTML, CSV, terminals and paths.

OSM names and refs are written by anyone; scenario names come from hand-written
files. Before such text reaches an output, pass it through the matching function:

========================  ===========================================================
:func:`clean_text`        every label, whatever the output: drops ANSI/OSC escapes, control
                          characters and bidi overrides (used by all functions below, and
                          by the charts, whose text is plain, not mathtext)
:func:`html_text`         HTML element and attribute content (maps, report)
:func:`csv_cell`          one CSV/spreadsheet cell (formula injection)
:func:`csv_safe_frame`    every text cell, column name and index label of a table for CSV
:func:`write_csv`         the one CSV writer of the package (uses :func:`csv_safe_frame`)
:func:`clean_terminal`    terminal output (same as :func:`clean_text`)
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

import datetime
import html
import numbers
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

from corridor._errors import OutputError

__all__ = [
    "clean_terminal",
    "clean_text",
    "csv_cell",
    "csv_safe_frame",
    "html_text",
    "plain_label",
    "safe_filename",
    "safe_path",
    "write_csv",
]

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC strings (ESC P/X/^/_ ... ST),
# then any other two-character escape (ESC + one byte).
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[PX^_][^\x1b]*\x1b\\"
    r"|\x1b[ -/]*[0-~]"
)
_C1_CSI = re.compile(r"\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*(?:\x07|\x9c)?")
# C0 (except TAB and LF), DEL, C1, and bidirectional marks/overrides that reorder what a reader sees.
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                     *(f"lpt{i}" for i in range(10))}


def html_text(value: Any) -> str:
    """Escape any value for HTML element or attribute content.

    ``<``, ``>``, ``&`` and both quotes are escaped; escape sequences, control
    characters and bidi overrides are dropped first (:func:`clean_text`).
    ``None`` becomes ``""``.

    Examples
    --------
    >>> html_text('"><img src=x onerror=alert(1)>')
    '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'
    >>> html_text("Ağbənd & Nrnadzor")
    'Ağbənd &amp; Nrnadzor'
    """
    return html.escape(clean_text(value), quote=True)


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


def _csv_value(value: Any) -> Any:
    """One cell or label for CSV: text cleaned and formula-neutralised; numbers, dates, None as they are."""
    if isinstance(value, str):
        return csv_cell(clean_text(value))
    if value is None or isinstance(value, (numbers.Number, datetime.date, datetime.time, datetime.timedelta)):
        return value
    # anything else (lists, dicts, NaT/NA, objects) is written as its str(): check that text
    text = str(value)
    safe = csv_cell(clean_text(text))
    return value if safe == text else safe


def _csv_labels(index: Any) -> Any:
    """An index (column names or row labels) whose text labels and names went through :func:`_csv_value`."""
    import pandas as pd

    names = [_csv_value(n) for n in index.names]
    if isinstance(index, pd.MultiIndex):
        tuples = [tuple(_csv_value(x) for x in t) for t in index]
        if tuples == list(index) and names == list(index.names):
            return index
        if not tuples:
            return index.set_names(names)
        return pd.MultiIndex.from_tuples(tuples, names=names)
    labels = [_csv_value(x) for x in index]
    if all(a is b for a, b in zip(labels, index, strict=True)) and names == list(index.names):
        return index
    return pd.Index(labels, dtype=object, name=names[0])


def csv_safe_frame(df: Any) -> Any:
    """A copy of a pandas DataFrame safe to open in a spreadsheet once written as CSV.

    Every cell that is text, whatever the column's dtype (``object``, ``str``,
    ``string``, ``category``, mixed), goes through :func:`clean_text` and
    :func:`csv_cell`; so do column names, the index labels and the index and
    column-level names. Cells of other types that CSV writes as their ``str()``
    (lists, dicts, objects) are replaced by that neutralised text when it would
    start a formula. Numbers, booleans and dates are left alone.

    Examples
    --------
    >>> import pandas as pd
    >>> t = csv_safe_frame(pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "Julfa"], "km": [-1.5, 2.0]}))
    >>> t["name"].tolist(), t["km"].tolist()
    (["'=cmd|' /C calc'!A0", 'Julfa'], [-1.5, 2.0])
    """
    import pandas as pd
    from pandas.api import types as pdt

    out = df.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if (pdt.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype)) or \
                pdt.is_bool_dtype(col) or pdt.is_datetime64_any_dtype(col) or pdt.is_timedelta64_dtype(col):
            continue
        vals = [_csv_value(v) for v in col]
        if any(a is not b for a, b in zip(vals, col, strict=True)):
            out.isetitem(i, pd.array(vals, dtype=object))
    out.columns = _csv_labels(out.columns)
    out.index = _csv_labels(out.index)
    return out


def write_csv(table: Any, path: str | os.PathLike[str] | Any, *, index: bool = False) -> None:
    """Write a table as UTF-8 CSV with every text cell and label neutralised (:func:`csv_safe_frame`).

    The one CSV writer of the package: ``summary.csv``, ``sensitivity.csv``, the
    CSV layer export and the sweep summary all go through it.

    Parameters
    ----------
    table : pandas.DataFrame
        The table (not modified).
    path : path or text buffer
        Where to write (callers wrap it in :func:`corridor.outputs.atomic_output`
        or a staging folder as needed).
    index : bool
        Also write the index (its labels and name are neutralised too).

    Examples
    --------
    >>> import io, pandas as pd
    >>> buf = io.StringIO()
    >>> write_csv(pd.DataFrame({"=x": pd.Series(["=1+2", "Julfa"], dtype="string")}), buf)
    >>> buf.getvalue().splitlines()
    ["'=x", "'=1+2", 'Julfa']
    """
    csv_safe_frame(table).to_csv(path, index=index, encoding="utf-8")


def clean_text(value: Any) -> str:
    """Any value as text with no ANSI/OSC escape sequences, control characters or bidi overrides.

    The one cleaning step for labels on their way to charts, maps, reports,
    CSV files and the terminal. Newlines and tabs are kept; CR (which can
    overwrite a line), BEL, backspace, DEL, C0/C1 controls and Unicode
    direction marks and overrides are removed. ``None`` becomes ``""``.

    Examples
    --------
    >>> clean_text("a\\x1b]0;pwned\\x07b\\rc\\u202ed\\x1b[31m!")
    'abcd!'
    """
    s = _ANSI.sub("", "" if value is None else str(value))
    s = _C1_CSI.sub("", s)
    return _CTRL.sub("", s)


def clean_terminal(value: Any) -> str:
    """Text for the terminal: :func:`clean_text` (kept under this name for the terminal callers).

    Examples
    --------
    >>> clean_terminal("a\\x1b]0;pwned\\x07b\\rc\\u202ed")
    'abcd'
    """
    return clean_text(value)


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


def plain_label(value: Any) -> str:
    """Untrusted text as a one-line chart label: :func:`corridor._text.clean_text`, tabs and newlines to spaces.

    >>> plain_label("Meghri\\x1b[31m\\x07 $x^2$\\nline")
    'Meghri $x^2$ line'
    """
    return " ".join(clean_text(value).replace("\t", " ").split("\n"))
