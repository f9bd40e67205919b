"""Benchmarks for corridor. Run ``python -m benchmarks [NAME ...] [--quick]``.

Each ``bench_<name>.py`` module exposes ``run(quick: bool = False) -> dict[str, float]``
and prints every figure as a ratio against its baseline, measured in the same
process on the same data. Timings are never asserted in tests.
"""
