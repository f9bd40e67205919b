"""Stage 7, evaluation: route metrics, comparison, ranking and sensitivity.

Examples
--------
>>> from shapely.geometry import LineString
>>> from corridor.evaluation import RouteMetrics, evaluate
>>> from corridor.route import Route
>>> m = evaluate(Route.from_lines([LineString([(46.18, 38.86), (46.24, 38.90)])], mode="road"))
>>> isinstance(m, RouteMetrics) and m.length_km > 0
True
"""

from __future__ import annotations

from corridor.evaluation._borders import crossings
from corridor.evaluation._core import designed, priced_new
from corridor.evaluation._display import Comparison
from corridor.evaluation.metrics import (
    RouteMetrics,
    compare,
    comparison,
    evaluate,
    sensitivity,
    table,
)
from corridor.evaluation.ranking import DEFAULT_WEIGHTS, in_rank_order, rank, rank_changes, score

__all__ = [
    "DEFAULT_WEIGHTS",
    "Comparison",
    "RouteMetrics",
    "compare",
    "comparison",
    "crossings",
    "designed",
    "evaluate",
    "in_rank_order",
    "priced_new",
    "rank",
    "rank_changes",
    "score",
    "sensitivity",
    "table",
]
