"""DEM-uncertainty bands: tunnel km, bridge km and central cost on perturbed ground.

The DEM under a new alignment is uncertain by its documented vertical error
(:attr:`corridor.terrain.DEM.vertical_sigma_m`; GLOBE: LE90 30 m, so σ ≈ 18 m).
:func:`dem_band` redraws the ground of every run of new build that corridor
designed (the runs recorded in ``route.meta["formation"]`` by
:func:`corridor.align.trace`) ``n`` times, adding spatially correlated noise of
that error (:func:`corridor.terrain.uncertainty.correlated_noise`, correlation
length :func:`~corridor.terrain.uncertainty.default_corr_length_m` of the DEM's
cell size), and re-runs the least-cost vertical design
(:func:`corridor.align.vertical.design_grade_line`) on each realisation with
the same constraints: the ruling grade, waypoint level windows at the
waypoints, and the level of the existing line at a junction (taken from the same
perturbed ground, as the trace took it from the DEM). One realisation is one
error field along the whole route, so runs close to each other share it.

What is held fixed: the horizontal line (no re-trace), existing lines and
their structures (they come from the network data), and every unit cost (at
its central value: the unit-cost band is reported beside, not mixed in).

Each realisation gives the *change* in tunnel and bridge length and in cut and
fill volume against the same design re-run on the unperturbed ground; the
figures of a realisation are the route's own figures plus that change (so with
zero DEM error the band collapses onto the reported figure). The change in
central cost prices those quantities with the route's own unit costs: tunnels
and bridges at the new-build tunnel/bridge rate, the open line they replace at
the new-build open-line rate times the length-weighted terrain factor of the
route's new open line, earthworks per m³ (:func:`band_figures`). Because only
the changes are stored, the band follows :meth:`RouteMetrics.recost`.

A realisation whose ground no grade line can fit (a waypoint window out of
reach at the ruling grade) is dropped and counted (:attr:`DemBand.n_failed`);
the bands are P10/P50/P90 of the rest. Lines of the modelled reference network
that are not built yet (or razed) carry the design corridor drew for them and get
the band like new build; routes on existing lines only (OpenStreetMap, or
reference lines rehabilitated on their formation) get no band.

Examples
--------
>>> from corridor.align import trace
>>> r = trace(["Meghri", "Agarak"], mode="road", network=None)
>>> b = dem_band(r, None, n=5, seed=1)
>>> b.n, b.runs >= 1, b.n_ok + b.n_failed == 5
(5, True, True)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor import settings
from corridor._errors import CorridorError, ParameterError
from corridor._geo import same_point
from corridor._logs import warn_once
from corridor.align.structures import LEVEL_STEP_M, design_stations
from corridor.align.vertical import design_grade_line
from corridor.costs import CostParams, terrain_factor
from corridor.evaluation._core import designed, ruling_grade
from corridor.route import true_runs
from corridor.terrain.dem import DEM
from corridor.terrain.uncertainty import bands, correlated_noise, default_corr_length_m

log = logging.getLogger(__name__)

__all__ = ["BAND_COLUMNS", "BAND_FIGURES", "DEFAULT_SEED", "MEANING", "NO_DESIGN", "OFF", "DemBand", "band_columns", "band_figures",
           "check_samples", "dem_band"]

#: Figures that get a DEM band (columns of :meth:`RouteMetrics.as_row`).
BAND_FIGURES = ("tunnel_km", "bridge_km", "cost_central_musd")
#: Columns added to the comparison table: ``<figure>_dem_p10``/``_p90``, the realisations used and a note.
BAND_COLUMNS: tuple[str, ...] = (*(f"{f}_dem_{p}" for f in BAND_FIGURES for p in ("p10", "p90")),
                                 "dem_samples", "dem_band")
#: Seed of the perturbations when none is given: the same inputs give the same band on every run.
DEFAULT_SEED = 14
#: What the band means (one sentence, shown by the CLI and the report).
MEANING = ("The DEM band is the P10-P90 spread of tunnel km, bridge km and central cost over {n} "
           "re-designs of the grade line of each run that corridor designed (new build, and lines of the "
           "modelled reference network still to build), each on the DEM "
           "ground plus spatially correlated noise of the DEM's documented vertical error ({sigma}), "
           "correlated along the line over {corr}; it covers DEM vertical error only: the horizontal "
           "line is held fixed, unit costs are held at their central values (their own low-high band is "
           "shown beside), and existing lines keep the structures of their network data. Noise roughens "
           "the ground, so with a large error the band can sit above the figure designed on the DEM as it "
           "is (more cut and fill). Routes on existing lines only get no band.")
#: Note of a route with no corridor-designed new build, and of a table computed without the band.
NO_DESIGN = ("none: no line designed by corridor to build (existing lines keep the structures of their "
             "network data)")
OFF = "not computed (dem_samples = 0)"
#: Fewest realisations whose P10 and P90 differ from the extremes of the sample: fewer give a warning.
MIN_BAND_SAMPLES = 10


def check_samples(n: Any) -> int:
    """The number of DEM realisations as a non-negative int (``None``: :data:`corridor.settings.dem_samples`).

    >>> check_samples(0), check_samples(None) == check_samples(settings.dem_samples)
    (0, True)
    >>> check_samples(-1)
    Traceback (most recent call last):
    ...
    corridor._errors.ParameterError: dem_samples must be a whole number >= 0 (0 switches the DEM band off), got -1

    Fewer than :data:`MIN_BAND_SAMPLES` (but not 0) is allowed with a warning: P10 and P90 of so few
    realisations are their extremes, or one value.
    """
    raw = settings.dem_samples if n is None else n
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int | np.integer) or raw < 0:
        src = " (from CORRIDOR_DEM_SAMPLES / corridor.settings.dem_samples)" if n is None else ""
        raise ParameterError(f"dem_samples must be a whole number >= 0 (0 switches the DEM band off), "
                             f"got {raw!r}{src}")
    if 0 < raw < MIN_BAND_SAMPLES:
        warn_once(log, "a DEM band from %d realisation(s) is no P10-P90 spread (its percentiles are the extremes of "
                  "so few draws); use %d or more, or 0 to switch it off", int(raw), MIN_BAND_SAMPLES)
    return int(raw)


@dataclass(frozen=True, eq=False)
class DemBand:
    """Changes of the new-build quantities over the DEM realisations (see the module docstring).

    Attributes
    ----------
    n : int
        Realisations drawn.
    sigma_m, corr_length_m : float
        The DEM's vertical error (one standard deviation) and the correlation length used.
    seed : int or None
        Seed of the noise.
    mode : str
        Mode of the new build.
    runs : int
        Runs of new build re-designed.
    designed_km : float
        Their total length.
    d_tunnel_km, d_bridge_km, d_cut_m3, d_fill_m3 : numpy.ndarray
        Per realisation that could be designed: change against the unperturbed re-design.
    base_tunnel_km, base_bridge_km : float
        Tunnels and bridges of the re-design on the unperturbed ground. It reproduces the route's
        own structures where one design drew the run (a trace). A route over the modelled reference
        network may run over lines its builder designed separately (each scenario's chain), which
        one re-design of the run does not reproduce; the band's changes are measured against this
        re-design all the same, and added to the route's own figures.
    reason : str
        Why there is no band ("" when there is one).
    """

    n: int
    sigma_m: float
    corr_length_m: float
    seed: int | None
    mode: str
    runs: int
    designed_km: float
    d_tunnel_km: np.ndarray
    d_bridge_km: np.ndarray
    d_cut_m3: np.ndarray
    d_fill_m3: np.ndarray
    base_tunnel_km: float = math.nan
    base_bridge_km: float = math.nan
    reason: str = ""

    @classmethod
    def empty(cls, n: int, mode: str, reason: str, *, sigma_m: float = math.nan, corr_length_m: float = math.nan,
              seed: int | None = None, runs: int = 0) -> DemBand:
        """A band with no realisations, saying why (``reason``)."""
        z = np.zeros(0)
        return cls(n=n, sigma_m=sigma_m, corr_length_m=corr_length_m, seed=seed, mode=mode, runs=runs,
                   designed_km=0.0, d_tunnel_km=z, d_bridge_km=z, d_cut_m3=z, d_fill_m3=z, reason=reason)

    @property
    def n_ok(self) -> int:
        """Realisations with a feasible grade line on every run (the band is made of these)."""
        return int(self.d_tunnel_km.size)

    @property
    def n_failed(self) -> int:
        """Realisations dropped because some run could not be designed at the ruling grade."""
        return self.n - self.n_ok

    def meaning(self) -> str:
        """:data:`MEANING` filled in with this band's figures."""
        return MEANING.format(n=self.n_ok, sigma=f"σ {self.sigma_m:.1f} m",
                              corr=f"{self.corr_length_m / 1000:.1f} km")

    def note(self) -> str:
        """Short text for tables: realisations, error and correlation length (and failures), or why none."""
        if self.reason:
            return self.reason
        if self.n_ok == 0:
            return f"none: no feasible grade line on any of {self.n} DEM realisations"
        text = (f"P10-P90 of {self.n_ok} re-designs on DEM ground + correlated noise "
                f"(σ {self.sigma_m:.1f} m, correlation {self.corr_length_m / 1000:.1f} km)")
        if self.n_failed:
            text += f"; {self.n_failed} of {self.n} realisations had no feasible grade line and were dropped"
        return text


# ------------------------------------------------------------------ runs
@dataclass(frozen=True)
class _Run:
    coords: np.ndarray  # (k, 2) lon/lat in travel order
    start_m: float  # route chainage of the first vertex
    waypoints: tuple[tuple[float, str], ...]  # (m from the run start, name)
    junction_start: bool
    junction_end: bool


def _designed(route: Any) -> bool:
    """The route still carries the grade line corridor designed for it (same length)."""
    f = (route.meta or {}).get("formation")
    if not isinstance(f, Mapping) or not f.get("runs"):
        return False
    total = float(route.length_m)
    return abs(float(f.get("length_m", -1.0)) - total) <= max(1.0, 1e-6 * total)


def _runs(route: Any) -> list[_Run]:
    """Contiguous runs of designed segments with their level constraints (as :func:`corridor.align.trace`
    set them: a run end at a waypoint is a waypoint window, elsewhere a junction with existing line).

    Designed: new build, and lines of the modelled reference network that are priced as new build
    (not built yet, or razed): they carry the design of the line that :func:`corridor.align.trace`
    drew for them (:mod:`corridor.network._design`)."""
    seg = route.segments
    new = designed(route)
    off = route.offsets()
    places = [(float(p.lon), float(p.lat), str(p.name)) for p in route.waypoints]
    # a waypoint served by a station where the trace cut a spur (route.meta["spurs_cut"]) has its window there
    places += [(float(sp["station_lonlat"][0]), float(sp["station_lonlat"][1]), str(sp["waypoint"]))
               for sp in (route.meta or {}).get("spurs_cut", [])]

    def place_at(xy: tuple[float, float]) -> str | None:
        for lon, lat, name in places:
            if same_point((lon, lat), xy):
                return name
        return None

    out: list[_Run] = []
    for i, j in true_runs(new.tolist()):
        chain: list[np.ndarray] = []
        wps: list[tuple[float, str]] = []
        for k in range(i, j + 1):
            c = np.asarray(seg.geometry.iat[k].coords, dtype=float)[:, :2]
            chain.append(c if not chain else c[1:])
            name = place_at((float(c[0, 0]), float(c[0, 1])))
            if name is not None and (not wps or wps[-1][1] != name):
                wps.append((float(off[k] - off[i]), name))
        last = np.asarray(seg.geometry.iat[j].coords, dtype=float)[-1]
        end_name = place_at((float(last[0]), float(last[1])))
        if end_name is not None:
            wps.append((float(off[j + 1] - off[i]), end_name))
        coords = np.vstack(chain)
        out.append(_Run(coords=coords, start_m=float(off[i]), waypoints=tuple(wps),
                        junction_start=not wps or wps[0][0] > 1e-6,
                        junction_end=end_name is None))
    return out


def _quantities(d: np.ndarray, z: np.ndarray, run: _Run, mode: str, max_grade: float,
                params: CostParams) -> tuple[float, float, float, float]:
    """``(tunnel_km, bridge_km, cut_m3, fill_m3)`` of the least-cost design on ground ``z``."""
    fixed = []
    if run.junction_start:
        fixed.append((float(d[0]), float(z[0]), "junction with existing line"))
    if run.junction_end:
        fixed.append((float(d[-1]), float(z[-1]), "junction with existing line"))
    v = design_grade_line(d, z, mode=mode, max_grade=max_grade, params=params, waypoint_targets=run.waypoints,
                          fixed_levels=fixed, station_step_m=float(d[1] - d[0]), level_step_m=LEVEL_STEP_M)
    return v.length_m("tunnel") / 1000.0, v.length_m("bridge") / 1000.0, v.cut_m3, v.fill_m3


def dem_band(route: Any, dem: Any, *, n: int | None = None, params: CostParams | None = None,
             seed: int | None = DEFAULT_SEED, corr_length_m: float | None = None,
             fill_voids: bool = False) -> DemBand | None:
    """Re-design the route's new-build runs on ``n`` perturbed DEM grounds (see the module docstring).

    Parameters
    ----------
    route : Route
        A route from :func:`corridor.align.trace` (or a scenario's route).
    dem : DEM, path or None
        The DEM the route was designed on (None: the embedded GLOBE DEM); its
        :attr:`~corridor.terrain.DEM.vertical_sigma_m` is the error drawn.
    n : int, optional
        Realisations; default :data:`corridor.settings.dem_samples`; 0 gives no band.
    params : CostParams, optional
        Unit costs and cross-sections of the design (default :class:`CostParams`).
    seed : int or None
        Seed of the noise; the same seed gives the same band. None draws fresh noise.
    corr_length_m : float, optional
        Error correlation length; default
        :func:`corridor.terrain.uncertainty.default_corr_length_m` of the DEM's cell size.
    fill_voids : bool
        Interpolate DEM voids along the runs (as :func:`corridor.evaluation.evaluate`).

    Returns
    -------
    DemBand or None
        None when ``n`` is 0. A band without realisations (its
        :attr:`~DemBand.reason` says why) when the route has no
        corridor-designed new build, or its runs cannot be re-designed on the
        unperturbed ground (logged).

    Raises
    ------
    ParameterError
        ``n`` negative or not a whole number, a bad seed or correlation length.
    """
    count = check_samples(n)
    if count == 0:
        return None
    mode = str(route.mode)
    runs = [r for r in _runs(route) if len(r.coords) >= 2] if _designed(route) else []
    if not runs:
        return DemBand.empty(count, mode, NO_DESIGN, seed=seed)

    dem_obj = dem if isinstance(dem, DEM) else DEM.open(dem)
    params = params if params is not None else CostParams.default()
    max_grade = ruling_grade(route, params)
    profiles = []
    for r in runs:  # the stations of the trace's own design
        d_st, g_st, _step = design_stations(r.coords, dem_obj, fill_voids=fill_voids)
        profiles.append((d_st, g_st))
    lat = float(np.mean(np.concatenate([r.coords[:, 1] for r in runs])))
    corr = (float(corr_length_m) if corr_length_m is not None
            else default_corr_length_m(dem_obj.ground_resolution_m(lat)))
    sigma = float(dem_obj.vertical_sigma_m)
    try:
        base = [_quantities(d, g, r, mode, max_grade, params) for r, (d, g) in zip(runs, profiles, strict=True)]
    except CorridorError as exc:
        log.warning("%s: no DEM band: the new-build runs cannot be re-designed on the unperturbed ground (%s)",
                    route.name, exc)
        return DemBand.empty(count, mode, "none: the new-build runs could not be re-designed on the "
                             "unperturbed ground", sigma_m=sigma, corr_length_m=corr, seed=seed, runs=len(runs))
    chain = np.concatenate([r.start_m + d for r, (d, _g) in zip(runs, profiles, strict=True)])
    chain = np.maximum.accumulate(chain)  # runs are in travel order; guard rounding at run joins
    noise = correlated_noise(chain, sigma, corr, count, seed)
    bounds = np.cumsum([0] + [d.size for d, _g in profiles])
    deltas: list[np.ndarray] = []
    for i in range(count):
        total = np.zeros(4)
        try:
            for k, (r, (d, g)) in enumerate(zip(runs, profiles, strict=True)):
                got = _quantities(d, g + noise[i, bounds[k]:bounds[k + 1]], r, mode, max_grade, params)
                total += np.asarray(got) - np.asarray(base[k])
        except CorridorError as exc:
            log.debug("%s: DEM realisation %d dropped: %s", route.name, i, exc)
            continue
        deltas.append(total)
    arr = np.asarray(deltas, dtype=float).reshape(-1, 4)
    if arr.shape[0] < count:  # reported with the band (DemBand.note), so only logged for diagnosis
        log.info("%s: %d of %d DEM realisations had no feasible grade line and were left out of the band",
                 route.name, count - arr.shape[0], count)
    return DemBand(n=count, sigma_m=sigma, corr_length_m=corr, seed=seed, mode=mode, runs=len(runs),
                   designed_km=sum(float(d[-1]) for d, _g in profiles) / 1000.0,
                   d_tunnel_km=arr[:, 0], d_bridge_km=arr[:, 1], d_cut_m3=arr[:, 2], d_fill_m3=arr[:, 3],
                   base_tunnel_km=sum(b[0] for b in base), base_bridge_km=sum(b[1] for b in base))


# ----------------------------------------------------------------- figures
def _open_rate(band: DemBand, quantities: Mapping[tuple[str, str, str, str], float], terrain_class: str,
               params: CostParams) -> float:
    """Central MUSD/km of the route's new open line: new-build rate times its length-weighted terrain factor."""
    rate = getattr(params, f"{band.mode}_new_musd_per_km")[1]
    km = {t: q for (m, b, t, s), q in quantities.items() if m == band.mode and b == "new" and s == "none" and q > 0}
    if km:
        fac = sum(q * terrain_factor(params, band.mode, t)[1] for t, q in km.items()) / sum(km.values())
    else:
        fac = terrain_factor(params, band.mode, terrain_class)[1]
    return float(rate * fac)


def band_figures(metrics: Any) -> dict[str, tuple[float, float, float]]:
    """``{figure: (p10, p50, p90)}`` of :data:`BAND_FIGURES` for evaluated metrics with a DEM band.

    ``metrics`` is a :class:`corridor.evaluation.RouteMetrics` (anything with
    ``dem_band``, ``tunnel_km``, ``bridge_km``, ``cost_musd``,
    ``quantities_km``, ``terrain_class`` and ``params``); empty without a band
    or when no realisation could be designed.
    """
    band = getattr(metrics, "dem_band", None)
    if band is None or band.n_ok == 0:
        return {}
    p: CostParams = metrics.params
    tunnel = np.maximum(metrics.tunnel_km + band.d_tunnel_km, 0.0)
    bridge = np.maximum(metrics.bridge_km + band.d_bridge_km, 0.0)
    rt = getattr(p, f"{band.mode}_tunnel_musd_per_km")[1]
    rb = getattr(p, f"{band.mode}_bridge_musd_per_km")[1]
    ro = _open_rate(band, metrics.quantities_km, metrics.terrain_class, p)
    c_cut = (p.earthwork_cut_usd_per_m3 + p.earthwork_dump_usd_per_m3) / 1e6
    c_fill = (p.earthwork_borrow_usd_per_m3 + p.earthwork_fill_usd_per_m3) / 1e6
    d_cost = (band.d_tunnel_km * (rt - ro) + band.d_bridge_km * (rb - ro)
              + band.d_cut_m3 * c_cut + band.d_fill_m3 * c_fill)
    cost = metrics.cost_musd[1] + d_cost
    return {"tunnel_km": bands(tunnel), "bridge_km": bands(bridge), "cost_central_musd": bands(cost)}


def band_columns(metrics: Any) -> dict[str, Any]:
    """The :data:`BAND_COLUMNS` of one route (NaN and a note when it has no band)."""
    figs = band_figures(metrics)
    band = getattr(metrics, "dem_band", None)
    out: dict[str, Any] = {}
    for f in BAND_FIGURES:
        lo, _mid, hi = figs.get(f, (math.nan, math.nan, math.nan))
        out[f"{f}_dem_p10"], out[f"{f}_dem_p90"] = lo, hi
    out["dem_samples"] = band.n_ok if band is not None else 0
    out["dem_band"] = band.note() if band is not None else OFF
    return out
