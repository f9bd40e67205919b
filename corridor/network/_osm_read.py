"""Stream an OSM file (PBF, XML, XML.bz2) with pyosmium into the normalised edge table.

One Python pass: pyosmium's C++ location index attaches coordinates to way
nodes; the Python side only sees ways with a kept ``highway``/``railway`` key
and main-line station nodes, and has libosmium's writers copy their node ids
(OPL text) and fixed-point coordinates (WKB) into flat arrays, without a Python
object per node (:class:`~corridor.network._osm_nodes.WayVertices`; a way with
both keys once per layer). A second, C++-only pass
over the used node ids finds the locations the index missed (negative ids,
nodes after their ways) and checks that no node id occurs twice with different
coordinates (:mod:`corridor.network._osm_nodes`). Ways are then split at
shared nodes (topology), vertices with invalid coordinates dropped, lengths
measured geodesically and edges cut at unit borders
(:mod:`corridor.network._osm_borders`), all with numpy/shapely array operations.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corridor._errors import EmptyNetworkError, OSMParseError
from corridor._geo import chain_lengths, lengths_of, nearest, pair_distances, segment_lengths
from corridor._types import BBox
from corridor.data.regions import cut_lines, index
from corridor.network import _osm_tags as tagnorm
from corridor.network._graph import apply_gauges
from corridor.network._osm_borders import cut_nodes
from corridor.network._osm_nodes import (
    SCALE,
    UNDEF,
    CNodes,
    WayVertices,
    complete_locations,
    osmium_module,
    valid,
)

log = logging.getLogger(__name__)

__all__ = ["EDGE_COLUMNS", "RawOSM", "build_edges", "read_file"]

#: Columns of the normalised edge table, in order (geometry last).
EDGE_COLUMNS: tuple[str, ...] = ("mode", "osm_way_id", "u", "v", "class", "status", "gauge_mm", "gauge",
                                 "gauge_source", "electrified", "tunnel", "bridge", "oneway", "maxspeed_kmh", "lanes", "name",
                                 "ref", "length_m", "unit", "source")
_LIFECYCLE_KEYS = tuple(f"{s}:railway" for s in tagnorm.RAIL_STATUSES)


@dataclass
class RawOSM:
    """What one OSM file yields: the edge table, station points and provenance."""

    edges: Any
    stations: Any
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Cols:
    """Per-way attribute columns and flat per-vertex arrays."""

    way_id: array = field(default_factory=lambda: array("q"))
    mode: list[str] = field(default_factory=list)
    cls: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    maxspeed: list[str | None] = field(default_factory=list)
    lanes: list[str | None] = field(default_factory=list)
    gauge: list[str | None] = field(default_factory=list)
    electrified: list[str | None] = field(default_factory=list)
    tunnel: list[str | None] = field(default_factory=list)
    bridge: list[str | None] = field(default_factory=list)
    name: list[str | None] = field(default_factory=list)
    ref: list[str | None] = field(default_factory=list)
    oneway: array = field(default_factory=lambda: array("b"))
    #: 1 for the second row of a way kept in both layers (road and rail), else 0
    twin: array = field(default_factory=lambda: array("b"))
    start: array = field(default_factory=lambda: array("q", [0]))
    node: array = field(default_factory=lambda: array("q"))
    x: array = field(default_factory=lambda: array("i"))
    y: array = field(default_factory=lambda: array("i"))
    stations: list[tuple[int, float, float, str, str]] = field(default_factory=list)
    #: geodesic lengths of raw segments i -> i + 1, measured in chunks on a second thread during the scan
    seg_parts: list[Any] = field(default_factory=list)
    #: way nodes the first pass could not locate but a second pass did
    located_late: int = 0
    #: distinct way nodes without a location / with an invalid one (set by build_edges)
    n_missing: int = 0
    n_invalid: int = 0
    #: rows with at least two located vertices (set by build_edges)
    n_usable: int = 0


#: Vertices per chunk measured in the background while the file is scanned.
_SEG_CHUNK = 1 << 18


def _warm_units() -> None:
    """Build the (cached) region-pack unit index; errors surface later, where it is used."""
    import contextlib

    with contextlib.suppress(Exception):
        index()


def _raw_segments(x: array, y: array) -> np.ndarray:
    """Geodesic lengths of the segments ``i -> i + 1`` of a chunk of the raw fixed-point arrays.

    Runs on a worker thread (pyproj releases the GIL). Segments touching a
    vertex without a location are NaN (such vertices are dropped later and
    their neighbours re-measured).
    """

    xs = np.frombuffer(x, dtype=np.int32)
    ys = np.frombuffer(y, dtype=np.int32)
    bad = ~valid(xs, ys)
    lon = np.where(bad, 0, xs) * SCALE
    lat = np.where(bad, 0, ys) * SCALE
    d = segment_lengths(lon, lat, threads=1)
    if bad.any():
        d[bad[:-1] | bad[1:]] = np.nan
    return d


def _has_fast_access(way: Any) -> bool:
    """True if ``way`` exposes the C++ accessors :class:`~corridor.network._osm_nodes.CNodes` and the tag
    look-up use (pyosmium 4)."""
    cw = getattr(way, "_pyosmium_data", None)
    return cw is not None and hasattr(cw, "nodes") and hasattr(cw, "tags_get_value_by_key")


def _scan(path: Path, modes: Sequence[str], classes: Sequence[str]) -> tuple[_Cols, Any]:
    """Read the file; return the columns (every way node located) and the file header.

    While the (GIL-bound) way loop runs, a second thread measures the geodesic
    lengths of the vertex chunks already read (:func:`_raw_segments`). A way
    that is both a kept road and a kept railway gives one row per layer. Then
    :func:`~corridor.network._osm_nodes.complete_locations` finds the nodes the location index could not
    place (negative ids, nodes written after the ways) and checks for duplicate
    node ids.
    """
    from concurrent.futures import ThreadPoolExecutor

    osmium = osmium_module()
    road, rail = "road" in modes, "rail" in modes
    keys = (["highway"] if road else []) + (["railway", *_LIFECYCLE_KEYS] if rail else [])
    fp = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations("flex_mem")
    wf = osmium.filter.KeyFilter(*keys)
    wf.enable_for(osmium.osm.WAY)
    fp.with_filter(wf)
    if rail:
        nf = osmium.filter.TagFilter(*[("railway", v) for v in tagnorm.STATION_VALUES])
    else:
        nf = osmium.filter.EntityFilter(osmium.osm.WAY)
    nf.enable_for(osmium.osm.NODE)
    fp.with_filter(nf)
    header = fp.header
    c = _Cols()
    cls_set = frozenset(classes)
    rail_set = frozenset(tagnorm.RAIL_CLASSES)
    statuses = tagnorm.RAIL_STATUSES
    access_status, road_class, rail_class = tagnorm.access_status, tagnorm.road_class, tagnorm.rail_class
    # every way node is copied by libosmium's OPL and WKB writers, decoded in bulk: no Python object per node
    verts = WayVertices(osmium, c.node, c.x, c.y)
    add_verts = verts.add
    rows: list[tuple[Any, ...]] = []  # one tuple of raw attributes per kept row (one append, not eleven)
    rows_a, oneway_a, twin_a, way_a = rows.append, c.oneway.append, c.twin.append, c.way_id.append
    pool = ThreadPoolExecutor(1, thread_name_prefix="corridor-lengths")
    pool.submit(_warm_units)  # the unit index for the border cut, built while the file is read
    sent = 0  # raw vertices whose segments are submitted (a chunk starts at the previous chunk's last vertex)
    urban = 0
    fast: bool | None = None  # pyosmium's C++ accessors usable (decided on the first way)
    try:
        for o in fp:
            if not o.is_way():
                if o.is_node() and o.location.valid():
                    tg = o.tags
                    if not tagnorm.is_transfer_station(tg):
                        urban += 1  # metro/tram/light-rail stop: no road-rail transfer
                        continue
                    c.stations.append((o.id, o.location.lon, o.location.lat, tg.get("railway", ""),
                                       tg.get("name", "") or ""))
                continue
            tags = o.tags
            if fast is None:
                fast = _has_fast_access(o)
            if fast:  # pyosmium's C++ accessors, without its Python wrappers around each call
                cw = o._pyosmium_data
                nodes: Any = CNodes(cw.nodes(), cw)
                tget = cw.tags_get_value_by_key
            else:
                nodes, tget = o.nodes, tags.get
            if len(nodes) < 2:
                continue
            hw = tget("highway", None) if road else None
            got_road: tuple[str, str] | None = None
            common_tags: tuple[str | None, ...] | None = None
            lanes: str | None = None
            rest = True  # the way may have keys not read yet (access, railway, lifecycle ...)
            if hw is not None and hw in cls_set:
                ms, tu, br, nm, rf = common_tags = (tget("maxspeed", None), tget("tunnel", None), tget("bridge", None),
                                                    tget("name", None), tget("ref", None))
                lanes = tget("lanes", None)
                # most roads carry no other key: then no access, railway or lifecycle key needs looking up
                rest = len(tags) > 1 + (ms is not None) + (tu is not None) + (br is not None) + (nm is not None) \
                    + (rf is not None) + (lanes is not None)
                got_road = (hw, (access_status(tags) if rest else None) or "active")
            elif hw is not None:
                got_road = road_class(tags, classes)
                lanes = tget("lanes", None)
            got_rail: tuple[str, str] | None = None
            if rail and rest:  # independent of the road test: a way with both tags lies in both layers
                rw = tget("railway", None)
                if rw is not None:
                    got_rail = (rw, "active") if rw in rail_set and not any(tget(st, None) == "yes"
                                                                          for st in statuses) else rail_class(tags)
                elif any(tget(k, None) is not None for k in _LIFECYCLE_KEYS):
                    got_rail = rail_class(tags)
            if got_road is None and got_rail is None:
                continue
            if common_tags is None:
                common_tags = (tget("maxspeed", None), tget("tunnel", None), tget("bridge", None), tget("name", None),
                               tget("ref", None))
            twin = 0
            if got_road is not None:
                # fast path (same result as oneway_direction): most roads have no oneway/junction tag and are
                # not motorways; the function call per way costs ~10 % of the scan
                direction = 0 if (hw != "motorway" and hw in cls_set and tget("oneway", None) is None
                                  and tget("junction", None) is None) else tagnorm.oneway_direction(tags)
                rows_a(("road", got_road[0], got_road[1], *common_tags, lanes, None, None))
                oneway_a(direction != 0)
                way_a(o.id)
                twin_a(0)
                twin = 1
                # a backward one-way way (oneway=-1) is stored reversed, so edges run in the travel direction
                add_verts(o, nodes, direction < 0)
                c.start.append(len(verts))
            if got_rail is not None:
                rows_a(("rail", got_rail[0], got_rail[1], *common_tags, None, tget("gauge", None),
                        tget("electrified", None)))
                oneway_a(False)
                way_a(o.id)
                twin_a(twin)
                add_verts(o, nodes, False)
                c.start.append(len(verts))
            if len(verts) - sent >= _SEG_CHUNK:
                verts.flush()
                lo = max(sent - 1, 0)
                c.seg_parts.append(pool.submit(_raw_segments, c.x[lo:], c.y[lo:]))
                sent = len(c.x)
        verts.flush()
        if len(c.x) > sent:
            lo = max(sent - 1, 0)
            c.seg_parts.append(pool.submit(_raw_segments, c.x[lo:], c.y[lo:]))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        verts.close()
    pool.shutdown(wait=False)  # the last chunks finish while the caller starts building edges
    if rows:
        (c.mode, c.cls, c.status, c.maxspeed, c.tunnel, c.bridge, c.name, c.ref, c.lanes, c.gauge,
         c.electrified) = (list(col) for col in zip(*rows, strict=True))
    if urban:
        log.debug("%s: %d metro/tram/light-rail stations give no road-rail transfer", path, urban)
    c.located_late = complete_locations(path, c.node, c.x, c.y, header)
    return c, header


def _mapped(values: list[str | None], fn: Any) -> np.ndarray:
    """Apply ``fn`` once per distinct raw value (tags repeat a lot)."""
    import pandas as pd

    s = pd.Series(values, dtype=object)
    uniq = s.dropna().unique()
    table = {u: fn(u) for u in uniq}
    none = fn(None)
    return np.array([table[v] if v is not None else none for v in values], dtype=object) if len(values) else \
        np.array([], dtype=object)


def build_edges(c: _Cols, *, bbox: BBox | None, source: str, split_units: bool = True) -> Any:
    """Split ways at shared nodes into edges; measure, clip to ``bbox`` and cut at unit borders."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    node = np.frombuffer(c.node, dtype=np.int64) if len(c.node) else np.zeros(0, np.int64)
    x = np.frombuffer(c.x, dtype=np.int32) if len(c.x) else np.zeros(0, np.int32)
    y = np.frombuffer(c.y, dtype=np.int32) if len(c.y) else np.zeros(0, np.int32)
    start = np.frombuffer(c.start, dtype=np.int64)
    nway = len(start) - 1
    way_of = np.repeat(np.arange(nway), np.diff(start))
    # drop vertices without a location (node missing from the extract), with an invalid one
    # (lat beyond +-90 or lon beyond +-180) and repeated nodes
    located = valid(x, y)
    missing = invalid = 0
    if not located.all():
        undef = x == UNDEF
        missing = len(np.unique(node[undef]))
        invalid = len(np.unique(node[~undef & ~located]))
    c.n_missing, c.n_invalid = missing, invalid
    keep = located
    keep[1:] &= (node[1:] != node[:-1]) | (way_of[1:] != way_of[:-1])  # a node repeated in a row
    raw_idx: np.ndarray | None = None  # raw position of each kept vertex (None: all are kept)
    if not keep.all():
        raw_idx = np.flatnonzero(keep)
        node, x, y, way_of = node[keep], x[keep], y[keep], way_of[keep]
    counts = np.bincount(way_of, minlength=nway)
    ok_way = counts >= 2
    c.n_usable = int(ok_way.sum())
    if not ok_way.all():
        v_ok = ok_way[way_of]
        raw_idx = (np.arange(len(node)) if raw_idx is None else raw_idx)[v_ok]
        node, x, y, way_of = node[v_ok], x[v_ok], y[v_ok], way_of[v_ok]
    if len(node) == 0:
        return None, missing
    lon = x.astype(np.float64) * SCALE
    lat = y.astype(np.float64) * SCALE
    seg_len = _kept_segments(c, raw_idx, lon, lat)
    # split points: way ends and nodes used more than once (by any way, or twice by one)
    change = way_of[1:] != way_of[:-1]
    first = np.ones(len(node), bool)
    first[1:] = change
    last = np.ones(len(node), bool)
    last[:-1] = change
    twin = np.frombuffer(c.twin, dtype=np.int8)[way_of] if len(c.twin) else np.zeros(len(node), np.int8)
    if not twin.any():
        order = np.argsort(node)  # nodes used more than once, without np.unique's stable sort
        sorted_node = node[order]
        twice = sorted_node[1:] == sorted_node[:-1]
        dup = np.zeros(len(node), bool)
        dup[order[1:][twice]] = True
        dup[order[:-1][twice]] = True
    else:  # the rail row of a way kept in both layers repeats its road row: count each way once
        prim = np.sort(node[twin == 0])
        dup = np.isin(node, prim[1:][prim[1:] == prim[:-1]])
    split = first | last | dup
    if c.stations:
        split |= np.isin(node, _station_nodes(c, node, lon, lat, way_of))
    # edge e spans split vertex s_e .. next split vertex (inclusive) within one way
    sidx = np.flatnonzero(split & ~last)
    nxt_split = np.flatnonzero(split)
    pos = np.searchsorted(nxt_split, sidx, side="right")
    eidx = nxt_split[pos]
    n_e = len(sidx)
    lens = eidx - sidx + 1
    offs = np.repeat(sidx - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    vid = offs + np.arange(lens.sum())
    edge_of_coord = np.repeat(np.arange(n_e), lens)
    if bbox is not None:
        inb = (lon[vid] >= bbox.left) & (lon[vid] <= bbox.right) & (lat[vid] >= bbox.bottom) & \
              (lat[vid] <= bbox.top)
        any_in = np.zeros(n_e, bool)
        np.logical_or.at(any_in, edge_of_coord, inb)
        # an edge with no vertex inside may still cross the box: test those geometrically
        maybe = ~any_in
        if maybe.any():
            ex0 = np.minimum.reduceat(lon[vid], np.concatenate([[0], np.cumsum(lens)[:-1]]))
            ex1 = np.maximum.reduceat(lon[vid], np.concatenate([[0], np.cumsum(lens)[:-1]]))
            ey0 = np.minimum.reduceat(lat[vid], np.concatenate([[0], np.cumsum(lens)[:-1]]))
            ey1 = np.maximum.reduceat(lat[vid], np.concatenate([[0], np.cumsum(lens)[:-1]]))
            cand = maybe & (ex0 <= bbox.right) & (ex1 >= bbox.left) & (ey0 <= bbox.top) & (ey1 >= bbox.bottom)
            if cand.any():
                ci = np.flatnonzero(cand)
                sel = np.isin(edge_of_coord, ci)
                lines = shapely.linestrings(lon[vid][sel], lat[vid][sel],
                                            indices=np.searchsorted(ci, edge_of_coord[sel]))
                any_in[ci] = shapely.intersects(lines, bbox.to_polygon())
        keep_e = any_in
        if not keep_e.any():
            return None, missing
        sel = keep_e[edge_of_coord]
        vid = vid[sel]
        sidx, eidx, lens = sidx[keep_e], eidx[keep_e], lens[keep_e]
        n_e = len(sidx)
        edge_of_coord = np.repeat(np.arange(n_e), lens)
    geoms = shapely.linestrings(lon[vid], lat[vid], indices=edge_of_coord)
    w = way_of[sidx]
    maxspeed = _mapped(c.maxspeed, tagnorm.parse_maxspeed).astype(float)
    lanes = _mapped(c.lanes, tagnorm.parse_lanes).astype(float)
    gauge_pairs = _mapped(c.gauge, tagnorm.parse_gauge)
    gauge_mm = np.array([g[0] for g in gauge_pairs], dtype=float) if len(gauge_pairs) else np.zeros(0)
    gauge_txt = np.array([g[1] for g in gauge_pairs], dtype=object)
    data = {
        "mode": np.asarray(c.mode, dtype=object)[w],
        "osm_way_id": np.frombuffer(c.way_id, dtype=np.int64)[w],
        "u": node[sidx],
        "v": node[eidx],
        "class": np.asarray(c.cls, dtype=object)[w],
        "status": np.asarray(c.status, dtype=object)[w],
        "gauge_mm": gauge_mm[w],
        "gauge": gauge_txt[w],
        # "tagged" where the way states a gauge; the others are filled in by _network_graph.apply_gauges
        "gauge_source": np.where((np.asarray(c.mode, dtype=object) == "rail") & (gauge_txt != ""), "tagged",
                                 "").astype(object)[w] if len(gauge_txt) else np.zeros(0, dtype=object),
        "electrified": _mapped(c.electrified, tagnorm.norm_electrified)[w],
        "tunnel": _mapped(c.tunnel, tagnorm.is_tunnel).astype(bool)[w],
        "bridge": _mapped(c.bridge, tagnorm.is_bridge).astype(bool)[w],
        "oneway": np.frombuffer(c.oneway, dtype=np.int8).astype(bool)[w] if len(c.oneway) else
        np.zeros(0, bool),
        "maxspeed_kmh": maxspeed[w],
        "lanes": lanes[w],
        "name": _mapped(c.name, tagnorm.norm_text)[w],
        "ref": _mapped(c.ref, tagnorm.norm_text)[w],
    }
    unit: np.ndarray | None = None
    if split_units:  # cut at unit borders on the arrays, before the table is built (one copy of each column)
        eid, unit, geoms, at = cut_lines(geoms)
        if len(at) or len(eid) != n_e:
            data = {k: np.asarray(col)[eid] for k, col in data.items()}
            data["u"], data["v"] = cut_nodes(data["u"], data["v"], eid)
    # geodesic length of each edge from the flat vertex arrays (same segments as lengths_of(geoms))
    length = chain_lengths(lon, lat, sidx, eidx, seg_len)
    if unit is not None and (len(at) or len(eid) != n_e):
        length = length[eid]
        length[at] = lengths_of(geoms[at])
    cols: dict[str, Any] = {**data, "length_m": length, "source": source,
                            "unit": pd.Series(unit if unit is not None else np.full(len(length), None), dtype=object)}
    df = pd.DataFrame({k: cols[k] for k in EDGE_COLUMNS})  # built once, in order: codes; None off every unit
    gdf = gpd.GeoDataFrame(df, geometry=gpd.array.GeometryArray(np.asarray(geoms, dtype=object), crs="EPSG:4326"),
                           crs="EPSG:4326")
    return gdf, missing


def _kept_segments(c: _Cols, raw_idx: np.ndarray | None, lon: np.ndarray, lat: np.ndarray) -> np.ndarray | None:
    """Lengths of segments ``j -> j + 1`` of the kept vertices, from the lengths measured during the scan.

    ``raw_idx`` is the raw position of each kept vertex (``None``: every vertex
    was kept). Where a vertex was dropped between two kept ones (no location,
    repeated node), the new segment is measured here. ``None`` if nothing was
    measured.
    """

    if not c.seg_parts:
        return None
    raw = np.concatenate([f.result() for f in c.seg_parts])
    if raw_idx is None:  # segments of consecutive raw vertices, all located (some only by the second pass)
        fresh = np.flatnonzero(~np.isfinite(raw))
        if len(fresh):
            raw[fresh] = pair_distances(lon[fresh], lat[fresh], lon[fresh + 1], lat[fresh + 1])
        return raw
    if len(raw_idx) < 2:
        return np.zeros(0)
    a = raw_idx[:-1]
    d = raw[a]
    fresh = np.flatnonzero((raw_idx[1:] != a + 1) | ~np.isfinite(d))
    if len(fresh):
        d[fresh] = pair_distances(lon[fresh], lat[fresh], lon[fresh + 1], lat[fresh + 1])
    return np.asarray(d)


def _station_nodes(c: _Cols, node: np.ndarray, lon: np.ndarray, lat: np.ndarray, way_of: np.ndarray) -> np.ndarray:
    """Ids of the rail and road nodes nearest to each station (within the transfer distances).

    As in the routing graph's transfers, only main-line track
    (:data:`~corridor.network._osm_tags.TRANSFER_TRACK_CLASSES`) and open roads count.
    """

    st = np.array([(s[1], s[2]) for s in c.stations], dtype=float)
    ref_lat = float(np.mean(lat)) if len(lat) else 0.0
    mode = np.asarray(c.mode, dtype=object)
    cls = np.asarray(c.cls, dtype=object)
    status = np.asarray(c.status, dtype=object)
    row_ok = {"rail": (mode == "rail") & np.isin(cls, tagnorm.TRANSFER_TRACK_CLASSES),
              "road": (mode == "road") & ~np.isin(status, tagnorm.CLOSED_ROAD_STATUSES)}
    out = []
    for kind, lim in (("rail", tagnorm.STATION_RAIL_M), ("road", tagnorm.STATION_ROAD_M)):
        sel = np.flatnonzero(row_ok[kind][way_of])
        if not len(sel):
            continue
        j, d = nearest(st[:, 0], st[:, 1], lon[sel], lat[sel], ref_lat=ref_lat)
        out.append(node[sel[j]][d <= lim])
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def stations_frame(c: _Cols, bbox: BBox | None) -> Any:
    """Station/halt/yard nodes as a DataFrame (id, lon, lat, kind, name)."""
    import pandas as pd

    df = pd.DataFrame(c.stations, columns=["id", "lon", "lat", "kind", "name"])
    df["id"] = df["id"].astype("int64")
    if bbox is not None and len(df):
        df = df[(df.lon >= bbox.left) & (df.lon <= bbox.right) & (df.lat >= bbox.bottom) & (df.lat <= bbox.top)]
    return df.reset_index(drop=True)


def read_file(path: str | Path, *, modes: Sequence[str], road_classes: Sequence[str], bbox: BBox | None,
              source: str = "osm", split_units: bool = True) -> RawOSM:
    """Read an OSM PBF/XML/XML.bz2 file into a :class:`RawOSM` (see :func:`corridor.network.read_osm`)."""
    path = Path(path)
    if not path.is_file():
        raise OSMParseError(f"OSM file {path} does not exist; check the path")
    size = path.stat().st_size
    if size == 0:
        raise OSMParseError(f"OSM file {path} is empty (0 bytes); download it again")
    try:
        c, header = _scan(path, modes, road_classes)
    except OSMParseError:  # the file was read, and its contents are wrong (duplicate node ids)
        raise
    except RuntimeError as exc:  # libosmium reports parse errors as RuntimeError
        raise OSMParseError(f"cannot parse OSM file {path}: {exc}; the file is corrupt or truncated, "
                            "download it again (check its .md5)") from exc
    except Exception as exc:  # pyosmium raises a few other types for unknown formats
        if type(exc).__module__.startswith("osmium") or isinstance(exc, ValueError | OSError):
            raise OSMParseError(f"cannot read OSM file {path}: {exc}; give a .osm.pbf, .osm or .osm.bz2 file"
                                ) from exc
        raise
    edges, missing = build_edges(c, bbox=bbox, source=source, split_units=split_units)
    if c.n_invalid:
        log.warning("%s: %d way nodes have invalid coordinates (latitude beyond +-90 or longitude beyond "
                    "+-180 degrees); they were skipped", path, c.n_invalid)
    if missing:
        log.warning("%s: %d way nodes are not in the file (outside the extract?); they were skipped", path,
                    missing)
    where = f" inside bbox {tuple(bbox)}" if bbox is not None else ""
    if edges is None or len(edges) == 0:
        if len(c.way_id) and not c.n_usable and (c.n_invalid or missing):
            raise OSMParseError(
                f"{path}: none of its {len(c.way_id)} kept ways has two nodes with a valid location "
                f"({c.n_invalid} way nodes have invalid coordinates, {missing} are not in the file); "
                "fix or download the file again")
        raise EmptyNetworkError(
            f"{path} has no {'/'.join(modes)} ways of the kept classes{where}; widen the bbox, add "
            "modes or lower road_classes (e.g. road_classes='track')")
    if split_units:  # units known: fill in untagged gauges (several files: after they are joined)
        edges = apply_gauges(edges, what=str(path))
    ts = header.get("osmosis_replication_timestamp") or header.get("timestamp") or ""
    info = {"path": str(path), "extract_date": str(ts), "n_ways": len(set(c.way_id)), "missing_nodes": missing,
            "invalid_nodes": c.n_invalid, "located_late": c.located_late, "bytes": size}
    return RawOSM(edges=edges, stations=stations_frame(c, bbox), info=info)
