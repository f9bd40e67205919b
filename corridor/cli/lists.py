"""``corridor list``: the built-in scenarios, the places of the gazetteer, the cost parameters.

The default place listing holds the places a user most often types: border
crossings, checkpoints, rail stations, bridges and cities (:data:`LISTED_KINDS`)
and every place a built-in scenario names as a waypoint (:func:`scenario_places`),
whatever its kind, so each name ``corridor list scenarios`` shows is in it.
``--all-places`` lists the whole gazetteer.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from corridor import scenarios as sc
from corridor._errors import InvalidInputError
from corridor.cli._json import JsonFlag, echo_json, json_safe
from corridor.cli._render import safe
from corridor.costs import CostParams
from corridor.data.places import resolve
from corridor.data.places import table as places_table

__all__ = ["LISTED_KINDS", "list_data", "register", "scenario_places"]

#: Place kinds of the default listing (besides the places the built-in scenarios name).
LISTED_KINDS = ("border_crossing", "checkpoint", "rail_station", "bridge", "city")


def scenario_places() -> set[tuple[str, float, float]]:
    """``(name, lon, lat)`` of every gazetteer place a built-in scenario names as a waypoint.

    Each name is resolved as routing resolves it (:func:`corridor.data.places.resolve`),
    so ``"Julfa, AZ"`` and ``"Julfa, IR"`` are two places; waypoints given as
    coordinates name no place.

    Examples
    --------
    >>> places = scenario_places()
    >>> len([name for name, lon, lat in places if name == "Julfa"])  # Julfa, AZ and Julfa, IR
    2
    """
    named: set[tuple[str, float, float]] = set()
    for s in sc.builtin():
        for w in s.waypoints:
            if isinstance(w, str):
                p = resolve(w)
                if p.kind != "coordinate":
                    named.add((p.name, p.lon, p.lat))
    return named


def _places(all_places: bool) -> list[dict[str, Any]]:
    t = places_table()
    if not all_places:
        named = scenario_places()
        keep = [k in LISTED_KINDS or (str(n), float(x), float(y)) in named
                for k, n, x, y in zip(t["kind"], t["name"], t["lon"], t["lat"], strict=True)]
        t = t[keep]
    return [{"name": str(r.name), "kind": str(r.kind), "unit": json_safe(r.unit), "country": json_safe(r.country),
             "lon": float(r.lon), "lat": float(r.lat)} for r in t.itertuples()]


def list_data(what: str = "all", *, all_places: bool = False) -> dict[str, Any]:
    """What ``corridor list WHAT`` shows, as plain data (the ``--json`` output).

    Parameters
    ----------
    what : {"all", "scenarios", "places", "params"}
        ``all`` is scenarios and places.
    all_places : bool
        Every gazetteer place, not only :data:`LISTED_KINDS` and the places the
        built-in scenarios name.

    Returns
    -------
    dict
        ``scenarios``, ``places`` and/or ``params``: lists of dicts.

    Raises
    ------
    InvalidInputError
        ``what`` is none of the four.
    """
    choices = ("all", "scenarios", "places", "params")
    if what not in choices:
        raise InvalidInputError(f"unknown list {what!r}; use one of {', '.join(choices)}")
    data: dict[str, Any] = {}
    if what in ("all", "scenarios"):
        data["scenarios"] = [{"slug": s.slug, "name": s.name, "mode": s.mode, "status": s.status,
                              "waypoints": [w if isinstance(w, str) else list(w) for w in s.waypoints],
                              "source_file": str(s.source_file)} for s in sc.builtin()]
    if what in ("all", "places"):
        data["places"] = _places(all_places)
    if what == "params":
        data["params"] = [{**d, "value": list(d["value"]) if isinstance(d["value"], tuple) else d["value"]}
                          for d in CostParams().describe()]
    return data


def print_lists(data: dict[str, Any], console: Any) -> None:
    """Render :func:`list_data` as rich tables."""
    from rich.table import Table
    from rich.text import Text

    if "scenarios" in data:
        t = Table(title="Built-in scenarios (`corridor compare SLUG`)")
        # slugs are what users type: never cut or wrapped, however narrow the terminal; the other columns wrap
        slug_width = max((Text.from_markup(safe(s["slug"])).cell_len for s in data["scenarios"]), default=4)
        t.add_column("slug", no_wrap=True, min_width=slug_width)
        for col in ("name", "mode", "status", "waypoints"):
            t.add_column(col)
        for s in data["scenarios"]:
            wps = " – ".join(safe(w if isinstance(w, str) else f"{w[0]},{w[1]}") for w in s["waypoints"])
            t.add_row(safe(s["slug"]), safe(s["name"]), s["mode"], safe(s["status"]), wps)
        console.print(t)
    if "places" in data:
        t = Table(title=f"Places ({len(data['places'])})")
        for col in ("name", "kind", "unit", "lon", "lat"):
            t.add_column(col, justify="right" if col in ("lon", "lat") else "left")
        for p in data["places"]:
            t.add_row(safe(p["name"]), p["kind"], str(p["unit"] or "–"), f"{p['lon']:.4f}", f"{p['lat']:.4f}")
        console.print(t)
    if "params" in data:
        t = Table(title="Cost and speed parameters (override with --costs FILE.toml)")
        for col in ("key", "value", "unit", "source"):
            t.add_column(col, overflow="fold")
        for p in data["params"]:
            t.add_row(p["key"], safe(p["value"]), p["unit"], safe(p["source"]))
        console.print(t)


def register(app: Any) -> None:
    """Attach the ``list`` command to the root app."""

    @app.command("list")
    def list_(
        what: Annotated[str, typer.Argument(help="scenarios, places, params or all.")] = "all",
        all_places: Annotated[bool, typer.Option(
            "--all-places", help="List every gazetteer place, not only crossings, stations, bridges, cities and "
            "the places the built-in scenarios name.")] = False,
        json_out: JsonFlag = False,
    ) -> None:
        """List the built-in scenarios, the places of the gazetteer, or the cost parameters.

        Places are the border crossings, stations, bridges and cities, and every
        place a built-in scenario names; --all-places lists the whole gazetteer.

        [bold]Examples[/bold]

          corridor list
          corridor list scenarios --json
          corridor list places --all-places
          corridor list params
        """
        from rich.console import Console

        data = list_data(what, all_places=all_places)
        if json_out:
            echo_json(data)
            return
        print_lists(data, Console(highlight=False))
