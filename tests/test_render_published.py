"""corridor.cli._render.print_published: the modelled-vs-published table at any terminal width.

A number with its unit, a percentage or ``–`` is never broken across lines; route names, figure names and
sources wrap at their spaces only; every row, figure and source is printed at every width. A wide terminal
gets the table's columns, a narrow one each route as a heading over one block per figure.
"""

from __future__ import annotations

import io
import re

import pytest
from _boxtable import body_cells

from corridor.cli import _render

#: A number as the table writes one, with its unit or per cent sign.
NUMBER = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?(?: ?(?:%|km|m|million USD|million EUR)(?![\w]))?")
_RATE = ("converted from USD at 1.08 USD per EUR (assumption: US dollars per euro, to compare costs "
         "published in euros)")
#: (route, figure, unit, modelled, published, diff %, source, note), as published_table gives them.
ROWS = [
    ("Aras corridor via Iran (rail)", "road and rail works on the Iranian side", "km", 99.84, 107.0, -6.69,
     "en.mehrnews.com 215686", "modelled length in IRN"),
    ("Aras corridor via Iran (rail)", "Aghband road bridge", "m", None, 220.0, None, "en.mehrnews.com 215686",
     "no modelled counterpart"),
    ("Gyumri - Kars rail", "restart cost", "MUSD", 109.96, 32.4, 239.39, "report.az; egtre.info border crossings",
     "modelled central construction cost"),
    ("Horadiz - Aghband rail", "longest tunnel", "m", 1438.19, 1071.0, 34.29, "trend.az 4087540; report.az",
     "modelled longest tunnel"),
    ("Horadiz - Aghband rail", "longest bridge", "m", 5213.48, 771.0, 576.2, "trend.az 4087540; report.az",
     "modelled longest bridge"),
    ("Kars - Igdir - Dilucu - Sadarak rail", "cost", "MEUR", 1617.64, 2400.0, -32.6, "menafn.com 1109962733",
     f"modelled central construction cost; {_RATE}"),
    ("Margara - Kornidzor transit road", "transit offer", "", None, "offered Oct 2025", None,
     "news.az; azertag.az", "no modelled counterpart"),
    ("Meghri / TRIPP rail", "whole Soviet line Yeraskh - Horadiz", "km", 333.86, 340.0, -1.81,
     "ictimaixeber.az 97945; arka.am (of which 45 km in Armenia; $1.2 bn, 2021)", "modelled total length"),
    ("Meghri / TRIPP rail", "Meghri section cost", "MUSD", None, 200.0, None,
     "minval.az 124496318 (also $230 M, 2022)", "no modelled counterpart"),
    ("Hrazdan - Ijevan - Gazakh rail", "restoration cost", "MUSD", None, 318.0, None, "report.az",
     "no modelled counterpart (the scenario was not routed: the ruling grade cannot join Hrazdan)"),
]
#: What each row prints: its modelled, published and diff cells.
#: The published figure as reported and its unit spelled out (as the notes write them), the modelled one to a tenth.
SHOWN = [("99.8 km", "107 km", "-6.7 %"), ("no modelled counterpart", "220 m", "–"),
         ("110.0 million USD", "32.4 million USD", "+239.4 %"), ("1,438.2 m", "1,071 m", "+34.3 %"),
         ("5,213.5 m", "771 m", "+576.2 %"), ("1,617.6 million EUR", "2,400 million EUR", "-32.6 %"),
         ("no modelled counterpart", "offered Oct 2025", "–"), ("333.9 km", "340 km", "-1.8 %"),
         ("no modelled counterpart", "200 million USD", "–"), ("no modelled counterpart", "318 million USD", "–")]


def _table(rows=ROWS):
    import pandas as pd

    from corridor.evaluation.published import COLUMNS

    records = [{"route": r, "scenario": "s", "figure": f, "measure": "", "metric": "", "unit": u, "modelled": m,
                "published": p, "diff_pct": d, "source": s, "note": n} for r, f, u, m, p, d, s, n in rows]
    pub = pd.DataFrame(records, columns=list(COLUMNS))
    for col in ("modelled", "diff_pct"):
        pub[col] = pub[col].astype(float)
    return pub


def _print(width: int, pub=None) -> str:
    from rich.console import Console

    con = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    _render.print_published(_table() if pub is None else pub, con)
    return con.file.getvalue()


def _flat(text: str) -> str:
    return " ".join(text.split())


def _whole(token: str, out: str) -> int:
    """How often ``token`` is written on one line of ``out``, not as part of a longer number."""
    return len(re.findall(rf"(?<![\w.,]){re.escape(token)}(?!\w|[.,]\d)", out))


@pytest.mark.parametrize("width", [40, 60, 80, 100, 160])
def test_published_numbers_never_break(width):
    """Every number of every row is written whole, with its unit or per cent sign on its line, as many
    times as the rows hold it; no line is wider than the terminal and nothing is cut short."""
    out = _print(width)
    assert max(len(line) for line in out.splitlines()) <= width
    assert "…" not in out
    wanted: dict[str, int] = {}
    for cell in (c for cells in SHOWN for c in cells if NUMBER.fullmatch(c)):
        wanted[cell] = wanted.get(cell, 0) + 1
    assert wanted["1,071 m"] == 1 and wanted["+576.2 %"] == 1 and wanted["2,400 million EUR"] == 1
    for token, n in wanted.items():
        assert _whole(token, out) >= n, (width, token)
    assert out.count("counterpart") == 4 and out.count("–") >= 4
    assert "Costs in euros converted at 1.08 USD per EUR" in _flat(out)


