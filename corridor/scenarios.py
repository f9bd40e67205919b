"""The catalogue of candidate corridors: scenario TOML files and :class:`Scenario`.

Built-in scenarios live in ``data/scenarios/*.toml`` (one per file). A user
file may hold one scenario under ``[scenario]`` or several under
``[[scenario]]``. Keys:

=============== ======== =====================================================
name            required display name (one line: no newline, tab or other control
                character, as for ``status`` and the published ``figure``,
                ``unit`` and ``source``)
mode            required ``rail`` or ``road``
waypoints       required ordered list (>= 2) of place names (``"Julfa, AZ"``
                allowed) or ``[lon, lat]`` pairs
slug            optional short id (default: from the name)
stay_in         optional units the alignment must stay in
avoid           optional units to exclude, or a table ``{UNIT = factor}``
max_grade       optional ruling grade as a ratio (default: mode preset)
status          optional status text (as published)
description     optional free text (may hold newlines and tabs, no other control
                character)
reference_status optional OSM-style status of the line on the reference network
published       optional array of tables ``{figure, value, unit, source}``, each
                with an optional ``measure`` naming the modelled metric it is
                compared with (``length``, ``length_in_ARM``, ``tunnel_length``,
                ``cost``, ...: :data:`corridor.evaluation.published.MEASURES`)
=============== ======== =====================================================

The keys are checked by a declarative pydantic schema (``_Table``, see
:mod:`corridor._schema`); every problem raises :class:`~corridor.ScenarioError`
naming the file, the key path and what is wrong, with a "did you mean" for an
unknown key.

Examples
--------
>>> from corridor import scenarios
>>> s = scenarios.get("meghri-rail")
>>> s.mode, s.stay_in
('rail', ('AZE', 'ARM', 'NAX'))
>>> len(scenarios.builtin()) >= 8
True
"""

from __future__ import annotations

import logging
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    StrictFloat,
    StrictInt,
    StrictStr,
)

from corridor._errors import InvalidInputError, ScenarioError, UnknownPlaceError, UnknownUnitError
from corridor._schema import Schema, fail, list_or_table, one_of
from corridor._types import REGION_BBOX, UNITS
from corridor._validate import MODES, as_items, check_input_path, check_lonlat, check_units
from corridor.align.tracing import trace
from corridor.costs import CostParams
from corridor.data.datasets import data_dir
from corridor.data.places import norm, resolve
from corridor.network.core import Network, as_network
from corridor.route import Route
from corridor.terrain.dem import DEMLike

log = logging.getLogger(__name__)

__all__ = ["REFERENCE_STATUSES", "Scenario", "builtin", "gather", "get", "load", "scenario_dir"]

REFERENCE_STATUSES = ("active", "disused", "abandoned", "razed", "construction", "proposed")


@dataclass(frozen=True)
class Scenario:
    """One candidate corridor of the catalogue.

    Attributes
    ----------
    name, slug, mode : str
    waypoints : tuple
        Place names or ``(lon, lat)`` tuples, in order.
    stay_in : tuple of str
    avoid : tuple of str or dict
        Units to exclude, or ``{unit: cost factor}``.
    max_grade : float or None
    published : list of dict
        ``{"figure", "value", "unit", "source"}`` as published (value may be text).
    status, description : str
    source_file : str
        File the scenario was read from.
    reference_status : str
        Status of this line on the modelled reference network.

    Examples
    --------
    >>> s = Scenario(name="Julfa - Meghri", slug="julfa-meghri", mode="rail", waypoints=("Julfa, AZ", "Meghri"))
    >>> s.mode, s.waypoints[-1], s.max_grade is None
    ('rail', 'Meghri', True)
    >>> all(isinstance(b, Scenario) for b in builtin())
    True
    """

    name: str
    slug: str
    mode: str
    waypoints: tuple[Any, ...]
    stay_in: tuple[str, ...] = ()
    avoid: Any = ()
    max_grade: float | None = None
    published: list[dict[str, Any]] = field(default_factory=list)
    status: str = ""
    description: str = ""
    source_file: str = ""
    reference_status: str = "proposed"

    def route(self, network: Network | str | os.PathLike[str] | None = None, dem: DEMLike = None, *,
              params: CostParams | None = None, **kw: Any) -> Route:
        """Trace this scenario and return a :class:`corridor.route.Route`.

        Parameters
        ----------
        network : Network, ``"reference"``, OSM file path or None
            Existing network to reuse (see :func:`corridor.network.as_network`;
            ``"reference"`` loads the modelled reference network); ``None``
            traces a new alignment throughout.
        dem : DEM, path or None
            Default: the embedded GLOBE DEM.
        params : CostParams, optional
            Unit costs the new alignment and its vertical design are optimised
            with (default: the :mod:`corridor.costs` defaults); see :func:`corridor.align.trace`.
        **kw
            Passed to :func:`corridor.align.trace` (e.g. ``buffer_m``).

        Returns
        -------
        Route
            ``meta`` carries ``scenario``, ``published``, ``status``,
            ``description``, ``network_source`` and ``dem_source``.

        Examples
        --------
        >>> r = get("gyumri-kars").route()
        >>> r.unit_sequence()
        ['ARM', 'TUR']
        >>> r.meta["scenario"]
        'gyumri-kars'
        """

        network = as_network(network, error=ScenarioError)
        avoid = dict(self.avoid) if isinstance(self.avoid, Mapping) else (list(self.avoid) or None)
        r = trace(list(self.waypoints), mode=self.mode, network=network, dem=dem,
                  stay_in=list(self.stay_in) or None, avoid=avoid, max_grade=self.max_grade,
                  name=self.name, params=params, **kw)
        # meta["network_source"] stays the trace's own record: the network the route was traced over, None
        # where it follows new build alone although a network was given
        return r.with_meta(scenario=self.slug, scenario_name=self.name, published=list(self.published),
                           status=self.status, description=self.description, source_file=self.source_file)


