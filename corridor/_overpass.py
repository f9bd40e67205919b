"""The Overpass source: queries built by osmnx, fetched with corridor's retrying client.

osmnx builds the query, as ``osmnx.graph_from_polygon(custom_filter=...)``
does: its Overpass settings string (``[out:...][timeout:...][maxsize:...]``
from ``osmnx.settings``) and its polygon subdivision (an area larger than
``osmnx.settings.max_query_area_size``, 50 km x 50 km by default, is cut into
sub-polygons that are queried one by one). The way filters are osmnx
``custom_filter`` strings (:func:`overpass_filters`).

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

import contextlib
import hashlib
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from . import _osm_tags as tagnorm
from . import settings
from ._errors import DownloadError, InvalidInputError, MissingDependencyError

log = logging.getLogger(__name__)

__all__ = ["fetch_overpass", "overpass_filters", "overpass_queries"]

#: The osmnx Overpass settings template with XML output (osmnx's default asks for JSON).
OVERPASS_SETTINGS_XML = "[out:xml][timeout:{timeout}]{maxsize}"


def _osmnx() -> Any:
    try:
        import osmnx
        from osmnx import _overpass
    except ImportError as exc:  # pragma: no cover - osmnx is a core dependency
        raise MissingDependencyError("the Overpass source needs osmnx: pip install 'osmnx>=2'") from exc
    for fn in ("_make_overpass_settings", "_make_overpass_polygon_coord_strs"):
        if not hasattr(_overpass, fn):  # pragma: no cover - guards against an osmnx refactor
            raise MissingDependencyError(f"osmnx {osmnx.__version__} lacks {fn}; install osmnx 2.x "
                                         "(pip install 'osmnx>=2,<3')")
    return osmnx


@contextlib.contextmanager
def _osmnx_settings(timeout: int) -> Iterator[Any]:
    """osmnx's settings with XML output and ``timeout`` seconds, restored afterwards."""
    ox = _osmnx()
    s = ox.settings
    saved = (s.overpass_settings, s.requests_timeout)
    s.overpass_settings, s.requests_timeout = OVERPASS_SETTINGS_XML, int(timeout)
    try:
        yield ox
    finally:
        s.overpass_settings, s.requests_timeout = saved


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
    from .osm import _bbox

    box = _bbox(area)
    assert box is not None
    return box.to_polygon()


def overpass_queries(area: Any, *, modes: Sequence[str] = ("road", "rail"),
                     road_classes: str | Iterable[str] | None = None, timeout: int = 180) -> list[str]:
    """The Overpass QL queries (XML output) for the kept ways and stations in ``area``.

    Parameters
    ----------
    area : BBox, (left, bottom, right, top) or shapely (Multi)Polygon
        In EPSG:4326. osmnx cuts it into sub-polygons of at most
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
    from .osm import check_modes

    mds = check_modes(modes)
    poly = _polygon(area)
    filters = overpass_filters(mds, road_classes)
    with _osmnx_settings(timeout) as ox:
        head = ox._overpass._make_overpass_settings()
        coord_strs = ox._overpass._make_overpass_polygon_coord_strs(poly)
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
    from ._http import _Retryable, _with_retries, request_bytes

    def attempt(_: int) -> bytes:
        body = request_bytes(url, method="POST", data={"data": query})  # retries HTTP failures itself
        try:
            _check_osm_xml(body, url)
        except DownloadError as exc:  # complete HTTP body, incomplete document: try again
            raise _Retryable(str(exc)) from exc
        return body

    body: bytes = _with_retries(url, attempt)
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
        The cached ``.osm`` response, or a merged ``.osm.pbf`` when osmnx cut
        the area into several queries.

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
