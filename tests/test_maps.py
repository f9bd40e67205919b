"""corridor.maps: layers, modelled styling, escaping, offline assets, display caps; `corridor map`."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from _cli import one_error_line
from _maproutes import PAYLOADS, XSS, sample

from corridor._errors import InvalidInputError
from corridor._types import BBox
from corridor.outputs import maps
from corridor.outputs._assets import external_refs


@pytest.fixture(scope="module")
def data():
    return sample()


@pytest.fixture(scope="module")
def html(data):
    routes, metrics = data
    return maps.map_html(maps.route_map(routes, metrics=metrics))


def _polylines(m, cls):
    import folium

    out = []

    def walk(el):
        for child in el._children.values():
            if isinstance(child, folium.PolyLine) and cls in str(child.options.get("className", "")):
                out.append(child)
            walk(child)

    walk(m)
    return out


def test_one_route_path_per_route_and_layers(data, html):
    routes, _ = data
    for i in range(len(routes)):
        assert html.count(f'"className": "corridor-route corridor-route-{i}"') == 1
    for name in ("Hillshade (GLOBE DEM, offline)", "Country units (Nakhchivan distinct)",
                 "Colour by grade class", "Border crossings", "Waypoints",
                 "OpenStreetMap tiles (online only)", "Route: Meghri section (test) (modelled)"):
        assert name in html
    assert "L.control.layers" in html
    assert "corridor-legend" in html
    assert "#f4a261" in html  # NAX fill, distinct from the other units


def test_modelled_dashed_and_labelled(data):
    routes, metrics = data
    m = maps.route_map(routes, metrics=metrics, basemap="none")
    rail, road = _polylines(m, "corridor-route-0")[0], _polylines(m, "corridor-route-1")[0]
    assert rail.options["dashArray"] == "10 8"  # wholly modelled: dashed
    assert rail.options.get("dashArray") and road.options.get("dashArray") is None
    overlay = _polylines(m, "corridor-modelled")  # road: only the new-build part is dashed over
    assert len(overlay) == 1 and overlay[0].options["dashArray"]
    html = maps.map_html(m)
    assert "— modelled" in html and "dashed = modelled" in html


def test_untrusted_text_is_escaped(html):
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html


def test_template_literal_injection_is_neutralised(data):
    from dataclasses import replace

    routes, _ = data
    evil = replace(routes[0], name="`${alert(2)}` \\u{zz")
    html = maps.map_html(maps.route_map([evil], basemap="none"))
    assert "${alert" not in html
    assert "&#96;&#36;{alert(2)}&#96;" in html


def test_offline_assets_inlined(tmp_path, data, html):
    assert external_refs(html) == []
    assert "L.Map" in html or "leaflet" in html.lower()
    online = maps.map_html(maps.route_map(data[0][:1], basemap="none"), offline=False)
    assert any("leaflet" in u for u in external_refs(online))
    out = maps.save_map(tmp_path / "m.html", maps.route_map(data[0][:1], basemap="offline"))
    text = out.read_text(encoding="utf-8")
    assert external_refs(text) == [] and "tile.openstreetmap.org" not in text


def test_basemap_choices(data):
    routes, _ = data
    assert "tile.openstreetmap.org" in maps.map_html(maps.route_map(routes, basemap="osm"))
    none = maps.map_html(maps.route_map(routes, basemap="none"))
    assert "tile.openstreetmap.org" not in none and "Hillshade" not in none
    with pytest.raises(InvalidInputError, match="basemap"):
        maps.route_map(routes, basemap="google")


def test_crossings_waypoints_and_popup(data, html):
    routes, metrics = data
    n_cross = len({(round(c["lon"], 4), round(c["lat"], 4)) for m in metrics for c in m.crossings})
    assert html.count('"className": "corridor-crossing"') == n_cross
    n_wp = len({(round(p.lon, 4), round(p.lat, 4)) for r in routes for p in r.waypoints})
    assert html.count('"className": "corridor-waypoint"') == n_wp
    assert html.count("data:image/png;base64,") >= len(routes)  # profile chart per popup
    assert "Construction cost, central" in html and "1news.az 2026-02-18" in html
    # popups read as labels with units, not column names
    assert "Length in Nakhchivan" in html and "length_km_NAX" not in html and "cost_central_musd" not in html
    assert re.search(r"Length</th><td>[0-9.,]+ km</td>", html)


def test_grade_layer_capped_and_classified(data):
    routes, metrics = data
    m = maps.route_map(routes, metrics=metrics, basemap="none")
    grade = _polylines(m, "corridor-grade")
    assert grade and len(grade) <= 2 * len(maps.GRADE_COLOURS)
    colours = {g.options["color"] for g in grade}
    assert colours <= set(maps.GRADE_COLOURS)
    # a dense profile is binned to at most MAX_PROFILE_POINTS (+1) vertices per route
    from dataclasses import replace

    prof = metrics[0].profile
    n = 5000
    t = np.linspace(0, 1, n)
    dense = type("P", (), {})()
    dense.lon = np.interp(t, np.linspace(0, 1, prof.lon.size), prof.lon)
    dense.lat = np.interp(t, np.linspace(0, 1, prof.lat.size), prof.lat)
    dense.grade = np.where(np.arange(n) == 2500, 0.5, 0.001)  # one steep sample in the middle
    dense.distance_m = t * routes[0].length_m
    dense.elevation_m = np.zeros(n)
    met = type("M", (), {"profile": dense, "crossings": [], "as_row": lambda self: {}})()
    m2 = maps.route_map([replace(routes[0])], metrics=[met], basemap="none")
    lines = _polylines(m2, "corridor-grade")
    vertices = sum(len(part) for g in lines for part in g.locations)
    assert vertices <= maps.MAX_PROFILE_POINTS + 2 * len(lines) + 2
    assert maps.GRADE_COLOURS[3] in {g.options["color"] for g in lines}  # the steep bin survives


def test_route_lines_simplified_for_display(data):
    from shapely.geometry import LineString

    from corridor.route import Route

    x = np.linspace(45.7, 46.2, 20000)
    y = 39.2 + 1e-6 * np.sin(np.arange(x.size))
    r = Route.from_lines([LineString(np.column_stack([x, y]))], mode="road", name="dense")
    line = _polylines(maps.route_map(r, basemap="none"), "corridor-route")[0]
    assert sum(len(p) for p in line.locations) < 100


def test_hillshade(data):
    img, _b = maps.hillshade(BBox(49.0, 39.5, 50.5, 41.0))  # includes the Caspian Sea (nodata)
    assert img.dtype == np.uint8 and img.shape[2] == 4
    alpha = img[..., 3]
    assert (alpha == 0).any() and (alpha == 255).any()
    assert img[alpha == 255, :3].std() > 5  # shaded relief, not flat
    from corridor.terrain import DEM

    img2, b2 = maps.hillshade(BBox(45.5, 38.8, 46.5, 39.3), DEM.open(None))
    assert img2.shape[2] == 4 and abs(b2.left - 45.5) < 0.01
    with pytest.raises(InvalidInputError):
        maps.hillshade(BBox(10.0, 10.0, 11.0, 11.0))


def test_bad_inputs(data):
    routes, metrics = data
    with pytest.raises(InvalidInputError, match="metrics"):
        maps.route_map(routes, metrics=metrics[:1])
    with pytest.raises(InvalidInputError):
        maps.route_map([])
    with pytest.raises(InvalidInputError, match="Route"):
        maps.route_map(["x"])


def test_draws_into_given_map(data):
    import folium

    routes, _ = data
    base = folium.Map(tiles=None)
    assert maps.route_map(routes[:1], m=base, basemap="none") is base


def test_grade_classes():
    assert [c[2] for c in maps.grade_classes("road")] == ["≤ 4 %", "4–6 %", "6–8 %", "> 8 %"]
    assert maps.grade_classes("rail")[-1][0] == 0.025


SCENARIO = """
[[scenario]]
name = "Gyumri – Kars {xss}"
slug = "gk-test"
mode = "rail"
waypoints = ["Gyumri", "Kars"]
description = "test"
"""


def test_cli_map_writes_only_the_map(tmp_path):
    from corridor.cli import main

    toml = tmp_path / "sc.toml"
    toml.write_text(SCENARIO.format(xss=XSS), encoding="utf-8")
    out = tmp_path / "out" / "map.html"
    rc = main(["map", str(toml), "--network", "none", "--basemap", "offline", "--out", str(out)])
    assert rc == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["map.html"]
    text = out.read_text(encoding="utf-8")
    assert text.count('"className": "corridor-route corridor-route-0"') == 1
    assert XSS not in text and external_refs(text) == []
    # tooltip: escaped name, labelled modelled (new alignment throughout)
    assert re.search(r"Gyumri – Kars &lt;script&gt;alert\(1\)&lt;/script&gt; — rail, [0-9.]+ km — modelled", text)


def test_cli_map_json(tmp_path, capsys, monkeypatch):
    """`corridor map --json`: only strict JSON on stdout (missing figures null), naming the file written and
    the routes on the map, with their metrics unless --no-metrics."""
    import json

    from corridor import settings
    from corridor.cli import main

    def strict(text):
        return json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the JSON output"))

    monkeypatch.setattr(settings, "dem_samples", 0)  # the DEM band is then not computed: NaN figures
    out = tmp_path / "m.html"
    assert main(["map", "yeraskh-sadarak", "--basemap", "offline", "--out", str(out), "--json"]) == 0
    data = strict(capsys.readouterr().out)
    assert data["files"] == [str(out)] and out.is_file()
    assert data["basemap"] == "offline" and data["network"] == "reference"
    (route,) = data["routes"]
    assert route["scenario"] == "yeraskh-sadarak" and route["length_km"] > 0
    assert route["tunnel_km_dem_p10"] is None  # NaN -> null
    assert main(["map", "yeraskh-sadarak", "gyumri-kars", "--no-metrics", "--network", "none", "--out", str(out),
                 "--json"]) == 0
    data = strict(capsys.readouterr().out)
    assert [(r["scenario"], r["mode"]) for r in data["routes"]] == [("yeraskh-sadarak", "rail"), ("gyumri-kars", "rail")]
    assert all("modelled" in r["source"] and "length_km" not in r for r in data["routes"])
    assert main(["map", "yeraskh-sadarak", "--no-metrics", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"  # without --json as before


def test_cli_map_errors(tmp_path, capsys, monkeypatch):
    from corridor.cli import main

    assert main(["map", "no-such-scenario-xyz", "--out", str(tmp_path / "m.html")]) == 2
    assert "corridor: error:" in capsys.readouterr().err
    (tmp_path / "examples").mkdir()  # a bare folder name is read as compare reads it: a folder, not a scenario
    monkeypatch.chdir(tmp_path)
    assert main(["map", "examples", "--out", str(tmp_path / "m.html")]) == 2
    assert "is a folder" in capsys.readouterr().err
    toml = tmp_path / "sc.toml"
    toml.write_text(SCENARIO.format(xss=""), encoding="utf-8")
    assert main(["map", str(toml), "--basemap", "bing", "--out", str(tmp_path / "m.html")]) == 2
    assert "basemap" in capsys.readouterr().err
    assert not (tmp_path / "m.html").exists()


def test_cli_map_checks_out_before_any_work(tmp_path, capsys, monkeypatch):
    """`corridor map -o` naming a folder, a file under a file or an unwritable folder fails at once in one
    line, before any scenario is routed (not after the routing and evaluation), and writes nothing."""
    import os

    import corridor.cli._outputset as outputset
    import corridor.cli.maps as cli_maps
    from corridor.cli import main

    routed = []
    monkeypatch.setattr(cli_maps.scenarios, "gather", lambda names: routed.append(names) or [])
    folder = tmp_path / "maps"
    folder.mkdir()
    assert main(["map", "yeraskh-sadarak", "--network", "none", "-o", str(folder)]) == 2
    assert "is a folder, not a file" in one_error_line(capsys)
    assert list(folder.iterdir()) == []
    (tmp_path / "notes.txt").write_text("keep me")
    assert main(["map", "yeraskh-sadarak", "-o", str(tmp_path / "notes.txt" / "m.html")]) == 2
    assert "is a file" in one_error_line(capsys)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    real = os.access
    monkeypatch.setattr(outputset.os, "access",  # the folder can be listed, not written
                        lambda p, mode: False if Path(p) == folder and mode & os.W_OK else real(p, mode))
    assert main(["map", "yeraskh-sadarak", "-o", str(folder / "m.html")]) == 2
    assert "not writable" in one_error_line(capsys)
    assert main(["map", "yeraskh-sadarak", "-o", str(folder / "sub" / "m.html")]) == 2
    assert "not writable" in one_error_line(capsys)
    assert list(folder.iterdir()) == [] and routed == []


def test_cli_map_disk_full_is_one_line(tmp_path, capsys, monkeypatch):
    """An OSError while the map is written (a full disk) is one line and exit 2, not a traceback; the earlier
    map is left as it was. A bug in the writer (a TypeError) still shows its traceback."""
    import errno

    import corridor.cli.maps as cli_maps
    from corridor.cli import main

    out = tmp_path / "m.html"
    out.write_text("earlier map")

    def full(path, m, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cli_maps, "save_map", full)
    args = ["map", "yeraskh-sadarak", "--no-metrics", "--network", "none", "--basemap", "none", "-o", str(out)]
    assert main(args) == 2
    line = one_error_line(capsys)
    assert "No space left on device" in line and str(out) in line
    assert out.read_text() == "earlier map"

    def bug(path, m, **k):
        raise TypeError("save_map() got an unexpected keyword argument")

    monkeypatch.setattr(cli_maps, "save_map", bug)
    with pytest.raises(TypeError, match="unexpected keyword"):
        main(args)


# ------------------------------------------------------------------ hostile text (issue 15)
@pytest.fixture(scope="module")
def plain_map(tmp_path_factory):
    from _maproutes import PLAIN, hostile

    routes, metrics = hostile(PLAIN, tmp_path_factory.mktemp("plain"))
    return maps.map_html(maps.route_map(routes, metrics=metrics, basemap="offline"))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_untrusted_text_is_never_a_template(payload, plain_map, tmp_path, monkeypatch):
    """Route name, status, published figures, description, OSM name/ref, DEM file name and SOURCE
    tag: shown as typed, never evaluated as Jinja, never markup, no control characters."""
    from _maproutes import assert_inert, hostile

    monkeypatch.chdir(tmp_path)
    routes, metrics = hostile(payload, tmp_path)
    doc = maps.map_html(maps.route_map(routes, metrics=metrics, basemap="offline"))
    assert_inert(doc, plain_map, payload)
    assert not (tmp_path / "PWNED").exists()
    if "{{7*7}}" in payload:
        assert "R {{7*7}}" in doc and "R 49" not in doc
    # the same through save_map (the CLI path)
    text = maps.save_map(tmp_path / "m.html", maps.route_map(routes, basemap="none")).read_text(encoding="utf-8")
    assert "<script>alert" not in text and not (tmp_path / "PWNED").exists()


def test_only_inert_elements_carry_text(data):
    """Every tooltip, popup and layer control of the map renders without re-parsing its output."""
    import folium

    routes, metrics = data
    m = maps.route_map(routes, metrics=metrics)
    ns = maps._inert()
    found = []

    def walk(el):
        for child in el._children.values():
            if isinstance(child, (folium.Tooltip, folium.Popup, folium.LayerControl)):
                found.append(child)
            walk(child)

    walk(m)
    assert found and all(isinstance(c, (ns.Tooltip, ns.Popup, ns.LayerControl)) for c in found)


CLI_SCENARIO = """
[[scenario]]
name = {name}
slug = "s{i}"
mode = "rail"
waypoints = ["Yeraskh", "Sadarak"]
status = {name}
description = {name}
[[scenario.published]]
figure = {name}
value = {name}
unit = {name}
source = {name}
"""


def test_cli_map_and_compare_with_template_payloads(tmp_path, monkeypatch, capfd):
    """The issue's reproduction: scenario TOML names with Jinja syntax, a DEM whose name and SOURCE
    tag carry them; `corridor map` and `corridor compare` succeed, evaluate nothing, create no PWNED.
    A name with a terminal escape is refused by the scenario file, its escape never written raw."""
    import csv
    import html as _html
    import json

    import pyogrio
    from _maproutes import CONTROL, PLAIN, PWNED, hostile_dem

    from corridor.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")
    payloads = [PWNED, "Meghri option {#2}", "{{7*7}}", "{% raw %}", XSS, "[bold red]x[/]",
                "=1+2", "$\\frac{$"]
    bad = tmp_path / "bad.toml"
    bad.write_text(CLI_SCENARIO.format(name=json.dumps("red\x1b[31m bell\x07"), i=0), encoding="utf-8")
    assert main(["map", str(bad), "--network", "none", "-o", "bad.html"]) == 2
    toml = tmp_path / "that.toml"
    toml.write_text("".join(CLI_SCENARIO.format(name=json.dumps(p), i=i) for i, p in enumerate(payloads)),
                    encoding="utf-8")
    dem = hostile_dem(tmp_path, "{{7*7}} {#2} " + PLAIN)
    assert main(["map", str(toml), "--network", "none", "-o", "m.html"]) == 0
    assert main(["compare", str(toml), "--network", "none", "--dem", str(dem), "--out", "out"]) == 0
    captured = capfd.readouterr()
    assert not (tmp_path / "PWNED").exists()
    assert not CONTROL.search(captured.err) and not CONTROL.search(captured.out)
    assert "[bold red]x[/]" in " ".join(captured.out.split())
    shown_map = _html.unescape((tmp_path / "m.html").read_text(encoding="utf-8"))
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    shown_report = _html.unescape(report)
    for p in payloads:
        assert p in shown_map, p
        assert p in shown_report, p
    assert "{{7*7}} {#2} " + PLAIN in shown_report  # the DEM's name and SOURCE tag
    assert "<script>alert" not in report
    with open(tmp_path / "out" / "summary.csv", encoding="utf-8", newline="") as f:
        names = [r["name"] for r in csv.DictReader(f)]
    assert sorted(names) == sorted("'" + p if p.startswith("=") else p for p in payloads)
    gpkg = pyogrio.read_dataframe(tmp_path / "out" / "routes.gpkg", layer="routes")
    assert set(payloads) <= set(gpkg["name"])  # data files keep the text exactly


# ------------------------------------------------------------------ labels, basemap extent, size (issue 18)
def test_place_labels_by_zoom(data):
    """Capitals and large towns from the lowest zoom, towns closer in, waypoints and crossings closest;
    a larger place's neighbours within the spacing are not named at its tier."""
    from corridor._geo import great_circle_m
    from corridor.outputs import placenames

    routes, metrics = data
    crossings = [c for m in metrics for c in m.crossings]
    labels = placenames.place_labels(BBox(42.5, 37.8, 51.0, 42.5), routes, crossings)
    by_name = {lb.name: lb for lb in labels}
    for city in ("Yerevan", "Baku", "Tbilisi", "Tabriz", "Naxçıvan", "Kars"):
        assert by_name[city].min_zoom <= 8, city
    for city in ("Yerevan", "Baku", "Tbilisi", "Tabriz"):
        assert by_name[city].min_zoom == 0
    for p in routes[0].waypoints:
        assert p.name in by_name and by_name[p.name].min_zoom <= placenames.DETAIL_ZOOM
    top = [lb for lb in labels if lb.tier == 0]
    for i, a in enumerate(top):
        for b in top[i + 1:]:
            assert great_circle_m(a.lon, a.lat, b.lon, b.lat) >= placenames.TIERS[0][2] * 1000
    assert all(42.5 <= lb.lon <= 51.0 and 37.8 <= lb.lat <= 42.5 for lb in labels)


