"""corridor.cli._render: untrusted names print literally in the terminal tables (issue 15).

Payloads and hostile routes come from tests/_maproutes.py; ``catalogue`` (module scope) evaluates the
built-in catalogue once for the table-width tests; the last test runs ``corridor compare``.
"""

from __future__ import annotations

import io
import itertools
import re

import pytest
from _boxtable import blocks as table_blocks
from _boxtable import body_cells
from _maproutes import CONTROL, PAYLOADS, expected_text, hostile
from _ordertext import ODD_NAMES, read_order, read_ranks

from corridor.cli import _render, main


def _console():
    from rich.console import Console

    return Console(file=io.StringIO(), width=600, force_terminal=False, color_system=None)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("payload", PAYLOADS)
def test_names_print_literally(payload, tmp_path, monkeypatch):
    """Rich markup (``[bold red]x[/]``) stays text; escapes, BEL and bidi overrides are dropped."""
    from corridor.evaluation import table

    monkeypatch.chdir(tmp_path)
    _, metrics = hostile(payload, tmp_path)
    con = _console()
    _render.print_compare(table(metrics), con, metrics=metrics)
    _render.print_metrics(metrics[0], con)
    _render.print_provenance({"network": {"source": payload, "path": payload, "modelled": False},
                              "dem": {"source": metrics[0].dem_source}}, con)
    out = con.file.getvalue()
    assert not CONTROL.search(out)
    want = _flat(expected_text(payload))
    flat = _flat(out)
    assert flat.count(f"R {want}") >= 3  # comparison table, published table, metrics title
    assert flat.count(want) >= 6  # + published figures, provenance, DEM
    assert not (tmp_path / "PWNED").exists()


def test_control_characters_never_reach_the_terminal(tmp_path, capfd):
    from rich.console import Console

    from corridor.evaluation import table

    _, metrics = hostile("red\x1b[31m bell\x07 osc\x1b]0;title\x07 \u202eevil", tmp_path)
    con = Console(force_terminal=True, width=300)  # real stdout, as the CLI prints
    _render.print_compare(table(metrics), con)
    _render.print_metrics(metrics[0], con)
    out = capfd.readouterr()
    # rich's own styling uses CSI ... m; nothing else may appear, and no BEL/OSC at all
    styled = re.sub(r"\x1b\[[0-9;]*m", "", out.out)
    assert not CONTROL.search(styled) and not CONTROL.search(out.err)
    assert "\x07" not in out.out and "\x1b]" not in out.out
    assert "red bell osc evil" in _flat(styled)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_published_and_band_tables_print_literally(payload, tmp_path, monkeypatch):
    """The modelled-vs-published table and the DEM-band table print untrusted text as typed."""
    from corridor.evaluation import table
    from corridor.evaluation.published import published_table

    monkeypatch.chdir(tmp_path)
    _, metrics = hostile(payload, tmp_path)
    con = _console()
    _render.print_published(published_table(metrics), con)
    tbl = table(metrics)
    tbl["dem_samples"] = 5  # a band, so the table prints; its note is untrusted text too
    tbl["dem_band"] = payload
    _render.print_dem_bands(tbl, con, meaning=payload)
    out = con.file.getvalue()
    assert not CONTROL.search(out)
    flat = _flat(out)
    want = _flat(expected_text(payload))
    assert flat.count(want) >= 4  # route name and figure/source in the published table; the meaning
    assert "no modelled counterpart" in flat  # the hostile figure has no measure


def test_published_table_rows():
    import pandas as pd

    from corridor.evaluation.published import COLUMNS

    pub = pd.DataFrame([["A", "a", "length", "length", "length_km", "km", 42.0, 40.0, 5.0, "src", "n"],
                        ["A", "a", "offer", "", "", "", float("nan"), "text", float("nan"), "src2",
                         "no modelled counterpart"]], columns=list(COLUMNS))
    con = _console()
    _render.print_published(pub, con)
    flat = _flat(con.file.getvalue())
    assert "Modelled vs published" in flat
    assert "42.0 km" in flat and "40 km" in flat and "+5.0 %" in flat and "src" in flat  # published as reported
    assert "no modelled counterpart" in flat and "text" in flat
    con = _console()
    _render.print_published(pub.iloc[0:0], con)
    assert con.file.getvalue() == ""


