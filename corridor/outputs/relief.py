"""The offline basemap: shaded relief from the DEM, as an image for the map and a GeoTIFF for GIS.

:func:`hillshade` shades the DEM (sun from the north-west at 45°, hypsometric
tint). :func:`basemap_extent` is the area a map shades: the whole region pack
(:data:`corridor._types.REGION_BBOX`) joined with every route's extent plus a
margin, so Baku, Tabriz and the Caspian coast are never bare. For the web map,
:func:`overlay_data_uri` reprojects the image to Web Mercator and encodes it as
WebP (lossy, with alpha), which keeps the whole region at full GLOBE
resolution near 300 KB; :func:`write_hillshade_tif` writes the same image as a
georeferenced RGBA GeoTIFF for the QGIS project.

Examples
--------
>>> img, b = hillshade(BBox(45.5, 38.8, 46.5, 39.3))
>>> img.shape[2], img.dtype.name, round(b.left, 2)
(4, 'uint8', 45.5)
>>> basemap_extent(BBox(44.0, 39.0, 45.0, 40.0)) == BBox(*REGION_BBOX)
True
"""

from __future__ import annotations

import base64
import io
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from corridor._errors import InvalidInputError
from corridor._files import atomic_output
from corridor._geo import great_circle_m
from corridor._types import REGION_BBOX, BBox
from corridor.data import datasets

log = logging.getLogger(__name__)

__all__ = ["BASEMAP_MARGIN_DEG", "HILLSHADE_MAX_PX", "WEBP_QUALITY", "basemap_extent", "hillshade",
           "overlay_data_uri", "write_hillshade_tif"]

#: Largest side of the hillshade image in pixels (the DEM is decimated beyond).
HILLSHADE_MAX_PX = 1400
#: Margin around the routes, in degrees, when they reach beyond the region pack.
BASEMAP_MARGIN_DEG = 0.6
#: WebP quality of the map overlay (0-100).
WEBP_QUALITY = 72


def basemap_extent(routes_bbox: BBox, *, margin: float = BASEMAP_MARGIN_DEG) -> BBox:
    """The region pack joined with the routes' extent plus ``margin`` degrees."""
    b = routes_bbox.buffer(margin)
    r = BBox(*REGION_BBOX)
    return BBox(min(b.left, r.left), min(b.bottom, r.bottom), max(b.right, r.right), max(b.top, r.top))


def hillshade(bbox: BBox, dem: Any = None, *, max_px: int = HILLSHADE_MAX_PX) -> tuple[np.ndarray, BBox]:
    """A shaded-relief RGBA image of the DEM over ``bbox`` (the offline basemap).

    Shading uses :class:`matplotlib.colors.LightSource` (sun from the north-west
    at 45°, hypsometric tint) with cell sizes in metres measured geodesically at
    the image centre. Nodata cells are transparent.

    Parameters
    ----------
    bbox : BBox
        Area wanted, clipped to the DEM.
    dem : None, path or corridor.terrain.DEM
        ``None`` uses the embedded GLOBE DEM; an object with ``read(bbox=...)``
        returning ``(array, affine)`` is used as is.
    max_px : int
        Largest image side; the DEM is decimated beyond.

    Returns
    -------
    (numpy.ndarray, BBox)
        ``uint8`` RGBA image (rows north to south) and its exact bounds.

    """
    import affine
    from matplotlib import colormaps
    from matplotlib.colors import LightSource, ListedColormap


    arr, transform = _read_dem(bbox, dem)
    step = max(1, math.ceil(max(arr.shape) / max_px))
    if step > 1:
        arr = arr[::step, ::step]
        transform = transform @ affine.Affine.scale(step)
    h, w = arr.shape
    left, top = transform.c, transform.f
    right, bottom = left + transform.a * w, top + transform.e * h
    if h < 2 or w < 2 or not np.isfinite(arr).any():
        raise InvalidInputError(f"the DEM has no data over {tuple(bbox)}; pass a DEM that covers the routes")
    lon_c, lat_c = (left + right) / 2, (top + bottom) / 2
    dx = great_circle_m(lon_c, lat_c, lon_c + transform.a, lat_c)
    dy = great_circle_m(lon_c, lat_c, lon_c, lat_c + abs(transform.e))
    valid = np.isfinite(arr)
    filled = np.where(valid, arr, np.nanmin(arr))
    cmap = ListedColormap(colormaps["terrain"](np.linspace(0.25, 1.0, 256)))
    rgba = LightSource(azdeg=315, altdeg=45).shade(
        filled, cmap=cmap, blend_mode="soft", vert_exag=2.0, dx=dx, dy=dy,
        vmin=float(np.nanmin(arr)), vmax=max(float(np.nanmax(arr)), float(np.nanmin(arr)) + 1))
    img = (np.clip(rgba, 0, 1) * 255).astype(np.uint8)
    img[..., 3] = np.where(valid, 255, 0)
    return img, BBox(left, bottom, right, top)


