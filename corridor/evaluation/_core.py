"""Building blocks of :func:`corridor.evaluation.evaluate`: lengths, build categories, intervals, costs.

Borders, gauge breaks and transfers are in :mod:`corridor.evaluation._borders`.
Everything here works on a :class:`corridor.route.Route` segment table and, for
terrain-dependent figures, on a :class:`corridor.terrain.Profile`. The route is
cut into *intervals* at every segment boundary and every profile sample, so
each interval has exactly one segment (build, structure, speed) and one grade
and terrain class; lengths of the intervals sum to the route length exactly.

Examples
--------
>>> from shapely.geometry import LineString
>>> from corridor.route import Route
>>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail")
>>> {k: round(v / 1000, 1) for k, v in length_by_unit(r).items() if v}
{'ARM': 15.0, 'NAX': 11.1}
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor._errors import UnknownUnitError
from corridor._logs import warn_once
from corridor._types import OUTSIDE, UNITS
from corridor.align.vertical import Structure
from corridor.costs import DESIGNED, TERRAIN_CLASSES, CostParams, cost_band, design_overrides
from corridor.network import REFERENCE_SOURCE

log = logging.getLogger(__name__)

__all__ = [
    "OUTSIDE",
    "Intervals",
    "build_category",
    "intervals",
    "length_by_build",
    "length_by_unit",
    "priced_new",
    "segment_units",
    "terrain_classes",
    "total_cost",
    "unit_cost",
]



#: Grades within this of the ruling grade count as at it, not over it (ratio; 0.1 per mille): a designed
#: grade line runs at exactly the ruling grade, and levels stored to 0.01 m (the reference network's
#: 3-D vertices) read back up to ~0.05 per mille steeper over a 200 m grade window.
RULING_TOLERANCE = 1e-4

_ACTIVE = ("active", "", "none", "nan", "existing")


def _unit(u: Any) -> str | None:
    if u is None or (isinstance(u, float) and math.isnan(u)):
        return None
    code = str(u)
    if code not in UNITS:
        raise UnknownUnitError(f"route segment has unknown unit code {code!r}; use one of {', '.join(UNITS)}")
    return code


def _classes(route: Any) -> list[str]:
    return [str(c) for c in route.segments["class"].fillna("")]


def _flag(route: Any, col: str, cls: str) -> np.ndarray:
    seg = route.segments
    out = np.array([c == cls for c in _classes(route)], dtype=bool)
    if col in seg.columns:
        out |= seg[col].fillna(False).astype(bool).to_numpy()
    return out


def length_by_unit(route: Any) -> dict[str, float]:
    """Metres per unit code (every unit present, zero if absent) plus :data:`OUTSIDE`."""
    out = {u: 0.0 for u in UNITS}
    out[OUTSIDE] = 0.0
    for code, ln in zip(segment_units(route), route.segments["length_m"].to_numpy(float), strict=True):
        out[code] += float(ln)
    return out


def segment_units(route: Any) -> list[str]:
    """Unit code of each segment (:data:`OUTSIDE` for a segment in no unit)."""
    return [_unit(u) or OUTSIDE for u in route.segments["unit"]]


#: Statuses of existing lines that are not built yet: measured and priced as new build.
_NOT_BUILT = ("proposed", "construction", "planned", "new")
#: Statuses of existing lines whose track is gone: the formation exists, the track is relaid at
#: new-build rates (the Meghri section's published $200 M for 43 km is a new-build rate).
_REBUILD = ("razed", "dismantled", "demolished")


def _status(status: Any) -> str:
    return "" if status is None or (isinstance(status, float) and math.isnan(status)) else str(status).lower()


def build_category(build: Any, status: Any) -> str:
    """Length category: ``existing_active``, ``existing_disused`` (disused, abandoned, razed) or ``new``.

    Lines of status proposed/construction/planned are not built yet and count as ``new``.

    >>> build_category("existing", "razed"), build_category("existing", "construction"), build_category("new", "new")
    ('existing_disused', 'new', 'new')
    """
    s = _status(status)
    if str(build) != "existing" or s in _NOT_BUILT:
        return "new"
    return "existing_active" if s in _ACTIVE else "existing_disused"


def cost_category(build: Any, status: Any) -> str:
    """Cost bucket: like :func:`build_category`, but razed line is rebuilt at new-build rates.

    Disused and abandoned line is priced as rehabilitation (track or formation
    still there).

    >>> cost_category("existing", "razed"), cost_category("existing", "abandoned")
    ('new', 'existing_disused')
    """
    cat = build_category(build, status)
    return "new" if cat == "existing_disused" and _status(status) in _REBUILD else cat


def categories(route: Any, *, cost: bool = False) -> list[str]:
    """:func:`build_category` (or with ``cost``, :func:`cost_category`) of every segment."""
    seg = route.segments
    f = cost_category if cost else build_category
    return [f(b, s) for b, s in zip(seg["build"], seg["status"], strict=True)]


def priced_new(route: Any) -> np.ndarray:
    """Per segment: priced as new build (:func:`cost_category`), so built on a new formation."""
    return np.asarray(np.array(categories(route, cost=True)) == "new", dtype=bool)


def on_reference(route: Any) -> np.ndarray:
    """Per segment: a line of the modelled reference network (``source``)."""
    seg = route.segments
    if "source" not in seg.columns:
        return np.zeros(len(seg), dtype=bool)
    return np.asarray(seg["source"].astype(str).to_numpy() == REFERENCE_SOURCE, dtype=bool)


def designed(route: Any) -> np.ndarray:
    """Per segment: its grade line and structures are corridor's design, not network data: new build,
    and lines of the modelled reference network priced as new build (not built yet, or razed), which
    carry the design the builder drew for them. These are the runs the DEM band re-designs."""
    new = route.segments["build"].astype(str).to_numpy() == "new"
    return np.asarray(new | (on_reference(route) & priced_new(route)), dtype=bool)


def length_by_build(route: Any) -> dict[str, float]:
    """Metres per build category."""
    out = {"existing_active": 0.0, "existing_disused": 0.0, "new": 0.0}
    for cat, ln in zip(categories(route), route.segments["length_m"].to_numpy(float), strict=True):
        out[cat] += float(ln)
    return out


@dataclass(frozen=True)
class Intervals:
    """The route cut at segment boundaries and profile samples."""

    length_m: np.ndarray  # per interval
    segment: np.ndarray  # segment index per interval
    grade: np.ndarray  # signed grade at the interval midpoint
    terrain: np.ndarray  # 0 flat, 1 rolling, 2 mountainous


def terrain_classes(distance_m: np.ndarray, ground_m: np.ndarray, params: CostParams) -> np.ndarray:
    """Terrain class per profile sample: 0 flat, 1 rolling, 2 mountainous.

    Uses the ground slope over ``params.terrain_window_m`` and the local relief
    (max - min ground) in the same window.

    >>> d = np.arange(0, 20001, 500.0)
    >>> int(terrain_classes(d, np.zeros_like(d), CostParams()).max())
    0
    >>> int(terrain_classes(d, d * 0.08, CostParams()).min())
    2
    """
    from scipy.ndimage import maximum_filter1d, minimum_filter1d

    d = np.asarray(distance_m, float)
    g = np.asarray(ground_m, float)
    if d.size < 2:
        return np.zeros(d.size, dtype=np.int8)
    step = float(np.median(np.diff(d))) or 1.0
    n = max(1, round(params.terrain_window_m / step))
    h = max(1, n // 2)
    idx = np.arange(d.size)
    lo, hi = np.clip(idx - h, 0, d.size - 1), np.clip(idx + h, 0, d.size - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.abs((g[hi] - g[lo]) / (d[hi] - d[lo]))
    slope = np.nan_to_num(slope)
    size = 2 * h + 1
    relief = maximum_filter1d(g, size, mode="nearest") - minimum_filter1d(g, size, mode="nearest")
    cls = np.ones(d.size, dtype=np.int8)
    cls[(slope < params.flat_max_grade) & (relief < params.flat_max_relief_m)] = 0
    cls[(slope >= params.mountainous_min_grade) | (relief >= params.mountainous_min_relief_m)] = 2
    return cls


def intervals(route: Any, profile: Any, params: CostParams) -> Intervals:
    """Cut the route at segment ends and profile samples (see the module docstring)."""
    off = route.offsets()
    total = float(off[-1])
    d = np.asarray(profile.distance_m, float)
    if d.size >= 2 and d[-1] > 0:
        d = d * (total / d[-1])  # align the profile's own geodesic chainage with the segments'
    elev = np.asarray(profile.elevation_m, float)
    ground = np.asarray(getattr(profile, "ground_m", elev), float)
    ground = np.where(np.isfinite(ground), ground, elev)
    grade = np.nan_to_num(np.asarray(profile.grade, float))
    cls = terrain_classes(d, ground, params)
    b = np.unique(np.concatenate([off, d]))
    b = b[(b >= 0) & (b <= total)]
    if b.size < 2:
        b = np.array([0.0, total])
    mids = (b[:-1] + b[1:]) / 2
    lengths = np.diff(b)
    nseg = len(route.segments)
    seg_idx = np.clip(np.searchsorted(off, mids, side="right") - 1, 0, nseg - 1)
    if d.size >= 2:
        pi = np.clip(np.searchsorted(d, mids, side="right") - 1, 0, d.size - 2)
        g_mid = np.interp(mids, d, grade)
        terr = np.maximum(cls[pi], cls[pi + 1])
    else:
        g_mid = np.zeros(mids.size)
        terr = np.zeros(mids.size, dtype=np.int8)
    return Intervals(lengths, seg_idx, g_mid, terr.astype(np.int8))


def segment_speeds(route: Any, params: CostParams) -> np.ndarray:
    """Base speed (km/h) of every segment before grade factors."""
    seg = route.segments
    cats = categories(route, cost=True)
    classes = _classes(route)
    maxspeed = (seg["maxspeed_kmh"].to_numpy(float) if "maxspeed_kmh" in seg.columns
                else np.full(len(seg), np.nan))
    out = np.empty(len(seg))
    road = params.road_speed_kmh
    for i, (mode, cat, cls) in enumerate(zip(seg["mode"].astype(str), cats, classes, strict=True)):
        if mode == "rail":
            v = {"new": params.rail_speed_new_kmh, "existing_active": params.rail_speed_existing_kmh,
                 "existing_disused": params.rail_speed_rehab_kmh}[cat]
        elif cat == "new":
            v = params.road_speed_new_kmh
        else:
            base = cls.removesuffix("_link")
            v = road.get(base, road.get("other", 40.0))
        ms = maxspeed[i]
        if math.isfinite(ms) and ms > 0:
            v = min(v, ms)
        out[i] = v
    return out


def running_time_h(route: Any, iv: Intervals, params: CostParams) -> float:
    """Hours of running time: interval length over segment speed times the grade factor."""
    speeds = segment_speeds(route, params)[iv.segment]
    modes = route.segments["mode"].astype(str).to_numpy()[iv.segment]
    g = np.abs(iv.grade)
    factor = np.ones(g.size)
    for mode, steps in (("rail", params.rail_grade_speed), ("road", params.road_grade_speed)):
        sel = modes == mode
        for thr, fac in steps:
            hit = sel & (g > thr)
            factor[hit] = np.minimum(factor[hit], fac)
    return float(np.sum(iv.length_m / 1000.0 / (speeds * factor)))


def warn_stored_design(route: Any, params: CostParams) -> None:
    """Warn (once per set of overrides) where ``params`` change what the alignment stage reads
    (:data:`corridor.costs.DESIGN_FIELDS`), or the route was traced to another ruling grade than the
    mode's default (``route.meta["max_grade"]``), but the route's priced-new lines of the modelled
    reference network carry the design drawn with the defaults: they are repriced, not designed again."""
    stored = on_reference(route) & priced_new(route)
    if not stored.any():
        return
    changed = design_overrides(params)
    traced = (getattr(route, "meta", None) or {}).get("max_grade")
    drawn = getattr(CostParams.default(), f"{route.mode}_ruling_grade", None)
    if (isinstance(traced, int | float) and not isinstance(traced, bool) and isinstance(drawn, float)
            and not math.isclose(traced, drawn)):  # e.g. `corridor route --max-grade`, `sweep --vary max_grade`
        # (a costs file's <mode>_ruling_grade is traced too: named once, as the ruling grade)
        changed = [k for k in changed if k != f"{route.mode}_ruling_grade"]
        changed.append(f"the ruling grade (the route was traced to {traced * 1000:g} per mille; the lines were "
                       f"designed at {drawn * 1000:g})")
    if changed:
        warn_once(log, "the modelled reference network's lines keep the design drawn with the default cost "
                  "parameters: overriding %s reprices their structures and volumes but does not redraw them; "
                  "trace with network=None (--network none) to design with the override", ", ".join(changed))


def ruling_grade(route: Any, params: CostParams) -> float:
    """The ruling grade of the route: the one it was traced to (``route.meta["max_grade"]``, e.g.
    ``corridor route --max-grade``), else the mode's ``CostParams.<mode>_ruling_grade``.

    >>> from types import SimpleNamespace
    >>> p = CostParams()
    >>> ruling_grade(SimpleNamespace(mode="rail", meta={"max_grade": 0.025}), p), ruling_grade(
    ...     SimpleNamespace(mode="road", meta={}), p)
    (0.025, 0.08)
    """
    g = (getattr(route, "meta", None) or {}).get("max_grade")
    if isinstance(g, int | float) and not isinstance(g, bool) and 0 < g < 1:
        return float(g)
    return float(params.rail_ruling_grade if route.mode == "rail" else params.road_ruling_grade)


def quantities(route: Any, iv: Intervals) -> tuple[dict[tuple[str, str, str, str], float],
                                                   dict[str, dict[tuple[str, str, str, str], float]]]:
    """Km per ``(mode, build, terrain, structure)`` bucket for :func:`corridor.costs.cost_band`: of the whole
    route, and of its part in each unit it enters (codes of :func:`segment_units`), in one pass.

    New build whose vertical design gives its earthworks (segments with ``cut_m3_per_m``, priced new)
    is in the terrain bucket :data:`corridor.costs.DESIGNED`: the design priced its terrain as cut
    and fill, so no terrain factor applies on top.
    """

    seg = route.segments
    cats = np.asarray(categories(route, cost=True), dtype=object)[iv.segment]
    modes = seg["mode"].astype(str).to_numpy()[iv.segment]
    structs = seg["structure"].fillna("none").astype(str).to_numpy()[iv.segment]
    structs = np.where(np.isin(structs, ["tunnel", "bridge"]), structs, "none")
    earthworks = priced_new(route) & (np.isfinite(seg["cut_m3_per_m"].to_numpy(dtype=float))
                                      if "cut_m3_per_m" in seg.columns else False)
    terrain = np.where(earthworks[iv.segment], DESIGNED, np.asarray(TERRAIN_CLASSES, dtype=object)[iv.terrain])
    units = np.asarray(segment_units(route), dtype=object)[iv.segment]
    out: dict[tuple[str, str, str, str], float] = {}
    by_unit: dict[str, dict[tuple[str, str, str, str], float]] = {}
    for m, c, t, s, ln, u in zip(modes, cats, terrain, structs, iv.length_m, units, strict=True):
        key = (str(m), str(c), str(t), str(s))
        km = float(ln) / 1000.0
        out[key] = out.get(key, 0.0) + km
        here = by_unit.setdefault(str(u), {})
        here[key] = here.get(key, 0.0) + km
    return out, by_unit


def terrain_km(iv: Intervals) -> dict[str, float]:
    """Km of route per terrain class."""

    return {name: float(iv.length_m[iv.terrain == k].sum()) / 1000.0 for k, name in enumerate(TERRAIN_CLASSES)}


def dominant_terrain(km: Mapping[str, float]) -> str:
    """The terrain class with the most km (ties go to the more rugged class).

    >>> dominant_terrain({"flat": 5.0, "rolling": 5.0, "mountainous": 1.0})
    'rolling'
    """

    best = max(range(len(TERRAIN_CLASSES)), key=lambda k: (km.get(TERRAIN_CLASSES[k], 0.0), k))
    return TERRAIN_CLASSES[best]


#: Parts of the construction cost (see :func:`cost_parts`).
COST_PARTS = ("open_line", "earthworks", "tunnels", "bridges", "border_gauge")


def _per_m(route: Any, col: str, built: np.ndarray) -> float:
    seg = route.segments
    if col not in seg.columns:
        return 0.0
    v = np.nan_to_num(seg[col].to_numpy(dtype=float), nan=0.0)
    return float(np.sum(np.where(built, v, 0.0) * seg["length_m"].to_numpy(dtype=float)))


def earthworks(route: Any) -> tuple[tuple[float, float], dict[str, tuple[float, float]]]:
    """``(cut_m3, fill_m3)`` of the route, and of its part in each unit it enters (codes of
    :func:`segment_units`): the vertical design's volumes on new-build segments.

    New segments carry ``cut_m3_per_m`` / ``fill_m3_per_m`` (per metre, so that
    splitting a segment at a border keeps the totals), and so do edges of the modelled
    reference network (their own design). Only segments priced as new build count:
    disused or abandoned line is rehabilitated on its existing formation.
    """
    built = priced_new(route)  # rehabilitation: on the existing formation
    units = np.asarray(segment_units(route), dtype=object)

    def volumes(mask: np.ndarray) -> tuple[float, float]:
        return _per_m(route, "cut_m3_per_m", mask), _per_m(route, "fill_m3_per_m", mask)

    return volumes(built), {str(u): volumes(built & (units == u)) for u in dict.fromkeys(units)}


def structures(route: Any) -> list[Any]:
    """Tunnels and bridges along the route (consecutive segments of one kind merged).

    Greatest depth/height from the segments' ``structure_depth_m`` (the vertical
    design of new build); NaN for existing structures, whose depth is unknown.
    """

    seg = route.segments
    off = route.offsets()
    depth = (seg["structure_depth_m"].to_numpy(dtype=float) if "structure_depth_m" in seg.columns
             else np.full(len(seg), np.nan))
    out: list[Any] = []
    for i, kind in enumerate(seg["structure"].fillna("none").astype(str)):
        if kind not in ("tunnel", "bridge"):
            continue
        a, b, dep = float(off[i]), float(off[i + 1]), float(depth[i])
        if out and out[-1].kind == kind and abs(out[-1].end_m - a) < 1e-6:
            prev = out[-1]
            both = [x for x in (prev.max_depth_m, dep) if math.isfinite(x)]
            out[-1] = Structure(kind, prev.start_m, b - prev.start_m, max(both) if both else math.nan)
        else:
            out.append(Structure(kind, a, b - a, dep))
    return out


def cost_parts(quantities: Mapping[tuple[str, str, str, str], float], cut_m3: float, fill_m3: float,
               n_border_stops: int, n_gauge_breaks: int, params: CostParams) -> dict[str, tuple[float, float, float]]:
    """Construction cost ``(low, central, high)`` MUSD by part (:data:`COST_PARTS`).

    ``open_line`` is every bucket priced per km that is not a new tunnel or
    bridge (new open line, rehabilitation, upgrades); ``earthworks`` the cut
    (excavation + dumping) and fill (borrow + placing) volumes of the vertical
    design; ``border_gauge`` the border-crossing and gauge-change facilities.
    The parts sum to the total of :attr:`corridor.evaluation.RouteMetrics.cost_musd`.

    >>> p = CostParams()
    >>> parts = cost_parts({("rail", "new", "flat", "tunnel"): 1.0}, 1000.0, 0.0, 1, 0, p)
    >>> parts["tunnels"], parts["earthworks"][1]
    ((25.0, 40.0, 60.0), 0.033)
    """

    groups: dict[str, dict[tuple[str, str, str, str], float]] = {"open_line": {}, "tunnels": {}, "bridges": {}}
    for key, km in quantities.items():
        _m, build, _t, struct = key
        part = {"tunnel": "tunnels", "bridge": "bridges"}.get(struct, "open_line") if build == "new" else "open_line"
        groups[part][key] = km
    out = {k: cost_band(v, params=params) for k, v in groups.items()}
    ew = (cut_m3 * (params.earthwork_cut_usd_per_m3 + params.earthwork_dump_usd_per_m3)
          + fill_m3 * (params.earthwork_borrow_usd_per_m3 + params.earthwork_fill_usd_per_m3)) / 1e6
    out["earthworks"] = (ew, ew, ew)
    bf, gf = params.border_facility_musd, params.gauge_facility_musd
    out["border_gauge"] = tuple(n_border_stops * bf[k] + n_gauge_breaks * gf[k] for k in range(3))  # type: ignore[assignment]
    return {k: out[k] for k in COST_PARTS}


def unit_cost(quantities: Mapping[tuple[str, str, str, str], float], cut_m3: float, fill_m3: float,
              params: CostParams) -> tuple[float, float, float]:
    """Construction cost ``(low, central, high)`` MUSD of a route's part in one unit: the open line,
    earthworks, tunnels and bridges of its :func:`quantities` and :func:`earthworks` there. Border and
    gauge facilities stand between two units and are not apportioned to either.

    >>> unit_cost({("rail", "new", "flat", "tunnel"): 1.0}, 0.0, 0.0, CostParams())
    (25.0, 40.0, 60.0)
    """
    return total_cost(cost_parts(quantities, cut_m3, fill_m3, 0, 0, params))


def total_cost(parts: Mapping[str, tuple[float, float, float]]) -> tuple[float, float, float]:
    """The ``(low, central, high)`` sum of cost parts (:func:`cost_parts`)."""
    lo, mid, hi = (sum(p[k] for p in parts.values()) for k in range(3))
    return lo, mid, hi
