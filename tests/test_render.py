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
