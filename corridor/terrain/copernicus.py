"""Copernicus DEM GLO-90 / GLO-30 tiles from the public open-data buckets.

Tiles are 1°×1° Cloud-Optimised GeoTIFFs named after their south-west corner::

    {settings.copernicus_url}/Copernicus_DSM_COG_30_N39_00_E045_00_DEM/Copernicus_DSM_COG_30_N39_00_E045_00_DEM.tif

(``_30_`` = 3 arc-seconds, GLO-90; ``_10_`` = 1 arc-second, GLO-30 under
:data:`corridor.settings.copernicus30_url`). Sea-only tiles do not exist: the
server answers 404 and the tile is *reported as missing*, never filled with zeros.

GLO-30 *Public* leaves out the tiles of a few countries (Armenia and Azerbaijan
among them) that GLO-90 does include. A ``copernicus-30`` fetch therefore falls
back to GLO-90 **tile by tile** where GLO-30 answers 404; only a square missing
from both is reported missing. Which product each tile came from (id, product,
URL, MD5) is in :attr:`FetchResult.tiles` and in the folder's provenance file
``copernicus-provenance.json``. Once the GLO-30 tile of a square is in the folder,
the GLO-90 tile that stood in for it there is removed with its provenance entry
(only that file, recorded by an earlier fetch as its stand-in), so the folder
stays one mosaic with one tile per square.

Every download goes through :func:`corridor._http.download` (retries, resume,
lock, atomic rename) into a staging folder; only a tile that opens with rasterio
and covers the expected square enters the cache.

Examples
--------
>>> tile_names((45.2, 39.1, 46.3, 39.9))
['Copernicus_DSM_COG_30_N39_00_E045_00_DEM', 'Copernicus_DSM_COG_30_N39_00_E046_00_DEM']
>>> tile_name(-1, -115, source="copernicus-30")
'Copernicus_DSM_COG_10_S01_00_W115_00_DEM'
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from corridor import settings
from corridor._errors import (
    DEMCoverageError,
    DownloadError,
    InvalidInputError,
    ParameterError,
    RemoteFileNotFound,
)
from corridor._files import atomic_output
from corridor._http import download, file_md5
from corridor._types import BBox
from corridor.terrain._products import FALLBACK, PRODUCTS, SOURCES, product_of_file
from corridor.terrain.dem import DEM

log = logging.getLogger(__name__)

__all__ = ["FALLBACK", "PRODUCTS", "SOURCES", "FetchResult", "TileRecord", "fetch_copernicus",
           "product_of_file", "tile_name", "tile_names", "tile_url"]

MAX_TILES = 64
#: Name of the provenance file written into the tile folder (one entry per tile file).
PROVENANCE_FILE = "copernicus-provenance.json"


def _check_source(source: str) -> tuple[str, str, int]:
    try:
        return SOURCES[source]
    except KeyError:
        raise InvalidInputError(f"unknown DEM source {source!r}; use one of {', '.join(SOURCES)}") from None


def tile_name(lat: int, lon: int, *, source: str = "copernicus-90") -> str:
    """Name of the tile whose south-west corner is ``(lat, lon)`` (whole degrees).

    Examples
    --------
    >>> tile_name(39, 45)
    'Copernicus_DSM_COG_30_N39_00_E045_00_DEM'
    """
    code = _check_source(source)[0]
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "W"
    return f"Copernicus_DSM_COG_{code}_{ns}{abs(int(lat)):02d}_00_{ew}{abs(int(lon)):03d}_00_DEM"


def _tiles(bbox: BBox) -> list[tuple[int, int]]:
    lat0, lon0 = math.floor(bbox.bottom), math.floor(bbox.left)
    lat1 = max(lat0 + 1, math.ceil(bbox.top))
    lon1 = max(lon0 + 1, math.ceil(bbox.right))
    return [(la, lo) for la in range(lat0, min(lat1, 90)) for lo in range(lon0, min(lon1, 180))]


def tile_names(bbox: BBox | Sequence[float], *, source: str = "copernicus-90") -> list[str]:
    """Names of all tiles touching ``bbox`` (left, bottom, right, top), south to north, west to east.

    Examples
    --------
    >>> len(tile_names((44.0, 39.0, 46.0, 41.0)))
    4
    """
    b = bbox if isinstance(bbox, BBox) else BBox(*bbox)
    return [tile_name(la, lo, source=source) for la, lo in _tiles(b)]


def tile_url(name: str, *, source: str = "copernicus-90") -> str:
    """Download URL of a tile.

    Examples
    --------
    >>> tile_url("Copernicus_DSM_COG_30_N39_00_E045_00_DEM").endswith(
    ...     "/Copernicus_DSM_COG_30_N39_00_E045_00_DEM/Copernicus_DSM_COG_30_N39_00_E045_00_DEM.tif")
    True
    """
    base = str(getattr(settings, _check_source(source)[1])).rstrip("/")
    return f"{base}/{name}/{name}.tif"


@dataclass(frozen=True)
class TileRecord:
    """Provenance of one tile of a fetch.

    Attributes
    ----------
    id : str
        Tile name, e.g. ``Copernicus_DSM_COG_30_N39_00_E045_00_DEM``.
    product : str
        ``"GLO-30"`` or ``"GLO-90"`` (the product the file *is*).
    source : str
        ``"copernicus-30"`` or ``"copernicus-90"``.
    url : str
        Where the tile was (or would have been) downloaded from.
    md5 : str
        MD5 of the cached file.
    path : Path
        The cached file.
    fallback_for : str or None
        The tile of the requested product that does not exist (404), when this
        tile stands in for it; None when the requested product was served.
    downloaded : bool
        Downloaded in this call (False: taken from the cache).
    """

    id: str
    product: str
    source: str
    url: str
    md5: str
    path: Path
    fallback_for: str | None = None
    downloaded: bool = False

    def as_dict(self) -> dict[str, str | None]:
        """JSON-ready entry of the provenance file."""
        return {"id": self.id, "product": self.product, "source": self.source, "url": self.url,
                "md5": self.md5, "file": self.path.name, "fallback_for": self.fallback_for}


@dataclass
class FetchResult:
    """What :func:`fetch_copernicus` got.

    Attributes
    ----------
    paths : list of Path
        Verified tiles in the cache (downloaded now or earlier).
    missing : list of str
        Tiles the server does not have (HTTP 404: sea, or not released), named
        in the requested product; with a fallback, only squares missing from both.
    downloaded : list of str
        Tiles downloaded in this call (the rest came from the cache).
    source : str
        ``copernicus-90`` or ``copernicus-30`` (the requested product).
    bbox : BBox
        The requested area.
    tiles : list of TileRecord
        One record per path (same order): id, product, URL, MD5, fallback.
    provenance : Path or None
        The provenance file written beside the tiles.
    """

    paths: list[Path]
    missing: list[str]
    source: str
    bbox: BBox
    downloaded: list[str] = field(default_factory=list)
    tiles: list[TileRecord] = field(default_factory=list)
    provenance: Path | None = None

    @property
    def fallback(self) -> list[TileRecord]:
        """Tiles that stand in for a missing tile of the requested product."""
        return [t for t in self.tiles if t.fallback_for is not None]

    def describe(self) -> str:
        """One-line provenance: products, tile counts, fallbacks and missing tiles."""
        counts: dict[str, int] = {}
        for t in self.tiles:
            counts[t.product] = counts.get(t.product, 0) + 1
        parts = [f"{prod} ({n} tile{'s' if n != 1 else ''})" for prod, n in sorted(counts.items())]
        text = "Copernicus DEM " + " + ".join(parts or [PRODUCTS[self.source] + " (0 tiles)"])
        text += (", © DLR e.V. 2010-2014 and © Airbus Defence and Space GmbH 2014-2018 provided under "
                 "COPERNICUS by the EU and ESA")
        if self.fallback:
            text += (f"; {PRODUCTS[self.source]} not released for "
                     + ", ".join(t.fallback_for or "" for t in self.fallback)
                     + f", {', '.join(sorted({t.product for t in self.fallback}))} used there")
        if self.missing:
            text += f"; missing tiles: {', '.join(self.missing)}"
        return text

    def dem(self) -> DEM:
        """Open the fetched tiles as one mosaic :class:`~corridor.terrain.DEM`.

        Its vertical error is the worst documented figure of the products
        present (see :data:`corridor.terrain.dem.VERTICAL_ERRORS`).
        """

        if not self.paths:
            raise DEMCoverageError(f"no {self.source} tiles exist for bbox {tuple(self.bbox)} "
                                   f"(missing: {', '.join(self.missing) or 'none'}); the area may be sea")
        dem = DEM.open(self.paths)
        dem.source = self.describe()
        return dem


def _verify(path: Path, lat: int, lon: int) -> tuple[str, str] | None:
    """None if ``path`` is a readable raster covering the tile square, else ``(kind, problem)``: what is
    wrong in a few words, the same for every tile (``"bounds do not match the tile"``), and in full."""
    import rasterio

    try:
        with rasterio.open(path) as ds:
            if ds.crs is None or not ds.crs.is_geographic:
                return "CRS is not geographic", f"CRS is {ds.crs}, expected geographic WGS84"
            b = ds.bounds
            tx, ty = abs(ds.res[0]) * 1.01, abs(ds.res[1]) * 1.01
            if not (abs(b.left - lon) <= tx and abs(b.right - (lon + 1)) <= tx
                    and abs(b.bottom - lat) <= ty and abs(b.top - (lat + 1)) <= ty):
                return ("bounds do not match the tile",
                        f"bounds {tuple(round(v, 5) for v in b)} do not match tile ({lon}, {lat}, {lon + 1}, {lat + 1})")
            ds.read(1, window=((ds.height // 2, ds.height // 2 + 1), (0, ds.width)))
    except Exception as exc:  # rasterio raises several error types for bad files
        return "not a readable GeoTIFF", f"not a readable GeoTIFF ({exc})"
    return None


def cache_dir(source: str = "copernicus-90") -> Path:
    """Where verified tiles of ``source`` are kept (under :data:`corridor.settings.cache_folder`)."""
    _check_source(source)
    return Path(settings.cache_folder) / "dem" / source


class _TileFailed(Exception):
    """A tile could not be downloaded or arrived bad twice (collected, raised as one DownloadError).

    The message is the tile's name and the whole failure; ``reason`` says why in a few words.
    """

    def __init__(self, name: str, reason: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.reason = name, reason


#: Most failed tiles the error names besides the first, and most distinct reasons it gives; the rest are counted.
_NAMED_FAILURES, _NAMED_REASONS = 8, 4


def _failures_line(failures: Sequence[_TileFailed]) -> str:
    """Failed tiles grouped by reason, each reason with its tiles: ``HTTP 503 after 2 attempts: A, B and 3 more``.

    Up to :data:`_NAMED_FAILURES` tiles are named, and one at least of each of the first
    :data:`_NAMED_REASONS` reasons; the tiles left over are counted ("and N more").
    """
    by_reason: dict[str, list[str]] = {}
    for f in failures:
        by_reason.setdefault(f.reason, []).append(f.name)
    budget, parts = _NAMED_FAILURES, []
    for reason, names in list(by_reason.items())[:_NAMED_REASONS]:
        shown = names[:max(1, budget)]
        budget -= len(shown)
        rest = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
        parts.append(f"{reason}: {', '.join(shown)}{rest}")
    left = sum(len(names) for names in list(by_reason.values())[_NAMED_REASONS:])
    if left:
        parts.append(f"and {left} more for other reasons (`corridor -v` logs each)")
    return "; ".join(parts)


def _get_tile(lat: int, lon: int, source: str, root: Path, *, overwrite: bool) -> tuple[Path, bool] | None:
    """``(path, downloaded)`` of a verified tile of ``source``, None if the server has no such tile."""
    name = tile_name(lat, lon, source=source)
    final = root / f"{name}.tif"
    if final.exists() and not overwrite:
        if _verify(final, lat, lon) is None:
            return final, False
        # removed now, so that a 404 (and a fallback tile) cannot leave it in the mosaic folder
        log.warning("cached tile %s is unreadable; removing it and downloading it again", final)
        final.unlink(missing_ok=True)
    url = tile_url(name, source=source)
    kind = problem = ""
    for attempt in range(2):
        tmp = root / ".incoming" / f"{name}.tif"
        try:
            download(url, tmp, overwrite=True)
        except RemoteFileNotFound:
            return None
        except DownloadError as exc:
            raise _TileFailed(name, exc.reason, str(exc)) from exc
        found = _verify(tmp, lat, lon)
        if found is None:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            return final, True
        tmp.unlink(missing_ok=True)
        kind, problem = found
        log.warning("downloaded tile %s is bad (%s); attempt %d of 2", name, problem, attempt + 1)
    raise _TileFailed(name, f"arrived bad twice: {kind}", problem)


def _read_provenance(root: Path) -> dict[str, dict[str, str | None]]:
    """Entries of the folder's provenance file by file name: only tile-named files that exist.

    The file is data of the folder, not trusted: an entry counts only if its ``file`` is a plain
    Copernicus tile name (:func:`product_of_file`, no path separators) of a file in ``root``.
    """
    path = root / PROVENANCE_FILE
    entries: dict[str, dict[str, str | None]] = {}
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(old, dict) and isinstance(old.get("tiles"), list):
            for e in old["tiles"]:
                if (isinstance(e, dict) and isinstance(e.get("file"), str)
                        and product_of_file(e["file"]) is not None and (root / e["file"]).is_file()):
                    entries[e["file"]] = e
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        log.warning("provenance file %s is unreadable (%s); writing it afresh", path, exc)
    return entries


def _remove_stand_in(root: Path, entries: dict[str, dict[str, str | None]], lat: int, lon: int,
                     source: str) -> str | None:
    """Remove the tile that stood in for the ``source`` tile at ``(lat, lon)``, now that it is here.

    Only the file the provenance records as that tile's stand-in (``fallback_for`` its name, the
    fallback product's tile of the same square) is removed, with its entry in ``entries``; anything
    else in the folder is left alone. Returns the removed file's name, or None.
    """
    alternate = FALLBACK.get(source)
    if alternate is None:
        return None
    name, file = tile_name(lat, lon, source=source), f"{tile_name(lat, lon, source=alternate)}.tif"
    entry = entries.get(file)
    if entry is None or entry.get("fallback_for") != name:
        return None
    (root / file).unlink(missing_ok=True)
    del entries[file]
    log.info("%s tile %s is now in %s; removed the %s tile %s that stood in for it",
             PRODUCTS[source], name, root, PRODUCTS[alternate], file)
    return file


def _write_provenance(root: Path, records: list[TileRecord], entries: dict[str, dict[str, str | None]]) -> Path:
    """Merge ``records`` into the folder's provenance ``entries`` (:func:`_read_provenance`) and write the file.

    Entries whose file is gone by now are dropped.
    """
    path = root / PROVENANCE_FILE
    entries = {k: e for k, e in entries.items() if (root / k).is_file()}
    for r in records:
        entries[r.path.name] = r.as_dict()
    doc = {"format": 1, "note": "Copernicus DEM tiles in this folder: product, URL and MD5 of each file",
           "tiles": [entries[k] for k in sorted(entries)]}
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def fetch_copernicus(
    bbox: BBox | Sequence[float],
    *,
    source: str = "copernicus-90",
    folder: str | os.PathLike[str] | None = None,
    max_tiles: int = MAX_TILES,
    overwrite: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    fallback: bool = True,
) -> FetchResult:
    """Download (or reuse from the cache) the Copernicus DEM tiles covering ``bbox``.

    Parameters
    ----------
    bbox : BBox or (left, bottom, right, top)
        Area in degrees.
    source : {"copernicus-90", "copernicus-30"}
        GLO-90 (3″, ~90 m) or GLO-30 (1″, ~30 m).
    folder : path, optional
        Cache folder; default ``settings.cache_folder / "dem" / source``.
        Fallback tiles are stored in the same folder, so that
        ``DEM.open(folder)`` opens the whole mosaic.
    max_tiles : int
        Refuse bboxes needing more tiles than this (GLO-30 tiles are ~30 MB).
    overwrite : bool
        Download again even if a verified tile is cached.
    progress : callable, optional
        ``progress(tile_name, index, total)`` before each tile.
    fallback : bool
        For ``copernicus-30``: where the GLO-30 tile does not exist (404: not
        released to the public, or sea), use the GLO-90 tile of the same
        square. Default True.

    Returns
    -------
    FetchResult
        Paths of verified tiles, names of missing (404) tiles, and one
        :class:`TileRecord` per tile; the records are also merged into
        ``copernicus-provenance.json`` in the tile folder.

    Raises
    ------
    DownloadError
        A tile could not be downloaded, or twice arrived corrupt or with the
        wrong extent (it never enters the cache).

    Examples
    --------
    >>> fetch_copernicus((44, 39, 46, 41), max_tiles=2)
    Traceback (most recent call last):
    ...
    corridor._errors.ParameterError: bbox (44.0, 39.0, 46.0, 41.0) needs 4 copernicus-90 tiles, more than max_tiles=2; use a smaller bbox or raise max_tiles
    """

    b = bbox if isinstance(bbox, BBox) else BBox(*bbox)
    _check_source(source)
    squares = _tiles(b)
    if len(squares) > max_tiles:
        raise ParameterError(f"bbox {tuple(b)} needs {len(squares)} {source} tiles, more than "
                             f"max_tiles={max_tiles}; use a smaller bbox or raise max_tiles")
    root = Path(folder) if folder is not None else cache_dir(source)
    alternate = FALLBACK.get(source) if fallback else None
    result = FetchResult(paths=[], missing=[], source=source, bbox=b)
    failures: list[_TileFailed] = []
    entries = _read_provenance(root)
    for i, (lat, lon) in enumerate(squares):
        name = tile_name(lat, lon, source=source)
        if progress is not None:
            progress(name, i, len(squares))
        used, stand_in_for = source, None
        try:
            got = _get_tile(lat, lon, source, root, overwrite=overwrite)
            if got is None and alternate is not None:
                log.info("no %s tile %s (not released to the public, or sea); trying %s",
                         PRODUCTS[source], name, PRODUCTS[alternate])
                used, stand_in_for = alternate, name
                got = _get_tile(lat, lon, alternate, root, overwrite=overwrite)
        except _TileFailed as exc:
            failures.append(exc)
            continue
        if got is None:
            log.warning("DEM tile %s does not exist on the server (sea or not released%s): "
                        "reported as missing, not filled", name,
                        f", nor in {PRODUCTS[alternate]}" if alternate else "")
            result.missing.append(name)
            continue
        path, fresh = got
        if stand_in_for is None:  # the requested product is here: a stand-in of an earlier fetch must go
            _remove_stand_in(root, entries, lat, lon, source)
        used_name = tile_name(lat, lon, source=used)
        if stand_in_for is not None:
            log.warning("%s tile %s is not public; using %s tile %s there (coarser)",
                        PRODUCTS[source], name, PRODUCTS[used], used_name)
        result.paths.append(path)
        if fresh:
            result.downloaded.append(used_name)
        result.tiles.append(TileRecord(id=used_name, product=PRODUCTS[used], source=used,
                                       url=tile_url(used_name, source=used), md5=file_md5(path), path=path,
                                       fallback_for=stand_in_for, downloaded=fresh))
    if result.tiles:
        result.provenance = _write_provenance(root, result.tiles, entries)
    if failures:
        for f in failures[1:]:
            log.info("tile failed: %s", f)
        # one line: the first failure in full, the others by reason, each with its tiles (capped; -v logs
        # each in full)
        more = f"; {len(failures) - 1} more failed: {_failures_line(failures[1:])}" if failures[1:] else ""
        raise DownloadError(
            f"{len(failures)} {source} tile(s) failed: {failures[0]}{more}. {len(result.paths)} good tiles are "
            f"cached in {root}; run the command again to retry")
    return result
