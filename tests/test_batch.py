"""Tests for corridor.batch: local processes and a Dask LocalCluster (with a worker killed)."""

from __future__ import annotations

import dataclasses
import math
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from corridor import batch, scenarios
from corridor._errors import CorridorError, InvalidInputError, ParameterError
from corridor.batch import evaluate_many, route_and_evaluate_many
from corridor.costs import CostParams
from corridor.evaluation import evaluate
from corridor.network import Network, load_network


@pytest.fixture(scope="module")
def routes() -> list[Any]:
    return [scenarios.get(n).route(network="reference") for n in ("gyumri-kars", "meghri-rail")]


def _variants(routes: list[Any], n: int) -> tuple[list[Any], list[CostParams]]:
    base = CostParams()
    items, params = [], []
    for k in range(n):
        items.append(routes[k % len(routes)])
        params.append(base.scaled("rail_tunnel_musd_per_km", 1.0 + 0.01 * k)
                      .replace(rail_border_dwell_h=1.0 + 0.1 * (k % 7)))
    return items, params


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
            continue
        if x != y:
            return False
    return True


def _check(got: list[Any], expected: list[Any]) -> None:
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert _same(g.as_row(), e.as_row()), f"result {i} differs from the serial evaluation"


@pytest.fixture(scope="module")
def serial(routes: list[Any]) -> tuple[list[Any], list[CostParams], list[Any]]:
    items, params = _variants(routes, 24)
    return items, params, [evaluate(r, params=p) for r, p in zip(items, params, strict=True)]


@pytest.mark.parametrize("workers", [1, 2])
def test_local_matches_serial(serial: Any, workers: int) -> None:
    items, params, expected = serial
    got = evaluate_many(items, params=params, max_workers=workers, chunk=5)
    _check(got, expected)
    # the variants really differ (the test would catch a mix-up of order)
    assert len({round(m.as_row()["cost_central_musd"] + m.as_row()["time_h"], 6) for m in got}) > 5


