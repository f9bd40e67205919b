"""Unit costs, speeds and dwell times used by :mod:`corridor.evaluation.metrics`.

Every parameter has a documented default and a source string. Most figures are
*order of magnitude only*: the public figures in the project's reference notes
(``shared/reference/corridors.md``) disagree with each other, so every cost is a
band ``(low, central, high)``. Where no published figure exists the source says
``assumption`` and why the value was chosen. Override any value from Python
(:meth:`CostParams.replace`) or from a TOML file (:meth:`CostParams.from_toml`).

Costs are in millions of US dollars per km (``musd_per_km``); terrain factors
multiply the open-line cost per km; speeds are km/h; dwell times are hours.

How a cost band is made (:func:`cost_band`): each km of the route is put in a
bucket by build type (``existing_active``, ``existing_disused``, ``new``),
terrain class (``flat``, ``rolling``, ``mountainous``) and structure
(``none``, ``tunnel``, ``bridge``). New open line costs
``<mode>_new_musd_per_km × <mode>_terrain_<class>``, or ``<mode>_new_musd_per_km`` alone where
its vertical design prices the terrain explicitly as earthworks (the ``designed`` bucket,
:data:`DESIGNED`: cut and fill volumes; a terrain factor on top would count the terrain twice,
and the design chose the line at that rate); new tunnels and bridges
cost ``<mode>_tunnel_musd_per_km`` / ``<mode>_bridge_musd_per_km`` instead;
existing disused or abandoned line (rehabilitation on the old formation,
structures included) costs ``<mode>_rehab_musd_per_km × terrain factor``; razed
(dismantled) line and line still proposed or under construction are priced as
new build (:func:`corridor.evaluation._core.cost_category`);
existing active line costs ``<mode>_existing_musd_per_km × terrain factor``
(zero by default: upgrades are not priced unless you set it).

Examples
--------
>>> from corridor.costs import CostParams, cost_band
>>> p = CostParams()
>>> p.rail_tunnel_musd_per_km
(25.0, 40.0, 60.0)
>>> low, central, high = cost_band({("new", "flat", "none"): 10.0}, "rail", p)
>>> low <= central <= high
True
>>> p.replace(rail_tunnel_musd_per_km=(30, 45, 70)).rail_tunnel_musd_per_km
(30.0, 45.0, 70.0)
>>> CostParams(rail_border_dwell_h=-5)
Traceback (most recent call last):
...
corridor._errors.ParameterError: cost parameter 'rail_border_dwell_h' must be a finite number >= 0, got -5
"""

# ruff: noqa: RUF009  (_band/_num/_map/_steps return dataclasses.field with metadata)
from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridor._costs_schema import check_params
from corridor._errors import DataFileError, ParameterError
from corridor._types import ROAD_LEVELS
from corridor._validate import check_input_path, check_mode, check_positive

log = logging.getLogger(__name__)

__all__ = ["BUILD_CATEGORIES", "DESIGNED", "DESIGN_FIELDS", "STRUCTURES", "TERRAIN_CLASSES", "CostParams", "cost_band",
           "design_overrides"]

Band = tuple[float, float, float]

BUILD_CATEGORIES = ("existing_active", "existing_disused", "new")
TERRAIN_CLASSES = ("flat", "rolling", "mountainous")
#: The terrain bucket of new open line whose vertical design prices its earthworks: no terrain factor.
DESIGNED = "designed"
STRUCTURES = ("none", "tunnel", "bridge")

_REF = "corridors.md unit-cost table"
_ASSUME = "assumption"
_VREF = "corridors.md, Vertical alignment and earthworks"


def _band(v: Band, source: str, unit: str = "MUSD/km") -> Any:
    return field(default=v, metadata={"source": source, "unit": unit, "kind": "band"})


def _num(v: float, source: str, unit: str, *, positive: bool = False, ratio: bool = False) -> Any:
    """A number parameter: >= 0, or > 0 (``positive``), or a ratio in (0, 1) (``ratio``: a grade)."""
    return field(default=v, metadata={"source": source, "unit": unit, "kind": "number", "positive": positive,
                                      "ratio": ratio})


def _map(v: Mapping[str, float], source: str, unit: str, *, keys: Iterable[str] = ()) -> Any:
    """A table parameter; it may hold the keys of its default and ``keys``."""
    return field(default_factory=lambda: dict(v), metadata={"source": source, "unit": unit, "kind": "map",
                                                            "keys": tuple(dict.fromkeys([*v, *keys]))})


