"""Tests of corridor.scenarios: the built-in catalogue, TOML validation, Scenario.route."""

from __future__ import annotations

import pytest

from corridor import ScenarioError, scenarios

REQUIRED = {"meghri-rail", "aras-iran", "kars-dilucu-sadarak", "gyumri-kars", "hrazdan-ijevan-gazakh",
            "yeraskh-sadarak", "margara-kornidzor-road", "meghri-road"}


def test_builtin_catalogue_has_the_issue_scenarios():
    cat = {s.slug: s for s in scenarios.builtin()}
    assert set(cat) >= REQUIRED
    assert cat["meghri-road"].mode == "road" and cat["margara-kornidzor-road"].mode == "road"
    assert cat["meghri-rail"].stay_in == ("AZE", "ARM", "NAX")
    assert cat["aras-iran"].avoid["ARM"] == float("inf") and "IRN" in cat["aras-iran"].stay_in
    m = cat["meghri-rail"].waypoints
    order = [m.index(n) for n in ("Horadiz", "Aghband", "Meghri", "Ordubad", "Julfa, AZ", "Nakhchivan", "Sadarak")]
    assert order == sorted(order)
    for s in cat.values():
        assert s.published, s.slug
        assert all(p["source"].strip() for p in s.published)
        assert s.status and s.source_file.endswith(".toml")


def test_get_by_slug_or_name():
    assert scenarios.get("Meghri / TRIPP rail").slug == "meghri-rail"
    assert scenarios.get("MEGHRI-RAIL").slug == "meghri-rail"
    with pytest.raises(ScenarioError, match="unknown scenario 'x'"):
        scenarios.get("x")


def _write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


GOOD = '''
[[scenario]]
name = "A road"
mode = "road"
waypoints = ["Goris", [46.41, 39.21]]
avoid = { NAX = 3.0 }

[[scenario.published]]
figure = "length"
value = 60
unit = "km"
source = "made-up test figure"

[[scenario]]
name = "B rail"
slug = "b"
mode = "rail"
waypoints = ["Julfa, AZ", "Ordubad"]
stay_in = ["nax"]
max_grade = 0.02
'''


def test_load_several_scenarios(tmp_path):
    a, b = scenarios.load(_write(tmp_path, GOOD))
    assert a.slug == "a-road" and a.waypoints == ("Goris", (46.41, 39.21)) and a.avoid == {"NAX": 3.0}
    assert a.published[0]["value"] == 60
    assert b.stay_in == ("NAX",) and b.max_grade == 0.02


@pytest.mark.parametrize("text, match", [
    ('[scenario]\nmode = "rail"\nwaypoints = ["Goris", "Kapan"]\n', r"key 'name': is missing"),
    ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris"]\n', r"key 'waypoints': needs a list of at least two"),
    ('[scenario]\nname = "X"\nmode = "ship"\nwaypoints = ["Goris", "Kapan"]\n', r"key 'mode': 'ship'"),
    ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", "Atlantis"]\n', r"key 'waypoints\[1\]': unknown place 'Atlantis'"),
    ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", [1, 2, 3]]\n', r"key 'waypoints\[1\]'"),
    ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", "Kapan"]\nstay_in = ["MARS"]\n', r"key 'stay_in': unknown unit 'MARS'"),
    ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", "Kapan"]\nmax_grade = 12.5\n', r"key 'max_grade'"),
    ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", "Kapan"]\ncolour = "red"\n', r"key 'colour': unknown key"),
    ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", "Kapan"]\n[[scenario.published]]\nfigure = "a"\nvalue = 1\nunit = "km"\n',
     r"key 'published\[0\].source': is missing"),
    ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", "Kapan"]\nstay_in = ["ARM"]\navoid = ["ARM"]\n', r"also in stay_in"),
    ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = [[2.35, 48.86], [13.40, 52.52]]\n',
     r"key 'waypoints\[0\]': \[2.3500, 48.8600\] lies outside the region"),
    ('[scenario]\nname = "X"\nmode = "road"\nwaypoints = ["Goris", "Kapan", "Goris"]\n',
     r"key 'waypoints\[2\]': 'Goris' returns to waypoints\[0\]"),
    ('[scenario]\nname = "X"\nmode = "road"\nwaypoints = ["Goris", [46.41, 39.21], [46.41, 39.21]]\n',
     r"key 'waypoints\[2\]': .* repeats the previous waypoint"),
    ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", "Kapan"]\n[[scenario.published]]\nfigure = "a"\n'
     'value = 1\nunit = "km"\nsource = "s"\nmeasure = "length in Armenia"\n', r"key 'published\[0\].measure': must name"),
    ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", "Kapan"]\n[[scenario.published]]\nfigure = "a"\n'
     'value = 1\nunit = "km"\nsource = "s"\nmeasure = 3\n', r"key 'published\[0\].measure': must name"),
    *[('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", "Kapan"]\n[[scenario.published]]\nfigure = "a"\n'
       f'value = {v}\nunit = "km"\nsource = "s"\n', r"key 'published\[0\].value': must be a finite number >= 0")
      for v in ("-5", "nan", "-inf", "1" + "0" * 400)],
    ('[scenario\nname = "X"\n', r"not valid TOML"),
    ('title = "no scenario"\n', r"key 'scenario' is missing"),
])
def test_malformed_files_name_file_key_and_problem(tmp_path, text, match):
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioError, match=match) as exc:
        scenarios.load(p)
    assert str(p) in str(exc.value)


