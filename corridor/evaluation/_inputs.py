"""What :func:`corridor.evaluation.evaluate` is given: the route or scenario, the DEM, the sampling step.

Also the ``network_source`` label of a route's existing segments.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from corridor import scenarios
from corridor._errors import InvalidInputError
from corridor._validate import check_positive
from corridor.network.core import NO_NETWORK_SOURCE
from corridor.route import Route
from corridor.terrain.profiles import DEM

__all__ = ["as_route", "network_source", "open_dem", "symmetric_step"]


def open_dem(dem: Any) -> Any:
    """A DEM object: ``None``, a path or a list of paths opened with :meth:`DEM.open`, anything else as is."""
    if dem is None or isinstance(dem, str | bytes) or hasattr(dem, "__fspath__") or isinstance(dem, list | tuple):
        return DEM.open(dem)
    return dem


def as_route(item: Any, network: Any = None, dem: Any = None) -> Route:
    """The Route to evaluate: a Route as is, a Scenario (or built-in scenario name) routed on ``network``."""
    if isinstance(item, Route):
        return item
    if isinstance(item, str):
        item = scenarios.get(item)
    if hasattr(item, "route") and callable(item.route):
        routed: Route = item.route(network=network if network is not None else "reference", dem=dem)
        return routed
    raise InvalidInputError(f"cannot evaluate {item!r}: give a Route, a Scenario or a scenario name")


def network_source(route: Any) -> str:
    """The network ``route`` was traced over, as the route records it (``meta["network_source"]``, set by
    :func:`corridor.align.trace`: None where it used none, e.g. a route that could not join the network
    and follows new build alone), else where its existing segments come from (with the extract date
    when known); :data:`corridor.network.NO_NETWORK_SOURCE` for new alignment only."""
    meta = route.meta or {}
    if meta.get("network_source"):
        return str(meta["network_source"])
    seg = route.segments
    existing = seg[seg["build"].astype(str) == "existing"]
    if len(existing) == 0:
        return NO_NETWORK_SOURCE
    srcs = sorted({str(s) for s in existing["source"]})
    text = ", ".join(srcs)
    date = (meta.get("network_meta") or {}).get("extract_date") if isinstance(meta.get("network_meta"), Mapping) else None
    return f"{text} (extract {date})" if date else text


def symmetric_step(route: Any, dem: Any, step_m: float | None) -> float:
    """A step that divides the route length into whole steps (see :func:`corridor.evaluation.evaluate`)."""
    total = route.length_m
    if step_m is None:
        lats = [c[1] for c in (route.start, route.end)]
        base = float(dem.ground_resolution_m(sum(lats) / 2)) / 2
    else:
        base = check_positive(step_m, "step_m")
    if total <= 0:
        return base
    return float(total / max(1, math.ceil(total / base - 1e-9)))