def _read_dem(bbox: BBox, dem: Any) -> tuple[np.ndarray, Any]:
    if dem is not None and hasattr(dem, "read") and not isinstance(dem, (str, Path)):
        arr, transform = dem.read(bbox=bbox)
        return np.asarray(arr, dtype=np.float32), transform
    import rasterio
    from rasterio.windows import Window, from_bounds


    path = datasets.dem_path() if dem is None else Path(dem)
    with rasterio.open(path) as src:
        win = from_bounds(*bbox, transform=src.transform).round_offsets().round_lengths()
        try:
            win = win.intersection(Window(0, 0, src.width, src.height))
        except Exception as exc:  # rasterio raises WindowError for disjoint windows
            raise InvalidInputError(
                f"the DEM {str(path)!r} does not cover {tuple(bbox)}; pass a DEM over the routes"
            ) from exc
        data = src.read(1, window=win, masked=True)
        arr = np.ma.filled(data.astype(np.float32), np.nan)
        return arr, src.window_transform(win)


def _mercator_rgba(img: np.ndarray, bounds: BBox) -> np.ndarray:
    """Resample the rows of a lon/lat image so they are evenly spaced in Web Mercator."""
    h = img.shape[0]

    def merc(lat: np.ndarray | float) -> np.ndarray:
        return np.asarray(np.arcsinh(np.tan(np.radians(lat))))

    y_out = np.linspace(merc(bounds.top), merc(bounds.bottom), h)  # north to south
    lat_out = np.degrees(np.arctan(np.sinh(y_out)))
    row = (bounds.top - lat_out) / (bounds.top - bounds.bottom) * h - 0.5
    idx = np.clip(np.rint(row).astype(int), 0, h - 1)
    return np.asarray(img[idx])


def overlay_data_uri(img: np.ndarray, bounds: BBox, *, quality: int = WEBP_QUALITY) -> str:
    """A ``data:image/webp`` URI of a hillshade, reprojected for a Web Mercator map.

    >>> img, b = hillshade(BBox(45.5, 38.8, 46.5, 39.3))
    >>> overlay_data_uri(img, b)[:23]
    'data:image/webp;base64,'
    """
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(_mercator_rgba(img, bounds), mode="RGBA").save(buf, format="WEBP", quality=quality,
                                                                    method=6)
    return "data:image/webp;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def write_hillshade_tif(path: str | Path, bbox: BBox, dem: Any = None) -> Path:
    """Write the hillshade over ``bbox`` as an RGBA GeoTIFF (EPSG:4326, deflate), atomically.

    >>> import tempfile, rasterio
    >>> out = write_hillshade_tif(tempfile.mkdtemp() + "/h.tif", BBox(45.5, 38.8, 46.5, 39.3))
    >>> with rasterio.open(out) as src:
    ...     src.count, src.crs.to_epsg()
    (4, 4326)
    """
    import rasterio
    from rasterio.transform import from_bounds

    img, b = hillshade(bbox, dem)
    h, w = img.shape[:2]
    ci = rasterio.enums.ColorInterp
    with atomic_output(path, suffix=".tif") as tmp, rasterio.open(
            tmp, "w", driver="GTiff", width=w, height=h, count=4, dtype="uint8", crs="EPSG:4326",
            transform=from_bounds(*b, w, h), compress="deflate", predictor=2, photometric="RGB") as dst:
        dst.write(np.moveaxis(img, 2, 0))
        dst.colorinterp = [ci.red, ci.green, ci.blue, ci.alpha]
    return Path(path)
