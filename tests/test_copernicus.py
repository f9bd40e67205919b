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


def test_many_failed_tiles_make_one_short_line(server, caplog):
    """Every tile of a 2 x 2 box fails: the error gives the first reason in full and names the others
    (their reasons go to the log), instead of one ~2,000-character line of four URLs."""
    import logging

    names = [tile_name(lat, lon) for lat in (38, 39) for lon in (45, 46)]
    for n in names:
        server.add("/glo90" + _path(n), Reply(status=503))
    with caplog.at_level(logging.INFO, logger="corridor.terrain.copernicus"), \
            pytest.raises(DownloadError) as ei:
        fetch_copernicus((45.5, 38.8, 46.7, 39.3))
    msg = str(ei.value)
    assert msg.startswith("4 copernicus-90 tile(s) failed: ") and "3 more failed: " in msg
    assert all(n in msg for n in names) and msg.count("http") == 1 and len(msg) < 800
    assert sum("tile failed" in r.getMessage() for r in caplog.records) == 3


def _failed_by_reason(msg: str) -> dict[str, str]:
    """{tile name: reason} of the failed tiles the error line names after the first (``reason: A, B; ...``)."""
    import re

    rest = msg.split(" more failed: ", 1)[1].split(". ", 1)[0]
    out = {}
    for group in rest.split("; "):
        if group.startswith("and "):  # "and 3 more for other reasons"
            continue
        reason, names = group.rsplit(": ", 1)
        for name in re.sub(r" and \d+ more$", "", names).split(", "):
            out[name] = reason
    return out


def test_failed_fetch_says_why_each_tile_failed_without_v(server, tile_bytes, capsys):
    """Without -v, the one error line of a failed `corridor fetch dem` gives the reason of every failed tile
    (HTTP 500 / 503 / 403, a corrupt body), not only of the first; a 404 tile is missing, not failed."""
    squares = [(lat, lon) for lat in (38, 39) for lon in (44, 45, 46)]
    names = {sq: tile_name(*sq) for sq in squares}
    replies = {(38, 44): Reply(status=500), (38, 45): Reply(status=404), (38, 46): Reply(status=503),
               (39, 44): Reply(status=403), (39, 45): Reply(body=b"II*\x00" + b"\x00corrupt" * 200),
               (39, 46): Reply(body=tile_bytes(39, 46))}
    for sq, reply in replies.items():
        server.add("/glo90" + _path(names[sq]), reply)
    assert main(["fetch", "dem", "--bbox", "44.5,38.5,46.5,39.5"]) == 2
    err = capsys.readouterr().err
    line = next(ln for ln in err.splitlines() if ln.startswith("corridor: error: "))
    assert line.startswith("corridor: error: 4 copernicus-90 tile(s) failed: ")
    assert f"{names[38, 44]}: could not download " in line and "HTTP 500; check the network" in line
    assert _failed_by_reason(line) == {names[38, 46]: "HTTP 503 after 4 attempts", names[39, 44]: "HTTP 403",
                                       names[39, 45]: "arrived bad twice: not a readable GeoTIFF"}
    assert "1 good tiles are cached" in line and names[38, 45] in err  # the 404 tile is reported missing
    assert "tile failed" not in err  # the log of each failure in full needs -v


def test_failed_tiles_are_named_up_to_a_cap(server):
    """Many failed tiles: a few are named per reason, the rest counted ("and N more"); so are the tiles of
    reasons beyond the first few, and the line stays short."""
    squares = [(lat, lon) for lat in (38, 39, 40) for lon in (44, 45, 46, 47)]
    for sq in squares:
        server.add("/glo90" + _path(tile_name(*sq)), Reply(status=500))
    with pytest.raises(DownloadError) as ei:
        fetch_copernicus((44.5, 38.5, 47.5, 40.5))
    msg = str(ei.value)
    assert msg.startswith("12 copernicus-90 tile(s) failed: ") and "; 11 more failed: HTTP 500 after 4 attempts: " in msg
    assert msg.count("Copernicus_DSM") == 3 + 8  # the first (its name, twice in its URL), then 8 named
    assert " and 3 more. " in msg and len(msg) < 900
    # six reasons: four are given with their tiles, the tiles of the others are counted
    for sq, status in zip(squares, [500, 401, 403, 410, 418, 451] * 2, strict=True):
        server.add("/glo90" + _path(tile_name(*sq)), Reply(status=status))
    with pytest.raises(DownloadError) as ei:
        fetch_copernicus((44.5, 38.5, 47.5, 40.5))
    msg = str(ei.value)
    reasons = _failed_by_reason(msg)
    assert len(reasons) == 8 and list(dict.fromkeys(reasons.values())) == ["HTTP 401", "HTTP 403", "HTTP 410",
                                                                         "HTTP 418"]
    assert "; and 3 more for other reasons " in msg and "HTTP 451" not in msg


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


