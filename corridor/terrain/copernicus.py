"""Copernicus DEM GLO-90 / GLO-30 tiles from the public open-data buckets.

Tiles are 1°×1° Cloud-Optimised GeoTIFFs named after their south-west corner::

    {settings.copernicus_url}/Copernicus_DSM_COG_30_N39_00_E045_00_DEM/Copernicus_DSM_COG_30_N39_00_E045_00_DEM.tif

(``_30_`` = 3 arc-seconds, GLO-90; ``_10_`` = 1 arc-second, GLO-30 under
:data:`corridor.settings.copernicus30_url`). Sea-only tiles, and GLO-30 tiles
never released to the public, do not exist: the server answers 404 and the tile
is *reported as missing*, never filled with zeros.

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

import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from corridor import settings
from corridor._errors import (
    DEMCoverageError,
    DownloadError,
    InvalidInputError,
    ParameterError,
    RemoteFileNotFound,
)
from corridor._http import download
from corridor._types import BBox
from corridor.terrain.dem import DEM

if TYPE_CHECKING:
    from corridor.terrain.dem import DEM

log = logging.getLogger(__name__)

__all__ = ["SOURCES", "FetchResult", "fetch_copernicus", "tile_name", "tile_names", "tile_url"]

#: source name -> (file-name resolution code, settings attribute of the base URL, arc-seconds)
SOURCES: dict[str, tuple[str, str, int]] = {
    "copernicus-90": ("30", "copernicus_url", 3),
    "copernicus-30": ("10", "copernicus30_url", 1),
}
MAX_TILES = 64


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


@dataclass
class FetchResult:
    """What :func:`fetch_copernicus` got.

    Attributes
    ----------
    paths : list of Path
        Verified tiles in the cache (downloaded now or earlier).
    missing : list of str
        Tiles the server does not have (HTTP 404: sea, or not released).
    downloaded : list of str
        Tiles downloaded in this call (the rest came from the cache).
    source : str
        ``copernicus-90`` or ``copernicus-30``.
    bbox : BBox
        The requested area.
    """

    paths: list[Path]
    missing: list[str]
    source: str
    bbox: BBox
    downloaded: list[str] = field(default_factory=list)

    def dem(self) -> DEM:
        """Open the fetched tiles as one mosaic :class:`~corridor.terrain.DEM`."""

        if not self.paths:
            raise DEMCoverageError(f"no {self.source} tiles exist for bbox {tuple(self.bbox)} "
                                   f"(missing: {', '.join(self.missing) or 'none'}); the area may be sea")
        dem = DEM.open(self.paths)
        product = "GLO-90" if self.source == "copernicus-90" else "GLO-30"
        dem.source = (f"Copernicus DEM {product} ({len(self.paths)} tiles, © DLR e.V. 2010-2014 and "
                      "© Airbus Defence and Space GmbH 2014-2018 provided under COPERNICUS by the EU and ESA)"
                      + (f"; missing tiles: {', '.join(self.missing)}" if self.missing else ""))
        return dem


def _verify(path: Path, lat: int, lon: int) -> str | None:
    """None if ``path`` is a readable raster covering the tile square, else the problem."""
    import rasterio

    try:
        with rasterio.open(path) as ds:
            if ds.crs is None or not ds.crs.is_geographic:
                return f"CRS is {ds.crs}, expected geographic WGS84"
            b = ds.bounds
            tx, ty = abs(ds.res[0]) * 1.01, abs(ds.res[1]) * 1.01
            if not (abs(b.left - lon) <= tx and abs(b.right - (lon + 1)) <= tx
                    and abs(b.bottom - lat) <= ty and abs(b.top - (lat + 1)) <= ty):
                return f"bounds {tuple(round(v, 5) for v in b)} do not match tile ({lon}, {lat}, {lon + 1}, {lat + 1})"
            ds.read(1, window=((ds.height // 2, ds.height // 2 + 1), (0, ds.width)))
    except Exception as exc:  # rasterio raises several error types for bad files
        return f"not a readable GeoTIFF ({exc})"
    return None


def cache_dir(source: str = "copernicus-90") -> Path:
    """Where verified tiles of ``source`` are kept (under :data:`corridor.settings.cache_folder`)."""
    _check_source(source)
    return Path(settings.cache_folder) / "dem" / source


def fetch_copernicus(
    bbox: BBox | Sequence[float],
    *,
    source: str = "copernicus-90",
    folder: str | os.PathLike[str] | None = None,
    max_tiles: int = MAX_TILES,
    overwrite: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
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
    max_tiles : int
        Refuse bboxes needing more tiles than this (GLO-30 tiles are ~30 MB).
    overwrite : bool
        Download again even if a verified tile is cached.
    progress : callable, optional
        ``progress(tile_name, index, total)`` before each tile.

    Returns
    -------
    FetchResult
        Paths of verified tiles and names of missing (404) tiles.

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
    staging = root / ".incoming"
    result = FetchResult(paths=[], missing=[], source=source, bbox=b)
    failures: list[str] = []
    for i, (lat, lon) in enumerate(squares):
        name = tile_name(lat, lon, source=source)
        if progress is not None:
            progress(name, i, len(squares))
        final = root / f"{name}.tif"
        if final.exists() and not overwrite:
            if _verify(final, lat, lon) is None:
                result.paths.append(final)
                continue
            log.warning("cached tile %s is unreadable; downloading it again", final)
        url = tile_url(name, source=source)
        problem: str | None = None
        for attempt in range(2):
            tmp = staging / f"{name}.tif"
            try:
                download(url, tmp, overwrite=True)
            except RemoteFileNotFound:
                log.warning("DEM tile %s does not exist on the server (sea or not released): "
                            "reported as missing, not filled", name)
                result.missing.append(name)
                problem = None
                break
            except DownloadError as exc:
                problem = str(exc)
                break
            problem = _verify(tmp, lat, lon)
            if problem is None:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
                result.paths.append(final)
                result.downloaded.append(name)
                break
            tmp.unlink(missing_ok=True)
            log.warning("downloaded tile %s is bad (%s); attempt %d of 2", name, problem, attempt + 1)
        if problem is not None:
            failures.append(f"{name}: {problem}")
    if failures:
        raise DownloadError(
            f"{len(failures)} {source} tile(s) failed: " + "; ".join(failures)
            + f". {len(result.paths)} good tiles are cached in {root}; run the command again to retry")
    return result
