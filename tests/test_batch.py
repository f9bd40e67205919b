"""Tests for corridor.batch: local processes and a Dask LocalCluster (with a worker killed)."""

from __future__ import annotations

import math
import os
import signal
from typing import Any

import pytest

from corridor import scenarios
from corridor._errors import InvalidInputError, ParameterError
from corridor.batch import evaluate_many, parse_range, variant_grid
from corridor.costs import CostParams
from corridor.evaluate import evaluate


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
    with pytest.raises(ParameterError):
        parse_range("5:1:1")
    with pytest.raises(ParameterError):
        parse_range("a:b")
    assert len(variant_grid({"a": "1:3:1", "b": [1, 2]})) == 6


@pytest.fixture(scope="module")
def dask_client() -> Any:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    client = distributed.Client(cluster)
    yield client, cluster
    client.close()
    cluster.close()


def test_dask_matches_serial(serial: Any, dask_client: Any) -> None:
    client, _ = dask_client
    items, params, expected = serial
    _check(evaluate_many(items, params=params, client=client, chunk=3), expected)


def test_dask_worker_killed(routes: list[Any], dask_client: Any) -> None:
    client, _ = dask_client
    items, params = _variants(routes, 300)
    expected = [evaluate(r, params=p) for r, p in zip(items, params, strict=True)]
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
