"""The designed grade line of the modelled reference network, carried onto the routes that use it.

``data/reference/network.geojson`` is modelled: every edge is a piece of a line that
:func:`corridor.align.trace` designed, and its vertices are 3-D, ``[lon, lat, formation
level]`` (the least-cost vertical design's formation level at that vertex;
``scripts/build_reference_network.py``). The network's edge table is 2-D like every other
source; this module keeps the levels aside, keyed by the edge's ``ref`` (the scenario slug)
and the vertex position, and :func:`with_design_levels` puts them into a route's
``meta["formation"]`` for the segments that come from reference edges, as
:func:`corridor.align.trace` does for new build. :func:`corridor.terrain.profile` then
follows the modelled grade line there instead of the DEM ground, so the grades reported
for a route over the reference network are those of its design, not the bumps of a
1-km DEM. Edges of OpenStreetMap networks have no design: their profile stays the DEM
ground.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from corridor._errors import DataFileError
from corridor._geo import cumulative_distance
from corridor.data import datasets
from corridor.route import Route

log = logging.getLogger(__name__)

__all__ = ["REFERENCE_SOURCE", "DesignLevels", "PieceDesign", "piece_levels", "reference_design", "with_design_levels"]

#: ``source`` of the reference network's edges (and of the route segments on them).
REFERENCE_SOURCE = "reference (modelled)"

#: Greatest distance (degrees, ~0.1 m) of a vertex from a designed line for it to lie on that line.
ON_LINE_DEG = 1e-6


class PieceDesign(NamedTuple):
    """The design of a piece of a modelled line (:meth:`DesignLevels.piece`)."""

    #: Formation level (m) at each vertex of the piece.
    levels: np.ndarray
    #: The line's design quantities (:data:`QUANTITIES` it carries).
    quantities: dict[str, float]


class DesignLevels:
    """Formation levels of modelled lines, looked up by the line's ``ref`` and position.

    Each designed line is a vertex chain with a level per vertex; a point on it (a vertex, or
    a point added where an edge was split at a unit border) gets the level interpolated
    between the vertices on either side.

    Examples
    --------
    >>> import numpy as np
    >>> d = DesignLevels({"x": [(np.array([[1.0, 2.0], [1.02, 2.0]]), np.array([500.0, 520.0]), {})]})
    >>> d.levels("x", np.array([[1.0, 2.0], [1.01, 2.0]])).round(6).tolist()
    [500.0, 510.0]
    >>> d.levels("y", np.array([[1.0, 2.0], [1.01, 2.0]])) is None
    True
    """

    def __init__(self, lines: dict[str, list[tuple[np.ndarray, np.ndarray, dict[str, float]]]],
                 stations: dict[tuple[float, float], list[tuple[float, float]]] | None = None) -> None:
        """``lines``: per ref, the designed lines as (vertices, level per vertex, design quantities);
        ``stations``: per waypoint position ``(lon, lat)``, the points where the modelled lines serve
        it without reaching it (a spur cut by the trace, :func:`corridor.align._assembly.trim_spur`)."""
        import shapely

        #: Per waypoint ``(lon, lat)``, the ``(lon, lat)`` of the stations that serve it instead of its own point.
        self.stations: dict[tuple[float, float], list[tuple[float, float]]] = dict(stations or {})

        self._lines: dict[str, list[tuple[Any, np.ndarray, np.ndarray, dict[str, float]]]] = {}
        self._trees: dict[str, Any] = {}
        for ref, chains in lines.items():
            kept = []
            for xy, z, qty in chains:
                xy = np.asarray(xy, dtype=float)[:, :2]
                if len(xy) >= 2 and len(z) == len(xy):
                    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
                    kept.append((shapely.LineString(xy), along, np.asarray(z, dtype=float), dict(qty)))
            if kept:
                self._lines[ref] = kept
                self._trees[ref] = shapely.STRtree([line[0] for line in kept])

    def __len__(self) -> int:
        return sum(len(v) for v in self._lines.values())

    def piece(self, ref: str, coords: np.ndarray) -> PieceDesign | None:
        """The design of a piece of a modelled line: formation level (m) at each vertex, and the
        design quantities of the line that holds it; None if it is not a piece of a line of ``ref``.

        Every vertex must lie on a designed line of ``ref`` (within :data:`ON_LINE_DEG`); the
        quantities are those of the line that holds most of the vertices.
        """
        import shapely

        xy = np.asarray(coords, dtype=float)
        tree = self._trees.get(ref)
        if tree is None or xy.ndim != 2 or len(xy) < 2:
            return None
        pts = shapely.points(xy[:, :2])
        idx_pt, idx_line = tree.query(pts, predicate="dwithin", distance=ON_LINE_DEG)
        if np.unique(idx_pt).size < len(xy):
            return None
        z = np.full(len(xy), math.nan)
        for k, j in zip(idx_pt.tolist(), idx_line.tolist(), strict=True):
            if math.isfinite(z[k]):
                continue  # the first line that holds it (lines of one ref meet only at their ends)
            line, along, lv, _qty = self._lines[ref][j]
            z[k] = float(np.interp(line.project(pts[k]), along, lv))
        holder = int(np.bincount(idx_line).argmax())
        return PieceDesign(z, dict(self._lines[ref][holder][3]))

    def levels(self, ref: str, coords: np.ndarray) -> np.ndarray | None:
        """Formation level (m) at each vertex of a piece of a modelled line, or None if it is not one."""
        found = self.piece(ref, coords)
        return None if found is None else found.levels


#: Design quantities a modelled edge may carry as properties (per metre of line, or m).
QUANTITIES = ("cut_m3_per_m", "fill_m3_per_m", "structure_depth_m")


def parse_design(collection: Any) -> DesignLevels:
    """The levels of a GeoJSON FeatureCollection of modelled edges (3-D LineStrings with a ``ref``).

    Features without a third coordinate on every vertex (or not LineStrings) add nothing: their
    edges have no design. The collection's ``stations`` member (``waypoint``, ``waypoint_lon``,
    ``waypoint_lat``, ``lon``, ``lat``) lists where its lines serve waypoints they do not reach.

    Examples
    --------
    >>> d = parse_design({"features": [], "stations": [{"waypoint": "Gumlagh", "waypoint_lon": 46.92167,
    ...                   "waypoint_lat": 39.16972, "lon": 46.904378, "lat": 39.17943}]})
    >>> d.stations
    {(46.92167, 39.16972): [(46.904378, 39.17943)]}
    """
    lines: dict[str, list[tuple[np.ndarray, np.ndarray, dict[str, float]]]] = {}
    feats = collection.get("features", []) if isinstance(collection, dict) else []
    for feat in feats if isinstance(feats, list) else []:
        props = feat.get("properties") if isinstance(feat, dict) else None
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        if not isinstance(props, dict) or not isinstance(geom, dict) or geom.get("type") != "LineString":
            continue  # no design: the edge's profile stays the DEM ground
        coords = geom.get("coordinates")
        try:
            arr = np.asarray(coords, dtype=float)
        except (TypeError, ValueError):
            continue
        if arr.ndim != 2 or arr.shape[1] < 3 or len(arr) < 2 or not np.isfinite(arr[:, :3]).all():
            continue
        q: dict[str, float] = {}
        for name in QUANTITIES:
            v = props.get(name)
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v)):
                q[name] = float(v)
        lines.setdefault(str(props.get("ref") or ""), []).append((arr[:, :2], arr[:, 2], q))
    stations: dict[tuple[float, float], list[tuple[float, float]]] = {}
    listed = collection.get("stations", []) if isinstance(collection, dict) else []
    for st in listed if isinstance(listed, list) else []:
        try:
            at = (float(st["waypoint_lon"]), float(st["waypoint_lat"]))
            xy = (float(st["lon"]), float(st["lat"]))
        except (KeyError, TypeError, ValueError):
            continue
        if all(math.isfinite(v) for v in (*at, *xy)) and xy not in stations.get(at, []):
            stations.setdefault(at, []).append(xy)
    return DesignLevels(lines, stations)


@functools.lru_cache(maxsize=2)
def _load(path: str, stamp: tuple[int, int]) -> DesignLevels:
    del stamp  # part of the cache key only: a rebuilt file is read again
    try:
        collection = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFileError(f"cannot read the reference network {path}: {exc}; rebuild it with "
                            "`python scripts/build_reference_network.py`") from exc
    return parse_design(collection)


def reference_design() -> DesignLevels:
    """The design levels of the embedded reference network (read once per file version)."""
    path = datasets.data_dir() / "reference" / "network.geojson"
    try:
        st = path.stat()
    except OSError as exc:
        raise DataFileError(f"the reference network {path} does not exist yet; build it with "
                            "`python scripts/build_reference_network.py`") from exc
    return _load(str(path), (st.st_mtime_ns, st.st_size))


def piece_levels(attrs: Mapping[str, Any], coords: np.ndarray) -> np.ndarray | None:
    """Formation level at the vertices of a piece of existing line with route attributes ``attrs``.

    Only pieces of the modelled reference network (``attrs["source"]`` is :data:`REFERENCE_SOURCE`)
    have one; None otherwise.
    """
    if attrs.get("source") != REFERENCE_SOURCE:
        return None
    return reference_design().levels(str(attrs.get("ref", "")), np.asarray(coords, dtype=float))


def with_design_levels(route: Route, source: str = REFERENCE_SOURCE, design: DesignLevels | None = None) -> Route:
    """``route`` with the formation level of its segments from modelled edges in ``meta["formation"]``.

    Segments whose ``source`` is ``source`` (the reference network's) and whose ``ref`` and
    vertices are in ``design`` (default: :func:`reference_design`) get a formation run each,
    and the design's :data:`QUANTITIES` as segment columns (as new build has them);
    runs already in the route's meta (new build designed by :func:`corridor.align.trace`)
    are kept. A route with no such segment is returned as it is.
    """
    seg = route.segments
    if "source" not in seg.columns or "ref" not in seg.columns or not (seg["source"] == source).any():
        return route
    design = design if design is not None else reference_design()
    seg = seg.copy()  # the caller's route is left as it is
    off = route.offsets()
    runs: list[dict[str, Any]] = []
    for k, (src, ref, geom) in enumerate(zip(seg["source"], seg["ref"], seg.geometry, strict=True)):
        if src != source or geom is None:
            continue
        xy = np.asarray(geom.coords, dtype=float)[:, :2]
        found = design.piece(str(ref), xy)
        if found is None:
            log.debug("segment %d (%s): no design levels in the reference network", k, ref)
            continue
        runs.append({"start_m": float(off[k]), "distance_m": cumulative_distance(xy[:, 0], xy[:, 1]),
                     "level_m": found.levels})
        for name, value in found.quantities.items():  # the design's earthworks and depths
            if name not in seg.columns:
                seg[name] = math.nan
            seg.iloc[k, seg.columns.get_loc(name)] = value
    if not runs:
        return route
    old = route.meta.get("formation")
    keep = list(old["runs"]) if isinstance(old, dict) and old.get("runs") else []
    allruns = sorted([*keep, *runs], key=lambda r: float(r["start_m"]))
    return replace(route, segments=seg).with_meta(
        formation={"start_lonlat": route.start, "end_lonlat": route.end, "length_m": route.length_m,
                   "runs": allruns})