# --- GLO-30 Public leaves out some countries: GLO-90 stands in, tile by tile ------------------
def _provenance(folder):
    import json

    return json.loads((folder / "copernicus-provenance.json").read_text(encoding="utf-8"))


def test_glo30_falls_back_to_glo90_tile_by_tile(server, tile_bytes, tmp_cache):
    from corridor._http import file_md5

    # (39,45): GLO-30 released; (39,46): GLO-30 404 but GLO-90 present (e.g. Armenia/Azerbaijan);
    # (39,47): 404 on both (sea) -> reported missing, as without a fallback
    own = tile_name(39, 45, source="copernicus-30")
    withheld, stand_in = tile_name(39, 46, source="copernicus-30"), tile_name(39, 46)
    sea30, sea90 = tile_name(39, 47, source="copernicus-30"), tile_name(39, 47)
    server.add("/glo30" + _path(own), Reply(body=tile_bytes(39, 45, n=60)))
    server.add("/glo90" + _path(stand_in), Reply(body=tile_bytes(39, 46, n=20, value=2000.0)))
    res = fetch_copernicus((45.2, 39.1, 47.5, 39.9), source="copernicus-30")
    folder = tmp_cache / "dem" / "copernicus-30"
    assert res.paths == [folder / f"{own}.tif", folder / f"{stand_in}.tif"]  # one folder = one mosaic
    assert res.missing == [sea30] and res.downloaded == [own, stand_in]
    # the GLO-90 fallback is asked for only where GLO-30 answered 404
    assert server.hits("/glo90" + _path(tile_name(39, 45))) == 0
    assert server.hits("/glo30" + _path(withheld)) == 1 and server.hits("/glo90" + _path(stand_in)) == 1
    assert server.hits("/glo30" + _path(sea30)) == 1 and server.hits("/glo90" + _path(sea90)) == 1
    # provenance of every tile: id, product, URL, checksum
    t30, t90 = res.tiles
    assert (t30.id, t30.product, t30.source, t30.fallback_for) == (own, "GLO-30", "copernicus-30", None)
    assert (t90.id, t90.product, t90.source, t90.fallback_for) == (stand_in, "GLO-90", "copernicus-90", withheld)
    assert t30.url == server.url("/glo30" + _path(own)) and t90.url == server.url("/glo90" + _path(stand_in))
    assert t30.md5 == file_md5(res.paths[0]) and t90.md5 == file_md5(res.paths[1]) and t30.md5 != t90.md5
    assert res.fallback == [t90]
    doc = _provenance(folder)
    assert res.provenance == folder / "copernicus-provenance.json"
    assert [(e["file"], e["product"], e["url"], e["md5"], e["fallback_for"]) for e in doc["tiles"]] == [
        (f"{own}.tif", "GLO-30", t30.url, t30.md5, None), (f"{stand_in}.tif", "GLO-90", t90.url, t90.md5, withheld)]
    # the mosaic mixes resolutions; values come from each tile; the sea square stays NaN
    dem = res.dem()
    z = dem.sample([45.5, 46.5, 47.5], [39.5, 39.5, 39.5])
    assert 1000 < z[0] < 1110 and z[1] == pytest.approx(2000.0) and np.isnan(z[2])
    assert "GLO-30 (1 tile) + GLO-90 (1 tile)" in dem.source and withheld in dem.source
    assert f"missing tiles: {sea30}" in dem.source
    assert dem.vertical_le90_m == 4.0 and "Copernicus DEM Product Handbook" in dem.vertical_error_note


def test_cached_fallback_is_reused_and_glo30_asked_again(server, tile_bytes):
    withheld, stand_in = tile_name(39, 46, source="copernicus-30"), tile_name(39, 46)
    server.add("/glo90" + _path(stand_in), Reply(body=tile_bytes(39, 46)))
    first = fetch_copernicus((46.1, 39.1, 46.9, 39.9), source="copernicus-30")
    assert first.downloaded == [stand_in]
    again = fetch_copernicus((46.1, 39.1, 46.9, 39.9), source="copernicus-30")
    assert again.paths == first.paths and again.downloaded == [] and again.tiles[0].fallback_for == withheld
    assert again.tiles[0].md5 == first.tiles[0].md5 and not again.tiles[0].downloaded
    assert server.hits("/glo90" + _path(stand_in)) == 1  # served from the cache
    assert server.hits("/glo30" + _path(withheld)) == 2  # a later GLO-30 release would be picked up
    # ... and once GLO-30 is released, it replaces the stand-in in the result
    server.add("/glo30" + _path(withheld), Reply(body=tile_bytes(39, 46, n=60)))
    third = fetch_copernicus((46.1, 39.1, 46.9, 39.9), source="copernicus-30")
    assert [t.product for t in third.tiles] == ["GLO-30"] and third.fallback == []


