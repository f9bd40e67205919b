"""corridor.network._overpass: Overpass queries built as osmnx builds them, fetched with retries, cached,
subdivided areas merged, partial failures resumed (all offline, loopback only).

The server is ``http_server`` (tests/conftest.py) answering with the small SYNTHETIC network
(``files``, tests/_osmgen.small_files) or ``tests/_osmgen.overpass_handler``.
"""

from __future__ import annotations

import pytest
from _httpserver import Reply
from _osmgen import small_files

from corridor._errors import DownloadError, InvalidInputError
from corridor.network import _overpass, osm


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The small network as PBF, XML and XML.bz2 (tests/_osmgen.small_files)."""
    return small_files(tmp_path_factory.mktemp("osm"))


# ----------------------------------------------------------------------------- Overpass
@pytest.fixture()
def overpass(http_server, monkeypatch, tmp_cache, fast_retries):
    from corridor import settings

    monkeypatch.setattr(settings, "overpass_url", http_server.url("/api/interpreter"))
    monkeypatch.setattr("corridor._http._sleep", lambda s: None)
    return http_server


BBOX = (43.55, 40.65, 44.2, 40.95)


def test_overpass_retries_then_caches(overpass, files, tmp_cache):
    body = files["osm"].read_bytes()
    overpass.add("/api/interpreter",
                 Reply(status=429, headers={"Retry-After": "0"}),
                 Reply(body=body, truncate_at=len(body) // 2),
                 Reply(body=b"<!DOCTYPE html><html><body>busy</body></html>"),
                 Reply(body=body))
    path = osm.fetch_overpass(BBOX)
    assert path.read_bytes() == body and path.parent == tmp_cache / "overpass"
    method, _, _, sent = overpass.requests[0]
    assert method == "POST" and b"railway" in sent
    n = len(overpass.requests)
    assert osm.fetch_overpass(BBOX) == path and len(overpass.requests) == n  # served from the cache
    from_overpass = osm.read_osm(path).edges
    assert from_overpass.drop(columns="geometry").equals(osm.read_osm(files["osm.pbf"]).edges.drop(columns="geometry"))


def test_overpass_gives_up_and_caches_nothing(overpass, files, tmp_cache):
    body = files["osm"].read_bytes()
    overpass.add("/api/interpreter", Reply(body=body[:-40]))  # complete HTTP body, document cut short
    with pytest.raises(DownloadError, match="truncated OSM XML"):
        osm.fetch_overpass(BBOX)
    overpass.add("/api/interpreter", Reply(status=504))
    with pytest.raises(DownloadError, match="HTTP 504"):
        osm.fetch_overpass(BBOX)
    assert not [p for p in tmp_cache.rglob("*") if p.is_file() and p.suffix in (".osm", ".part")]


def test_overpass_query_needs_bbox():
    with pytest.raises(InvalidInputError, match="needs a bbox"):
        osm.overpass_queries(None)
    (q,) = osm.overpass_queries(BBOX, modes=("road",), road_classes="unclassified")
    assert "unclassified" in q and "railway" not in q
    assert q.startswith("[out:xml][timeout:180];") and q.count("(poly:'") == 2  # two osmnx custom filters


class _ReadOnly:
    """A stand-in for ``osmnx.settings`` that fails the test on any assignment."""

    def __init__(self, module):
        object.__setattr__(self, "_module", module)

    def __getattr__(self, name):
        return getattr(self._module, name)

    def __setattr__(self, name, value):
        raise AssertionError(f"osmnx.settings.{name} was changed")


def test_overpass_queries_built_as_osmnx_builds_them(monkeypatch):
    import osmnx as ox
    from shapely.geometry import MultiPolygon, Polygon

    monkeypatch.setattr(ox.settings, "max_query_area_size", 20_000 * 20_000)
    monkeypatch.setattr(ox.settings, "overpass_memory", 1_073_741_824)
    monkeypatch.setattr(ox, "settings", _ReadOnly(ox.settings))  # read, never written (not even briefly)
    queries = osm.overpass_queries(BBOX)
    # the 55 km x 33 km box is cut into sub-polygons of at most 20 km x 20 km
    assert len(queries) >= 5 and len(set(queries)) == len(queries)
    assert all(q.startswith("[out:xml][timeout:180][maxsize:1073741824];") for q in queries)
    assert osm.overpass_queries(BBOX, timeout=25)[0].startswith("[out:xml][timeout:25][maxsize:1073741824];")
    (q,) = osm.overpass_queries(Polygon([(43.6, 40.7), (43.7, 40.7), (43.65, 40.8)]))  # a polygon area
    assert "(poly:'40.700000 43.600000 " in q or "40.800000 43.650000" in q
    # the vendored subdivision gives osmnx's own sub-polygons (a box, a small polygon, a multipolygon
    # with a hole, a long thin strip), so queries and their cache keys are the ones osmnx would send
    ox_overpass = pytest.importorskip("osmnx._overpass")
    if not hasattr(ox_overpass, "_make_overpass_polygon_coord_strs"):
        pytest.skip("this osmnx no longer has the builder corridor vendored")
    ring = [(43.6, 40.66), (44.1, 40.66), (44.1, 40.94), (43.6, 40.94)]
    areas = [Polygon([(43.55, 40.65), (44.2, 40.65), (44.2, 40.95), (43.55, 40.95)]),
             Polygon([(43.6, 40.7), (43.7, 40.7), (43.65, 40.8)]),
             MultiPolygon([Polygon(ring, [[(43.8, 40.7), (43.9, 40.7), (43.9, 40.8)]]),
                           Polygon([(44.5, 41.0), (44.9, 41.0), (44.9, 41.3)])]),
             Polygon([(45.0, 39.0), (46.5, 39.0), (46.5, 39.05), (45.0, 39.05)])]
    for area in areas:
        assert _overpass._polygon_coord_strs(area) == ox_overpass._make_overpass_polygon_coord_strs(area)


def test_overpass_subdivided_area_is_merged(overpass, files, tmp_cache, monkeypatch):
    import osmnx as ox
    from _osmgen import overpass_handler

    monkeypatch.setattr(ox.settings, "max_query_area_size", 20_000 * 20_000)
    overpass.add("/api/interpreter", Reply(handler=overpass_handler()))
    path = osm.fetch_overpass(BBOX)
    n = len(overpass.requests)
    assert n == len(osm.overpass_queries(BBOX)) >= 5 and path.name.endswith(".osm.pbf")
    # every sub-polygon answered with only its part; ways in two parts are read once
    got = osm.read_osm(path)
    want = osm.read_osm(files["osm.pbf"])
    assert got.edges.drop(columns=["geometry", "source"]).equals(want.edges.drop(columns=["geometry", "source"]))
    assert got.stations.equals(want.stations)
    # a later call is served from the cache; losing the merged file re-merges without re-downloading
    assert osm.fetch_overpass(BBOX) == path and len(overpass.requests) == n
    path.unlink()
    assert osm.fetch_overpass(BBOX) == path and len(overpass.requests) == n and path.is_file()


def test_overpass_partial_failure_resumes(overpass, files, tmp_cache, monkeypatch):
    import osmnx as ox
    from _osmgen import overpass_handler

    monkeypatch.setattr(ox.settings, "max_query_area_size", 20_000 * 20_000)
    k = len(osm.overpass_queries(BBOX))
    ok = Reply(handler=overpass_handler())
    overpass.add("/api/interpreter", ok, ok, Reply(status=500))  # the third query keeps failing
    with pytest.raises(DownloadError):
        osm.fetch_overpass(BBOX)
    cached = sorted((tmp_cache / "overpass").glob("*.osm"))
    assert len(cached) == 2 and not list((tmp_cache / "overpass").glob("*.pbf"))
    assert not [p for p in tmp_cache.rglob("*") if ".part" in p.name]
    before = len(overpass.requests)
    overpass.add("/api/interpreter", ok)
    osm.fetch_overpass(BBOX)
    assert len(overpass.requests) - before == k - 2  # only the missing queries were sent