@pytest.mark.parametrize("width", [40, 60, 80, 100, 160])
def test_published_text_wraps_at_spaces(width):
    """Every word of every route name, figure name, source and published text is written whole on a line."""
    out = _print(width)
    for route, figure, _, _, published, _, source, _ in ROWS:
        for word in f"{route} {figure} {source} {published if isinstance(published, str) else ''}".split():
            assert word in out, (width, word)


@pytest.mark.parametrize("width", [40, 60])
def test_narrow_published_reads_as_blocks(width):
    """Too narrow for the columns: each route is a heading, each figure a block of its name, values and
    source, in the order of the rows; the routes, figures and sources read whole."""
    out = _print(width)
    assert "┃" not in out and "│" not in out
    flat = _flat(out)
    pos, previous = 0, None
    for (route, figure, _, _, _, _, source, _), (modelled, published, diff) in zip(ROWS, SHOWN, strict=True):
        text = [figure, modelled, published, f"diff {diff}", f"source: {source}"]
        if route != previous:  # a route's heading comes once, before its first figure
            text.insert(0, route)
        previous = route
        for part in text:
            found = flat.find(part, pos)
            assert found >= pos, (width, part)
            pos = found + len(part)


@pytest.mark.parametrize("width", [100, 120, 160])
def test_wide_published_keeps_the_columns(width):
    """From 100 columns the table keeps its columns, and each cell reads back as the row's text."""
    out = _print(width)
    header = next(line for line in out.splitlines() if "route" in line and "┃" in line)
    assert re.fullmatch(r"┃ route +┃ figure +┃ +modelled ┃ +published ┃ +diff ┃ source +┃", header)
    rows = body_cells(out)
    assert len(rows) == len(ROWS)
    for cells, (route, figure, *_, source, _), shown in zip(rows, ROWS, SHOWN, strict=True):
        text = [_flat(" ".join(line.strip() for line in col)) for col in cells]
        assert text == [route, figure, *shown, source], width
        for value, col in zip(shown, cells[2:5], strict=True):  # a number keeps one line, with its unit
            assert not NUMBER.fullmatch(value) or [line.strip() for line in col if line.strip()] == [value]


@pytest.mark.parametrize("width", [40, 160])
def test_published_blocks_print_untrusted_text_literally(width):
    """Names and sources from a scenario file are text, never markup, in either layout."""
    rows = [("[bold red]R[/] rail", "[link=http://x]len[/link]", "km", 4.0, 5.0, -20.0, "[i]src[/i] x", "n")]
    flat = _flat(_print(width, _table(rows)))
    for text in ("[bold red]R[/] rail", "[link=http://x]len[/link]", "[i]src[/i] x", "4.0 km", "5 km", "-20.0 %"):
        assert text in flat, (width, text)


@pytest.mark.parametrize("width", [40, 160])
def test_published_newlines_in_text_print_as_spaces(width):
    """A newline or tab in a route name, figure, unit or source given through the Python API (a scenario file
    refuses them) prints as a space: the number keeps its unit on its line, the route heading is one line."""
    rows = [("Aras\ncorridor", "road\tworks", "k\nm", 4.0, 5.0, -20.0, "mehr\nnews", "n")]
    lines = [line.strip(" │┃") for line in _print(width, _table(rows)).splitlines()]
    for text in ("Aras corridor", "road works", "4.0 k m", "5 k m", "mehr news"):
        assert any(text in line for line in lines), (width, text)
    assert "Aras" not in " ".join(line for line in lines if "Aras corridor" not in line)


@pytest.mark.parametrize("width", [40, 160])
@pytest.mark.parametrize("missing", [None, float("nan")])
def test_missing_published_value_prints_a_dash(width, missing):
    """A published figure with no value (None or NaN through the Python API) prints ``–``, without a unit."""
    rows = [("R", "length", "km", None, missing, None, "src", "no modelled counterpart")]
    out = _print(width, _table(rows))
    assert "nan" not in out.lower() and "None" not in out and "– km" not in out
    assert "published –" in _flat(out) if width == 40 else re.search(r"│ +– │ +– │", out)


@pytest.mark.parametrize("width", [40, 60, 100, 160])
def test_large_percentages_have_thousands_separators(width):
    """A large % difference is written with thousands separators, whole on one line, like the figures."""
    rows = [("R", "length", "m", 12345678.0, 1.0, 1234567789.0, "src", "n"),
            ("R", "cost", "MUSD", 20.0, 10.0, 100.0, "src", "n")]
    out = _print(width, _table(rows))
    assert max(len(line) for line in out.splitlines()) <= width
    for token in ("+1,234,567,789.0 %", "+100.0 %", "12,345,678.0 m"):
        assert _whole(token, out) == 1, (width, token)
