"""Untrusted text: HTML escaping, CSV formula neutralisation, terminal escapes, path safety."""

from __future__ import annotations

import csv
import io
import os
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from corridor import OutputError
from corridor._text import (
    clean_terminal,
    clean_text,
    csv_cell,
    csv_safe_frame,
    html_text,
    safe_filename,
    safe_path,
    write_csv,
)


# --- HTML -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('" onmouseover="x', "&quot; onmouseover=&quot;x"),
        ("O'Brien", "O&#x27;Brien"),
        ("A & B", "A &amp; B"),
        ("&amp;", "&amp;amp;"),  # already-escaped text is escaped again, never trusted
        ("Naxçıvan", "Naxçıvan"),
        (None, ""),
        (42, "42"),
        ("nul\x00byte\x0b", "nulbyte"),
        ("line\nbreak\ttab", "line\nbreak\ttab"),
    ],
)
def test_html_text(raw, expected):
    assert html_text(raw) == expected


@given(st.text())
def test_html_text_never_leaves_markup(s):
    out = html_text(s)
    assert not re.search(r"[<>\"']", out)
    assert "&" not in re.sub(r"&(amp|lt|gt|quot|#x27);", "", out)


# --- CSV ----------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1+cmd", "@SUM(A1:A2)", "\t=1", "\r=1", "\n=1",
                                  "  =HYPERLINK(\"http://x\")", "＝1+1", "=cmd|' /C calc'!A0"])
def test_csv_formula_cells_are_quoted(cell):
    assert csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Meghri", "Kars–Iğdır", "1435", "", "   ", "a=b", "x-1"])
def test_csv_ordinary_cells_unchanged(cell):
    assert csv_cell(cell) == cell


@pytest.mark.parametrize("value", [-1.5, 0, 3, None, True])
def test_csv_non_strings_unchanged(value):
    assert csv_cell(value) is value


def test_csv_safe_frame_round_trip_through_csv():
    df = pd.DataFrame({"name": ["=2+5", "@A1", "Julfa", "-x"], "km": [-1.0, 2.0, 3.5, -4.0],
                       "=col": ["a", "b", "c", "d"]})
    safe = csv_safe_frame(df)
    assert df["name"].tolist() == ["=2+5", "@A1", "Julfa", "-x"]  # the input is not modified
    buf = io.StringIO()
    safe.to_csv(buf, index=False)
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows[0] == ["name", "km", "'=col"]
    assert [r[0] for r in rows[1:]] == ["'=2+5", "'@A1", "Julfa", "'-x"]
    assert [float(r[1]) for r in rows[1:]] == [-1.0, 2.0, 3.5, -4.0]  # numbers stay numbers
    for row in rows:
        for cell in row:
            assert cell[:1] not in ("=", "+", "@", "\t", "\r") and not re.match(r"-[^\d]", cell)


@given(st.text())
def test_csv_cell_never_starts_a_formula(s):
    out = csv_cell(s)
    assert out.lstrip(" ")[:1] not in ("=", "+", "-", "@", "\t", "\r", "\n") or out.startswith("'")


# --- terminal -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("ok\x1b[31mred\x1b[0m", "okred"),
        ("\x1b[2J\x1b[Hclear", "clear"),
        ("title\x1b]0;owned\x07!", "title!"),
        ("link\x1b]8;;http://evil\x1b\\text\x1b]8;;\x1b\\", "linktext"),
        ("dcs\x1bPq#0;2;0;0;0\x1b\\end", "dcsend"),
        ("bell\x07 back\x08space del\x7f", "bell backspace del"),
        ("over\rwrite", "overwrite"),
        ("c1\x9b31mcsi", "c1csi"),
        ("bidi\u202eevil\u202c", "bidievil"),
        ("keep\nlines\tand tabs", "keep\nlines\tand tabs"),
        ("Ağbənd – Nrnadzor", "Ağbənd – Nrnadzor"),
        (None, ""),
    ],
)
def test_clean_terminal(raw, expected):
    assert clean_terminal(raw) == expected


@given(st.text())
def test_clean_terminal_has_no_controls(s):
    out = clean_terminal(s)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert clean_terminal(out) == out


# --- file names and paths -----------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd", "etc_passwd"),
        ("/etc/passwd", "etc_passwd"),
        ("..\\..\\Windows\\System32", "Windows_System32"),
        ("C:\\Users\\x", "C_Users_x"),
        ("nul\x00byte", "nulbyte"),
        ("..", "item"),
        (".", "item"),
        ("", "item"),
        (None, "item"),
        (".hidden", "hidden"),
        ("-rf", "rf"),
        ("CON", "CON_"),
        ("com1.txt", "com1.txt_"),
        ("a\x1b[31mb", "ab"),
        ("Meghri rail (TRIPP)", "Meghri_rail_TRIPP"),
        ("x／y", "x_y"),  # full-width solidus
        ("ok.name-1", "ok.name-1"),
    ],
)
def test_safe_filename(raw, expected):
    assert safe_filename(raw) == expected


def test_safe_filename_length_and_default():
    assert len(safe_filename("a" * 500)) == 80
    assert safe_filename("///", default="scenario") == "scenario"


@given(st.text())
def test_safe_filename_is_one_harmless_component(s):
    out = safe_filename(s)
    assert out and len(out) <= 80
    assert "/" not in out and "\\" not in out and "\x00" not in out
    assert out not in (".", "..") and not out.startswith((".", "-"))
    assert os.path.basename(out) == out


