"""Human labels, units and display text of metric columns: the one table of them.

The terminal table, the map popups, the report, the GeoPackage styles and the
notebook displays all name a metric column (``length_km_ARM``, ``max_grade``)
the same way: ``label("length_km_ARM")`` is ``"Length in Armenia"`` and
``unit_of("length_km_ARM")`` is ``"km"``. Grades show in per mille for rail and
per cent for road. Column names that are not in the table (``published_*``
columns built from scenario files, future columns) get a readable label from
the name itself, never the raw slug.

Examples
--------
>>> label("length_km_NAX"), unit_of("length_km_NAX")
('Length in Nakhchivan', 'km')
>>> label_with_unit("cost_tunnels_musd")
'Cost of tunnels, central (million USD)'
>>> display_value("max_grade", 0.0181, "rail"), display_value("length_km", 43.04)
('18.1 ‰', '43.0 km')
>>> label("published_meghri_section_length_armenian_survey_km")
'Published: meghri section length armenian survey (km)'

The DEM-uncertainty band columns (``<figure>_dem_p10``, ``<figure>_dem_p90``)
take the label and unit of their figure; a person reads the two as one pair:

>>> label_with_unit("cost_central_musd_dem_p90")
'Central construction cost, DEM P90 (million USD)'
>>> band_label("tunnel_km"), display_band("tunnel_km", 0.0, 3.64)
('Tunnels, DEM P10–P90', '0.0–3.6 km')
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from corridor._types import UNITS

__all__ = ["LABELS", "SHORT_UNIT_NAMES", "band_label", "band_of", "display_band", "display_value", "format_metric",
           "label", "label_with_unit", "published_unit", "published_value", "unit_of"]

#: Short names of the country units, for labels ("Length in Nakhchivan").
SHORT_UNIT_NAMES: dict[str, str] = {code: {"NAX": "Nakhchivan"}.get(code, name) for code, name in UNITS.items()}
_GRADE = "grade"  # pseudo-unit: ‰ for rail, % otherwise

#: Column -> (label, unit). Columns following a pattern (per unit, per cost part) are added below.
LABELS: dict[str, tuple[str, str]] = {
    "rank": ("Rank", ""),
    "score": ("Score (1 best, 0 worst)", ""),
    "name": ("Name", ""),
    "mode": ("Mode", ""),
    "scenario": ("Scenario", ""),
    "status": ("Status", ""),
    "length_km": ("Length", "km"),
    "length_km_existing_active": ("Length on existing active line", "km"),
    "length_km_existing_disused": ("Length on disused, abandoned or dismantled line (dismantled priced as new)", "km"),
    "length_km_new": ("Length of new build", "km"),
    "n_crossings": ("Border crossings", ""),
    "n_border_stops": ("Border stops", ""),
    "n_known_crossings": ("Known border crossing points used", ""),
    "crossings": ("Crossings", ""),
    "n_gauge_breaks": ("Gauge breaks", ""),
    "n_transfers": ("Transfers", ""),
    "min_elevation_m": ("Lowest elevation", "m"),
    "max_elevation_m": ("Highest elevation", "m"),
    "mean_elevation_m": ("Mean elevation", "m"),
    "ascent_m": ("Total ascent", "m"),
    "descent_m": ("Total descent", "m"),
    "max_grade": ("Maximum grade", _GRADE),
    "mean_grade": ("Mean grade", _GRADE),
    "ruling_grade": ("Ruling grade", _GRADE),
    "over_ruling_km": ("Length steeper than the ruling grade", "km"),
    "tunnel_km": ("Tunnels", "km"),
    "bridge_km": ("Bridges", "km"),
    "n_tunnels": ("Number of tunnels", ""),
    "longest_tunnel_m": ("Longest tunnel", "m"),
    "n_bridges": ("Number of bridges", ""),
    "longest_bridge_m": ("Longest bridge", "m"),
    "cut_m3": ("Cut", "m³"),
    "fill_m3": ("Fill", "m³"),
    "detour_factor": ("Detour factor (length / straight line)", ""),
    "time_h": ("Travel time", "h"),
    "time_running_h": ("Running time", "h"),
    "time_dwell_h": ("Dwell and border time", "h"),
    "cost_low_musd": ("Construction cost, low", "million USD"),
    "cost_central_musd": ("Construction cost, central", "million USD"),
    "cost_high_musd": ("Construction cost, high", "million USD"),
    "terrain_class": ("Terrain", ""),
    "flat_km": ("Flat terrain", "km"),
    "rolling_km": ("Rolling terrain", "km"),
    "mountainous_km": ("Mountainous terrain", "km"),
    "source": ("Source", ""),
    "modelled": ("Modelled", ""),
    "network_source": ("Network", ""),
    "dem_source": ("Elevation model", ""),
    "voids_filled": ("DEM voids filled", ""),
    "published_sources": ("Published figures: sources", ""),
    "units": ("Country units in order", ""),
    "waypoints": ("Waypoints", ""),
    "route_index": ("Route number", ""),
    "n_segments": ("Segments", ""),
    "dem_samples": ("DEM realisations", ""),
    "dem_band": ("DEM band", ""),
}
for _code, _name in SHORT_UNIT_NAMES.items():
    LABELS[f"length_km_{_code}"] = (f"Length in {_name}", "km")
    LABELS[f"cost_central_musd_{_code}"] = (f"Cost in {_name}, line only, central", "million USD")
LABELS["length_km_outside"] = ("Length outside the country units", "km")
LABELS["cost_central_musd_outside"] = ("Cost outside the country units, line only, central", "million USD")
_COST_PART_NAMES = {"border_gauge": "border and gauge works"}
#: DEM-band column: ``<figure>_dem_<percentile>`` (``tunnel_km_dem_p10``); its figure gives label and unit.
_BAND_COLUMN = re.compile(r"(?P<figure>\w+?)_dem_(?P<pct>p\d{1,2})")
#: Band figures whose own label reads badly with ", DEM P10" after it.
_BAND_NAMES = {"cost_central_musd": "Central construction cost"}
#: Units recognised at the end of a ``published_*`` column name.
_PUBLISHED_UNITS = ("km", "m", "musd", "busd", "meur", "beur", "usd", "h", "min", "years", "m3", "percent")
#: How those units read in a label (the rest read as they are).
_PUBLISHED_UNIT_NAMES = {"musd": "million USD", "busd": "billion USD", "meur": "million EUR",
                         "beur": "billion EUR", "m3": "m³", "percent": "%"}


def label(key: str) -> str:
    """Human label of a column, without its unit.

    >>> label("length_km_ARM"), label("cost_open_line_musd"), label("some_new_column")
    ('Length in Armenia', 'Cost of open line, central', 'Some new column')
    """
    key = str(key)
    if key in LABELS:
        return LABELS[key][0]
    band = band_of(key)
    if band is not None:
        return f"{_band_name(band[0])}, DEM {band[1].upper()}"
    m = re.fullmatch(r"cost_(\w+)_musd", key)
    if m:
        part = m.group(1)
        return f"Cost of {_COST_PART_NAMES.get(part, part.replace('_', ' '))}, central"
    if key.startswith("published_"):
        body, unit = _published_parts(key)
        return f"Published: {body}" + (f" ({unit})" if unit else "")
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def band_of(key: str) -> tuple[str, str] | None:
    """``(figure, percentile)`` of a DEM-band column (``"p10"``, ``"p90"``), ``None`` for other columns.

    >>> band_of("cost_central_musd_dem_p10"), band_of("dem_samples"), band_of("dem_source")
    (('cost_central_musd', 'p10'), None, None)
    """
    m = None if str(key).startswith("published_") else _BAND_COLUMN.fullmatch(str(key))
    return (m.group("figure"), m.group("pct")) if m else None


def _band_name(figure: str) -> str:
    return _BAND_NAMES.get(figure) or label(figure)


def band_label(figure: str) -> str:
    """Label of the P10–P90 pair of a band figure, without unit: ``"Tunnels, DEM P10–P90"``."""
    return f"{_band_name(figure)}, DEM P10–P90"


def display_band(figure: str, p10: Any, p90: Any, mode: str = "") -> str:
    """The P10–P90 pair of a band figure with its unit once: ``"0.0–3.6 km"`` (``"n/a"`` for a missing end).

    >>> display_band("cost_central_musd", 1870.8, 2154.7)
    '1,870.8–2,154.7 million USD'
    """
    unit = unit_of(figure, mode)
    lo, hi = (display_value(figure, v, mode) for v in (p10, p90))
    if unit and lo.endswith(f" {unit}") and hi.endswith(f" {unit}"):
        return f"{lo.removesuffix(f' {unit}')}–{hi}"
    return f"{lo}–{hi}"


def _published_parts(key: str) -> tuple[str, str]:
    words = key.removeprefix("published_").split("_")
    unit = words[-1] if len(words) > 1 and words[-1] in _PUBLISHED_UNITS else ""
    body = " ".join(words[:-1] if unit else words)
    return body, _PUBLISHED_UNIT_NAMES.get(unit, unit)


def published_unit(unit: Any) -> str:
    """How the unit of a published figure reads in text: ``"MEUR"`` → ``"million EUR"``; others as given.

    >>> published_unit("MEUR"), published_unit("MUSD"), published_unit("km"), published_unit(" ")
    ('million EUR', 'million USD', 'km', '')
    """
    text = str(unit).strip()
    return _PUBLISHED_UNIT_NAMES.get(text.lower(), text)


def published_value(value: Any) -> str:
    """A published figure's value as reported: a number with thousands separators and every digit
    given (never rounded), text as it is, ``"–"`` for a missing value (``None``, NaN).

    >>> published_value(2400), published_value(1234.56), published_value("offered Oct 2025")
    ('2,400', '1,234.56', 'offered Oct 2025')
    >>> published_value(None), published_value(float("nan"))
    ('–', '–')
    """
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    v = float(value)
    if math.isnan(v):
        return "–"
    if not math.isfinite(v):
        return str(value)
    return str(format_metric("", v)) if v.is_integer() else f"{v:,}"


def unit_of(key: str, mode: str = "") -> str:
    """Unit of a column (``""`` for counts and text); grades: ``‰`` for rail, ``%`` otherwise, both
    for a table of both modes (``mode="mixed"``).

    >>> unit_of("max_grade", "rail"), unit_of("max_grade", "road"), unit_of("cost_bridges_musd")
    ('‰', '%', 'million USD')
    >>> unit_of("max_grade", "mixed")
    '‰ rail, % road'
    """
    key = str(key)
    band = None if key in LABELS else band_of(key)
    if band is not None:
        return unit_of(band[0], mode)
    unit = LABELS[key][1] if key in LABELS else ""
    if key not in LABELS and re.fullmatch(r"cost_\w+_musd", key):
        unit = "million USD"
    if unit == _GRADE:
        return {"rail": "‰", "mixed": "‰ rail, % road"}.get(mode, "%")
    return unit


def label_with_unit(key: str, mode: str = "") -> str:
    """``"Length in Armenia (km)"``; published columns carry their unit in the label already."""
    unit = "" if str(key).startswith("published_") else unit_of(key, mode)
    return f"{label(key)} ({unit})" if unit else label(key)


def format_metric(key: str, value: Any, mode: str = "") -> str | None:
    """Display text of a numeric metric (no unit), or ``None`` if ``value`` is not a number.

    Grades (keys containing ``grade`` but not ``km``) show in per mille for rail
    and per cent otherwise; volumes (m³) in whole cubic metres; whole numbers get
    thousands separators.

    Examples
    --------
    >>> format_metric("max_grade", 0.0125, "rail"), format_metric("length_km", 42.0)
    ('12.5 ‰', '42')
    >>> format_metric("cut_m3", 2_019_809.6)
    '2,019,810'
    >>> format_metric("name", "Meghri") is None
    True
    """
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    v = float(value)
    if math.isnan(v):
        return "n/a"
    if "grade" in key and "km" not in key:
        return f"{v * 1000:.1f} ‰" if mode == "rail" else f"{v * 100:.1f} %"
    if unit_of(key, mode) == "m³":  # volumes are modelled to the cubic metre at best
        return f"{v:,.0f}"
    if v.is_integer() and abs(v) < 1e12:
        return f"{int(v):,}"
    return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}"


def display_value(key: str, value: Any, mode: str = "") -> str:
    """Value with its unit for a person: ``"43.0 km"``, ``"18.1 ‰"``, ``"yes"``; text as is.

    Lengths, times and costs show one decimal (``"0.0 km"`` for zero), m³ in millions.

    >>> display_value("cut_m3", 2_500_000.0), display_value("n_crossings", 3), display_value("name", "x")
    ('2.50 million m³', '3', 'x')
    """
    unit = unit_of(key, mode)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        text = format_metric(key, value, mode)
        return str(value) if text is None else text
    v = float(value)
    if math.isnan(v):
        return "n/a"
    if unit in ("‰", "%"):
        return str(format_metric(key, v, mode))
    if unit == "m³":
        return f"{v / 1e6:,.2f} million m³"
    if unit in ("km", "h", "million USD"):
        return f"{v:,.1f} {unit}"
    if unit == "m":
        return f"{v:,.0f} m"
    text = format_metric(key, v, mode)
    return f"{text} {unit}".strip()