def test_label_script_keeps_names_as_data():
    """Names reach the page as JSON strings and become text via textContent, never markup or code."""
    from corridor.outputs import placenames

    lab = placenames.Label("</script><b>x</b> {{7*7}} `${1}`", 45.0, 40.0, 0, 0)
    js = placenames.label_script([lab], "group_1", "map_1")
    assert "</script>" not in js and "<b>" not in js
    assert "textContent = p[2]" in js and "innerHTML" not in js


def test_hillshade_covers_the_region_and_routes(data):
    """The offline basemap covers the whole region pack (Baku and the Caspian coast included)."""
    import base64

    from corridor._types import REGION_BBOX

    routes, metrics = data
    m = maps.route_map(routes, metrics=metrics, basemap="offline")
    overlay = next(c for c in m._children.values() if type(c).__name__ == "ImageOverlay")
    (south, west), (north, east) = overlay.bounds
    assert west <= REGION_BBOX.left + 0.01 and east >= 50.8 and south <= REGION_BBOX.bottom + 0.01
    assert north >= REGION_BBOX.top - 0.01
    uri = str(overlay.url)
    assert uri.startswith("data:image/webp;base64,")
    assert len(base64.b64decode(uri.split(",", 1)[1])) < 600_000


def test_map_stays_within_its_size_budget(data, tmp_path):
    routes, metrics = data
    out = maps.save_map(tmp_path / "map.html", maps.route_map(routes, metrics=metrics))
    assert out.stat().st_size < 3_000_000  # the size before the whole-region hillshade and labels