def test_no_fallback_and_glo90_source_never_fall_back(server, tile_bytes):
    stand_in = tile_name(39, 46)
    server.add("/glo90" + _path(stand_in), Reply(body=tile_bytes(39, 46)))
    res = fetch_copernicus((46.1, 39.1, 46.9, 39.9), source="copernicus-30", fallback=False)
    assert res.paths == [] and res.missing == [tile_name(39, 46, source="copernicus-30")]
    assert server.hits("/glo90" + _path(stand_in)) == 0 and res.provenance is None
    # a GLO-90 request that 404s has nothing coarser to fall back on (and never asks GLO-30)
    before = len(server.requests)
    res90 = fetch_copernicus((45.1, 39.1, 45.9, 39.9))
    assert res90.missing == [tile_name(39, 45)]
    assert [r[1] for r in server.requests[before:]] == ["/glo90" + _path(tile_name(39, 45))]


def test_fallback_download_failure_is_reported(server):
    stand_in = tile_name(39, 46)
    server.add("/glo90" + _path(stand_in), Reply(status=503))
    with pytest.raises(DownloadError, match=stand_in):
        fetch_copernicus((46.1, 39.1, 46.9, 39.9), source="copernicus-30")


def test_provenance_file_is_merged_and_kept_honest(server, tile_bytes, tmp_path):
    folder = tmp_path / "tiles"
    a, b = tile_name(39, 45), tile_name(40, 45)
    server.add("/glo90" + _path(a), Reply(body=tile_bytes(39, 45)))
    server.add("/glo90" + _path(b), Reply(body=tile_bytes(40, 45)))
    fetch_copernicus((45.1, 39.1, 45.9, 39.9), folder=folder)
    fetch_copernicus((45.1, 40.1, 45.9, 40.9), folder=folder)
    assert [e["id"] for e in _provenance(folder)["tiles"]] == [a, b]  # second fetch kept the first entry
    # an entry whose tile file is gone is dropped; a corrupt provenance file is rewritten, not trusted
    (folder / f"{a}.tif").unlink()
    (folder / "copernicus-provenance.json").write_text("{not json", encoding="utf-8")
    fetch_copernicus((45.1, 40.1, 45.9, 40.9), folder=folder)
    assert [e["id"] for e in _provenance(folder)["tiles"]] == [b]
    # the provenance file is not a raster: the folder still opens as a DEM of its tiles
    from corridor.terrain import DEM

    assert DEM.open(folder).paths == (folder / f"{b}.tif",)


