"""Road and rail networks: load from OSM or the reference table, route on them, cache them.

:func:`load_network` reads a local OSM file (``.osm.pbf``, ``.osm``,
``.osm.bz2``), an Overpass query (``"overpass"``), Geofabrik extracts
(``"geofabrik"``) or the embedded modelled reference network (``"reference"``)
into a :class:`Network`: one normalised edge table (see
:data:`corridor.network.EDGE_COLUMNS`), a node table and provenance. OSM loads are
cached as GeoParquet keyed by source checksum, filter and bbox.

Road and rail are separate layers, joined only at stations through transfer
links; where two track gauges meet (1435/1520 mm) a gauge-break link with its
own cost is added. Routing uses scipy's compressed sparse graphs.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import LineString
>>> from corridor.network import Network
>>> e = gpd.GeoDataFrame({"mode": ["rail", "rail"], "gauge_mm": [1520.0, 1520.0]},
...                      geometry=[LineString([(46.00, 38.92), (46.15, 38.92)]),
...                                LineString([(46.15, 38.92), (46.30, 38.92)])], crs="EPSG:4326")
>>> net = Network.from_edges(e, source="user")
>>> r = net.route((46.0, 38.92), (46.3, 38.92))
>>> r.unit_sequence(), round(r.length_m / 1000, 1)
(['NAX', 'ARM'], 26.0)
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor._errors import EmptyNetworkError, InvalidInputError, NoRouteError
from corridor._types import REGION_BBOX, BBox
from corridor._validate import (
    as_bbox,
    as_items,
    check_lonlat,
    check_mode,
    check_modes,
    check_units,
    renamed,
)
from corridor.data.places import Waypoint, resolve
from corridor.network import _io as io
from corridor.network import osm
from corridor.network._display import network_html, network_map
from corridor.network._graph import Graph, RoutingCosts, gauge_km
from corridor.network._joints import VIA_COLUMN
from corridor.network._nx import (
    GRAPHML_EDGE_DTYPES,
    GRAPHML_NODE_DTYPES,
    from_networkx_tables,
    to_networkx,
)
from corridor.network._routing import MAX_SNAP_M as MAX_SNAP_M  # the route() limit, documented here
from corridor.network._routing import build_route, leg, pair_costs, segments
from corridor.network._simplify import simplify_edges
from corridor.network._solver import Solver

if TYPE_CHECKING:
    import folium
    import geopandas as gpd
    import networkx as nx
    import pandas as pd

    from corridor.route import Route

log = logging.getLogger(__name__)

__all__ = ["GRAPHML_EDGE_DTYPES", "GRAPHML_NODE_DTYPES", "NO_NETWORK_SOURCE", "Network", "RoutingCosts", "as_network",
           "load_network"]

#: The network source of a route traced over no network (new alignment over the DEM only): the label
#: of its ``network_source`` and of the provenance, so the two always read the same.
NO_NETWORK_SOURCE = "none (new alignment only, modelled)"

#: Old names, kept for one release (``DeprecationWarning``).
__getattr__ = renamed(__name__, {"Costs": ("RoutingCosts", RoutingCosts)})

_WEIGHTS = ("length", "time")

class Network:
    """A routable road/rail network.

    Attributes
    ----------
    edges : geopandas.GeoDataFrame
        The normalised edge table (EPSG:4326), columns of :data:`corridor.network.EDGE_COLUMNS`.
    stations : pandas.DataFrame
        Station/halt/yard points (id, lon, lat, kind, name) where road-rail transfers are placed.
    meta : dict
        Provenance: source, path, checksum, extract_date, filter, bbox, modelled, cache.
    costs : RoutingCosts
        Transfer and gauge-break penalties, and the road statuses left out of routing
        (``closed_road_statuses``: construction, proposed, private, no_access; the edges stay in
        :attr:`edges`). Pass ``RoutingCosts(closed_road_statuses=())`` to route on them too.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> edges = gpd.GeoDataFrame({"mode": ["rail", "rail"]}, crs="EPSG:4326", geometry=[
    ...     LineString([(46.0, 38.92), (46.1, 38.92)]), LineString([(46.1, 38.92), (46.2, 38.93)])])
    >>> net = Network.from_edges(edges)  # cut at the NAX/ARM border; the two NAX pieces are merged
    >>> len(net), net.route((46.0, 38.92), (46.2, 38.93)).unit_sequence()
    (2, ['NAX', 'ARM'])
    >>> len(Network.from_edges(edges, simplify=False))  # one edge per piece
    3
    """

    def __init__(self, edges: Any, *, stations: Any = None, meta: dict[str, Any] | None = None,
                 costs: RoutingCosts | None = None, simplify: bool = True) -> None:
        import pandas as pd

        if edges is None or len(edges) == 0:
            raise EmptyNetworkError("a network needs at least one edge; widen the bbox or change the source")
        self.stations = stations if stations is not None else pd.DataFrame(
            {"id": pd.Series(dtype="int64"), "lon": pd.Series(dtype=float), "lat": pd.Series(dtype=float),
             "kind": pd.Series(dtype=object), "name": pd.Series(dtype=object)})
        self.meta: dict[str, Any] = dict(meta or {})
        # meta["simplified"]: the table was simplified; meta["keep_all_nodes"]: every node is a station of
        # the lines (the modelled reference network's waypoints), so none is merged away
        simplify = simplify and not self.meta.get("keep_all_nodes")
        if simplify and not self.meta.get("simplified"):
            edges = simplify_edges(edges, stations=self.stations)
        self.meta["simplified"] = bool(simplify or self.meta.get("simplified"))
        self.edges = edges
        self.costs = costs or RoutingCosts()
        self._solvers: dict[tuple[Any, ...], Solver] = {}

    @classmethod
    def from_edges(cls, edges: gpd.GeoDataFrame, *, source: str = "user", stations: pd.DataFrame | None = None,
                   meta: dict[str, Any] | None = None, costs: RoutingCosts | None = None,
                   simplify: bool = True) -> Network:
        """A network from any LineString GeoDataFrame; missing columns get defaults.

        ``u``/``v`` are derived from shared end points when absent, ``unit`` by
        cutting at borders, ``length_m`` geodesically.
        """
        edges = io.normalise(edges, source=source)
        m = {"source": source, "modelled": "modelled" in source, **(meta or {})}
        return cls(edges, stations=stations, meta=m, costs=costs, simplify=simplify)

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.edges)

    def __repr__(self) -> str:
        modes = ", ".join(f"{m}={n}" for m, n in self.edges["mode"].value_counts().sort_index().items())
        return f"Network(source={self.meta.get('source', '?')!r}, edges={len(self)}, {modes})"

    def _repr_html_(self) -> str:
        """Compact summary: km by mode and status, provenance, a small plan (see :mod:`._display`)."""
        return network_html(self)

    def explore(self, *, tiles: str | None = "OpenStreetMap", m: folium.Map | None = None,
                simplify_deg: float = 0.0005) -> folium.Map:
        """An interactive, offline-capable folium map of the network (see :func:`._display.network_map`)."""
        fmap: folium.Map = network_map(self, tiles=tiles, m=m, simplify_deg=simplify_deg)
        return fmap

    @cached_property
    def nodes(self) -> gpd.GeoDataFrame:
        """Node table: index ``node`` id, ``x`` (lon), ``y`` (lat), ``mode`` (road, rail or road;rail)."""
        import geopandas as gpd
        import pandas as pd
        import shapely

        e = self.edges
        xy, idx = shapely.get_coordinates(e.geometry.values, return_index=True)
        n = len(e)
        f = np.searchsorted(idx, np.arange(n), side="left")
        la = np.searchsorted(idx, np.arange(n), side="right") - 1
        df = pd.DataFrame({"node": np.concatenate([e["u"].to_numpy(), e["v"].to_numpy()]),
                           "x": np.concatenate([xy[f, 0], xy[la, 0]]),
                           "y": np.concatenate([xy[f, 1], xy[la, 1]]),
                           "mode": np.concatenate([e["mode"].to_numpy(), e["mode"].to_numpy()])})
        modes = df.groupby("node")["mode"].agg(lambda s: ";".join(sorted(set(s))))
        first = df.drop_duplicates("node").set_index("node")[["x", "y"]]
        out = first.join(modes)
        return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out["x"], out["y"]), crs="EPSG:4326")

    @property
    def gauge_km(self) -> dict[str, float]:
        """Kilometres of rail by ``gauge_source``: ``tagged``, ``inferred-neighbour``, ``assumed-unit``,
        ``assumed-default`` (how much of the gauge layer rests on assumptions)."""
        return gauge_km(self.edges)

    @cached_property
    def graph(self) -> Graph:
        """The layered routing graph (built on first use)."""
        return Graph(self.edges, self.stations, self.costs)

    def _solver(self, mode: str | None, weight: str, avoid: tuple[str, ...]) -> Solver:
        if weight not in _WEIGHTS:
            raise InvalidInputError(f"unknown weight {weight!r}; use 'length' or 'time'")
        if mode is not None:
            check_mode(mode)
        key = (mode, weight, avoid)
        if key not in self._solvers:
            self._solvers[key] = Solver(self.graph, mode, weight, avoid)
        return self._solvers[key]

    # ------------------------------------------------------------------ queries
    def nearest_node(self, lon: float, lat: float, *, mode: str | None = None) -> tuple[int, float]:
        """Nearest node ``(node id, distance in m)``, optionally of one mode.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import LineString
        >>> net = Network.from_edges(gpd.GeoDataFrame({"mode": ["road"]},
        ...     geometry=[LineString([(44.50, 40.18), (44.60, 40.18)])], crs="EPSG:4326"))
        >>> node, d = net.nearest_node(44.60, 40.181)
        >>> round(d)
        111
        """

        x, y = check_lonlat(lon, lat)
        vs, d = self._solver(mode, "length", ()).candidates(x, y, k=1)
        if not len(vs):
            raise EmptyNetworkError(f"the network has no {mode or ''} edges to snap to; load that mode")
        return int(self._solver(mode, "length", ()).node_of(vs[:1])[0]), float(d[0])

    def route(self, orig: Waypoint, dest: Waypoint, *, weight: str = "length",
              via: Waypoint | Iterable[Waypoint] = (), avoid_units: Iterable[str] = (), mode: str | None = None,
              name: str | None = None) -> Route:
        """Shortest route between places over the network.

        Parameters
        ----------
        orig, dest : str, (lon, lat) or Place
            Place names are looked up in the gazetteer. Each leg may start and
            end at any node (of any layer ``mode`` allows; a node simplification
            merged away into an edge counts, the route then runs on part of
            that edge) at most
            ``corridor.settings.snap_tolerance_m`` farther from its waypoint than
            the nearest node; the distance from the waypoint counts as an access
            cost (:data:`corridor.network._graph.ACCESS_FACTOR` x metres, or
            seconds at ``ACCESS_SPEED_KMH``), and the cheapest start/path/end
            wins. So with ``mode=None`` a road 90 m away beats a rail line 10 m
            away that needs a transfer. If the nearest node has no path to the
            other end, the route starts at the next one that has and a
            ``UserWarning`` says so; farther than the tolerance it is a
            :class:`NoRouteError`. ``meta["snap_m"]`` lists the snap metres.
        weight : {"length", "time"}
            Minimise metres or seconds (speed from ``maxspeed`` or the class
            default; transfers and gauge breaks add their penalties).
        via : place or iterable of places
            Intermediate places, visited in order (one name is one place).
        avoid_units : iterable of unit codes
            Edges in these units are not used.
        mode : {"road", "rail"} or None
            Restrict to one layer; None lets the route change mode at stations.
        name : str, optional
            Route name (default ``"A - B"``).

        Returns
        -------
        corridor.route.Route
            Segments with ``build="existing"``, the edge attributes, ``structure``
            from tunnel/bridge, and ``transfer``/``gauge_break`` flags on the links
            of class ``transfer``/``gauge_break``.

        Raises
        ------
        NoRouteError
            The places are not connected, or only through nodes farther than
            the snap tolerance, or are more than ``MAX_SNAP_M`` from the network.
        ParameterError
            ``settings.snap_tolerance_m`` is not a finite number >= 0.
        UnknownPlaceError, InvalidInputError, UnknownUnitError

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import LineString
        >>> e = gpd.GeoDataFrame({"mode": ["road", "road"], "class": ["primary", "secondary"]},
        ...     geometry=[LineString([(44.50, 40.18), (44.60, 40.18)]),
        ...               LineString([(44.60, 40.18), (44.60, 40.25)])], crs="EPSG:4326")
        >>> r = Network.from_edges(e).route((44.50, 40.18), (44.60, 40.25), mode="road")
        >>> len(r.segments), r.segments["build"].unique().tolist(), round(r.length_m)
        (2, ['existing'], 16290)
        """

        avoid = tuple(sorted(check_units(list(avoid_units), what="avoid_units unit")))
        pts = [resolve(orig), *[resolve(v) for v in as_items(via)], resolve(dest)]
        s = self._solver(mode, weight, avoid)
        rows: list[dict[str, Any]] = []
        geoms: list[Any] = []
        cost_total = 0.0
        snaps: list[float] = []
        for p in pts:
            if p.unit in avoid:
                raise NoRouteError(f"{p.name!r} lies in {p.unit}, which avoid_units excludes; move the waypoint "
                                   "or stop avoiding that unit")
        src_label = str(self.meta.get("source", "osm"))
        for p, q in itertools.pairwise(pts):
            cost, path, d_o, d_d = leg(s, p, q, mode)
            cost_total += cost
            snaps += [d_o, d_d]
            segments(self.graph, self.edges, self.stations, src_label, s, path, rows, geoms)
        meta = {"network_source": src_label, "weight": weight, "cost": cost_total, "snap_m": snaps,
                "modelled": "modelled" in src_label, "avoid_units": list(avoid)}
        return build_route(rows, geoms, pts, mode=mode, name=name, source=src_label, meta=meta)

    def shortest_lengths(self, orig_nodes: Sequence[int], dest_nodes: Sequence[int], *, weight: str = "length",
                         mode: str | None = None) -> np.ndarray:
        """Shortest-path costs between OSM node ids, pairwise (``inf`` where disconnected).

        The batch form of :meth:`route` without building Route objects (for
        accessibility sweeps and benchmarks). Nodes present in several layers
        (a gauge-break node) start/end in any of them; a node simplification
        merged away into an edge (listed in its ``via_nodes``) is one too.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import LineString
        >>> net = Network.from_edges(gpd.GeoDataFrame({"mode": ["road"]},
        ...     geometry=[LineString([(44.50, 40.18), (44.60, 40.18)])], crs="EPSG:4326"))
        >>> u, v = int(net.edges.u[0]), int(net.edges.v[0])
        >>> net.shortest_lengths([u], [v]).round().tolist()
        [8517.0]
        """
        return pair_costs(self._solver(mode, weight, ()), orig_nodes, dest_nodes)

    # ------------------------------------------------------------------ views
    def to_networkx(self, *, mode: str | None = None, weight_attrs: bool = True,
                    simplify: bool | None = None, closed_roads: bool = True) -> nx.MultiDiGraph:
        """An osmnx-compatible ``networkx.MultiDiGraph`` of the network's links.

        Nodes are keyed by OSM node id (rail vertices of a node that is also a
        vertex of another layer by ``gauge_mm * LAYER_STRIDE + id``) with ``x``,
        ``y``, ``street_count``, ``osm_node`` and ``layer``; edges carry
        ``osmid``, ``highway``/``railway``, ``length``, ``maxspeed``,
        ``speed_kph``, ``travel_time``, ``oneway``, ``reversed``, ``geometry``,
        corridor's attributes and the router's costs ``weight_length`` /
        ``weight_time`` (penalties included). With ``simplify`` (default: True if
        the network was built simplified) the graph is merged by osmnx's
        topological rule and ``graph["simplified"]`` is True; False gives the
        network's own links (what :meth:`from_networkx` turns back into the
        same table). The conventions, and the dtypes to pass to
        ``osmnx.load_graphml``, are in :mod:`corridor.network._nx`.

        Parameters
        ----------
        mode : {"road", "rail"} or None
            One layer, or both with the transfer and gauge-break links.
        weight_attrs : bool
            Add ``weight_length`` / ``weight_time``.
        simplify : bool or None
            Merge by osmnx's rule (None: if the network was built simplified).
        closed_roads : bool
            Hold the road edges of a status in ``costs.closed_road_statuses``
            (construction, proposed, private, no_access), which :meth:`route`
            never takes: their ``weight_length`` / ``weight_time`` are ``inf``.
            False leaves them out and gives the routing graph alone (as osmnx's
            ``drive`` network leaves out such ways), where shortest paths by
            ``length`` are the router's too; :meth:`from_networkx` of it has no
            such roads.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import LineString
        >>> net = Network.from_edges(gpd.GeoDataFrame({"mode": ["road"], "osm_way_id": [42]},
        ...     geometry=[LineString([(44.50, 40.18), (44.60, 40.18)])], crs="EPSG:4326"))
        >>> mg = net.to_networkx()
        >>> mg.number_of_nodes(), mg.number_of_edges(), mg.graph["crs"], mg.graph["simplified"]
        (2, 2, 'EPSG:4326', True)
        >>> sorted({d["osmid"] for _, _, d in mg.edges(data=True)}), round(mg.edges[1, 2, 0]["length"])
        ([42], 8517)
        """
        self._solver(mode, "length", ())  # validates mode
        return to_networkx(self, mode=mode, weight_attrs=weight_attrs, simplify=simplify, closed_roads=closed_roads)

    @classmethod
    def from_networkx(cls, G: Any, *, source: str | None = None, simplify: bool = True) -> Network:  # noqa: N803
        """A network from an osmnx ``MultiDiGraph`` (or one made by :meth:`to_networkx`).

        See :func:`corridor.network._nx.from_networkx_tables` for how attributes map.
        ``source`` labels the edges; default: the source of the network a graph of
        :meth:`to_networkx` came from (so the modelled reference network stays labelled
        modelled), else ``"osmnx"``.
        ``simplify`` merges chains as :func:`load_network` does, except for the
        graph of a network that is never simplified (``graph["keep_all_nodes"]``,
        set by :meth:`to_networkx` of the modelled reference network): its
        nodes all stay, as in the network it came from.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import LineString
        >>> net = Network.from_edges(gpd.GeoDataFrame({"mode": ["road", "road"], "class": ["primary"] * 2},
        ...     geometry=[LineString([(44.50, 40.18), (44.55, 40.18)]), LineString([(44.55, 40.18), (44.60, 40.2)])],
        ...     crs="EPSG:4326"), simplify=False)
        >>> back = Network.from_networkx(net.to_networkx(), simplify=False)
        >>> len(back), bool(abs(back.edges.length_m.sum() - net.edges.length_m.sum()) < 1e-6)
        (2, True)
        """
        if source is None:  # a graph corridor made carries its network's source as its name
            made_here = str(G.graph.get("created_with", "")).startswith("corridor")
            source = str(G.graph.get("name")) if made_here and G.graph.get("name") else "osmnx"
        gdf, stations, ways, vias = from_networkx_tables(G)
        keep = G.graph.get("keep_all_nodes") in (True, "True")  # GraphML gives the text back
        net = cls.from_edges(gdf, source=source, simplify=False, stations=stations,
                             meta={"keep_all_nodes": True} if keep else None)
        if len(net.edges) == len(gdf):  # no edge was cut at a border: keep the way and merged-node lists
            net.edges["osm_way_ids"] = ways
            net.edges[VIA_COLUMN] = vias
        if simplify:
            return cls(net.edges, stations=net.stations, meta={**net.meta, "simplified": False}, simplify=True)
        return net

    def subset(self, bbox: BBox | str | Sequence[float] | None) -> Network:
        """The edges intersecting ``bbox`` (left, bottom, right, top) as a new Network.

        Raises :class:`EmptyNetworkError` if none does.
        """

        box = as_bbox(bbox)
        if box is None:
            return self
        hit = self.edges.intersects(box.to_polygon())
        if not hit.any():
            raise EmptyNetworkError(f"no edges in bbox {tuple(box)}; the network covers "
                                    f"{tuple(round(float(v), 3) for v in self.edges.total_bounds)}")
        sub = self.edges[hit].reset_index(drop=True)
        st = self.stations
        if len(st):
            st = st[(st.lon >= box.left) & (st.lon <= box.right) & (st.lat >= box.bottom) & (st.lat <= box.top)]
        return Network(sub, stations=st.reset_index(drop=True), meta={**self.meta, "bbox": list(box)},
                       costs=self.costs, simplify=bool(self.meta.get("simplified")))


# ---------------------------------------------------------------------------------- loading
def load_network(source: str | os.PathLike[str], *, modes: Sequence[str] = ("road", "rail"),
                 bbox: BBox | str | Sequence[float] | None = None,
                 region: str | Iterable[str] | None = None, road_classes: str | Iterable[str] | None = None,
                 cache: bool = True, simplify: bool = True) -> Network:
    """Load a road/rail network.

    Parameters
    ----------
    source : path or {"reference", "overpass", "geofabrik"}
        A local ``.osm.pbf``/``.osm``/``.osm.bz2`` file; ``"overpass"`` (queries
        ``settings.overpass_url`` for ``bbox``, cached); ``"geofabrik"``
        (downloads the extracts of ``region``, default all five, clipped to
        ``bbox`` or the region pack extent); ``"reference"`` (the embedded
        MODELLED network, ``source="reference (modelled)"``).
    modes : sequence of {"road", "rail"}
    bbox : BBox or (left, bottom, right, top), optional
        Keep edges intersecting this box.
    region : str or list, optional
        Region names (``armenia``, ``azerbaijan``, ``georgia``, ``turkey``,
        ``iran``, ``caucasus``) or unit codes (``ARM``, ``NAX`` ...): keep only
        edges in these units; for ``"geofabrik"`` also picks the extracts.
    road_classes : str or list, optional
        ``None`` = motorway ... tertiary and links; a level such as
        ``"unclassified"`` or ``"track"`` keeps everything down to it.
    cache : bool
        Reuse / write the GeoParquet cache for OSM sources.
    simplify : bool
        Merge chains of edges through nodes where nothing else meets and no
        attribute changes (:func:`corridor.network._simplify.simplify_edges`); the
        nodes merged away are listed in the column ``via_nodes`` and stay route
        ends, so routes are those of the unsimplified table. False keeps one
        edge per piece of way between shared nodes. The reference network is
        never simplified: its edges end at the scenarios' waypoints, which a
        trace over it (:func:`corridor.align.trace`) must reach as nodes.

    Returns
    -------
    Network

    Raises
    ------
    InvalidInputError, InvalidBBoxError
        Unknown mode/region/road class; malformed bbox.
    OSMParseError, DataFileError
        Missing, empty, corrupt or truncated file; reference network missing.
    EmptyNetworkError
        No edges after filters and bbox.
    DownloadError
        Overpass/Geofabrik unreachable after retries.

    Examples
    --------
    >>> import tempfile, osmium
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "x.osm"
    >>> with osmium.SimpleWriter(str(p)) as w:
    ...     for i, (x, y) in enumerate([(44.50, 40.18), (44.52, 40.19), (44.55, 40.19)], 1):
    ...         w.add_node(osmium.osm.mutable.Node(id=i, location=(x, y)))
    ...     w.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2, 3], tags={"railway": "disused"}))
    >>> net = load_network(p, cache=False)
    >>> net.edges[["mode", "status", "unit"]].values.tolist()
    [['rail', 'disused', 'ARM']]
    """

    mds = check_modes(modes)
    box = as_bbox(bbox)
    units = io.region_units(region)
    if isinstance(source, str) and source.strip().lower() in ("reference", "overpass", "geofabrik"):
        kind = source.strip().lower()
    elif isinstance(source, str | os.PathLike):
        kind = "file"
    else:
        raise InvalidInputError(f"network source {source!r} is not a path or one of 'reference', 'overpass', "
                                "'geofabrik'")
    if kind == "reference":
        edges, meta = io.load_reference()
        edges = edges[edges["mode"].isin(mds)].reset_index(drop=True)
        if not len(edges):
            raise EmptyNetworkError(f"the reference network has no {'/'.join(mds)} edges; use other modes")
        net = Network(io.filter_units(edges, units, "the reference network"), meta={**meta, "region": list(units)},
                      simplify=simplify)  # meta["keep_all_nodes"]: never simplified
        return net.subset(box) if box is not None else net
    classes = osm.tagnorm.resolve_road_classes(road_classes)
    spec = io.filter_spec(mds, classes)
    if kind == "file":
        path = Path(source)
        osm.check_suffix(path)
        paths, label = [path], "osm"
    elif kind == "overpass":
        if box is None:
            if not units:
                raise InvalidInputError("source='overpass' needs a bbox (or a region of unit codes)")
            box = io.units_bbox(units)
        paths, label = [osm.fetch_overpass(box, modes=mds, road_classes=classes)], "osm (overpass)"
    else:
        box = box or (io.units_bbox(units) if units else REGION_BBOX)
        paths = osm.fetch_geofabrik(region if region is not None else "caucasus")
        label = "osm (geofabrik)"
    sums = [osm.file_checksum(p, remember=False) for p in paths]  # memo written only after a good parse
    key = io.cache_key({"checksums": sums, "filter": spec, "bbox": list(box) if box else None,
                        "units": list(units), "simplify": simplify})
    if cache:
        with io.gc_paused():
            hit = io.read_cache(key)
        if hit is not None:
            edges, stations, meta = hit
            log.info("network loaded from cache %s", io.cache_dir(key))
            return Network(edges, stations=stations, meta={**meta, "cache": str(io.cache_dir(key))},
                           simplify=simplify)
    with io.gc_paused():
        edges, stations, infos = io.read_paths(paths, mds, classes, box, label)
    edges = io.filter_units(edges, units, ", ".join(str(p) for p in paths))
    meta = {"source": label, "path": str(paths[0]) if len(paths) == 1 else [str(p) for p in paths],
            "checksum": sums[0] if len(sums) == 1 else sums,
            "extract_date": infos[0].get("extract_date", "") if infos else "", "filter": spec,
            "bbox": list(box) if box else None, "region": list(units), "modelled": False,
            "missing_nodes": sum(int(i.get("missing_nodes", 0)) for i in infos),
            "invalid_nodes": sum(int(i.get("invalid_nodes", 0)) for i in infos), "gauge_km": gauge_km(edges)}
    for p, digest in zip(paths, sums, strict=True):
        osm.remember_checksum(p, digest)
    net = Network(edges, stations=stations, meta=meta, simplify=simplify)
    if cache:
        io.write_cache(key, net.edges, stations, net.meta)
    return net


def as_network(network: Network | str | os.PathLike[str] | None, *,
               error: type[InvalidInputError] = InvalidInputError) -> Network | None:
    """The network behind a ``network=`` argument (the one resolver of network references).

    ``None`` (no network) and a :class:`Network` (or another object with an
    ``edges`` table) are returned as they are;
    ``"reference"`` loads the modelled reference network; a path to an existing
    OSM file is loaded with :func:`load_network`. Anything else raises ``error``.

    Examples
    --------
    >>> as_network(None) is None, as_network("reference").meta["modelled"]
    (True, True)
    """
    if isinstance(network, str) and network.strip().lower() == "reference":
        return load_network("reference")
    if isinstance(network, str | os.PathLike):
        if Path(network).is_file():
            return load_network(network)
    elif network is None or isinstance(network, Network) or hasattr(network, "edges"):
        return network  # an object with an edge table routes like a Network (tests use stand-ins)
    raise error(f"network {network!r} is not a Network; give a Network, 'reference', the path of an OSM file "
                "or None")
