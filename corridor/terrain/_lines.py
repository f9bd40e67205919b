"""Line-like inputs for :mod:`corridor.terrain.profiles`: coercion to an EPSG:4326 LineString and checks.

Routes, shapely lines, GeoSeries/GeoDataFrames (reprojected to EPSG:4326 with
a log message) and ``(lon, lat)`` arrays all become one LineString; projected
coordinates passed without a CRS raise :class:`~corridor.CRSMismatchError`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from corridor._errors import CRSMismatchError, InvalidInputError, ParameterError
from corridor._geo import same_point

log = logging.getLogger(__name__)

STRUCTURE_KINDS = ("tunnel", "bridge")


def _check_degrees(xy: np.ndarray, what: str) -> None:
    if xy.size == 0:
        return
    if not np.isfinite(xy).all():
        raise InvalidInputError(f"{what} has non-finite coordinates; give (lon, lat) in degrees")
    if (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any():
        x, y = xy[0]
        raise CRSMismatchError(
            f"{what} has coordinates like ({x:.1f}, {y:.1f}) that are not degrees; it looks "
            "projected. Reproject it to EPSG:4326 (e.g. GeoSeries.to_crs(4326)) or pass a "
            "GeoSeries/GeoDataFrame with its CRS set")


def _as_line(obj: Any) -> tuple[Any, list[tuple[float, float, str]] | None, str | None]:
    """``(LineString in EPSG:4326, structure spans or None, mode or None)`` of any line-like input."""
    import shapely
    from shapely.geometry import LineString
    from shapely.geometry.base import BaseGeometry

    if hasattr(obj, "segments") and hasattr(obj, "structure_spans"):  # a Route
        return _as_line(obj.geometry)[0], list(obj.structure_spans()), getattr(obj, "mode", None)
    if hasattr(obj, "geometry") and hasattr(obj, "crs") and not isinstance(obj, BaseGeometry):
        geo = obj.geometry if hasattr(obj, "columns") else obj  # GeoDataFrame -> GeoSeries
        if geo.crs is not None and not geo.crs.equals("EPSG:4326"):
            log.info("reprojecting line from %s to EPSG:4326", geo.crs)
            geo = geo.to_crs("EPSG:4326")
        geoms = [g for g in geo if g is not None and not g.is_empty]
        if not geoms:
            raise InvalidInputError("the line is empty; give a LineString with at least two points")
        coords: list[Any] = []
        for g in geoms:
            c = shapely.get_coordinates(g)
            if coords and len(c) and same_point(coords[-1], c[0]):
                c = c[1:]
            coords.extend(c)
        return _as_line(LineString(coords))[0], None, None
    if isinstance(obj, BaseGeometry):
        geom = obj
        if geom.geom_type == "MultiLineString":
            merged = shapely.line_merge(geom)
            geom = merged if merged.geom_type == "LineString" else LineString(
                np.concatenate([shapely.get_coordinates(g) for g in merged.geoms]))
        if geom.geom_type != "LineString":
            raise InvalidInputError(f"cannot profile a {geom.geom_type}; give a LineString or a Route")
    elif isinstance(obj, (Sequence, np.ndarray)):
        arr = np.asarray(obj, dtype=float)
        if arr.ndim != 2 or arr.shape[1] < 2:
            raise InvalidInputError(f"line coordinates must be (lon, lat) pairs, got shape {arr.shape}")
        geom = LineString(arr[:, :2]) if len(arr) >= 2 else LineString()
    else:
        raise InvalidInputError(f"cannot profile {type(obj).__name__}; give a LineString, "
                                "a GeoSeries, a list of (lon, lat) or a Route")
    xy = shapely.get_coordinates(geom)
    if len(xy) < 2:
        raise InvalidInputError("the line is empty or has one point; give a LineString with at least "
                                "two distinct (lon, lat) points")
    _check_degrees(xy, "the line")
    return geom, None, None


def _positive(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be a number of metres, got {value!r}") from exc
    if not math.isfinite(v) or v <= 0:
        raise ParameterError(f"{name} must be positive and finite, got {value!r}; give metres, e.g. 50")
    return v


def _structures(spans: Any, length: float) -> list[tuple[float, float, str]]:
    out: list[tuple[float, float, str]] = []
    for item in spans or ():
        try:
            a, b, kind = float(item[0]), float(item[1]), str(item[2])
        except (TypeError, ValueError, IndexError) as exc:
            raise InvalidInputError(f"structure span {item!r} must be (start_m, end_m, kind)") from exc
        if kind not in STRUCTURE_KINDS:
            raise InvalidInputError(f"structure kind {kind!r} in {item!r}; use 'tunnel' or 'bridge'")
        if not (math.isfinite(a) and math.isfinite(b)) or b <= a:
            raise InvalidInputError(f"structure span {item!r} needs start_m < end_m (metres along the line)")
        tol = max(1.0, 1e-6 * length)
        if a < -tol or b > length + tol:
            raise InvalidInputError(f"structure span {item!r} lies outside the line (0 to {length:.1f} m)")
        out.append((max(0.0, a), min(length, b), kind))
    return sorted(out)