def scenario_dir() -> Path:
    """Folder of the built-in scenario files (``data/scenarios``).

    Examples
    --------
    >>> d = scenario_dir()
    >>> d.name, (d / "gyumri-kars.toml").is_file()
    ('scenarios', True)
    """

    return data_dir() / "scenarios"


def _slugify(name: str) -> str:

    words = re.split(r"[^A-Za-z0-9]+", " ".join(norm(w) for w in str(name).split()))
    return "-".join(w for w in words if w) or "scenario"


def _err(path: Path | str, where: str, key: str, problem: str) -> ScenarioError:
    msg = f"{path}: {where} key {key!r}: {problem}"
    if not re.search(r"\b(use|give|fix|check|remove|add|did you mean)\b", problem):
        msg += f"; fix {key!r} in the file"
    return ScenarioError(msg)


# ---------------------------------------------------------------- the schema of a [scenario] table
def _unit_codes(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        fail(f"must be a list of unit codes, got {value!r}")
    try:
        return check_units(value)
    except UnknownUnitError as exc:
        fail(str(exc))


def _unit_code(value: str) -> str:
    if value.strip().upper() not in UNITS:
        fail(f"unknown unit; use {', '.join(UNITS)}")
    return value.strip().upper()


def _waypoint(w: Any) -> str | tuple[float, float]:
    if isinstance(w, str):
        if not w.strip():
            fail("is an empty name")
        return w
    if isinstance(w, list | tuple) and len(w) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in w):
        try:
            return check_lonlat(*w)
        except InvalidInputError:
            fail(f"{w!r} is not [lon, lat] in degrees")
    fail(f"{w!r} is neither a place name nor a [lon, lat] pair")


#: C0 and C1 control characters (newline, tab, CR, escape, DEL ...): a one-line text of a scenario file has none.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _plain(keep: str = "") -> AfterValidator:
    """An ``Annotated`` validator refusing text with a control character other than those in ``keep``."""
    what = "text with no control character" + (" other than newlines and tabs" if keep else " (newline, tab, escape ...)")

    def check(v: str) -> str:
        bad = next((m for m in _CONTROL.finditer(v) if m.group() not in keep), None)
        if bad is not None:
            fail(f"must be {what}, got {bad.group()!r} at character {bad.start() + 1} of {v[:80]!r}")
        return v

    return AfterValidator(check)


_Units = Annotated[tuple[str, ...], BeforeValidator(_unit_codes)]
#: One line of text (a name, a figure's unit): no control character, so it never splits a line or a table cell.
_Text = Annotated[str, Strict(), _plain()]
#: Free text (a description): newlines and tabs allowed, no other control character.
_Paragraph = Annotated[str, Strict(), _plain("\n\t")]
if TYPE_CHECKING:
    _Avoid = tuple[str, ...] | dict[str, float]
