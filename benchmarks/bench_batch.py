"""Batch scaling benchmark: N variant evaluations, serial vs a Dask LocalCluster.

Every evaluation is a real :func:`corridor.evaluation.evaluate` of a built-in
scenario route on the reference network with its own CostParams variant
(unit costs and border dwell varied). Figures:

- ``serial_eval_per_s``: baseline, ``[evaluate(r, params=p) ...]`` in this process.
- ``dask_<k>w_eval_per_s`` and ``dask_<k>w_per_worker_eval_per_s`` for k = 1, 2, 4
  workers (one thread each; cluster start-up is not timed).
- ``dask_<k>w_speedup``: throughput / serial throughput (the ratio to the baseline).
- ``dask_<k>w_efficiency``: throughput / (k x 1-worker throughput).

N is 10,000 (``--quick``: 200). The machine's core count bounds the scaling:
on a 2-core machine 4 workers cannot be more than ~2x one worker.

Max-grade sweep (variants that re-trace): 3 scenarios x G ruling grades x C cost
variants (G=16, C=25; ``--quick``: G=4, C=5). Baseline: serial in this process,
each distinct (scenario, grade) traced once on the loaded reference network,
then every cost variant evaluated. Figures ``sweep_serial_eval_per_s``,
``sweep_dask_2w_speedup`` and ``sweep_local_2p_speedup`` (tracing and
evaluation on 2 Dask workers / 2 local processes, network and DEM shipped once
per worker).

Run: ``python -m benchmarks batch [--quick]``.
"""

from __future__ import annotations

import os
import time
from typing import Any


def _workload(n: int) -> tuple[list[Any], list[Any]]:
    from corridor import scenarios
    from corridor.costs import CostParams

    routes = [scenarios.get(s).route(network="reference") for s in ("gyumri-kars", "meghri-rail", "yeraskh-sadarak")]
    base = CostParams()
    items, params = [], []
    for k in range(n):
        items.append(routes[k % len(routes)])
        params.append(base.scaled("rail_tunnel_musd_per_km", 0.5 + (k % 101) / 100)
                      .replace(rail_border_dwell_h=0.5 + (k % 13) * 0.25))
    return items, params


def _sweep(quick: bool) -> dict[str, float]:
    import dataclasses

    from distributed import Client, LocalCluster

    from corridor import scenarios
    from corridor.batch import route_and_evaluate_many
    from corridor.costs import CostParams
    from corridor.evaluation import evaluate
    from corridor.network import load_network

    n_grades, n_costs = (4, 5) if quick else (16, 25)
    grades = [0.010 + 0.001 * k for k in range(n_grades)]
    items, params = [], []
    for name in ("gyumri-kars", "meghri-rail", "yeraskh-sadarak"):
        base = scenarios.get(name)
        for mg in grades:
            s = dataclasses.replace(base, max_grade=mg)
            for c in range(n_costs):
                items.append(s)
                params.append(CostParams().scaled("rail_tunnel_musd_per_km", 0.5 + c / n_costs))
    n, n_traces = len(items), 3 * n_grades
    print(f"max_grade sweep: {n} evaluations, {n_traces} distinct traces")
    net = load_network("reference")
    warm = [dataclasses.replace(scenarios.get("yeraskh-sadarak"), max_grade=0.05 + 0.01 * k) for k in range(4)]
    for w in warm:  # warm-up, not timed: imports, DEM, solver caches
        evaluate(w.route(network=net))
    t0 = time.perf_counter()
    traced: dict[int, Any] = {}
    serial = []
    for s, p in zip(items, params, strict=True):
        if id(s) not in traced:
            traced[id(s)] = s.route(network=net)
        serial.append(evaluate(traced[id(s)], params=p))
    t_serial = time.perf_counter() - t0
    figs = {"sweep_n_evaluations": float(n), "sweep_n_traces": float(n_traces),
            "sweep_serial_eval_per_s": n / t_serial}
    print(f"sweep serial: {t_serial:.2f} s ({n / t_serial:.1f} eval/s)")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=50) as cluster, Client(cluster) as client:
        # warm-up, not timed (as for the serial run): imports, and the network and DEM
        # opened once on each worker; 4 small distinct traces so both workers get some
        route_and_evaluate_many(warm, client=client, chunk=1)
        t0 = time.perf_counter()
        got = route_and_evaluate_many(items, params=params, client=client)
        t_dask = time.perf_counter() - t0
    t0 = time.perf_counter()
    got_local = route_and_evaluate_many(items, params=params, max_workers=2)
    t_local = time.perf_counter() - t0
    for res in (got, got_local):
        assert all(m.as_row() == e.as_row() for (_, m), e in zip(res, serial, strict=True))
    figs["sweep_dask_2w_speedup"] = t_serial / t_dask
    figs["sweep_local_2p_speedup"] = t_serial / t_local
    print(f"sweep dask 2 workers: {t_dask:.2f} s, speedup vs serial {t_serial / t_dask:.2f}; "
          f"2 local processes (incl. start-up): {t_local:.2f} s, speedup {t_serial / t_local:.2f}")
    return figs


def run(quick: bool = False) -> dict[str, float]:
    from distributed import Client, LocalCluster

    from corridor.batch import evaluate_many
    from corridor.evaluation import evaluate

    n = 200 if quick else 10_000
    items, params = _workload(n)
    print(f"{n} variant evaluations over {len(set(map(id, items)))} routes; {os.cpu_count()} CPU(s)")
    t0 = time.perf_counter()
    serial = [evaluate(r, params=p) for r, p in zip(items, params, strict=True)]
    t_serial = time.perf_counter() - t0
    figs: dict[str, float] = {"n_evaluations": float(n), "serial_eval_per_s": n / t_serial}
    print(f"serial: {t_serial:.2f} s, {n / t_serial:.1f} eval/s")
    one = None
    for k in (1, 2, 4):
        with LocalCluster(n_workers=k, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=50) as cluster, Client(cluster) as client:
            evaluate_many(items[:k], params=params[:k], client=client, chunk=1)  # warm-up imports
            t0 = time.perf_counter()
            got = evaluate_many(items, params=params, client=client)
            dt = time.perf_counter() - t0
        assert [m.as_row() == s.as_row() for m, s in zip(got[:50], serial[:50], strict=True)].count(False) == 0
        thr = n / dt
        one = one or thr
        figs[f"dask_{k}w_eval_per_s"] = thr
        figs[f"dask_{k}w_per_worker_eval_per_s"] = thr / k
        figs[f"dask_{k}w_speedup"] = thr / figs["serial_eval_per_s"]
        figs[f"dask_{k}w_efficiency"] = thr / (k * one)
        print(f"dask {k} worker(s): {dt:.2f} s, {thr:.1f} eval/s, {thr / k:.1f} per worker, "
              f"speedup vs serial {thr / figs['serial_eval_per_s']:.2f}, efficiency {thr / (k * one):.2f}")
    figs.update(_sweep(quick))
    return figs


if __name__ == "__main__":
    print(run(quick=True))
