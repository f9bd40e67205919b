"""Map layers for GIS: GeoPackage (several layers), GeoJSON, FlatGeobuf, GeoParquet, CSV.

:func:`write_layers` picks the format from the file suffix. A GeoPackage gets
every layer; the other formats hold one layer (``routes`` unless ``layer=`` says
otherwise). Layers (all EPSG:4326, CRS recorded in the file; CSV carries WKT
plus a ``crs`` column because CSV has no place for it):

==================  ==========================================================
``routes``          one feature per route with every metric (``as_row()``)
``segments``        consecutive route segments merged per unit, build type,
                    status and structure, with ``grade_max``, ``grade_mean``,
                    ``rise_m`` from the route's profile
``border_crossings``  points where the route changes country unit
``waypoints``       the places each route was asked to pass
``profiles``        sampled profile points: distance, elevation, ground, grade
``structures``      one LineString per tunnel or bridge of
                    ``RouteMetrics.structures`` (see :func:`structure_rows`)
==================  ==========================================================

The ``structures`` layer needs the metrics: without them, or for routes with
no tunnel or bridge, it is written empty (with its columns), so a GeoPackage
always has the same layers.

A GeoPackage is written as version 1.2 when GDAL can (:data:`GPKG_VERSION`)
and carries a QGIS style per layer in its ``layer_styles`` table
(:mod:`corridor.outputs.qgis`): QGIS opens the routes coloured, dashed where
modelled, and the crossings as symbols. :func:`corridor.outputs.write_qgis_project`
adds a ``.qgs`` project with a hillshade beside it.

Writes are atomic: the file is written under a temporary name in the same
folder and renamed over the target, so a failure never leaves a half-written
file and re-exporting replaces the old file (and all its layers) cleanly.
List, tuple and set attributes become ``;``-joined text, dicts become JSON, so
nothing breaks a writer. CSV cells that a spreadsheet would run as formulas are
neutralised with a leading quote.

Examples
--------
>>> import tempfile, pyogrio
>>> from shapely.geometry import LineString
>>> from corridor.route import Route
>>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="demo")
>>> out = write_layers(tempfile.mkdtemp() + "/demo.gpkg", [r])
>>> sorted(name for name, _ in pyogrio.list_layers(out))
['border_crossings', 'layer_styles', 'profiles', 'routes', 'segments', 'structures', 'waypoints']
>>> pyogrio.read_dataframe(out, layer="segments")["unit"].tolist()
['NAX', 'ARM']
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor._errors import InvalidInputError
from corridor._files import atomic_output
from corridor._geo import cumulative_distance, points_at, same_point
from corridor._text import write_csv
from corridor.evaluation import crossings, designed
from corridor.outputs.qgis import write_layer_styles

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

__all__ = ["DESIGNED", "FORMATS", "GPKG_VERSION", "LAYERS", "NETWORK_DATA", "atomic_output", "border_crossings",
           "gpkg_version_options", "layers", "scalarize", "structure_rows", "write_layers"]

#: Layer names of a full export, in writing order.
LAYERS: tuple[str, ...] = ("routes", "segments", "border_crossings", "waypoints", "profiles", "structures")
#: ``source`` of a structure that corridor designed (new build, reference lines still to build).
DESIGNED = "modelled design"
#: ``source`` of a structure of an existing edge, as the network data give it.
NETWORK_DATA = "network data"
#: File suffix -> (GDAL driver or "parquet", multi-layer?)
FORMATS: dict[str, tuple[str, bool]] = {
    ".gpkg": ("GPKG", True),
    ".geojson": ("GeoJSON", False),
    ".json": ("GeoJSON", False),
    ".fgb": ("FlatGeobuf", False),
    ".parquet": ("parquet", False),
    ".geoparquet": ("parquet", False),
    ".csv": ("CSV", False),
}
_GEOM_TYPES = {"routes": "MultiLineString", "segments": "MultiLineString",
               "border_crossings": "Point", "waypoints": "Point", "profiles": "Point", "structures": "LineString"}
#: Columns (and dtypes) of a ``structures`` layer, also when it has no feature.
_STRUCTURE_COLUMNS = {"route_index": "int64", "route_name": "object", "seq": "int64", "kind": "object",
                      "start_km": "float64", "end_km": "float64", "length_m": "float64",
                      "max_depth_m": "float64", "source": "object", "modelled": "bool"}


# ------------------------------------------------------------------ helpers


def _scalar(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (str, bool, int, float, np.bool_, np.integer, np.floating)):
        return v.item() if isinstance(v, np.generic) else v
    if isinstance(v, Mapping):
        return json.dumps(dict(v), ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(v, (list, tuple, set, frozenset, np.ndarray)):
        items = sorted(v, key=str) if isinstance(v, (set, frozenset)) else list(v)
        if any(isinstance(x, (Mapping, list, tuple)) for x in items):
            return json.dumps(items, ensure_ascii=False, default=str)
        return ";".join("" if x is None else str(x) for x in items)
    return str(v)


def scalarize(df: pd.DataFrame) -> pd.DataFrame:
    """Make every attribute column writable: lists -> ``;``-text, dicts -> JSON, mixed -> text.

    >>> import pandas as pd
    >>> df = scalarize(pd.DataFrame({"a": [["x", "y"], None], "b": [{"k": 1}, 2.5]}))
    >>> df["a"].iloc[0], df["b"].tolist()
    ('x;y', ['{"k": 1}', '2.5'])
    """
    out = df.copy()
    geom = getattr(out, "_geometry_column_name", None)
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        if col == geom or out[col].dtype != object or len(out) == 0:  # an empty column keeps its (text) type
            continue
        vals = [_scalar(v) for v in out[col]]
        kinds = {type(v) for v in vals if v is not None and not (isinstance(v, float) and math.isnan(v))}
        if kinds and not kinds <= {str} and not kinds <= {bool} and not kinds <= {int, float}:
            vals = [None if v is None else str(v) for v in vals]
        out[col] = vals
        if kinds and kinds <= {int, float}:
            out[col] = out[col].astype(float)
        elif kinds and kinds <= {bool} and all(v is not None for v in vals):
            out[col] = out[col].astype(bool)
    return out


def _as_list(routes: Any) -> list[Any]:
    if hasattr(routes, "segments"):
        return [routes]
    out = list(routes)
    for r in out:
        if not hasattr(r, "segments"):
            raise InvalidInputError(f"expected corridor.route.Route objects, got {type(r).__name__}")
    return out


def _profile_of(i: int, metrics: Sequence[Any] | None, profiles: Sequence[Any] | None) -> Any:
    if profiles is not None and profiles[i] is not None:
        return profiles[i]
    if metrics is not None:
        return getattr(metrics[i], "profile", None)
    return None


def _arr(obj: Any, name: str) -> np.ndarray:
    val = getattr(obj, name, None)
    return np.asarray([] if val is None else val, dtype=float)


def _merge(geoms: Sequence[Any]) -> Any:
    import shapely
    from shapely.geometry import MultiLineString

    merged = shapely.line_merge(MultiLineString([g for g in geoms if g is not None and not g.is_empty]))
    # always MultiLineString, so the layer has one geometry type in memory and on disk
    return merged if merged.geom_type == "MultiLineString" else MultiLineString([merged])


def _route_meta(route: Any) -> dict[str, Any]:
    keep = ("scenario", "status", "description", "published", "network_source", "dem_source")
    return {f"meta_{k}" if k == "status" else k: route.meta[k] for k in keep if k in route.meta}


# ------------------------------------------------------------------ layers
def border_crossings(route: Any, metrics: Any = None) -> list[dict[str, Any]]:
    """Border crossings of a route: ``metrics.crossings``, or :func:`corridor.evaluation.crossings`.

    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail")
    >>> [(c["from_unit"], c["to_unit"]) for c in border_crossings(r)]
    [('NAX', 'ARM')]
    """
    given = getattr(metrics, "crossings", None) if metrics is not None else None
    return [dict(c) for c in (given if given is not None else crossings(route))]


def _segments_rows(i: int, route: Any, profile: Any) -> list[dict[str, Any]]:
    seg = route.segments
    off = route.offsets()
    keys = ["unit", "build", "status", "structure", "source", "mode"]
    d, g, z = _arr(profile, "distance_m"), _arr(profile, "grade"), _arr(profile, "elevation_m")
    rows: list[dict[str, Any]] = []
    start = 0
    n = len(seg)
    for j in range(1, n + 1):
        if j < n and all(str(seg[k].iloc[j]) == str(seg[k].iloc[start]) for k in keys):
            continue
        part = seg.iloc[start:j]
        a, b = float(off[start]), float(off[j])
        rec: dict[str, Any] = {"route_index": i, "route_name": route.name, "seq": len(rows)}
        rec.update({k: part[k].iloc[0] for k in keys})
        rec["class"] = ";".join(dict.fromkeys(str(c) for c in part["class"] if str(c)))
        gauges = sorted({float(x) for x in part["gauge_mm"] if x is not None and not math.isnan(float(x))})
        rec["gauge_mm"] = gauges[0] if len(gauges) == 1 else math.nan
        rec["gauges"] = ";".join(f"{x:g}" for x in gauges)
        rec["name"] = ";".join(dict.fromkeys(str(s) for s in part["name"] if s is not None and str(s)))
        ways = [int(w) for w in part["osm_way_id"] if w is not None and not math.isnan(float(w)) and int(w) >= 0]
        rec["osm_way_ids"] = ";".join(str(w) for w in dict.fromkeys(ways))
        rec["n_edges"] = len(part)
        rec["length_m"] = float(part["length_m"].sum())
        rec["start_km"], rec["end_km"] = a / 1000.0, b / 1000.0
        rec["modelled"] = bool(rec["build"] == "new" or "modelled" in str(rec["source"]))
        rec["grade_max"] = rec["grade_mean"] = rec["rise_m"] = math.nan
        if d.size >= 2 and g.size == d.size:
            mask = (d >= a - 1e-6) & (d <= b + 1e-6)
            if mask.any() and np.isfinite(g[mask]).any():
                rec["grade_max"] = float(np.nanmax(np.abs(g[mask])))
                rec["grade_mean"] = float(np.nanmean(np.abs(g[mask])))
            if z.size == d.size:
                rec["rise_m"] = float(np.interp(b, d, z) - np.interp(a, d, z))
        rec["geometry"] = _merge(list(part.geometry))
        rows.append(rec)
        start = j
    return rows


def _piece(coords: Any, a: float, b: float, length_m: float) -> np.ndarray:
    """Vertices of a segment between chainages ``a`` and ``b`` (m from its start, geodesic)."""
    xy = np.asarray(coords, dtype=float)[:, :2]
    cum = cumulative_distance(xy[:, 0], xy[:, 1])
    scale = cum[-1] / length_m if length_m > 0 else 1.0  # the segment's stored length -> its geometry's
    a, b = (float(np.clip(x * scale, 0.0, cum[-1])) for x in (a, b))
    ends = points_at(xy, np.array([a, b]), cum)
    inner = xy[(cum > a + 1e-6) & (cum < b - 1e-6)]
    return np.vstack([ends[:1], inner, ends[1:]])


def structure_rows(i: int, route: Any, structures: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of the ``structures`` layer for one route: each structure cut from the route's geometry.

    Parameters
    ----------
    i : int
        The route's index (``route_index``).
    route : Route
        The route; its segments give the geometry and say who designed each structure.
    structures : sequence of corridor.align.vertical.Structure
        ``RouteMetrics.structures`` of the route (kind, start_m, length_m, max_depth_m).

    Returns
    -------
    list of dict
        ``route_index``, ``route_name``, ``seq``, ``kind`` (tunnel, bridge), ``start_km``,
        ``end_km``, ``length_m``, ``max_depth_m`` (greatest depth below / height above ground,
        NaN where unknown), ``source`` (:data:`DESIGNED` where corridor designed it — new build
        and modelled reference lines still to build —, :data:`NETWORK_DATA` for an existing
        edge's, both joined by ``" and "`` if one structure has both), ``modelled`` (designed, or
        on a modelled network) and a LineString between the structure's start and end chainage
        (geodesic, as the route's ``length_m``).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from corridor.align.vertical import Structure
    >>> from corridor.route import Route
    >>> r = Route.from_lines([LineString([(46.0, 38.9), (46.1, 38.9)])], mode="rail",
    ...                      attrs=[{"build": "new", "structure": "tunnel"}])
    >>> row = structure_rows(0, r, [Structure("tunnel", 0.0, r.length_m, 40.0)])[0]
    >>> row["kind"], row["source"], row["modelled"], round(row["length_m"])
    ('tunnel', 'modelled design', True, 8675)
    """
    from shapely.geometry import LineString

    seg = route.segments
    off = route.offsets()
    by_design = designed(route)
    src = seg["source"].astype(str).to_numpy() if "source" in seg.columns else np.full(len(seg), "")
    rows: list[dict[str, Any]] = []
    for st in structures:
        a, b = float(st.start_m), float(st.start_m) + float(st.length_m)
        parts: list[np.ndarray] = []
        who: set[bool] = set()
        on_model = False
        for k in np.flatnonzero((off[:-1] < b - 1e-6) & (off[1:] > a + 1e-6)):
            lo, hi = float(off[k]), float(off[k + 1])
            xy = _piece(seg.geometry.iat[k].coords, max(a, lo) - lo, min(b, hi) - lo, hi - lo)
            parts.append(xy if not parts or not same_point(parts[-1][-1], xy[0]) else xy[1:])
            who.add(bool(by_design[k]))
            on_model = on_model or "modelled" in str(src[k])
        if not parts:
            continue
        line = np.vstack(parts)
        source = " and ".join(name for flag, name in ((True, DESIGNED), (False, NETWORK_DATA)) if flag in who)
        rows.append({"route_index": i, "route_name": route.name, "seq": len(rows), "kind": str(st.kind),
                     "start_km": a / 1000.0, "end_km": b / 1000.0, "length_m": float(st.length_m),
                     "max_depth_m": float(st.max_depth_m), "source": source,
                     "modelled": bool(True in who or on_model),
                     "geometry": LineString(line if len(line) >= 2 else np.vstack([line, line]))})
    return rows


