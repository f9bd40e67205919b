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
    csv_cell,
    csv_safe_frame,
    html_text,
    safe_filename,
    safe_path,
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