else:  # a list of units to exclude, or a table of cost factors (inf excludes)
    _Avoid = list_or_table(_Units, dict[Annotated[str, Strict(), AfterValidator(_unit_code)],
                                        Annotated[float, Strict(), Field(gt=0, description="must be a penalty factor > 0")]])


def _published_value(v: Any) -> Any:
    # lengths and costs as published: a negative, nan or inf number is a typo, not a figure to compare with
    if isinstance(v, str):
        return v
    try:
        number = float(v)
    except OverflowError:  # an integer beyond any float: compared as a float, it would fail later
        fail("must be a finite number >= 0 or text, got a whole number too large to compare")
    if not (math.isfinite(number) and number >= 0):
        fail(f"must be a finite number >= 0 or text, got {v!r}")
    return v


class _Published(BaseModel):  # one published figure (no docstring: it would become the schema's description)
    model_config = ConfigDict(extra="forbid")

    figure: _Text
    value: Annotated[StrictInt | StrictFloat | StrictStr, Field(description="must be a number or text"),
                     AfterValidator(_published_value)]
    unit: _Text
    source: Annotated[_Text, Field(pattern=r"\S", description="must cite where the figure was published")]
    measure: Annotated[str | None, Strict(), Field(
        pattern=r"^[a-z]+(_[a-z]+)*(_[A-Z]{3})?$",
        description='must name a modelled metric such as "length", "length_in_ARM", "tunnel_length", "cost" or '
                    '"cost_in_ARM"')] = None


class _Table(BaseModel):  # a [scenario] table; the keys are listed in the module docstring
    model_config = ConfigDict(extra="forbid")

    name: Annotated[_Text, Field(pattern=r"\S", description="must be a non-empty string")]
    mode: Annotated[str, Strict(), one_of(MODES), Field(description=f"must be one of {', '.join(MODES)}")]
    waypoints: Annotated[list[Annotated[str | tuple[float, float], PlainValidator(_waypoint)]],
                         Field(min_length=2, description="needs a list of at least two waypoints")]
    slug: Annotated[str, Strict(), Field(pattern=r"^([a-z0-9][a-z0-9-]*)?$",
                                         description="must be lower-case letters, digits and dashes")] = ""
    stay_in: _Units = ()
    avoid: Annotated[_Avoid, Field(description="must be a list of unit codes or a table {UNIT = factor}")] = ()
    max_grade: Annotated[float | None, Strict(), Field(
        gt=0, lt=1, description="must be a ratio between 0 and 1 (0.0125 = 12.5 per mille)")] = None
    published: Annotated[list[_Published], Field(
        description="must be an array of tables [[scenario.published]]")] = []
    status: _Text = ""
    description: _Paragraph = ""
    reference_status: Annotated[str, Strict(), one_of(REFERENCE_STATUSES),
                                Field(description=f"must be one of {', '.join(REFERENCE_STATUSES)}")] = "proposed"


_SCHEMA: Schema[_Table] = Schema(_Table)


def _check_chain(wps: list[Any], places: list[Any], path: Path, where: str) -> None:
    """Waypoints must lie in the region pack and never revisit a point (no A -> B -> A loops).

    ``places`` holds each waypoint's resolved Place, or None for a name not looked up.
    """

    seen: dict[tuple[float, float] | str, int] = {}
    for i, (w, p) in enumerate(zip(wps, places, strict=True)):
        key = f"waypoints[{i}]"
        if p is not None:
            lon, lat = p.lon, p.lat
            if not (REGION_BBOX.left <= lon <= REGION_BBOX.right and REGION_BBOX.bottom <= lat <= REGION_BBOX.top):
                label = f"{w!r} ({lon:.4f}, {lat:.4f})" if isinstance(w, str) else f"[{lon:.4f}, {lat:.4f}]"
                raise _err(path, where, key, f"{label} lies outside the region corridor "
                           f"covers (lon {REGION_BBOX.left}..{REGION_BBOX.right}, lat {REGION_BBOX.bottom}.."
                           f"{REGION_BBOX.top}); move the waypoint into the South Caucasus")
            ident: tuple[float, float] | str = (round(lon, 4), round(lat, 4))
        else:
            ident = str(w).strip().casefold()
        if ident in seen:
            j = seen[ident]
            what = "repeats the previous waypoint" if j == i - 1 else f"returns to waypoints[{j}] ({wps[j]!r})"
            raise _err(path, where, key, f"{w!r} {what}; a corridor route cannot loop back, so drop the repeat "
                       "or split the route into two scenarios")
        seen[ident] = i


