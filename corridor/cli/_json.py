"""The JSON the command line writes: ``--json`` output of every command and the output-set manifest.

One rule for all of it (:func:`json_tree`): strict JSON, a missing value (NaN,
infinity) as ``null``, numpy scalars as plain numbers, text that UTF-8 can hold
(:func:`utf8_text`). :func:`echo_json` prints
a command's ``--json`` result to stdout and nothing else; progress, warnings
and logs go to stderr. :data:`JsonFlag` is the ``--json`` option every command
declares.

Examples
--------
>>> echo_json({"km": float("nan"), "files": ("a.csv",)})
{
  "km": null,
  "files": [
    "a.csv"
  ]
}
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

import typer

__all__ = ["JsonFlag", "echo_json", "json_safe", "json_text", "json_tree", "utf8_text"]

#: The ``--json`` flag of a command (``json_out: JsonFlag = False``).
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON, and nothing else, on "
                                        "stdout.")]


def json_safe(v: Any) -> Any:
    """``v`` as a plain JSON value: numpy scalars unwrapped, non-finite floats as None.

    >>> import numpy as np
    >>> json_safe(np.float32(1.5)), json_safe(float("inf")), json_safe(np.int64(3))
    (1.5, None, 3)
    """
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, str):
        return utf8_text(v)
    if hasattr(v, "item") and not isinstance(v, bytes):
        return json_safe(v.item())
    return v


def utf8_text(s: str) -> str:
    """``s`` with every lone surrogate as U+FFFD, so that it can be written as UTF-8.

    Python reads a byte of a file name (or of an argument) that is not UTF-8 as
    a lone surrogate, which UTF-8 cannot hold: written as it is, the JSON, or the
    manifest, could not be written at all.

    >>> import os
    >>> utf8_text(os.fsdecode(b"costs-\\xff.toml")), utf8_text("Iğdır")
    ('costs-\ufffd.toml', 'Iğdır')
    """
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return s.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return s


def json_tree(v: Any) -> Any:
    """``v`` with every non-finite float (also nested) turned into None, for strict JSON.

    The one rule for the JSON the command line writes: the output-set manifest
    and the ``--json`` output of every command. Dict keys become strings; lists
    and tuples become lists; leaves go through :func:`json_safe`.

    Parameters
    ----------
    v : Any
        A value, or dicts, lists and tuples nested to any depth.

    Returns
    -------
    Any
        The same structure, safe for ``json.dumps(..., allow_nan=False)``.

    Examples
    --------
    >>> json_tree({"unit": float("nan"), "xy": (1.0, float("inf")), 2: [None, "ARM"]})
    {'unit': None, 'xy': [1.0, None], '2': [None, 'ARM']}
    """
    if isinstance(v, dict):
        return {utf8_text(str(k)): json_tree(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [json_tree(x) for x in v]
    return json_safe(v)


def json_text(data: Any) -> str:
    """``data`` as indented strict JSON text (:func:`json_tree`; other objects, e.g. paths, as strings).

    >>> from pathlib import PurePosixPath
    >>> json_text({"path": PurePosixPath("out/map.html"), "m": float("nan")}).split()
    ['{', '"path":', '"out/map.html",', '"m":', 'null', '}']
    """
    return json.dumps(json_tree(data), indent=2, ensure_ascii=False, default=lambda o: utf8_text(str(o)),
                      allow_nan=False)


def echo_json(data: Any) -> None:
    """Print ``data`` to stdout as the ``--json`` output of a command (:func:`json_text`)."""
    typer.echo(json_text(data))
