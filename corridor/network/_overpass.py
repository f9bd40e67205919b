"""The Overpass source: queries built as osmnx builds them, fetched with corridor's retrying client.

The query is the one ``osmnx.graph_from_polygon(custom_filter=...)`` would
send: osmnx's Overpass settings string (``[out:xml][timeout:...][maxsize:...]``,
``maxsize`` from ``osmnx.settings.overpass_memory``) and its polygon subdivision
(an area larger than ``osmnx.settings.max_query_area_size``, 50 km x 50 km by
default, is cut into sub-polygons that are queried one by one). Those two
builders are private in osmnx, so they are vendored here (:func:`_overpass_head`,
:func:`_polygon_coord_strs`); osmnx's settings are only read, never changed,
and only its public ``osmnx.projection.project_geometry`` is called. The way
filters are osmnx ``custom_filter`` strings (:func:`overpass_filters`).

The HTTP goes through :mod:`corridor._http`, not osmnx's request function:
osmnx retries HTTP 429/504 forever with a fixed 55 s pause and ignores
``Retry-After``, whereas corridor's client backs off, honours ``Retry-After``,
gives up after ``settings.max_retries`` and never caches a bad body. Responses
are OSM XML (the same pyosmium reader as files), one cached file per query;
when the area was subdivided they are merged with pyosmium's
``MergeInputReader`` (sorted, duplicates dropped) into one PBF, so ways that
appear in two sub-polygons are read once and topology is whole.

Examples
--------
>>> qs = overpass_queries((45.9, 38.8, 46.5, 39.1), modes=("rail",))
>>> len(qs), qs[0].split(";")[0]
(1, '[out:xml][timeout:180]')
>>> "(poly:" in qs[0] and qs[0].endswith("out body;")
True
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from corridor import settings
from corridor._errors import DownloadError, InvalidInputError, MissingDependencyError
from corridor._http import request_bytes
from corridor._validate import as_bbox, check_modes
from corridor.network import _osm_tags as tagnorm

log = logging.getLogger(__name__)

__all__ = ["fetch_overpass", "overpass_filters", "overpass_queries"]

#: The osmnx Overpass settings template with XML output (osmnx's default asks for JSON).
OVERPASS_SETTINGS_XML = "[out:xml][timeout:{timeout}]{maxsize}"


def _osmnx() -> Any:
    try:
        import osmnx
    except ImportError as exc:  # pragma: no cover - osmnx is a core dependency
        raise MissingDependencyError("the Overpass source needs osmnx: pip install 'osmnx>=2'") from exc
    return osmnx


# The Overpass settings string and the polygon subdivision below are vendored from osmnx 2.1
# (MIT License), where they are private: _overpass_head from osmnx/_overpass.py
# _make_overpass_settings; _polygon_coord_strs and _quadrat_cut from osmnx/_overpass.py
# _make_overpass_polygon_coord_strs and osmnx/utils_geo.py _consolidate_subdivide_geometry and
# _quadrat_cut_geometry (tests/test_overpass.py checks they still give osmnx's sub-polygons).
# Copyright (c) 2016-2026 Geoff Boeing https://geoffboeing.com/
# Changes: the output format and timeout are arguments instead of osmnx's global settings (which
# are read, never written), EPSG:4326 is named instead of osmnx.settings.default_crs, and the
# too-large-area warning goes to the log.
def _overpass_head(timeout: int) -> str:
    """``[out:xml][timeout:...][maxsize:...]`` (``maxsize`` from ``osmnx.settings.overpass_memory``)."""
    memory = _osmnx().settings.overpass_memory
    return OVERPASS_SETTINGS_XML.format(timeout=int(timeout),
                                        maxsize="" if memory is None else f"[maxsize:{memory}]")


def _quadrat_cut(geom: Any, width: float) -> Any:
    """Split a projected (Multi)Polygon along a grid of lines ``width`` apart (at least 3 x 3 lines)."""
    import numpy as np
    from shapely.geometry import LineString, MultiPolygon
    from shapely.ops import split

    left, bottom, right, top = geom.bounds
    xs = np.linspace(left, right, num=max(int(np.ceil((right - left) / width) + 1), 3))
    ys = np.linspace(bottom, top, num=max(int(np.ceil((top - bottom) / width) + 1), 3))
    lines = ([LineString([(x, ys[0]), (x, ys[-1])]) for x in xs]
             + [LineString([(xs[0], y), (xs[-1], y)]) for y in ys])
    geoms = [geom]
    for line in lines:
        geoms = [piece for g in geoms for piece in (split(g, line).geoms if g.intersects(line) else [g])]
    return MultiPolygon(geoms)


def _polygon_coord_strs(polygon: Any) -> list[str]:
    """Overpass ``poly:`` strings (``"lat lon lat lon ..."``, 6 decimals) of ``polygon``'s sub-polygons.

    In the local UTM zone, an area larger than ``osmnx.settings.max_query_area_size`` m²
    (or any MultiPolygon) is replaced by its convex hull and, if still too large, cut
    into squares of at most that area; holes are ignored.
    """
    from shapely.geometry import MultiPolygon

    ox = _osmnx()
    max_area = ox.settings.max_query_area_size
    geom, crs = ox.projection.project_geometry(polygon, crs="EPSG:4326")
    if isinstance(geom, MultiPolygon) or geom.area > max_area:
        geom = geom.convex_hull
    if int(geom.area / max_area) > 10:
        log.warning("this Overpass area is %d times osmnx.settings.max_query_area_size; it is cut into "
                    "many sub-queries, which may take a long time", int(geom.area / max_area))
    if geom.area > max_area:
        geom = _quadrat_cut(geom, math.sqrt(max_area))
    if not isinstance(geom, MultiPolygon):
        geom = MultiPolygon([geom])
    parts, _ = ox.projection.project_geometry(geom, crs=crs, to_crs="EPSG:4326")
    return [" ".join(f"{y:.6f} {x:.6f}" for x, y in zip(*g.exterior.xy, strict=True)) for g in parts.geoms]


def overpass_filters(modes: Sequence[str], road_classes: str | Iterable[str] | None = None) -> list[str]:
    """Way filters in osmnx ``custom_filter`` syntax for the kept classes.

    >>> overpass_filters(("rail",))[0]
    '["railway"~"^(rail|narrow_gauge|light_rail|disused|abandoned|razed|construction|proposed)$"]'
    """
    out = []
    if "road" in modes:
        cls = tagnorm.resolve_road_classes(road_classes)
        out.append(f'["highway"~"^({"|".join(cls)})$"]')
        out.append(f'["highway"~"^(construction|proposed)$"]["highway"!~"^({"|".join(cls)})$"]')
    if "rail" in modes:
        out.append(f'["railway"~"^({"|".join((*tagnorm.RAIL_CLASSES, *tagnorm.RAIL_STATUSES))})$"]')
        out.extend(f'["{s}:railway"]' for s in tagnorm.RAIL_STATUSES)
    return out


def _polygon(area: Any) -> Any:
    if hasattr(area, "geom_type"):
        if area.geom_type not in ("Polygon", "MultiPolygon") or area.is_empty:
            raise InvalidInputError(f"an Overpass area must be a (Multi)Polygon in EPSG:4326, got {area.geom_type}")
        return area
    if area is None:
        raise InvalidInputError("an Overpass query needs a bbox (left, bottom, right, top) or a polygon; the "
                                "region pack extent is BBox(42.5, 37.8, 51.0, 42.5)")

    box = as_bbox(area)
    assert box is not None
    return box.to_polygon()


def overpass_queries(area: Any, *, modes: Sequence[str] = ("road", "rail"),
                     road_classes: str | Iterable[str] | None = None, timeout: int = 180) -> list[str]:
    """The Overpass QL queries (XML output) for the kept ways and stations in ``area``.

    Parameters
    ----------
    area : BBox, (left, bottom, right, top) or shapely (Multi)Polygon
        In EPSG:4326. Cut, as osmnx does, into sub-polygons of at most
        ``osmnx.settings.max_query_area_size`` m², one query each.
    modes, road_classes
        As :func:`corridor.load_network`.
    timeout : int
        Server-side timeout in seconds (Overpass ``[timeout:]``).

    Returns
    -------
    list of str
        One query per sub-polygon. Output is sorted nodes-then-ways, as
        pyosmium's streaming reader needs.

    Examples
    --------
    >>> q = overpass_queries((45.9, 38.8, 46.5, 39.1), modes=("road",), road_classes="tertiary")[0]
    >>> q.count("way["), "railway" in q
    (2, False)
    """

    mds = check_modes(modes)
    poly = _polygon(area)
    filters = overpass_filters(mds, road_classes)
    head = _overpass_head(timeout)
    coord_strs = _polygon_coord_strs(poly)
    stations = f'node["railway"~"^({"|".join(tagnorm.STATION_VALUES)})$"]' if "rail" in mds else None
    queries = []
    for coords in coord_strs:
        parts = [f"way{f}(poly:{coords!r});" for f in filters]
        if stations:
            parts.append(f"{stations}(poly:{coords!r});")
        queries.append(f"{head};({''.join(parts)});(._;>;);out body;")
    return queries


def _check_osm_xml(body: bytes, url: str) -> None:
    head = body[:2048].lstrip()
    if not (head.startswith(b"<?xml") or head.startswith(b"<osm")) or b"<osm" not in head:
        raise DownloadError(f"{url} did not return OSM XML (starts with {body[:60]!r}); check settings.overpass_url")
    tail = body[-64:].rstrip()
    if not tail.endswith(b"</osm>"):
        raise DownloadError(f"{url} returned a truncated OSM XML body (no closing </osm>); try again later")
    if b"<remark>" in body[-4096:] and b"runtime error" in body[-4096:]:
        raise DownloadError(f"{url} reported a runtime error (query timeout or memory); use a smaller area or "
                            "lower osmnx.settings.max_query_area_size")


def _fetch_one(url: str, query: str, dest: Path) -> None:

    # a complete HTTP body that is not complete OSM XML is a failed attempt, retried like the others
    body = request_bytes(url, method="POST", data={"data": query}, check=lambda b: _check_osm_xml(b, url))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    tmp.write_bytes(body)
    os.replace(tmp, dest)


def _merge(parts: Sequence[Path], dest: Path) -> None:
    """Merge OSM files into one sorted, de-duplicated PBF (pyosmium ``MergeInputReader``)."""
    import osmium

    reader = osmium.MergeInputReader()
    for p in parts:
        reader.add_file(str(p))
    tmp = dest.with_name(f".{os.getpid()}.{dest.name}")  # keeps the .osm.pbf suffix for the writer
    with osmium.SimpleWriter(str(tmp), overwrite=True) as w:
        class _Copy:
            def node(self, o: Any) -> None:
                w.add_node(o)

            def way(self, o: Any) -> None:
                w.add_way(o)

            def relation(self, o: Any) -> None:
                w.add_relation(o)

        reader.apply(_Copy(), simplify=True)
    os.replace(tmp, dest)


def _digest(*texts: str) -> str:
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:32]


def fetch_overpass(area: Any, *, modes: Sequence[str] = ("road", "rail"),
                   road_classes: str | Iterable[str] | None = None, refresh: bool = False) -> Path:
    """Run the Overpass queries for ``area`` and cache the responses; return one OSM file.

    Each query's response is cached under ``settings.cache_folder/overpass``,
    keyed by the SHA-256 of URL and query, and written atomically after a
    complete, valid body; a failed, truncated or HTML response is retried (see
    :mod:`corridor._http`) and never cached. An interrupted multi-query fetch
    resumes with the queries still missing.

    Returns
    -------
    pathlib.Path
        The cached ``.osm`` response, or a merged ``.osm.pbf`` when the area was
        cut into several queries.

    Raises
    ------
    DownloadError
        Retries exhausted, or a body is not complete OSM XML.
    InvalidInputError, InvalidBBoxError
        No area, or a malformed one.

    Examples
    --------
    >>> len(overpass_queries((45.9, 38.8, 46.5, 39.1)))  # what would be sent (offline)
    1
    >>> path = fetch_overpass((45.9, 38.8, 46.5, 39.1), modes=("rail",))  # doctest: +SKIP
    """
    queries = overpass_queries(area, modes=modes, road_classes=road_classes)
    url = str(settings.overpass_url)
    folder = Path(settings.cache_folder) / "overpass"
    parts = [folder / f"{_digest(url, q)}.osm" for q in queries]
    if len(parts) == 1:
        dest = parts[0]
    else:
        key = _digest(url, *queries)
        dest = folder / f"{key}.osm.pbf"
    if dest.is_file() and not refresh:
        log.info("Overpass response from cache %s", dest)
        return dest
    for i, (query, part) in enumerate(zip(queries, parts, strict=True), 1):
        if part.is_file() and not refresh:
            continue
        log.info("Overpass query %d/%d", i, len(queries))
        _fetch_one(url, query, part)
        part.with_suffix(".query").write_text(query, encoding="utf-8")
    if len(parts) > 1:
        _merge(parts, dest)
    return dest
