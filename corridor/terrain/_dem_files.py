"""The raster files a :class:`~corridor.terrain.dem.DEM` is opened from: find, check, describe, mosaic.

Paths and folders are expanded into tile files (``.hgt.zip`` read through
GDAL's ``/vsizip/``), each file is checked (a CRS, a north-up grid) and
described for the opener, and tiles of one grid are mosaicked as a GDAL VRT
built by rio-vrt.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Union

import numpy as np

from corridor._errors import DEMError
from corridor._validate import check_input_path

__all__ = ["EXTS", "PathLike", "check_axis_aligned", "expand", "gdal_name", "raster_infos", "vrt_ok", "vrt_xml"]

#: File-name endings of the raster tiles a DEM folder is searched for.
EXTS = (".tif", ".tiff", ".vrt", ".hgt", ".hgt.zip", ".img", ".dem", ".asc")

PathLike = Union[str, "os.PathLike[str]"]


def gdal_name(path: Path) -> str:
    """The name GDAL should open: ``.hgt.zip`` is read through ``/vsizip/``."""
    name = path.name.lower()
    if name.endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as zf:
                members = [m for m in zf.namelist() if m.lower().endswith((".hgt", ".tif", ".tiff"))]
        except (zipfile.BadZipFile, OSError) as exc:
            raise DEMError(f"DEM archive {path} is not a readable zip file ({exc}); "
                           "download it again or pass the unzipped .hgt/.tif") from exc
        if not members:
            raise DEMError(f"DEM archive {path} holds no .hgt or .tif file; pass a DEM tile archive")
        return f"/vsizip/{{{path.resolve()}}}/{members[0]}"  # braces: the archive path stays one unit
    return str(path)


def expand(paths: Iterable[PathLike]) -> list[Path]:
    """The files named by ``paths``: each must exist; a folder gives its raster tiles (:data:`EXTS`)."""
    out: list[Path] = []
    for p in paths:
        path = Path(os.fspath(p)).expanduser()
        check_input_path(path, "DEM file", folder_ok=True, error=DEMError,
                         missing=f"DEM file {path} does not exist; check the path, or run "
                         "`corridor fetch dem --bbox ...` to download tiles")
        if path.is_dir():
            found = sorted(q for q in path.iterdir() if q.name.lower().endswith(EXTS))
            if not found:
                raise DEMError(f"DEM folder {path} holds no raster tiles ({', '.join(EXTS)}); "
                               "point at a folder of DEM tiles or at a file")
            out.extend(check_input_path(q, "DEM tile", error=DEMError) for q in found)
        else:
            out.append(path)
    if not out:
        raise DEMError("no DEM file given; pass a path, a list of paths, or None for the embedded DEM")
    return out


def vrt_ok(infos: list[dict[str, Any]]) -> bool:
    """Whether tiles can be one VRT mosaic (:func:`vrt_xml`): one CRS, resolution, data type and nodata.

    rio-vrt takes the data type and nodata of the first tile for the whole
    mosaic; tiles that differ are merged in memory instead (``DEM._merged``).
    """
    from rio_vrt.enums import types

    first = infos[0]
    return all(i["wkt"] == first["wkt"] and np.allclose(i["res"], first["res"], rtol=1e-7)
               and i["dtype"] == first["dtype"] and i["dtype"] in types
               and (i["nodata"] == first["nodata"] or (i["nodata"] is None and first["nodata"] is None))
               for i in infos)


def vrt_xml(infos: list[dict[str, Any]]) -> str:
    """A GDAL VRT (its XML text) mosaicking tiles that :func:`vrt_ok` accepts, built by rio-vrt."""
    import tempfile

    from rio_vrt import build_vrt

    with tempfile.TemporaryDirectory(prefix="corridor-vrt-") as tmp:
        path = build_vrt(Path(tmp) / "mosaic.vrt", [i["name"] for i in infos], res=infos[0]["res"])
        return str(path.read_text(encoding="utf-8"))


def check_axis_aligned(path: Path, transform: Any) -> None:
    """Refuse a raster whose geotransform rotates or shears the grid.

    Every reader here (sampling, windows, the VRT mosaic) takes pixel ``(col,
    row)`` to ``(c + col·a, f + row·e)``; the rotation terms ``b``/``d`` would be
    silently ignored and every elevation read from the wrong place.

    >>> from affine import Affine
    >>> check_axis_aligned(Path("ok.tif"), Affine(0.01, 0, 45, 0, -0.01, 40))
    >>> check_axis_aligned(Path("rot.tif"), Affine.rotation(10) @ Affine(0.01, 0, 45, 0, -0.01, 40))
    Traceback (most recent call last):
    ...
    corridor._errors.DEMError: DEM 'rot.tif' has a rotated or sheared grid (geotransform terms b=0.0017..., d=...
    """
    a, b, _, d, e, _ = tuple(transform)[:6]
    tol = 1e-9 * max(abs(a), abs(e))
    if abs(b) > tol or abs(d) > tol:
        raise DEMError(f"DEM {str(path)!r} has a rotated or sheared grid (geotransform terms b={b:.6g}, "
                       f"d={d:.6g}), which corridor cannot read correctly; warp it to a north-up grid first, "
                       f"e.g. gdalwarp -t_srs EPSG:4326 {str(path)!r} north-up.tif")


def raster_infos(paths: list[Path]) -> list[dict[str, Any]]:
    """Open each file once and describe it (GDAL name, CRS, grid, nodata, data type, tags).

    Raises :class:`DEMError` for a file without a CRS, with a rotated grid, or
    that cannot be read as a raster.
    """
    import rasterio

    infos: list[dict[str, Any]] = []
    for p in paths:
        name = gdal_name(p)
        try:
            with rasterio.open(name) as ds:
                if ds.crs is None:
                    raise DEMError(f"DEM {p} has no coordinate reference system; "
                                   "assign one (e.g. gdal_edit.py -a_srs EPSG:4326) and retry")
                check_axis_aligned(p, ds.transform)
                infos.append({
                    "name": name, "path": p, "wkt": ds.crs.to_wkt(),
                    "geographic": bool(ds.crs.is_geographic), "res": (abs(ds.res[0]), abs(ds.res[1])),
                    "bounds": tuple(ds.bounds), "size": (ds.width, ds.height), "nodata": ds.nodata,
                    "transform": ds.transform, "epsg": ds.crs.to_epsg(),
                    "area": ds.tags().get("AREA_OR_POINT", ""), "note": ds.tags().get("SOURCE", ""),
                    "dtype": ds.dtypes[0],
                })
        except DEMError:
            raise
        except Exception as exc:  # rasterio raises RasterioIOError and others
            raise DEMError(f"cannot read DEM {p}: {exc}; the file may be corrupt or not a raster, "
                           "download it again or pass a GeoTIFF/.hgt") from exc
    return infos
