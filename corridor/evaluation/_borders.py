"""Borders, gauge breaks and transfers along a route (for :func:`corridor.evaluation.evaluate`).

Every change of unit along the route is a crossing, named after a known crossing point of the
gazetteer on that border; short excursions across a border river are folded into the unit around
them; the track gauge is followed from segment to segment (tagged, or inferred from the unit).

Examples
--------
>>> from shapely.geometry import LineString
>>> from corridor.route import Route
>>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail")
>>> [(c["from_unit"], c["to_unit"]) for c in crossings(r)]
[('NAX', 'ARM')]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from corridor._geo import distances_from
from corridor._types import NATIONAL_GAUGE_MM, OUTSIDE
from corridor.data.places import CROSSING_KINDS, table
from corridor.evaluation._core import _flag, _unit, on_reference

__all__ = ["GAUGE_MIN_PIECE_M", "crossings", "crossings_text", "effective_units", "gauge_breaks", "n_transfers"]


def _known_places() -> Any:
    """The gazetteer's known crossing points (:data:`corridor.data.places.CROSSING_KINDS`) that lie on a
    border, with their ``border`` (the two units either side, derived when the places are loaded)."""
    t = table()
    return t[t["kind"].isin(CROSSING_KINDS) & t["border"].notna()].reset_index(drop=True)


def effective_units(route: Any, max_excursion_m: float = 0.0) -> list[str | None]:
    """Unit of every segment with short *excursions* folded into the surrounding unit.

    A route along a border river drifts across a border that the boundary data
    place to within about a kilometre. An interior run of segments in one unit,
    shorter than ``max_excursion_m`` and with the same unit before and after, is
    given the unit of the run before it. With 0 nothing is folded.

    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> r = Route.from_lines([LineString([(45.63, 38.96), (46.02, 38.905)])], mode="rail")
    >>> effective_units(r, 5000.0) == [effective_units(r, 5000.0)[0]] * len(r.segments)
    True
    """
    units = [_unit(u) for u in route.segments["unit"]]
    lengths = route.segments["length_m"].to_numpy(float)
    runs: list[list[Any]] = []  # [unit, first, last, length]
    for i, u in enumerate(units):
        if runs and runs[-1][0] == u:
            runs[-1][2] = i
            runs[-1][3] += lengths[i]
        else:
            runs.append([u, i, i, lengths[i]])
    eff = [r[0] for r in runs]
    for k in range(1, len(runs) - 1):
        if runs[k - 1][0] == runs[k + 1][0] and runs[k][3] < max_excursion_m:
            eff[k] = eff[k - 1]
    out: list[str | None] = [None] * len(units)
    for k, r in enumerate(runs):
        for i in range(r[1], r[2] + 1):
            out[i] = eff[k]
    return out


def crossings(route: Any, *, tolerance_m: float = 5000.0, max_excursion_m: float = 0.0) -> list[dict[str, Any]]:
    """Every change of unit along the route, in travel order.

    Each crossing is a dict: ``from_unit``, ``to_unit`` (None outside every
    unit), ``lon``, ``lat``, ``distance_km`` (from the start), ``known``,
    ``known_name`` and ``excursion`` (True if the crossing only bounds a short
    excursion, see :func:`effective_units`: no border stop).

    A crossing is ``known``, and named after the crossing point, when a border
    crossing, checkpoint or station of the gazetteer on the border between its
    two units (the place's ``border``, :func:`corridor.data.places.table`; either
    order) lies within ``tolerance_m``; the nearest such point names it. A known
    point of another border names nothing, however close. Crossings that only
    bound an excursion are never known: the line drifts across the border and
    back, it does not cross at a crossing point, so the known crossings are the
    border stops made at known points, each counted once.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> r = Route.from_lines([LineString([(46.60, 38.94), (46.54, 38.86)])], mode="road")  # over the Aras
    >>> [(c["from_unit"], c["to_unit"], c["known_name"]) for c in crossings(r)]
    [('AZE', 'IRN', 'Kalaleh (approx.)')]
    """

    seg = route.segments
    off = route.offsets()
    units = [_unit(u) for u in seg["unit"]]
    eff = effective_units(route, max_excursion_m)
    out: list[dict[str, Any]] = []
    prev: str | None = None
    started = False
    for i, u in enumerate(units):
        if started and u != prev:
            x, y = seg.geometry.iat[i].coords[0]
            out.append({"from_unit": prev, "to_unit": u, "lon": float(x), "lat": float(y),
                        "distance_km": float(off[i]) / 1000.0, "known": False, "known_name": "",
                        "excursion": eff[i] == eff[i - 1]})
        prev, started = u, True
    stops = [c for c in out if not c["excursion"] and c["from_unit"] and c["to_unit"]]
    if stops:
        known = _known_places()
        if len(known):
            lons, lats = known["lon"].to_numpy(float), known["lat"].to_numpy(float)
            borders = [frozenset(b) for b in known["border"]]
            for c in stops:
                # only a crossing point of this border (the unordered pair of units) can name the crossing
                here = np.array([b == {c["from_unit"], c["to_unit"]} for b in borders], dtype=bool)
                if not here.any():
                    continue
                d = np.where(here, distances_from(c["lon"], c["lat"], lons, lats), np.inf)
                j = int(np.argmin(d))
                if d[j] <= tolerance_m:
                    c["known"], c["known_name"] = True, str(known["name"].iat[j])
    return out


#: Rail pieces shorter than this (m) carry no gauge of their own in :func:`gauge_breaks`: where a line
#: already cut at a border (the reference network's edges, stored to ~0.1 m) is cut there again, a
#: piece of millimetres to decimetres of one edge falls on the other side of the border.
GAUGE_MIN_PIECE_M = 1.0


def gauge_breaks(route: Any, *, infer: bool = True, max_excursion_m: float = 0.0) -> list[dict[str, Any]]:
    """Points where the track gauge changes (rail segments only).

    A gauge break is either a segment of class ``gauge_break`` (a transfer edge
    of the network) or a change between known gauges of consecutive rail
    segments. With ``infer``, rail segments without a gauge take the national
    gauge of their unit (:data:`corridor._types.NATIONAL_GAUGE_MM`), short border excursions
    folded (:func:`effective_units`); so do new-build segments and lines of the modelled
    reference network whose gauge is simply their unit's national gauge (as the alignment engine
    assigns it): a short excursion of such a line across a border river is no gauge break. A gauge
    from data (OSM ``gauge``) is kept as it is. Pieces shorter than :data:`GAUGE_MIN_PIECE_M` are
    passed over.
    """
    seg = route.segments
    modelled = on_reference(route)
    eff = effective_units(route, max_excursion_m)
    off = route.offsets()
    explicit = _flag(route, "gauge_break", "gauge_break")
    out: list[dict[str, Any]] = []
    last: float | None = None
    counted = False
    for i in range(len(seg)):
        if explicit[i]:
            x, y = seg.geometry.iat[i].coords[0]
            out.append({"lon": float(x), "lat": float(y), "distance_km": float(off[i]) / 1000.0,
                        "from_gauge_mm": last, "to_gauge_mm": None})
            counted = True
            continue
        if str(seg["mode"].iat[i]) != "rail" or float(seg["length_m"].iat[i]) < GAUGE_MIN_PIECE_M:
            continue
        g = seg["gauge_mm"].iat[i]
        g = None if g is None or (isinstance(g, float) and math.isnan(g)) else float(g)
        raw = _unit(seg["unit"].iat[i])
        if (infer and (str(seg["build"].iat[i]) == "new" or modelled[i]) and raw
                and g == NATIONAL_GAUGE_MM.get(raw)):
            g = None  # a modelled line given its unit's national gauge: re-infer with excursions folded
        if g is None and infer:
            u = eff[i]
            g = float(NATIONAL_GAUGE_MM[u]) if u in NATIONAL_GAUGE_MM else None
        if g is None:
            continue
        if last is not None and g != last:
            if counted:
                out[-1]["to_gauge_mm"] = g
            else:
                x, y = seg.geometry.iat[i].coords[0]
                out.append({"lon": float(x), "lat": float(y), "distance_km": float(off[i]) / 1000.0,
                            "from_gauge_mm": last, "to_gauge_mm": g})
        last, counted = g, False
    return out


def n_transfers(route: Any) -> int:
    """Road-rail transfers (segments of class ``transfer`` or a true ``transfer`` column)."""
    return int(_flag(route, "transfer", "transfer").sum())


def crossings_text(crossings: list[dict[str, Any]]) -> str:
    """Crossings (of :func:`crossings`) as ``"NAX>ARM (Salammelik (approx.)); ARM>AZE"``.

    Crossings that only bound a short excursion along a border are counted, not listed.

    >>> crossings_text([{"from_unit": "NAX", "to_unit": "ARM", "known": True, "known_name": "X"},
    ...                 {"from_unit": "ARM", "to_unit": "IRN", "known": False, "excursion": True}])
    'NAX>ARM (X); +1 excursion across a border along the route'
    """
    parts = []
    n_exc = 0
    for c in crossings:
        if c.get("excursion"):
            n_exc += 1
            continue
        s = f"{c['from_unit'] or OUTSIDE}>{c['to_unit'] or OUTSIDE}"
        if c["known"]:
            s += f" ({c['known_name']})"
        parts.append(s)
    if n_exc:
        parts.append(f"+{n_exc} excursion{'s' if n_exc > 1 else ''} across a border along the route")
    return "; ".join(parts)
