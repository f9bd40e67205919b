import json
import subprocess
import sys

from corridor.cli import main


def test_info_prints_pack(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "NAX" in out and "Nakhchivan" in out and "DEM" in out and "EPSG:4326" in out


def test_info_json(capsys):
    assert main(["info", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert 5200 < data["units"]["NAX"]["area_km2"] < 5500
    assert data["dem"]["resolution_arcsec"] == 30.0
    assert data["places"]["total"] > 1000


def test_usage_error_is_one_line_exit_2(capsys):
    assert main(["info", "--bogus"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--bogus" in err[0]


def test_version():
    out = subprocess.run([sys.executable, "-m", "corridor.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("corridor ")


def test_import_does_no_io():
    code = ("import sys, corridor; heavy = [m for m in ('geopandas','rasterio','osmnx','requests') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------ compare / route / list (issue 6)
import csv  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from corridor import scenarios  # noqa: E402

OUTPUTS = {"summary.csv", "routes.gpkg", "profiles.png", "comparison.png", "map.html", "report.html"}


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("corridor: error: ") and "Traceback" not in err[0]
    return err[0]


@pytest.fixture(scope="module")
def default_compare(tmp_path_factory):
    """`corridor compare` with no scenario arguments: the whole catalogue, offline, embedded data."""
    out = tmp_path_factory.mktemp("cmp") / "corridor-output"
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "200"
    import contextlib
    import io

    buf_out, buf_err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(buf_out), contextlib.redirect_stderr(buf_err):
            code = main(["compare", "--out", str(out)])
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return code, buf_out.getvalue(), buf_err.getvalue(), out


def test_default_compare_writes_all_files(default_compare):
    code, _, err, out = default_compare
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == OUTPUTS  # no temp folder left behind
    for name in OUTPUTS:
        assert (out / name).stat().st_size > 0


def test_default_compare_covers_catalogue(default_compare):
    _, out_text, _, out = default_compare
    with open(out / "summary.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = {s.name for s in scenarios.builtin()}
    assert {r["name"] for r in rows} == names
    for col in ("length_km", "length_km_ARM", "length_km_NAX", "n_crossings", "max_grade", "km_over_ruling",
                "time_h", "cost_low_musd", "cost_central_musd", "cost_high_musd", "rank"):
        assert all(r[col] != "" for r in rows), col
    for r in rows:
        assert float(r["cost_low_musd"]) <= float(r["cost_central_musd"]) <= float(r["cost_high_musd"])
        assert "modelled" in r["network_source"]
    # the printed table names every scenario and says plainly the network is modelled
    flat = " ".join(out_text.split())
    for n in names:
        assert n.split(" ")[0] in flat
    assert "MODELLED, not OpenStreetMap" in flat and "GLOBE" in flat
    assert "km by country" in flat and "cost low–central–high" in flat


def test_compare_json_small(tmp_path, capsys):
    assert main(["compare", "yeraskh-sadarak", "--network", "none", "--out", str(tmp_path / "o"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in data["routes"]] == [scenarios.get("yeraskh-sadarak").name]
    assert data["provenance"]["network"]["modelled"] is True
    assert {Path(f).name for f in data["files"]} == OUTPUTS
    assert data["routes"][0]["rank"] == 1


def test_compare_unknown_scenario_file(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["compare", str(tmp_path / "missing.toml"), "--out", str(out)]) == 2
    assert "missing.toml" in one_error_line(capsys)
    assert not out.exists()


def test_compare_duplicate_scenarios_across_files_and_names(tmp_path, capsys):
    out = tmp_path / "o"
    for name in ("a.toml", "b.toml"):
        (tmp_path / name).write_text('[scenario]\nname = "Dup"\nmode = "road"\n'
                                     'waypoints = [[45.40, 39.21], [45.63, 38.96]]\n')
    assert main(["compare", str(tmp_path / "a.toml"), str(tmp_path / "b.toml"), "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "duplicate scenario name 'Dup'" in line and "a.toml" in line and "b.toml" in line
    assert main(["compare", "gyumri-kars", "gyumri-kars", "--out", str(out)]) == 2
    assert "built-in 'gyumri-kars'" in one_error_line(capsys)
    assert not out.exists()


def test_compare_unknown_scenario_name(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["compare", "atlantis-rail", "--out", str(out)]) == 2
    assert "atlantis-rail" in one_error_line(capsys)
    assert not out.exists()


def test_compare_toml_wrong_type_names_key(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text('[scenario]\nname = "x"\nmode = "rail"\nwaypoints = "Yerevan"\n', encoding="utf-8")
    out = tmp_path / "o"
    assert main(["compare", str(f), "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "waypoints" in line and "bad.toml" in line
    assert not out.exists()


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


def test_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "out.txt"
    f.write_text("keep me")
    assert main(["compare", "yeraskh-sadarak", "--out", str(f)]) == 2
    assert "is a file" in one_error_line(capsys)
    assert f.read_text() == "keep me"


def test_out_not_writable(tmp_path, capsys, monkeypatch):
    import corridor._pipeline as pipeline

    out = tmp_path / "locked"
    out.mkdir()
    real = os.access
    monkeypatch.setattr(pipeline.os, "access", lambda p, mode: False if Path(p) == out else real(p, mode))
    assert main(["compare", "yeraskh-sadarak", "--out", str(out)]) == 2
    assert "not writable" in one_error_line(capsys)
    assert list(out.iterdir()) == []
    # a folder still to be created under an unwritable parent
    assert main(["compare", "yeraskh-sadarak", "--out", str(out / "sub")]) == 2
    assert "not writable" in one_error_line(capsys)
    assert not (out / "sub").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_out_not_writable_real(tmp_path, capsys):  # pragma: no cover - runs only as non-root
    out = tmp_path / "ro"
    out.mkdir(mode=0o555)
    assert main(["compare", "yeraskh-sadarak", "--out", str(out)]) == 2
    assert "not writable" in one_error_line(capsys)


def test_failure_while_writing_leaves_nothing(tmp_path, capsys, monkeypatch):
    from corridor import charts
    from corridor._errors import OutputError

    def boom(*a, **k):
        raise OutputError("disk full while drawing profiles.png; free some space")

    monkeypatch.setattr(charts, "profiles_png", boom)
    fresh = tmp_path / "fresh"
    assert main(["compare", "yeraskh-sadarak", "--network", "none", "--out", str(fresh)]) == 2
    assert "disk full" in one_error_line(capsys)
    assert not fresh.exists()  # created by the run, removed again
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "summary.csv").write_text("old")
    assert main(["compare", "yeraskh-sadarak", "--network", "none", "--out", str(existing)]) == 2
    one_error_line(capsys)
    assert [p.name for p in existing.iterdir()] == ["summary.csv"]
    assert (existing / "summary.csv").read_text() == "old"  # not replaced by a half-finished run


def test_bad_weights(tmp_path, capsys):
    assert main(["compare", "yeraskh-sadarak", "--weights", "length_km", "--out", str(tmp_path / "o")]) == 2
    assert "length_km" in one_error_line(capsys)


def test_route_prints_metrics(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["route", "Masis", "Sadarak", "--mode", "rail", "--network", "none"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for fragment in ("length", "border crossings", "ARM>NAX", "cost", "MODELLED", "GLOBE"):
        assert fragment in text


def test_route_json(capsys):
    assert main(["route", "Masis", "Sadarak", "--mode", "rail", "--network", "none", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    r = data["route"]
    assert r["n_crossings"] == len(r["crossings_detail"]) >= 1
    assert r["length_km_ARM"] > 0 and r["length_km_NAX"] > 0
    assert r["cost_low_musd"] <= r["cost_central_musd"] <= r["cost_high_musd"]


def test_route_bad_mode_and_place(capsys):
    assert main(["route", "Yerevan", "Masis", "--mode", "ship"]) == 2
    assert "'ship'" in one_error_line(capsys)
    assert main(["route", "Yerevan", "Atlantis", "--mode", "road", "--network", "none"]) == 2
    assert "Atlantis" in one_error_line(capsys)


def test_list(capsys):
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {s["slug"] for s in data["scenarios"]} == {s.slug for s in scenarios.builtin()}
    kinds = {p["kind"] for p in data["places"]}
    assert "border_crossing" in kinds and "village" not in kinds
    assert main(["list", "params", "--json"]) == 0
    params = json.loads(capsys.readouterr().out)["params"]
    assert all(p["source"] for p in params)
    assert main(["list", "scenarios"]) == 0
    assert "meghri" in capsys.readouterr().out
    assert main(["list", "planets"]) == 2
    assert "'planets'" in one_error_line(capsys)


def test_terminal_output_is_cleaned(tmp_path, capsys, monkeypatch):
    f = tmp_path / "evil.toml"
    f.write_text('[scenario]\nname = "evil\\u001b[31m red [bold]x[/bold]"\nslug = "evil"\nmode = "rail"\n'
                 'waypoints = ["Yeraskh", "Sadarak"]\n', encoding="utf-8")
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["compare", str(f), "--network", "none", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "\x1b[31m" not in out and "[bold]x[/bold]" in out


@pytest.mark.parametrize("cmd", ["compare", "route", "list", "info"])
def test_help_shows_examples(cmd):
    out = subprocess.run([sys.executable, "-m", "corridor.cli", cmd, "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "120"})
    assert out.returncode == 0 and "Examples" in out.stdout and f"corridor {cmd}" in out.stdout


def test_compare_sensitivity(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "o"
    assert main(["compare", "yeraskh-sadarak", "gyumri-kars", "--network", "none", "--sensitivity",
                 "--out", str(out), "--weights", "length_km=1,cost_central_musd=1"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Sensitivity: base order" in text and "of 24 variations" in text
    with open(out / "sensitivity.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["parameter"] == "base"
    assert {r["parameter"] for r in rows} >= {"length_km", "cost_central_musd", "rail_tunnel_musd_per_km"}


def test_route_over_overpass_queries_the_waypoint_area(http_server, monkeypatch, tmp_cache, capsys):
    """``--network overpass`` asks the (loopback) Overpass API for the box around the waypoints."""
    import re
    import urllib.parse

    from _httpserver import Reply
    from _osmgen import overpass_handler

    from corridor import settings

    monkeypatch.setattr(settings, "overpass_url", http_server.url("/api/interpreter"))
    http_server.add("/api/interpreter", Reply(handler=overpass_handler()))
    # along the synthetic rail line near the Kars-Gyumri border (tests/_osmgen.py)
    args = ["route", "43.61,40.70", "43.84,40.78", "--mode", "rail", "--network", "overpass", "--json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["provenance"]["network"]["source"] == "osm (overpass)"
    assert data["route"]["length_km_existing_active"] > 0, data["route"]
    assert len(http_server.requests) >= 1
    for _, _, _, body in http_server.requests:
        q = urllib.parse.parse_qs(body.decode())["data"][0]
        vals = [float(v) for v in re.search(r"\(poly:'([^']+)'\)", q).group(1).split()]
        lats, lons = vals[0::2], vals[1::2]
        assert min(lons) > 43.61 - 0.26 and max(lons) < 43.84 + 0.26  # the waypoints + 0.25 degrees
        assert min(lats) > 40.70 - 0.26 and max(lats) < 40.78 + 0.26