def test_save_map_takes_the_path_first_and_warns_on_the_old_order(tmp_path):
    """Every writer takes the path first (issue 17); the old (map, path) order still works for one release."""
    import folium

    m = folium.Map(tiles=None)
    out = maps.save_map(tmp_path / "new.html", m)
    assert out == tmp_path / "new.html" and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.warns(DeprecationWarning, match=r"save_map\(path, m\)"):
        old = maps.save_map(m, str(tmp_path / "old.html"))
    assert old == tmp_path / "old.html" and old.exists()


def test_a_station_serving_a_waypoint_is_marked(data):
    """Where the trace cut a spur out to a waypoint and back (route.meta["spurs_cut"]), the station the line
    passes is a marker of the waypoint layer, its text escaped."""
    from dataclasses import replace

    routes, _ = data
    spur = {"waypoint": XSS, "waypoint_lonlat": [45.0, 39.5], "station_lonlat": [45.01, 39.49], "spur_m": 1875.0}
    marked = replace(routes[0], meta={**routes[0].meta, "spurs_cut": [spur]})
    html = maps.map_html(maps.route_map([marked], basemap="none"))
    assert html.count('"className": "corridor-station"') == 1
    assert "a spur of 1.9 km out to it and back was cut" in html and XSS not in html
    plain = maps.map_html(maps.route_map([routes[0]], basemap="none"))
    assert "corridor-station" not in plain


def test_popup_leaves_out_the_cost_in_units_the_route_does_not_enter():
    from types import SimpleNamespace

    route = SimpleNamespace(name="A - B", modelled=False, mode="rail", meta={})
    row = {"name": "A - B", "length_km_ARM": 10.0, "length_km_GEO": 0.0,
           "cost_central_musd_ARM": 55.0, "cost_central_musd_GEO": 0.0, "cost_central_musd_outside": 0.0}
    html = maps._popup_html(route, row, None, "#123456")
    assert "Cost in Armenia" in html and "Length in Armenia" in html
    assert "Georgia" not in html and "outside" not in html


def test_popup_writes_published_figures_as_the_notes_do():
    from types import SimpleNamespace

    pub = [{"figure": "cost", "value": 2400, "unit": "MEUR", "source": "s"},
           {"figure": "length", "value": 1071.5, "unit": "m", "source": "<i>t</i>"}]
    route = SimpleNamespace(name="A - B", modelled=False, mode="rail", meta={"published": pub})
    html = maps._popup_html(route, {"name": "A - B"}, None, "#123456")
    assert "cost: 2,400 million EUR" in html and "MEUR" not in html
    assert "length: 1,071.5 m" in html and "&lt;i&gt;t&lt;/i&gt;" in html