def _parse_one(raw: Any, path: Path, where: str, check_places: bool) -> Scenario:
    name = raw.get("name") if isinstance(raw, Mapping) else None
    if isinstance(name, str) and name.strip():
        where = f"{where} ({name!r})"
    if not isinstance(raw, Mapping):
        raise _err(path, where, "scenario", f"must be a table, got {type(raw).__name__}")
    t = _SCHEMA.validate(raw, lambda p: _err(path, where, p.key, p.text))
    places: list[Any] = []  # resolved Place of each waypoint (None: a name not looked up)
    for i, w in enumerate(t.waypoints):
        try:
            places.append(resolve(w) if check_places or not isinstance(w, str) else None)
        except UnknownPlaceError as exc:
            raise _err(path, where, f"waypoints[{i}]", str(exc)) from None
    _check_chain(t.waypoints, places, path, where)
    avoid = t.avoid if isinstance(t.avoid, Mapping) else tuple(t.avoid)
    both = set(t.stay_in) & set(avoid if not isinstance(avoid, Mapping) else ())
    if both:
        raise _err(path, where, "avoid", f"unit(s) {sorted(both)} are also in stay_in")
    slug = t.slug or _slugify(t.name)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        raise _err(path, where, "slug", f"{slug!r} must be lower-case letters, digits and dashes")
    return Scenario(name=t.name.strip(), slug=slug, mode=t.mode, waypoints=tuple(t.waypoints), stay_in=t.stay_in,
                    avoid=avoid, max_grade=t.max_grade, published=[p.model_dump(exclude_none=True) for p in t.published],
                    status=t.status, description=t.description, source_file=str(path),
                    reference_status=t.reference_status)


def load(path: str | Path, *, check_places: bool = True) -> list[Scenario]:
    """Read and validate a scenario TOML file.

    Parameters
    ----------
    path : str or Path
        A file with ``[scenario]`` or ``[[scenario]]`` tables.
    check_places : bool
        Look every waypoint name up in the gazetteer (default True).

    Returns
    -------
    list of Scenario

    Raises
    ------
    ScenarioError
        Missing file, TOML syntax error, missing or wrong keys; the message
        names the file, the key and the problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = p.write_text('[scenario]\\nname = "Test"\\nmode = "road"\\nwaypoints = ["Goris", [46.53, 39.55]]\\n')
    >>> load(p)[0].waypoints
    ('Goris', (46.53, 39.55))
    >>> _ = p.write_text('[scenario]\\nname = "Test"\\nmode = "bus"\\nwaypoints = ["Goris", "Kapan"]\\n')
    >>> load(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    corridor._errors.ScenarioError: ...s.toml: scenario ('Test') key 'mode': 'bus' is not one of road, rail; fix 'mode' in the file
    """
    p = check_input_path(path, "scenario file", error=ScenarioError,
                         missing=f"{path}: scenario file not found; give the path of a .toml file")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{p}: not valid TOML ({exc}); fix the syntax") from exc
    if "scenario" not in data:
        raise ScenarioError(f"{p}: key 'scenario' is missing; put the scenario under [scenario] "
                            "or several under [[scenario]]")
    other = sorted(set(data) - {"scenario"})
    if other:
        raise ScenarioError(f"{p}: key {other[0]!r}: unknown top-level key; only [scenario] tables are allowed")
    raw = data["scenario"]
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ScenarioError(f"{p}: key 'scenario': the list is empty")
    out = [_parse_one(r, p, f"scenario[{i}]" if isinstance(raw, list) else "scenario", check_places)
           for i, r in enumerate(items)]
    slugs = [s.slug for s in out]
    dup = sorted({s for s in slugs if slugs.count(s) > 1})
    if dup:
        raise ScenarioError(f"{p}: key 'slug': {dup[0]!r} is used by more than one scenario; "
                            "give each scenario a different name or slug")
    return out


_CACHE: dict[tuple[str, tuple[tuple[str, float], ...]], list[Scenario]] = {}


