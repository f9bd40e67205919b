"""Batch evaluation on Dask (or local processes) and variant sweeps.

Planners explore thousands of variants (waypoints, ruling grades, unit costs,
weights). :func:`evaluate_many` spreads the work over a
``dask.distributed.Client`` when one is given, or over local processes
otherwise. Scenario items are routed (traced) **on the workers**, with the
network and DEM each worker holds; results are identical to the serial
``[evaluate(s.route(network=..., dem=..., params=t), dem=..., params=p) ...]``
and come back in input order. :func:`route_and_evaluate_many` also returns the
routes.

Trace parameters. ``t`` (``trace_params``) is the set of unit costs the new
alignments and their vertical designs are optimised with: by default ``params``
when one set is given for every item, the :mod:`corridor.costs` defaults when
each item has its own (a sweep). A sweep therefore prices one design, the
least-cost one at ``trace_params``, under each cost variant: a price
sensitivity, not a re-optimisation per variant (that would trace every
variant).

Shipping. The DEM and the network are shipped **once per worker**, not once per
task: objects are broadcast with ``Client.scatter(..., broadcast=True)`` and
every task receives the same future; references (``None``, a path,
``"reference"``) are sent as they are and opened once per worker process (then
cached there). With local processes, the pool initializer receives them once
per process.

Grouping. Items are grouped by identity of what must be traced: equal
scenarios (e.g. every cost variant of one ``max_grade``) are traced once, and
all their variants are evaluated in the same task. A group larger than a chunk
is traced by its own task and the evaluation chunks depend on that trace.

Failed items. With ``errors="keep"``, an item whose scenario cannot be traced
or whose route cannot be evaluated (a :class:`~corridor.CorridorError`, e.g. a
ruling grade that cannot join two waypoints) comes back as a :class:`Failure`
in place of its metrics, and the other items are still evaluated; the default
``errors="raise"`` raises the first such error. A bug (any other exception)
always raises.

Fault tolerance is Dask's: tasks lost with a dead worker are recomputed on the
survivors (tracing and evaluation are pure, so a recomputed task gives the
same result), and results are keyed by input position, so nothing is lost or
duplicated.

The grid of variants a sweep evaluates is built by :mod:`corridor.variants`
(``parse_range`` and ``variant_grid`` are also importable from here).
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from corridor import scenarios, settings
from corridor._errors import (
    CorridorError,
    InvalidInputError,
    MissingDependencyError,
    ParameterError,
)
from corridor.costs import CostParams
from corridor.evaluation.metrics import evaluate
from corridor.network.core import as_network
from corridor.route import Route
from corridor.terrain.profiles import DEM
from corridor.variants import parse_range, variant_grid

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

__all__ = ["Failure", "connect", "evaluate_many", "parse_range", "route_and_evaluate_many", "variant_grid", "worker_stats"]

# Per-process state: what the local-process initializer received, DEMs and networks
# opened from references (one per worker process), and counters (see worker_stats).
_SHARED: dict[str, Any] = {}
_OPENED: dict[tuple[str, str], Any] = {}
_LOCK = threading.Lock()
_STATS: Counter[str] = Counter()


#: How to install Dask: from PyPI, or from a clone of the repository (where the first would install the
#: released corridor from PyPI over the checkout).
DASK_HINT = "pip install 'corridor[dask]' (or, in a source checkout, pip install -e '.[dask]')"


def _require_dask() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise MissingDependencyError(f"Dask is needed for a distributed run: {DASK_HINT}") from exc
    return distributed


@dataclass(frozen=True)
class Failure:
    """An item that could not be traced or evaluated (``errors="keep"``).

    Attributes
    ----------
    error : CorridorError
        The error raised on the worker; ``str(failure)`` is its message.
    stage : {"trace", "evaluate"}
        Where it was raised: tracing the scenario, or evaluating the route.

    Examples
    --------
    >>> from corridor import NoFeasibleAlignment
    >>> f = Failure(NoFeasibleAlignment("no line"), "trace")
    >>> str(f), f.kind
    ('no line', 'NoFeasibleAlignment')
    """

    error: CorridorError
    stage: Literal["trace", "evaluate"]

    @property
    def kind(self) -> str:
        """The error's class name."""
        return type(self.error).__name__

    def __str__(self) -> str:
        return str(self.error)