@given(st.text())
def test_safe_path_never_escapes(tmp_path_factory, s):
    root = tmp_path_factory.getbasetemp() / "out"
    p = safe_path(root, s, ".csv")
    assert p.parent == root and p.name.endswith(".csv")
    assert os.path.commonpath([os.path.realpath(p), os.path.realpath(root)]) == os.path.realpath(root)


def test_safe_path_writes_inside_out(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    p = safe_path(out, "../../etc/passwd", ".gpkg")
    p.write_text("x")
    assert [f.name for f in tmp_path.rglob("*") if f.is_file()] == ["etc_passwd.gpkg"]
    assert p.parent == out


@pytest.mark.parametrize("suffix", ["/../x", "\\x", "..", ".c\x00sv"])
def test_safe_path_rejects_bad_suffix(tmp_path, suffix):
    with pytest.raises(OutputError, match="suffix") as ei:
        safe_path(tmp_path, "a", suffix)
    assert isinstance(ei.value, OSError)


# --- the one CSV writer (issue 15) ---------------------------------------------------
HOSTILE_CELLS = ["=HYPERLINK(\"http://x\",\"y\")", "=1+2", "+cmd", "-2+3", "@SUM(A1)", "\t=1", " =1",
                 "＝1", "\x1b[31m=x\x07"]


def _read_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _assert_no_formula(rows):
    for row in rows:
        for cell in row:
            assert cell.lstrip(" ")[:1] not in ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠") \
                or re.fullmatch(r"-?\d+(\.\d+)?(e[+-]?\d+)?", cell), cell
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", cell.replace("\t", "")), cell


@pytest.mark.parametrize("dtype", [object, "str", "string", "category"])
def test_write_csv_neutralises_every_text_dtype(tmp_path, dtype):
    """Under the installed pandas (3.x: text columns are ``str``), whatever the dtype of the column."""
    df = pd.DataFrame({"name": pd.Series(HOSTILE_CELLS, dtype=dtype),
                       "km": [-1.5] * len(HOSTILE_CELLS), "n": range(len(HOSTILE_CELLS))})
    write_csv(df, tmp_path / "t.csv")
    rows = _read_rows(tmp_path / "t.csv")
    assert rows[0] == ["name", "km", "n"]
    assert [r[0] for r in rows[1:]] == ["'" + c.replace("\x1b[31m", "").replace("\x07", "") for c in HOSTILE_CELLS]
    assert [float(r[1]) for r in rows[1:]] == [-1.5] * len(HOSTILE_CELLS)  # numbers stay numbers
    _assert_no_formula(rows)


def test_write_csv_neutralises_labels_index_and_objects(tmp_path):
    df = pd.DataFrame({"=col": pd.Series(["a", "b"], dtype="str"), "ok": [["=x"], {"k": "=1"}]},
                      index=pd.Index(["=idx", "fine"], dtype="str", name="@name"))
    write_csv(df, tmp_path / "t.csv", index=True)
    rows = _read_rows(tmp_path / "t.csv")
    assert rows[0] == ["'@name", "'=col", "ok"]
    assert [r[0] for r in rows[1:]] == ["'=idx", "fine"]
    assert [r[2] for r in rows[1:]] == ["['=x']", "{'k': '=1'}"]  # str() does not start a formula
    _assert_no_formula(rows)
    multi = pd.DataFrame([[1, "=2"]], columns=pd.MultiIndex.from_tuples([("=a", "b"), ("c", "+d")]))
    write_csv(multi, tmp_path / "m.csv")
    _assert_no_formula(_read_rows(tmp_path / "m.csv"))
    assert df.columns.tolist() == ["=col", "ok"]  # the input is not modified


@pytest.mark.parametrize("dtype", [object, "str"])
def test_summary_and_sensitivity_csv_are_safe(tmp_path, dtype):
    """summary.csv / sensitivity.csv go through the one writer (the old one skipped pandas-3 ``str``)."""
    from corridor.cli.pipeline import _write_csv

    table = pd.DataFrame({"name": pd.Series(["=HYPERLINK(\"http://x\")", "Julfa"], dtype=dtype),
                          "published_length": pd.Series(["=1+2", "42"], dtype=dtype), "rank": [1, 2]})
    _write_csv(tmp_path / "summary.csv", table)
    rows = _read_rows(tmp_path / "summary.csv")
    assert rows[1][:2] == ["'=HYPERLINK(\"http://x\")", "'=1+2"] and rows[2][:2] == ["Julfa", "42"]
    _assert_no_formula(rows)


def test_every_csv_in_the_package_uses_the_one_writer():
    """No module writes CSV with pandas directly (which would skip the neutralisation)."""
    import pathlib

    import corridor

    root = pathlib.Path(corridor.__file__).parent
    direct = [p.name for p in root.glob("*.py") if ".to_csv(" in p.read_text(encoding="utf-8")
              and p.name != "_text.py"]
    assert direct == []


# --- one cleaning helper for every label ----------------------------------------------
@pytest.mark.parametrize("raw", ["a\x1b[31mb\x07c", "x\u202ey\u2066z\u061c", "\x9b31mq\x85r", "nul\x00"])
def test_clean_text_is_used_by_every_text_function(raw):
    cleaned = clean_text(raw)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", cleaned)
    assert html_text(raw) == html_text(cleaned) and clean_terminal(raw) == cleaned
    assert csv_safe_frame(pd.DataFrame({"a": [raw]}))["a"].iloc[0] == cleaned
