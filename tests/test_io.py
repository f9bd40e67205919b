"""corridor.network._io: loading networks for load_network: sources (OSM files, Geofabrik, the reference
and demo networks), region filters, the GeoParquet cache and its integrity (issue 15 §6).

``pbf``, the small SYNTHETIC network of tests/_osmgen.py, comes from tests/conftest.py, as do
``tmp_cache``, ``http_server`` and ``fast_retries``; the other OSM files are SYNTHETIC too
(tests/_osmgen.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from _httpserver import Reply
from _netgen import GYUMRI_RAIL, KARS_SIDE
from _osmgen import small
from shapely.geometry import LineString

from corridor import settings
from corridor._errors import (
    DataFileError,
    EmptyNetworkError,
    InvalidBBoxError,
    InvalidInputError,
    OSMParseError,
)
from corridor.network import Network, load_network


# ----------------------------------------------------------------------------- loading + cache
def test_cache_roundtrip(pbf, tmp_cache):
    a = load_network(pbf)
    entries = list((tmp_cache / "networks").iterdir())
    assert len(entries) == 1 and "cache" not in a.meta
    b = load_network(pbf)
    assert b.meta["cache"] == str(entries[0])
    assert b.edges.drop(columns="geometry").equals(a.edges.drop(columns="geometry"))
    assert b.route(KARS_SIDE, GYUMRI_RAIL, mode="rail").length_m == pytest.approx(
        a.route(KARS_SIDE, GYUMRI_RAIL, mode="rail").length_m)
    assert a.meta["checksum"] and a.meta["filter"]["modes"] == ["road", "rail"]
    load_network(pbf, bbox=(43.83, 40.76, 43.87, 40.81))
    assert len(list((tmp_cache / "networks").iterdir())) == 2  # bbox is part of the key


def test_cache_entry_short_of_columns_is_rebuilt(pbf, tmp_cache):
    """An entry written before a column existed (e.g. ``oneway``) is never served."""
    import pyarrow.parquet as pq

    a = load_network(pbf)
    (entry,) = list((tmp_cache / "networks").iterdir())
    table = pq.read_table(entry / "edges.parquet")
    pq.write_table(table.drop_columns(["oneway"]), entry / "edges.parquet")
    b = load_network(pbf)
    assert "cache" not in b.meta and "oneway" in b.edges.columns  # parsed again
    assert b.edges.drop(columns="geometry").equals(a.edges.drop(columns="geometry"))
    assert "cache" in load_network(pbf).meta  # and the rebuilt entry is served


def test_bad_input_leaves_no_cache(tmp_path, pbf, tmp_cache):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(pbf.read_bytes()[:700])
    with pytest.raises(OSMParseError):
        load_network(bad)
    with pytest.raises(EmptyNetworkError):
        load_network(pbf, bbox=(30.0, 30.0, 30.1, 30.1))
    with pytest.raises(InvalidBBoxError):
        load_network(pbf, bbox=(44.0, 40.0, 43.0, 41.0))
    with pytest.raises(InvalidInputError, match="unknown mode"):
        load_network(pbf, modes=("road", "boat"))
    with pytest.raises(InvalidInputError, match="unknown region"):
        load_network(pbf, region="atlantis")
    with pytest.raises(DataFileError, match="does not exist"):
        load_network(tmp_path / "missing.osm.pbf")
    assert not (tmp_cache / "networks").exists() or not list((tmp_cache / "networks").iterdir())


def test_region_filter(pbf):
    arm = load_network(pbf, region="armenia", cache=False)
    assert set(arm.edges["unit"]) == {"ARM"}
    with pytest.raises(EmptyNetworkError):
        load_network(pbf, region="IRN", cache=False)


def test_geofabrik_source(pbf, http_server, monkeypatch, tmp_cache, fast_retries):
    import hashlib

    monkeypatch.setattr(settings, "geofabrik_url", http_server.base)
    data = pbf.read_bytes()
    http_server.add("/asia/armenia-latest.osm.pbf.md5", Reply(body=hashlib.md5(data).hexdigest().encode()))
    http_server.add("/asia/armenia-latest.osm.pbf", Reply(body=data))
    net = load_network("geofabrik", region="armenia")
    assert net.meta["source"] == "osm (geofabrik)" and set(net.edges["unit"]) == {"ARM"}


def test_reference_source(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "region", data / "region")
    monkeypatch.setattr(settings, "data_folder", data)
    with pytest.raises(DataFileError, match="build_reference_network"):
        load_network("reference")
    (data / "reference").mkdir()
    gpd.GeoDataFrame({"mode": ["rail", "rail", "road"], "class": ["rail", "rail", "primary"],
                      "status": ["razed", "active", "active"], "name": ["Meghri line", "", "M2"]},
                     geometry=[LineString([(46.0, 38.92), (46.15, 38.92)]), LineString([(46.15, 38.92), (46.3, 38.92)]),
                               LineString([(46.0, 38.95), (46.3, 38.95)])],
                     crs="EPSG:4326").to_file(data / "reference" / "network.geojson", driver="GeoJSON")
    net = load_network("reference", modes=("rail",))
    assert net.meta["source"] == "reference (modelled)" and net.meta["modelled"]
    assert set(net.edges["source"]) == {"reference (modelled)"} and set(net.edges["mode"]) == {"rail"}
    r = net.route((46.0, 38.92), (46.3, 38.92))
    assert r.modelled and r.unit_sequence() == ["NAX", "ARM"] and r.source == "reference (modelled)"


def test_demo_file_is_synthetic_and_loads():
    demo = Path(__file__).resolve().parents[1] / "data" / "demo" / "demo_network.osm.pbf"
    net = load_network(demo, cache=False)
    assert all("synthetic" in n for n in net.edges.loc[net.edges["name"] != "", "name"])
    r = net.route((45.643, 38.935), (45.412, 39.209), mode="rail")
    assert r.segments["gauge_break"].sum() == 1
    assert {"razed", "construction"} <= set(net.edges["status"])


def test_cache_reload_geometry_sidecar_and_fallbacks(tmp_path, tmp_cache):
    """The reload rebuilds geometries from the coordinate sidecar; without it the GeoParquet
    geometry column is used; a damaged sidecar makes the entry be rebuilt."""
    import shapely
    from _osmgen import big_network

    pbf = big_network(tmp_path / "grid.osm.pbf", n=20, k=3)  # crosses ARM/TUR/NAX borders: cut pieces
    a = load_network(pbf)
    (entry,) = (tmp_cache / "networks").iterdir()
    assert {p.name for p in entry.iterdir()} == {"edges.parquet", "coords.npy", "offsets.npy", "stations.parquet",
                                                 "meta.json"}
    assert (a.edges["u"] < 0).any()  # some edges were cut at borders
    assert gpd.read_parquet(entry / "edges.parquet").geometry.geom_equals_exact(a.edges.geometry, 0).all()

    def same(b: Network) -> None:
        assert b.meta["cache"] == str(entry)
        assert b.edges.drop(columns="geometry").equals(a.edges.drop(columns="geometry"))
        assert shapely.equals_exact(np.asarray(b.edges.geometry.values), np.asarray(a.edges.geometry.values), 0).all()
        assert b.edges.crs == a.edges.crs and b.edges["unit"].map(type).isin([str, type(None)]).all()

    same(load_network(pbf))
    # an entry written without the sidecar (meta.json lists none): read the GeoParquet geometry column
    import json

    record = json.loads((entry / "meta.json").read_text())
    for name in ("coords.npy", "offsets.npy"):
        (entry / name).unlink()
        del record["files"][name]
    (entry / "meta.json").write_text(json.dumps(record))
    same(load_network(pbf))
    np.save(entry / "coords.npy", np.zeros((3, 2)))  # a sidecar meta.json does not list: rebuilt, never trusted
    c = load_network(pbf)
    assert "cache" not in c.meta and c.edges.drop(columns="geometry").equals(a.edges.drop(columns="geometry"))
    same(load_network(pbf))
    (entry / "coords.npy").unlink()  # a listed sidecar that is gone: rebuilt
    assert "cache" not in load_network(pbf).meta
    same(load_network(pbf))


def test_bad_nodes_reach_the_network_meta_and_both_layers_survive_a_join(tmp_path):
    from _osmgen import write_xml

    from corridor.network import _io as io
    from corridor.network._osm_tags import ROAD_CLASSES

    items = [("node", 1, 44.50, 40.10, {}), ("node", 2, 44.52, 40.10, {}), ("node", 3, 44.53, 95.0, {}),
             ("way", 1, [1, 3, 2], {"highway": "primary", "railway": "disused", "gauge": "1520"})]
    a = write_xml(tmp_path / "a.osm", items)
    net = load_network(a, cache=False)
    assert net.meta["invalid_nodes"] == 1 and net.meta["missing_nodes"] == 0
    assert sorted(net.edges["mode"]) == ["rail", "road"]
    b = write_xml(tmp_path / "b.osm", items)  # the same way in a second extract
    edges, _st, _infos = io.read_paths([a, b], ("road", "rail"), ROAD_CLASSES, None, "osm")
    assert sorted(edges["mode"]) == ["rail", "road"] and set(edges["gauge_source"]) == {"tagged", ""}


# ----------------------------------------------------------------------------- cache integrity (issue 15 §6)
def _entry(tmp_cache) -> Path:
    (entry,) = (tmp_cache / "networks").iterdir()
    return entry


@pytest.mark.parametrize("text", ["[]", "null", "{", "{}", '"text"', "\udcff"])
def test_cache_meta_json_of_the_wrong_shape_is_rebuilt(pbf, tmp_cache, caplog, text):
    a = load_network(pbf)
    (_entry(tmp_cache) / "meta.json").write_text(text, encoding="utf-8", errors="surrogateescape")
    b = load_network(pbf)  # no TypeError: the entry is rebuilt
    assert "cache" not in b.meta and "rebuilding" in caplog.text
    assert b.edges.drop(columns="geometry").equals(a.edges.drop(columns="geometry"))
    assert "cache" in load_network(pbf).meta


def test_cache_meta_json_fields_are_checked(pbf, tmp_cache, caplog):
    import json

    from corridor.network import _io as io

    load_network(pbf)
    entry = _entry(tmp_cache)
    good = json.loads((entry / "meta.json").read_text())
    assert good["version"] == io.CACHE_VERSION and set(good["files"]) == {"edges.parquet", "stations.parquet", "coords.npy",
                                                              "offsets.npy"}
    bad = [{**good, "version": 2}, {**good, "key": "0" * 24}, {**good, "files": []}, {**good, "meta": []},
           {**good, "files": {**good["files"], "edges.parquet": {"bytes": "many", "digest": 1}}},
           {**good, "files": {k: v for k, v in good["files"].items() if k != "stations.parquet"}},
           {k: v for k, v in good.items() if k != "format"}]
    for record in bad:
        (entry / "meta.json").write_text(json.dumps(record))
        caplog.clear()
        assert "cache" not in load_network(pbf).meta, record
        assert "rebuilding" in caplog.text
        assert "cache" in load_network(pbf).meta
        good = json.loads((entry / "meta.json").read_text())


def test_cache_files_changed_in_place_are_rebuilt(tmp_path, tmp_cache, caplog):
    """A sidecar or table edited in place (same size, valid format) is never served."""
    import pyarrow.parquet as pq
    import shapely

    pbf = small(tmp_path, "osm.pbf")
    a = load_network(pbf)
    entry = _entry(tmp_cache)
    coords = np.load(entry / "coords.npy")
    np.save(entry / "coords.npy", coords + 0.01)  # same shape and size: only the digest tells
    b = load_network(pbf)
    assert "cache" not in b.meta and "coords.npy" in caplog.text
    assert shapely.equals_exact(np.asarray(b.edges.geometry.values), np.asarray(a.edges.geometry.values), 0).all()
    table = pq.read_table(entry / "edges.parquet")
    names = table.column("name").to_pylist()
    pq.write_table(table.set_column(table.schema.get_field_index("name"), "name",
                                    __import__("pyarrow").array(["edited" if n else n for n in names])),
                   entry / "edges.parquet")
    c = load_network(pbf)
    assert "cache" not in c.meta and "edited" not in set(c.edges["name"])


def _osm_xml(lon: float) -> str:
    """A one-way OSM XML file; ``lon`` of the second node is written with a fixed width."""
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"test\">\n"
            '<node id="1" version="1" lat="40.1000000" lon="44.5000000"/>\n'
            f'<node id="2" version="1" lat="40.1000000" lon="{lon:.7f}"/>\n'
            '<way id="7" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way>\n</osm>\n')


def test_edited_file_with_restored_mtime_is_parsed_again(tmp_path, tmp_cache):
    """``cp -p``/``rsync -t`` keep size and mtime: the memo and the cache must follow the content."""
    import os

    path = tmp_path / "roads.osm"
    path.write_text(_osm_xml(44.6000000))
    first = load_network(path)
    st = path.stat()
    path.write_text(_osm_xml(44.7000000))  # same size, other geometry
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    second = load_network(path)
    assert second.meta["checksum"] != first.meta["checksum"] and "cache" not in second.meta
    assert second.edges.geometry.iloc[0].coords[-1][0] == pytest.approx(44.7)
    assert first.edges.geometry.iloc[0].coords[-1][0] == pytest.approx(44.6)
    assert load_network(path).meta["cache"]  # the new content has its own entry
