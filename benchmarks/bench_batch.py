"""Batch scaling benchmark: N variant evaluations, serial vs a Dask LocalCluster.

Every evaluation is a real :func:`corridor.evaluate.evaluate` of a built-in
scenario route on the reference network with its own CostParams variant
(unit costs and border dwell varied). Figures:

- ``serial_eval_per_s``: baseline, ``[evaluate(r, params=p) ...]`` in this process.
- ``dask_<k>w_eval_per_s`` and ``dask_<k>w_per_worker_eval_per_s`` for k = 1, 2, 4
  workers (one thread each; cluster start-up is not timed).
- ``dask_<k>w_speedup``: throughput / serial throughput (the ratio to the baseline).
- ``dask_<k>w_efficiency``: throughput / (k x 1-worker throughput).

N is 10,000 (``--quick``: 200). The machine's core count bounds the scaling:
on a 2-core machine 4 workers cannot be more than ~2x one worker.

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


def run(quick: bool = False) -> dict[str, float]:
    from distributed import Client, LocalCluster

    from corridor.batch import evaluate_many
    from corridor.evaluate import evaluate

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
                          dashboard_address=None, silence_logs=50) as cluster, Client(cluster) as client:
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
    return figs


if __name__ == "__main__":
    print(run(quick=True))
