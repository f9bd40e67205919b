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
from corridor.data.datasets import data_dir  # noqa: E402
from corridor.network import NO_NETWORK_SOURCE  # noqa: E402

OUTPUTS = {"summary.csv", "published.csv", "routes.gpkg", "routes-hillshade.tif", "routes.qgs", "profiles.png",
           "comparison.png", "map.html", "report.html", "corridor-manifest.json"}


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
    # every scenario but those the reference build records as infeasible at their ruling grade
    recorded = json.loads((data_dir() / "reference" / "network.geojson").read_text())["infeasible"]
    infeasible = {scenarios.get(r["scenario"]).name for r in recorded}
    names = {s.name for s in scenarios.builtin()} - infeasible
    assert {r["name"] for r in rows} == names
    for n in infeasible:  # one line each on stderr
        assert sum(n in ln and "infeasible" in ln for ln in default_compare[2].splitlines()) == 1
    for col in ("length_km", "length_km_ARM", "length_km_NAX", "n_crossings", "max_grade", "over_ruling_km",
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
    assert "country" in flat and "low–high" in flat and "Notes per route" in flat


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


def test_summary_csv_lists_routes_in_the_terminal_tables_order(default_compare):
    # best rank first, as the printed table and its numbered notes (not the catalogue's alphabetical order)
    _, out_text, _, out = default_compare
    with open(out / "summary.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    ranks = [int(r["rank"]) for r in rows]
    assert ranks == sorted(ranks) and len(rows) > 2
    assert [r["name"] for r in rows] != sorted(r["name"] for r in rows)
    flat = " ".join(out_text.split())
    notes = [flat.index(f"{int(r['rank'])}. {r['name']} (") for r in rows]
    assert notes == sorted(notes)

def test_default_compare_sets_published_beside_modelled(default_compare):
    """Every published figure of the catalogue is in published.csv and in the printed table, with its %
    difference and source where the model has a counterpart, and 'no modelled counterpart' otherwise."""
    _, out_text, _, out = default_compare
    with open(out / "published.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(out / "summary.csv", encoding="utf-8") as f:
        summary = {r["name"]: r for r in csv.DictReader(f)}
    # every scenario that was compared, then those left out of the table (infeasible), whose figures are
    # listed with the reason and no modelled value
    figures = [(s.name, p["figure"]) for s in scenarios.builtin() for p in s.published if s.name in summary]
    unrouted = [(s.name, p["figure"]) for s in scenarios.builtin() for p in s.published if s.name not in summary]
    assert len({n for n, _ in figures}) >= len(scenarios.builtin()) - 1 and unrouted
    assert [(r["route"], r["figure"]) for r in rows] == figures + unrouted
    report = (out / "report.html").read_text(encoding="utf-8")
    for r in rows:
        assert r["source"]
        if r["route"] not in summary:
            assert r["modelled"] == "" and r["note"].startswith("no modelled counterpart (the scenario was not routed: ")
            assert f"<li><b>{r['route']}</b>: " in report and "infeasible" not in r["note"][:40]
            continue
        if r["measure"]:
            modelled, published = float(r["modelled"]), float(r["published"])
            assert float(r["diff_pct"]) == pytest.approx((modelled - published) / published * 100.0)
            if r["unit"] == "km":
                assert modelled == pytest.approx(float(summary[r["route"]][r["metric"]]))
        else:
            assert r["modelled"] == "" and r["note"] == "no modelled counterpart"
    flat = " ".join(out_text.split())
    assert "Modelled vs published" in flat and "no modelled counterpart" in flat
    kars = next(r for r in rows if r["measure"] == "length_in_TUR")
    assert f"{float(kars['diff_pct']):+.1f} %" in flat and "menafn.com" in flat
    # the DEM band: columns for every route; routes without corridor-designed new build say so
    for r in summary.values():
        assert {"tunnel_km_dem_p10", "tunnel_km_dem_p90", "cost_central_musd_dem_p10", "dem_samples",
                "dem_band"} <= set(r)
        if int(r["dem_samples"]) > 0:
            assert float(r["tunnel_km_dem_p10"]) <= float(r["tunnel_km_dem_p90"])
        else:
            assert r["tunnel_km_dem_p10"] == "" and r["dem_band"].startswith("none")


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
    import corridor.cli._outputset as outputset

    out = tmp_path / "locked"
    out.mkdir()
    real = os.access
    # the folder can be read (listed), not written
    monkeypatch.setattr(outputset.os, "access",
                        lambda p, mode: False if Path(p) == out and mode & os.W_OK else real(p, mode))
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
    from corridor._errors import OutputError
    from corridor.outputs import charts

    def boom(*a, **k):
        raise OutputError("disk full while drawing profiles.png; free some space")

    monkeypatch.setattr(charts, "profiles_png", boom)
    fresh = tmp_path / "fresh"
    assert main(["compare", "yeraskh-sadarak", "--network", "none", "--out", str(fresh / "a" / "b")]) == 2
    assert "disk full" in one_error_line(capsys)
    assert not fresh.exists()  # created by the run (with its parents), removed again
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


def test_compare_footer_names_the_routes_that_use_none_of_the_network(tmp_path, capsys, monkeypatch):
    """A scenario whose new build cannot join the reference network at its level follows new build alone:
    its row names no network, so the footer, beside the network loaded, names that route; a route on the
    network is not named."""
    import html

    monkeypatch.setenv("COLUMNS", "200")
    name = "Plain to the Aras, new build alone"
    toml = tmp_path / "alone.toml"
    toml.write_text(f'[scenario]\nname = "{name}"\nmode = "rail"\nwaypoints = [[45.41, 39.21], [46.57, 38.90]]\n',
                    encoding="utf-8")
    on = scenarios.get("yeraskh-sadarak").name
    out = tmp_path / "o"
    assert main(["compare", str(toml), "yeraskh-sadarak", "--dem-samples", "0", "--out", str(out)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    with open(out / "summary.csv", encoding="utf-8") as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    assert rows[name]["network_source"] == NO_NETWORK_SOURCE  # the row: no network ...
    assert float(rows[name]["length_km_new"]) == pytest.approx(float(rows[name]["length_km"]))
    assert rows[on]["network_source"] == "reference (modelled)"
    # ... and the footer: the network loaded, and the route that uses none of it
    assert "Network: reference (modelled) — MODELLED" in text
    assert f"{name} uses none of this network: it follows new build alone (network “{NO_NETWORK_SOURCE}”" in text
    assert f"{on} uses none" not in text
    # the manifest and the report say the same
    net = pipeline.read_manifest(out)["provenance"]["network"]
    assert net["source"] == "reference (modelled)" and net["routes_on_no_network"] == [name]
    report = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert f"{name} (new build alone: {NO_NETWORK_SOURCE})" in report


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
    assert {"border_crossing", "rail_station", "city"} <= kinds
    assert main(["list", "places", "--all-places", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["places"]) > 2 * len(data["places"])  # villages, towns
    assert main(["list", "params", "--json"]) == 0
    params = json.loads(capsys.readouterr().out)["params"]
    assert all(p["source"] for p in params)
    assert main(["list", "scenarios"]) == 0
    assert "meghri" in capsys.readouterr().out
    assert main(["list", "planets"]) == 2
    assert "'planets'" in one_error_line(capsys)


@pytest.mark.parametrize("what", ["all", "places"])
def test_default_place_list_holds_every_place_a_builtin_scenario_names(what, capsys, monkeypatch):
    """Every waypoint a built-in scenario names (as `corridor list scenarios` shows them) is in the default
    place listing, whatever its kind: the place the name resolves to when routing, with its coordinates."""
    from corridor.data.places import resolve

    assert main(["list", what, "--json"]) == 0
    listed = {(p["name"], p["lon"], p["lat"]) for p in _strict_json(capsys.readouterr().out)["places"]}
    named = {w for s in scenarios.builtin() for w in s.waypoints if isinstance(w, str)}
    assert len(named) > 20  # the property is checked over the whole catalogue
    missing = []
    for w in sorted(named):
        p = resolve(w)
        if p.kind != "coordinate" and (p.name, p.lon, p.lat) not in listed:
            missing.append(f"{w!r} ({p.name}, {p.kind})")
    assert not missing, f"places named by built-in scenarios missing from `corridor list {what}`: {missing}"
    # and the table shows them too
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["list", "places"]) == 0
    text = capsys.readouterr().out
    assert all(f"│ {resolve(w).name} " in text for w in named if resolve(w).kind != "coordinate")


@pytest.mark.parametrize("columns", [80, 100])
def test_list_never_cuts_a_slug(columns, capsys, monkeypatch):
    """Slugs are what users type: in a narrow terminal the slug column keeps every slug whole, on one line,
    and the other columns wrap; the table still fits the terminal."""
    from rich.cells import cell_len

    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["list", "scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(cell_len(ln) for ln in lines) <= columns
    slug_cells = [ln.split("│")[1].strip() for ln in lines if ln.startswith("│")]
    assert [c for c in slug_cells if c] == [s.slug for s in scenarios.builtin()]
    assert len(slug_cells) > len(scenarios.builtin())  # the other columns did wrap onto more lines


def _strict_json(text):
    """``text`` parsed as standard JSON: NaN and Infinity are refused, not read."""

    def refuse(name):
        raise AssertionError(f"{name} in the JSON output")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("args", [["list", "places", "--all-places", "--json"], ["list", "--all-places", "--json"]])
def test_list_json_writes_missing_values_as_null(args, capsys, monkeypatch):
    """A place without a country unit (Neft Daşları, offshore) is null in the JSON, not a traceback; so is any
    other missing value of a place. The table shows the missing unit as a dash."""
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    places = {p["name"]: p for p in _strict_json(captured.out)["places"]}
    assert places["Neft Daşları"]["unit"] is None and places["Neft Daşları"]["country"] == "AZ"
    assert places["Yerevan"]["unit"] == "ARM"
    import numpy as np

    import corridor.cli.lists as lists

    real = lists.places_table()
    gaps = real.copy()
    gaps.loc[gaps["name"] == "Yerevan", ["country", "lon", "lat"]] = [np.nan, np.nan, np.inf]
    monkeypatch.setattr(lists, "places_table", lambda: gaps)
    assert main(args) == 0
    yerevan = next(p for p in _strict_json(capsys.readouterr().out)["places"] if p["name"] == "Yerevan")
    assert yerevan == {"name": "Yerevan", "kind": "city", "unit": "ARM", "country": None, "lon": None, "lat": None}
    monkeypatch.setattr(lists, "places_table", lambda: real)
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["list", "places", "--all-places"]) == 0
    (row,) = [ln for ln in capsys.readouterr().out.splitlines() if "Neft Daşları" in ln]
    assert row.split("│")[3].strip() == "–"


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


def _command_paths():
    """The command path of every command and group of the app: [], ["map"], ..., ["fetch", "dem"]."""
    import typer.main

    from corridor.cli.commands import app

    def walk(cmd, path):
        yield path
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])

    return list(walk(typer.main.get_command(app), []))


def test_help_shows_no_value_for_a_flag_and_one_value_for_a_repeatable_option(capsys, monkeypatch):
    """Every command's --help: a flag (--json, --help, --no-metrics ...) shows no value, a repeatable option
    the type of one value (--via <str>, not <list[str]>), a path <path>."""
    import re

    monkeypatch.setenv("COLUMNS", "160")
    paths = _command_paths()
    assert {"map", "sweep", "compare", "route", "list", "info", "fetch"} <= {p[0] for p in paths if p}
    assert ["fetch", "dem"] in paths and ["fetch", "osm"] in paths
    for path in paths:
        assert main([*path, "--help"]) == 0
        out = capsys.readouterr().out
        assert "<bool>" not in out, path
        assert re.search(r"│ +--help +Show this message and exit", out), path
        option_rows = [ln for ln in out.splitlines() if re.match(r"│ +(\* +)?--", ln)]
        assert option_rows and not [ln for ln in option_rows if "<list[" in ln], path
        if path and path != ["fetch"]:
            assert re.search(r"│ +--json +Print machine-readable JSON", out), path
    assert main(["route", "--help"]) == 0
    out = capsys.readouterr().out
    for option, value in (("--via", "<str>"), ("--stay-in", "<str>"), ("--dem", "<path>"), ("--out", "<path>"),
                          ("--costs", "<path>"), ("--max-grade", "<float>")):
        assert re.search(rf"{option} +(-o +)?{re.escape(value)} ", out), option
    assert main(["compare", "--help"]) == 0
    assert re.search(r"--out +-o +<path> ", capsys.readouterr().out)


def test_help_examples_name_real_scenarios():
    """Every ``corridor ...`` example in the help of every command parses, and each argument that names
    a scenario is a built-in slug or name (as ``corridor list`` shows them) or a scenario TOML file.

    The examples are not run: each line is parsed by the command it names, nothing more.
    """
    import shlex

    import typer.main

    from corridor.cli.commands import app

    root = typer.main.get_command(app)

    def helps(cmd):
        yield cmd.help or ""
        for sub in getattr(cmd, "commands", {}).values():
            yield from helps(sub)

    known = {s.slug for s in scenarios.builtin()} | {s.name for s in scenarios.builtin()}
    bad, with_scenarios = [], set()
    lines = [ln.strip() for text in helps(root) for ln in text.splitlines() if ln.strip().startswith("corridor ")]
    for line in lines:
        args, cmd, path = shlex.split(line)[1:], root, ["corridor"]
        while args and args[0] in getattr(cmd, "commands", {}):
            path.append(args[0])
            cmd = cmd.commands[args.pop(0)]
        assert not hasattr(cmd, "commands"), f"{line!r} names no command"
        ctx = cmd.make_context(" ".join(path), args)  # an unknown option or a bad value raises here
        for param in cmd.params:
            if "scenario" not in (param.name or ""):
                continue
            value = ctx.params.get(param.name)
            for v in [value] if isinstance(value, str) else value or []:
                with_scenarios.add(path[-1])
                if v not in known and Path(v).suffix.lower() != ".toml":
                    bad.append(f"{line!r}: {v!r}")
    assert not bad, f"help examples name scenarios that are not built in: {bad}"
    assert {"compare", "map", "sweep"} <= with_scenarios, with_scenarios


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
    names = {scenarios.get(s).name for s in ("yeraskh-sadarak", "gyumri-kars")}
    for r in rows:  # the order as data: a JSON list of names per rank, best first
        groups = json.loads(r["rank_groups"])
        assert sorted(n for g in groups for n in g) == sorted(names) and all(g for g in groups)


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


# ------------------------------------------------------------------ signals, output sets, provenance (issue 15 §5)
import hashlib  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

import corridor.cli._outputset as outputset  # noqa: E402
import corridor.cli.pipeline as pipeline  # noqa: E402
from corridor._errors import OutputError  # noqa: E402

SMALL = ["compare", "yeraskh-sadarak", "--network", "none"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _staging(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".corridor-tmp-")] if folder.is_dir() else []


@pytest.mark.parametrize(("sig", "code", "word", "fresh"), [
    (signal.SIGINT, 130, "interrupted", False),
    (signal.SIGTERM, 143, "terminated", True),
])
def test_signal_ends_compare_cleanly(tmp_path, sig, code, word, fresh):
    """A real ``python -m corridor.cli compare`` stopped while it writes: exit 128+n, one line, nothing left.

    The signal is sent once the run's staging folder holds its first file
    (summary.csv), i.e. in the middle of writing the six files.
    """
    if fresh:  # a folder (and parents) the run creates: all removed again
        base = tmp_path / "new"
        out = base / "deeper" / "out"
    else:  # an existing folder with an earlier file and a user's file: both left as they were
        base = out = tmp_path / "out"
        out.mkdir()
        (out / "summary.csv").write_text("old")
        (out / "notes.txt").write_text("mine")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "corridor.cli", *SMALL, "--out", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not any((d / "summary.csv").exists() for d in _staging(out)):
            assert proc.poll() is None, f"the run ended before it was signalled: {proc.communicate()}"
            assert time.monotonic() < deadline, "the run never started writing"
            time.sleep(0.005)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, stderr
    assert stderr == f"corridor: {word}\n" and stdout == ""
    if fresh:
        assert not base.exists()
    else:
        assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "summary.csv"]
        assert (out / "summary.csv").read_text() == "old"


def test_keyboard_interrupt_inside_typer_is_exit_130(tmp_path, capsys, monkeypatch):
    """typer turns a KeyboardInterrupt into a *returned* 130; main must not drop it."""

    def stop(*a, **k):
        raise KeyboardInterrupt

    import corridor.cli.commands as commands

    monkeypatch.setattr(commands, "run_compare", stop)  # the name the compare command calls
    assert main([*SMALL, "--out", str(tmp_path / "o")]) == 130
    assert capsys.readouterr().err == "corridor: interrupted\n"


def test_output_set_is_replaced_as_a_whole(tmp_path, capsys):
    out = tmp_path / "o"
    assert main([*SMALL, "--sensitivity", "--out", str(out)]) == 0
    capsys.readouterr()
    first = pipeline.read_manifest(out)
    assert {f["name"] for f in first["files"]} == (OUTPUTS | {"sensitivity.csv"}) - {"corridor-manifest.json"}
    for f in first["files"]:
        assert _sha(out / f["name"]) == f["sha256"] and (out / f["name"]).stat().st_size == f["bytes"]
    assert first["provenance"]["network"]["modelled"] is True
    (out / "notes.txt").write_text("mine")
    (out / "extra.csv").write_text("not corridor's")
    # the next run has no sensitivity.csv: the earlier one goes, the user's files stay
    assert main([*SMALL, "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {Path(f).name for f in data["files"]} == OUTPUTS
    assert {p.name for p in out.iterdir()} == OUTPUTS | {"notes.txt", "extra.csv"}
    assert {f["name"] for f in pipeline.read_manifest(out)["files"]} == OUTPUTS - {"corridor-manifest.json"}


def test_one_output_set_per_folder_whichever_command_wrote_it(tmp_path, capsys):
    """compare --sensitivity, route --out, sweep and compare again into one folder: each run leaves exactly its
    own files (and the user's), never files of the earlier run that could be taken for this run's results."""
    out = tmp_path / "o"
    assert main([*SMALL, "--sensitivity", "--dem-samples", "0", "--out", str(out)]) == 0
    capsys.readouterr()
    (out / "notes.txt").write_text("mine")
    assert main(["route", "Yeraskh", "Sadarak", "--network", "none", "--dem-samples", "0", "--out", str(out),
                 "--json"]) == 0
    files = {Path(f).name for f in json.loads(capsys.readouterr().out)["files"]}
    assert files == OUTPUTS and {p.name for p in out.iterdir()} == OUTPUTS | {"notes.txt"}  # no sensitivity.csv
    sweep = {"sweep.parquet", "corridor-manifest.json"}
    assert main(["sweep", "yeraskh-sadarak", "--vary", "rail_border_dwell_h=1,3", "--workers", "1",
                 "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == sweep | {"notes.txt"}  # the route's files are gone
    assert {f["name"] for f in pipeline.read_manifest(out)["files"]} == {"sweep.parquet"}
    assert main([*SMALL, "--dem-samples", "0", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == OUTPUTS | {"notes.txt"}  # the sweep's files are gone
    assert (out / "notes.txt").read_text() == "mine"


def test_manifest_names_are_untrusted(tmp_path, caplog):
    """A manifest is data in the folder, not trusted: a name with a separator or '..', an absolute path, a
    link or a name corridor never writes is never removed, however the manifest lists it. Files of corridor's
    names that no manifest lists stay, with a warning that they are not part of the new set."""
    import logging

    out, outside = tmp_path / "o", tmp_path / "outside"
    out.mkdir()
    (out / "sub").mkdir()
    outside.mkdir()
    for f in (out / "sub" / "summary.csv", outside / "summary.csv", outside / "map.html", out / "notes.txt",
              out / "report.html"):
        f.write_text(f"not to be removed: {f.name}")
    (out / "map.html").symlink_to(outside / "map.html")
    listed = {"sub/summary.csv": out / "sub" / "summary.csv", "../outside/summary.csv": outside / "summary.csv",
              str(outside / "summary.csv"): outside / "summary.csv", "map.html": outside / "map.html",
              "notes.txt": out / "notes.txt", "..": out / "notes.txt", "": out / "notes.txt"}
    manifest = {"format": "corridor-output-set", "version": 1,
                "files": [{"name": n, "sha256": _sha(f)} for n, f in listed.items()]}
    (out / "corridor-manifest.json").write_text(json.dumps(manifest))
    before = {p: p.read_text() for p in [*out.rglob("*"), *outside.rglob("*")] if p.is_file()}
    with caplog.at_level(logging.WARNING, logger="corridor.cli._outputset"), \
            pipeline.staged_output(out) as tmp:
        (tmp / "summary.csv").write_text("new")
    assert all(p.read_text() == text for p, text in before.items() if p.name != "corridor-manifest.json")
    assert (out / "map.html").is_symlink()
    assert any("report.html" in r.getMessage() and "not part of this output set" in r.getMessage()
               for r in caplog.records)
    # a file of a name no output set holds is refused before anything is replaced: a later set could not remove it
    with pytest.raises(OutputError, match=r"notes\.md"), pipeline.staged_output(out) as tmp:
        (tmp / "notes.md").write_text("x")
    assert (out / "summary.csv").read_text() == "new" and not (out / "notes.md").exists()


def test_stale_members_only_when_listed_and_unchanged(tmp_path):
    """Only files an earlier manifest lists, of corridor's own names and unchanged, are ever removed."""
    out = tmp_path / "o"
    out.mkdir()
    for name in ("sensitivity.csv", "report.html", "notes.txt", "map.html"):
        (out / name).write_text(f"earlier {name}")
    (tmp_path / "outside.txt").write_text("outside")
    listed = ["sensitivity.csv", "report.html", "notes.txt", "../outside.txt", "map.html"]
    manifest = {"format": "corridor-output-set", "version": 1,
                "files": [{"name": n, "sha256": _sha(out / n)} for n in listed]}
    (out / "report.html").write_text("edited by hand after the run")  # changed: kept
    (out / "corridor-manifest.json").write_text(json.dumps(manifest))
    with pipeline.staged_output(out) as tmp:
        (tmp / "summary.csv").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["corridor-manifest.json", "notes.txt", "report.html",
                                                     "summary.csv"]
    assert (tmp_path / "outside.txt").read_text() == "outside"
    # a manifest of the wrong shape is ignored, never trusted
    for bad in ("[]", "{", '{"format": "corridor-output-set", "files": {"summary.csv": 1}}'):
        (out / "corridor-manifest.json").write_text(bad)
        with pipeline.staged_output(out) as tmp:
            (tmp / "map.html").write_text("new")
        assert {p.name for p in out.iterdir()} >= {"summary.csv", "notes.txt", "report.html", "map.html"}


def test_folder_in_the_way_fails_before_anything_is_replaced(tmp_path, capsys, monkeypatch):
    out = tmp_path / "o"
    out.mkdir()
    (out / "comparison.png").write_text("old")
    (out / "map.html").mkdir()
    assert main([*SMALL, "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "map.html" in line and "folder" in line
    assert (out / "comparison.png").read_text() == "old" and (out / "map.html").is_dir()
    # a folder that appears while the files are being written: refused at the move, still nothing replaced
    (out / "map.html").rmdir()
    from corridor.outputs import charts

    real = charts.comparison_png

    def and_block(path, *a, **k):
        (out / "report.html").mkdir()
        return real(path, *a, **k)

    monkeypatch.setattr(charts, "comparison_png", and_block)
    assert main([*SMALL, "--out", str(out)]) == 2
    assert "report.html" in one_error_line(capsys)
    assert sorted(p.name for p in out.iterdir()) == ["comparison.png", "report.html"]
    assert (out / "comparison.png").read_text() == "old"


def test_failed_move_rolls_back_the_earlier_set(tmp_path, capsys, monkeypatch):
    out = tmp_path / "o"
    with pipeline.staged_output(out, provenance={"run": 1}) as tmp:
        for name in ("summary.csv", "map.html", "sensitivity.csv"):
            (tmp / name).write_text(f"first {name}")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = os.replace
    calls = []

    def flaky(src, dst):
        if Path(dst).parent == out:
            calls.append(Path(dst).name)
            if len(calls) == 2:  # the earlier set is aside, one new file is in, then the disk fails
                raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(outputset.os, "replace", flaky)
    with pytest.raises(OutputError, match="No space left"), pipeline.staged_output(out) as tmp:
        for name in ("summary.csv", "map.html"):
            (tmp / name).write_text(f"second {name}")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the earlier set, exactly, and nothing else


def test_dead_staging_folders_are_removed(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(done.stdout)
    host = outputset._HOST
    dead = out / f".corridor-tmp-{dead_pid}.{host}.abc"  # its process has ended (SIGKILL, power cut)
    live = out / f".corridor-tmp-{os.getppid()}.{host}.abc"  # a run still going (its process is alive)
    old = out / ".corridor-tmp-x1y2z3"  # an older corridor's name: removed once it is an hour old
    young = out / ".corridor-tmp-q9w8e7"
    other_host = out / f".corridor-tmp-{dead_pid}.000000.abc"  # cannot check another host's process
    for d in (dead, live, old, young, other_host):
        d.mkdir()
        (d / "summary.csv").write_text("partial")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    (out / ".corridor-tmp-file").write_text("a file, not ours to remove")
    with pipeline.staged_output(out) as tmp:
        (tmp / "summary.csv").write_text("new")
    names = {p.name for p in out.iterdir()}
    assert names == {live.name, young.name, other_host.name, ".corridor-tmp-file", "summary.csv",
                     "corridor-manifest.json"}


def test_costs_file_in_provenance(tmp_path, capsys):
    costs = tmp_path / "my costs.toml"
    costs.write_text("[costs]\nrail_border_dwell_h = 1.5\n", encoding="utf-8")
    out = tmp_path / "o"
    assert main([*SMALL, "--costs", str(costs), "--out", str(out), "--json"]) == 0
    prov = json.loads(capsys.readouterr().out)["provenance"]["costs"]
    assert prov["path"] == str(costs) and prov["sha256"] == _sha(costs)
    assert "defaults" not in prov["source"] or str(costs) in prov["source"]
    assert pipeline.read_manifest(out)["provenance"]["costs"] == prov
    assert prov["sha256"] in (out / "report.html").read_text(encoding="utf-8")
    # without --costs the defaults are named
    assert pipeline.costs_provenance(None) == {"source": pipeline.DEFAULT_COSTS}


def test_costs_file_whose_name_is_not_utf8(tmp_path, capsys):
    """A file name may hold bytes that are not UTF-8 (Python reads them as lone surrogates): the manifest and
    --json are still written, as strict UTF-8 JSON with such a byte as U+FFFD, instead of a traceback after
    all the work."""
    costs = tmp_path / os.fsdecode(b"costs-\xff.toml")
    costs.write_text("[costs]\nrail_border_dwell_h = 1.5\n", encoding="utf-8")
    out = tmp_path / "o"
    assert main([*SMALL, "--dem-samples", "0", "--costs", str(costs), "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out.encode("utf-8"))
    shown = str(tmp_path / "costs-\ufffd.toml")
    assert data["provenance"]["costs"]["path"] == shown
    assert pipeline.read_manifest(out)["provenance"]["costs"]["path"] == shown


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
@pytest.mark.parametrize("opt", ["scenario", "--costs", "--network", "--dem"])
def test_fifo_inputs_are_refused(tmp_path, capsys, opt):
    fifo = tmp_path / ("in.toml" if opt in ("scenario", "--costs") else "in.osm.pbf" if opt == "--network"
                       else "in.tif")
    os.mkfifo(fifo)
    args = ["compare", str(fifo)] if opt == "scenario" else [*SMALL[:2], opt, str(fifo)]
    if opt != "--network":
        args += ["--network", "none"]
    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    line = one_error_line(capsys)
    assert "FIFO" in line and "in." in line


def test_signal_during_the_commit_waits_for_it(tmp_path, monkeypatch):
    """A signal arriving while the set is being moved in is held until the set is complete."""
    from corridor.cli import commands as cli

    out = tmp_path / "o"
    with pipeline.staged_output(out) as tmp:
        (tmp / "sensitivity.csv").write_text("first")
    real = os.replace
    sent = []

    def signalling(src, dst):
        if Path(dst).parent == out and not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)  # in the middle of the moves
        return real(src, dst)

    monkeypatch.setattr(outputset.os, "replace", signalling)
    with pytest.raises(cli.Stopped), cli._stop_on_signals(), pipeline.staged_output(out) as tmp:
        for name in ("summary.csv", "map.html"):
            (tmp / name).write_text(f"second {name}")
    assert sent
    assert sorted(p.name for p in out.iterdir()) == ["corridor-manifest.json", "map.html", "summary.csv"]
    assert {f["name"] for f in pipeline.read_manifest(out)["files"]} == {"map.html", "summary.csv"}


def test_costs_file_reaches_the_vertical_design(tmp_path, capsys):
    costs = tmp_path / "shallow.toml"
    costs.write_text("[costs]\nmax_cut_depth_m = 3.0\nmax_fill_height_m = 3.0\n", encoding="utf-8")
    args = ["compare", "meghri-road", "--network", "none", "--json"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    plain = json.loads(capsys.readouterr().out)["routes"][0]
    assert main([*args, "--costs", str(costs), "--out", str(tmp_path / "b")]) == 0
    shallow = json.loads(capsys.readouterr().out)["routes"][0]
    # structures come from the trace's vertical design: the file's caps must have reached it
    assert shallow["tunnel_km"] + shallow["bridge_km"] > plain["tunnel_km"] + plain["bridge_km"]


def test_compare_reports_an_infeasible_scenario_in_one_line_and_goes_on(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["compare", "hrazdan-ijevan-gazakh", "yeraskh-sadarak", "--network", "none", "--json",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert [r["name"] for r in data["routes"]] == [scenarios.get("yeraskh-sadarak").name]
    (rec,) = data["infeasible"]
    assert rec["scenario"] == scenarios.get("hrazdan-ijevan-gazakh").name and "cannot join" in rec["reason"]
    lines = [ln for ln in captured.err.splitlines() if "infeasible" in ln]
    assert len(lines) == 1 and "Hrazdan" in lines[0] and "per mille" in lines[0]
    # only infeasible scenarios: a clear error, not an empty comparison
    assert main(["compare", "hrazdan-ijevan-gazakh", "--network", "none", "--out", str(tmp_path / "p")]) != 0


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
