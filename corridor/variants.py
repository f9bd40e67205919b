"""Parameter ranges and the grid of variants a sweep evaluates (:mod:`corridor.batch`, ``corridor sweep``).

Examples
--------
>>> grid = variant_grid({"max_grade": "10:14:2", "unit_cost.tunnel": "40,60"})
>>> len(grid), grid[0]
(6, {'max_grade': 10.0, 'unit_cost.tunnel': 40.0})
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from corridor import settings
from corridor._errors import ParameterError

__all__ = ["parse_range", "variant_grid"]


def parse_range(spec: str) -> list[float]:
    """Parse ``"start:stop:step"`` (inclusive) or ``"a,b,c"`` into floats.

    >>> parse_range("10:25:2.5")
    [10.0, 12.5, 15.0, 17.5, 20.0, 22.5, 25.0]
    >>> parse_range("1,2.5")
    [1.0, 2.5]
    >>> parse_range("10:5:1")
    Traceback (most recent call last):
    ...
    corridor._errors.ParameterError: range '10:5:1': stop 5 is below start 10; write start:stop:step with start <= stop
    """
    text = str(spec).strip()
    parts = text.split(":") if ":" in text else [p for p in text.split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise ParameterError(f"cannot read range {spec!r}; write start:stop:step or a,b,c") from exc
    if ":" in text:
        if len(values) != 3:
            raise ParameterError(f"range {spec!r} has {len(values)} parts, not 3; write start:stop:step")
        start, stop, step = values
        if not all(math.isfinite(v) for v in values):
            raise ParameterError(f"range {spec!r} has a value that is not a finite number; write start:stop:step")
        if stop < start:
            raise ParameterError(f"range {spec!r}: stop {stop:g} is below start {start:g}; "
                                 "write start:stop:step with start <= stop")
        if step <= 0:
            raise ParameterError(f"range {spec!r}: step {step:g} is not positive; "
                                 "write start:stop:step with a step above 0")
        span = (stop - start) / step  # inf for a step too small for the span: more values than any count
        if not math.isfinite(span):
            raise ParameterError(f"range {spec!r} gives more than 100,000 values; use a coarser step")
        n = math.floor(span + 1e-9) + 1
        if n > 100_000:
            raise ParameterError(f"range {spec!r} gives {n:,} values; use a coarser step")
        return [round(start + i * step, 12) for i in range(n)]
    if not values or not all(math.isfinite(v) for v in values):
        raise ParameterError(f"range {spec!r} has no finite values; write start:stop:step or a,b,c")
    return values


def variant_grid(vary: Mapping[str, str | Sequence[float]]) -> list[dict[str, float]]:
    """The Cartesian product of parameter ranges, as a list of ``{name: value}`` dicts.

    The number of combinations is checked before the grid is built: more than
    ``corridor.settings.max_sweep_variants`` raises :class:`ParameterError`.

    >>> variant_grid({"a": "1,2", "b": "0:1:0.5"})[:2]
    [{'a': 1.0, 'b': 0.0}, {'a': 1.0, 'b': 0.5}]
    """
    if not vary:
        return [{}]
    names = list(vary)
    values = [parse_range(v) if isinstance(v, str) else [float(x) for x in v] for v in vary.values()]
    cap = settings.max_sweep_variants
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1:
        raise ParameterError(f"corridor.settings.max_sweep_variants must be a whole number >= 1, got {cap!r} "
                             "(or the environment variable CORRIDOR_MAX_SWEEP_VARIANTS)")
    n = math.prod(len(v) for v in values)
    if n > cap:
        sizes = " x ".join(f"{k}={len(v)}" for k, v in zip(names, values, strict=True))
        raise ParameterError(f"the parameter grid has {n:,} combinations ({sizes}), more than "
                             f"corridor.settings.max_sweep_variants = {cap:,}; use coarser steps or fewer "
                             "parameters, or raise that setting")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]
