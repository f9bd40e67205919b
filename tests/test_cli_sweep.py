"""Tests for corridor._cli_sweep (``corridor sweep``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor._cli_sweep import cost_field, params_for, parse_vary
from corridor._errors import ParameterError
from corridor.cli import main


def test_sweep_two_scenarios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import geopandas as gpd
    import pandas as pd

    out = tmp_path / "out"
    rc = main(["sweep", "gyumri-kars", "meghri-rail", "--vary", "max_grade=12.5,25",
               "--vary", "unit_cost.tunnel=10:70:30", "--out", str(out), "--workers", "1"])
    assert rc in (0, None)
    gdf = gpd.read_parquet(out / "sweep.parquet")
    assert len(gdf) == 2 * 2 * 3
    assert {"variant", "max_grade", "unit_cost.tunnel", "scenario", "cost_central_musd"} <= set(gdf.columns)
    assert gdf.crs.to_epsg() == 4326 and gdf.geometry.notna().all()
    # higher tunnel cost never lowers the cost of a route (same scenario, same grade)
    for (_, _), g in gdf.groupby(["scenario", "max_grade"]):
        costs = g.sort_values("unit_cost.tunnel")["cost_central_musd"].tolist()
        assert costs == sorted(costs)
    summ = pd.read_csv(out / "sweep_summary.csv")
    assert set(summ["scenario"]) == {"gyumri-kars", "meghri-rail"}
    assert (summ["n_variants"] == 6).all()
    assert summ["share_first"].sum() == pytest.approx(1.0)
    assert (summ["min_rank"] <= summ["mode_rank"]).all() and (summ["mode_rank"] <= summ["max_rank"]).all()
    assert "wrote" in capsys.readouterr().out
    assert not list(out.glob(".*tmp"))


def test_single_scenario_no_summary(tmp_path: Path) -> None:
    rc = main(["sweep", "gyumri-kars", "--vary", "rail_border_dwell_h=1,3", "--out", str(tmp_path)])
    assert rc in (0, None)
    assert (tmp_path / "sweep.parquet").exists() and not (tmp_path / "sweep_summary.csv").exists()


@pytest.mark.parametrize("spec", ["max_grade", "nope=1:2:1", "max_grade=5:1:1", "unit_cost.gold=1,2"])
def test_bad_vary(tmp_path: Path, spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "gyumri-kars", "--vary", spec, "--out", str(tmp_path)]) == 2
    assert "error" in capsys.readouterr().err


def test_helpers() -> None:
    assert cost_field("bridge", "road") == "road_bridge_musd_per_km"
    with pytest.raises(ParameterError):
        parse_vary(["a=1", "a=2"])
    p = params_for({"unit_cost.existing": 2.0}, "rail")
    assert p.rail_existing_musd_per_km == (2.0, 2.0, 2.0)
