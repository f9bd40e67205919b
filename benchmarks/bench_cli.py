"""CLI benchmark: wall time of the default ``corridor compare`` and the cost of ``import corridor``.

Figures (each in a fresh interpreter, so nothing is cached in-process):

- ``compare_wall_s``: ``corridor compare --out TMP`` on the embedded data
  (the whole built-in catalogue; ``--quick`` compares two short scenarios).
- ``import_corridor_s`` / ``import_geopandas_s``: best of N cold imports.
- ``import_ratio``: ``import geopandas`` time / ``import corridor`` time
  (>1 means ``import corridor`` is that many times faster: it imports no
  heavy library until used).

Run: ``python -m benchmarks cli [--quick]`` or ``python benchmarks/bench_cli.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _cold_import(module: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def _baseline_interpreter(repeat: int) -> float:
    return _cold_import("sys", repeat)


def run(quick: bool = False) -> dict[str, float]:
    """Measure and print the figures; return them as a dict."""
    repeat = 3 if quick else 7
    exe = [sys.executable, "-m", "corridor.cli"]
    out = Path(tempfile.mkdtemp(prefix="bench-cli-")) / "corridor-output"
    args = ["compare", "--out", str(out)]
    if quick:
        args[1:1] = ["yeraskh-sadarak", "gyumri-kars"]
    env = {**os.environ, "COLUMNS": "160"}
    t0 = time.perf_counter()
    proc = subprocess.run([*exe, *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"corridor compare failed ({proc.returncode}): {proc.stderr.strip()}")
    files = sorted(p.name for p in out.iterdir())
    shutil.rmtree(out.parent, ignore_errors=True)
    empty = _baseline_interpreter(repeat)
    t_corr = _cold_import("corridor", repeat)
    t_gpd = _cold_import("geopandas", repeat)
    res = {
        "compare_wall_s": wall,
        "interpreter_start_s": empty,
        "import_corridor_s": t_corr,
        "import_geopandas_s": t_gpd,
        "import_ratio": t_gpd / t_corr,
        "import_ratio_net_of_startup": (t_gpd - empty) / max(t_corr - empty, 1e-3),
    }
    print(f"corridor compare {' '.join(args[1:-2]) or '(default catalogue)'}: {wall:.1f} s wall, "
          f"wrote {', '.join(files)}")
    print(f"import corridor {t_corr * 1000:.0f} ms vs import geopandas {t_gpd * 1000:.0f} ms "
          f"(interpreter start {empty * 1000:.0f} ms): ratio {res['import_ratio']:.1f}x "
          f"({res['import_ratio_net_of_startup']:.1f}x net of interpreter start)")
    return res


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
