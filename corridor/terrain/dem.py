"""The :class:`DEM` raster: open, read windows and sample elevations quickly.

A DEM is opened from the embedded GLOBE 30" grid (``DEM.open(None)``), a local
GeoTIFF / VRT / SRTM ``.hgt`` / ``.hgt.zip`` file, a folder of tiles or a list of
tiles (opened as one mosaic through a GDAL VRT built by rio-vrt; the file
handling is in :mod:`corridor.terrain._dem_files`). Rasters in a projected CRS
are warped to EPSG:4326 on the fly, so every coordinate at the API is in
degrees and every elevation in metres.

Sampling is vectorised: the window covering all requested points is read once
(or the whole grid, when small, is kept in memory) and interpolated with numpy.

Every DEM carries its documented absolute vertical error (:attr:`DEM.vertical_le90_m`,
:attr:`DEM.vertical_sigma_m`), taken from :data:`VERTICAL_ERRORS` — the one table
of published figures — or given by the caller for their own DEM.

Examples
--------
>>> from corridor.terrain import DEM
>>> dem = DEM.open(None)
>>> dem.crs
'EPSG:4326'
>>> dem.bounds
BBox(left=42.5, bottom=37.8, right=51.0, top=42.5)
>>> dem.shape
(564, 1020)
>>> z = dem.sample([44.51], [40.18])          # Yerevan
>>> 800 < float(z[0]) < 1300
True
"""

from __future__ import annotations

import copy
import logging
import math
import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path, PurePath
from typing import Any, Union

import numpy as np

from corridor._errors import CorridorError, DEMCoverageError, DEMError, InvalidInputError
from corridor._geo import geod
from corridor._types import BBox
from corridor._validate import check_positive
from corridor.data.datasets import dem_path
from corridor.terrain._dem_files import PathLike, expand, raster_infos, vrt_ok, vrt_xml
from corridor.terrain._products import product_of_file

log = logging.getLogger(__name__)

__all__ = ["DEM", "LE90_PER_SIGMA", "VERTICAL_ERRORS", "DEMLike"]

#: LE90 / σ for a zero-mean normal error: 90 % of |e| lie within 1.6449 σ (the
#: two-sided 90 % point, scipy.stats.norm.ppf(0.95)); GLOBE's documentation uses
#: the same conversion (±30 m LE90 ≡ 18 m RMSE).
LE90_PER_SIGMA = 1.6448536269514722

#: Documented absolute vertical error of DEM products as LE90 in metres (the error
#: not exceeded at 90 % of points), with its source. THE table: DEM objects, and
#: everything downstream (uncertainty bands), take their figures from here.
#: ``"unknown"`` is the value assumed for a DEM whose product is not recognised
#: and whose caller gave none; pass ``vertical_le90_m`` to override it.
VERTICAL_ERRORS: dict[str, tuple[float, str]] = {
    "GLOBE": (30.0, "NOAA NGDC GLOBE Documentation v1.0 (Hastings & Dunbar 1999), §7.B.i: areas from "
                    "DTED have ±30 m LE90 (RMSE 18 m) where the source meets specification; about half "
                    "of the DTED cells do not, so this is a best case"),
    "GLO-30": (4.0, "Copernicus DEM Product Handbook (GEO1988-CopernicusDEM-SPE-002, issue 3.0): "
                    "absolute vertical accuracy < 4 m LE90"),
    "GLO-90": (4.0, "Copernicus DEM Product Handbook (GEO1988-CopernicusDEM-SPE-002, issue 3.0): "
                    "absolute vertical accuracy < 4 m LE90"),
    "unknown": (16.0, "assumed for a DEM of unknown product: the SRTM mission specification, absolute "
                      "height error 16 m LE90 (Farr et al. 2007, Rev. Geophys. 45, RG2004), which is no "
                      "better than the documented figure of any common 1-3 arc-second global DEM"),
}

#: Grids with at most this many cells are read into memory on first use.
MAX_CACHED_CELLS = 40_000_000

DEMLike = Union["DEM", PathLike, Sequence[PathLike], None]


def _vrt_sources(path: Path) -> list[str]:
    """The source files a VRT names, as GDAL lists them (the VRT itself left out); [] if it cannot say."""
    import rasterio

    try:
        with rasterio.open(str(path)) as ds:
            files = [str(f) for f in ds.files]
    except Exception as exc:  # rasterio raises several error types; the DEM opened, so this is only the label
        log.warning("cannot list the sources of VRT %s (%s); its product is taken as unknown", path, exc)
        return []
    own = {str(path), os.path.abspath(path)}
    return [f for f in files if f not in own and os.path.abspath(f) not in own]


