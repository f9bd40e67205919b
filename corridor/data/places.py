"""The gazetteer: find places by name, tolerant of case, diacritics and transliteration.

Names are matched in this order, best first: exact name; case-insensitive name
or alternate name; transliteration-folded name (``Culfa``/``Julfa``/``Jolfa``,
``Ağbənd``/``Aghband``, ``Naxçıvan``/``Nakhchivan``). Several places may share a
name (Julfa in Azerbaijan and Jolfa in Iran): pass ``country`` or write
``"Julfa, IR"`` to choose; otherwise the curated table wins, then the larger place.

Examples
--------
>>> from corridor.data import lookup
>>> lookup("Culfa", country="AZ").unit
'NAX'
>>> lookup("Jolfa, IR").unit
'IRN'
>>> lookup("meghri").name
'Meghri'
"""

from __future__ import annotations

import difflib
import logging
import math
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from corridor._errors import InvalidInputError, UnknownPlaceError
from corridor._geo import pair_distances, radius_deg, same_point
from corridor._types import Place
from corridor._validate import check_lonlat
from corridor.data import datasets
from corridor.data.regions import index, unit_at, units_of_points

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)

__all__ = ["BORDER_REACH_M", "CROSSING_KINDS", "Waypoint", "border_between", "candidates", "lookup", "resolve",
           "resolve_all", "table"]

Waypoint = str | Place | Sequence[float]

_ISO_BY_UNIT = {"ARM": "AM", "AZE": "AZ", "NAX": "AZ", "GEO": "GE", "TUR": "TR", "IRN": "IR", "RUS": "RU"}
_CURATED_KINDS = {"border_crossing", "rail_station", "checkpoint", "bridge"}

#: Place kinds that are known border crossing points (they carry a ``border``; see :func:`table`).
CROSSING_KINDS = ("border_crossing", "checkpoint", "rail_station")
#: A crossing point lies on the border between the unit holding it and the nearest other unit when that
#: unit is within this distance (m, geodesic); farther from every other unit it is on no border.
BORDER_REACH_M = 5_000.0

# Azerbaijani / Turkish / Armenian-romanisation letters folded to one spelling.
_FOLD = [
    ("dzh", "j"), ("zh", "j"), ("kh", "h"), ("gh", "g"), ("sh", "s"),
    ("x", "h"), ("q", "g"), ("w", "v"), ("y", "i"), ("o", "u"), ("e", "a"),
]


def _ascii(s: str) -> str:
    from anyascii import anyascii

    s = s.replace("ə", "a").replace("Ə", "A").replace("ı", "i")
    s = s.replace("ç", "ch").replace("Ç", "Ch").replace("ş", "sh").replace("Ş", "Sh")
    s = unicodedata.normalize("NFKC", s)
    return str(anyascii(s))


def norm(name: str) -> str:
    """Lower-case ASCII key without punctuation or a trailing ``(approx.)``.

    >>> norm("Naxçıvan")
    'naxchivan'
    """
    s = re.sub(r"\(approx\.?\)", "", str(name), flags=re.I)
    s = _ascii(s).lower()
    return re.sub(r"[^a-z0-9]+", "", s)


def fold(name: str) -> str:
    """A coarser key that merges transliterations (Culfa = Julfa = Jolfa).

    >>> fold("Culfa") == fold("Julfa") == fold("Jolfa")
    True
    >>> fold("Naxçıvan") == fold("Nakhchivan")
    True
    """
    s = norm(name)
    # Repeat to a fixed point, so fold(fold(x)) == fold(x): one pass can create a new
    # digraph ("kx" -> "kh"). Each pass shortens the key or replaces letters by ones no
    # rule rewrites, so the loop ends.
    while True:
        t = _fold_once(s)
        if t == s:
            return s
        s = t


def _fold_once(s: str) -> str:
    # Azerbaijani 'c' is English 'j' and 'x' is 'kh'; do this before folding digraphs.
    # A 'c' left after this is always followed by 'h' ("ch"), which stays as it is.
    s = re.sub(r"c(?!h)", "j", s)
    for a, b in _FOLD:
        s = s.replace(a, b)
    return re.sub(r"(.)\1+", r"\1", s)


@lru_cache(maxsize=2)
def _index(folder: str) -> tuple[Any, dict[str, list[int]], dict[str, list[int]], dict[str, list[int]]]:

    df = datasets.places().reset_index(drop=True)
    df["unit"] = units_of_points(df["lon"].to_numpy(), df["lat"].to_numpy(), snap_m=2_000.0)
    df["border"] = _borders(df)
    exact: dict[str, list[int]] = {}
    lower: dict[str, list[int]] = {}
    folded: dict[str, list[int]] = {}
    for i, (name, alts) in enumerate(zip(df["name"], df["alt_names"], strict=True)):
        names = [name, *[a for a in str(alts).split(";") if a]]
        exact.setdefault(name, []).append(i)
        for n in names:
            for key, d in ((norm(n), lower), (fold(n), folded)):
                if key:
                    lst = d.setdefault(key, [])
                    if i not in lst:
                        lst.append(i)
    return df, exact, lower, folded