def test_published_measure_is_kept(tmp_path):
    text = ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", "Kapan"]\n[[scenario.published]]\n'
            'figure = "a"\nvalue = 1\nunit = "km"\nsource = "s"\nmeasure = "length_in_ARM"\n[[scenario.published]]\n'
            'figure = "b"\nvalue = 2\nunit = "km"\nsource = "s"\n')
    (s,) = scenarios.load(_write(tmp_path, text))
    assert s.published[0]["measure"] == "length_in_ARM" and "measure" not in s.published[1]


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        scenarios.load(tmp_path / "nope.toml")


def test_scenario_route_carries_meta():
    s = scenarios.get("yeraskh-sadarak")
    r = s.route()
    assert r.name == s.name and r.mode == "rail"
    for key in ("scenario", "published", "status", "description", "network_source", "dem_source"):
        assert key in r.meta
    assert r.meta["published"][0]["source"] == "report.az"
    assert r.meta["network_source"] is None and r.meta["modelled"] is True
    with pytest.raises(ScenarioError, match="not a Network"):
        s.route(network="osm")


def test_scenario_route_keeps_the_network_the_trace_used(monkeypatch):
    """A scenario routed with a network that its route could not join (the trace fell back to new build
    alone) records no network, as the trace does: the network given is not the network used."""
    s = scenarios.get("yeraskh-sadarak")
    alone = s.route().with_meta(join_fallback="new build alone: (test)")
    assert alone.meta["network_source"] is None
    seen = {}

    def fell_back(*args, **kw):
        seen["network"] = kw["network"]
        return alone

    monkeypatch.setattr(scenarios, "trace", fell_back)
    r = s.route(network="reference")
    assert seen["network"] is not None  # a network was given to the trace ...
    assert r.meta["network_source"] is None and r.meta["scenario"] == s.slug  # ... and its record is kept


def test_reference_network_routes_respect_unit_constraints():
    """On the shared reference network (the `corridor compare` default) the Aras
    route must not borrow the Meghri line through Armenia, and vice versa."""
    from corridor import scenarios as sc

    aras = sc.get("aras-iran").route(network="reference")
    by_unit = aras.segments.groupby("unit")["length_m"].sum()
    assert by_unit.get("ARM", 0.0) == 0.0
    assert by_unit.get("IRN", 0.0) > 50_000
    meghri = sc.get("meghri-rail").route(network="reference")
    assert meghri.segments.groupby("unit")["length_m"].sum().get("IRN", 0.0) == 0.0


# ----------------------------------------------------------------------------- gather (issue 15 §7)
_ONE = '[scenario]\nname = "{}"\nmode = "road"\nwaypoints = ["Goris", [46.41, 39.21]]\n'


def test_gather_takes_one_name_or_path_as_one_item(tmp_path):
    assert [s.slug for s in scenarios.gather("meghri-rail")] == ["meghri-rail"]
    p = _write(tmp_path, GOOD)
    from_path = scenarios.gather(p)
    assert [s.name for s in from_path] == [s.name for s in scenarios.load(p)]
    assert [s.name for s in scenarios.gather(str(p))] == [s.name for s in from_path]
    assert [s.slug for s in scenarios.gather(x for x in ("gyumri-kars", "meghri-rail"))] == [
        "gyumri-kars", "meghri-rail"]
    s = scenarios.get("gyumri-kars")
    assert scenarios.gather(s) == [s] and scenarios.gather([]) == []
    with pytest.raises(ScenarioError, match="unknown scenario 'nowhere'"):
        scenarios.gather("nowhere")
    with pytest.raises(ScenarioError, match="not found"):
        scenarios.gather(tmp_path / "missing.toml")


def test_gather_rejects_duplicate_names_naming_both_sources(tmp_path):
    a = _write(tmp_path, _ONE.format("Dup"), "a.toml")
    b = _write(tmp_path, _ONE.format("Dup"), "b.toml")
    with pytest.raises(ScenarioError, match=r"duplicate scenario name 'Dup': item 1 \(.*a\.toml\) and item 2 "
                                            r"\(.*b\.toml\)"):
        scenarios.gather([a, b])
    with pytest.raises(ScenarioError, match=r"'dup'"):  # same slug, different spelling of the name
        scenarios.gather([a, _write(tmp_path, _ONE.format("DUP!"), "c.toml")])
    with pytest.raises(ScenarioError, match=r"built-in 'gyumri-kars'.*built-in 'Gyumri - Kars rail'"):
        scenarios.gather(["gyumri-kars", "Gyumri - Kars rail"])
    assert len(scenarios.gather([a, a], unique=False)) == 2  # batch items may repeat



