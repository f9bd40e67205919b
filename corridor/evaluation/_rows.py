"""The columns of a comparison-table row: :data:`ROW_COLUMNS` and the ``published_*`` columns.

:meth:`corridor.evaluation.RouteMetrics.as_row` reads each fixed column with
the getter of :data:`_ROW`; :func:`published_columns` adds the published
figures of a scenario beside them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from corridor._types import UNITS
from corridor.evaluation import _core as core
from corridor.evaluation.uncertainty_bands import BAND_COLUMNS, band_columns

#: The rows read a :class:`~corridor.evaluation.RouteMetrics`; this private module names it only in
#: prose, so that ``metrics`` (which uses these tables) and this module do not import each other.
RouteMetrics = Any

__all__ = ["ROW_COLUMNS", "TEXT_COLUMNS", "published_columns", "row_values", "structure_columns"]

#: Separates the sources a published figure cites ("a; b"); a ";" inside brackets is part of one source.
_SOURCE_SEP = re.compile(r"\s*;\s*(?![^()]*\))")


def structure_columns(m: RouteMetrics) -> dict[str, Any]:
    """``n_tunnels``, ``longest_tunnel_m``, ``n_bridges``, ``longest_bridge_m`` of the route's structures."""
    out: dict[str, Any] = {}
    for kind in ("tunnel", "bridge"):
        ss = [s for s in m.structures if s.kind == kind]
        out[f"n_{kind}s"] = len(ss)
        out[f"longest_{kind}_m"] = max((s.length_m for s in ss), default=0.0)
    return out


def _structure_column(col: str) -> Callable[[RouteMetrics], float]:
    return lambda m: structure_columns(m)[col]


def _cost_part(k: str) -> Callable[[RouteMetrics], float]:
    return lambda m: m.cost_parts_musd.get(k, (0.0, 0.0, 0.0))[1]


def _band_column(col: str) -> Callable[[RouteMetrics], Any]:
    return lambda m: band_columns(m)[col]


def _per_unit(u: str) -> Callable[[RouteMetrics], float]:
    return lambda m: m.length_by_unit_m.get(u, 0.0) / 1000.0


def _cost_in(u: str) -> Callable[[RouteMetrics], float]:
    return lambda m: m.cost_in_unit_musd(u)[1]


def _per_build(b: str) -> Callable[[RouteMetrics], float]:
    return lambda m: m.length_by_build_m.get(b, 0.0) / 1000.0


