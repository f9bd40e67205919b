"""Modelled vs published: each published figure of a scenario beside the figure the model gives.

A scenario's published figures (``[[scenario.published]]`` in its TOML, see
:mod:`corridor.scenarios`) name what they measure with an optional
``measure`` key. :data:`MEASURES` is the one table from a measure to the
modelled metric (a column of :meth:`corridor.evaluation.RouteMetrics.as_row`);
:data:`FIGURE_UNITS` the one table of the units a published figure may be
given in, with the conversion to the metric's unit (euros at the route's
:attr:`corridor.costs.CostParams.usd_per_eur`, default :data:`USD_PER_EUR` with its source).

:func:`published_table` gives one row per published figure of every route:
``figure``, ``modelled``, ``published`` (both in the published unit),
``diff_pct`` (modelled minus published, in % of published) and ``source``.
A figure without a measure, or one the model cannot give (a section of the
line, a figure in text, a unit of another kind), is listed with ``modelled``
empty and a ``note`` saying so ("no modelled counterpart").

Examples
--------
>>> from types import SimpleNamespace
>>> m = SimpleNamespace(name="A - B", meta={"scenario": "a-b"},
...                     published=({"figure": "length", "value": 40, "unit": "km", "source": "x",
...                                 "measure": "length"},
...                                {"figure": "stations", "value": 3, "unit": "", "source": "y"}),
...                     as_row=lambda: {"length_km": 42.0})
>>> t = published_table([m])
>>> t[["figure", "modelled", "published", "diff_pct"]].values.tolist()[0]
['length', 42.0, 40.0, 5.0]
>>> t["note"].iloc[1]
'no modelled counterpart'
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from corridor._types import UNITS
from corridor.costs import CostParams

if TYPE_CHECKING:
    import pandas as pd

    from corridor.evaluation.metrics import RouteMetrics

log = logging.getLogger(__name__)

__all__ = ["COLUMNS", "EURO_UNITS", "FIGURE_UNITS", "MEASURES", "NO_COUNTERPART", "USD_PER_EUR", "USD_PER_EUR_SOURCE",
           "Measure", "compare_figure", "euro_rates", "published_table", "rate_text", "unit_size"]

_RATE = next(f for f in dataclasses.fields(CostParams) if f.name == "usd_per_eur")
#: US dollars per euro, to set a published figure in euros beside the modelled cost (million USD): the
#: default of the one documented parameter, :attr:`corridor.costs.CostParams.usd_per_eur`.
USD_PER_EUR: float = float(_RATE.default)  # type: ignore[arg-type]
#: Where :data:`USD_PER_EUR` comes from (a fixed rate: the comparison is order of magnitude).
USD_PER_EUR_SOURCE = f"{USD_PER_EUR} USD per EUR ({_RATE.metadata['source']})"


@dataclass(frozen=True)
class Measure:
    """What a published figure measures, and the modelled metric that gives it.

    ``column`` is a column of :meth:`RouteMetrics.as_row`, ``kind`` ``length``
    or ``cost``, and ``metric_unit`` the unit of that column (a key of
    :data:`FIGURE_UNITS`).
    """

    column: str
    kind: str
    metric_unit: str
    label: str


#: The one mapping from a published figure's ``measure`` to the modelled metric.
MEASURES: Mapping[str, Measure] = {
    "length": Measure("length_km", "length", "km", "total length"),
    **{f"length_in_{u}": Measure(f"length_km_{u}", "length", "km", f"length in {u}") for u in UNITS},
    "tunnel_length": Measure("tunnel_km", "length", "km", "total length of tunnels"),
    "bridge_length": Measure("bridge_km", "length", "km", "total length of bridges"),
    "longest_tunnel": Measure("longest_tunnel_m", "length", "m", "longest tunnel"),
    "longest_bridge": Measure("longest_bridge_m", "length", "m", "longest bridge"),
    "cost": Measure("cost_central_musd", "cost", "MUSD", "central construction cost"),
    **{f"cost_in_{u}": Measure(f"cost_central_musd_{u}", "cost", "MUSD", f"central construction cost in {u} "
                                "(border and gauge facilities not apportioned)") for u in UNITS},
}

#: Units a published figure may be given in: ``unit -> (kind, size in the kind's base unit)``; the base
#: units are metres and million units of currency (US dollars; euros for :data:`EURO_UNITS`, which
#: :func:`unit_size` converts at a given rate).
FIGURE_UNITS: Mapping[str, tuple[str, float]] = {
    "m": ("length", 1.0),
    "km": ("length", 1000.0),
    "MUSD": ("cost", 1.0),
    "BUSD": ("cost", 1000.0),
    "MEUR": ("cost", 1.0),
    "BEUR": ("cost", 1000.0),
}
#: Units of :data:`FIGURE_UNITS` in euros.
EURO_UNITS = frozenset({"MEUR", "BEUR"})


def unit_size(unit: str, usd_per_eur: float = USD_PER_EUR) -> float:
    """Size of a :data:`FIGURE_UNITS` unit in its kind's base unit (metres, million US dollars).

    >>> unit_size("km"), unit_size("BEUR", 1.5)
    (1000.0, 1500.0)
    """
    size = FIGURE_UNITS[unit][1]
    return size * usd_per_eur if unit in EURO_UNITS else size


def rate_text(usd_per_eur: float = USD_PER_EUR) -> str:
    """The euro rate a comparison used, with its source (the default's, or the cost parameters').

    >>> rate_text(1.5)
    '1.5 USD per EUR (given in the cost parameters, usd_per_eur)'
    """
    if usd_per_eur == USD_PER_EUR:
        return USD_PER_EUR_SOURCE
    return f"{usd_per_eur:g} USD per EUR (given in the cost parameters, usd_per_eur)"

#: Where a row's note says at which rate a figure in euros was compared (:func:`euro_rates` reads it back).
_CONVERTED = "converted from USD at "

#: Note of a figure the model has no counterpart for.
NO_COUNTERPART = "no modelled counterpart"
#: Columns of :func:`published_table`.
COLUMNS = ("route", "scenario", "figure", "measure", "metric", "unit", "modelled", "published", "diff_pct",
           "source", "note")


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    try:
        f = float(v)
    except OverflowError:  # a whole number beyond any float: no figure to compare with
        return None
    return f if math.isfinite(f) else None


def compare_figure(item: Mapping[str, Any], row: Mapping[str, Any], *,
                   usd_per_eur: float = USD_PER_EUR) -> dict[str, Any]:
    """One published figure beside the model: a row of :func:`published_table` (without ``route``/``scenario``).

    Parameters
    ----------
    item : mapping
        ``figure``, ``value``, ``unit``, ``source`` and optionally ``measure`` (a key of :data:`MEASURES`).
    row : mapping
        The route's :meth:`RouteMetrics.as_row`.
    usd_per_eur : float
        Rate for figures in euros (the route's :attr:`corridor.costs.CostParams.usd_per_eur`).

    Examples
    --------
    >>> r = compare_figure({"figure": "cost", "value": 2400, "unit": "MEUR", "source": "s", "measure": "cost"},
    ...                    {"cost_central_musd": 2400 * USD_PER_EUR})
    >>> round(r["modelled"], 1), r["published"], round(r["diff_pct"], 2)
    (2400.0, 2400.0, 0.0)
    >>> compare_figure({"figure": "x", "value": 1, "unit": "km", "source": "s", "measure": "height"}, {})["note"]
    "no modelled counterpart (unknown measure 'height')"
    """
    measure = item.get("measure")
    unit = str(item.get("unit", "") or "")
    value = _number(item.get("value"))
    out: dict[str, Any] = {
        "figure": str(item.get("figure", "")), "measure": "" if measure is None else str(measure), "metric": "",
        "unit": unit, "modelled": math.nan, "published": value if value is not None else item.get("value"),
        "diff_pct": math.nan, "source": str(item.get("source", "")), "note": NO_COUNTERPART,
    }
    if measure is None or str(measure) == "":
        return out
    m = MEASURES.get(str(measure))
    if m is None:
        out["note"] = f"{NO_COUNTERPART} (unknown measure {str(measure)!r})"
        log.warning("published figure %r: unknown measure %r; known: %s", out["figure"], measure,
                    ", ".join(MEASURES))
        return out
    out["metric"] = m.column
    if value is None:
        out["note"] = f"{NO_COUNTERPART} (the published value is not a number)"
        return out
    pub_unit = FIGURE_UNITS.get(unit)
    if pub_unit is None or pub_unit[0] != m.kind:
        out["note"] = f"{NO_COUNTERPART} (unit {unit!r} cannot be compared with the {m.label})"
        return out
    modelled = _number(row.get(m.column))
    if modelled is None:
        out["note"] = f"{NO_COUNTERPART} (the model gives no {m.label} for this route)"
        return out
    out["modelled"] = modelled * unit_size(m.metric_unit, usd_per_eur) / unit_size(unit, usd_per_eur)
    out["diff_pct"] = (out["modelled"] - value) / value * 100.0 if value != 0 else math.nan
    notes = [f"modelled {m.label}"]
    if unit in EURO_UNITS:
        notes.append(_CONVERTED + rate_text(usd_per_eur))
    out["note"] = "; ".join(notes)
    return out


def published_table(metrics: Iterable[RouteMetrics], *,
                    unrouted: Iterable[tuple[Any, str]] = ()) -> pd.DataFrame:
    """Modelled vs published, one row per published figure of each route (:data:`COLUMNS`).

    Parameters
    ----------
    metrics : iterable of RouteMetrics
        Evaluated routes; their ``published`` figures come from the scenario, and figures in euros
        convert at their cost parameters' ``usd_per_eur``.
    unrouted : iterable of (Scenario, str)
        Scenarios that could not be routed, with the reason: each of their published figures is
        listed with no modelled value and a note that says why.

    Returns
    -------
    pandas.DataFrame
        ``route``, ``scenario``, ``figure``, ``measure``, ``metric`` (the
        modelled column), ``unit`` (of the published figure, and of
        ``modelled``), ``modelled``, ``published``, ``diff_pct``, ``source``,
        ``note``. Routes without published figures give no rows.
    """
    import pandas as pd

    rows = []
    for m in metrics:
        pubs = [p for p in (getattr(m, "published", ()) or ()) if isinstance(p, Mapping)]
        if not pubs:
            continue
        row = m.as_row()
        scen = str((getattr(m, "meta", None) or {}).get("scenario", ""))
        rate = float(getattr(getattr(m, "params", None), "usd_per_eur", USD_PER_EUR))
        for p in pubs:
            rows.append({"route": str(m.name), "scenario": scen, **compare_figure(p, row, usd_per_eur=rate)})
    for scenario, reason in unrouted:
        for p in getattr(scenario, "published", ()) or ():
            if isinstance(p, Mapping):
                row = compare_figure({**p, "measure": None}, {})  # no modelled value
                row["measure"] = "" if p.get("measure") is None else str(p.get("measure"))
                row["note"] = f"{NO_COUNTERPART} (the scenario was not routed: {reason})"
                rows.append({"route": str(getattr(scenario, "name", "")), "scenario": str(getattr(scenario, "slug", "")),
                             **row})
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in ("modelled", "diff_pct"):
        df[col] = df[col].astype(float)
    return df


def euro_rates(table: pd.DataFrame) -> list[str]:
    """The rates (with their source) at which a :func:`published_table`'s figures in euros were compared."""
    return sorted({str(n).split(_CONVERTED, 1)[1] for u, n in zip(table["unit"], table["note"], strict=True)
                   if str(u) in EURO_UNITS and _CONVERTED in str(n)})
