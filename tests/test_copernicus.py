"""Copernicus DEM tile fetching against a loopback HTTP server (small generated GeoTIFFs)."""

from __future__ import annotations

import _demgen as gen
import numpy as np
import pytest
from _httpserver import Reply

from corridor import settings
from corridor._errors import DEMCoverageError, DownloadError, InvalidBBoxError, InvalidInputError
from corridor.cli import main
from corridor.terrain import fetch_copernicus, tile_name, tile_names, tile_url


def _path(name: str) -> str:
    return f"/{name}/{name}.tif"


@pytest.fixture()
def server(http_server, tmp_cache, fast_retries, monkeypatch):
    monkeypatch.setattr(settings, "copernicus_url", http_server.url("/glo90"))
    monkeypatch.setattr(settings, "copernicus30_url", http_server.url("/glo30"))
    return http_server


@pytest.fixture()
def tile_bytes(tmp_path):
    def make(lat: int, lon: int, **kw) -> bytes:
        p = gen.copernicus_tile(tmp_path / f"src_{lat}_{lon}.tif", lat, lon, **kw)
        return p.read_bytes()

    return make


def test_tile_names_and_urls(monkeypatch):
    assert tile_name(39, 45) == "Copernicus_DSM_COG_30_N39_00_E045_00_DEM"
    assert tile_name(39, 45, source="copernicus-30") == "Copernicus_DSM_COG_10_N39_00_E045_00_DEM"
    assert tile_name(-1, -115) == "Copernicus_DSM_COG_30_S01_00_W115_00_DEM"
    # whole-degree edges do not pull in the neighbouring tile; a point gives one tile
    assert tile_names((45.0, 39.0, 46.0, 40.0)) == ["Copernicus_DSM_COG_30_N39_00_E045_00_DEM"]
    assert tile_names((45.5, 39.5, 45.5, 39.5)) == ["Copernicus_DSM_COG_30_N39_00_E045_00_DEM"]
    assert len(tile_names((43.1, 38.8, 47.4, 41.2))) == 5 * 4
    monkeypatch.setattr(settings, "copernicus30_url", "https://example.test/b/")
    assert tile_url("X", source="copernicus-30") == "https://example.test/b/X/X.tif"
    with pytest.raises(InvalidInputError, match="copernicus-90"):
        tile_name(39, 45, source="srtm")
    with pytest.raises(InvalidBBoxError):
        tile_names((46, 39, 45, 40))


def test_fetch_with_missing_tile(server, tile_bytes, tmp_cache):
    present = tile_name(39, 45)
    server.add("/glo90" + _path(present), Reply(body=tile_bytes(39, 45)))
    # the eastern neighbour is not on the server -> 404 -> reported missing
    res = fetch_copernicus((45.2, 39.1, 46.3, 39.9))
    assert [p.name for p in res.paths] == [f"{present}.tif"]
    assert res.missing == [tile_name(39, 46)] and res.downloaded == [present]
    assert res.paths[0].parent == tmp_cache / "dem" / "copernicus-90"
    dem = res.dem()
    assert "Copernicus DEM GLO-90" in dem.source and "missing tiles" in dem.source
    # values come from the tile; over the missing tile they are NaN, never 0
    z = dem.sample([45.5, 46.5], [39.5, 39.5])
    assert 1000 < z[0] < 1110 and np.isnan(z[1])
    # second call: served from the cache, no new request for the present tile
    hits = server.hits("/glo90" + _path(present))
    again = fetch_copernicus((45.2, 39.1, 46.3, 39.9))
    assert again.paths == res.paths and again.downloaded == []
    assert server.hits("/glo90" + _path(present)) == hits


def test_all_tiles_missing(server):
    res = fetch_copernicus((50.1, 39.1, 50.4, 39.4))  # nothing served: "sea"
    assert res.paths == [] and res.missing == [tile_name(39, 50)]
    with pytest.raises(DEMCoverageError, match="sea"):
        res.dem()


def test_corrupt_tile_never_enters_cache(server, tmp_cache):
    name = tile_name(39, 45)
    server.add("/glo90" + _path(name), Reply(body=b"II*\x00" + b"\x00corrupt" * 200))
    with pytest.raises(DownloadError, match="not a readable GeoTIFF"):
        fetch_copernicus((45.1, 39.1, 45.9, 39.9))
    assert server.hits("/glo90" + _path(name)) == 2  # one fresh retry, then give up
    folder = tmp_cache / "dem" / "copernicus-90"
    assert not (folder / f"{name}.tif").exists()
    assert not list((folder / ".incoming").glob("*.tif"))


def test_tile_with_wrong_extent_is_rejected(server, tile_bytes):
    name = tile_name(39, 45)
    server.add("/glo90" + _path(name), Reply(body=tile_bytes(40, 45)))  # wrong square
    with pytest.raises(DownloadError, match="do not match tile"):
        fetch_copernicus((45.1, 39.1, 45.9, 39.9))


def test_corrupt_then_good_tile_recovers(server, tile_bytes):
    name = tile_name(39, 45)
    server.add("/glo90" + _path(name), Reply(body=b"garbage" * 100), Reply(body=tile_bytes(39, 45)))
    res = fetch_copernicus((45.1, 39.1, 45.9, 39.9))
    assert res.downloaded == [name]


def test_truncated_download_is_resumed(server, tile_bytes):
    name = tile_name(39, 45)
    body = tile_bytes(39, 45)
    server.add("/glo90" + _path(name), Reply(body=body, truncate_at=len(body) // 2), Reply(body=body))
    res = fetch_copernicus((45.1, 39.1, 45.9, 39.9))
    assert res.paths[0].read_bytes() == body
    ranges = [r[2].get("Range") for r in server.requests if r[1].endswith(".tif")]
    assert ranges[-1] == f"bytes={len(body) // 2}-"


def test_server_error_is_reported(server):
    name = tile_name(39, 45)
    server.add("/glo90" + _path(name), Reply(status=503))
    with pytest.raises(DownloadError, match=name):
        fetch_copernicus((45.1, 39.1, 45.9, 39.9))


def test_glo30_and_custom_folder(server, tile_bytes, tmp_path):
    name = tile_name(38, 46, source="copernicus-30")
    server.add("/glo30" + _path(name), Reply(body=tile_bytes(38, 46, n=60)))
    res = fetch_copernicus((46.1, 38.8, 46.4, 38.95), source="copernicus-30", folder=tmp_path / "tiles")
    assert res.paths == [tmp_path / "tiles" / f"{name}.tif"]
    assert "GLO-30" in res.dem().source


def test_cli_fetch_dem(server, tile_bytes, capsys):
    server.add("/glo90" + _path(tile_name(39, 45)), Reply(body=tile_bytes(39, 45)))
    assert main(["fetch", "dem", "--bbox", "45.2,39.1,46.3,39.9"]) == 0
    captured = capsys.readouterr()
    assert tile_name(39, 45) in captured.out
    assert "missing" in captured.err and tile_name(39, 46) in captured.err
    assert main(["fetch", "dem", "--bbox", "45,39,44,40"]) == 2
    assert "left" in capsys.readouterr().err
    assert main(["fetch", "dem", "--bbox", "45,39,46,40", "--source", "srtm"]) == 2