def test_band_table_needs_a_band():
    import pandas as pd

    tbl = pd.DataFrame({"name": ["A"], "rank": [1], "tunnel_km": [1.0], "bridge_km": [2.0],
                        "cost_central_musd": [100.0], "cost_low_musd": [50.0], "cost_high_musd": [300.0],
                        "tunnel_km_dem_p10": [0.5], "tunnel_km_dem_p90": [1.5], "bridge_km_dem_p10": [1.0],
                        "bridge_km_dem_p90": [3.0], "cost_central_musd_dem_p10": [90.0],
                        "cost_central_musd_dem_p90": [120.0], "dem_samples": [0], "dem_band": ["off"]})
    con = _console()
    _render.print_dem_bands(tbl, con)
    assert con.file.getvalue() == ""  # --dem-samples 0: no section
    tbl["dem_samples"] = 20
    _render.print_dem_bands(tbl, con)
    flat = _flat(con.file.getvalue())
    assert "1.0 (0.5–1.5)" in flat and "2.0 (1.0–3.0)" in flat and "100 (90–120)" in flat and "50–300" in flat
    assert "DEM vertical error only" in flat and "horizontal line is held fixed" in flat



def test_sensitivity_reads_ties_from_the_groups_not_the_names():
    """A route named with " = " is no tie: a change from a tie of all routes to an order has no Kendall
    tau ("–"), and only a real tie is called one."""
    from dataclasses import replace

    from _evalroutes import opposed

    from corridor.evaluation import sensitivity

    ma, mb = opposed()
    a, b = replace(ma, name="A = 1"), replace(mb, name="B")

    def rows(weights):
        con = _console()
        _render.print_sensitivity(sensitivity([a, b], weights=weights), con)
        lines = con.file.getvalue().splitlines()
        return lambda param, factor: _flat(next(ln for ln in lines if param in ln and f"×{factor:g} " in ln))

    # equal weights on the opposed criteria tie A and B; a weight changed orders them: no tie anywhere after
    row = rows({"length_km": 1.0, "cost_central_musd": 1.0})
    assert row("length_km", 1.5).endswith("“A = 1” > B │ 1 │ – │")
    assert row("length_km", 0.5).endswith("B > “A = 1” │ 1 │ – │")
    # from an order to a real tie
    row = rows({"length_km": 1.0, "cost_central_musd": 2.0})
    assert row("cost_central_musd", 0.5).endswith("“A = 1” = B │ 1 │ – (a tie) │")


def test_sensitivity_table_reads_one_way_with_odd_names():
    """Route names holding =, "; ", > and straight or curly quotes: the base order before its "; " and
    each order of the table read back as the rank groups (tests/_ordertext.py)."""
    from dataclasses import replace

    from _evalroutes import opposed

    from corridor.evaluation import sensitivity

    ma, mb = opposed()
    a, b = replace(ma, name=ODD_NAMES[4]), replace(mb, name=ODD_NAMES[1])
    sens = sensitivity([a, b], weights={"length_km": 1.0, "cost_central_musd": 1.2})
    con = _console()
    _render.print_sensitivity(sens, con)
    out = con.file.getvalue()
    base = re.search(r"Sensitivity: base order (.*); (\d+) of \d+ variations", out)
    assert base and read_order(base.group(1)) == sens.iloc[0]["rank_groups"] == ((b.name,), (a.name,))
    rows = [ln.split("│") for ln in out.splitlines() if ln.startswith("│") and "×" in ln]
    assert len(rows) == int(base.group(2)) > 0
    for cells in rows:
        param, factor, order = (c.strip() for c in cells[1:4])
        want = sens[(sens["parameter"] == param) & (sens["factor"] == float(factor.lstrip("×")))].iloc[0]
        assert read_order(order) == want["rank_groups"]