def border_between(lon: float, lat: float, *, reach_m: float = BORDER_REACH_M) -> tuple[str, str] | None:
    """The two units on either side of a point on a border, in alphabetical order.

    They are the two units nearest the point (the unit holding it at distance 0), if the second lies
    within ``reach_m`` (geodesic); else the point is on no border and the result is None. Where three
    units meet within ``reach_m``, the nearer of the other two wins.

    Parameters
    ----------
    lon, lat : float
        EPSG:4326 degrees.
    reach_m : float
        How far the other side of the border may be (m).

    Returns
    -------
    tuple of str or None
        ``(unit, unit)`` or None.

    Examples
    --------
    >>> border_between(46.569, 38.891)  # the Aghband - Kalaleh bridge over the Aras
    ('AZE', 'IRN')
    >>> border_between(44.51, 40.18) is None  # Yerevan
    True
    """
    import shapely

    idx = index()
    x, y = check_lonlat(lon, lat)
    pt = shapely.Point(x, y)
    near: dict[str, float] = {}
    cand = idx.tree.query(pt, predicate="dwithin", distance=radius_deg(reach_m, y))
    for g in cand:
        code, geom = idx.codes[int(g)], idx.geoms[int(g)]
        if shapely.intersects(geom, pt):
            d = 0.0
        else:
            q = shapely.get_point(shapely.shortest_line(pt, geom), 1)
            d = float(pair_distances(x, y, shapely.get_x(q), shapely.get_y(q)))
        near[code] = min(d, near.get(code, math.inf))
    two = sorted(near, key=lambda u: (near[u], u))[:2]
    if len(two) < 2 or near[two[1]] > reach_m:
        return None
    return (min(two), max(two))


def _borders(df: Any) -> list[tuple[str, str] | None]:
    """``border`` of each place: :func:`border_between` for :data:`CROSSING_KINDS`, else None."""
    return [border_between(float(x), float(y)) if kind in CROSSING_KINDS else None
            for kind, x, y in zip(df["kind"], df["lon"], df["lat"], strict=True)]


def table() -> gpd.GeoDataFrame:
    """All places as a GeoDataFrame with the computed columns ``unit`` and ``border``.

    ``unit`` is the unit holding the place (or the nearest within 2 km). ``border`` is, for the
    known border crossing points (kinds :data:`CROSSING_KINDS`), the two units of the border the
    point lies on (:func:`border_between`), derived from the unit polygons when the places are
    loaded; None for other places and for a crossing point on no border.

    Examples
    --------
    >>> from corridor.data.places import table
    >>> df = table()
    >>> df.loc[df["name"] == "Meghri", "unit"].iloc[0]
    'ARM'
    >>> df.loc[df["name"] == "Salammelik (approx.)", "border"].iloc[0]
    ('ARM', 'NAX')
    """
    return _index(str(datasets.region_dir()))[0].copy()


def _place(df: Any, i: int) -> Place:
    r = df.iloc[i]
    return Place(
        name=str(r["name"]), lon=float(r["lon"]), lat=float(r["lat"]),
        unit=None if r["unit"] is None else str(r["unit"]), kind=str(r["kind"]),
        country=str(r["country"]), source=str(r["source"]),
        alt_names=tuple(a for a in str(r["alt_names"]).split(";") if a),
    )


def _split_country(name: str, country: str | None) -> tuple[str, str | None]:
    m = re.match(r"^\s*(.+?)\s*(?:,\s*|\(\s*)([A-Za-z]{2,3})\s*\)?\s*$", name)
    if m and country is None:
        code = m.group(2).upper()
        iso = _ISO_BY_UNIT.get(code, code)
        if iso in set(_ISO_BY_UNIT.values()):
            return m.group(1), iso
    return name, (_ISO_BY_UNIT.get(country.upper(), country.upper()) if country else None)