def builtin() -> list[Scenario]:
    """The built-in catalogue (``data/scenarios/*.toml``), sorted by file name.

    Examples
    --------
    >>> [s.slug for s in builtin()][:2]
    ['aras-iran', 'gyumri-kars']
    """
    folder = scenario_dir()
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise ScenarioError(f"{folder}: no built-in scenario files found; reinstall corridor")
    stamp = (str(folder), tuple((f.name, f.stat().st_mtime) for f in files))
    if stamp not in _CACHE:
        out: list[Scenario] = []
        for f in files:
            out.extend(load(f))
        _CACHE.clear()
        _CACHE[stamp] = out
    return list(_CACHE[stamp])


def get(name_or_slug: str) -> Scenario:
    """A built-in scenario by slug or name (case-insensitive).

    Examples
    --------
    >>> get("Gyumri - Kars rail").slug
    'gyumri-kars'
    >>> get("nowhere")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    corridor._errors.ScenarioError: unknown scenario 'nowhere'; built-in scenarios are: ...
    """
    found = _find_builtin(name_or_slug)
    if found is None:
        raise ScenarioError(f"unknown scenario {name_or_slug!r}; built-in scenarios are: "
                            f"{', '.join(s.slug for s in builtin())}")
    return found


def _find_builtin(name_or_slug: str) -> Scenario | None:
    """The built-in scenario with this slug or name (case-insensitive), or None."""
    key = str(name_or_slug).strip().lower()
    cat = builtin()
    for s in cat:
        if key in (s.slug, s.name.lower()):
            return s
    for s in cat:
        if _slugify(key) == s.slug:
            return s
    return None


def _is_file_arg(text: str) -> bool:
    """Whether a string argument names a scenario file rather than a built-in scenario.

    A bare name that is an existing folder counts as a file argument unless it
    is also a built-in scenario, so :func:`load` says it is a folder.
    """
    if text.lower().endswith(".toml") or os.sep in text or "/" in text:
        return True
    p = Path(text)
    return p.is_file() or (p.is_dir() and _find_builtin(text) is None)


def gather(items: Any, *, unique: bool = True) -> list[Any]:
    """Scenarios from scenario names, scenario files and objects: one item or an iterable of them.

    The single place where arguments that name scenarios are resolved (the
    Python API and the CLI): a ``str`` ending in ``.toml``, containing a path
    separator or naming an existing file (or an existing folder that is not a
    built-in scenario's name), and any ``os.PathLike``, is a scenario
    file (every scenario in it, :func:`load`); any other ``str`` is a built-in
    scenario name or slug (:func:`get`). A single ``str`` or path is one item,
    never split into letters. Scenarios and any other object (a Route, a
    RouteMetrics) are kept as they are, in order.

    Parameters
    ----------
    items : str, path, Scenario or iterable of them
    unique : bool
        Reject two items with the same name (case-insensitive) or, for
        scenarios, the same slug: their rows would be indistinguishable in
        comparison tables and sensitivity output.

    Raises
    ------
    ScenarioError
        Unknown scenario name, unreadable file, or (``unique``) a duplicate
        name; the message names both sources.

    Examples
    --------
    >>> [s.slug for s in gather("meghri-rail")]
    ['meghri-rail']
    >>> gather(["meghri-rail", "meghri-rail"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    corridor._errors.ScenarioError: duplicate scenario name 'Meghri / TRIPP rail': item 1 (built-in ...) and item 2 ...
    """
    out: list[Any] = []
    sources: list[str] = []
    for i, it in enumerate(as_items(items), 1):
        if isinstance(it, os.PathLike) or (isinstance(it, str) and _is_file_arg(it)):
            got = load(Path(it))
            out.extend(got)
            sources += [f"item {i} ({Path(it)})"] * len(got)
        elif isinstance(it, str):
            s = get(it)
            out.append(s)
            sources.append(f"item {i} (built-in {it!r}, {Path(s.source_file).name})")
        else:
            out.append(it)
            where = getattr(it, "source_file", "") or ""
            sources.append(f"item {i} ({type(it).__name__}{' from ' + where if where else ''})")
    if unique:
        _check_unique(out, sources)
    return out


def _check_unique(items: list[Any], sources: list[str]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for j, it in enumerate(items):
        keys = [("name", str(getattr(it, "name", "")).strip().casefold())]
        if isinstance(it, Scenario):
            keys.append(("slug", it.slug))
        for key in keys:
            if not key[1]:
                continue
            if key in seen:
                k = seen[key]
                shown = getattr(it, key[0])
                raise ScenarioError(f"duplicate scenario {key[0]} {shown!r}: {sources[k]} and {sources[j]}; "
                                    "give each scenario a different name (or pass it once)")
            seen[key] = j
