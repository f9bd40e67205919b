"""corridor.cli.lists: ``corridor list`` (scenarios, places, cost parameters), its tables and --json.

Fixtures are pytest's own (capsys, monkeypatch); ``one_error_line`` comes from tests/_cli.py.
"""

import json

import pytest
from _cli import one_error_line

from corridor import scenarios
from corridor.cli import main


def test_list(capsys):
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {s["slug"] for s in data["scenarios"]} == {s.slug for s in scenarios.builtin()}
    kinds = {p["kind"] for p in data["places"]}
    assert {"border_crossing", "rail_station", "city"} <= kinds
    assert main(["list", "places", "--all-places", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["places"]) > 2 * len(data["places"])  # villages, towns
    assert main(["list", "params", "--json"]) == 0
    params = json.loads(capsys.readouterr().out)["params"]
    assert all(p["source"] for p in params)
    assert main(["list", "scenarios"]) == 0
    assert "meghri" in capsys.readouterr().out
    assert main(["list", "planets"]) == 2
    assert "'planets'" in one_error_line(capsys)


@pytest.mark.parametrize("what", ["all", "places"])
def test_default_place_list_holds_every_place_a_builtin_scenario_names(what, capsys, monkeypatch):
    """Every waypoint a built-in scenario names (as `corridor list scenarios` shows them) is in the default
    place listing, whatever its kind: the place the name resolves to when routing, with its coordinates."""
    from corridor.data.places import resolve

    assert main(["list", what, "--json"]) == 0
    listed = {(p["name"], p["lon"], p["lat"]) for p in _strict_json(capsys.readouterr().out)["places"]}
    named = {w for s in scenarios.builtin() for w in s.waypoints if isinstance(w, str)}
    assert len(named) > 20  # the property is checked over the whole catalogue
    missing = []
    for w in sorted(named):
        p = resolve(w)
        if p.kind != "coordinate" and (p.name, p.lon, p.lat) not in listed:
            missing.append(f"{w!r} ({p.name}, {p.kind})")
    assert not missing, f"places named by built-in scenarios missing from `corridor list {what}`: {missing}"
    # and the table shows them too
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["list", "places"]) == 0
    text = capsys.readouterr().out
    assert all(f"│ {resolve(w).name} " in text for w in named if resolve(w).kind != "coordinate")


@pytest.mark.parametrize("columns", [80, 100])
def test_list_never_cuts_a_slug(columns, capsys, monkeypatch):
    """Slugs are what users type: in a narrow terminal the slug column keeps every slug whole, on one line,
    and the other columns wrap; the table still fits the terminal."""
    from rich.cells import cell_len

    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["list", "scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(cell_len(ln) for ln in lines) <= columns
    slug_cells = [ln.split("│")[1].strip() for ln in lines if ln.startswith("│")]
    assert [c for c in slug_cells if c] == [s.slug for s in scenarios.builtin()]
    assert len(slug_cells) > len(scenarios.builtin())  # the other columns did wrap onto more lines


def _strict_json(text):
    """``text`` parsed as standard JSON: NaN and Infinity are refused, not read."""

    def refuse(name):
        raise AssertionError(f"{name} in the JSON output")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("args", [["list", "places", "--all-places", "--json"], ["list", "--all-places", "--json"]])
def test_list_json_writes_missing_values_as_null(args, capsys, monkeypatch):
    """A place without a country unit (Neft Daşları, offshore) is null in the JSON, not a traceback; so is any
    other missing value of a place. The table shows the missing unit as a dash."""
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    places = {p["name"]: p for p in _strict_json(captured.out)["places"]}
    assert places["Neft Daşları"]["unit"] is None and places["Neft Daşları"]["country"] == "AZ"
    assert places["Yerevan"]["unit"] == "ARM"
    import numpy as np

    import corridor.cli.lists as lists

    real = lists.places_table()
    gaps = real.copy()
    gaps.loc[gaps["name"] == "Yerevan", ["country", "lon", "lat"]] = [np.nan, np.nan, np.inf]
    monkeypatch.setattr(lists, "places_table", lambda: gaps)
    assert main(args) == 0
    yerevan = next(p for p in _strict_json(capsys.readouterr().out)["places"] if p["name"] == "Yerevan")
    assert yerevan == {"name": "Yerevan", "kind": "city", "unit": "ARM", "country": None, "lon": None, "lat": None}
    monkeypatch.setattr(lists, "places_table", lambda: real)
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["list", "places", "--all-places"]) == 0
    (row,) = [ln for ln in capsys.readouterr().out.splitlines() if "Neft Daşları" in ln]
    assert row.split("│")[3].strip() == "–"