def test_cli_fetch_dem_json(server, tile_bytes, capsys, tmp_path):
    """`fetch dem --json`: only strict JSON on stdout, every tile with its provenance (product, URL, MD5, the
    tile it stands in for, downloaded now or not) and the missing tiles; progress stays on stderr."""
    import hashlib
    import json

    stand_in, withheld = tile_name(39, 46), tile_name(39, 46, source="copernicus-30")
    server.add("/glo90" + _path(stand_in), Reply(body=tile_bytes(39, 46)))
    out = tmp_path / "t"
    args = ["fetch", "dem", "--bbox", "46.1,39.1,46.9,39.9", "--source", "copernicus-30", "--out", str(out), "--json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out, parse_constant=lambda name: pytest.fail(f"{name} in the JSON output"))
    (tile,) = data["tiles"]
    path = out / f"{stand_in}.tif"
    assert tile == {"id": stand_in, "product": "GLO-90", "source": "copernicus-90",
                    "url": server.url("/glo90" + _path(stand_in)), "md5": hashlib.md5(path.read_bytes()).hexdigest(),
                    "file": path.name, "path": str(path), "fallback_for": withheld, "downloaded": True}
    assert data["source"] == "copernicus-30" and data["bbox"] == [46.1, 39.1, 46.9, 39.9]
    assert data["folder"] == str(out) and data["missing"] == []
    assert data["provenance_file"] == str(out / "copernicus-provenance.json")
    assert "GLO-90" in data["description"]
    assert "tile(s) ready" in captured.err
    # a second fetch takes the tile from the folder
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["tiles"][0]["downloaded"] is False
    # a tile missing on the server (sea) is listed as missing, in the default cache folder
    assert main(["fetch", "dem", "--bbox", "47.1,39.1,47.9,39.9", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tiles"] == [] and data["missing"] == [tile_name(39, 47)] and data["provenance_file"] is None
    assert data["folder"].endswith("copernicus-90")


def test_cli_fetch_dem_reports_fallback(server, tile_bytes, capsys, tmp_path):
    stand_in = tile_name(39, 46)
    server.add("/glo90" + _path(stand_in), Reply(body=tile_bytes(39, 46)))
    out = tmp_path / "t"
    assert main(["fetch", "dem", "--bbox", "46.1,39.1,46.9,39.9", "--source", "copernicus-30",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert str(out / f"{stand_in}.tif") in captured.out
    assert f"fallback: {tile_name(39, 46, source='copernicus-30')}" in captured.err and stand_in in captured.err
    assert str(out / "copernicus-provenance.json") in captured.err
    assert main(["fetch", "dem", "--bbox", "46.1,39.1,46.9,39.9", "--source", "copernicus-30",
                 "--out", str(tmp_path / "u"), "--no-fallback"]) == 0
    captured = capsys.readouterr()
    assert "fallback:" not in captured.err and "0 tile(s) ready" in captured.err


def test_corrupt_cached_glo30_tile_does_not_survive_a_fallback(server, tile_bytes, tmp_cache):
    withheld, stand_in = tile_name(39, 46, source="copernicus-30"), tile_name(39, 46)
    folder = tmp_cache / "dem" / "copernicus-30"
    folder.mkdir(parents=True)
    (folder / f"{withheld}.tif").write_bytes(b"II*\x00 truncated")
    server.add("/glo90" + _path(stand_in), Reply(body=tile_bytes(39, 46)))
    res = fetch_copernicus((46.1, 39.1, 46.9, 39.9), source="copernicus-30")
    assert [t.id for t in res.tiles] == [stand_in] and not (folder / f"{withheld}.tif").exists()
    from corridor.terrain import DEM

    assert DEM.open(folder).sample([46.5], [39.5])[0] > 1000  # the folder opens as a clean mosaic


def test_glo30_tile_replaces_its_glo90_stand_in_in_the_folder(server, tile_bytes, tmp_path, caplog):
    """Once GLO-30 serves a square, the GLO-90 tile an earlier fetch put there as its stand-in is removed
    with its provenance entry (logged), so ``DEM.open(folder)`` no longer merges two overlapping tiles.
    Files the provenance does not record as that square's stand-in stay."""
    import logging

    from corridor.terrain import DEM

    folder = tmp_path / "tiles"
    withheld, stand_in = tile_name(39, 46, source="copernicus-30"), tile_name(39, 46)
    other30, other90 = tile_name(40, 46, source="copernicus-30"), tile_name(40, 46)
    server.add("/glo90" + _path(stand_in), Reply(body=tile_bytes(39, 46, value=2000.0)))
    server.add("/glo30" + _path(other30), Reply(body=tile_bytes(40, 46, n=60)))
    fetch_copernicus((46.1, 39.1, 46.9, 40.9), source="copernicus-30", folder=folder)
    assert {e["file"]: e["fallback_for"] for e in _provenance(folder)["tiles"]} == {
        f"{stand_in}.tif": withheld, f"{other30}.tif": None}
    # not written by the tool as a stand-in: a GLO-90 tile of the other square, and a file of the user's
    (folder / f"{other90}.tif").write_bytes(tile_bytes(40, 46))
    (folder / "notes.txt").write_text("mine", encoding="utf-8")

    server.add("/glo30" + _path(withheld), Reply(body=tile_bytes(39, 46, n=60)))
    with caplog.at_level(logging.INFO, logger="corridor.terrain.copernicus"):
        res = fetch_copernicus((46.1, 39.1, 46.9, 40.9), source="copernicus-30", folder=folder)
    assert [t.id for t in res.tiles] == [withheld, other30] and res.fallback == []
    assert not (folder / f"{stand_in}.tif").exists()
    assert (folder / f"{other90}.tif").exists() and (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert [e["file"] for e in _provenance(folder)["tiles"]] == [f"{withheld}.tif", f"{other30}.tif"]
    assert any(stand_in in r.getMessage() and "removed" in r.getMessage() for r in caplog.records)
    dem = DEM.open(folder)
    assert stand_in not in dem.source and withheld in dem.source  # the tiles it opened
    assert 1000 < dem.sample([46.5], [39.5])[0] < 1110  # the GLO-30 tile, not the stand-in's 2000 m
