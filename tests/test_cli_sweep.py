"""Tests for corridor._cli_sweep (``corridor sweep``)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest

from corridor import settings
from corridor._errors import ParameterError
from corridor.batch import worker_stats
from corridor.cli import main
from corridor.cli.sweep import cost_field, params_for, parse_vary

GRADES = ["gyumri-kars", "meghri-rail", "--vary", "max_grade=12.5,25", "--vary", "unit_cost.tunnel=10,40"]


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


def test_max_grade_variants_redesign_with_network_none_and_reuse_the_reference_lines(tmp_path: Path) -> None:
    """Over the modelled reference network the stored lines are reused as drawn at every ruling grade
    (only the repricing changes); with --network none each grade designs its own new alignment."""
    import geopandas as gpd

    figures = {}
    for network in ("reference", "none"):
        out = tmp_path / network
        rc = main(["sweep", "gyumri-kars", "--vary", "max_grade=12.5,30", "--network", network, "--out", str(out),
                   "--workers", "1"])
        assert rc in (0, None)
        gdf = gpd.read_parquet(out / "sweep.parquet").sort_values("max_grade")
        figures[network] = gdf
    ref, new = figures["reference"], figures["none"]
    assert ref.geometry.iloc[0].equals(ref.geometry.iloc[1])  # the stored lines, as drawn
    assert not new.geometry.iloc[0].equals(new.geometry.iloc[1])  # a steeper grade draws another line
    assert new["tunnel_km"].iloc[1] <= new["tunnel_km"].iloc[0]


def test_single_scenario_no_summary(tmp_path: Path) -> None:
    rc = main(["sweep", "gyumri-kars", "--vary", "rail_border_dwell_h=1,3", "--out", str(tmp_path)])
    assert rc in (0, None)
    assert (tmp_path / "sweep.parquet").exists() and not (tmp_path / "sweep_summary.csv").exists()


@pytest.mark.parametrize("entry", ["folder", "link to a folder", "dangling link"])
def test_single_scenario_sweep_ignores_an_entry_named_like_the_summary(
        tmp_path: Path, entry: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A one-scenario sweep writes no sweep_summary.csv, so an entry of that name in --out (a folder, a link)
    does not stop it and is left as it is; a two-scenario sweep, which writes one, still refuses a folder
    there before any work."""
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    entry_path = out / "sweep_summary.csv"
    if entry == "folder":
        entry_path.mkdir()
        (entry_path / "keep.txt").write_text("mine")
    else:
        entry_path.symlink_to(target if entry == "link to a folder" else tmp_path / "nothing")
    args = ["--vary", "rail_border_dwell_h=1,3", "--workers", "1", "--out", str(out)]
    assert main(["sweep", "gyumri-kars", *args]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (out / "sweep.parquet").is_file() and (out / "corridor-manifest.json").is_file()
    assert entry_path.is_symlink() == (entry != "folder")
    if entry != "dangling link":
        assert (entry_path / "keep.txt").read_text() == "mine"
    if entry == "folder":
        assert main(["sweep", "gyumri-kars", "meghri-rail", *args]) == 2
        err = capsys.readouterr().err
        assert "cannot write 'sweep_summary.csv'" in err and "a folder of that name is in the way" in err


def _strict_json(text: str) -> Any:
    import json

    return json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the JSON output"))


def test_sweep_json_and_a_later_sweep_replaces_the_whole_set(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints only strict JSON: the files written, every row of the table (no geometry) and the rank
    summary. A later sweep into the same folder replaces the earlier set as a whole: a single-scenario sweep
    leaves no rank summary of the earlier, two-scenario one behind; a file of the user's stays."""
    import geopandas as gpd

    out = tmp_path / "out"
    args = ["--vary", "rail_border_dwell_h=1,3", "--network", "none", "--workers", "1", "--out", str(out)]
    assert main(["sweep", "gyumri-kars", "yeraskh-sadarak", *args, "--json"]) == 0
    captured = capsys.readouterr()
    data = _strict_json(captured.out)
    assert [Path(f).name for f in data["files"]] == ["sweep.parquet", "sweep_summary.csv", "corridor-manifest.json"]
    assert all(Path(f).is_file() for f in data["files"])
    assert len(data["rows"]) == 4 and "geometry" not in data["rows"][0]
    table = gpd.read_parquet(out / "sweep.parquet")
    assert [r["cost_central_musd"] for r in data["rows"]] == pytest.approx(table["cost_central_musd"].tolist())
    assert {r["scenario"] for r in data["rows"]} == {"gyumri-kars", "yeraskh-sadarak"}
    assert {r["rail_border_dwell_h"] for r in data["rows"]} == {1.0, 3.0}
    assert any(v is None for r in data["rows"] for v in r.values())  # NaN figures (no DEM band) are null
    assert sorted(r["scenario"] for r in data["summary"]) == ["gyumri-kars", "yeraskh-sadarak"]
    assert data["provenance"]["vary"] == {"rail_border_dwell_h": "1,3"}
    (out / "notes.txt").write_text("mine")
    assert main(["sweep", "gyumri-kars", *args]) == 0
    assert "wrote" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["corridor-manifest.json", "notes.txt", "sweep.parquet"]
    assert main(["sweep", "gyumri-kars", *args, "--json"]) == 0
    assert _strict_json(capsys.readouterr().out)["summary"] is None


def test_disk_full_while_writing_the_sweep_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """An OSError while sweep.parquet is written (a full disk) is one line and exit 2, as for every output set:
    the earlier set stays as it was."""
    import errno

    import geopandas as gpd

    out = tmp_path / "out"
    args = ["sweep", "yeraskh-sadarak", "--vary", "rail_border_dwell_h=1", "--network", "none", "--workers", "1",
            "--out", str(out)]
    assert main(args) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full(self: Any, path: Any, *a: Any, **k: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", full)
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("corridor: error: ") and "No space left on device" in err[0]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_variant_that_cannot_be_built_is_a_row_with_its_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """A ruling grade too low for one scenario's waypoints used to abort the whole sweep. Its rows now carry the
    error (no metrics, no geometry), a warning names the scenario and variants, the other rows are evaluated, and
    the rank summary ranks the rest among themselves. If every variant fails, the sweep is one error line."""
    import geopandas as gpd
    import pandas as pd

    out = tmp_path / "out"
    args = ["sweep", "gyumri-kars", "meghri-rail", "--vary", "max_grade=2.1,15", "--vary", "unit_cost.tunnel=30,60",
            "--network", "none", "--workers", "1", "--out", str(out)]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "4 of 8 rows could not be built" in captured.out
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "could not be built" in
              r.getMessage()]
    assert len(warned) == 2 and all("variants (0, 1)" in ln and "2.1 per mille" in ln for ln in warned), warned
    table = gpd.read_parquet(out / "sweep.parquet")
    bad = table["max_grade"] == 2.1
    assert table.loc[bad, "error"].str.contains("cannot join").all() and table.loc[~bad, "error"].isna().all()
    assert table.loc[bad, "cost_central_musd"].isna().all() and table.loc[bad].geometry.isna().all()
    assert table.loc[~bad, "cost_central_musd"].notna().all() and table.loc[~bad].geometry.notna().all()
    assert set(table.loc[bad, "scenario"]) == {"gyumri-kars", "meghri-rail"}
    summ = pd.read_csv(out / "sweep_summary.csv").set_index("scenario")
    assert summ["n_variants"].tolist() == [2, 2] and summ["n_failed"].tolist() == [2, 2]
    assert summ.loc["gyumri-kars", "min_rank"] == 1 and summ.loc["meghri-rail", "max_rank"] == 2
    manifest = (out / "corridor-manifest.json").read_text()
    assert '"failed": 4' in manifest
    assert main([*args, "--json"]) == 0  # strict JSON: the failed rows' figures are null, their error is text
    data = _strict_json(capsys.readouterr().out)
    assert data["provenance"]["failed"] == 4 and len(data["rows"]) == 8
    assert all((r["error"] is None) == (r["cost_central_musd"] is not None) for r in data["rows"])
    assert {s["scenario"]: s["n_failed"] for s in data["summary"]} == {"gyumri-kars": 2, "meghri-rail": 2}
    # every variant fails: nothing to write, one line and exit 2
    assert main(["sweep", "gyumri-kars", "--vary", "max_grade=2", "--network", "none", "--workers", "1",
                 "--out", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("corridor: error: the ruling grade 2 per mille cannot join")
    assert not (tmp_path / "none" / "sweep.parquet").exists()


@pytest.mark.parametrize("rank_by", ["cost_centre_musd", "variant", "max_grade", "error", "unit_cost.tunnel"])
def test_a_rank_by_that_names_no_metric_is_refused_before_any_work(tmp_path: Path, rank_by: str,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A typo in --rank-by, or a variant column, is one error line before anything is traced (it was found only
    after the whole sweep); the metric a variant key shadows (route_max_grade) and published figures rank."""
    import corridor.cli.sweep as sweep_mod

    ran: list[bool] = []

    def no_work(*a: Any, **k: Any) -> Any:
        ran.append(True)
        raise ParameterError("stop here")

    monkeypatch.setattr(sweep_mod, "route_and_evaluate_many", no_work)
    args = ["sweep", "gyumri-kars", "meghri-rail", "--vary", "max_grade=12.5", "--vary", "unit_cost.tunnel=30",
            "--out", str(tmp_path / "o")]
    assert main([*args, "--rank-by", rank_by]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"--rank-by {rank_by!r} is not a metric column" in err[0], err
    choices = err[0].split("; rank by one of: ")[1].split(", ")  # the figure columns, sorted
    assert choices == sorted(choices) and {"cost_central_musd", "route_max_grade", "tunnel_km"} <= set(choices)
    assert not {"name", "max_grade", "modelled", "published_sources"} & set(choices)
    assert not ran, "the sweep ran before --rank-by was checked"
    for good in ("route_max_grade", "tunnel_km", "published_restart_cost_musd"):
        assert main([*args, "--rank-by", good]) == 2
        assert "stop here" in capsys.readouterr().err and len(ran) == 1, good
        ran.clear()


def test_rank_summary_skips_failed_rows() -> None:
    """A failed row (no metric) takes no rank; within its variant the others rank among themselves. A scenario
    that failed everywhere keeps its row with empty ranks."""
    import pandas as pd

    from corridor.cli.sweep import rank_summary

    frame = pd.DataFrame({"variant": [0, 0, 0, 1, 1, 1], "scenario": ["a", "b", "c"] * 2,
                          "cost": [3.0, None, 1.0, 1.0, 2.0, None]})
    got = rank_summary(frame, by="cost").set_index("scenario")
    assert got.loc["a", "n_variants"] == 2 and got.loc["a", "min_rank"] == 1 and got.loc["a", "max_rank"] == 2
    assert got.loc["b", "n_variants"] == 1 and got.loc["b", "n_failed"] == 1 and got.loc["b", "max_rank"] == 2
    assert got.loc["c", "min_rank"] == 1 and got.loc["c", "n_failed"] == 1
    assert got.index.tolist() == ["a", "c", "b"]  # by mode rank: a ranks 2 then 1, c 1, b 2
    assert got["share_first"].tolist() == pytest.approx([0.5, 1.0, 0.0])
    none = rank_summary(pd.DataFrame({"variant": [0, 0], "scenario": ["a", "b"], "cost": [1.0, None]}), by="cost")
    assert none["scenario"].tolist() == ["a", "b"] and pd.isna(none.loc[1, "min_rank"])
    assert none.loc[1, "n_variants"] == 0 and none.loc[1, "n_failed"] == 1


@pytest.mark.parametrize("spec", ["max_grade", "nope=1:2:1", "max_grade=5:1:1", "unit_cost.gold=1,2"])
def test_bad_vary(tmp_path: Path, spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "gyumri-kars", "--vary", spec, "--out", str(tmp_path)]) == 2
    assert "error" in capsys.readouterr().err


@pytest.mark.parametrize("spec", ["max_grade=0.0125", "max_grade=0.01,0.02"])
def test_a_ratio_given_to_vary_max_grade_is_refused_before_tracing(tmp_path: Path, spec: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """--vary max_grade takes per mille; 0.0125 (the ratio of route --max-grade) used to run as 0.0125 per
    mille and fail with "the ruling grade 0.0125 per mille cannot join ..." after tracing."""
    assert main(["sweep", "gyumri-kars", "--vary", spec, "--network", "none", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "looks like a ratio" in err[0] and "per mille" in err[0], err


@pytest.fixture(scope="module")
def cluster() -> Any:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as c, distributed.Client(c) as client:
        yield c, client


@pytest.fixture(scope="module")
def serial_sweep(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import geopandas as gpd

    out = tmp_path_factory.mktemp("serial")
    assert main(["sweep", *GRADES, "--out", str(out), "--workers", "1"]) in (0, None)
    return gpd.read_parquet(out / "sweep.parquet")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sweep_on_scheduler_traces_on_workers(tmp_path: Path, cluster: Any, serial_sweep: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import geopandas as gpd
    import pandas as pd

    import corridor.align.tracing
    from corridor import scenarios

    c, client = cluster

    def no_trace(*a: Any, **k: Any) -> Any:
        raise AssertionError("traced on the caller")

    monkeypatch.setattr(corridor.align.tracing, "trace", no_trace)  # the sweep must trace on the workers
    monkeypatch.setattr(scenarios.Scenario, "route", no_trace)
    before = sum(st["traces"] for st in client.run(worker_stats).values())
    assert main(["sweep", *GRADES, "--out", str(tmp_path), "--scheduler", c.scheduler_address]) in (0, None)
    traces = sum(st["traces"] for st in client.run(worker_stats).values()) - before
    assert traces == 4, "one trace per (scenario, max_grade) on the workers"
    got = gpd.read_parquet(tmp_path / "sweep.parquet")
    assert len(got) == len(serial_sweep) == 8
    pd.testing.assert_frame_equal(got.drop(columns="geometry"), serial_sweep.drop(columns="geometry"))
    assert got.geometry.geom_equals_exact(serial_sweep.geometry, 0.0).all()
    # the variant's ruling grade is kept (the route's steepest grade is route_max_grade)
    assert sorted(set(got["max_grade"])) == [12.5, 25.0]
    assert (got["route_max_grade"] < 1).all()
    assert len(client.scheduler_info()["workers"]) == 2


def test_scheduler_from_settings(tmp_path: Path, cluster: Any, serial_sweep: Any,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import geopandas as gpd

    c, _ = cluster
    monkeypatch.setattr(settings, "dask_scheduler", c.scheduler_address)
    args = ["sweep", "gyumri-kars", "meghri-rail", "--vary", "max_grade=12.5,25", "--vary", "unit_cost.tunnel=10,40"]
    assert main([*args, "--out", str(tmp_path)]) in (0, None)
    got = gpd.read_parquet(tmp_path / "sweep.parquet")
    assert got.drop(columns="geometry").equals(serial_sweep.drop(columns="geometry"))


def test_unreachable_scheduler(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "dask_timeout", 1.0)
    addr = f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.monotonic()
    rc = main(["sweep", "gyumri-kars", "--vary", "rail_border_dwell_h=1,3", "--out", str(tmp_path),
               "--scheduler", addr])
    elapsed = time.monotonic() - t0
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("corridor: error: cannot connect to the Dask scheduler")
    assert addr in err
    assert elapsed < 30  # bounded by the connect timeout, not hanging
    assert not (tmp_path / "sweep.parquet").exists()
    # the same address from the settings (CORRIDOR_DASK_SCHEDULER) fails the same way ...
    monkeypatch.setattr(settings, "dask_scheduler", addr)
    assert main(["sweep", "gyumri-kars", "--vary", "rail_border_dwell_h=1,3", "--out", str(tmp_path)]) == 2
    assert "cannot connect" in capsys.readouterr().err
    # ... and --scheduler with --workers is refused
    assert main(["sweep", "gyumri-kars", "--vary", "rail_border_dwell_h=1,3", "--out", str(tmp_path),
                 "--scheduler", addr, "--workers", "2"]) == 2
    assert "not both" in capsys.readouterr().err


def test_scheduler_without_dask_says_how_to_install_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Dask, --scheduler is one line naming both installs: from PyPI and from a source checkout."""
    import sys

    from corridor.batch import DASK_HINT

    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` raises ImportError
    rc = main(["sweep", "gyumri-kars", "--vary", "rail_border_dwell_h=1,3", "--out", str(tmp_path),
               "--scheduler", "tcp://127.0.0.1:8786"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("corridor: error: Dask is needed") and DASK_HINT in err
    assert "pip install 'corridor[dask]'" in err and "in a source checkout, pip install -e '.[dask]'" in err
    assert not (tmp_path / "sweep.parquet").exists()


def test_helpers() -> None:
    assert cost_field("bridge", "road") == "road_bridge_musd_per_km"
    with pytest.raises(ParameterError):
        parse_vary(["a=1", "a=2"])
    p = params_for({"unit_cost.existing": 2.0}, "rail")
    assert p.rail_existing_musd_per_km == (2.0, 2.0, 2.0)
    # ranges are read as numbers; a count parameter takes whole ones
    assert params_for({"vertical_refine_rounds": 0.0}, "rail").vertical_refine_rounds == 0
    with pytest.raises(ParameterError, match="whole number"):
        params_for({"vertical_refine_rounds": 1.5}, "rail")


def test_sweep_grid_cap_and_duplicate_scenarios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "gyumri-kars", "--vary", "max_grade=1:100:0.001", "--vary",
                 "unit_cost.tunnel=1:100:0.001", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "combinations" in err and "max_sweep_variants" in err and "Traceback" not in err
    for name in ("a.toml", "b.toml"):
        (tmp_path / name).write_text('[scenario]\nname = "Dup"\nmode = "road"\n'
                                     'waypoints = [[45.40, 39.21], [45.63, 38.96]]\n')
    assert main(["sweep", str(tmp_path / "a.toml"), str(tmp_path / "b.toml"), "--vary",
                 "rail_border_dwell_h=1,3", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "duplicate scenario name 'Dup'" in err and "a.toml" in err and "b.toml" in err
    assert not (tmp_path / "sweep.parquet").exists()


@pytest.mark.parametrize("n", ["0", "-1"])
def test_workers_below_one_is_refused_by_its_option_before_any_work(tmp_path: Path, n: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["sweep", "yeraskh-sadarak", "--vary", "unit_cost.tunnel=30", "--workers", n, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'--workers'" in err[0] and "max_workers" not in err[0]
    assert not out.exists()
