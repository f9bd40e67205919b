"""Small argument validators that raise :mod:`corridor` errors with actionable messages."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import Any

from ._errors import InvalidInputError, ParameterError, UnknownUnitError
from ._types import UNITS

__all__ = ["as_items", "check_lonlat", "check_mode", "check_positive", "check_units"]

MODES = ("road", "rail")


def as_items(value: object) -> list[Any]:
    """``value`` as a list of items, for arguments that take one item or many.

    A single ``str``, ``bytes``, path (``os.PathLike``) or any non-iterable
    object (a Route, a Scenario ...) is one item, never split into letters;
    any other iterable (list, tuple, generator ...) is materialised once.

    >>> as_items("meghri-rail"), as_items(("a", "b")), as_items(x for x in "ab")
    (['meghri-rail'], ['a', 'b'], ['a', 'b'])
    """
    if isinstance(value, str | bytes | os.PathLike) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def check_mode(mode: str) -> str:
    """Return ``mode`` if it is ``"road"`` or ``"rail"``.

    >>> check_mode("rail")
    'rail'
    """
    if mode not in MODES:
        raise InvalidInputError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    return mode


def check_units(units: Iterable[str] | str | None, *, what: str = "unit") -> tuple[str, ...]:
    """Normalise and validate country-unit codes (case-insensitive).

    >>> check_units(["arm", "NAX"])
    ('ARM', 'NAX')
    """
    if units is None:
        return ()
    if isinstance(units, str):
        units = [u for u in units.replace(";", ",").split(",") if u.strip()]
    out = []
    for u in units:
        if not isinstance(u, str):
            raise UnknownUnitError(f"{what} {u!r} is not a string; use one of {', '.join(UNITS)}")
        code = u.strip().upper()
        if code not in UNITS:
            raise UnknownUnitError(f"unknown {what} {u!r}; use one of {', '.join(UNITS)}")
        out.append(code)
    return tuple(out)


def check_lonlat(lon: Any, lat: Any) -> tuple[float, float]:
    """Validate a longitude/latitude pair in degrees.

    >>> check_lonlat(45, 40)
    (45.0, 40.0)
    """
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"coordinate ({lon!r}, {lat!r}) is not numeric; give (lon, lat) in degrees") from exc
    if not (math.isfinite(x) and math.isfinite(y)):
        raise InvalidInputError(f"coordinate ({lon!r}, {lat!r}) is not finite; give (lon, lat) in degrees")
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise InvalidInputError(
            f"coordinate ({x}, {y}) is not in degrees (lon -180..180, lat -90..90); "
            "reproject projected coordinates to EPSG:4326 first"
        )
    return x, y


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Validate a finite positive (or non-negative) number.

    >>> check_positive(2.5, "step_m")
    2.5
    """
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be a number, got {value!r}") from exc
    if isinstance(value, bool) or not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        need = "zero or more" if allow_zero else "greater than zero"
        raise ParameterError(f"{name} must be a finite number {need}, got {value!r}")
    return v
