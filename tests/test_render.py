"""corridor.cli._render: untrusted names print literally in the terminal tables (issue 15)."""

from __future__ import annotations

import io
import re

import pytest
from _maproutes import CONTROL, PAYLOADS, expected_text, hostile

from corridor.cli import _render


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
    _render.print_compare(table(metrics), con)
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
    assert "42.0 km" in flat and "40.0 km" in flat and "+5.0 %" in flat and "src" in flat
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
