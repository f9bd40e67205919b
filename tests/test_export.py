"""corridor.export: every format read back with pyogrio, atomic writes, awkward attributes."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from _maproutes import PAYLOADS, XSS, expected_text, hostile, sample

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
    assert names == set(export.LAYERS)
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
