"""Synthetic DEMs with exactly known terrain, written on the fly for terrain tests.

All grids are EPSG:4326, pixel-is-area, with pixel *centres* on round values so
profiles along meridians hit known elevations. Elevations are defined from the
geodesic north-south distance, so grades along a meridian are exact.

* :func:`slope` — a plane rising northwards at a fixed grade.
* :func:`ridge` — a tent-shaped ridge (east-west crest) with known height and flanks.
* :func:`with_void` — any grid with a nodata block.
* :func:`write_tif`, :func:`write_hgt` — GeoTIFF and SRTM ``.hgt`` writers.
* :func:`copernicus_tile` — a small tile laid out like a Copernicus COG (half-pixel shift).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pyproj
from affine import Affine

GEOD = pyproj.Geod(ellps="WGS84")
LON0, LAT0 = 45.0, 40.0


def grid(res: float = 0.0005, n: int = 401, lon0: float = LON0, lat0: float = LAT0):
    """Pixel-centre lons (cols), lats (rows, north first) and the pixel-corner transform."""
    lons = lon0 + res * np.arange(n)
    lats = lat0 + res * np.arange(n)[::-1]
    transform = Affine(res, 0.0, lon0 - res / 2, 0.0, -res, lats[0] + res / 2)
    return lons, lats, transform


def north_m(lats: np.ndarray, lat0: float = LAT0, lon: float = LON0) -> np.ndarray:
    """Geodesic distance (m) north of ``lat0`` along a meridian (negative south)."""
    _, _, d = GEOD.inv(np.full(lats.shape, lon), np.full(lats.shape, lat0), np.full(lats.shape, lon), lats)
    return np.where(lats >= lat0, d, -d)


def slope(grade: float = 0.02, base: float = 1000.0, **kw):
    """A plane rising ``grade`` per metre northwards: ``(array float32, transform)``."""
    lons, lats, tr = grid(**kw)
    z = base + grade * north_m(lats)
    return np.repeat(z[:, None], lons.size, axis=1).astype("float64"), tr


def ridge(height: float = 300.0, half_width_m: float = 5000.0, crest_lat: float = 40.1,
          base: float = 1000.0, **kw):
    """A tent ridge: ``base`` rising linearly to ``base + height`` at ``crest_lat`` over ``half_width_m``."""
    lons, lats, tr = grid(**kw)
    d = north_m(lats) - north_m(np.array([crest_lat]))[0]
    z = base + height * np.clip(1 - np.abs(d) / half_width_m, 0, None)
    return np.repeat(z[:, None], lons.size, axis=1), tr


def with_void(z: np.ndarray, rows: slice, cols: slice, nodata: float = -32768.0) -> np.ndarray:
    out = np.array(z, dtype="float64", copy=True)
    out[rows, cols] = nodata
    return out


def write_tif(path: Path, z: np.ndarray, transform: Affine, *, nodata: float | None = -32768.0,
              crs: str = "EPSG:4326", dtype: str = "float32") -> Path:
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", width=z.shape[1], height=z.shape[0], count=1,
                       dtype=dtype, crs=crs, transform=transform, nodata=nodata) as ds:
        ds.write(np.asarray(z, dtype=dtype), 1)
    return Path(path)


def hgt_name(lat: int, lon: int) -> str:
    return f"{'N' if lat >= 0 else 'S'}{abs(lat):02d}{'E' if lon >= 0 else 'W'}{abs(lon):03d}.hgt"


def hgt_grid(lat: int = 40, lon: int = 45, size: int = 1201):
    """Transform of an SRTM tile: pixel centres on whole multiples of 1/(size-1) degree."""
    res = 1.0 / (size - 1)
    return Affine(res, 0.0, lon - res / 2, 0.0, -res, lat + 1 + res / 2), res


def write_hgt(folder: Path, z: np.ndarray, lat: int = 40, lon: int = 45, *, zipped: bool = False) -> Path:
    """Write an SRTM ``.hgt`` (big-endian int16) tile, optionally as ``.hgt.zip``."""
    assert z.shape[0] == z.shape[1] and z.shape[0] in (1201, 3601)
    name = hgt_name(lat, lon)
    raw = np.round(z).astype(">i2").tobytes()
    if zipped:
        path = Path(folder) / f"{name}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(name, raw)
        return path
    path = Path(folder) / name
    path.write_bytes(raw)
    return path


def copernicus_tile(path: Path, lat: int, lon: int, *, n: int = 40, value: float | None = None) -> Path:
    """A small float32 tile covering (lon, lat)-(lon+1, lat+1) with the Copernicus half-pixel shift.

    Elevation = 100·(lat offset) + 10·(lon offset) inside the tile unless ``value`` is given.
    """
    res = 1.0 / n
    tr = Affine(res, 0.0, lon - res / 2, 0.0, -res, lat + 1 + res / 2)
    rows, cols = np.mgrid[0:n, 0:n]
    z = np.full((n, n), value, dtype="float32") if value is not None else (
        1000 + 100 * (1 - rows / n) + 10 * cols / n).astype("float32")
    return write_tif(path, z, tr, nodata=None)