def test_notes_show_the_dem_band_as_pairs():
    """Each band figure prints as one labelled P10–P90 pair with its unit, even when P10 is 0;
    a route without a band (NaN ends) prints no band line."""
    from corridor.cli._table import print_route_notes

    nan = float("nan")
    band = {"tunnel_km_dem_p10": 0.0, "tunnel_km_dem_p90": 3.64, "bridge_km_dem_p10": 28.9,
            "bridge_km_dem_p90": 42.5, "cost_central_musd_dem_p10": 1870.8, "cost_central_musd_dem_p90": 2154.7,
            "dem_samples": 20, "dem_band": "P10-P90 of 20 re-designs"}
    rows = [{"rank": 1, "name": "A", "mode": "rail", "tunnel_km": 0.2, **band},
            {"rank": 2, "name": "B", "mode": "rail", "tunnel_km": 0.0,
             **{k: nan for k in band if k.endswith(("_p10", "_p90"))}, "dem_samples": 0, "dem_band": "none"}]
    con = _console()
    print_route_notes(rows, con, shown=[0, 1])
    out = con.file.getvalue()
    a, b = (_flat(x) for x in out.split("\n2. "))
    assert "Tunnels, DEM P10–P90: 0.0–3.6 km" in a
    assert "Bridges, DEM P10–P90: 28.9–42.5 km" in a
    assert "Central construction cost, DEM P10–P90: 1,870.8–2,154.7 million USD" in a
    assert "DEM realisations: 20" in a
    assert "dem" not in a.replace("DEM", "").lower()  # no machine name ("Tunnel km dem p90")
    assert "DEM" not in b and "n/a" not in b


def test_notes_print_published_numbers_as_the_modelled_ones():
    """Published numbers take thousands separators and spelled-out units; text values stay as given."""
    from corridor.cli._table import print_route_notes

    pub = [{"figure": "cost", "value": 2400, "unit": "MEUR", "source": "a"},
           {"figure": "longest tunnel", "value": 1071, "unit": "m", "source": "b"},
           {"figure": "status", "value": "offered Oct 2025", "unit": "", "source": "c"}]
    con = _console()
    print_route_notes([{"rank": 1, "name": "A", "mode": "rail"}], con, shown=[0], published={"A": pub})
    out = _flat(con.file.getvalue())
    assert "cost: 2,400 million EUR (a)" in out and "longest tunnel: 1,071 m (b)" in out, out
    assert "status: offered Oct 2025 (c)" in out
    # through the Python API a figure may hold a newline or tab: it reads as a space, the note stays one item
    pub = [{"figure": "main\nline", "value": "110\tkm", "unit": "k\nm", "source": "trend\n.az"}]
    con = _console()
    print_route_notes([{"rank": 1, "name": "A", "mode": "rail"}], con, shown=[0], published={"A": pub})
    raw = con.file.getvalue()
    assert "main line: 110 km k m (trend .az)" in raw, raw  # on one line, as written

# ------------------------------------------------------------------ the table sized to the terminal (issue 18)
NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """The built-in catalogue on the embedded data, and its summary.csv written as the CLI writes it."""
    from corridor import NoFeasibleAlignment, scenarios
    from corridor._text import write_csv
    from corridor.evaluation import evaluate, table
    from corridor.network.core import load_network

    net = load_network("reference")
    metrics = []
    for s in scenarios.builtin():
        try:
            route = s.route(network=net)
        except NoFeasibleAlignment:  # left out, as `corridor compare` leaves it out (and says so)
            continue
        metrics.append(evaluate(route))
    assert len(metrics) >= len(scenarios.builtin()) - 1
    t = table(metrics)
    path = tmp_path_factory.mktemp("summary") / "summary.csv"
    write_csv(t, path)
    return t, metrics, path


