"""OpenStreetMap sources: local PBF/XML files, Overpass and Geofabrik extracts.

Every source ends in the same reader (:func:`read_osm`, pyosmium streaming), so
a PBF, its XML twin and an Overpass response of the same data give the same
normalised edge table. All HTTP goes through :mod:`corridor._http` (retries,
back-off, ``Retry-After``, HTML guard, atomic writes), with the service URLs
from :mod:`corridor.settings`; nothing bad is ever cached.

Examples
--------
>>> from corridor.network import overpass_queries, geofabrik_url
>>> q = overpass_queries((45.5, 38.8, 46.7, 39.3), modes=("rail",))  # built by osmnx
>>> len(q), q[0].startswith("[out:xml][timeout:180];(way[")
(6, True)
>>> geofabrik_url("georgia").endswith("/europe/georgia-latest.osm.pbf")
True
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from corridor import settings
from corridor._errors import DownloadError, InvalidInputError, OSMParseError
from corridor._http import _fast_hasher, download, fast_file_digest, file_md5, request_bytes
from corridor._validate import as_bbox, check_input_path, check_modes
from corridor.network import _osm_tags as tagnorm
from corridor.network._osm_read import EDGE_COLUMNS, RawOSM, read_file
from corridor.network._overpass import fetch_overpass, overpass_filters, overpass_queries

log = logging.getLogger(__name__)

__all__ = ["EDGE_COLUMNS", "REGIONS", "REGION_PATHS", "RawOSM", "check_modes", "extract_md5", "fetch_geofabrik",
           "fetch_overpass", "file_checksum", "geofabrik_url", "overpass_filters", "overpass_queries", "read_osm",
           "region_extracts"]

#: Geofabrik extract paths (``{settings.geofabrik_url}/<path>-latest.osm.pbf``). Georgia and
#: Türkiye are filed under Europe on Geofabrik's server, the others under Asia.
REGION_PATHS: dict[str, str] = {
    "armenia": "asia/armenia",
    "azerbaijan": "asia/azerbaijan",
    "georgia": "europe/georgia",
    "turkey": "europe/turkey",
    "iran": "asia/iran",
}
#: Named groups of extracts: ``caucasus`` is all five (clip with a bbox for the border zones).
REGIONS: dict[str, tuple[str, ...]] = {"caucasus": tuple(REGION_PATHS), **{k: (k,) for k in REGION_PATHS}}
#: Extract holding each country unit.
UNIT_EXTRACT: dict[str, str] = {"ARM": "armenia", "AZE": "azerbaijan", "NAX": "azerbaijan", "GEO": "georgia",
                                "TUR": "turkey", "IRN": "iran"}
_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".xml", ".osm.xml")



def read_osm(path: str | os.PathLike[str], *, modes: Sequence[str] = ("road", "rail"), bbox: Any = None,
             road_classes: str | Iterable[str] | None = None, source: str = "osm") -> RawOSM:
    """Read an OSM file (``.osm.pbf``, ``.osm``, ``.osm.bz2``) into the normalised edge table.

    Streams with pyosmium (node locations in its C++ index, never in Python
    objects); ways are split at shared nodes, measured geodesically and cut at
    unit borders. A way tagged as both a kept road and a kept railway is in
    both layers. Files written ways-first (Overpass ``out body; >; out skel
    qt;``) or with negative ids (JOSM) read the same as sorted ones. Way nodes
    with invalid coordinates or absent from the file are skipped, with a
    warning giving their count. Untagged rail gauges are filled in from the
    connected track (``gauge_source``); road access/lifecycle tags give the
    statuses ``private``, ``no_access``, ``construction``, ``proposed``.

    Parameters
    ----------
    path : path
        The OSM file.
    modes : sequence of {"road", "rail"}
    bbox : BBox or 4-tuple, optional
        Keep only edges that intersect this box (degrees).
    road_classes : str or list, optional
        Level to keep down to (``"unclassified"``, ``"track"``) or explicit classes.
    source : str
        Value of the ``source`` column.

    Returns
    -------
    RawOSM
        ``.edges`` GeoDataFrame, ``.stations`` DataFrame, ``.info`` dict.

    Raises
    ------
    OSMParseError
        Empty, corrupt or truncated file; a node id given twice with different
        coordinates; no way with two valid node locations.
    EmptyNetworkError
        No kept way (in the bbox).

    Examples
    --------
    >>> import tempfile, osmium
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "tiny.osm"
    >>> with osmium.SimpleWriter(str(p)) as w:
    ...     w.add_node(osmium.osm.mutable.Node(id=1, location=(44.50, 40.18)))
    ...     w.add_node(osmium.osm.mutable.Node(id=2, location=(44.52, 40.19)))
    ...     w.add_way(osmium.osm.mutable.Way(id=7, nodes=[1, 2], tags={"highway": "primary;secondary",
    ...                                                                  "maxspeed": "RU:urban"}))
    >>> e = read_osm(p).edges
    >>> e[["mode", "class", "maxspeed_kmh", "unit"]].values.tolist()
    [['road', 'primary', 60.0, 'ARM']]
    >>> round(float(e.length_m.iloc[0]))
    2033
    """
    mds = check_modes(modes)
    box = as_bbox(bbox)
    classes = tagnorm.resolve_road_classes(road_classes)
    return read_file(Path(path), modes=mds, road_classes=classes, bbox=box, source=source)



# ----------------------------------------------------------------------------- checksums
def file_checksum(path: str | os.PathLike[str], *, remember: bool = True) -> str:
    """MD5 of a file (as Geofabrik publishes it), remembered in the cache per file *content*.

    The memo is keyed on a fast digest of the content
    (:func:`corridor._http.fast_file_digest`), never on path, size or mtime, so
    a file edited with its mtime restored (``cp -p``, ``rsync -t``) is never
    taken for the old one. The fast digest still reads the whole file, at a
    fraction of the cost of parsing it (xxHash3; SHA-256 if ``xxhash`` is missing).

    With ``remember=False`` an existing memo is used but none is written (a caller
    that may still fail, such as :func:`corridor.load_network`, writes it with
    :func:`remember_checksum` once it has succeeded, so a failure leaves no file).

    >>> import tempfile
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "a.osm"
    >>> _ = p.write_bytes(b"abc")
    >>> file_checksum(p)
    '900150983cd24fb0d6963f7d28e17f72'
    """

    p = Path(path).resolve()
    try:
        text = _memo_path(fast_file_digest(p)).read_text().strip()
        if re.fullmatch(r"[0-9a-f]{32}", text):
            return text
    except OSError:
        pass
    fast, digest = _fast_and_md5(p)  # one pass: the memo pairs exactly the content that was hashed
    _PENDING[(str(p), digest)] = fast
    if remember:
        remember_checksum(p, digest)
    return digest


#: (resolved path, MD5) -> fast digest of the content hashed, kept from file_checksum(remember=False)
#: until remember_checksum, so a file changed in between is never memoised with the old MD5.
_PENDING: dict[tuple[str, str], str] = {}


def _fast_and_md5(path: Path) -> tuple[str, str]:

    name, new = _fast_hasher()
    fast, md5 = new(), hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            fast.update(block)
            md5.update(block)
    return f"{name}:{fast.hexdigest()}", md5.hexdigest()


def _memo_path(fast_digest: str) -> Path:
    key = hashlib.sha256(fast_digest.encode()).hexdigest()[:32]
    return Path(settings.cache_folder) / "osm" / "checksums" / key


def remember_checksum(path: str | os.PathLike[str], digest: str) -> None:
    """Store the :func:`file_checksum` memo of ``path`` (atomically; a read-only cache is ignored).

    >>> import tempfile
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "a.osm"
    >>> _ = p.write_bytes(b"abc")
    >>> remember_checksum(p, file_checksum(p, remember=False))
    """
    p = Path(path).resolve()
    try:
        fast = _PENDING.pop((str(p), digest), None)
        if fast is None:  # not from file_checksum: pair the MD5 with the content only if it still matches
            fast, now = _fast_and_md5(p)
            if now != digest:
                return
        memo = _memo_path(fast)
        if memo.is_file():
            return
        memo.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(digest)
        os.replace(tmp, memo)
    except OSError:  # a read-only cache only costs a re-hash next time
        pass


# ----------------------------------------------------------------------------- Geofabrik
def region_extracts(region: str | Iterable[str] | None) -> tuple[str, ...]:
    """Geofabrik extract names for a region name, extract names or unit codes.

    >>> region_extracts("caucasus")
    ('armenia', 'azerbaijan', 'georgia', 'turkey', 'iran')
    >>> region_extracts(["NAX", "ARM"])
    ('azerbaijan', 'armenia')
    """
    if region is None:
        return REGIONS["caucasus"]
    items = [region] if isinstance(region, str) else list(region)
    out: list[str] = []
    for it in items:
        key = str(it).strip()
        names = REGIONS.get(key.lower()) or ((UNIT_EXTRACT[key.upper()],) if key.upper() in UNIT_EXTRACT else None)
        if names is None:
            raise InvalidInputError(f"unknown region {it!r}; use one of {', '.join(REGIONS)} or a unit code "
                                    f"({', '.join(UNIT_EXTRACT)})")
        out.extend(n for n in names if n not in out)
    return tuple(out)


def geofabrik_url(name: str) -> str:
    """Download URL of a Geofabrik extract (``armenia``, ``azerbaijan``, ``georgia``, ``turkey``, ``iran``).

    Examples
    --------
    >>> geofabrik_url("armenia").endswith("/asia/armenia-latest.osm.pbf")
    True
    """
    if name not in REGION_PATHS:
        raise InvalidInputError(f"unknown Geofabrik extract {name!r}; use one of {', '.join(REGION_PATHS)}")
    return f"{str(settings.geofabrik_url).rstrip('/')}/{REGION_PATHS[name]}-latest.osm.pbf"


def _parse_md5(text: bytes, url: str) -> str:
    import re

    m = re.match(rb"\s*([0-9a-fA-F]{32})\b", text)
    if not m:
        raise DownloadError(f"{url} is not an MD5 file (starts with {text[:40]!r}); check settings.geofabrik_url")
    return m.group(1).decode().lower()


def fetch_geofabrik(region: str | Iterable[str] | None = "caucasus", *,
                    progress: Callable[[str, int, int | None], None] | None = None,
                    check_updates: bool = True) -> list[Path]:
    """Download (or reuse) Geofabrik extracts in the cache; return their paths.

    Each extract is verified against its published ``.md5``; an interrupted
    download resumes. With ``check_updates`` the ``.md5`` is fetched again and a
    cached extract whose MD5 differs is replaced (the old one stays until the
    new one is complete). If the server cannot be reached but an extract is
    cached, the cached file is used with a warning.

    Raises
    ------
    DownloadError, ChecksumError
        No cached copy and the download failed or never matched its MD5.

    Examples
    --------
    The extracts and URLs that would be fetched (offline):

    >>> [geofabrik_url(n).rsplit("/", 1)[-1] for n in region_extracts(["NAX", "ARM"])]
    ['azerbaijan-latest.osm.pbf', 'armenia-latest.osm.pbf']
    >>> paths = fetch_geofabrik(["ARM"])  # doctest: +SKIP
    >>> paths[0].name  # doctest: +SKIP
    'armenia-latest.osm.pbf'
    """

    out = []
    for name in region_extracts(region):
        url = geofabrik_url(name)
        dest = Path(settings.cache_folder) / "geofabrik" / f"{name}-latest.osm.pbf"
        sidecar = _md5_sidecar(dest)
        if dest.is_file() and not check_updates:
            out.append(dest)
            continue
        try:
            md5 = _parse_md5(request_bytes(url + ".md5"), url + ".md5")
        except DownloadError:
            if dest.is_file():
                log.warning("cannot reach %s; using the cached extract %s (may be out of date)", url, dest)
                out.append(dest)
                continue
            raise
        have = extract_md5(dest) if dest.is_file() else None  # the MD5 it was verified against, if recorded
        if dest.is_file() and have is None:
            have = file_md5(dest)
            if have == md5:  # verified now: record it, as after a download (extract_md5)
                with contextlib.suppress(OSError):  # a read-only cache still serves the extract
                    sidecar.write_text(md5)
        if have == md5:
            log.info("%s is up to date", dest)
            out.append(dest)
            continue

        def prog(done: int, total: int | None, _n: str = name) -> None:
            if progress is not None:
                progress(_n, done, total)

        download(url, dest, md5=md5, overwrite=dest.is_file(), progress=prog)
        sidecar.write_text(md5)
        out.append(dest)
    return out


def _md5_sidecar(extract: Path) -> Path:
    return Path(str(extract) + ".md5")


def extract_md5(path: str | os.PathLike[str]) -> str | None:
    """The published MD5 a cached Geofabrik extract was verified against, or None if none is recorded.

    :func:`fetch_geofabrik` records it beside the extract (``<extract>.md5``)
    when it downloads one.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "armenia-latest.osm.pbf"
    >>> extract_md5(p) is None
    True
    >>> _ = Path(str(p) + ".md5").write_text("900150983cd24fb0d6963f7d28e17f72")
    >>> extract_md5(p)
    '900150983cd24fb0d6963f7d28e17f72'
    """
    try:
        text = _md5_sidecar(Path(path)).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if re.fullmatch(r"[0-9a-f]{32}", text) else None


def source_info(path: Path) -> dict[str, Any]:
    """Provenance of a local OSM file: checksum, size, header timestamp (for ``Network.meta``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "a.osm"
    >>> _ = p.write_bytes(b"abc")
    >>> source_info(p)["checksum"]
    '900150983cd24fb0d6963f7d28e17f72'
    """
    info: dict[str, Any] = {"path": str(path), "checksum": file_checksum(path)}
    query = path.with_suffix(".query")
    if query.is_file():
        info["query"] = query.read_text(encoding="utf-8")
    return info


def check_suffix(path: Path) -> None:
    """Reject files that are not OSM data by name (a clear error before pyosmium's).

    Examples
    --------
    >>> from pathlib import Path
    >>> check_suffix(Path("roads.txt"))
    Traceback (most recent call last):
    ...
    corridor._errors.OSMParseError: roads.txt is not an OSM file; give a .osm.pbf, .osm or .osm.bz2 file
    """
    name = path.name.lower()
    if not name.endswith(_SUFFIXES):
        raise OSMParseError(f"{path} is not an OSM file; give a .osm.pbf, .osm or .osm.bz2 file")
    check_input_path(path, "OSM file", missing=f"OSM file {path} does not exist; check the path or download "
                     "it with `corridor fetch osm`")


def dumps(obj: Any) -> str:
    """Stable JSON (for cache keys).

    Examples
    --------
    >>> dumps({"b": 1, "a": [2, 3]})
    '{"a": [2, 3], "b": 1}'
    """
    return json.dumps(obj, sort_keys=True, default=str)