# --------------------------------------------------------------------------- worker side
def worker_stats() -> dict[str, int]:
    """Counters of this process: ``traces`` run, ``tasks`` run, ``networks_opened``, ``dems_opened``.

    Run it on Dask workers with ``client.run(worker_stats)`` to check how often
    each worker traced or opened shared data.

    Examples
    --------
    >>> sorted(worker_stats())
    ['dems_opened', 'networks_opened', 'tasks', 'traces']
    """
    return {k: int(_STATS[k]) for k in ("dems_opened", "networks_opened", "tasks", "traces")}


def _is_ref(value: Any) -> bool:
    """A reference (None, a flag, path, name, list of paths) rather than a loaded object."""
    if value is None or isinstance(value, bool | str | os.PathLike):
        return True
    return isinstance(value, list | tuple) and all(isinstance(v, str | os.PathLike) for v in value)


def _opened(kind: str, ref: Any) -> Any:
    """The DEM or network behind a reference, opened once per process and cached."""
    key = (kind, repr([str(v) for v in ref] if isinstance(ref, list | tuple) else ref))
    with _LOCK:
        if key not in _OPENED:
            if kind == "dem":

                _OPENED[key] = DEM.open(list(ref) if isinstance(ref, list | tuple) else ref)
            else:

                _OPENED[key] = as_network(ref)
            _STATS[f"{kind}s_opened"] += 1
            while len(_OPENED) > 8:  # bound the cache: drop the oldest entry
                _OPENED.pop(next(iter(_OPENED)))
        return _OPENED[key]


def _dem_of(shared: Mapping[str, Any]) -> Any:
    dem = shared.get("dem")
    return _opened("dem", dem) if _is_ref(dem) else dem


def _network_of(shared: Mapping[str, Any]) -> Any:
    net = shared.get("network")
    return _opened("network", net) if net is not None and _is_ref(net) else net


def _trace(scenario: Any, shared: Mapping[str, Any]) -> Any:
    """Route one scenario with the network, DEM and trace parameters this process holds."""
    _STATS["traces"] += 1
    try:
        return scenario.route(network=_network_of(shared), dem=_dem_of(shared), params=shared.get("params"))
    except CorridorError as exc:
        if not shared.get("keep"):
            raise
        return Failure(exc, "trace")


def _evaluate(route: Any, params: Any, shared: Mapping[str, Any]) -> Any:
    """The route's metrics, or its Failure (that of its trace, or of this evaluation when failures are kept)."""
    if isinstance(route, Failure):
        return route
    try:
        return evaluate(route, dem=_dem_of(shared), params=params)
    except CorridorError as exc:
        if not shared.get("keep"):
            raise
        return Failure(exc, "evaluate")


def _run_task(task: Mapping[str, Any], shared: Mapping[str, Any]) -> tuple[dict[int, Any], list[tuple[int, Any]]]:
    """Trace the scenarios of ``task["trace"]``, then evaluate its ``(index, params)`` pairs.

    ``task`` holds ``trace`` (``{group: scenario}``), ``routes`` (``{group: route}``,
    given or traced elsewhere) and ``work`` (``[(group, [(index, params), ...]), ...]``).
    Returns the routes traced here and the ``(index, metrics)`` pairs.
    """

    _STATS["tasks"] += 1
    traced = {g: _trace(s, shared) for g, s in task["trace"].items()}
    routes = {**task["routes"], **traced}
    pairs = [(i, _evaluate(routes[g], p, shared)) for g, work in task["work"] for i, p in work]
    return traced, pairs


def _init_process(shared: Mapping[str, Any]) -> None:
    _SHARED.clear()
    _SHARED.update(shared)


def _run_task_local(task: Mapping[str, Any]) -> tuple[dict[int, Any], list[tuple[int, Any]]]:
    return _run_task(task, _SHARED)


def _trace_local(scenario: Any) -> Any:
    return _trace(scenario, _SHARED)


# --------------------------------------------------------------------------- planning
def _group_key(item: Any) -> tuple[str, Any]:

    if isinstance(item, Route):
        return ("route", id(item))
    if hasattr(item, "route"):
        # equal scenarios (all cost variants of one max_grade) share one trace; a
        # Scenario holds lists and dicts, so it is keyed by its (exact) repr
        return ("scenario", repr(item))
    raise InvalidInputError(f"cannot evaluate {item!r}: give Route or Scenario objects")


