"""Run the benchmark suite: ``python -m benchmarks [NAME ...] [--quick]``.

Names are the ``bench_<name>.py`` modules in this folder (network, terrain, align,
cli, batch). With no names every benchmark runs. ``--quick`` uses small inputs
(a smoke run); without it the sizes named in the issues are used.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {', '.join(available())})")
    ap.add_argument("--quick", action="store_true", help="small inputs, for a smoke run")
    ap.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    args = ap.parse_args(argv)
    names = args.names or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(available())}")
        return 2
    os.environ.setdefault("MPLBACKEND", "Agg")
    results: dict[str, dict[str, float]] = {}
    failed = []
    for name in names:
        print(f"\n=== {name} {'(quick)' if args.quick else ''} ===", flush=True)
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(f"benchmarks.bench_{name}")
            results[name] = mod.run(quick=args.quick)
        except Exception:  # report and go on with the others
            traceback.print_exc()
            failed.append(name)
        print(f"--- {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    print("\n=== summary (ratios: >1 means corridor is faster than the baseline) ===")
    for name, figs in results.items():
        for k, v in figs.items():
            print(f"{name:10s} {k:45s} {v:12.3f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
