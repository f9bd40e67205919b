"""corridor.network.osm: read_osm's arguments, Geofabrik extracts (download, md5 check, update, offline
copy; also through ``corridor fetch osm``) and the checksum memo (all offline, loopback only).

The extracts served are the small SYNTHETIC network (``files``, tests/_osmgen.small_files). The
reader, tags, node checks and Overpass have their own modules: test_osm_read, test_osm_tags,
test_osm_nodes, test_overpass.
"""

from __future__ import annotations

import hashlib

import pytest
from _httpserver import Reply
from _osmgen import small_files

from corridor._errors import ChecksumError, EmptyNetworkError, InvalidBBoxError, InvalidInputError
from corridor.network import osm


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The small network as PBF, XML and XML.bz2 (tests/_osmgen.small_files)."""
    return small_files(tmp_path_factory.mktemp("osm"))


# ----------------------------------------------------------------------------- bad input
def test_bad_arguments(files):
    with pytest.raises(InvalidBBoxError, match="left"):
        osm.read_osm(files["osm.pbf"], bbox=(44.0, 40.0, 43.0, 41.0))
    with pytest.raises(EmptyNetworkError, match="inside bbox"):
        osm.read_osm(files["osm.pbf"], bbox=(30.0, 30.0, 30.1, 30.1))
    with pytest.raises(InvalidInputError, match="unknown mode 'tram'"):
        osm.read_osm(files["osm.pbf"], modes=("tram",))


# ----------------------------------------------------------------------------- Geofabrik
@pytest.fixture()
def geofabrik(http_server, monkeypatch, tmp_cache, fast_retries):
    from corridor import settings

    monkeypatch.setattr(settings, "geofabrik_url", http_server.base)
    monkeypatch.setattr("corridor._http._sleep", lambda s: None)
    return http_server


def test_geofabrik_download_verify_and_update(geofabrik, files, tmp_cache):
    data = files["osm.pbf"].read_bytes()
    md5 = hashlib.md5(data).hexdigest()
    path = "/asia/armenia-latest.osm.pbf"
    geofabrik.add(path + ".md5", Reply(body=f"{md5}  armenia-latest.osm.pbf\n".encode()))
    geofabrik.add(path, Reply(body=data[:100] + b"x" * (len(data) - 100)), Reply(body=data))  # bad md5 once
    (got,) = osm.fetch_geofabrik("armenia")
    assert got.read_bytes() == data and geofabrik.hits(path) == 2
    osm.fetch_geofabrik("ARM")  # up to date: only the .md5 is fetched again
    assert geofabrik.hits(path) == 2 and geofabrik.hits(path + ".md5") == 2
    new = data + b"\0"
    geofabrik.add(path + ".md5", Reply(body=hashlib.md5(new).hexdigest().encode()))
    geofabrik.add(path, Reply(body=new, honour_range=False))
    (got,) = osm.fetch_geofabrik("armenia")
    assert got.read_bytes() == new


def test_geofabrik_bad_md5_raises_and_leaves_nothing(geofabrik, files, tmp_cache):
    data = files["osm.pbf"].read_bytes()
    path = "/europe/georgia-latest.osm.pbf"
    geofabrik.add(path + ".md5", Reply(body=b"0" * 32))
    geofabrik.add(path, Reply(body=data))
    with pytest.raises(ChecksumError):
        osm.fetch_geofabrik("georgia")
    left = [p.name for p in (tmp_cache / "geofabrik").iterdir() if not p.name.endswith(".lock")]
    assert left == []  # no extract, no .part, no .md5 sidecar


def test_geofabrik_offline_uses_cached_copy(geofabrik, files, tmp_cache):
    data = files["osm.pbf"].read_bytes()
    dest = tmp_cache / "geofabrik" / "iran-latest.osm.pbf"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(data)
    geofabrik.add("/asia/iran-latest.osm.pbf.md5", Reply(status=503))
    assert osm.fetch_geofabrik("iran") == [dest]
    with pytest.raises(InvalidInputError, match="unknown region 'mars'"):
        osm.fetch_geofabrik("mars")


def test_cli_fetch_osm(geofabrik, files, tmp_cache):
    from typer.testing import CliRunner

    from corridor.cli import app

    data = files["osm.pbf"].read_bytes()
    geofabrik.add("/asia/armenia-latest.osm.pbf.md5", Reply(body=hashlib.md5(data).hexdigest().encode()))
    geofabrik.add("/asia/armenia-latest.osm.pbf", Reply(body=data))
    res = CliRunner().invoke(app, ["fetch", "osm", "--region", "armenia"])
    assert res.exit_code == 0, res.output
    assert (tmp_cache / "geofabrik" / "armenia-latest.osm.pbf").read_bytes() == data
    assert "armenia-latest.osm.pbf" in res.stdout
    from corridor.cli import main

    assert main(["fetch", "osm", "--region", "narnia"]) == 2  # one-line error, exit code 2


def test_cli_fetch_osm_json(geofabrik, files, tmp_cache, capsys):
    """`fetch osm --json`: only JSON on stdout, each extract with its URL, path, size and the MD5 it was
    verified against."""
    import json

    from corridor.cli import main

    data = files["osm.pbf"].read_bytes()
    md5 = hashlib.md5(data).hexdigest()
    geofabrik.add("/asia/armenia-latest.osm.pbf.md5", Reply(body=md5.encode()))
    geofabrik.add("/asia/armenia-latest.osm.pbf", Reply(body=data))
    assert main(["fetch", "osm", "--region", "ARM", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    path = tmp_cache / "geofabrik" / "armenia-latest.osm.pbf"
    assert got == {"region": "ARM", "extracts": [{"name": "armenia", "url": osm.geofabrik_url("armenia"),
                                                  "path": str(path), "bytes": len(data), "md5": md5}]}
    assert osm.extract_md5(path) == md5


def test_cli_fetch_osm_json_names_the_md5_of_an_extract_found_up_to_date(geofabrik, files, tmp_cache, capsys):
    """An extract already in the cache (copied there, or kept from before its MD5 was recorded) that matches
    the published MD5 is verified against it: --json names that MD5, not null."""
    import json

    from corridor.cli import main

    data = files["osm.pbf"].read_bytes()
    md5 = hashlib.md5(data).hexdigest()
    dest = tmp_cache / "geofabrik" / "armenia-latest.osm.pbf"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(data)  # no .md5 record beside it
    geofabrik.add("/asia/armenia-latest.osm.pbf.md5", Reply(body=md5.encode()))
    assert main(["fetch", "osm", "--region", "ARM", "--json"]) == 0
    (extract,) = json.loads(capsys.readouterr().out)["extracts"]
    assert extract["md5"] == md5 and geofabrik.hits("/asia/armenia-latest.osm.pbf") == 0
    assert osm.extract_md5(dest) == md5


def test_checksum_memo_follows_content_not_mtime(tmp_path, tmp_cache):
    """An edit that keeps size and mtime (``cp -p``, ``rsync -t``) gets its own MD5 (issue 15 §6)."""
    import hashlib
    import os

    from corridor.network.osm import file_checksum, remember_checksum

    p = tmp_path / "a.osm"
    p.write_bytes(b"<osm>first</osm>")
    assert file_checksum(p) == hashlib.md5(b"<osm>first</osm>").hexdigest()
    st = p.stat()
    p.write_bytes(b"<osm>other</osm>")
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert file_checksum(p) == hashlib.md5(b"<osm>other</osm>").hexdigest()
    # a memo pairs an MD5 with the very content that was hashed, even if the file changed in between
    q = tmp_path / "b.osm"
    q.write_bytes(b"<osm>one</osm>")
    digest = file_checksum(q, remember=False)
    q.write_bytes(b"<osm>two</osm>")
    remember_checksum(q, digest)
    assert file_checksum(q) == hashlib.md5(b"<osm>two</osm>").hexdigest()
    memos = list((tmp_cache / "osm" / "checksums").iterdir())
    assert sorted(m.read_text() for m in memos) == sorted(
        hashlib.md5(c).hexdigest() for c in (b"<osm>first</osm>", b"<osm>other</osm>", b"<osm>one</osm>",
                                             b"<osm>two</osm>"))