def _of_kind(kind: str, v: Any, source: str, unit: str) -> Any:
    """A parameter whose ``kind`` (``steps``, ``count``, ``factors``) names its type in :func:`_field_type`."""
    return field(default=v, metadata={"source": source, "unit": unit, "kind": kind})


_ROAD_SPEEDS = {
    "motorway": 90.0, "trunk": 80.0, "primary": 70.0, "secondary": 60.0, "tertiary": 50.0,
    "unclassified": 40.0, "residential": 30.0, "other": 40.0,
}


@dataclass(frozen=True)
class CostParams:
    """Unit costs, speeds, dwell times and terrain thresholds (validated, immutable).

    Every field's default, unit and source are listed by :meth:`describe`.
    Cost bands are ``(low, central, high)`` with ``low <= central <= high``.

    Examples
    --------
    >>> p = CostParams()
    >>> low, central, high = p.rail_new_musd_per_km
    >>> low <= central <= high
    True
    >>> p.replace(rail_new_musd_per_km=(1.0, 2.0, 3.0)).rail_new_musd_per_km
    (1.0, 2.0, 3.0)
    """

    # ---- construction cost bands, MUSD per km ------------------------------
    rail_new_musd_per_km: Band = _band(
        (3.9, 5.0, 11.6),
        f"{_REF}: implied regional figures - Baku-Tbilisi-Kars Turkish part $3.9 M/km (low); "
        "Meghri section $4.7-5.3 M/km (central ~5.0); Kars-Dilucu EUR 10.7 M/km ~ $11.6 M/km at "
        "1.08 USD/EUR (high). Whole-project averages treated as open line on rolling terrain")
    rail_rehab_musd_per_km: Band = _band(
        (0.5, 1.5, 3.0),
        f"{_ASSUME}, anchored on Gyumri-Kars restart $32.4 M and Hrazdan-Ijevan-Gazakh "
        "restoration $318 M (report.az, corridors.md) over their lengths")
    rail_existing_musd_per_km: Band = _band(
        (0.0, 0.0, 0.0), f"{_ASSUME}: existing active track is not priced (set > 0 to price upgrades)")
    rail_tunnel_musd_per_km: Band = _band(
        (25.0, 40.0, 60.0), f"{_REF}: rail tunnels $25-60 M/km (TBM); Gotthard ~$210 M/km is an outlier")
    rail_bridge_musd_per_km: Band = _band(
        (10.0, 20.0, 40.0), f"{_ASSUME}: no bridge unit cost in corridors.md; several times the open-line cost")
    road_new_musd_per_km: Band = _band(
        (1.3, 1.6, 1.9), f"{_REF}: 2-lane rural road $1.3 M/km (low); 4-lane road $1.9 M/km (high)")
    road_rehab_musd_per_km: Band = _band(
        (0.3, 0.6, 1.0), f"{_ASSUME}: a fraction of the 2-lane new-build cost ($1.3 M/km, {_REF})")
    road_existing_musd_per_km: Band = _band(
        (0.0, 0.0, 0.0), f"{_ASSUME}: existing active road is not priced (set > 0 to price upgrades)")
    road_tunnel_musd_per_km: Band = _band(
        (25.0, 40.0, 60.0), f"{_ASSUME}: taken equal to the rail tunnel band ({_REF})")
    road_bridge_musd_per_km: Band = _band(
        (8.0, 15.0, 30.0), f"{_ASSUME}: no bridge unit cost in corridors.md")

    # ---- terrain factors on open-line cost (band) --------------------------
    rail_terrain_flat: Band = _band((0.7, 0.8, 1.0), f"{_ASSUME}: rates above are for rolling terrain", "factor")
    rail_terrain_rolling: Band = _band((1.0, 1.0, 1.0), f"{_ASSUME}: reference terrain of the rail rates", "factor")
    rail_terrain_mountainous: Band = _band(
        (1.2, 1.5, 2.5), f"{_ASSUME}; {_REF} gives up to ~5x flat for mountainous low-volume roads", "factor")
    road_terrain_flat: Band = _band((1.0, 1.0, 1.0), f"{_ASSUME}: road rates above are flat-terrain rates", "factor")
    road_terrain_rolling: Band = _band(
        (1.2, 1.5, 2.0), f"{_ASSUME}: between flat and the mountainous band below", "factor")
    road_terrain_mountainous: Band = _band(
        (1.5, 2.5, 5.0), f"{_REF}: mountainous sites, low-volume roads up to ~5x flat (high); low/central assumed",
        "factor")

    # ---- speeds, km/h -------------------------------------------------------
    rail_speed_new_kmh: float = _num(
        100.0, f"{_ASSUME}: mixed-traffic single track; Kars-Dilucu is designed for 160 km/h ({_REF})", "km/h",
        positive=True)
    rail_speed_existing_kmh: float = _num(60.0, f"{_ASSUME}: Soviet-era lines of the region", "km/h",
                                            positive=True)
    rail_speed_rehab_kmh: float = _num(80.0, f"{_ASSUME}: rehabilitated line on the old alignment", "km/h",
                                       positive=True)
    road_speed_new_kmh: float = _num(80.0, f"{_ASSUME}: new 2-lane road, design speed 80 km/h (AASHTO 5 % grade class)", "km/h",
                                     positive=True)
    road_speed_kmh: Mapping[str, float] = _map(
        _ROAD_SPEEDS, f"{_ASSUME}: typical truck speeds by OSM class; OSM maxspeed caps them", "km/h",
        keys=ROAD_LEVELS)  # every road class level; a ``_link`` class takes its base class's speed
    rail_grade_speed: tuple[tuple[float, float], ...] = _of_kind(
        "steps", ((0.0125, 0.75), (0.025, 0.5)),
        f"{_ASSUME}: speed factor above each grade; 12.5 per mille ruling grade (EBO par. 7) and 25 per mille "
        "mixed-traffic limit (EU TSI), corridors.md", "(grade, factor)")
    road_grade_speed: tuple[tuple[float, float], ...] = _of_kind(
        "steps", ((0.06, 0.8), (0.08, 0.6)),
        f"{_ASSUME}: truck crawl on grades above the AASHTO mountainous limits (5-6 %), corridors.md",
        "(grade, factor)")

    # ---- dwell times, hours -------------------------------------------------
    rail_border_dwell_h: float = _num(2.0, f"{_ASSUME}: border formalities per crossing", "h")
    road_border_dwell_h: float = _num(1.0, f"{_ASSUME}: border formalities per crossing (trucks)", "h")
    gauge_break_dwell_h: float = _num(3.0, f"{_ASSUME}: bogie exchange or transshipment 1435/1520 mm", "h")
    transfer_dwell_h: float = _num(1.0, f"{_ASSUME}: road-rail transfer", "h")
    border_excursion_max_m: float = _num(
        5000.0, f"{_ASSUME}: the region pack's borders follow OSM to ~10 m (geo-maps 10 m resolution), but a "
        "line drawn on a ~1 km DEM grid or a modelled network along a border river drifts across it; shorter runs between two crossings of the same border get no "
        "border stop and no gauge change (they still count in n_crossings)", "m")

    # ---- grades and terrain classes ----------------------------------------
    rail_ruling_grade: float = _num(
        0.0125, "corridors.md: EBO par. 7 limits new main lines to 12.5 per mille (freight-capable default)", "ratio",
        ratio=True)
    road_ruling_grade: float = _num(
        0.08, f"{_ASSUME}: two-lane mountain roads; corridors.md gives AASHTO's 5-6 % for freeways on mountainous "
        "terrain (6 % at 60 km/h), and slower mountain roads are built steeper, so 8 % is the default for the "
        "transit roads modelled here (set 0.06 for freeway-standard alignments)", "ratio", ratio=True)
    terrain_window_m: float = _num(2000.0, f"{_ASSUME}: window for ground slope and local relief", "m")
    flat_max_grade: float = _num(
        0.02, f"{_ASSUME}: ground slope below which terrain is flat (AASHTO level/rolling/mountainous classes "
        "are by natural ground slope; thresholds set for a 30 arc-second DEM)", "ratio")
    flat_max_relief_m: float = _num(40.0, f"{_ASSUME}: local relief (max - min ground in the window) for flat", "m")
    mountainous_min_grade: float = _num(0.05, f"{_ASSUME}: ground slope from which terrain is mountainous", "ratio")
    mountainous_min_relief_m: float = _num(150.0, f"{_ASSUME}: local relief from which terrain is mountainous", "m")

    # ---- vertical alignment and earthworks (corridor.align.vertical) ------------
    max_cut_depth_m: float = _num(
        20.0, f"{_VREF}: a tunnel is considered when a cutting would be deeper than about 20 m (aboutcivil.org, "
        "'Factors affecting construction of tunnels'; highway planning uses the same ~20 m benchmark). A cap: "
        "the unit costs may make the switch shallower", "m", positive=True)
    max_fill_height_m: float = _num(
        20.0, f"{_ASSUME}: the ~20 m cut benchmark ({_VREF}) used as a cap on embankments too; the changeover "
        "height itself comes from the unit costs (bridge-economics text, sdrc.lib.uiowa.edu eng/bridges/Economics)",
        "m", positive=True)
    rail_formation_width_cut_m: float = _num(
        5.49, f"{_VREF}: Indian Railways broad gauge, single line in cutting 5.49 m", "m", positive=True)
    rail_formation_width_fill_m: float = _num(
        6.10, f"{_VREF}: Indian Railways broad gauge, single line on embankment 6.10 m", "m", positive=True)
    rail_track_spacing_m: float = _num(
        4.72, f"{_VREF}: Indian Railways double line 10.82 m on embankment and 10.21 m in cutting, i.e. 4.72 m "
        "wider than single line; added per track beyond the first", "m")
    road_formation_width_2lane_m: float = _num(
        11.0, f"{_VREF}: a two-lane road is about 10-12 m of formation (middle of the band)", "m", positive=True)
    road_lane_width_m: float = _num(
        3.6, f"{_ASSUME}: formation width added per lane beyond two (a 12 ft / 3.6 m traffic lane)", "m")
    cut_side_slope: float = _num(1.0, f"{_VREF}: cutting side slopes 1:1 (Indian Railways)", "H per V", positive=True)
    fill_side_slope: float = _num(2.0, f"{_VREF}: embankment side slopes 1 in 2 (Indian Railways)", "H per V", positive=True)
    earthwork_cut_usd_per_m3: float = _num(
        26.0, f"{_VREF}: rock cut about $26/m3 (AECOM 2013 high-speed rail study for Australia, Appendix 4B, "
        "as summarised by hotrails.net)", "USD/m3")
    earthwork_dump_usd_per_m3: float = _num(
        7.0, f"{_VREF}: dumping about $7/m3 (AECOM 2013, App. 4B, hotrails.net); every cut m3 is dumped "
        "(no mass-haul balancing)", "USD/m3")
    earthwork_borrow_usd_per_m3: float = _num(
        11.0, f"{_VREF}: borrow about $11/m3 (AECOM 2013, App. 4B, hotrails.net); every fill m3 is borrowed",
        "USD/m3")
    earthwork_fill_usd_per_m3: float = _num(
        9.0, f"{_VREF}: placing fill about $9/m3 (AECOM 2013, App. 4B, hotrails.net)", "USD/m3")
    waypoint_level_radius_m: float = _num(
        1000.0, f"{_ASSUME}: a waypoint's station may sit on the lowest ground within this distance along the "
        "line (about one GLOBE 30 arc-second cell): towns' DEM cells are not their stations' levels", "m")
    waypoint_level_tolerance_m: float = _num(
        20.0, f"{_ASSUME}: slack on a waypoint's level window (GLOBE vertical error is tens of metres, "
        "data/README.md)", "m")
    vertical_join_tolerance_m: float = _num(
        20.0, f"{_ASSUME}: slack on the level where new line joins existing track or road: that level is taken "
        "at the DEM ground there, as uncertain as a waypoint's (GLOBE vertical error is tens of metres)", "m")
    vertical_design_join_tolerance_m: float = _num(
        0.0, f"{_ASSUME}: slack where new line joins a modelled line whose formation level is known (the "
        "reference network's 3-D vertices). 0: the line passes through that level exactly, at every such join "
        "where the ruling grade leaves room (else to the nearest level step); 1 m (the former default) let the "
        "level grid widen it by a step, a step of up to ~3 m in the grade line at the join", "m")
    vertical_refine_rounds: int = _of_kind(
        "count", 3, f"{_ASSUME}: rounds of re-searching each leg of a traced line with the cells under its "
        "designed tunnels and bridges dearer (the horizontal search prices grades, the vertical design finds the "
        "structures; a re-searched leg is kept only if the line's designed cost falls); 0 switches it off. "
        "The built-in scenarios stop improving after 2 rounds", "rounds")
    vertical_refine_penalties: tuple[float, ...] = _of_kind(
        "factors", (1.5, 3.0, 10.0), f"{_ASSUME}: factors on the unit cost of the cells under a leg's designed "
        "tunnels and bridges when the leg is searched again (vertical_refine_rounds), tried in this order until "
        "one gives a cheaper leg: a mild one moves the line a little, a strong one makes it go round",
        "factors > 1")
    usd_per_eur: float = _num(
        1.08, f"{_ASSUME}: US dollars per euro, to compare costs published in euros (Kars-Dilucu EUR 2.4 bn, "
        f"{_REF}) with the model's USD; the rate behind the EUR 10.7 M/km ~ $11.6 M/km of rail_new_musd_per_km "
        "(ECB reference rates were about 1.05-1.12 in 2023-2025)", "USD/EUR")
    border_facility_musd: Band = _band(
        (0.0, 0.0, 0.0), f"{_ASSUME}: no published figure; border-crossing facilities are not priced unless "
        "set (MUSD per crossing with a border stop)", "MUSD each")
    gauge_facility_musd: Band = _band(
        (0.0, 0.0, 0.0), f"{_ASSUME}: no published figure; gauge-change facilities (bogie exchange or "
        "transshipment) are not priced unless set (MUSD per gauge break)", "MUSD each")

    # ------------------------------------------------------------ validation
    def __post_init__(self) -> None:
        values = check_params(type(self), {f.name: getattr(self, f.name) for f in dataclasses.fields(self)})
        for name, value in values.items():
            object.__setattr__(self, name, value)
        for low, high in _ORDERED:
            if getattr(self, low) > getattr(self, high):
                raise ParameterError(f"{low} ({getattr(self, low)}) must not exceed {high} ({getattr(self, high)})")

    # ------------------------------------------------------------ helpers
    @classmethod
    def default(cls) -> CostParams:
        """The default parameters, built and validated once (instances are immutable, so one is shared).

        >>> CostParams.default() is CostParams.default() and CostParams.default() == CostParams()
        True
        """
        return _default_params()

    @classmethod
    def keys(cls) -> list[str]:
        """Names of every parameter.

        >>> "rail_new_musd_per_km" in CostParams.keys()
        True
        """
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def cost_keys(cls) -> list[str]:
        """Names of the unit-cost bands (MUSD/km), the ones sensitivity varies.

        >>> len(CostParams.cost_keys())
        10
        """
        return [f.name for f in dataclasses.fields(cls) if f.name.endswith("_musd_per_km")]

    def replace(self, **changes: Any) -> CostParams:
        """A validated copy with some parameters changed (unknown names raise ParameterError).

        >>> CostParams().replace(road_border_dwell_h=0.5).road_border_dwell_h
        0.5
        """
        check_params(type(self), changes)
        return dataclasses.replace(self, **changes)

    def scaled(self, key: str, factor: float) -> CostParams:
        """A copy with one band or number multiplied by ``factor`` (for sensitivity runs).

        >>> CostParams().scaled("rail_tunnel_musd_per_km", 1.5).rail_tunnel_musd_per_km
        (37.5, 60.0, 90.0)
        """
        if key not in self.keys():
            check_params(type(self), {key: None})  # raises: unknown, with the closest name
        value = getattr(self, key)
        f = check_positive(factor, "factor", allow_zero=True)
        if isinstance(value, tuple) and value and not isinstance(value[0], tuple):
            return self.replace(**{key: tuple(v * f for v in value)})
        if isinstance(value, int | float):
            return self.replace(**{key: value * f})
        raise ParameterError(f"cost parameter {key!r} cannot be scaled; scale a band or a number")

    def to_dict(self) -> dict[str, Any]:
        """Plain values (tuples as lists), the same shape :meth:`from_dict` reads.

        >>> CostParams.from_dict(CostParams().to_dict()) == CostParams()
        True
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, Mapping):
                out[f.name] = dict(v)
            elif isinstance(v, tuple):
                out[f.name] = [list(x) if isinstance(x, tuple) else x for x in v]
            else:
                out[f.name] = v
        return out

    def describe(self) -> list[dict[str, Any]]:
        """One dict per parameter: ``key``, ``value``, ``unit``, ``source``.

        >>> rows = CostParams().describe()
        >>> all(r["source"] for r in rows)
        True
        """
        return [{"key": f.name, "value": getattr(self, f.name), "unit": f.metadata["unit"],
                 "source": f.metadata["source"]} for f in dataclasses.fields(self)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "") -> CostParams:
        """Defaults overridden by ``data`` (keys as in :meth:`keys`).

        ``road_speed_kmh`` entries are merged into the default table.

        >>> CostParams.from_dict({"rail_new_musd_per_km": [4, 6, 9]}).rail_new_musd_per_km
        (4.0, 6.0, 9.0)
        >>> CostParams.from_dict({"rail_new_musd_per_km": "cheap"})
        Traceback (most recent call last):
        ...
        corridor._errors.ParameterError: cost parameter 'rail_new_musd_per_km' must be a list [low, central, high] of numbers, got 'cheap'
        """
        return cls._from_table(data, where)

    @classmethod
    def _from_table(cls, data: Mapping[str, Any], where: str, *, prefix: tuple[str, ...] = ()) -> CostParams:
        if not isinstance(data, Mapping):
            raise ParameterError(f"cost parameters{where} must be a table of key = value, got {data!r}")
        kw = check_params(cls, data, where, prefix=prefix)
        for f in dataclasses.fields(cls):  # table entries are merged into the default table
            if f.metadata.get("kind") == "map" and f.name in kw and callable(f.default_factory):
                kw[f.name] = {**f.default_factory(), **kw[f.name]}
        try:
            return cls(**kw)
        except ParameterError as exc:
            if where:
                raise ParameterError(f"{exc}{where}") from None
            raise

    @classmethod
    def from_toml(cls, path: str | Path) -> CostParams:
        """Read overrides from a TOML file (keys at top level or under ``[costs]``).

        Example file::

            [costs]
            rail_new_musd_per_km = [4.0, 6.0, 9.0]
            rail_border_dwell_h = 1.5
            [costs.road_speed_kmh]
            primary = 75

        Raises
        ------
        DataFileError
            The file does not exist or cannot be read.
        ParameterError
            Invalid TOML, an unknown key, or a wrong type or value (the message names the key).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.toml"
        >>> _ = p.write_text("[costs]\\nrail_tunnel_musd_per_km = [30, 50, 80]\\n")
        >>> CostParams.from_toml(p).rail_tunnel_musd_per_km
        (30.0, 50.0, 80.0)
        """
        import tomllib

        p = check_input_path(path, "cost parameter file", missing=f"cost parameter file {str(path)!r} not found; "
                             "give the path of a .toml file")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFileError(f"cannot read cost parameter file {str(p)!r}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ParameterError(f"cost parameter file {str(p)!r} is not valid TOML: {exc}") from exc
        table = data.get("costs", data)
        extra = [k for k in data if k != "costs"] if "costs" in data else []
        if extra:
            raise ParameterError(f"unknown top-level key(s) {', '.join(map(repr, extra))} in {str(p)!r}; "
                                 "put cost parameters under [costs]")
        return cls._from_table(table, f" (in {str(p)!r})", prefix=("costs",) if "costs" in data else ())


#: Pairs ``(a, b)`` of parameters where ``a`` must not exceed ``b``.
_ORDERED = (("flat_max_grade", "mountainous_min_grade"), ("flat_max_relief_m", "mountainous_min_relief_m"))


@functools.cache
def _default_params() -> CostParams:
    return CostParams()


def terrain_factor(params: CostParams, mode: str, terrain: str) -> Band:
    """The ``(low, central, high)`` factor on open-line cost for a terrain class.

    >>> terrain_factor(CostParams(), "road", "mountainous"), terrain_factor(CostParams(), "road", DESIGNED)
    ((1.5, 2.5, 5.0), (1.0, 1.0, 1.0))
    """
    if terrain == DESIGNED:  # the design priced the terrain as earthworks
        check_mode(mode)
        return (1.0, 1.0, 1.0)
    if terrain not in TERRAIN_CLASSES:
        raise ParameterError(f"unknown terrain class {terrain!r}; use one of {', '.join(TERRAIN_CLASSES)}")
    return getattr(params, f"{check_mode(mode)}_terrain_{terrain}")  # type: ignore[no-any-return]


def unit_rate(params: CostParams, mode: str, build: str, structure: str) -> tuple[Band, bool]:
    """``(band, terrain_applies)`` for one bucket (see the module docstring).

    >>> unit_rate(CostParams(), "rail", "new", "tunnel")
    ((25.0, 40.0, 60.0), False)
    """
    check_mode(mode)
    if build not in BUILD_CATEGORIES:
        raise ParameterError(f"unknown build category {build!r}; use one of {', '.join(BUILD_CATEGORIES)}")
    if structure not in STRUCTURES:
        raise ParameterError(f"unknown structure {structure!r}; use one of {', '.join(STRUCTURES)}")
    if build == "new" and structure in ("tunnel", "bridge"):
        return getattr(params, f"{mode}_{structure}_musd_per_km"), False
    key = {"new": "new", "existing_disused": "rehab", "existing_active": "existing"}[build]
    return getattr(params, f"{mode}_{key}_musd_per_km"), True


#: :class:`CostParams` fields the alignment stage reads (the grade-aware search, the vertical design and
#: its refinement; ``<mode>_...`` for both modes). A design drawn with other values (the modelled reference
#: network's, drawn with the defaults) is repriced by overriding them, not drawn again.
DESIGN_FIELDS = (
    *(f"{m}_{k}" for m in ("rail", "road")
      for k in ("new_musd_per_km", "tunnel_musd_per_km", "bridge_musd_per_km", "ruling_grade")),
    "rail_formation_width_cut_m", "rail_formation_width_fill_m", "rail_track_spacing_m",
    "road_formation_width_2lane_m", "road_lane_width_m", "cut_side_slope", "fill_side_slope",
    "max_cut_depth_m", "max_fill_height_m", "earthwork_cut_usd_per_m3", "earthwork_dump_usd_per_m3",
    "earthwork_borrow_usd_per_m3", "earthwork_fill_usd_per_m3", "waypoint_level_radius_m",
    "waypoint_level_tolerance_m", "vertical_join_tolerance_m", "vertical_design_join_tolerance_m",
    "vertical_refine_rounds", "vertical_refine_penalties", "flat_max_grade", "mountainous_min_grade",
    "terrain_window_m")


def design_overrides(params: CostParams) -> list[str]:
    """The :data:`DESIGN_FIELDS` whose value in ``params`` is not the default.

    >>> design_overrides(CostParams().replace(max_cut_depth_m=5.0, rail_speed_new_kmh=90.0))
    ['max_cut_depth_m']
    """
    default = CostParams.default()
    return [k for k in DESIGN_FIELDS if getattr(params, k) != getattr(default, k)]


def cost_band(quantities: Mapping[Any, float], mode: str | None = None,
              params: CostParams | None = None) -> Band:
    """Construction cost ``(low, central, high)`` in MUSD from km per bucket.

    Parameters
    ----------
    quantities : mapping
        ``{(build, terrain, structure): km}`` (all of ``mode``) or
        ``{(mode, build, terrain, structure): km}`` (multimodal routes), with
        build in :data:`BUILD_CATEGORIES`, terrain in :data:`TERRAIN_CLASSES` or :data:`DESIGNED`,
        structure in :data:`STRUCTURES`.
    mode : str, optional
        ``"rail"`` or ``"road"``; needed for three-part keys.
    params : CostParams, optional
        Defaults if omitted.

    Returns
    -------
    tuple of float
        Low, central and high cost in millions of US dollars; always ordered.

    Examples
    --------
    >>> q = {("new", "mountainous", "none"): 40.0, ("new", "mountainous", "tunnel"): 3.0}
    >>> [round(x) for x in cost_band(q, "rail")]
    [262, 420, 1340]
    >>> [round(x) for x in cost_band({("road", "new", "flat", "none"): 10.0})]
    [13, 16, 19]
    """
    p = params or CostParams.default()
    totals = [0.0, 0.0, 0.0]
    for key, km in quantities.items():
        if len(key) == 4:
            m, build, terrain, structure = key
        elif len(key) == 3 and mode is not None:
            m, (build, terrain, structure) = mode, key
        else:
            raise ParameterError(f"quantity key {key!r} must be (build, terrain, structure) with a mode, "
                                 "or (mode, build, terrain, structure)")
        km = float(km)
        if not math.isfinite(km) or km < 0:
            raise ParameterError(f"quantity for {key!r} must be a finite km >= 0, got {km!r}")
        rate, with_terrain = unit_rate(p, m, build, structure)
        fac = terrain_factor(p, m, terrain) if with_terrain else (1.0, 1.0, 1.0)
        for k in range(3):
            totals[k] += km * rate[k] * fac[k]
    return (totals[0], totals[1], totals[2])