#: The fixed columns of :meth:`RouteMetrics.as_row` and how each is read (``published_*`` follow).
_ROW: tuple[tuple[str, Callable[[RouteMetrics], Any]], ...] = (
    ("name", lambda m: m.name),
    ("mode", lambda m: m.mode),
    ("scenario", lambda m: str(m.meta.get("scenario", ""))),
    ("status", lambda m: str(m.meta.get("status", ""))),
    ("length_km", lambda m: m.length_km),
    *((f"length_km_{u}", _per_unit(u)) for u in UNITS),
    ("length_km_outside", _per_unit(core.OUTSIDE)),
    *((f"length_km_{b}", _per_build(b)) for b in ("existing_active", "existing_disused", "new")),
    ("n_crossings", lambda m: m.n_crossings),
    ("n_border_stops", lambda m: m.n_border_stops),
    ("n_known_crossings", lambda m: sum(1 for c in m.crossings if c["known"])),
    ("crossings", lambda m: m.crossings_text()),
    ("n_gauge_breaks", lambda m: m.n_gauge_breaks),
    ("n_transfers", lambda m: m.n_transfers),
    ("min_elevation_m", lambda m: float(m.profile.min_m)),
    ("max_elevation_m", lambda m: float(m.profile.max_m)),
    ("mean_elevation_m", lambda m: float(m.profile.mean_m)),
    ("ascent_m", lambda m: float(m.profile.ascent_m)),
    ("descent_m", lambda m: float(m.profile.descent_m)),
    ("max_grade", lambda m: float(m.profile.max_abs_grade)),
    ("mean_grade", lambda m: float(m.profile.mean_abs_grade)),
    ("ruling_grade", lambda m: m.ruling_grade),
    ("over_ruling_km", lambda m: m.over_ruling_km),
    ("tunnel_km", lambda m: m.tunnel_km),
    ("bridge_km", lambda m: m.bridge_km),
    *((col, _structure_column(col)) for col in ("n_tunnels", "longest_tunnel_m", "n_bridges", "longest_bridge_m")),
    ("cut_m3", lambda m: m.cut_m3),
    ("fill_m3", lambda m: m.fill_m3),
    ("detour_factor", lambda m: m.detour_factor),
    ("time_h", lambda m: m.time_h),
    ("time_running_h", lambda m: m.time_parts_h.get("running", 0.0)),
    ("time_dwell_h", lambda m: m.time_h - m.time_parts_h.get("running", 0.0)),
    ("cost_low_musd", lambda m: m.cost_musd[0]),
    ("cost_central_musd", lambda m: m.cost_musd[1]),
    ("cost_high_musd", lambda m: m.cost_musd[2]),
    *((f"cost_{k}_musd", _cost_part(k)) for k in core.COST_PARTS),
    *((f"cost_central_musd_{u}", _cost_in(u)) for u in (*UNITS, core.OUTSIDE)),
    *((col, _band_column(col)) for col in BAND_COLUMNS),
    ("terrain_class", lambda m: m.terrain_class),
    ("flat_km", lambda m: m.terrain_km.get("flat", 0.0)),
    ("rolling_km", lambda m: m.terrain_km.get("rolling", 0.0)),
    ("mountainous_km", lambda m: m.terrain_km.get("mountainous", 0.0)),
    ("source", lambda m: m.source),
    ("modelled", lambda m: m.modelled),
    ("network_source", lambda m: m.network_source),
    ("dem_source", lambda m: m.dem_source),
    ("voids_filled", lambda m: bool(getattr(m.profile, "voids_filled", False))),
)
#: Column names of :meth:`RouteMetrics.as_row` before the ``published_*`` columns.
ROW_COLUMNS: tuple[str, ...] = tuple(col for col, _ in _ROW)
#: The columns of a row that are text or flags, not figures (with ``published_sources``, the one text
#: column :func:`published_columns` always adds).
TEXT_COLUMNS: tuple[str, ...] = ("name", "mode", "scenario", "status", "crossings", "dem_band", "terrain_class",
                                 "source", "modelled", "network_source", "dem_source", "voids_filled",
                                 "published_sources")


def row_values(m: RouteMetrics) -> dict[str, Any]:
    """The :data:`ROW_COLUMNS` of ``m``, in order."""
    return {col: get(m) for col, get in _ROW}


def _slug(text: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def published_columns(published: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``published_<figure>_<unit>`` columns; repeated figures are joined with ``"; "``.

    >>> published_columns([{"figure": "length", "value": 42, "unit": "km", "source": "a"},
    ...                    {"figure": "length", "value": 43, "unit": "km", "source": "b"}])
    {'published_length_km': '42; 43', 'published_sources': 'a; b'}
    >>> published_columns([{"figure": "l", "value": 7, "unit": "km", "source": "a; b"},
    ...                    {"figure": "t", "value": 1, "unit": "km", "source": "a"}])["published_sources"]
    'a; b'
    >>> published_columns([{"figure": "l", "value": 7, "unit": "km", "source": "a (p. 2; 2021); b"},
    ...                    {"figure": "t", "value": 1, "unit": "km", "source": "2021)"}])["published_sources"]
    'a (p. 2; 2021); b; 2021)'
    """
    out: dict[str, Any] = {}
    sources: list[str] = []
    for item in published:
        fig, unit = _slug(item.get("figure", "figure")), _slug(item.get("unit", ""))
        key = f"published_{fig}" + (f"_{unit}" if unit and not fig.endswith(unit) else "")
        val = item.get("value")
        if key in out:
            out[key] = f"{out[key]}; {val}"
        else:
            out[key] = val
        # a figure may cite several sources ("a; b"): each is listed once (a ";" in brackets is not a separator)
        for src in _SOURCE_SEP.split(str(item.get("source", ""))):
            if src.strip() and src.strip() not in sources:
                sources.append(src.strip())
    if out:
        out["published_sources"] = "; ".join(sources)
    return out