def layers(routes: Any, metrics: Sequence[Any] | None = None, *,
           profiles: Sequence[Any] | None = None) -> dict[str, Any]:
    """Build every export layer as a GeoDataFrame (EPSG:4326), keyed by :data:`LAYERS` name.

    Parameters
    ----------
    routes : Route or sequence of Route
        The routes.
    metrics : sequence of RouteMetrics, optional
        One per route (``as_row()``, ``crossings``, ``profile`` are used).
    profiles : sequence of Profile, optional
        One per route (``None`` allowed); overrides ``metrics[i].profile``.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="demo")
    >>> lay = layers([r])
    >>> len(lay["routes"]), len(lay["segments"]), len(lay["border_crossings"]), len(lay["structures"])
    (1, 2, 1, 0)
    """
    import geopandas as gpd
    from shapely.geometry import Point

    routes = _as_list(routes)
    if not routes:
        raise InvalidInputError("no routes to export; pass at least one Route")
    for name, seq in (("metrics", metrics), ("profiles", profiles)):
        if seq is not None and len(seq) != len(routes):
            raise InvalidInputError(f"got {len(routes)} routes but {len(seq)} {name}; "
                                    f"pass one per route, in the same order")
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in LAYERS}
    for i, route in enumerate(routes):
        met = metrics[i] if metrics is not None else None
        prof = _profile_of(i, metrics, profiles)
        rec: dict[str, Any] = {
            "route_index": i, "name": route.name, "mode": route.mode, "source": route.source,
            "modelled": bool(route.modelled), "length_km": route.length_m / 1000.0,
            "units": ";".join(u or "" for u in route.unit_sequence()), "n_segments": len(route.segments),
            "waypoints": ";".join(p.name for p in route.waypoints),
        }
        rec.update(_route_meta(route))
        if met is not None and hasattr(met, "as_row"):
            rec.update({k: v for k, v in met.as_row().items() if k != "geometry"})
        rec["route_index"] = i
        rec["geometry"] = _merge(list(route.segments.geometry))
        rows["routes"].append(rec)
        rows["segments"].extend(_segments_rows(i, route, prof))
        rows["structures"].extend(structure_rows(i, route, getattr(met, "structures", None) or ()))
        for c in border_crossings(route, met):
            c = {k: v for k, v in c.items() if k != "geometry"}
            rows["border_crossings"].append({"route_index": i, "route_name": route.name, **c,
                                             "geometry": Point(float(c["lon"]), float(c["lat"]))})
        for k, p in enumerate(route.waypoints):
            rows["waypoints"].append({"route_index": i, "route_name": route.name, "order": k,
                                      "name": p.name, "kind": p.kind, "unit": p.unit,
                                      "country": p.country, "source": p.source,
                                      "lon": p.lon, "lat": p.lat, "geometry": Point(p.lon, p.lat)})
        if prof is not None:
            d, lon, lat = _arr(prof, "distance_m"), _arr(prof, "lon"), _arr(prof, "lat")
            z, gr, grade = _arr(prof, "elevation_m"), _arr(prof, "ground_m"), _arr(prof, "grade")
            if lon.size == d.size == lat.size:
                for k in range(d.size):
                    rows["profiles"].append({
                        "route_index": i, "route_name": route.name, "seq": k,
                        "distance_m": float(d[k]),
                        "elevation_m": float(z[k]) if z.size == d.size else math.nan,
                        "ground_m": float(gr[k]) if gr.size == d.size else math.nan,
                        "grade": float(grade[k]) if grade.size == d.size else math.nan,
                        "geometry": Point(float(lon[k]), float(lat[k]))})
    out: dict[str, Any] = {}
    for name in LAYERS:
        if rows[name]:
            gdf = gpd.GeoDataFrame(rows[name], geometry="geometry", crs="EPSG:4326")
        elif name == "structures":
            gdf = gpd.GeoDataFrame({c: np.array([], dtype=t) for c, t in _STRUCTURE_COLUMNS.items()},
                                   geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
        else:
            gdf = gpd.GeoDataFrame({"route_index": np.array([], dtype=int)},
                                   geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
        out[name] = scalarize(gdf)
    return out


# ------------------------------------------------------------------ writing
#: The GeoPackage version written when GDAL can (GDAL >= 2.2): readers back to GDAL 2.2 and
#: Debian 12's GDAL 3.6 open it without the "may only be partially supported" warning of 1.4.
GPKG_VERSION = "1.2"


def gpkg_version_options() -> dict[str, str]:
    """Dataset creation options for a GeoPackage of :data:`GPKG_VERSION` (empty if GDAL is too old).

    >>> gpkg_version_options()
    {'VERSION': '1.2'}
    """
    import pyogrio

    return {"VERSION": GPKG_VERSION} if tuple(pyogrio.__gdal_version__) >= (2, 2, 0) else {}


def _csv_frame(gdf: Any) -> Any:
    import pandas as pd

    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    df["crs"] = "EPSG:4326"
    df.insert(0, "WKT", gdf.geometry.to_wkt(rounding_precision=-1).to_numpy())
    return df


def write_layers(path: str | Path, routes: Any, metrics: Sequence[Any] | None = None, *,
                 profiles: Sequence[Any] | None = None, layer: str = "routes") -> Path:
    """Write routes and their metrics as GIS layers; the format follows the suffix.

    Parameters
    ----------
    path : str or Path
        ``.gpkg`` (all layers), ``.geojson``/``.json``, ``.fgb``,
        ``.parquet``/``.geoparquet`` (GeoParquet) or ``.csv`` (WKT geometry).
        An existing file is replaced atomically.
    routes : Route or sequence of Route
        Routes to write.
    metrics : sequence of RouteMetrics, optional
        One per route, aligned.
    profiles : sequence of Profile, optional
        One per route (overrides ``metrics[i].profile``).
    layer : str
        For single-layer formats: which of :data:`LAYERS` to write.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InvalidInputError
        Unknown suffix or layer, or metrics/profiles not aligned with routes.
    OutputError
        The path is a directory or not writable.

    Examples
    --------
    >>> import tempfile, pyogrio
    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="demo")
    >>> out = write_layers(tempfile.mkdtemp() + "/segments.csv", [r], layer="segments")
    >>> pyogrio.read_dataframe(out)["unit"].tolist()
    ['NAX', 'ARM']
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInputError(
            f"cannot tell the format of {str(target)!r} from its suffix; use one of "
            f"{', '.join(FORMATS)}"
        )
    driver, multi = FORMATS[suffix]
    if layer not in LAYERS:
        raise InvalidInputError(f"unknown layer {layer!r}; choose one of {', '.join(LAYERS)}")
    built = layers(routes, metrics, profiles=profiles)
    names = list(LAYERS) if multi else [layer]
    with atomic_output(target, suffix=suffix) as tmp:
        for name in names:
            gdf = built[name]
            if driver == "parquet":
                gdf.to_parquet(tmp, index=False)
            elif driver == "CSV":
                write_csv(_csv_frame(gdf), tmp)
            else:
                import pyogrio

                # FlatGeobuf's spatial index would reorder features; keep route order
                opts = {"SPATIAL_INDEX": "NO"} if driver == "FlatGeobuf" else {}
                ds_opts = gpkg_version_options() if driver == "GPKG" and name == names[0] else {}
                pyogrio.write_dataframe(gdf, tmp, layer=name, driver=driver,
                                        geometry_type=_GEOM_TYPES[name],
                                        promote_to_multi=_GEOM_TYPES[name].startswith("Multi"),
                                        layer_options=opts, dataset_options=ds_opts)
        if driver == "GPKG":
            write_layer_styles(tmp, _as_list(routes))
    log.info("wrote %s (%s: %s)", target, driver, ", ".join(names))
    return target