def test_scenario_route_passes_cost_params_to_the_design():
    from corridor.align import trace
    from corridor.costs import CostParams

    s = scenarios.get("meghri-road")
    p = CostParams(max_cut_depth_m=3.0, max_fill_height_m=3.0)
    r = s.route(params=p)
    direct = trace(list(s.waypoints), mode=s.mode, stay_in=list(s.stay_in) or None, max_grade=s.max_grade,
                   name=s.name, params=p)
    assert r.structure_spans() == direct.structure_spans()
    assert r.structure_spans() != s.route().structure_spans()


# ----------------------------------------------------------------------------- declarative schema (issue 17 §5)
_HEAD = '[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", "Kapan"]\n'


@pytest.mark.parametrize("text, match", [
    (_HEAD + 'stayin = ["ARM"]\n', r"key 'stayin': unknown key; did you mean 'stay_in'\?$"),
    (_HEAD + '[[scenario.published]]\nfigure = "a"\nvalue = 1\nunit = "km"\nsorce = "x"\n',
     r"key 'published\[0\]\.sorce': unknown key; did you mean 'source'\?$"),
    (_HEAD + 'zzzzzz = 1\n', r"key 'zzzzzz': unknown key; allowed keys are avoid, description, max_grade"),
    (_HEAD + 'avoid = { ARM = -1 }\n', r"key 'avoid\.ARM': must be a penalty factor > 0, got -1"),
    (_HEAD + 'avoid = { MARS = 2 }\n', r"key 'avoid\.MARS': unknown unit; use "),
    (_HEAD + 'avoid = 5\n', r"key 'avoid': must be a list of unit codes, got 5"),
    (_HEAD + 'published = [3]\n', r"key 'published\[0\]': must be a table, got 3"),
    (_HEAD + 'reference_status = "gone"\n', r"key 'reference_status': 'gone' is not one of active"),
    ('[scenario]\nname = "X"\nmode = "rail"\nwaypoints = ["Goris", { a = 1 }]\n',
     r"key 'waypoints\[1\]': \{'a': 1\} is neither a place name nor a \[lon, lat\] pair"),
])
def test_schema_messages_name_key_path_and_suggest(tmp_path, text, match):
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioError, match=match) as exc:
        scenarios.load(p)
    assert str(p) in str(exc.value) and type(exc.value) is ScenarioError


def test_schema_keeps_values_as_written(tmp_path):
    p = _write(tmp_path, _HEAD.replace('"Kapan"', "[46.41, 39.21]") + 'avoid = { arm = 2.5 }\nstay_in = "nax"\n'
               '[[scenario.published]]\nfigure = "a"\nvalue = 60\nunit = "km"\nsource = "s"\n')
    s = scenarios.load(p)[0]
    assert s.waypoints == ("Goris", (46.41, 39.21)) and s.avoid == {"ARM": 2.5} and s.stay_in == ("NAX",)
    assert type(s.published[0]["value"]) is int  # 60 stays 60 (reports print it as written)


def test_gather_calls_a_bare_folder_name_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").mkdir()
    with pytest.raises(ScenarioError, match="'examples' is a folder"):
        scenarios.gather("examples")
    (tmp_path / "meghri-rail").mkdir()  # a built-in scenario's slug stays the built-in scenario
    assert [s.slug for s in scenarios.gather("meghri-rail")] == ["meghri-rail"]


_FIGURE = '[[scenario.published]]\nfigure = "a"\nvalue = 1\nunit = "km"\nsource = "s"\n'


@pytest.mark.parametrize("text, key, char", [
    (_HEAD + _FIGURE.replace('"km"', '"k\\nm"'), r"published\[0\]\.unit", r"'\\n'"),
    (_HEAD + _FIGURE.replace('"a"', '"a\\tb"'), r"published\[0\]\.figure", r"'\\t'"),
    (_HEAD + _FIGURE.replace('"s"', '"s\\u0085x"'), r"published\[0\]\.source", r"'\\x85'"),
    (_HEAD.replace('"X"', '"X\\nY"'), "name", r"'\\n'"),
    (_HEAD + 'status = "open\\u001b[31m"\n', "status", r"'\\x1b'"),
    (_HEAD + 'description = "two\\rlines"\n', "description", r"'\\r'"),
], ids=["unit", "figure", "source", "name", "status", "description"])
def test_control_characters_in_text_are_refused_with_the_key(tmp_path, text, key, char):
    """A name, status, figure, unit or source is one line: a newline, tab or other C0/C1 control character is
    refused, naming the key; a description may hold newlines and tabs only."""
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioError, match=rf"key '{key}': must be text with no control character.*got {char}"):
        scenarios.load(p)


def test_description_keeps_newlines_and_tabs(tmp_path):
    (s,) = scenarios.load(_write(tmp_path, _HEAD + 'description = """two\n\tlines"""\n' + _FIGURE))
    assert s.description == "two\n\tlines" and s.published[0]["unit"] == "km"