def candidates(name: str, country: str | None = None) -> list[Place]:
    """Every place matching ``name`` at the best matching level, best first.

    Examples
    --------
    >>> from corridor.data import candidates
    >>> [(p.name, p.unit) for p in candidates("Julfa")]
    [('Julfa', 'NAX'), ('Julfa', 'IRN')]
    >>> candidates("Julfa", country="IR")[0].unit
    'IRN'
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"place name {name!r} is empty; give a name such as 'Meghri'")
    name, iso = _split_country(name, country)
    df, exact, lower, folded = _index(str(datasets.region_dir()))
    for hits in (exact.get(name, []), lower.get(norm(name), []), folded.get(fold(name), [])):
        if iso:
            hits = [i for i in hits if df.at[i, "country"] == iso]
        if hits:
            def rank(i: int) -> tuple[int, int, int]:
                curated = df.at[i, "kind"] in _CURATED_KINDS or not str(df.at[i, "source"]).startswith("GeoNames")
                return (0 if df.at[i, "name"] == name else 1, 0 if curated else 1, -int(df.at[i, "population"]))

            return [_place(df, i) for i in sorted(set(hits), key=rank)]
    return []


def lookup(name: str, country: str | None = None) -> Place:
    """Find one place by name.

    Parameters
    ----------
    name : str
        Place name in any common spelling; ``"Name, CC"`` picks the country
        (ISO alpha-2 such as ``IR`` or a unit code such as ``NAX``).
    country : str, optional
        ISO alpha-2 code or unit code to disambiguate.

    Returns
    -------
    Place

    Raises
    ------
    UnknownPlaceError
        Nothing matches; the message lists the nearest names.

    Examples
    --------
    >>> from corridor.data import lookup
    >>> p = lookup("Meghri")
    >>> p.unit, p.country
    ('ARM', 'AM')
    >>> lookup("Naxçıvan").unit
    'NAX'
    """
    found = candidates(name, country)
    if found:
        if len({p.country for p in found}) > 1:  # places in other countries: say which was taken
            others = ", ".join(sorted({f"{p.name}, {p.country}" for p in found[1:] if p.country != found[0].country}))
            log.warning("%r matches places in %d countries; using %s (%s, %s), not %s. Add ', CC' to the name "
                        "(or pass country=) to choose.", name, len({p.country for p in found}), found[0].name,
                        found[0].country, found[0].kind, others)
        elif len({(p.country, p.name) for p in found}) > 1:
            log.info("%r matches %d places; using %s (%s). Pass country= to choose.",
                     name, len(found), found[0].name, found[0].country)
        return found[0]
    df, _, lower, _ = _index(str(datasets.region_dir()))
    close = difflib.get_close_matches(norm(name), list(lower), n=5, cutoff=0.6)
    names = sorted({str(df.at[lower[k][0], "name"]) for k in close})
    hint = f"; nearest matches: {', '.join(names)}" if names else ""
    where = f" in country {country}" if country else ""
    raise UnknownPlaceError(
        f"unknown place {name!r}{where}{hint}. Check the spelling, add ', CC' for the country, "
        "or give (lon, lat) coordinates"
    )


def resolve(waypoint: Waypoint) -> Place:
    """Turn a name, a ``(lon, lat)`` pair, a ``"lon,lat"`` string or a Place into a Place.

    Examples
    --------
    >>> from corridor.data import resolve
    >>> resolve("Meghri").unit
    'ARM'
    >>> p = resolve((46.25, 38.9))
    >>> p.name, p.kind, p.unit
    ('46.2500,38.9000', 'coordinate', 'ARM')
    >>> resolve("46.25, 38.9").unit
    'ARM'
    """

    if isinstance(waypoint, Place):
        return waypoint
    if isinstance(waypoint, str):
        m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*", waypoint)
        if not m:
            return lookup(waypoint)
        waypoint = (float(m.group(1)), float(m.group(2)))
    if isinstance(waypoint, Sequence) and len(waypoint) == 2:
        lon, lat = check_lonlat(*waypoint)
        return Place(name=f"{lon:.4f},{lat:.4f}", lon=lon, lat=lat, unit=unit_at(lon, lat),
                     kind="coordinate", source="user")
    raise InvalidInputError(f"waypoint {waypoint!r} is neither a place name nor a (lon, lat) pair; "
                            "give a name such as 'Meghri' or (lon, lat) in degrees")


def resolve_all(waypoints: Sequence[Waypoint]) -> list[Place]:
    """Resolve a waypoint chain; at least two waypoints, each in another place than the one before.

    A waypoint repeated right after itself (``Meghri, Meghri``, by name or by coordinates:
    :func:`corridor._geo.same_point`) is refused naming both, since no route can run between
    them; a route may come back to a place later (``Meghri, Agarak, Meghri``).

    Examples
    --------
    >>> from corridor.data import resolve_all
    >>> [p.unit for p in resolve_all(["Julfa, AZ", "Meghri"])]
    ['NAX', 'ARM']
    >>> resolve_all(["Meghri", "Meghri"])
    Traceback (most recent call last):
    ...
    corridor._errors.InvalidInputError: the start and end are the same place (Meghri at 46.2431, 38.9012); give two different places
    """
    if isinstance(waypoints, str) or len(waypoints) < 2:
        raise InvalidInputError(f"need at least two waypoints, got {waypoints!r}; "
                                "give a list such as ['Julfa, AZ', 'Meghri']")
    given = list(waypoints)
    places = [resolve(w) for w in given]
    for k in range(1, len(places)):
        a, b = places[k - 1], places[k]
        if not same_point(a.xy, b.xy):
            continue
        first, second = _as_given(given[k - 1]), _as_given(given[k])
        written = "" if first == second else f" ({first} and {second})"  # the same place written two ways
        where = f"{a.lon:.4f}, {a.lat:.4f}"
        same = f"{written} are the same place ({where if a.kind == 'coordinate' else f'{a.name} at {where}'})"
        if len(places) == 2:
            raise InvalidInputError(f"the start and end{same}; give two different places")
        raise InvalidInputError(f"waypoints {k} and {k + 1} of {len(places)}{same}; consecutive waypoints "
                                "must be different places, remove the repeated one")
    return places


def _as_given(waypoint: Waypoint) -> str:
    """A waypoint as the caller wrote it, for messages."""
    return repr(waypoint.name) if isinstance(waypoint, Place) else repr(waypoint)
