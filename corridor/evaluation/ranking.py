"""Weighted multi-criteria score, rank and rank-change summaries.

Every criterion is a numeric column of the comparison table where *lower is
better* (length, cost, time, crossings, grades). Each is min-max normalised
over the routes compared (0 = best route, 1 = worst; a column equal for every
route contributes 0; a missing value counts as worst). The score is
``1 - sum(w * norm) / sum(w)``: 1 is best. Ranks are 1 for the best score;
ties share the better rank.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"name": ["a", "b"], "length_km": [10.0, 20.0], "cost_central_musd": [50.0, 10.0]})
>>> score(t, {"length_km": 1, "cost_central_musd": 3}).round(2).tolist()
[0.25, 0.75]
>>> rank(score(t, {"length_km": 1})).tolist()
[1, 2]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from corridor._errors import InvalidInputError, ParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_WEIGHTS", "check_weights", "in_rank_order", "name_text", "order_text", "rank", "rank_changes",
           "rank_groups", "ranks_text", "score"]

#: Default criteria and weights (lower is better for each). Cost counts double.
DEFAULT_WEIGHTS: dict[str, float] = {
    "length_km": 1.0,
    "cost_central_musd": 2.0,
    "time_h": 1.0,
    "n_crossings": 1.0,
    "n_gauge_breaks": 0.5,
    "over_ruling_km": 1.0,
    "max_grade": 0.5,
}


#: Columns renamed so that the unit comes last (``tunnel_km``, ``over_ruling_km``); the old names are
#: accepted, with a ``DeprecationWarning``, for one release.
RENAMED_COLUMNS: dict[str, str] = {"km_over_ruling": "over_ruling_km", "km_flat": "flat_km",
                                   "km_rolling": "rolling_km", "km_mountainous": "mountainous_km"}


def check_weights(weights: Mapping[str, float] | None, columns: Sequence[str] | None = None) -> dict[str, float]:
    """Validate weights: finite numbers >= 0, at least one > 0, known criteria.

    >>> check_weights({"length_km": 2})
    {'length_km': 2.0}
    >>> check_weights({"length_km": -1})
    Traceback (most recent call last):
    ...
    corridor._errors.ParameterError: weight 'length_km' must be a finite number >= 0, got -1
    """
    if weights is None:
        return dict(DEFAULT_WEIGHTS)
    if not isinstance(weights, Mapping):
        raise ParameterError(f"weights must be a mapping of criterion -> weight, got {weights!r}")
    out: dict[str, float] = {}
    for k, v in weights.items():
        if k in RENAMED_COLUMNS:
            warnings.warn(f"criterion {k!r} is deprecated; use {RENAMED_COLUMNS[k]!r} (unit suffix last)",
                          DeprecationWarning, stacklevel=2)
            k = RENAMED_COLUMNS[k]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)) or v < 0:
            raise ParameterError(f"weight {k!r} must be a finite number >= 0, got {v!r}")
        if columns is not None and k not in columns:
            raise ParameterError(f"unknown criterion {k!r} in weights; use numeric columns such as "
                                 f"{', '.join(DEFAULT_WEIGHTS)}")
        out[str(k)] = float(v)
    if not out or sum(out.values()) <= 0:
        raise ParameterError(f"weights {dict(weights)!r} must include at least one weight > 0")
    return out


def score(table: pd.DataFrame, weights: Mapping[str, float] | None = None) -> pd.Series:
    """Weighted score per row (pandas Series, 1 best, 0 worst)."""
    import pandas as pd

    w = check_weights(weights, list(table.columns))
    total = sum(w.values())
    acc = np.zeros(len(table))
    for col, wt in w.items():
        try:
            x = pd.to_numeric(table[col], errors="raise").to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"criterion {col!r} is not numeric; weight numeric columns only") from exc
        finite = np.isfinite(x)
        norm = np.ones(len(x))
        if finite.any():
            lo, hi = np.min(x[finite]), np.max(x[finite])
            norm[finite] = 0.0 if hi == lo else (x[finite] - lo) / (hi - lo)
        acc += wt * norm
    return pd.Series(1.0 - acc / total, index=table.index, name="score")


def rank(scores: pd.Series) -> pd.Series:
    """Rank 1 = highest score; ties share the better rank."""
    return (-scores).rank(method="min").astype(int).rename("rank")


def in_rank_order(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a comparison table best rank first; routes of one rank keep the table's order.

    The one order of every table that shows the compared routes side by side: the terminal table
    and its notes, the DEM-band tables, the report's tables, ``summary.csv`` and the notebook
    display. The table itself (:func:`corridor.evaluation.table`) keeps the order the routes were
    given in, which the routes, maps and charts share. A table without a ``rank`` column is
    returned as it is.

    Parameters
    ----------
    table : pandas.DataFrame
        A comparison table with ``rank``.

    Returns
    -------
    pandas.DataFrame
        The same rows (index kept), sorted by ``rank`` with a stable sort.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"name": ["a", "b", "c", "d"], "rank": [3, 1, 4, 1]})
    >>> in_rank_order(t)["name"].tolist()
    ['b', 'd', 'a', 'c']
    """
    if "rank" not in getattr(table, "columns", ()):
        return table
    return table.sort_values("rank", kind="stable")


