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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corridor._errors import DataFileError
from corridor._geo import cumulative_distance
from corridor.data import datasets
from corridor.route import Route

log = logging.getLogger(__name__)

__all__ = ["REFERENCE_SOURCE", "DesignLevels", "piece_levels", "reference_design", "with_design_levels"]

#: ``source`` of the reference network's edges (and of the route segments on them).
REFERENCE_SOURCE = "reference (modelled)"

#: Vertex keys: coordinates in micro-degrees (the reference file stores 6 decimals).
_SCALE = 1e6
#: Share of a segment's vertices that must be found for its levels to be used (the others, e.g. vertices
#: added where a line is split at a unit border, are interpolated along the segment).
MIN_FOUND = 0.8


def _key(lon: float, lat: float) -> tuple[int, int]:
    return round(lon * _SCALE), round(lat * _SCALE)


class DesignLevels:
    """Formation levels of modelled edges, looked up by the line's ``ref`` and vertex position.

    Examples
    --------
    >>> import numpy as np
    >>> d = DesignLevels({("x", 1_000_000, 2_000_000): 500.0, ("x", 1_010_000, 2_000_000): 510.0})
    >>> d.levels("x", np.array([[1.0, 2.0], [1.01, 2.0]])).tolist()
    [500.0, 510.0]
    >>> d.levels("y", np.array([[1.0, 2.0], [1.01, 2.0]])) is None
    True
    """

    def __init__(self, table: dict[tuple[str, int, int], float]) -> None:
        self._z = table

    def __len__(self) -> int:
        return len(self._z)

    def levels(self, ref: str, coords: np.ndarray) -> np.ndarray | None:
        """Formation level (m) at each vertex of a piece of a modelled line, or None if it is not one.

        Vertices not in the table (added where the line was split at a unit border) are
        interpolated along the piece; the piece must have both ends and at least
        :data:`MIN_FOUND` of its vertices in the table.
        """
        xy = np.asarray(coords, dtype=float)
        if xy.ndim != 2 or len(xy) < 2:
            return None
        z = np.array([self._z.get((ref, *_key(float(x), float(y))), math.nan) for x, y in xy[:, :2]])
        found = np.isfinite(z)
        if not (found[0] and found[-1]) or found.mean() < MIN_FOUND:
            return None
        if not found.all():
            d = cumulative_distance(xy[:, 0], xy[:, 1])
            z[~found] = np.interp(d[~found], d[found], z[found])
        return z


def parse_design(collection: Any) -> DesignLevels:
    """The levels of a GeoJSON FeatureCollection of modelled edges (3-D LineStrings with a ``ref``).

    Features without a third coordinate (or not LineStrings) add nothing: their edges have no design.
    """
    table: dict[tuple[str, int, int], float] = {}
    feats = collection.get("features", []) if isinstance(collection, dict) else []
    for feat in feats if isinstance(feats, list) else []:
        props = feat.get("properties") if isinstance(feat, dict) else None
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        if not isinstance(props, dict) or not isinstance(geom, dict) or geom.get("type") != "LineString":
            continue  # no design: the edge's profile stays the DEM ground
        ref = str(props.get("ref") or "")
        coords = geom.get("coordinates")
        for c in coords if isinstance(coords, list) else []:
            if isinstance(c, Sequence) and len(c) >= 3 and c[2] is not None:
                z = float(c[2])
                if math.isfinite(z):
                    table[(ref, *_key(float(c[0]), float(c[1])))] = z
    return DesignLevels(table)


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
    vertices are in ``design`` (default: :func:`reference_design`) get a formation run each;
    runs already in the route's meta (new build designed by :func:`corridor.align.trace`)
    are kept. A route with no such segment is returned as it is.
    """
    seg = route.segments
    if "source" not in seg.columns or "ref" not in seg.columns or not (seg["source"] == source).any():
        return route
    design = design if design is not None else reference_design()
    off = route.offsets()
    mine = (seg["source"] == source).to_numpy()
    # lines of several scenarios share stretches (the same waypoints give the same horizontal line) but
    # were designed apart, so their levels differ: every segment takes the level of the line that covers
    # most of the route where that line has it, so the grade line does not jump between designs
    by_ref = seg.loc[mine].groupby(seg.loc[mine, "ref"].astype(str))["length_m"].sum()
    prefer = [str(r) for r in by_ref.sort_values(ascending=False, kind="stable").index]
    runs: list[dict[str, Any]] = []
    for k, (src, ref, geom) in enumerate(zip(seg["source"], seg["ref"], seg.geometry, strict=True)):
        if src != source or geom is None:
            continue
        xy = np.asarray(geom.coords, dtype=float)[:, :2]
        z = None
        for r in [*prefer, str(ref)]:
            z = design.levels(r, xy)
            if z is not None:
                break
        if z is None:
            log.debug("segment %d (%s): no design levels in the reference network", k, ref)
            continue
        runs.append({"start_m": float(off[k]), "distance_m": cumulative_distance(xy[:, 0], xy[:, 1]),
                     "level_m": z})
    if not runs:
        return route
    old = route.meta.get("formation")
    keep = list(old["runs"]) if isinstance(old, dict) and old.get("runs") else []
    allruns = sorted([*keep, *runs], key=lambda r: float(r["start_m"]))
    return route.with_meta(formation={"start_lonlat": route.start, "end_lonlat": route.end,
                                      "length_m": route.length_m, "runs": allruns})