class CountingNetwork(Network):
    """A Network that records each unpickling (one file line per process) in ``_count_dir``."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        with open(Path(state["_count_dir"]) / str(os.getpid()), "a") as fh:
            fh.write("1\n")


def _counting_network(folder: Path) -> CountingNetwork:
    ref = load_network("reference")
    net = CountingNetwork(ref.edges, stations=ref.stations, meta=ref.meta, costs=ref.costs)
    net._count_dir = str(folder)  # type: ignore[attr-defined]
    return net


def _unpickles(folder: Path) -> dict[str, int]:
    return {f.name: len(f.read_text().split()) for f in folder.iterdir()}


@pytest.fixture(scope="module")
def grade_sweep() -> tuple[list[Any], list[CostParams], list[Any], list[Any]]:
    """2 scenarios x 2 ruling grades x 4 cost variants, and the serial reference (route, metrics)."""
    items, params, exp_routes, expected = [], [], [], []
    for name in ("gyumri-kars", "meghri-rail"):
        for mg in (0.0125, 0.025):
            s = dataclasses.replace(scenarios.get(name), max_grade=mg)
            r = s.route(network="reference")
            for k in range(4):
                p = CostParams().scaled("rail_tunnel_musd_per_km", 0.5 + 0.5 * k)
                # a fresh (equal) Scenario object per variant: grouping must not rely on identity
                items.append(dataclasses.replace(s))
                params.append(p)
                exp_routes.append(r)
                expected.append(evaluate(r, params=p))
    return items, params, exp_routes, expected


def _check_routes(got: list[tuple[Any, Any]], exp_routes: list[Any], expected: list[Any]) -> None:
    _check([m for _, m in got], expected)
    for (r, _), e in zip(got, exp_routes, strict=True):
        assert r.geometry.equals_exact(e.geometry, 0.0)
        assert r.meta["scenario"] == e.meta["scenario"]
        assert r.meta["max_grade"] == e.meta["max_grade"]  # traced with its own ruling grade


def test_local_processes_trace_scenarios(grade_sweep: Any) -> None:
    items, params, exp_routes, expected = grade_sweep
    before = batch.worker_stats()["traces"]
    # chunk=3 cuts every 4-variant group: each is traced by its own task, evaluations wait for it
    got = route_and_evaluate_many(items, params=params, max_workers=2, chunk=3)
    _check_routes(got, exp_routes, expected)
    assert batch.worker_stats()["traces"] == before, "the caller traced: tracing must run in the worker processes"
    # each distinct (scenario, grade) came back as one Route object shared by its variants
    assert len({id(r) for r, _ in got}) == 4
    assert got[0][0].meta["network_source"] == exp_routes[0].meta["network_source"]


def test_inline_groups_equal_scenarios(grade_sweep: Any) -> None:
    items, params, exp_routes, expected = grade_sweep
    before = batch.worker_stats()["traces"]
    got = route_and_evaluate_many(items[:8], params=params[:8], max_workers=1)
    _check_routes(got, exp_routes[:8], expected[:8])
    assert batch.worker_stats()["traces"] - before == 2  # 8 variants, 2 distinct routes


def test_local_network_shipped_once_per_process(tmp_path: Path, routes: list[Any]) -> None:
    net = _counting_network(tmp_path)
    sc = scenarios.get("gyumri-kars")
    items = [sc] + routes * 6
    got = evaluate_many(items, network=net, max_workers=2, chunk=1)  # 13 tasks on 2 processes
    _check(got, [evaluate(sc.route(network=net))] + [evaluate(r) for r in routes * 6])
    assert all(n <= 1 for n in _unpickles(tmp_path).values()), _unpickles(tmp_path)


def test_single_params_and_scenarios(routes: list[Any]) -> None:
    sc = scenarios.get("gyumri-kars")
    got = evaluate_many([sc, routes[1]], max_workers=1)
    _check(got, [evaluate(routes[0]), evaluate(routes[1])])


def test_bad_inputs(routes: list[Any]) -> None:
    assert evaluate_many([]) == []
    with pytest.raises(InvalidInputError, match="parameter sets"):
        evaluate_many(routes, params=[CostParams()])
    with pytest.raises(InvalidInputError, match="cannot evaluate"):
        evaluate_many([42], max_workers=1)
    with pytest.raises(ParameterError, match="max_workers"):
        evaluate_many(routes, max_workers=0)
    with pytest.raises(ParameterError, match="chunk"):
        evaluate_many(routes, max_workers=1, chunk=0)


@pytest.fixture(scope="module")
def dask_client() -> Any:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=50)
    client = distributed.Client(cluster)
    yield client, cluster
    client.close()
    cluster.close()


def test_dask_matches_serial(serial: Any, dask_client: Any) -> None:
    client, _ = dask_client
    items, params, expected = serial
    _check(evaluate_many(items, params=params, client=client, chunk=3), expected)


def _dask_traces(client: Any) -> int:
    return sum(st["traces"] for st in client.run(batch.worker_stats).values())


def test_dask_traces_on_workers(grade_sweep: Any, dask_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = dask_client
    items, params, exp_routes, expected = grade_sweep

    def no_trace(*a: Any, **k: Any) -> Any:
        raise AssertionError("traced on the caller")

    import corridor.align.tracing

    monkeypatch.setattr(corridor.align.tracing, "trace", no_trace)  # only the workers may trace
    monkeypatch.setattr(scenarios.Scenario, "route", no_trace)
    for chunk in (3, None):  # cut groups (trace tasks + dependent chunks) and whole groups per task
        before = _dask_traces(client)
        got = route_and_evaluate_many(items, params=params, client=client, chunk=chunk)
        _check_routes(got, exp_routes, expected)
        assert _dask_traces(client) - before == 4, "each (scenario, max_grade) must be traced exactly once"


def test_dask_network_shipped_once_per_worker(tmp_path: Path, routes: list[Any], dask_client: Any) -> None:
    client, _ = dask_client
    net = _counting_network(tmp_path)
    sc = scenarios.get("meghri-rail")
    items = [sc, sc] + routes * 10
    got = evaluate_many(items, network=net, client=client, chunk=1)  # 21 tasks on 2 workers, all given the network
    expected = evaluate(sc.route(network=net))
    _check(got, [expected, expected] + [evaluate(r) for r in routes * 10])
    counts = _unpickles(tmp_path)
    assert counts and len(counts) <= 2, counts
    # once per worker by design (one broadcast scatter); shipping it with each task would unpickle it
    # ~10 times per worker. Under heavy load Dask was once seen delivering the scattered object to a worker
    # a second time (CI: {'14331': 1, '14328': 2}), so one re-delivery per worker is tolerated
    assert all(n <= 2 for n in counts.values()), f"network unpickled per task, not per worker: {counts}"
    assert sum(counts.values()) <= len(counts) + 1, f"network unpickled more than once per worker: {counts}"


def test_connect_unreachable() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(CorridorError, match=f"cannot connect to the Dask scheduler at 'tcp://127.0.0.1:{port}'"):
        batch.connect(f"tcp://127.0.0.1:{port}", timeout=0.5)
    with pytest.raises(ParameterError, match="timeout"):
        batch.connect("tcp://127.0.0.1:1", timeout=-1)


def test_connect_to_a_service_that_is_not_dask_is_one_error() -> None:
    """A loopback server that answers with bytes that are not the Dask protocol (a frame count, then
    garbage) made distributed raise struct.error (MemoryError for other bytes) through the CLI; now one
    CorridorError."""
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    stop = threading.Event()

    def answer() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.recv(65536)
                    conn.sendall(b"\x01" + b"\x00" * 7 + b"\xff" * 16)
                except OSError:
                    pass

    t = threading.Thread(target=answer, daemon=True)
    t.start()
    try:
        with pytest.raises(CorridorError, match=f"127.0.0.1:{port}.* did not answer as a Dask scheduler"):
            batch.connect(f"tcp://127.0.0.1:{port}", timeout=3)
    finally:
        stop.set()
        t.join(2)
        srv.close()


def test_dask_worker_killed(routes: list[Any], dask_client: Any) -> None:
    client, _ = dask_client
    items, params = _variants(routes, 300)
    # plus scenario items (traced on the workers by trace tasks, as 20 > chunk): the trace
    # results may die with the worker and must be recomputed, not lost
    sc = [scenarios.get("gyumri-kars"), scenarios.get("meghri-rail")]
    items += [sc[k % 2] for k in range(40)]
    params += [CostParams().replace(rail_border_dwell_h=0.5 * (k // 2)) for k in range(40)]
    expected = [evaluate(r if k < 300 else routes[k % 2], params=p)
                for k, (r, p) in enumerate(zip(items, params, strict=True))]
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed: list[int] = []
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    got = evaluate_many(items, params=params, client=client, chunk=2, progress=progress)
    assert killed, "no worker was killed"
    assert seen[-1] == len(items) and seen == sorted(seen)
    _check(got, expected)
    client.wait_for_workers(1, timeout=30)


def test_one_item_is_not_split(routes: list[Any]) -> None:
    one = evaluate_many(routes[0], max_workers=1)  # a single Route
    assert len(one) == 1 and one[0].name == routes[0].name
    by_name = evaluate_many("gyumri-kars", max_workers=1)  # a single name: one scenario, not 11 letters
    assert [m.meta["scenario"] for m in by_name] == ["gyumri-kars"]


def test_trace_params_reach_the_workers_design() -> None:
    sc = scenarios.get("meghri-road")
    p = CostParams(max_cut_depth_m=3.0, max_fill_height_m=3.0)
    # one parameter set: the scenario is traced with it too (the design at the prices it is evaluated with)
    ((r, m),) = route_and_evaluate_many([sc], params=p, network=None, max_workers=1)
    assert r.structure_spans() == sc.route(params=p).structure_spans()
    assert m.as_row() == evaluate(sc.route(params=p), params=p).as_row()
    # one set per item (a sweep): one design, at trace_params (default: the defaults), priced per variant
    pairs = route_and_evaluate_many([sc, sc], params=[p, CostParams()], network=None, max_workers=1)
    assert pairs[0][0] is pairs[1][0]
    assert pairs[0][0].structure_spans() == sc.route().structure_spans()
    pairs = route_and_evaluate_many([sc, sc], params=[p, CostParams()], network=None, max_workers=1,
                                    trace_params=p)
    assert pairs[0][0].structure_spans() == r.structure_spans()
    with pytest.raises(InvalidInputError, match="trace_params"):
        evaluate_many([sc], trace_params={"max_cut_depth_m": 3.0}, max_workers=1)


@pytest.fixture(scope="module")
def failing_mix(routes: list[Any]) -> tuple[list[Any], list[CostParams], Any]:
    """gyumri-kars at 2 per mille (no line can join its waypoints) between two routes that evaluate."""
    bad = dataclasses.replace(scenarios.get("gyumri-kars"), max_grade=0.002)
    items = [routes[0], bad, bad, routes[1]]
    params = [CostParams().replace(rail_border_dwell_h=h) for h in (1.0, 2.0, 3.0, 4.0)]
    return items, params, bad


def _check_kept(got: list[tuple[Any, Any]], items: list[Any], params: list[CostParams]) -> None:
    assert [type(m).__name__ for _, m in got] == ["RouteMetrics", "Failure", "Failure", "RouteMetrics"]
    for k in (0, 3):
        assert got[k][0] is not None and _same(got[k][1].as_row(), evaluate(items[k], params=params[k]).as_row())
    for k in (1, 2):
        route, failure = got[k]
        assert route is None and failure.stage == "trace" and failure.kind == "NoFeasibleAlignment"
        assert isinstance(failure.error, CorridorError) and "cannot join Gyumri" in str(failure)


@pytest.mark.parametrize(("workers", "chunk"), [(1, None), (1, 1), (2, None), (2, 1)])
def test_failures_are_kept_per_item_and_the_rest_is_evaluated(failing_mix: Any, workers: int,
                                                             chunk: int | None) -> None:
    """errors="keep": an item whose scenario cannot be traced gets a Failure; chunk=1 traces it in a task
    of its own that two evaluation tasks wait for."""
    items, params, _ = failing_mix
    _check_kept(route_and_evaluate_many(items, params=params, max_workers=workers, chunk=chunk, network=None,
                                        errors="keep"), items, params)
    metrics = evaluate_many(items, params=params, max_workers=workers, chunk=chunk, network=None, errors="keep")
    assert isinstance(metrics[1], batch.Failure) and metrics[0].name == items[0].name


def test_failures_raise_by_default(failing_mix: Any) -> None:
    from corridor._errors import NoFeasibleAlignment

    items, params, _ = failing_mix
    with pytest.raises(NoFeasibleAlignment, match="cannot join Gyumri"):
        evaluate_many(items, params=params, max_workers=1, network=None)
    with pytest.raises(ParameterError, match="errors must be"):
        evaluate_many(items, params=params, max_workers=1, errors="ignore")  # type: ignore[arg-type]


def test_an_evaluation_failure_is_kept_too(routes: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """An error while evaluating a traced route is kept as well (stage "evaluate"), with its route; a bug that
    is not a CorridorError still raises."""
    from corridor._errors import DEMCoverageError

    real = batch.evaluate

    def picky(route: Any, **kw: Any) -> Any:
        if route is routes[1]:
            raise DEMCoverageError("no DEM here")
        return real(route, **kw)

    monkeypatch.setattr(batch, "evaluate", picky)
    got = route_and_evaluate_many(routes, max_workers=1, errors="keep")
    assert got[0][1].name == routes[0].name
    assert got[1][0] is routes[1] and got[1][1].stage == "evaluate" and str(got[1][1]) == "no DEM here"

    def buggy(route: Any, **kw: Any) -> Any:
        raise TypeError("a bug")

    monkeypatch.setattr(batch, "evaluate", buggy)
    with pytest.raises(TypeError, match="a bug"):
        route_and_evaluate_many(routes, max_workers=1, errors="keep")


def test_dask_keeps_failures(failing_mix: Any, dask_client: Any) -> None:
    client, _ = dask_client
    items, params, _ = failing_mix
    for chunk in (None, 1):
        _check_kept(route_and_evaluate_many(items, params=params, client=client, chunk=chunk, network=None,
                                            errors="keep"), items, params)


def test_dask_workers_import_corridor_as_they_start(routes: list[Any], dask_client: Any) -> None:
    """A run registers a worker plugin: every worker, one joining later included, imports corridor and geopandas
    at start-up, before it unpickles any task data (a first import racing on two threads broke the workers)."""
    client, cluster = dask_client
    evaluate_many(routes, client=client)
    probe = "[m in __import__('sys').modules for m in ('geopandas', 'corridor.batch')]"
    cluster.scale(3)
    client.wait_for_workers(3, timeout=60)
    try:
        assert all(v == [True, True] for v in client.run(eval, probe).values())
    finally:
        cluster.scale(2)
        client.wait_for_workers(2, timeout=60)
