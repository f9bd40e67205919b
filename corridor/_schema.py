"""Declarative schemas for the TOML inputs, and error messages that name the key path.

Scenario files (:mod:`corridor.scenarios`) and cost files (:mod:`corridor.costs`)
are described by pydantic types (``Annotated`` fields with constraints). pydantic
validates; :class:`Schema` turns its first error into one :class:`Problem` — the
key path (``road_speed_kmh.primry``, ``published[0].source``), what is wrong, and
for an unknown key at any nesting level the closest known key (difflib) — from
which the caller builds its own :class:`~corridor.CorridorError`. A pydantic
``ValidationError`` never leaves this module.

Conventions for the schemas:

* a field's ``description`` states its requirement as a predicate
  (``"must be a list [low, central, high] of numbers"``); it is the message for
  any type or shape error at exactly that key;
* number bounds are pydantic constraints (``ge``, ``gt``, ``le``, ``lt``) and are
  worded from the schema (``must be a finite number >= 0``);
* a check no constraint expresses raises :func:`fail` with a ready message;
* a value that may be a list or a table is :func:`list_or_table`.

Examples
--------
>>> from typing import Annotated
>>> from pydantic import Field
>>> s = Schema(dict[str, Annotated[float, Field(ge=0)]])
>>> s.problem({"a": -1}).key, s.problem({"a": -1}).text
('a', 'must be a finite number >= 0, got -1')
>>> s.problem({"a": 1.0}) is None
True
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, NoReturn, TypeVar

from pydantic import (
    AfterValidator,
    ConfigDict,
    Discriminator,
    Tag,
    TypeAdapter,
    ValidationError,
    with_config,
)
from pydantic.errors import PydanticUserError
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

__all__ = ["Problem", "Schema", "closed_table", "fail", "key_path", "list_or_table", "one_of"]

T = TypeVar("T")

#: Tags of :func:`list_or_table` unions (they appear in pydantic's error locations)
#: and the JSON type each stands for.
_SHAPE_TAGS = {"list": "array", "table": "object"}

#: How a type error is worded when the key has no ``description``.
_NOUNS = {
    "string_type": "a string", "float_type": "a number", "float_parsing": "a number",
    "int_type": "a whole number", "int_parsing": "a whole number", "bool_type": "true or false",
    "list_type": "a list", "tuple_type": "a list", "dict_type": "a table", "model_type": "a table",
    "model_attributes_type": "a table", "string_pattern_mismatch": "text of the allowed form",
}
_NUMBER_ERRORS = {"finite_number", "greater_than", "greater_than_equal", "less_than", "less_than_equal"}


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with a value, as found by :meth:`Schema.problem`.

    Attributes
    ----------
    loc : tuple
        Key path: table keys (``str``) and list positions (``int``).
    kind : str
        pydantic's error type (``"missing"``, ``"extra_forbidden"``, ``"corridor"``, ...).
    text : str
        What is wrong, e.g. ``"is missing (required: name, mode)"``.
    value : object
        The offending input.
    known : tuple of str
        For an unknown key: the keys allowed at that level.
    hint : str or None
        For an unknown key: the closest known key, if any.
    """

    loc: tuple[str | int, ...]
    kind: str
    text: str
    value: Any
    known: tuple[str, ...] = ()
    hint: str | None = None

    @property
    def key(self) -> str:
        """The key path as text (``"published[0].source"``)."""
        return key_path(self.loc)


def key_path(loc: Iterable[str | int]) -> str:
    """Dotted key path with list positions in brackets.

    >>> key_path(("costs", "rail_grade_speed", 0, 1))
    'costs.rail_grade_speed[0][1]'
    """
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def fail(message: str) -> NoReturn:
    """Reject a value from inside a validator; ``message`` is used as it is."""
    raise PydanticCustomError("corridor", message)


def one_of(values: Iterable[str]) -> AfterValidator:
    """An ``Annotated`` validator accepting only ``values`` (``'x' is not one of a, b``)."""
    allowed = tuple(values)

    def check(v: str) -> str:
        if v not in allowed:
            fail(f"{v!r} is not one of {', '.join(allowed)}")
        return v

    return AfterValidator(check)


def closed_table(name: str, fields: dict[str, Any]) -> Any:
    """A table type with optional ``fields`` and no other key (an unknown key is a problem)."""
    table = TypedDict(name, fields, total=False)  # type: ignore[misc]
    return with_config(ConfigDict(extra="forbid"))(table)


def list_or_table(list_type: Any, table_type: Any) -> Any:
    """A value that is either a list (``list_type``) or a table (``table_type``), chosen by its shape."""
    return Annotated[Annotated[list_type, Tag("list")] | Annotated[table_type, Tag("table")],
                     Discriminator(lambda v: "table" if isinstance(v, dict) else "list")]


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + " ...)"


def _g(x: float) -> str:
    return f"{x:g}"


