"""corridor.cli.commands: the ``compare`` and ``route`` commands: options, checks, terminal and --json output.

The comparison job itself (files, provenance, inputs) is tested in test_pipeline.py, the output sets in
test_outputset.py. ``OUTPUTS`` and ``one_error_line`` come from tests/_cli.py.
"""

import csv
import json
from pathlib import Path

import pytest
from _cli import OUTPUTS, one_error_line

from corridor import scenarios
from corridor.cli import main
from corridor.network import NO_NETWORK_SOURCE


def test_compare_wide_prints_every_column(tmp_path, capsys, monkeypatch):
    """`--wide` shows every table column even at 80 columns; the default leaves some to the notes."""
    from corridor.cli._table import COLUMNS

    monkeypatch.setenv("COLUMNS", "80")
    args = ["compare", "yeraskh-sadarak", "--network", "none"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    narrow = capsys.readouterr().out
    assert main([*args, "--out", str(tmp_path / "b"), "--wide"]) == 0
    wide = capsys.readouterr().out

    def n_columns(text: str) -> int:
        return next(line for line in text.splitlines() if line.startswith("┌")).count("┬") + 1

    assert n_columns(wide) == len(COLUMNS) > n_columns(narrow)


def test_compare_json_small(tmp_path, capsys):
    assert main(["compare", "yeraskh-sadarak", "--network", "none", "--out", str(tmp_path / "o"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in data["routes"]] == [scenarios.get("yeraskh-sadarak").name]
    assert data["provenance"]["network"]["modelled"] is True
    assert {Path(f).name for f in data["files"]} == OUTPUTS
    assert data["routes"][0]["rank"] == 1


def test_costs_toml_wrong_type_names_key(tmp_path, capsys):
    f = tmp_path / "costs.toml"
    f.write_text('[costs]\nrail_tunnel_musd_per_km = "dear"\n', encoding="utf-8")
    out = tmp_path / "o"
    assert main(["compare", "yeraskh-sadarak", "--costs", str(f), "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "rail_tunnel_musd_per_km" in line and "costs.toml" in line
    assert not out.exists()


def test_unknown_unit_code(tmp_path, capsys):
    assert main(["route", "Yerevan", "Masis", "--mode", "road", "--stay-in", "ARM,XXX"]) == 2
    assert "'XXX'" in one_error_line(capsys)
    f = tmp_path / "unit.toml"
    f.write_text('[scenario]\nname = "x"\nmode = "rail"\nwaypoints = ["Yerevan", "Masis"]\nstay_in = ["ARM", "ZZZ"]\n',
                 encoding="utf-8")
    assert main(["compare", str(f), "--out", str(tmp_path / "o")]) == 2
    assert "ZZZ" in one_error_line(capsys)


def test_bad_weights(tmp_path, capsys):
    assert main(["compare", "yeraskh-sadarak", "--weights", "length_km", "--out", str(tmp_path / "o")]) == 2
    assert "length_km" in one_error_line(capsys)


def test_route_prints_metrics(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["route", "Masis", "Sadarak", "--mode", "rail", "--network", "none"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for fragment in ("length", "border crossings", "ARM>NAX", "cost", "MODELLED", "GLOBE"):
        assert fragment in text
    # a new alignment gets the DEM band, beside the unit-cost band, with what it means
    assert "DEM uncertainty: P10–P90" in text and "unit-cost low–high" in text
    assert "DEM vertical error only" in text


def test_dem_samples_zero_switches_the_band_off(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "o"
    assert main(["route", "Meghri", "Agarak", "--mode", "road", "--network", "none", "--dem-samples", "0",
                 "--out", str(out)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "DEM uncertainty" not in text
    with open(out / "summary.csv", encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert row["dem_samples"] == "0" and row["tunnel_km_dem_p10"] == "" and "not computed" in row["dem_band"]
    from corridor import settings

    monkeypatch.setattr(settings, "dem_samples", 3)  # the default (CORRIDOR_DEM_SAMPLES) when no option
    assert main(["route", "Meghri", "Agarak", "--mode", "road", "--network", "none", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)["route"]
    assert rec["dem_samples"] == 3 and rec["bridge_km_dem_p10"] <= rec["bridge_km_dem_p90"]
    assert main(["route", "Meghri", "Agarak", "--mode", "road", "--network", "none", "--dem-samples", "4",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["route"]["dem_samples"] == 4
    assert main(["compare", "yeraskh-sadarak", "--dem-samples", "-1", "--out", str(tmp_path / "x")]) == 2
    assert "dem-samples" in capsys.readouterr().err


def test_route_json(capsys):
    assert main(["route", "Masis", "Sadarak", "--mode", "rail", "--network", "none", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    r = data["route"]
    assert r["n_crossings"] == len(r["crossings_detail"]) >= 1
    assert r["length_km_ARM"] > 0 and r["length_km_NAX"] > 0
    assert r["cost_low_musd"] <= r["cost_central_musd"] <= r["cost_high_musd"]


def test_route_that_cannot_join_the_network_names_no_network_in_the_table_and_the_footer(capsys, monkeypatch):
    # the `route --help` example: new build cannot join the modelled line at its own level within 18 per
    # mille, so the route follows new build alone (a warning): it rests on no network, and both say so
    monkeypatch.setenv("COLUMNS", "200")
    args = ["route", "45.41,39.21", "46.57,38.90", "--mode", "rail", "--max-grade", "0.018", "--dem-samples", "0"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["route"]["network_source"] == data["provenance"]["network"]["source"] == NO_NETWORK_SOURCE
    assert data["route"]["length_km_new"] == pytest.approx(data["route"]["length_km"])
    assert main(args) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"│ network │ {NO_NETWORK_SOURCE} │" in text  # the table's row
    assert f"Network: {NO_NETWORK_SOURCE} — MODELLED" in text and "Network: reference" not in text


def test_route_bad_mode_and_place(capsys):
    assert main(["route", "Yerevan", "Masis", "--mode", "ship"]) == 2
    assert "'ship'" in one_error_line(capsys)
    assert main(["route", "Yerevan", "Atlantis", "--mode", "road", "--network", "none"]) == 2
    assert "Atlantis" in one_error_line(capsys)


def test_route_search_option_reaches_the_trace(capsys):
    """``--search level`` traces with the level-aware engine; an unknown engine is one clear line and a
    non-zero exit, before any data is loaded."""
    assert main(["route", "Meghri", "Agarak", "--stay-in", "ARM", "--network", "none", "--search", "level",
                 "--dem-samples", "0", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)["route"]
    assert rec["length_km"] > 0
    assert main(["route", "Meghri", "Agarak", "--network", "none", "--search", "fast"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "search" in err[0] and "level" in err[0] and "'fast'" in err[0]