def _plan(items: Sequence[Any], plist: Sequence[Any],
          size: int) -> tuple[list[int], list[Any], list[int], list[dict[str, Any]]]:
    """Group items by what must be traced and pack the groups into tasks of at most ``size`` evaluations.

    Returns ``(group_of, sources, split, tasks)``: the group of each item, the Route
    or scenario of each group, the scenario groups too big for one task (traced
    by a task of their own), and the tasks (``trace``, ``routes``, ``work`` as in :func:`_run_task`, plus ``needs``:
    split groups whose trace they wait for).
    """

    index: dict[tuple[str, Any], int] = {}
    sources: list[Any] = []
    work: list[list[tuple[int, Any]]] = []
    group_of = []
    for i, (item, p) in enumerate(zip(items, plist, strict=True)):
        g = index.setdefault(_group_key(item), len(sources))
        if g == len(sources):
            sources.append(item)
            work.append([])
        work[g].append((i, p))
        group_of.append(g)
    split = [g for g, w in enumerate(work) if len(w) > size and not isinstance(sources[g], Route)]

    def new() -> dict[str, Any]:
        return {"trace": {}, "routes": {}, "work": [], "needs": set()}

    tasks, cur, n = [], new(), 0
    for g, w in enumerate(work):
        for k in range(0, len(w), size):  # a small group is never cut across tasks
            piece = w[k:k + size]
            if n and n + len(piece) > size:
                tasks.append(cur)
                cur, n = new(), 0
            cur["work"].append((g, piece))
            n += len(piece)
            if isinstance(sources[g], Route):
                cur["routes"][g] = sources[g]
            elif g in split:
                cur["needs"].add(g)
            else:
                cur["trace"][g] = sources[g]
    if n:
        tasks.append(cur)
    return group_of, sources, split, tasks


def _payload(task: Mapping[str, Any], routes: Mapping[int, Any]) -> dict[str, Any]:
    """The task as sent: ``needs`` resolved to routes (or Dask futures of them)."""
    return {"trace": task["trace"], "routes": {**task["routes"], **{g: routes[g] for g in task["needs"]}},
            "work": task["work"]}


class _Inline:
    """An executor that runs each call at once in this process (``max_workers=1``)."""

    def __init__(self, shared: Mapping[str, Any]) -> None:
        self.shared = shared

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, self.shared))
        except BaseException as exc:  # handed to the caller by fut.result()
            fut.set_exception(exc)
        return fut


# --------------------------------------------------------------------------- drivers
def _import_heavy() -> None:
    """Import what the tasks' data and code need (corridor, geopandas) in this process."""
    importlib.import_module("geopandas")
    importlib.import_module("corridor.batch")


def _register_imports(client: Any, distributed: Any) -> None:
    """Have every worker, now or joining later, import corridor and geopandas as it starts.

    A worker unpickles incoming task data on its event-loop thread while its
    task thread runs; a first import of geopandas on both threads at once can
    fail on one of them (Python's import-deadlock avoidance) and leave the
    worker unable to read the scheduler's messages. Importing at start-up, in a
    worker plugin, takes that race away, for a worker restarted after a crash too.
    """

    class CorridorImports(distributed.WorkerPlugin):  # type: ignore[misc]
        name = "corridor-imports"
        idempotent = True

        def setup(self, worker: Any) -> None:
            _import_heavy()

    client.register_plugin(CorridorImports())


def _drive_dask(client: Any, sources: list[Any], split: list[int], tasks: list[dict[str, Any]],
                shared: dict[str, Any], routes: dict[int, Any], collect: Callable[[list[Any]], None]) -> None:
    distributed = _require_dask()
    _register_imports(client, distributed)
    # heavy objects go to every worker once; references are opened once per worker
    ship = {k: v if _is_ref(v) else client.scatter(v, broadcast=True, hash=False) for k, v in shared.items()}
    traces = {g: client.submit(_trace, sources[g], ship, pure=False, retries=2) for g in split}
    futures = [client.submit(_run_task, _payload(t, traces), ship, pure=False, retries=2) for t in tasks]
    for fut in distributed.as_completed(futures):
        traced, pairs = fut.result()
        routes.update(traced)
        collect(pairs)
    if traces:
        routes.update(zip(traces, client.gather(list(traces.values())), strict=True))


def _drive_local(pool: Any, run_task: Callable[..., Any], run_trace: Callable[..., Any], sources: list[Any],
                 split: list[int], tasks: list[dict[str, Any]], routes: dict[int, Any],
                 collect: Callable[[list[Any]], None]) -> None:
    traces = {pool.submit(run_trace, sources[g]): g for g in split}
    running: set[Future[Any]] = set(traces)
    waiting = []
    for t in tasks:
        if t["needs"]:
            waiting.append(t)
        else:
            running.add(pool.submit(run_task, _payload(t, {})))
    while running:
        done, running = wait(running, return_when=FIRST_COMPLETED)
        for fut in done:
            if fut in traces:
                routes[traces[fut]] = fut.result()
            else:
                traced, pairs = fut.result()
                routes.update(traced)
                collect(pairs)
        ready = [t for t in waiting if t["needs"] <= routes.keys()]
        waiting = [t for t in waiting if not t["needs"] <= routes.keys()]
        running.update(pool.submit(run_task, _payload(t, routes)) for t in ready)


