"""Route evaluation and comparison: the figures a transport planner presents.

:func:`evaluate` turns a :class:`~corridor.route.Route` into :class:`RouteMetrics`:
geodesic length by country unit and build type, border crossings (named when a
known crossing point of the gazetteer on the same border is within 5 km), gauge breaks and
transfers, the terrain profile summary, detour factor, travel time (speed by
mode, class and grade, plus dwell at borders and gauge breaks), and a
low/central/high construction cost band (unit costs of :mod:`corridor.costs`
by build type, mode and terrain class, plus tunnels and bridges, the earthworks
of the vertical design of new build, and border and gauge facilities; parts in
``RouteMetrics.cost_parts_musd``).

:func:`compare` makes one table row per route with a weighted multi-criteria
score and rank (:mod:`corridor.evaluation.ranking`), and the published figures of each
scenario beside the modelled ones. :func:`sensitivity` shows how the rank
order changes as each weight and unit cost varies by ±50 %.

Every figure on the embedded data is **modelled**: the reference network is
not OpenStreetMap, and the DEM is the 30″ GLOBE model. ``RouteMetrics`` and the
table carry ``network_source`` and ``dem_source`` so this is never lost.

Examples
--------
>>> from shapely.geometry import LineString
>>> from corridor.route import Route
>>> from corridor.evaluation import evaluate
>>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="demo")
>>> m = evaluate(r)
>>> round(m.length_km, 1), m.n_crossings, m.crossings[0]["to_unit"]
(26.0, 1, 'ARM')
>>> m.cost_musd[0] <= m.cost_musd[1] <= m.cost_musd[2]
True
>>> row = m.as_row()
>>> round(row["length_km_NAX"] + row["length_km_ARM"], 1)
26.0
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from corridor import scenarios
from corridor._errors import InvalidInputError, ParameterError
from corridor._validate import as_items
from corridor.costs import CostParams
from corridor.evaluation import _borders as borders
from corridor.evaluation import _core as core
from corridor.evaluation._display import Comparison, metrics_html
from corridor.evaluation._inputs import as_route, network_source, open_dem, symmetric_step
from corridor.evaluation._rows import ROW_COLUMNS, TEXT_COLUMNS, published_columns, row_values
from corridor.evaluation.ranking import (
    check_weights,
    order_text,
    rank,
    rank_changes,
    rank_groups,
    ranks_text,
    score,
)
from corridor.evaluation.uncertainty_bands import (
    DEFAULT_SEED,
    DemBand,
    check_samples,
    dem_band,
)
from corridor.network.core import Network, as_network
from corridor.route import Route
from corridor.terrain.dem import DEMLike
from corridor.terrain.profiles import profile as make_profile

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

__all__ = ["RouteMetrics", "compare", "evaluate", "sensitivity"]

#: A crossing counts as known when a gazetteer crossing point of its border lies this close (m).
KNOWN_CROSSING_TOLERANCE_M = 5000.0


@dataclass(frozen=True, eq=False)
class RouteMetrics:
    """Everything :func:`evaluate` measures on one route.

    Attributes
    ----------
    name, mode : str
        From the route.
    length_m : float
        Total geodesic length.
    length_by_unit_m : dict
        Metres per unit code (ARM, AZE, NAX, GEO, TUR, IRN, RUS) and ``outside``; sums to ``length_m``.
    length_by_build_m : dict
        Metres of ``existing_active``, ``existing_disused`` (rehabilitation) and ``new``.
    crossings : list of dict
        ``from_unit``, ``to_unit``, ``lon``, ``lat``, ``distance_km``, ``known``, ``known_name``,
        ``excursion`` (bounds a short run along a border: no border stop, see
        ``CostParams.border_excursion_max_m``). ``known``: a border stop at a crossing point of the
        gazetteer on the border between the two units (:func:`corridor.evaluation.crossings`);
        an excursion is never known, so ``n_known_crossings`` counts crossings made at known points.
    gauge_breaks : list of dict
        ``lon``, ``lat``, ``distance_km``, ``from_gauge_mm``, ``to_gauge_mm``.
    n_transfers : int
        Road-rail transfers.
    profile : corridor.terrain.Profile
        The elevation profile along the route.
    detour_factor : float
        Length over the great-circle distance between the ends (NaN for a loop).
    time_h : float
        Travel time: running time plus dwell; parts in ``time_parts_h``.
    cost_musd : tuple of float
        Construction cost band ``(low, central, high)``, millions of US dollars.
    quantities_km : dict
        Km per ``(mode, build, terrain, structure)`` bucket, the basis of the cost.
    terrain_class : str
        Dominant terrain class (``flat``, ``rolling``, ``mountainous``) by length.
    terrain_km : dict
        Km per terrain class.
    tunnel_km, bridge_km : float
        Length of tunnels and bridges (existing and new).
    cut_m3, fill_m3 : float
        Earthwork volumes of the vertical design of new build (existing edges: none).
    structures : tuple of corridor.align.vertical.Structure
        Tunnels and bridges in travel order: ``kind``, ``start_m`` (``start_km``),
        ``length_m``, ``max_depth_m`` (greatest depth below / height above ground;
        NaN on existing edges, which keep their own tunnel/bridge attributes).
    cost_parts_musd : dict
        ``(low, central, high)`` MUSD by part: ``open_line``, ``earthworks``,
        ``tunnels``, ``bridges``, ``border_gauge`` (facilities); they sum to ``cost_musd``.
    quantities_km_by_unit, earthworks_m3_by_unit : dict
        ``quantities_km`` and ``(cut_m3, fill_m3)`` of the route's part in each unit it enters, the
        basis of :meth:`cost_in_unit_musd` (``cost_central_musd_<unit>`` in :meth:`as_row`).
    dem_band : DemBand or None
        DEM-uncertainty band of tunnel km, bridge km and central cost
        (:mod:`corridor.evaluation.uncertainty_bands`; columns ``*_dem_p10``/``*_dem_p90``);
        None when not computed (``dem_samples=0``).
    over_ruling_km : float
        Km whose grade exceeds ``ruling_grade``: the grade the route was traced to
        (``route.meta["max_grade"]``), else ``CostParams.<mode>_ruling_grade`` (rail 12.5 ‰, road 8 %).
    source, network_source, dem_source : str
        Provenance of the route, its network and the DEM.
    modelled : bool
        True if any figure rests on modelled geometry (new build, reference network).
    published : tuple of dict
        Published figures of the scenario (``figure``, ``value``, ``unit``, ``source``).
    params : CostParams
        The parameters used.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> m = evaluate(Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail"))
    >>> isinstance(m, RouteMetrics), m.mode, round(m.length_km, 1)
    (True, 'rail', 26.0)
    >>> abs(sum(m.length_by_unit_m.values()) - m.length_m) < 1.0
    True
    """

    name: str
    mode: str
    length_m: float
    length_by_unit_m: Mapping[str, float]
    length_by_build_m: Mapping[str, float]
    crossings: list[dict[str, Any]]
    gauge_breaks: list[dict[str, Any]]
    n_transfers: int
    profile: Any
    detour_factor: float
    time_h: float
    time_parts_h: Mapping[str, float]
    cost_musd: tuple[float, float, float]
    quantities_km: Mapping[tuple[str, str, str, str], float]
    terrain_class: str
    terrain_km: Mapping[str, float]
    tunnel_km: float
    bridge_km: float
    over_ruling_km: float
    ruling_grade: float
    source: str
    modelled: bool
    network_source: str
    dem_source: str
    published: tuple[Mapping[str, Any], ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    params: CostParams = field(default_factory=CostParams)
    cut_m3: float = 0.0
    fill_m3: float = 0.0
    structures: tuple[Any, ...] = ()
    cost_parts_musd: Mapping[str, tuple[float, float, float]] = field(default_factory=dict)
    dem_band: DemBand | None = None
    quantities_km_by_unit: Mapping[str, Mapping[tuple[str, str, str, str], float]] = field(default_factory=dict)
    earthworks_m3_by_unit: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def length_km(self) -> float:
        """Total length in km."""
        return self.length_m / 1000.0

    @property
    def n_crossings(self) -> int:
        """Number of unit changes along the route."""
        return len(self.crossings)

    @property
    def n_border_stops(self) -> int:
        """Crossings that are not short excursions along a border (they get a border stop)."""
        return sum(1 for c in self.crossings if not c.get("excursion", False))

    @property
    def n_gauge_breaks(self) -> int:
        """Number of gauge breaks."""
        return len(self.gauge_breaks)

    def recost(self, params: CostParams) -> RouteMetrics:
        """The same metrics with the cost band recomputed under other unit costs.

        Only the cost changes (speeds and thresholds need a full :func:`evaluate`).
        """
        parts = core.cost_parts(self.quantities_km, self.cut_m3, self.fill_m3, self.n_border_stops,
                                self.n_gauge_breaks, params)
        return replace(self, cost_musd=core.total_cost(parts), cost_parts_musd=parts, params=params)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle; metrics pickled before a field was added get its default (no cost by unit recorded)."""
        self.__dict__.update({"quantities_km_by_unit": {}, "earthworks_m3_by_unit": {}, **state})

    def cost_in_unit_musd(self, unit: str) -> tuple[float, float, float]:
        """Construction cost band (MUSD) of the route's part in ``unit`` (:func:`~corridor.evaluation._core.unit_cost`:
        border and gauge facilities are not apportioned), at :attr:`params`; NaN if the metrics record no
        quantities by unit (made by hand or pickled before they were kept), not a cost of zero."""
        if not self.quantities_km_by_unit:
            return (math.nan, math.nan, math.nan)
        cut, fill = self.earthworks_m3_by_unit.get(unit, (0.0, 0.0))
        return core.unit_cost(self.quantities_km_by_unit.get(unit, {}), cut, fill, self.params)

    def crossings_text(self) -> str:
        """Crossings as ``"NAX>ARM (Salammelik (approx.)); ARM>AZE (+4 excursions)"``; excursions along a border
        are counted, not listed (:func:`corridor.evaluation._borders.crossings_text`)."""
        return borders.crossings_text(self.crossings)

    def as_row(self) -> dict[str, Any]:
        """One flat table row (scalars only): the columns of :data:`ROW_COLUMNS`, then ``published_*``."""
        row = row_values(self)
        row.update(published_columns(self.published))
        return row

    @staticmethod
    def row_columns(published: Iterable[Mapping[str, Any]] = ()) -> tuple[str, ...]:
        """The columns :meth:`as_row` gives a route with these ``published`` figures (scenario style).

        >>> RouteMetrics.row_columns([{"figure": "length", "value": 42, "unit": "km", "source": "a"}])[-2:]
        ('published_length_km', 'published_sources')
        """
        return (*ROW_COLUMNS, *published_columns(published))

    @staticmethod
    def figure_columns(published: Iterable[Mapping[str, Any]] = ()) -> tuple[str, ...]:
        """The columns of :meth:`row_columns` that hold figures, not text or flags: what a table is ranked by.

        >>> cols = RouteMetrics.figure_columns()
        >>> "cost_central_musd" in cols, "name" in cols, "modelled" in cols
        (True, False, False)
        """
        return tuple(c for c in RouteMetrics.row_columns(published) if c not in TEXT_COLUMNS)

    def _repr_html_(self) -> str:
        """Compact summary with the elevation profile as inline SVG (:mod:`._display`)."""
        return metrics_html(self)

    @property
    def km_over_ruling(self) -> float:
        """Deprecated name of :attr:`over_ruling_km` (kept for one release)."""
        warnings.warn("RouteMetrics.km_over_ruling is deprecated; use over_ruling_km", DeprecationWarning,
                      stacklevel=2)
        return self.over_ruling_km

    def __repr__(self) -> str:
        lo, mid, hi = self.cost_musd
        return (f"RouteMetrics(name={self.name!r}, mode={self.mode!r}, length_km={self.length_km:.1f}, "
                f"crossings={self.n_crossings}, time_h={self.time_h:.1f}, "
                f"cost_musd=({lo:.0f}, {mid:.0f}, {hi:.0f}), terrain={self.terrain_class!r})")


# ----------------------------------------------------------------- evaluate
def evaluate(route: Route | scenarios.Scenario | str, *, dem: DEMLike = None, params: CostParams | None = None,
             fill_voids: bool = False, crossing_tolerance_m: float = KNOWN_CROSSING_TOLERANCE_M,
             network: Network | str | os.PathLike[str] | None = None, step_m: float | None = None, dem_samples: int | None = 0,
             dem_seed: int | None = DEFAULT_SEED) -> RouteMetrics:
    """Measure one route.

    Parameters
    ----------
    route : Route, Scenario or str
        A route; a scenario (routed on ``network``, default the reference
        network) or the name of a built-in scenario.
    dem : DEM, path or None
        Elevation model; ``None`` means the embedded GLOBE 30″ DEM.
    params : CostParams, optional
        Unit costs, speeds and thresholds (defaults of :mod:`corridor.costs`).
    fill_voids : bool
        Interpolate DEM voids instead of raising ``DEMCoverageError``.
    crossing_tolerance_m : float
        Distance within which a gazetteer crossing point on the border between the crossing's two
        units names it (a point of another border never does).
    network : Network or "reference", optional
        Only used to route a scenario.
    step_m : float, optional
        Profile sampling step; default half the DEM's ground resolution. It is
        rounded so that a whole number of steps fits the route, which makes the
        samples of a route and of its reverse coincide (ascent and descent swap
        exactly on reversal).
    dem_samples : int or None
        DEM realisations for the DEM-uncertainty band of the new build corridor
        designed (:func:`corridor.evaluation.uncertainty_bands.dem_band`); 0 (the
        default here, since ``evaluate`` runs in loops) computes none, None uses
        :data:`corridor.settings.dem_samples` (as :func:`compare` does).
    dem_seed : int or None
        Seed of the DEM noise (the same seed gives the same band).

    Returns
    -------
    RouteMetrics

    Raises
    ------
    UnknownUnitError
        A segment carries a unit code that is not a known unit.
    DEMCoverageError
        The route leaves the DEM or crosses voids (unless ``fill_voids``).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> r = Route.from_lines([LineString([(45.40, 39.21), (45.63, 38.96)])], mode="road", name="N-J")
    >>> m = evaluate(r)
    >>> m.length_by_unit_m["NAX"] == m.length_m, m.n_crossings
    (True, 0)
    """

    params = params if params is not None else CostParams.default()
    if not isinstance(params, CostParams):
        raise ParameterError(f"params must be a CostParams, got {type(params).__name__}; "
                             "use CostParams() or CostParams.from_toml(path)")
    n_dem = check_samples(dem_samples)
    dem_obj = open_dem(dem)
    route = as_route(route, network, dem_obj)
    by_unit = core.length_by_unit(route)  # validates unit codes first
    total = route.length_m
    prof = make_profile(route, dem_obj, mode=route.mode, fill_voids=fill_voids,
                        step_m=symmetric_step(route, dem_obj, step_m))
    iv = core.intervals(route, prof, params)
    ruling = core.ruling_grade(route, params)
    core.warn_stored_design(route, params)
    over = float(iv.length_m[abs(iv.grade) > ruling + core.RULING_TOLERANCE].sum()) / 1000.0
    exc = params.border_excursion_max_m
    cross = borders.crossings(route, tolerance_m=crossing_tolerance_m, max_excursion_m=exc)
    stops = sum(1 for c in cross if not c["excursion"])
    gb = borders.gauge_breaks(route, max_excursion_m=exc) if (route.segments["mode"] == "rail").any() else []
    ntr = borders.n_transfers(route)
    running = core.running_time_h(route, iv, params)
    border_dwell = params.rail_border_dwell_h if route.mode == "rail" else params.road_border_dwell_h
    parts = {"running": running, "border": border_dwell * stops,
             "gauge_break": params.gauge_break_dwell_h * len(gb), "transfer": params.transfer_dwell_h * ntr}
    q, q_by_unit = core.quantities(route, iv)
    (cut_m3, fill_m3), ew_by_unit = core.earthworks(route)
    cparts = core.cost_parts(q, cut_m3, fill_m3, stops, len(gb), params)
    tkm = core.terrain_km(iv)
    seg = route.segments
    structs = seg["structure"].fillna("none").astype(str)
    gc = route.great_circle_m
    meta = dict(route.meta or {})
    published = tuple(dict(p) for p in meta.get("published", ()) or ())
    return RouteMetrics(
        name=str(route.name), mode=route.mode, length_m=total,
        length_by_unit_m=by_unit, length_by_build_m=core.length_by_build(route),
        crossings=cross, gauge_breaks=gb, n_transfers=ntr, profile=prof,
        detour_factor=total / gc if gc > 1.0 else math.nan,
        time_h=sum(parts.values()), time_parts_h=parts,
        cost_musd=core.total_cost(cparts), quantities_km=q,
        terrain_class=core.dominant_terrain(tkm), terrain_km=tkm,
        tunnel_km=float(seg["length_m"][structs == "tunnel"].sum()) / 1000.0,
        bridge_km=float(seg["length_m"][structs == "bridge"].sum()) / 1000.0,
        over_ruling_km=over, ruling_grade=ruling, source=str(route.source), modelled=bool(route.modelled),
        network_source=network_source(route),
        dem_source=str(getattr(prof, "dem_source", "") or getattr(dem_obj, "source", "")),
        published=published, meta=meta, params=params,
        cut_m3=cut_m3, fill_m3=fill_m3, structures=tuple(core.structures(route)), cost_parts_musd=cparts,
        dem_band=dem_band(route, dem_obj, n=n_dem, params=params, seed=dem_seed, fill_voids=fill_voids),
        quantities_km_by_unit=q_by_unit, earthworks_m3_by_unit=ew_by_unit,
    )


# ------------------------------------------------------------------ compare
def _metrics_of(items: Any, *, params: CostParams | None, network: Any, dem: Any,
                progress: Callable[[int, int, str], None] | None = None, dem_samples: int = 0) -> list[RouteMetrics]:

    # one item or many; names and .toml files resolved; two items of one name are an error
    items = scenarios.gather(items)
    if not items:
        raise InvalidInputError("nothing to compare: give at least one Route, Scenario or scenario name")
    dem_obj = None
    out: list[RouteMetrics] = []
    for i, it in enumerate(items):
        if isinstance(it, RouteMetrics):
            m = it.recost(params) if params is not None and params != it.params else it
        else:
            if dem_obj is None:
                dem_obj = open_dem(dem)
            if not isinstance(it, Route) and (network is None or isinstance(network, str | os.PathLike)):
                network = as_network("reference" if network is None else network)  # once, not per scenario
            m = evaluate(it, dem=dem_obj, params=params, network=network, dem_samples=dem_samples)
        out.append(m)
        if progress is not None:
            progress(i + 1, len(items), m.name)
    return out


def table(metrics: RouteMetrics | Iterable[RouteMetrics], *,
          weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Comparison table of already evaluated routes, with ``score`` and ``rank``.

    No metrics give an empty table with the same columns (:data:`ROW_COLUMNS`,
    ``score``, ``rank``); two metrics of one name are a :class:`ScenarioError`.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> ms = [evaluate(Route.from_lines([LineString([(46.0, 38.92), (x, 38.92)])], mode="rail", name=n))
    ...       for n, x in (("short", 46.3), ("long", 46.6))]
    >>> df = table(ms)
    >>> list(df["name"]), sorted(df["rank"])
    (['short', 'long'], [1, 2])
    >>> table([]).shape[0], list(table([]).columns[-2:])
    (0, ['score', 'rank'])
    """
    import pandas as pd


    ms = scenarios.gather(as_items(metrics))
    bad = [m for m in ms if not isinstance(m, RouteMetrics)]
    if bad:
        raise InvalidInputError(f"table() takes RouteMetrics (from evaluate), got {bad[0]!r}; use compare() "
                                "for routes and scenarios")
    if not ms:
        check_weights(weights, list(ROW_COLUMNS))
        df = pd.DataFrame({c: pd.Series(dtype=object) for c in ROW_COLUMNS})
        df["score"] = pd.Series(dtype=float)
        df["rank"] = pd.Series(dtype="int64")
        return df
    df = pd.DataFrame([m.as_row() for m in ms])
    df["score"] = score(df, weights)
    df["rank"] = rank(df["score"])
    return df


def comparison(metrics: RouteMetrics | Iterable[RouteMetrics], *, weights: Mapping[str, float] | None = None
               ) -> Comparison:
    """Evaluated routes side by side; displays in a notebook as a ranked table with profiles.

    ``.table`` is :func:`table` of the metrics (the rows of ``summary.csv``, which lists them best rank
    first: :func:`corridor.evaluation.ranking.in_rank_order`).
    """
    ms = [m for m in as_items(metrics)]
    return Comparison(ms, table(ms, weights=weights))


def compare(routes_or_scenarios: Any, *, weights: Mapping[str, float] | None = None,
            params: CostParams | None = None, network: Network | str | os.PathLike[str] | None = None, dem: DEMLike = None,
            progress: Callable[[int, int, str], None] | None = None,
            dem_samples: int | None = None) -> pd.DataFrame:
    """One table row per route: every metric, published figures, score and rank.

    Parameters
    ----------
    routes_or_scenarios : item or iterable of items
        Routes, Scenarios, built-in scenario names, scenario ``.toml`` paths or
        :class:`RouteMetrics` (see :func:`corridor.scenarios.gather`); a single
        name or path is one item. Two items of one name raise ``ScenarioError``.
    weights : mapping, optional
        Criterion column -> weight (lower values of each criterion are better);
        default :data:`corridor.evaluation.DEFAULT_WEIGHTS`.
    params : CostParams, optional
        Unit costs and speeds.
    network : Network, "reference" or OSM file path, optional
        Network used to route scenarios (default the modelled reference network).
    dem : DEM or path, optional
        Elevation model (default: embedded GLOBE 30″).
    progress : callable, optional
        ``progress(done, total, name)`` after each route.
    dem_samples : int, optional
        DEM realisations of the DEM-uncertainty band (see :func:`evaluate`);
        default :data:`corridor.settings.dem_samples`, 0 for none.

    Returns
    -------
    pandas.DataFrame
        Columns of :meth:`RouteMetrics.as_row` plus ``score`` (1 best) and ``rank`` (1 best).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> a = Route.from_lines([LineString([(45.40, 39.21), (45.63, 38.96)])], mode="road", name="direct")
    >>> b = Route.from_lines([LineString([(45.40, 39.21), (45.70, 39.10), (45.63, 38.96)])],
    ...                      mode="road", name="detour")
    >>> t = compare([a, b], weights={"length_km": 1})
    >>> t[["name", "rank"]].values.tolist()
    [['direct', 1], ['detour', 2]]
    """
    metrics = _metrics_of(routes_or_scenarios, params=params, network=network, dem=dem, progress=progress,
                          dem_samples=check_samples(dem_samples))
    return table(metrics, weights=weights)


def sensitivity(routes_or_metrics: Any, *, weights: Mapping[str, float] | None = None,
                params: CostParams | None = None, factors: Sequence[float] = (0.5, 1.5),
                network: Network | str | os.PathLike[str] | None = None, dem: DEMLike = None) -> pd.DataFrame:
    """How the rank order changes as each weight and each unit cost varies.

    Each weight of ``weights`` and each unit-cost band of
    :meth:`CostParams.cost_keys` is multiplied in turn by every factor (default
    ±50 %) with everything else held; the routes are re-scored and re-ranked.

    Returns
    -------
    pandas.DataFrame
        One row per (parameter, factor): ``parameter``, ``kind`` (``weight`` or
        ``unit_cost``), ``factor``, ``rank_groups`` (the names of each rank, best first, a group of
        more than one is a tie: :func:`corridor.evaluation.ranking.rank_groups`), ``order`` (those
        groups as text, ``" > "`` between ranks and ``" = "`` within a tie, a name holding a separator
        or a quote mark in ``“…”``: :func:`corridor.evaluation.ranking.order_text`), ``ranks`` (``name=rank``
        joined by ``"; "``, names as in ``order``: :func:`corridor.evaluation.ranking.ranks_text`),
        ``changed``, ``n_changed``, ``max_shift``, ``kendall_tau`` against the
        base ranking (first row, ``parameter="base"``).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> a = Route.from_lines([LineString([(45.40, 39.21), (45.63, 38.96)])], mode="road", name="a")
    >>> b = Route.from_lines([LineString([(45.40, 39.21), (45.70, 39.10), (45.63, 38.96)])],
    ...                      mode="road", name="b")
    >>> s = sensitivity([a, b], weights={"length_km": 1, "time_h": 1})
    >>> s["parameter"].iloc[0], bool(s["changed"].any())
    ('base', False)
    """
    import pandas as pd


    for f in factors:
        if isinstance(f, bool) or not isinstance(f, int | float) or not math.isfinite(f) or f < 0:
            raise ParameterError(f"sensitivity factor {f!r} must be a finite number >= 0")
    base_params = params if params is not None else CostParams.default()
    metrics = _metrics_of(routes_or_metrics, params=base_params, network=network, dem=dem)
    names = [m.name for m in metrics]
    base_table = table(metrics, weights=weights)
    w = check_weights(weights, list(base_table.columns))
    base_rank = base_table["rank"].tolist()

    def _row(param: str, kind: str, factor: float, ranks: list[int]) -> dict[str, Any]:
        groups = rank_groups(names, ranks)  # best first; a tie is one group (a tie is not an order)
        ch = rank_changes(base_rank, ranks)
        return {"parameter": param, "kind": kind, "factor": factor, "rank_groups": groups, "order": order_text(groups),
                "ranks": ranks_text(names, ranks),
                "changed": ch["n_changed"] > 0, **ch}

    rows = [_row("base", "base", 1.0, base_rank)]
    for key in w:
        for f in factors:
            w2 = {**w, key: w[key] * f}
            if sum(w2.values()) <= 0:
                continue
            rows.append(_row(key, "weight", float(f), rank(score(base_table, w2)).tolist()))
    for key in CostParams.cost_keys():
        for f in factors:
            # every cost column moves (its parts, each unit's), as compare at these unit costs gives them
            t2 = table([m.recost(base_params.scaled(key, f)) for m in metrics], weights=w)
            rows.append(_row(key, "unit_cost", float(f), t2["rank"].tolist()))
    return pd.DataFrame(rows)