def _render_at(table, metrics, width: int, *, wide: bool = False) -> str:
    from rich.console import Console

    con = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    _render.print_compare(table, con, wide=wide, metrics=metrics)
    return con.file.getvalue()


def _table_rows(out: str) -> tuple[list[str], dict[int, list[str]]]:
    """(header lines, table lines of each row keyed by rank), parsed from the box drawing."""
    blocks = table_blocks(out, "┌")
    rows = {int(b[0].split("│")[1]): b for b in blocks[1:]}
    return blocks[0], rows


def _notes(out: str) -> dict[int, str]:
    """The numbered note of each route (rank -> text)."""
    body = out.split("Notes per route", 1)[1].splitlines()[1:]
    notes: dict[int, list[str]] = {}
    current = None
    for line in body:
        m = re.match(r"\s*(\d+)\. ", line)
        if m:
            current = int(m.group(1))
        if current is not None:
            notes.setdefault(current, []).append(line)
    return {k: " ".join(v) for k, v in notes.items()}


def _numbers(text: str) -> list[tuple[float, int]]:
    """(value, decimals) of every number written in the text."""
    out = []
    for tok in NUMBER.findall(text):
        decimals = len(tok.split(".")[1]) if "." in tok else 0
        out.append((float(tok.replace(",", "")), decimals))
    return out


