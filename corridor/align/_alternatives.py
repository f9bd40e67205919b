"""Materially different alignments: :func:`alternatives` and :func:`shared_share`.

Public through :mod:`corridor.align.tracing`; kept apart so that module stays small.
The problem set-up is :func:`corridor.align._problem.setup`, the search itself
:mod:`corridor.align.tracing`'s ``_trace_problem``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np

from corridor._errors import InvalidInputError, NoFeasibleAlignment, ParameterError
from corridor._validate import as_items
from corridor.align import surface as _cost
from corridor.align._problem import setup
from corridor.align.tracing import _trace_problem
from corridor.route import Route

log = logging.getLogger(__name__)

__all__ = ["alternatives", "shared_share"]


def shared_share(a: Route, b: Route, *, tol_m: float = 500.0) -> float:
    """Share of route ``a``'s length lying within ``tol_m`` of route ``b``.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> r = Route.from_lines([LineString([(45.3, 39.3), (45.4, 39.3)])], mode="road")
    >>> shared_share(r, r)
    1.0
    """
    import geopandas as gpd

    ga = gpd.GeoSeries([a.geometry], crs="EPSG:4326")
    crs = ga.estimate_utm_crs()
    la = ga.to_crs(crs).iloc[0]
    lb = gpd.GeoSeries([b.geometry], crs="EPSG:4326").to_crs(crs).iloc[0]
    if la.length == 0:
        return 0.0
    return round(float(la.intersection(lb.buffer(tol_m)).length / la.length), 6)


def alternatives(waypoints: Iterable[Any], *, k: int = 3, max_shared: float = 0.5, **kw: Any) -> list[Route]:
    """Up to ``k`` alignments that differ materially (at most ``max_shared`` shared length).

    The first is the least-cost alignment. Further candidates are searched
    with the cells near every accepted alignment made more expensive
    (a penalty that grows until a candidate shares at most ``max_shared`` of
    its length, within 500 m, with each accepted one), in the spirit of
    Quantm's alternative corridors.

    Parameters
    ----------
    waypoints, **kw
        As for :func:`corridor.align.trace`.
    k : int
        Maximum number of alignments.
    max_shared : float
        Maximum share of a candidate's length within 500 m of an accepted one.

    Returns
    -------
    list of Route
        Named ``"<name> (alt 1)"``, ... ; ``meta["alternative"]`` is the rank (0 = best).

    Examples
    --------
    >>> alts = alternatives([(45.30, 39.30), (45.60, 39.10)], mode="road", k=2)
    >>> len(alts) >= 1 and alts[0].meta["alternative"] == 0
    True
    """
    from scipy.ndimage import binary_dilation


    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ParameterError(f"k must be a positive integer, got {k!r}")
    if not 0 < float(max_shared) <= 1:
        raise ParameterError(f"max_shared must be in (0, 1], got {max_shared!r}")
    waypoints = as_items(waypoints)  # any iterable, read once (as trace)
    if len(waypoints) < 2:
        raise InvalidInputError(f"need at least two waypoints, got {waypoints!r}")
    allow_new = kw.pop("allow_new", True)
    name = kw.pop("name", None)
    pb = setup(waypoints, kw.pop("mode", None) or "rail", kw.pop("dem", None), kw.pop("stay_in", None),
                kw.pop("avoid", None), kw.pop("max_grade", None), kw.pop("network", None),
                kw.pop("buffer_m", None), kw.pop("search", "grade"), kw.pop("params", None))
    if kw:
        raise InvalidInputError(f"unexpected arguments {sorted(kw)}; see corridor.align.trace")
    best = _trace_problem(pb, pb.costs, name, allow_new)
    base = best.name
    out = [best.with_meta(alternative=0)]
    used = np.zeros(pb.grid.shape, dtype=bool)
    penalty = 1.5
    tries = 0
    while len(out) < k and tries < 4 * k:
        tries += 1
        used |= _route_cells(out[-1], pb.grid)
        near = binary_dilation(used, iterations=1)
        near[tuple(np.array(pb.cells).T)] = False
        costs = pb.costs.copy()
        costs[near] *= penalty
        try:
            cand = _trace_problem(pb, costs, base, allow_new)
        except NoFeasibleAlignment:
            break
        if all(shared_share(cand, r) <= max_shared for r in out):
            out.append(cand.with_meta(alternative=len(out)))
            penalty = 1.5
        else:
            penalty *= 2.0
            if penalty > 1e4:
                break
    return [r if i == 0 else _renamed(r, f"{base} (alt {i})") for i, r in enumerate(out)]


def _renamed(r: Route, name: str) -> Route:
    from dataclasses import replace

    seg = r.segments.copy()
    seg.loc[seg["build"] == "new", "name"] = name
    return replace(r, name=name, segments=seg)


def _route_cells(r: Route, grid: _cost.Grid) -> np.ndarray:
    from rasterio.features import rasterize

    cells: np.ndarray = rasterize([(r.geometry, 1)], out_shape=grid.shape, transform=grid.transform,
                                  all_touched=True, fill=0, dtype="uint8").astype(bool)
    return cells