# --------------------------------------------------------------------------- API
def route_and_evaluate_many(
    items: Any,
    *,
    params: Any = None,
    client: Any = None,
    chunk: int | None = None,
    dem: Any = None,
    network: Any = "reference",
    max_workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    trace_params: CostParams | None = None,
    errors: Literal["raise", "keep"] = "raise",
) -> list[tuple[Any, Any]]:
    """Like :func:`evaluate_many`, returning ``(route, metrics)`` pairs in input order.

    The route of a scenario item is the one traced on a worker (equal scenarios
    share one Route object); the route of a Route item is the item itself.
    With ``errors="keep"``, a failed item's pair is ``(route, Failure)``, and
    ``route`` is None when the trace failed.

    Examples
    --------
    >>> from corridor import scenarios
    >>> from corridor.costs import CostParams
    >>> s = scenarios.get("gyumri-kars")
    >>> out = route_and_evaluate_many([s, s], params=[CostParams(), CostParams(rail_border_dwell_h=5.0)],
    ...                               max_workers=1)
    >>> out[0][0] is out[1][0], out[0][0].unit_sequence()
    (True, ['ARM', 'TUR'])
    >>> out[1][1].time_h > out[0][1].time_h
    True
    """

    # one item or many; scenario names and .toml files resolved here. Equal items are allowed:
    # a sweep evaluates one scenario under many parameter sets.
    items = scenarios.gather(items, unique=False)
    if not items:
        return []
    per_item = isinstance(params, Sequence) and not isinstance(params, str | bytes)
    plist = list(params) if per_item else [params] * len(items)
    if trace_params is None and not per_item:
        trace_params = params
    if trace_params is not None and not isinstance(trace_params, CostParams):
        raise InvalidInputError(f"trace_params must be a CostParams, got {type(trace_params).__name__}")
    if len(plist) != len(items):
        raise InvalidInputError(f"got {len(plist)} parameter sets for {len(items)} items; give one or one per item")
    if chunk is not None and int(chunk) < 1:
        raise ParameterError(f"chunk must be at least 1, got {chunk!r}")
    if errors not in ("raise", "keep"):
        raise ParameterError(f"errors must be 'raise' or 'keep', got {errors!r}")
    n_workers = _n_workers(client, max_workers)
    size = int(chunk) if chunk is not None else max(1, math.ceil(len(items) / (4 * n_workers)))
    group_of, sources, split, tasks = _plan(items, plist, size)
    needs_net = not all(isinstance(s, Route) for s in sources)
    shared = {"dem": dem, "network": network if needs_net else None, "params": trace_params,
              "keep": errors == "keep"}
    log.info("batch: %d evaluations, %d groups (%d to trace), %d tasks on %d worker(s)", len(items), len(sources),
             sum(not isinstance(s, Route) for s in sources), len(tasks) + len(split), n_workers)
    results: dict[int, Any] = {}
    routes: dict[int, Any] = {g: s for g, s in enumerate(sources) if isinstance(s, Route)}

    def collect(pairs: list[tuple[int, Any]]) -> None:
        for i, m in pairs:
            results[i] = m  # keyed by position: a recomputed task cannot duplicate
        if progress is not None:
            progress(len(results), len(items))

    if client is not None:
        _drive_dask(client, sources, split, tasks, shared, routes, collect)
    elif n_workers <= 1:
        _drive_local(_Inline(shared), _run_task, _trace, sources, split, tasks, routes, collect)
    else:
        pool = ProcessPoolExecutor(max_workers=min(n_workers, len(tasks) + len(split)),
                                   initializer=_init_process, initargs=(shared,))
        try:
            _drive_local(pool, _run_task_local, _trace_local, sources, split, tasks, routes, collect)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    missing = [i for i in range(len(items)) if i not in results]
    if missing:  # pragma: no cover - defensive
        raise RuntimeError(f"batch lost results for items {missing[:10]}")
    return [(None if isinstance(routes[g], Failure) else routes[g], results[i]) for i, g in enumerate(group_of)]


