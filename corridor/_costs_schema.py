"""The validation schema of :class:`corridor.costs.CostParams`: one pydantic type per field.

Derived from the fields of the dataclass: a field's ``kind`` (set by the ``_band``, ``_num``,
``_map`` and ``_of_kind`` field helpers of :mod:`corridor.costs`) says its shape; a field without
one is validated by its type annotation. A new parameter therefore needs no schema edit.

Examples
--------
>>> from corridor.costs import CostParams
>>> check_params(CostParams, {"rail_new_musd_per_km": [4, 6, 9]})
{'rail_new_musd_per_km': (4.0, 6.0, 9.0)}
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Annotated, Any, get_type_hints

from pydantic import AfterValidator, Field, Strict

from corridor._errors import ParameterError
from corridor._schema import Problem, Schema, closed_table, fail, key_path

__all__ = ["check_params"]

_Number = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False)]
_Positive = Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)]
_Ratio = Annotated[float, Strict(), Field(gt=0, lt=1, allow_inf_nan=False,
                                          description="must be a ratio between 0 and 1 (0.0125 = 12.5 per mille)")]
_Count = Annotated[int, Strict(), Field(ge=0, description="must be a whole number >= 0")]
_FACTORS = Annotated[tuple[Annotated[float, Strict(), Field(gt=1, allow_inf_nan=False)], ...],
                     Field(min_length=1, description="must be a non-empty list of factors > 1")]


def _ordered_band(v: tuple[float, float, float]) -> tuple[float, float, float]:
    if not v[0] <= v[1] <= v[2]:
        fail(f"must be ordered low <= central <= high, got {list(v)!r}")
    return v


_BAND = Annotated[tuple[_Number, _Number, _Number], AfterValidator(_ordered_band),
                  Field(description="must be a list [low, central, high] of numbers")]
_STEP = Annotated[tuple[_Number, Annotated[float, Strict(), Field(gt=0, le=1, allow_inf_nan=False,
                                                                   description="must be a speed factor in (0, 1]")]],
                  Field(description="must be a [grade, speed factor] pair")]
_STEPS = Annotated[tuple[_STEP, ...], AfterValidator(lambda v: tuple(sorted(v))),
                   Field(description="must be a list of [grade, speed factor] pairs")]


def _table_type(f: dataclasses.Field[Any]) -> Any:
    """A table parameter: only the keys its field allows, each a number > 0, at least one."""
    need = f"must be a table of class = {f.metadata['unit']}"

    def non_empty(v: dict[str, float]) -> dict[str, float]:
        if not v:
            fail(f"{need}, got {{}}")
        return v

    table = closed_table(f.name, dict.fromkeys(f.metadata["keys"], _Positive))
    return Annotated[table, AfterValidator(non_empty), Field(description=need)]


def _field_type(f: dataclasses.Field[Any], hints: Mapping[str, Any]) -> Any:
    kind = f.metadata.get("kind")
    if kind == "band":
        return _BAND
    if kind == "number":
        if f.metadata.get("ratio"):
            return _Ratio
        return _Positive if f.metadata.get("positive") else _Number
    if kind == "steps":
        return _STEPS
    if kind == "count":
        return _Count
    if kind == "factors":
        return _FACTORS
    if kind == "map":
        return _table_type(f)
    return hints[f.name]


@functools.cache
def _schema(params_class: type) -> Schema[dict[str, Any]]:
    hints = get_type_hints(params_class)
    fields = {f.name: _field_type(f, hints) for f in dataclasses.fields(params_class)}
    return Schema(closed_table("CostParamsTable", fields))


def check_params(params_class: type, data: Mapping[str, Any], where: str = "", *,
                 prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    """Validated values of the parameters in ``data`` (any subset) of ``params_class`` (the
    :class:`corridor.costs.CostParams` dataclass), or ParameterError naming the key.

    ``where`` (``" (in 'file')"``) is appended to the message; with a ``prefix`` (the
    table the parameters sit under in a file), so is the key's full path there
    (``costs.road_speed_kmh.primry``).
    """

    def error(p: Problem) -> ParameterError:
        at = f"{where[:-1]}, key {key_path(prefix + p.loc)})" if prefix and where.endswith(")") else where
        if p.kind == "extra_forbidden" and len(p.loc) == 1:
            hint = f"did you mean {p.hint!r}?" if p.hint else "see CostParams.keys() or `corridor list params`"
            return ParameterError(f"unknown cost parameter {p.key!r}{at}; {hint}")
        if p.kind == "extra_forbidden":
            hint = f"did you mean {p.hint!r}?" if p.hint else f"use {', '.join(p.known)}"
            return ParameterError(f"unknown key {p.loc[-1]!r} in table {key_path(p.loc[:-1])!r}{at}; {hint}")
        return ParameterError(f"cost parameter {p.key!r} {p.text}{at}")

    return _schema(params_class).validate(dict(data), error)