def rank_changes(base: Sequence[int], new: Sequence[int]) -> dict[str, float]:
    """How a rank vector moved: routes changed, largest shift, Kendall's tau.

    >>> rank_changes([1, 2, 3], [2, 1, 3])["n_changed"]
    2
    """
    a, b = np.asarray(base, float), np.asarray(new, float)
    tau = float("nan")
    if a.size >= 2 and np.unique(a).size > 1 and np.unique(b).size > 1:
        from scipy.stats import kendalltau

        tau = float(kendalltau(a, b).statistic)
    elif a.size >= 2:
        tau = 1.0 if np.array_equal(a, b) else float("nan")
    return {"n_changed": int(np.sum(a != b)), "max_shift": int(np.max(np.abs(a - b))) if a.size else 0,
            "kendall_tau": tau}


#: Between the ranks of an order as text (:func:`order_text`), and between the routes of one rank (a tie).
ORDER_SEPARATOR, TIE_SEPARATOR = " > ", " = "
#: Characters that set a name in quotes in the text of an order or of ranks: the separators of
#: :func:`order_text` and :func:`ranks_text` and every double quote mark.
_QUOTED_CHARS = frozenset('>=;“”"')
OPEN_QUOTE, CLOSE_QUOTE = "“", "”"


def name_text(name: str) -> str:
    """A route name as it reads in the text of an order (:func:`order_text`) or of ranks (:func:`ranks_text`).

    A name is written as it is unless it holds a separator character (``>``, ``=``, ``;``), a double quote
    mark (``"``, ``“``, ``”``) or a character that does not print, starts or ends with a space, or is
    empty: it is then set in ``“…”``, with each ``“`` and ``”`` inside written twice. A name never reads
    as two, nor two names as one: outside quotes the text holds no separator of a name's own, and
    inside them a single ``”`` can only close the name.

    Examples
    --------
    >>> name_text("Meghri rail")
    'Meghri rail'
    >>> name_text("A = 1"), name_text("x;y")
    ('“A = 1”', '“x;y”')
    >>> name_text("the “new” line")
    '“the ““new”” line”'
    """
    n = str(name)
    if n and n == n.strip() and n.isprintable() and _QUOTED_CHARS.isdisjoint(n):
        return n
    inner = n.replace(OPEN_QUOTE, OPEN_QUOTE * 2).replace(CLOSE_QUOTE, CLOSE_QUOTE * 2)
    return f"{OPEN_QUOTE}{inner}{CLOSE_QUOTE}"


def _one_rank_per_name(names: Sequence[str], ranks: Sequence[int]) -> None:
    if len(names) != len(ranks):
        raise InvalidInputError(f"{len(names)} names but {len(ranks)} ranks; give one rank per name")


def ranks_text(names: Sequence[str], ranks: Sequence[int]) -> str:
    """Each route's rank as text, ``name=rank`` joined by ``"; "``, each name as :func:`name_text` writes it.

    >>> ranks_text(["a", "b=c; d"], [2, 1])
    'a=2; “b=c; d”=1'
    """
    _one_rank_per_name(names, ranks)
    return "; ".join(f"{name_text(n)}={int(r)}" for n, r in zip(names, ranks, strict=True))


def rank_groups(names: Sequence[str], ranks: Sequence[int]) -> tuple[tuple[str, ...], ...]:
    """The routes of each rank, best rank first: a group of more than one route is a tie.

    Routes of one rank keep the order they are given in. This is the rank order as data; :func:`order_text`
    writes it as text, and whether an order has a tie is read from the groups, never from that text.

    Parameters
    ----------
    names : sequence of str
        Route names.
    ranks : sequence of int
        Their ranks (1 best; ties share the better rank, as :func:`rank` gives them), in the same order.

    Returns
    -------
    tuple of tuple of str
        One tuple of names per rank, best first.

    Examples
    --------
    >>> rank_groups(["a", "b", "c"], [2, 1, 2])
    (('b',), ('a', 'c'))
    """
    _one_rank_per_name(names, ranks)
    by_rank: dict[int, list[str]] = {}
    for n, r in zip(names, ranks, strict=True):
        by_rank.setdefault(int(r), []).append(str(n))
    return tuple(tuple(by_rank[r]) for r in sorted(by_rank))


def order_text(groups: Sequence[Sequence[str]]) -> str:
    """A rank order (:func:`rank_groups`) as text: ``" > "`` between ranks, ``" = "`` within a tie.

    Each name is written as :func:`name_text` writes it (in quotes when it holds a separator character or
    a quote mark), so the text reads as the groups are, whatever the names. The groups, not this text,
    are the order as data (``rank_groups`` of :func:`corridor.evaluation.sensitivity`).

    Parameters
    ----------
    groups : sequence of sequence of str
        The names of each rank, best first (:func:`rank_groups`).

    Returns
    -------
    str
        The order as one line of text.

    Examples
    --------
    >>> order_text((("b",), ("a", "c")))
    'b > a = c'
    >>> order_text((("a = b",), ("c",)))
    '“a = b” > c'
    >>> order_text((('say "x"', "y>z"),))
    '“say "x"” = “y>z”'
    """
    return ORDER_SEPARATOR.join(TIE_SEPARATOR.join(name_text(n) for n in g) for g in groups)