def evaluate_many(
    items: Any,
    *,
    params: Any = None,
    client: Any = None,
    chunk: int | None = None,
    dem: Any = None,
    network: Any = "reference",
    max_workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    trace_params: CostParams | None = None,
    errors: Literal["raise", "keep"] = "raise",
) -> list[Any]:
    """Evaluate many routes or scenarios, in parallel, in input order.

    Parameters
    ----------
    items : item or iterable of Route, Scenario, scenario name or scenario ``.toml`` path
        Scenarios are routed on the workers (equal scenarios once), with
        ``network`` and ``dem``. A single name or path is one item (a file
        gives each of its scenarios); equal items may repeat.
    params : CostParams or sequence of CostParams, optional
        One parameter set for all items, or one per item (a sweep).
    client : dask.distributed.Client, optional
        Run on this Dask cluster (see :func:`connect`). Without it, local
        processes are used (``max_workers=1`` runs serially in this process).
    chunk : int, optional
        Evaluations per task. Default: about four tasks per worker. Equal
        scenarios are kept in one task unless they are more than ``chunk``.
    dem : DEM, path or None
        The DEM (default: the embedded GLOBE DEM). Shipped once per worker.
    network : Network, path, "reference" or None
        Network used to route scenarios (``None``: new alignment throughout).
        Shipped once per worker (a path or ``"reference"`` is loaded once per
        worker); not shipped at all when every item is a Route.
    max_workers : int, optional
        Local processes (default: up to 4, the CPU count); ignored with ``client``.
    progress : callable, optional
        ``progress(done, total)`` after each finished task.
    trace_params : CostParams, optional
        Unit costs the scenarios' alignments are optimised with (see the module
        docstring). Default: ``params`` when it is one set, else the defaults.
    errors : {"raise", "keep"}
        ``"raise"`` (default): the first :class:`~corridor.CorridorError` of a
        trace or an evaluation is raised. ``"keep"``: that item gets a
        :class:`Failure` in place of its metrics and the others are evaluated.

    Returns
    -------
    list of RouteMetrics (or Failure, with ``errors="keep"``)
        Same order and values as ``[evaluate(r, dem=dem, params=p) for ...]``,
        where ``r`` is a Route item or ``s.route(network=network, dem=dem, params=trace_params)``.

    Examples
    --------
    >>> from corridor import scenarios
    >>> from corridor.costs import CostParams
    >>> s = scenarios.get("gyumri-kars")
    >>> m = evaluate_many([s, s.route(network="reference")], params=CostParams(), max_workers=1)
    >>> m[0].as_row() == m[1].as_row()
    True
    """
    pairs = route_and_evaluate_many(items, params=params, client=client, chunk=chunk, dem=dem, network=network,
                                    max_workers=max_workers, progress=progress, trace_params=trace_params,
                                    errors=errors)
    return [m for _, m in pairs]


def connect(address: str, *, timeout: float | None = None) -> Client:
    """A ``distributed.Client`` connected to the scheduler at ``address``.

    Parameters
    ----------
    address : str
        e.g. ``"tcp://10.0.0.5:8786"``.
    timeout : float, optional
        Seconds to wait for the connection; default ``settings.dask_timeout``.

    Raises
    ------
    CorridorError
        The scheduler cannot be reached within the timeout.

    Examples
    --------
    >>> connect("tcp://127.0.0.1:9", timeout=0.2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    corridor._errors.CorridorError: cannot connect to the Dask scheduler at 'tcp://127.0.0.1:9' within 0.2 s ...
    """

    distributed = _require_dask()
    raw = timeout if timeout is not None else settings.dask_timeout
    try:
        wait_s = float(raw)
    except (TypeError, ValueError):
        wait_s = math.nan
    if not wait_s > 0:
        raise ParameterError(f"Dask connect timeout {raw!r} is not a positive number of seconds; "
                             "fix CORRIDOR_DASK_TIMEOUT or settings.dask_timeout")
    if not str(address).strip():
        raise ParameterError("the Dask scheduler address is empty; give e.g. tcp://10.0.0.5:8786")
    try:
        client: Client = distributed.Client(str(address).strip(), timeout=wait_s)
    except (OSError, TimeoutError, ValueError) as exc:
        raise CorridorError(
            f"cannot connect to the Dask scheduler at {address!r} within {wait_s:g} s ({exc}); "
            "check the address and that the scheduler is running, or use --workers N for local processes"
        ) from exc
    except Exception as exc:  # something answered there, but not the Dask protocol (e.g. a MemoryError decoding it)
        raise CorridorError(
            f"the service at {address!r} did not answer as a Dask scheduler ({type(exc).__name__}); check the "
            "address, or use --workers N for local processes"
        ) from exc
    return client


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