def _number_text(node: dict[str, Any]) -> str:
    """``a finite number`` with the bounds of a JSON-schema node worded."""
    lo_in, lo_ex = node.get("minimum"), node.get("exclusiveMinimum")
    hi_in, hi_ex = node.get("maximum"), node.get("exclusiveMaximum")
    lo = lo_in if lo_in is not None else lo_ex
    hi = hi_in if hi_in is not None else hi_ex
    if lo is not None and hi is not None:
        return (f"a finite number in {'[' if lo_in is not None else '('}{_g(lo)}, {_g(hi)}"
                f"{']' if hi_in is not None else ')'}")
    if lo_in is not None:
        return f"a finite number >= {_g(lo_in)}"
    if lo_ex is not None:
        return "a finite number greater than " + ("zero" if lo_ex == 0 else _g(lo_ex))
    if hi is not None:
        return f"a finite number {'<=' if hi_in is not None else '<'} {_g(hi)}"
    return "a finite number"


class Schema(Generic[T]):
    """A pydantic type with readable problems.

    Parameters
    ----------
    type_ : type
        Any type pydantic validates (a model, a ``TypedDict``, an ``Annotated`` type).
    """

    def __init__(self, type_: Any) -> None:
        self.adapter: TypeAdapter[T] = TypeAdapter(type_)
        self._json: dict[str, Any] | None = None

    def validate(self, data: Any, error: Callable[[Problem], Exception]) -> T:
        """The validated value, or ``error(problem)`` raised for the first problem."""
        try:
            return self.adapter.validate_python(data)
        except ValidationError as exc:
            raise error(self._problem(exc)) from None

    def problem(self, data: Any) -> Problem | None:
        """The first problem with ``data``, or None when it is valid."""
        try:
            self.adapter.validate_python(data)
        except ValidationError as exc:
            return self._problem(exc)
        return None

    # ------------------------------------------------------------------ internals
    def _schema_json(self) -> dict[str, Any]:
        if self._json is None:
            try:
                self._json = self.adapter.json_schema()
            except PydanticUserError:  # a type without a JSON form: messages fall back to pydantic's words
                self._json = {}
        return self._json

    def _walk(self, loc: tuple[Any, ...]) -> tuple[tuple[str | int, ...], dict[str, Any], dict[str, Any]]:
        """Clean key path (no union tags, no ``[key]``), the node at ``loc`` and its parent table's node."""
        js = self._schema_json()
        defs = js.get("$defs", {})

        def deref(node: dict[str, Any]) -> dict[str, Any]:
            while True:
                if "$ref" in node:
                    node = {**defs.get(node["$ref"].rsplit("/", 1)[-1], {}), **{k: v for k, v in node.items()
                                                                               if k != "$ref"}}
                    continue
                branches = [b for b in node.get("anyOf", ()) if b.get("type") != "null"]
                if "anyOf" in node and len(branches) == 1:  # Optional[X]
                    node = {**branches[0], **{k: v for k, v in node.items() if k != "anyOf"}}
                    continue
                return node

        node, parent = deref(js), {}
        clean: list[str | int] = []
        for part in loc:
            if part == "[key]":  # a table key that failed its own check
                continue
            union = node.get("oneOf") or node.get("anyOf")
            if union and isinstance(part, str) and part not in node.get("properties", {}):
                want = _SHAPE_TAGS.get(part)  # a list_or_table tag, or a union member's label
                if want:
                    node = deref(next((b for b in union if deref(b).get("type") == want), {}))
                continue
            clean.append(part)
            parent = node
            if isinstance(part, int):
                prefix = node.get("prefixItems") or []
                nxt = prefix[part] if part < len(prefix) else node.get("items", {})
            elif part in node.get("properties", {}):
                nxt = node["properties"][part]
            else:
                extra = node.get("additionalProperties")
                nxt = extra if isinstance(extra, dict) else {}
            node = deref(nxt if isinstance(nxt, dict) else {})
        return tuple(clean), node, parent

    def _problem(self, exc: ValidationError) -> Problem:
        errors = exc.errors(include_url=False)
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        kind, value = err["type"], err.get("input")
        loc, node, parent = self._walk(tuple(err["loc"]))
        if kind == "missing" and loc and isinstance(loc[-1], int):  # a fixed-length list is too short
            loc, node, kind = loc[:-1], parent, "too_short"
        if kind == "missing":
            required = parent.get("required") or []
            return Problem(loc, kind, "is missing" + (f" (required: {', '.join(required)})" if required else ""),
                           None)
        if kind == "extra_forbidden":
            known = tuple(sorted(parent.get("properties", {})))
            close = difflib.get_close_matches(str(loc[-1]) if loc else "", known, n=1)
            hint = close[0] if close else None
            text = f"did you mean {hint!r}?" if hint else f"allowed keys are {', '.join(known)}"
            return Problem(loc, kind, f"unknown key; {text}", value, known, hint)
        if kind == "corridor":
            return Problem(loc, kind, err["msg"], value)
        if node.get("description"):
            need = str(node["description"])
        elif kind in _NUMBER_ERRORS:
            need = "must be " + _number_text(node)
        elif kind in _NOUNS:
            need = "must be " + _NOUNS[kind]
        elif kind in ("too_short", "too_long"):
            ctx = err.get("ctx", {})
            need = (f"must have {'at least' if kind == 'too_short' else 'at most'} "
                    f"{ctx.get('min_length', ctx.get('max_length'))} item(s)")
        else:
            need = str(err["msg"]).replace("Input should be", "must be")
        return Problem(loc, kind, f"{need}, got {_short(value)}", value)