def _shown(value: float, numbers: list[tuple[float, int]]) -> bool:
    return any(abs(x - value) <= 0.5 * 10 ** -d + 1e-9 for x, d in numbers)


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_compare_table_fits_the_terminal(catalogue, width):
    """No line is wider than the terminal, no cell wraps to more than 3 lines, and every
    non-zero figure of summary.csv is printed in its route's table row or note (parsed from both)."""
    import csv

    from corridor._labels import unit_of

    table, metrics, path = catalogue
    out = _render_at(table, metrics, width)
    assert max(len(line) for line in out.splitlines()) <= width
    header, rows = _table_rows(out)
    assert len(header) <= 3
    assert sorted(rows) == sorted(int(r) for r in table["rank"])
    assert all(len(block) <= 3 for block in rows.values()), {k: len(b) for k, b in rows.items()}
    notes = _notes(out)
    with open(path, encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    assert len(records) == len(rows)
    checked = 0
    for rec in records:
        rank = int(rec["rank"])
        text = " ".join(" ".join(block) for block in [rows[rank]]) + " " + notes[rank]
        numbers = _numbers(text)
        for col, raw in rec.items():
            if col in ("name", "rank") or raw in ("", "True", "False") or col.startswith("published_"):
                continue
            try:
                v = float(raw)
            except ValueError:
                continue  # text columns (sources, status, terrain) are not figures
            if v == 0.0:
                continue  # zeros are left out; the notes say "figures not listed are zero"
            unit = unit_of(col, rec["mode"])
            scaled = v * 1000 if unit == "‰" else v * 100 if unit == "%" else v / 1e6 if unit == "m³" else v
            assert _shown(scaled, numbers), (width, rec["name"], col, raw)
            checked += 1
        flat = _flat(notes[rank])
        for col, raw in rec.items():
            if col.startswith("published_") and raw:
                try:
                    assert _shown(float(raw), _numbers(notes[rank])), (rec["name"], col, raw)
                except ValueError:
                    for part in raw.split("; ") if col == "published_sources" else [raw]:
                        assert _flat(part) in flat, (rec["name"], col, part)
        if rec["crossings"]:
            assert _flat(rec["crossings"]) in flat
    assert checked > 20 * len(records)


def test_compact_columns_at_80(catalogue):
    """At 80 columns the compact set is shown, the long text is in the notes, not the cells."""
    table, metrics, _ = catalogue
    out = _render_at(table, metrics, 80)
    header, rows = _table_rows(out)
    head = _flat(" ".join(" ".join(c.strip() for c in line.split("│")) for line in header))
    for word in ("#", "route", "km", "country", "border", "stops", "max", "grade", "time", "cost"):
        assert word in head.split(), (word, head)
    cells = _flat(" ".join(" ".join(b) for b in rows.values()))
    assert "Published" not in cells
    crossings = [str(c) for c in table["crossings"] if str(c).strip()]
    assert crossings  # the catalogue crosses borders
    flat = _flat(out)
    for text in crossings:  # the long crossings text is in the notes, never in a cell
        assert _flat(text) in flat and _flat(text) not in cells


def test_wide_shows_every_column(catalogue):
    from corridor.cli._table import COLUMNS

    table, metrics, _ = catalogue
    out = _render_at(table, metrics, 80, wide=True)
    header, _ = _table_rows(out)
    assert header[0].count("│") == len(COLUMNS) + 1
    narrow, _ = _table_rows(_render_at(table, metrics, 80))
    assert narrow[0].count("│") < len(COLUMNS) + 1
    # every column at its natural width (the table wider than the terminal), not squeezed letter by letter
    lines = out.splitlines()
    assert max(len(line) for line in lines) > 80
    for name in table["name"]:
        assert any(name in line for line in lines), name  # each route name whole, on one line


def test_published_figures_read_as_written(catalogue):
    """Published figures print with the scenario file's label and unit, never the column slug."""
    table, metrics, _ = catalogue
    flat = _flat(_render_at(table, metrics, 100))
    assert "Meghri section length (Armenian survey): 43 km" in flat
    assert "armenian survey km" not in flat.lower() and "published_" not in flat
    # without the metrics the column names still read as labels, not slugs
    flat = _flat(_render_at(table, None, 100))
    assert "published_" not in flat and "meghri_section" not in flat


# ------------------------------------------------------------------ through the command
def test_terminal_output_is_cleaned(tmp_path, capsys, monkeypatch):
    """Markup in a scenario name prints as text; an escape sequence in it is refused, and the refusal writes
    it escaped, never raw."""
    f = tmp_path / "evil.toml"
    text = '[scenario]\nname = "evil{} red [bold]x[/bold]"\nslug = "evil"\nmode = "rail"\nwaypoints = ["Yeraskh", "Sadarak"]\n'
    monkeypatch.setenv("COLUMNS", "200")
    f.write_text(text.format(""), encoding="utf-8")
    assert main(["compare", str(f), "--network", "none", "--out", str(tmp_path / "o")]) == 0
    assert "[bold]x[/bold]" in capsys.readouterr().out
    f.write_text(text.format("\\u001b[31m"), encoding="utf-8")
    assert main(["compare", str(f), "--network", "none", "--out", str(tmp_path / "o2")]) == 2
    out = capsys.readouterr()
    assert "\x1b" not in out.out + out.err and "key 'name'" in out.err and "'\\x1b'" in out.err


# ------------------------------------------------------------------ the DEM-band table at terminal widths
@pytest.mark.parametrize("width", [40, 60, 80, 100, 160])
def test_band_table_never_breaks_a_number(width):
    """At any terminal width the DEM-band table keeps every number whole on one line (a P10–P90 range may
    go to two lines at its en dash); the route names wrap instead. From 60 columns on no line is wider than
    the terminal; narrower, the table is written whole, wider than the terminal, rather than cut."""
    import pandas as pd
    from rich.console import Console

    names = ["Kars - Igdir - Dilucu - Sadarak rail", "Aras corridor via Iran (rail)", "Short"]
    tbl = pd.DataFrame({"name": names, "rank": [1, 2, 3], "tunnel_km": [1234.5, 36.1, 0.0],
                        "bridge_km": [2345.6, 37.2, 1.0], "cost_central_musd": [12345.0, 3851.0, 7.0],
                        "cost_low_musd": [8765.0, 2651.0, 2.0], "cost_high_musd": [23456.0, 7037.0, 17.0],
                        "tunnel_km_dem_p10": [1030.4, 37.3, 0.0], "tunnel_km_dem_p90": [1203.2, 45.1, 0.0],
                        "bridge_km_dem_p10": [2100.0, 34.2, 0.0], "bridge_km_dem_p90": [2456.7, 53.6, 0.0],
                        "cost_central_musd_dem_p10": [11030.0, 4079.0, 0.0],
                        "cost_central_musd_dem_p90": [13203.0, 4427.0, 0.0],
                        "dem_samples": [20, 20, 0], "dem_band": ["", "", "no band: nothing to build here"]})
    con = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    _render.print_dem_bands(tbl, con)
    out = con.file.getvalue()
    assert (max(len(line) for line in out.splitlines()) <= width) == (width >= 60)
    rows = body_cells(out)
    assert len(rows) == 3
    boxed = [line for line in out.splitlines() if line[:1] in set("┏┃┡│├└")]
    assert all(line[-1] in set("┓┃┩│┤┘") for line in boxed)  # never cut at the terminal's edge
    want = [["1,234.5", "1,030.4", "1,203.2"], ["2,345.6", "2,100.0", "2,456.7"],
            ["12,345", "11,030", "13,203"], ["8,765", "23,456"]]
    for col, numbers in enumerate(want, start=1):
        lines = [line.strip() for line in rows[0][col] if line.strip()]
        assert NUMBER.findall(" ".join(lines)) == numbers, (width, lines)
    for row in rows:
        for cell in row[1:]:  # a line of a figure ends between numbers: at a space or after the en dash
            for a, b in itertools.pairwise(line.strip() for line in cell if line.strip()):
                assert not (a[-1].isdigit() or a[-1] in ",.") or not (b[0].isdigit() or b[0] in ",."), (a, b)
    assert NUMBER.findall(" ".join(line.strip() for line in rows[1][3])) == ["3,851", "4,079", "4,427"]
    name = _flat(" ".join(line.strip() for line in rows[0][0]))
    assert name == names[0]  # the name wraps at its spaces
    if width >= 160:  # room for every header and figure on one line
        assert "│ central cost M USD (DEM P10–P90) │ unit-cost low–high │" in out.replace("┃", "│")
        assert re.search(r"│ +12,345 \(11,030–13,203\) │ +8,765–23,456 │", out)


def test_compare_sensitivity_with_odd_scenario_names(tmp_path, capsys, monkeypatch):
    """Scenario files named with =, "; ", curly and straight quotes and >: the printed base order and every
    order and ranks text of sensitivity.csv read back as its rank_groups, the machine-readable order."""
    import csv
    import json

    names = ODD_NAMES[:4]
    ends = [[45.63, 38.96], [45.70, 39.10], [45.55, 39.05], [45.63, 38.96]]  # the last ties with the first
    f = tmp_path / "odd.toml"
    f.write_text("".join(f'[[scenario]]\nname = {json.dumps(n, ensure_ascii=False)}\nmode = "road"\n'
                         f"waypoints = [[45.40, 39.21], {e}]\n" for n, e in zip(names, ends, strict=True)),
                 encoding="utf-8")
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "o"
    assert main(["compare", str(f), "--network", "none", "--sensitivity", "--out", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    with open(out / "sensitivity.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    groups = [tuple(tuple(g) for g in json.loads(r["rank_groups"])) for r in rows]
    assert (names[0], names[3]) in groups[0]  # a tie of two odd names
    base = re.search(r"Sensitivity: base order (.*); \d+ of \d+ variations", printed)
    assert base and read_order(base.group(1)) == groups[0]
    for r, g in zip(rows, groups, strict=True):
        assert read_order(r["order"]) == g
        ranks = dict(read_ranks(r["ranks"]))
        assert list(ranks) == names and [tuple(n for n in names if ranks[n] == k) for k in sorted({*ranks.values()})] \
            == list(g)
