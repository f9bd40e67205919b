"""Batch evaluation on Dask (or local processes) and variant sweeps.

Planners explore thousands of variants (waypoints, ruling grades, unit costs,
weights). :func:`evaluate_many` spreads :func:`corridor.evaluate.evaluate`
calls over a ``dask.distributed.Client`` when one is given, or over local
processes otherwise. Results are identical to the serial evaluation and come
back in input order.

The DEM and the network are shipped **once per worker**, not once per task:
with Dask they are broadcast with ``Client.scatter(..., broadcast=True)`` and
every task receives the same future; with local processes each worker process
loads them once in its initializer.

Fault tolerance is Dask's: tasks lost with a dead worker are recomputed on the
survivors (evaluation is pure, so a recomputed task gives the same result), and
results are keyed by input position, so nothing is lost or duplicated.

Examples
--------
>>> from corridor.batch import variant_grid
>>> grid = variant_grid({"max_grade": "0.010:0.014:0.002", "unit_cost.tunnel": "40,60"})
>>> len(grid), grid[0]
(6, {'max_grade': 0.01, 'unit_cost.tunnel': 40.0})
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ._errors import InvalidInputError, MissingDependencyError, ParameterError

log = logging.getLogger(__name__)

__all__ = ["evaluate_many", "parse_range", "variant_grid"]

# Per-process state for the local-process backend (set by the initializer).
_STATE: dict[str, Any] = {}


def _require_dask() -> Any:
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - exercised only without dask
        raise MissingDependencyError(
            "Dask is needed for a distributed run: pip install 'corridor[dask]' "
            "(or pip install 'dask[distributed]')"
        ) from exc
    return distributed


def parse_range(spec: str) -> list[float]:
    """Parse ``"start:stop:step"`` (inclusive) or ``"a,b,c"`` into floats.

    >>> parse_range("10:25:2.5")
    [10.0, 12.5, 15.0, 17.5, 20.0, 22.5, 25.0]
    >>> parse_range("1,2.5")
    [1.0, 2.5]
    """
    text = str(spec).strip()
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            if len(parts) != 3:
                raise ValueError
            start, stop, step = parts
            if not all(math.isfinite(v) for v in parts) or step <= 0 or stop < start:
                raise ParameterError(
                    f"range {spec!r} needs start <= stop and a positive step; write start:stop:step"
                )
            n = math.floor((stop - start) / step + 1e-9) + 1
            if n > 100_000:
                raise ParameterError(f"range {spec!r} gives {n} values; use a coarser step")
            return [round(start + i * step, 12) for i in range(n)]
        values = [float(p) for p in text.split(",") if p.strip()]
    except ValueError as exc:
        raise ParameterError(f"cannot read range {spec!r}; write start:stop:step or a,b,c") from exc
    if not values or not all(math.isfinite(v) for v in values):
        raise ParameterError(f"range {spec!r} has no finite values; write start:stop:step or a,b,c")
    return values


def variant_grid(vary: Mapping[str, str | Sequence[float]]) -> list[dict[str, float]]:
    """The Cartesian product of parameter ranges, as a list of ``{name: value}`` dicts."""
    if not vary:
        return [{}]
    names = list(vary)
    values = [parse_range(v) if isinstance(v, str) else [float(x) for x in v] for v in vary.values()]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


# --------------------------------------------------------------------------- tasks
def _eval_one(item: Any, params: Any, dem: Any) -> Any:
    from .evaluate import evaluate

    return evaluate(item, dem=dem, params=params)


def _eval_chunk(chunk: Sequence[tuple[int, Any, Any]], shared: Mapping[str, Any]) -> list[tuple[int, Any]]:
    """Evaluate ``(index, route, params)`` triples with the shared DEM."""
    dem = shared.get("dem")
    return [(i, _eval_one(route, params, dem)) for i, route, params in chunk]


def _init_process(shared: Mapping[str, Any]) -> None:
    _STATE.clear()
    _STATE.update(_materialise(shared))


def _eval_chunk_local(chunk: Sequence[tuple[int, Any, Any]]) -> list[tuple[int, Any]]:
    return _eval_chunk(chunk, _STATE)


def _materialise(shared: Mapping[str, Any]) -> dict[str, Any]:
    """Open the DEM from its path once (per worker process)."""
    out = dict(shared)
    if isinstance(out.get("dem"), str | os.PathLike) or out.get("dem") is None:
        from .terrain import DEM

        out["dem"] = DEM.open(out.get("dem"))
    return out


def _routes_of(items: Iterable[Any], network: Any, dem: Any) -> list[Any]:
    from .route import Route

    routes = []
    for it in items:
        if isinstance(it, Route):
            routes.append(it)
        elif hasattr(it, "route"):
            routes.append(it.route(network=network, dem=dem))
        else:
            raise InvalidInputError(f"cannot evaluate {it!r}: give Route or Scenario objects")
    return routes


def evaluate_many(
    items: Sequence[Any],
    *,
    params: Any = None,
    client: Any = None,
    chunk: int | None = None,
    dem: Any = None,
    network: Any = "reference",
    max_workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """Evaluate many routes or scenarios, in parallel, in input order.

    Parameters
    ----------
    items : sequence of Route or Scenario
        Scenarios are routed first (serially, on ``network``).
    params : CostParams or sequence of CostParams, optional
        One parameter set for all items, or one per item (a sweep).
    client : dask.distributed.Client, optional
        Run on this Dask cluster. Without it, local processes are used
        (``max_workers=1`` runs serially in this process).
    chunk : int, optional
        Items per task. Default: about four tasks per worker.
    dem : DEM or path, optional
        The DEM (default: the embedded GLOBE DEM). Shipped once per worker.
    network : Network or "reference"
        Network used to route scenarios.
    progress : callable, optional
        ``progress(done, total)`` after each finished task.

    Returns
    -------
    list of RouteMetrics
        Same order and values as ``[evaluate(r, dem=dem, params=p) for ...]``.
    """
    items = list(items)
    if not items:
        return []
    per_item = isinstance(params, Sequence) and not isinstance(params, str | bytes)
    plist = list(params) if per_item else [params] * len(items)
    if len(plist) != len(items):
        raise InvalidInputError(f"got {len(plist)} parameter sets for {len(items)} items; give one or one per item")
    routes = _routes_of(items, network, dem)
    dem_ref: Any = str(dem.path) if hasattr(dem, "path") and dem.path is not None else dem
    triples = [(i, r, p) for i, (r, p) in enumerate(zip(routes, plist, strict=True))]
    n_workers = _n_workers(client, max_workers)
    if chunk is not None and int(chunk) < 1:
        raise ParameterError(f"chunk must be at least 1, got {chunk!r}")
    size = int(chunk) if chunk is not None else max(1, math.ceil(len(triples) / (4 * n_workers)))
    if size < 1:  # pragma: no cover - defensive
        raise ParameterError(f"chunk must be at least 1, got {chunk!r}")
    chunks = [triples[k:k + size] for k in range(0, len(triples), size)]
    results: dict[int, Any] = {}

    def _collect(pairs: list[tuple[int, Any]]) -> None:
        for i, m in pairs:
            results[i] = m  # keyed by position: a recomputed task cannot duplicate
        if progress is not None:
            progress(len(results), len(triples))

    if client is not None:
        distributed = _require_dask()
        shared = client.scatter({"dem": dem_ref}, broadcast=True)
        futures = [client.submit(_eval_chunk_dask, c, shared, pure=False, retries=2) for c in chunks]
        for fut in distributed.as_completed(futures):
            _collect(fut.result())
    elif n_workers <= 1:
        state = _materialise({"dem": dem_ref})
        for c in chunks:
            _collect(_eval_chunk(c, state))
    else:
        with ProcessPoolExecutor(max_workers=n_workers, initializer=_init_process,
                                 initargs=({"dem": dem_ref},)) as pool:
            for pairs in pool.map(_eval_chunk_local, chunks):
                _collect(pairs)
    missing = [i for i in range(len(triples)) if i not in results]
    if missing:  # pragma: no cover - defensive
        raise RuntimeError(f"batch lost results for items {missing[:10]}")
    return [results[i] for i in range(len(triples))]


def _eval_chunk_dask(chunk: Sequence[tuple[int, Any, Any]], shared: Mapping[str, Any]) -> list[tuple[int, Any]]:
    """Dask task: open the DEM once per worker (cached on the worker object)."""
    try:
        from distributed import get_worker

        worker = get_worker()
        key = f"corridor-dem:{shared.get('dem')}"
        cache = getattr(worker, "_corridor_cache", None)
        if cache is None:
            cache = {}
            worker._corridor_cache = cache  # type: ignore[attr-defined]
        if key not in cache:
            cache[key] = _materialise(shared)
        state = cache[key]
    except ValueError:  # not on a worker (e.g. synchronous scheduler)
        state = _materialise(shared)
    return _eval_chunk(chunk, state)


def _n_workers(client: Any, max_workers: int | None) -> int:
    if client is not None:
        try:
            return max(1, len(client.scheduler_info()["workers"]))
        except Exception:  # pragma: no cover
            return 1
    if max_workers is not None:
        if int(max_workers) < 1:
            raise ParameterError(f"max_workers must be at least 1, got {max_workers!r}")
        return int(max_workers)
    return max(1, min(4, os.cpu_count() or 1))