def _products_of(path: Path) -> list[str | None]:
    """The :data:`VERTICAL_ERRORS` products of a DEM file, recognised by file name; None where unknown.

    A tile gives its own product. A VRT gives those of the files it mosaics, as GDAL lists
    them: a VRT over Copernicus tiles has their product (mixed: each, so the worst applies).
    Source names are only matched against the product name patterns (their last path
    component); nothing is opened from them. A source that is itself a VRT, or a VRT with
    no sources, counts as unknown.

    Examples
    --------
    >>> _products_of(Path("Copernicus_DSM_COG_30_N39_00_E045_00_DEM.tif")), _products_of(Path("N39E045.hgt"))
    (['GLO-90'], [None])
    """
    if path.name.lower().endswith(".vrt"):
        sources = _vrt_sources(path)
        return [product_of_file(PurePath(f).name) for f in sources] or [None]
    return [product_of_file(path.name)]


@lru_cache(maxsize=2)
def _embedded(path: Path, mtime: float) -> DEM:
    """The embedded GLOBE DEM, opened once per process (it is read-only)."""
    dem = DEM._open_paths([path])
    dem.source = (f"NOAA NGDC GLOBE v1.0 30 arc-second DEM (embedded region pack, {path.name}; "
                  "~1 km cells, vertical error tens of metres)")
    dem._set_vertical_error(None, products=["GLOBE"])
    return dem


def _is_embedded(source: str | os.PathLike[str]) -> bool:
    """Whether ``source`` names the embedded GLOBE file (``DEM.open(None)``'s own file)."""
    try:
        return Path(source).resolve() == dem_path().resolve()
    except (OSError, CorridorError):  # an unreadable path, or no region pack: not the embedded file
        return False


def _check_le90(value: float | None) -> float | None:
    if value is None:
        return None
    return check_positive(value, "vertical_le90_m", allow_zero=True)


