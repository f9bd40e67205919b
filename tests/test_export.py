"""corridor.export: every format read back with pyogrio, atomic writes, awkward attributes."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from _maproutes import CONTROL, PAYLOADS, XSS, expected_text, hostile, sample

from corridor._errors import InvalidInputError, OutputError
from corridor.outputs import export


@pytest.fixture(scope="module")
def data():
    return sample()


def _same(a, b) -> bool:
    if isinstance(b, (list, dict)):  # GDAL's GeoJSON reader returns JSON-text fields parsed
        return json.loads(a) == b
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b)) or b == ""
    if isinstance(a, (bool, np.bool_)):
        return str(b).lower() in ("true", "1") if a else str(b).lower() in ("false", "0")
    if isinstance(a, (int, float, np.integer, np.floating)):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return str(a) == str(b)


def _check_layer(expected, got, *, csv: bool = False) -> None:
    assert len(got) == len(expected)
    assert got.crs is not None and got.crs.to_epsg() == 4326
    cols = [c for c in expected.columns if c != expected.geometry.name]
    missing = [c for c in cols if c not in got.columns]
    assert not missing, missing
    for c in cols:
        for a, b in zip(expected[c], got[c], strict=True):
            if csv and isinstance(a, str) and a[:1] in ("=", "+", "-", "@", "\t", "\r"):
                a = "'" + a
            assert _same(a, b), (c, a, b)
    for ga, gb in zip(expected.geometry, got.geometry, strict=True):
        assert ga.equals_exact(gb, 1e-9) or ga.normalize().equals_exact(gb.normalize(), 1e-9)


def test_gpkg_has_all_layers_and_reads_back(tmp_path, data):
    routes, metrics = data
    out = export.write_layers(tmp_path / "routes.gpkg", routes, metrics)
    expected = export.layers(routes, metrics)
    names = {n for n, _ in pyogrio.list_layers(out)}
    assert names == {*export.LAYERS, "layer_styles"}
    for name in export.LAYERS:
        got = pyogrio.read_dataframe(out, layer=name)
        _check_layer(expected[name], got)
    assert pyogrio.read_info(out, layer="routes")["crs"] == "EPSG:4326"


def test_layers_content(data):
    routes, metrics = data
    lay = export.layers(routes, metrics)
    r = lay["routes"]
    # every metric of as_row is a column
    for key in metrics[0].as_row():
        assert key in r.columns
    assert list(r["name"]) == [rt.name for rt in routes]
    seg = lay["segments"]
    road = seg[seg["route_index"] == 1]
    assert set(road["build"]) == {"existing", "new"}
    assert {"NAX", "IRN", "ARM", "AZE"} <= set(road["unit"])
    # merged runs: no two consecutive rows share unit+build+status+structure
    keys = road[["unit", "build", "status", "structure"]].astype(str).agg("|".join, axis=1).tolist()
    assert all(a != b for a, b in itertools.pairwise(keys))
    rail = seg[seg["route_index"] == 0]
    assert rail["grade_max"].notna().all() and (rail["grade_max"] >= rail["grade_mean"]).all()
    assert math.isclose(rail["length_m"].sum(), routes[0].length_m, rel_tol=1e-9)
    assert len(lay["border_crossings"]) == sum(len(m.crossings) for m in metrics)
    assert len(lay["waypoints"]) == sum(len(rt.waypoints) for rt in routes)
    assert len(lay["profiles"]) == sum(m.profile.distance_m.size for m in metrics)
    # OSM way ids and the hostile name survive as text
    assert "123" in ";".join(road["osm_way_ids"])
    assert XSS in ";".join(road["name"])


@pytest.mark.parametrize("suffix", [".geojson", ".fgb", ".csv", ".parquet"])
@pytest.mark.parametrize("layer", ["routes", "segments", "profiles"])
def test_single_layer_formats_read_back(tmp_path, data, suffix, layer):
    routes, metrics = data
    out = export.write_layers(tmp_path / f"x{suffix}", routes, metrics, layer=layer)
    expected = export.layers(routes, metrics)[layer]
    if suffix == ".parquet":
        if "Parquet" in pyogrio.list_drivers():
            got = pyogrio.read_dataframe(out)
        else:  # this GDAL build has no Parquet driver: read it with pyarrow via geopandas
            import geopandas as gpd

            got = gpd.read_parquet(out)
    elif suffix == ".csv":
        got = pyogrio.read_dataframe(out)
        got = got.set_crs(str(got["crs"].iloc[0]))
    else:
        got = pyogrio.read_dataframe(out)
    _check_layer(expected, got, csv=suffix == ".csv")


def test_list_and_dict_attributes_never_break_writers(tmp_path, data):
    routes, _ = data
    # the road route's segments carry list ("tags") and dict ("extra") columns
    for suffix in (".gpkg", ".fgb", ".geojson", ".csv", ".parquet"):
        export.write_layers(tmp_path / f"a{suffix}", routes[1].with_meta(published=[{"a": 1}], status=["x"]))
    got = pyogrio.read_dataframe(tmp_path / "a.gpkg", layer="routes")
    assert got["published"].iloc[0] == '[{"a": 1}]'
    assert got["meta_status"].iloc[0] == "x"


def test_csv_neutralises_formulas(tmp_path, data):
    routes, _ = data
    evil = routes[0].with_meta()
    from dataclasses import replace

    evil = replace(evil, name="=HYPERLINK(\"http://x\")")
    out = export.write_layers(tmp_path / "r.csv", [evil])
    text = out.read_text()
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_reexport_replaces_file_and_failure_keeps_old(tmp_path, data, monkeypatch):
    routes, metrics = data
    path = tmp_path / "r.gpkg"
    # a file with a stale extra layer
    pyogrio.write_dataframe(export.layers(routes)["waypoints"], path, layer="stale", driver="GPKG")
    export.write_layers(path, routes, metrics)
    assert "stale" not in {n for n, _ in pyogrio.list_layers(path)}
    export.write_layers(path, routes[:1], metrics[:1])
    assert len(pyogrio.read_dataframe(path, layer="routes")) == 1
    before = path.read_bytes()

    real = pyogrio.write_dataframe
    calls = {"n": 0}

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(*a, **k)

    monkeypatch.setattr(pyogrio, "write_dataframe", flaky)
    with pytest.raises(RuntimeError):
        export.write_layers(path, routes, metrics)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.gpkg"]  # no temporary files left


def test_bad_arguments(tmp_path, data):
    routes, metrics = data
    with pytest.raises(InvalidInputError, match="suffix"):
        export.write_layers(tmp_path / "x.shp", routes)
    with pytest.raises(InvalidInputError, match="layer"):
        export.write_layers(tmp_path / "x.geojson", routes, layer="nope")
    with pytest.raises(InvalidInputError, match="metrics"):
        export.write_layers(tmp_path / "x.gpkg", routes, metrics[:1])
    with pytest.raises(InvalidInputError, match="Route"):
        export.write_layers(tmp_path / "x.gpkg", ["not a route"])
    (tmp_path / "d.gpkg").mkdir()
    with pytest.raises(OutputError, match="directory"):
        export.write_layers(tmp_path / "d.gpkg", routes)


def test_without_metrics_crossings_come_from_units(tmp_path, data):
    routes, metrics = data
    out = export.write_layers(tmp_path / "c.geojson", routes, layer="border_crossings")
    got = pyogrio.read_dataframe(out)
    expect = [(c["from_unit"], c["to_unit"]) for m in metrics for c in m.crossings]
    assert list(zip(got["from_unit"], got["to_unit"], strict=True)) == expect
    assert isinstance(out, Path)


# ------------------------------------------------------------------ hostile text (issue 15)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_round_trips_literally(payload, tmp_path, monkeypatch):
    """GIS attributes keep untrusted text exactly (data, not display); the CSV layer neutralises it."""
    import csv

    monkeypatch.chdir(tmp_path)
    routes, metrics = hostile(payload, tmp_path)
    for suffix in (".gpkg", ".geojson"):
        out = export.write_layers(tmp_path / f"h{suffix}", routes, metrics)
        got = pyogrio.read_dataframe(out, layer="routes") if suffix == ".gpkg" else pyogrio.read_dataframe(out)
        assert got["name"].tolist() == [f"R {payload}"]
        assert got["meta_status"].tolist() == [payload]
        if suffix == ".gpkg":
            seg = pyogrio.read_dataframe(out, layer="segments")
            assert set(seg["name"]) == {payload} and set(seg["route_name"]) == {f"R {payload}"}
    out = export.write_layers(tmp_path / "h.csv", routes, metrics, layer="segments")
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    want = expected_text(payload)
    want = "'" + want if want.lstrip(" ")[:1] in ("=", "+", "-", "@") else want
    assert {r["name"] for r in rows} == {want}
    assert not (tmp_path / "PWNED").exists()


def test_atomic_output_failure_removes_the_folders_it_created(tmp_path):
    """A failed write leaves no folder it made (issue 15 §5); folders that were there stay."""
    target = tmp_path / "a" / "b" / "c.txt"
    with pytest.raises(RuntimeError), export.atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "keep.txt").write_text("mine")
    with pytest.raises(OutputError, match="nothing was written"), export.atomic_output(target):
        pass
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["keep.txt"]
    with export.atomic_output(target) as tmp:
        tmp.write_text("done")
    assert target.read_text() == "done"


# ------------------------------------------------------------------ QGIS styles and project (issue 18)
def _ogrinfo() -> str:
    import os
    import shutil

    exe = shutil.which("ogrinfo")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but ogrinfo is missing (.ci/run installs Debian's gdal-bin)")
        pytest.skip("ogrinfo is not installed (apt-get install gdal-bin)")
    return exe


def test_gpkg_opens_without_warnings_in_system_gdal(tmp_path, data):
    """Debian's ogrinfo (GDAL 3.6) opens every layer with no warning: the file is GeoPackage 1.2."""
    import sqlite3
    import subprocess

    routes, metrics = data
    out = export.write_layers(tmp_path / "routes.gpkg", routes, metrics)
    con = sqlite3.connect(out)
    try:
        (version,) = con.execute("PRAGMA user_version").fetchone()
    finally:
        con.close()
    if export.gpkg_version_options():
        assert version == 10200
    exe = _ogrinfo()
    proc = subprocess.run([exe, "-ro", "-al", "-so", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout + proc.stderr
    assert "Warning" not in text and "ERROR" not in text, text
    for name in (*export.LAYERS, "layer_styles"):
        assert f"Layer name: {name}" in proc.stdout


def test_layer_styles_are_qml_for_each_layer(tmp_path, data):
    """``layer_styles`` rows parse as QGIS QML, name the right table and geometry column, colour
    routes per route, dash modelled ones, and keep hostile route names as escaped text."""
    import xml.etree.ElementTree as ET

    from corridor.outputs.charts import route_colour

    routes, metrics = data
    out = export.write_layers(tmp_path / "routes.gpkg", routes, metrics)
    styles = pyogrio.read_dataframe(out, layer="layer_styles")
    assert sorted(styles["f_table_name"]) == sorted(export.LAYERS)
    for _, row in styles.iterrows():
        info = pyogrio.read_info(out, layer=row["f_table_name"])
        assert row["f_geometry_column"] == info["geometry_name"]
        assert bool(row["useAsDefault"])
        root = ET.fromstring(row["styleQML"])
        assert root.tag == "qgis" and root.find("renderer-v2") is not None
    qml = {r["f_table_name"]: ET.fromstring(r["styleQML"]) for _, r in styles.iterrows()}
    rules = qml["routes"].findall("renderer-v2/rules/rule")
    assert [r.get("filter") for r in rules] == [f'"route_index" = {i}' for i in range(len(routes))]
    assert rules[1].get("label") == f"Aras road {XSS} (modelled)"  # text, parsed back as typed
    symbols = qml["routes"].findall("renderer-v2/symbols/symbol")
    for i, sym in enumerate(symbols):
        props = {p.get("k"): p.get("v") for p in sym.iter("prop")}
        r, g, b = (int(route_colour(i)[k:k + 2], 16) for k in (1, 3, 5))
        assert props["line_color"] == f"{r},{g},{b},255"
        assert props["use_custom_dash"] == ("1" if routes[i].modelled else "0")
    seg_filters = [r.get("filter") for r in qml["segments"].findall("renderer-v2/rules/rule")]
    assert '"route_index" = 1 AND "modelled"' in seg_filters
    marker = qml["border_crossings"].find(".//layer")
    assert marker.get("class") == "SimpleMarker"
    assert qml["waypoints"].find("labeling/settings/text-style").get("fieldName") == "name"


def test_qgis_project_beside_the_gpkg(tmp_path, data):
    import xml.etree.ElementTree as ET

    import rasterio

    from corridor._types import REGION_BBOX
    from corridor.outputs import write_qgis_project

    routes, metrics = data
    gpkg = export.write_layers(tmp_path / "routes.gpkg", routes, metrics)
    qgs = write_qgis_project(tmp_path / "routes.qgs", gpkg, routes)
    root = ET.parse(qgs).getroot()
    sources = [ml.findtext("datasource") for ml in root.iter("maplayer")]
    layers = {n for n, _ in pyogrio.list_layers(gpkg)}
    for src in sources:
        assert src.startswith("./")  # relative: the folder can move
        file, _, layer = src[2:].partition("|layername=")
        assert (tmp_path / file).exists()
        if layer:
            assert layer in layers
            ml = next(m for m in root.iter("maplayer") if m.findtext("datasource") == src)
            assert ml.find("renderer-v2") is not None
    tif = tmp_path / "routes-hillshade.tif"
    assert f"./{tif.name}" in sources
    with rasterio.open(tif) as src:
        assert src.count == 4 and src.crs.to_epsg() == 4326
        b = src.bounds
        # the whole region pack, Baku (49.87 E) included
        assert b.left <= REGION_BBOX.left + 0.01 and b.right >= 49.9 and b.top >= REGION_BBOX.top - 0.01
    with pytest.raises(InvalidInputError):
        write_qgis_project(tmp_path / "routes.qgz", gpkg, routes)


def test_control_characters_in_names_keep_styles_and_project_well_formed(tmp_path, data):
    """XML 1.0 forbids C0 controls even escaped: a name with ESC/BEL (and U+FFFE) still gives QML and a
    QGS that parse, showing the name as :func:`corridor._text.clean_text` gives it; a file the project
    would have to link under another name is refused."""
    import shutil
    import xml.etree.ElementTree as ET

    from corridor.outputs import write_qgis_project
    from corridor.route import Route

    routes, metrics = data
    name = "x \u001b[2J \u0007 \ufffe y"
    bad = Route.from_lines([ln for ln in routes[0].segments.geometry], mode="rail", name=name,
                           waypoints=routes[0].waypoints, source="modelled")
    out = export.write_layers(tmp_path / "routes.gpkg", [bad], [metrics[0]])
    styles = pyogrio.read_dataframe(out, layer="layer_styles")
    qml = {r["f_table_name"]: ET.fromstring(r["styleQML"]) for _, r in styles.iterrows()}
    assert [r.get("label") for r in qml["routes"].findall("renderer-v2/rules/rule")] == ["x    y (modelled)"]
    qgs = write_qgis_project(tmp_path / "routes.qgs", out, [bad], title=f"Study {name}")
    root = ET.parse(qgs).getroot()
    assert root.findtext("title") == root.get("projectname") == "Study x    y"
    labels = [r.get("label") for r in root.iter("rule")]
    assert "x    y (modelled)" in labels and not any(CONTROL.search(v) for v in labels)
    odd = tmp_path / "r\u0007.gpkg"
    shutil.copy(out, odd)
    with pytest.raises(InvalidInputError, match="rename the file"):
        write_qgis_project(tmp_path / "odd.qgs", odd, [bad])


# ------------------------------------------------------------------ structures layer
def _structured_route():
    """A rail route with an OSM bridge, a designed new tunnel (two segments, merged), a bridge of a
    reference line still to build (designed) and a bridge of an active reference line (network data)."""
    from shapely.geometry import LineString

    from corridor.network import REFERENCE_SOURCE
    from corridor.route import Route

    pts = [(45.90, 38.95), (45.95, 38.95), (46.00, 38.96), (46.05, 38.96), (46.10, 38.97), (46.15, 38.97),
           (46.20, 38.98), (46.25, 38.98)]
    osm = {"build": "existing", "status": "active", "source": "osm", "structure_depth_m": math.nan}
    new = {"build": "new", "status": "new", "source": "corridor alignment (modelled)"}
    ref = {"source": REFERENCE_SOURCE, "build": "existing"}
    attrs = [{**osm, "structure": "none"}, {**osm, "structure": "bridge"},
             {**new, "structure": "tunnel", "structure_depth_m": 55.0},
             {**new, "structure": "tunnel", "structure_depth_m": 80.0},
             {**ref, "status": "construction", "structure": "bridge", "structure_depth_m": 30.0},
             {**ref, "status": "active", "structure": "none", "structure_depth_m": math.nan},
             {**ref, "status": "active", "structure": "bridge", "structure_depth_m": 12.0}]
    lines = [LineString(pts[k:k + 2]) for k in range(len(attrs))]
    return Route.from_lines(lines, mode="rail", name="Structured " + XSS, attrs=attrs,
                            waypoints=[], source="test")


def test_structures_layer_cuts_each_structure_from_the_route(tmp_path, data):
    """One LineString per structure of RouteMetrics.structures, geodesic lengths summing to tunnel_km
    and bridge_km, with kind, chainage, depth and who designed it; routes without structures add none."""
    from corridor._geo import geodesic_length
    from corridor.evaluation import evaluate

    route = _structured_route()
    met = evaluate(route)
    routes, metrics = [data[0][0], route], [data[1][0], met]
    out = export.write_layers(tmp_path / "s.gpkg", routes, metrics)
    got = pyogrio.read_dataframe(out, layer="structures")
    _check_layer(export.layers(routes, metrics)["structures"], got)
    assert len(got) == len(met.structures) == 4
    assert set(got["route_index"]) == {1} and set(got["route_name"]) == {route.name}
    assert got["kind"].tolist() == ["bridge", "tunnel", "bridge", "bridge"]
    spans = route.structure_spans()  # (start_m, end_m, kind), segments split at unit borders merged
    assert np.allclose(got["start_km"], [a / 1000 for a, _, _ in spans], rtol=1e-12)
    assert np.allclose(got["end_km"], [b / 1000 for _, b, _ in spans], rtol=1e-12)
    assert got["source"].tolist() == ["network data", "modelled design", "modelled design", "network data"]
    assert got["modelled"].tolist() == [False, True, True, True]  # the last is on the modelled network
    assert math.isnan(got["max_depth_m"].iloc[0]) and got["max_depth_m"].iloc[1:].tolist() == [80.0, 30.0, 12.0]
    geo = np.array([geodesic_length(g) for g in got.geometry])
    assert np.allclose(geo, got["length_m"], rtol=1e-9)
    for kind, km in (("tunnel", met.tunnel_km), ("bridge", met.bridge_km)):
        assert math.isclose(geo[(got["kind"] == kind).to_numpy()].sum() / 1000, km, rel_tol=1e-9)
    tunnel = got.geometry.iloc[1]
    seg = route.segments[route.segments["structure"] == "tunnel"].geometry
    assert tunnel.coords[0] == seg.iloc[0].coords[0] and tunnel.coords[-1] == seg.iloc[-1].coords[-1]
    inner = [c for g in seg for c in g.coords]
    assert len(tunnel.coords) == len(dict.fromkeys(inner))  # the segments joined at their shared vertices
    assert pyogrio.read_info(out, layer="structures")["geometry_type"] == "LineString"
    import xml.etree.ElementTree as ET

    styles = pyogrio.read_dataframe(out, layer="layer_styles")
    qml = ET.fromstring(styles[styles["f_table_name"] == "structures"]["styleQML"].iloc[0])
    rules = {r.get("label"): r.get("filter") for r in qml.findall("renderer-v2/rules/rule")}
    assert rules["Tunnels (modelled)"] == '"kind" = \'tunnel\' AND "modelled"'
    assert rules["Bridges"] == '"kind" = \'bridge\' AND NOT "modelled"'


def test_structure_cut_between_chainages():
    """A structure starting inside a segment is cut at its geodesic chainage."""
    from corridor._geo import geodesic_length, points_at
    from corridor.align.vertical import Structure

    route = _structured_route()
    xy = np.concatenate([np.asarray(g.coords)[:-1] for g in route.segments.geometry]
                        + [np.asarray(route.segments.geometry.iloc[-1].coords)[-1:]])
    a, n = 1234.5, 9000.0  # from inside the first (OSM) segment into the new-build tunnel
    (row,) = export.structure_rows(0, route, [Structure("tunnel", a, n, 20.0)])
    line = np.asarray(row["geometry"].coords)
    assert math.isclose(geodesic_length(row["geometry"]), n, rel_tol=1e-9)
    assert np.allclose(line[[0, -1]], points_at(xy, np.array([a, a + n])), atol=1e-12)
    assert row["source"] == "modelled design and network data" and row["modelled"]
    (row,) = export.structure_rows(0, route, [Structure("bridge", 100.0, 200.0)])
    assert row["source"] == "network data" and not row["modelled"] and math.isnan(row["max_depth_m"])


def test_no_structures_gives_an_empty_layer_with_its_columns(tmp_path, data):
    """Routes without tunnels or bridges (or without metrics) get an empty ``structures`` layer."""
    routes, metrics = data
    assert not any(m.structures for m in metrics)
    for mets in (metrics, None):
        out = export.write_layers(tmp_path / "e.gpkg", routes, mets)
        got = pyogrio.read_dataframe(out, layer="structures")
        assert len(got) == 0
        assert {"route_index", "route_name", "kind", "start_km", "length_m", "max_depth_m", "source",
                "modelled"} <= set(got.columns)
        info = pyogrio.read_info(out, layer="structures")
        types = dict(zip(info["fields"], info["dtypes"], strict=True))
        # the same schema as a layer with rows: text stays text (an empty column was written as REAL)
        assert [types[c] for c in ("route_name", "kind", "source")] == ["object"] * 3
        assert types["start_km"] == "float64" and types["route_index"] == "int64"
