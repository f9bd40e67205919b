"""corridor.cli.pipeline: the ``corridor compare`` job: scenarios, network, DEM and costs in; routes,
metrics, files and provenance out.

``default_compare`` (module scope, read only) runs the whole built-in catalogue once; the other tests run
small comparisons. ``OUTPUTS``, ``SMALL``, ``one_error_line`` and the SHA-256 helper come from
tests/_cli.py; ``http_server`` and ``tmp_cache`` from tests/conftest.py.
"""

import csv
import json
import os

import pytest
from _cli import OUTPUTS, SMALL, one_error_line
from _cli import file_sha256 as _sha

import corridor.cli.pipeline as pipeline
from corridor import scenarios
from corridor.cli import main
from corridor.data.datasets import data_dir
from corridor.network import NO_NETWORK_SOURCE


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


def test_route_json_gives_the_network_filter_as_an_object(capsys):
    assert main(["route", "Gyumri", "Kars", "--mode", "rail", "--json"]) == 0
    net = json.loads(capsys.readouterr().out)["provenance"]["network"]
    assert net["filter"] == {"modes": ["rail", "road"]}
    assert net["source"] == "reference (modelled)" and isinstance(net["checksum"], str)
