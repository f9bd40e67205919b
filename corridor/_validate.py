"""Small argument validators that raise :mod:`corridor` errors with actionable messages."""

from __future__ import annotations

import decimal
import math
import numbers
import os
import stat
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from corridor._errors import (
    CorridorError,
    DataFileError,
    InvalidInputError,
    ParameterError,
    UnknownUnitError,
)
from corridor._types import UNITS, BBox

__all__ = ["as_bbox", "as_items", "check_input_path", "check_lonlat", "check_mode", "check_modes", "check_positive", "check_units",
           "renamed", "renamed_keyword"]

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


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Validate a finite positive (or non-negative) number.

    Only real numbers pass (``int``, ``float``, NumPy numbers: :class:`numbers.Real`; a 0-d NumPy
    array of one and :class:`decimal.Decimal` too): text, even ``"0.01"``, and ``True``/``False``
    are refused, naming ``name``.

    >>> check_positive(2.5, "step_m")
    2.5
    >>> check_positive("0.01", "max_grade")
    Traceback (most recent call last):
    ...
    corridor._errors.ParameterError: max_grade must be a number, got '0.01' (str); pass it without quotes, e.g. 0.01
    """
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    if getattr(value, "ndim", None) == 0 and kind and kind in "iuf":  # a 0-d NumPy array of a number
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real | decimal.Decimal):  # NumPy bools are not Real
        hint = f"; pass it without quotes, e.g. {float(value):g}" if isinstance(value, str) and _is_float(value) else ""
        raise ParameterError(f"{name} must be a number, got {value!r} ({type(value).__name__}){hint}")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        need = "zero or more" if allow_zero else "greater than zero"
        raise ParameterError(f"{name} must be a finite number {need}, got {value!r}")
    return v


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def check_input_path(path: str | os.PathLike[str], what: str, *, folder_ok: bool = False,
                     error: type[CorridorError] = DataFileError, missing: str | None = None) -> Path:
    """Return ``path`` if it is an existing regular file (or, with ``folder_ok``, a folder).

    Every input file (DEM, network, scenario and cost TOML) is checked with this
    before it is opened: a FIFO, device or socket would block the reader forever
    or stream endless data, so only regular files (symbolic links to them
    included) and, where a folder of files is accepted, folders pass.

    Parameters
    ----------
    path : str or os.PathLike
        The path as given.
    what : str
        What the file is, for the message (``"DEM file"``, ``"scenario file"`` ...).
    folder_ok : bool
        Accept a folder too (a folder of DEM tiles).
    error : type of CorridorError
        The error class to raise (a subclass of :class:`DataFileError` or
        :class:`InvalidInputError` suits the caller).
    missing : str, optional
        The whole message for a path that does not exist (default: says so).

    Raises
    ------
    CorridorError
        Of class ``error``: the path does not exist, cannot be examined, or is
        not a regular file (or folder).

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> check_input_path(d, "DEM file", folder_ok=True) == Path(d)
    True
    >>> os.mkfifo(os.path.join(d, "pipe.tif"))
    >>> check_input_path(os.path.join(d, "pipe.tif"), "DEM file")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    corridor._errors.DataFileError: DEM file '.../pipe.tif' is a FIFO (named pipe), not a regular file; ...
    """
    p = Path(os.fspath(path))
    shown = repr(str(p))
    try:
        mode = p.stat().st_mode  # follows symbolic links: a link to a regular file is fine
    except FileNotFoundError:
        raise error(missing or f"{what} {shown} does not exist; check the path") from None
    except OSError as exc:
        raise error(f"cannot access {what} {shown}: {exc.strerror or exc}; check the path and its "
                    "permissions") from exc
    if stat.S_ISREG(mode) or (folder_ok and stat.S_ISDIR(mode)):
        return p
    kind = "a folder" if stat.S_ISDIR(mode) else next((k for test, k in _KINDS if test(mode)), "not a file")
    need = "a regular file or a folder" if folder_ok else "a regular file"
    raise error(f"{what} {shown} is {kind}, not a regular file; give {need} (copy the data to a file "
                "first if it comes from a pipe or device)")

def check_modes(modes: str | Iterable[str]) -> tuple[str, ...]:
    """Validate and order ``modes`` (``"road"``, ``"rail"``).

    >>> check_modes(["rail", "road"])
    ('road', 'rail')
    >>> check_modes("bus")
    Traceback (most recent call last):
    ...
    corridor._errors.InvalidInputError: unknown mode 'bus'; use one of road, rail
    """
    items = [modes] if isinstance(modes, str) else list(modes)
    if not items:
        raise InvalidInputError("modes is empty; give ('road',), ('rail',) or ('road', 'rail')")
    got = {check_mode(m) for m in items}
    return tuple(m for m in ("road", "rail") if m in got)


def as_bbox(bbox: Any) -> BBox | None:
    """``bbox`` as a :class:`~corridor._types.BBox` (from a BBox, a string or four numbers), or None.

    >>> as_bbox("44,39,46.5,41")
    BBox(left=44.0, bottom=39.0, right=46.5, top=41.0)
    """
    if bbox is None or isinstance(bbox, BBox):
        return bbox
    if isinstance(bbox, str):
        return BBox.parse(bbox)
    try:
        vals = list(bbox)
    except TypeError as exc:
        raise InvalidInputError(f"bbox {bbox!r} is not (left, bottom, right, top) in degrees") from exc
    if len(vals) != 4:
        raise InvalidInputError(f"bbox {bbox!r} needs four numbers: (left, bottom, right, top) in degrees")
    return BBox(*vals)


def renamed(module: str, aliases: Mapping[str, tuple[str, object]]) -> Callable[[str], object]:
    """A module-level ``__getattr__`` serving old names, each with a ``DeprecationWarning``.

    ``aliases`` maps each old name to ``(new name, object)``. Kept for one release
    after a rename.

    >>> import warnings
    >>> getattr_ = renamed("pkg", {"Old": ("New", int)})
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     getattr_("Old") is int, str(w[0].message)
    (True, 'pkg.Old is deprecated and will be removed in the next release; use pkg.New')
    """

    def __getattr__(name: str) -> object:  # noqa: N807  (it becomes the module's __getattr__)
        if name in aliases:
            new, obj = aliases[name]
            warnings.warn(f"{module}.{name} is deprecated and will be removed in the next release; "
                          f"use {module}.{new}", DeprecationWarning, stacklevel=2)
            return obj
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__


def renamed_keyword(func: str, old: str, new: str) -> None:
    """Warn that keyword ``old`` of ``func`` is deprecated in favour of ``new`` (kept for one release)."""
    warnings.warn(f"{func}({old}=...) is deprecated and will be removed in the next release; use {new}=...",
                  DeprecationWarning, stacklevel=3)