class DEM:
    """A digital elevation model in EPSG:4326 with fast vectorised sampling.

    Build one with :meth:`DEM.open` (files) or :meth:`DEM.from_array` (memory).

    Attributes
    ----------
    crs : str
        Always ``"EPSG:4326"`` (projected rasters are warped on open).
    bounds : BBox
        Outer edges of the grid in degrees.
    res_deg : tuple of float
        Pixel size ``(x, y)`` in degrees.
    nodata : float or None
        Nodata value of the file (already turned into NaN by :meth:`read`).
    shape : tuple of int
        ``(rows, cols)``.
    transform : affine.Affine
        Pixel-corner transform of the whole grid.
    source : str
        Provenance: file names or the embedded data's source note.
    vertical_le90_m : float
        Documented absolute vertical error, LE90 in metres (90 % of points are
        within ± this): from :data:`VERTICAL_ERRORS` for recognised products
        (the worst one for a mosaic of several), the caller's value, or the
        table's ``"unknown"`` default.
    vertical_error_note : str
        Where :attr:`vertical_le90_m` comes from.
    """

    def __init__(self, *, name: str | None, transform: Any, shape: tuple[int, int],
                 nodata: float | None, source: str, warp: bool = False,
                 array: np.ndarray | None = None, paths: tuple[Path, ...] = (),
                 vertical_le90_m: float | None = None) -> None:
        self._name = name
        self._warp = warp
        self.transform = transform
        self.shape = (int(shape[0]), int(shape[1]))
        self.nodata = nodata
        self.source = source
        self.paths = paths
        self.crs = "EPSG:4326"
        self._array = array
        self._void_cache: tuple[Any, ...] | None = None
        a = transform
        self.res_deg = (abs(float(a.a)), abs(float(a.e)))
        left, top = float(a.c), float(a.f)
        right = left + a.a * self.shape[1]
        bottom = top + a.e * self.shape[0]
        self.bounds = BBox(left, min(bottom, top), right, max(bottom, top))
        self.vertical_le90_m = 0.0
        self.vertical_error_note = ""
        self._set_vertical_error(vertical_le90_m)

    # ------------------------------------------------------- vertical error
    @property
    def vertical_sigma_m(self) -> float:
        """Documented vertical error as one standard deviation (m): ``vertical_le90_m / 1.6449``.

        Examples
        --------
        >>> round(DEM.open(None).vertical_sigma_m, 1)
        18.2
        """
        return self.vertical_le90_m / LE90_PER_SIGMA

    def _set_vertical_error(self, le90_m: float | None, *, products: Sequence[str | None] = ()) -> None:
        """Set the vertical error: the caller's LE90, else the worst of ``products``' table values.

        Unrecognised products (None) count as ``"unknown"``.
        """
        value = _check_le90(le90_m)
        if value is not None:
            self.vertical_le90_m = value
            self.vertical_error_note = f"{value:g} m LE90 given by the caller"
            return
        keys = sorted({p if p in VERTICAL_ERRORS else "unknown" for p in products} or {"unknown"})
        worst = max(keys, key=lambda k: VERTICAL_ERRORS[k][0])
        le90, cite = VERTICAL_ERRORS[worst]
        self.vertical_le90_m = le90
        mixed = f" (worst of {', '.join(keys)})" if len(keys) > 1 else ""
        self.vertical_error_note = f"{le90:g} m LE90, {worst}{mixed}: {cite}"

    # ------------------------------------------------------------------ open
    @classmethod
    def open(cls, source: DEMLike = None, *, vertical_le90_m: float | None = None) -> DEM:
        """Open a DEM: ``None`` (embedded GLOBE 30"), a path, a folder or a list of tiles.

        Parameters
        ----------
        source : None, DEM, path, or sequence of paths
            GeoTIFF, VRT, SRTM ``.hgt`` or ``.hgt.zip``. Several files (or a
            folder) are opened as one mosaic; they must share CRS and pixel size,
            otherwise they are merged in memory on the finest grid.
        vertical_le90_m : float, optional
            Absolute vertical error of the DEM as LE90 (m), e.g. from its product
            specification. Default: the :data:`VERTICAL_ERRORS` figure of the
            recognised product (GLOBE, also when the embedded file is given by its path; Copernicus tiles by
            file name, also as the sources of a VRT; the worst for a mosaic), else the table's conservative
            ``"unknown"`` value.

        Returns
        -------
        DEM

        Raises
        ------
        DEMError
            The path does not exist or the raster cannot be read.

        Examples
        --------
        >>> dem = DEM.open(None)
        >>> dem.source.startswith("NOAA NGDC GLOBE")
        True
        >>> DEM.open("/nonexistent/dem.tif")
        Traceback (most recent call last):
        ...
        corridor._errors.DEMError: DEM file /nonexistent/dem.tif does not exist; check the path, or run `corridor fetch dem --bbox ...` to download tiles
        """
        le90 = _check_le90(vertical_le90_m)
        if isinstance(source, (str, os.PathLike)) and _is_embedded(source):
            source = None  # the embedded GLOBE file by its path: the same DEM, error and provenance
        if isinstance(source, DEM) or source is None:
            if isinstance(source, DEM):
                dem = source
            else:
                path = dem_path()
                dem = _embedded(path, path.stat().st_mtime)
            if le90 is None:
                return dem
            dem = copy.copy(dem)  # never change a DEM the caller (or the embedded cache) holds
            dem._set_vertical_error(le90)
            return dem
        if isinstance(source, (str, os.PathLike)):
            paths = expand([source])
        elif isinstance(source, Iterable):
            paths = expand(list(source))
        else:
            raise InvalidInputError(f"cannot open a DEM from {source!r}; give None, a path or a list of paths")
        dem = cls._open_paths(paths)
        dem._set_vertical_error(le90, products=[q for p in paths for q in _products_of(p)])
        return dem

    @classmethod
    def _open_paths(cls, paths: list[Path]) -> DEM:
        import rasterio

        infos = raster_infos(paths)
        label = ", ".join(p.name for p in paths[:5]) + (f" (+{len(paths) - 5} more)" if len(paths) > 5 else "")
        source = f"DEM file(s): {label}"
        if len(infos) == 1 and infos[0]["note"]:
            source += f" [{infos[0]['note']}]"
        if len(infos) == 1:
            i = infos[0]
            if i["epsg"] == 4326 or (i["geographic"] and i["epsg"] is None):
                return cls(name=i["name"], transform=i["transform"], shape=(i["size"][1], i["size"][0]),
                           nodata=i["nodata"], source=source, paths=tuple(paths))
            return cls._warped(i["name"], source, tuple(paths))
        if vrt_ok(infos):
            xml = vrt_xml(infos)
            if infos[0]["epsg"] == 4326:
                with rasterio.open(xml) as ds:
                    return cls(name=xml, transform=ds.transform, shape=(ds.height, ds.width),
                               nodata=ds.nodata, source=source, paths=tuple(paths))
            return cls._warped(xml, source, tuple(paths))
        return cls._merged(infos, source, tuple(paths))

    @classmethod
    def _warped(cls, name: str, source: str, paths: tuple[Path, ...]) -> DEM:
        import rasterio
        from rasterio.vrt import WarpedVRT

        with rasterio.open(name) as ds, WarpedVRT(ds, crs="EPSG:4326") as vrt:
            log.info("DEM %s is in %s; warping to EPSG:4326 on read", name[:80], ds.crs)
            return cls(name=name, transform=vrt.transform, shape=(vrt.height, vrt.width),
                       nodata=vrt.nodata, source=source + " (warped to EPSG:4326)", warp=True, paths=paths)

    @classmethod
    def _merged(cls, infos: list[dict[str, Any]], source: str, paths: tuple[Path, ...]) -> DEM:
        import rasterio
        from rasterio.merge import merge
        from rasterio.vrt import WarpedVRT

        res = min(min(i["res"]) for i in infos)
        handles = [rasterio.open(i["name"]) for i in infos]
        try:
            srcs = [h if i["epsg"] == 4326 else WarpedVRT(h, crs="EPSG:4326")
                    for h, i in zip(handles, infos, strict=True)]
            arr, transform = merge(srcs, res=res, nodata=np.nan, dtype="float32")
        except Exception as exc:
            raise DEMError(f"cannot mosaic DEM tiles {source}: {exc}; pass tiles of one grid") from exc
        finally:
            for h in handles:
                h.close()
        return cls.from_array(arr[0], transform, source=source + " (merged)")

    @classmethod
    def from_array(cls, array: Any, transform: Any, *, nodata: float | None = None,
                   source: str = "in-memory array", vertical_le90_m: float | None = None) -> DEM:
        """A DEM held in memory: a 2-D array of metres on an EPSG:4326 grid.

        Parameters
        ----------
        array : array-like, shape (rows, cols)
            Elevations; ``nodata`` values and NaN are voids.
        transform : affine.Affine
            Pixel-corner transform (north-up, degrees).
        nodata : float, optional
            Value marking voids.
        source : str
            Provenance label (say "modelled"/"synthetic" if it is not real data).
        vertical_le90_m : float, optional
            Absolute vertical error as LE90 (m); default the conservative
            ``"unknown"`` value of :data:`VERTICAL_ERRORS`.

        Examples
        --------
        >>> import numpy as np
        >>> from affine import Affine
        >>> dem = DEM.from_array(np.array([[0.0, 10.0], [0.0, 10.0]]), Affine(0.01, 0, 45, 0, -0.01, 40))
        >>> round(float(dem.sample([45.01], [39.99])[0]), 6)
        5.0
        """
        arr = np.array(array, dtype="float32")
        if arr.ndim != 2 or arr.size == 0:
            raise InvalidInputError(f"DEM array must be 2-D and non-empty, got shape {arr.shape}")
        if transform.b != 0 or transform.d != 0 or transform.a <= 0 or transform.e >= 0:
            raise InvalidInputError(f"DEM transform {tuple(transform)[:6]} must be north-up with "
                                    "positive x and negative y pixel size (degrees)")
        if nodata is not None:
            arr[arr == np.float32(nodata)] = np.nan
        return cls(name=None, transform=transform, shape=arr.shape, nodata=nodata, source=source, array=arr,
                   vertical_le90_m=vertical_le90_m)

    # ------------------------------------------------------------------ read
    def _read_window(self, row0: int, col0: int, rows: int, cols: int) -> np.ndarray:
        """Rows/cols window as float32 with NaN voids (clamped to the grid by the caller)."""
        if self._array is not None:
            if (row0, col0, rows, cols) == (0, 0, *self.shape):
                return self._array  # the same object each time, so the void mask cached for it is found
            return self._array[row0:row0 + rows, col0:col0 + cols]
        import rasterio
        from rasterio.windows import Window

        cells = self.shape[0] * self.shape[1]
        try:
            with rasterio.open(self._name) as ds0:
                if self._warp:
                    from rasterio.vrt import WarpedVRT

                    ds = WarpedVRT(ds0, crs="EPSG:4326", transform=self.transform,
                                   width=self.shape[1], height=self.shape[0])
                else:
                    ds = ds0
                if cells <= MAX_CACHED_CELLS:
                    full = ds.read(1, masked=True).astype("float32").filled(np.nan)
                    self._array = full
                    return np.asarray(full[row0:row0 + rows, col0:col0 + cols])
                data = ds.read(1, window=Window(col0, row0, cols, rows), masked=True)
                return np.asarray(data.astype("float32").filled(np.nan))
        except Exception as exc:
            raise DEMError(f"cannot read DEM data from {self.source}: {exc}; the file may be "
                           "truncated or corrupt, download it again") from exc

    def _window_of(self, left: float, bottom: float, right: float, top: float,
                   pad: int = 1) -> tuple[int, int, int, int] | None:
        inv = ~self.transform
        c0, r0 = inv @ (left, top)
        c1, r1 = inv @ (right, bottom)
        eps = 1e-6  # bbox edges on pixel edges must not grab an extra pixel
        col0 = max(0, math.floor(min(c0, c1) + eps) - pad)
        row0 = max(0, math.floor(min(r0, r1) + eps) - pad)
        col1 = min(self.shape[1], math.ceil(max(c0, c1) - eps) + pad)
        row1 = min(self.shape[0], math.ceil(max(r0, r1) - eps) + pad)
        if col0 >= self.shape[1] or row0 >= self.shape[0] or col1 <= 0 or row1 <= 0:
            return None
        col1, row1 = max(col1, col0 + 1), max(row1, row0 + 1)
        return row0, col0, row1 - row0, col1 - col0

    def read(self, bbox: BBox | Sequence[float] | None = None) -> tuple[np.ndarray, Any]:
        """Read elevations (float32, NaN for voids) and their transform.

        Parameters
        ----------
        bbox : BBox or (left, bottom, right, top), optional
            Area to read, snapped outward to whole pixels. Default: everything.

        Returns
        -------
        (numpy.ndarray, affine.Affine)

        Raises
        ------
        DEMCoverageError
            The bbox does not overlap the DEM.

        Examples
        --------
        >>> arr, tr = DEM.open(None).read((45.0, 39.0, 45.5, 39.5))
        >>> arr.shape, arr.dtype.name
        ((60, 60), 'float32')
        """
        if bbox is None:
            row0, col0, rows, cols = 0, 0, self.shape[0], self.shape[1]
        else:
            b = bbox if isinstance(bbox, BBox) else BBox(*bbox)
            if not b.intersects(self.bounds):
                raise DEMCoverageError(f"bbox {tuple(b)} does not overlap the DEM {tuple(self.bounds)} "
                                       f"({self.source}); open a DEM that covers it")
            win = self._window_of(*b, pad=0)
            if win is None:
                raise DEMCoverageError(f"bbox {tuple(b)} does not overlap the DEM {tuple(self.bounds)}")
            row0, col0, rows, cols = win
        arr = np.array(self._read_window(row0, col0, rows, cols), dtype="float32", copy=True)
        return arr, self.transform @ self.transform.translation(col0, row0)

    # ---------------------------------------------------------------- sample
    def sample(self, lons: Any, lats: Any, *, method: str = "bilinear") -> np.ndarray:
        """Elevations (m) at points; NaN off the DEM or over voids.

        Parameters
        ----------
        lons, lats : array-like of float
            Coordinates in degrees (EPSG:4326), same length.
        method : {"bilinear", "nearest"}
            Bilinear interpolation between the four surrounding pixel centres,
            or the value of the pixel containing the point (as rasterio's
            ``DatasetReader.sample``). A bilinear value touching a void is NaN.

        Returns
        -------
        numpy.ndarray of float64

        Examples
        --------
        >>> dem = DEM.open(None)
        >>> z = dem.sample([44.51, 60.0], [40.18, 40.0], method="nearest")
        >>> bool(z[0] > 800), bool(np.isnan(z[1]))
        (True, True)
        """
        if method not in ("bilinear", "nearest"):
            raise InvalidInputError(f"unknown sampling method {method!r}; use 'bilinear' or 'nearest'")
        x = np.atleast_1d(np.asarray(lons, dtype="float64")).ravel()
        y = np.atleast_1d(np.asarray(lats, dtype="float64")).ravel()
        if x.shape != y.shape:
            raise InvalidInputError(f"lons ({x.size}) and lats ({y.size}) must have the same length")
        out = np.full(x.shape, np.nan)
        b = self.bounds
        inside = (x >= b.left) & (x <= b.right) & (y >= b.bottom) & (y <= b.top)
        if not inside.any():
            return out
        xi, yi = x[inside], y[inside]
        nrow, ncol = self.shape
        if self._array is not None or nrow * ncol <= MAX_CACHED_CELLS:
            win: tuple[int, int, int, int] | None = (0, 0, nrow, ncol)  # the grid is (or will be) in memory
        else:
            win = self._window_of(float(xi.min()), float(yi.min()), float(xi.max()), float(yi.max()))
        if win is None:
            return out
        row0, col0, rows, cols = win
        arr = self._read_window(row0, col0, rows, cols)
        if method == "nearest":
            # same arithmetic as rasterio.transform.AffineTransformer, so values are identical
            m = np.array(~self.transform, dtype="float64").reshape(3, 3)
            pts = np.empty((3, xi.size))
            pts[0], pts[1], pts[2] = xi, yi, 1.0
            m.dot(pts, out=pts)
            r = np.clip(np.floor(pts[1]).astype(np.int64), 0, nrow - 1) - row0
            c = np.clip(np.floor(pts[0]).astype(np.int64), 0, ncol - 1) - col0
            out[inside] = arr[r, c]
            return out
        # bilinear between pixel centres (scipy, in C); clamp at the outer half-pixel rim
        from scipy.ndimage import map_coordinates

        t = self.transform
        coords = np.empty((2, xi.size))
        np.clip((yi - t.f) / t.e - 0.5, 0.0, nrow - 1.0, out=coords[0])
        np.clip((xi - t.c) / t.a - 0.5, 0.0, ncol - 1.0, out=coords[1])
        coords[0] -= row0
        coords[1] -= col0
        filled, voids = self._voids(arr, whole=(rows, cols) == self.shape)
        val = map_coordinates(filled, coords, order=1, mode="nearest", prefilter=False, output=np.float64)
        if voids is not None:
            # a void touching the point with a non-zero weight makes the value NaN
            w = map_coordinates(voids, coords, order=1, mode="nearest", prefilter=False, output=np.float64)
            val[w > 1e-9] = np.nan
        out[inside] = val
        return out

    def _voids(self, arr: np.ndarray, *, whole: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """``(array with voids set to 0, float32 void mask or None)``; cached for the whole grid."""
        if whole and self._void_cache is not None and self._void_cache[0] is arr:
            return self._void_cache[1], self._void_cache[2]
        nan = np.isnan(arr)
        result = (np.where(nan, np.float32(0), arr), nan.astype("float32")) if nan.any() else (arr, None)
        if whole:
            self._void_cache = (arr, *result)
        return result

    # ------------------------------------------------------------ resolution
    def ground_resolution_m(self, lat: float | None = None) -> float:
        """Pixel size on the ground in metres: the finer of its east-west and north-south sides.

        Parameters
        ----------
        lat : float, optional
            Latitude (degrees) where the size is measured. Default: the DEM's centre.

        Examples
        --------
        >>> round(DEM.open(None).ground_resolution_m(40.0))
        712
        """

        if lat is None:
            lat = (self.bounds.bottom + self.bounds.top) / 2
        lat = float(lat)
        if not -90 <= lat <= 90:
            raise InvalidInputError(f"latitude {lat} is outside [-90, 90]; give degrees")
        dx, dy = self.res_deg
        g = geod()
        la = min(max(lat, -89.9), 89.9)
        ew = g.inv(0.0, la, dx, la)[2]
        ns = g.inv(0.0, la - dy / 2, 0.0, la + dy / 2)[2]
        return float(min(ew, ns))

    def covers(self, lons: Any, lats: Any) -> np.ndarray:
        """Boolean array: which points lie inside the DEM's bounds."""
        x = np.asarray(lons, dtype=float)
        y = np.asarray(lats, dtype=float)
        b = self.bounds
        return np.asarray((x >= b.left) & (x <= b.right) & (y >= b.bottom) & (y <= b.top))

    def __repr__(self) -> str:
        return (f"DEM(bounds={tuple(round(v, 6) for v in self.bounds)}, shape={self.shape}, "
                f"res_deg={tuple(round(v, 8) for v in self.res_deg)}, source={self.source!r})")
