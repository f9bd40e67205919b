"""Unit-cost parameters: defaults with sources, overrides, TOML, validation."""

from __future__ import annotations

import math

import pytest

from corridor import CorridorError, DataFileError, ParameterError
from corridor.costs import BUILD_CATEGORIES, STRUCTURES, TERRAIN_CLASSES, CostParams, cost_band


def test_every_default_has_unit_and_source():
    rows = CostParams().describe()
    assert len(rows) == len(CostParams.keys()) > 20
    for r in rows:
        assert r["unit"] and len(r["source"]) > 10, r
    # published figures are cited, unsourced ones are labelled as assumptions
    src = {r["key"]: r["source"] for r in rows}
    assert "corridors.md" in src["rail_tunnel_musd_per_km"]
    assert "1.3" in src["road_new_musd_per_km"]
    assert "assumption" in src["rail_bridge_musd_per_km"]


def test_bands_are_ordered_and_in_published_ranges():
    p = CostParams()
    for key in CostParams.cost_keys():
        lo, mid, hi = getattr(p, key)
        assert 0 <= lo <= mid <= hi, key
    assert p.rail_tunnel_musd_per_km == (25.0, 40.0, 60.0)  # $25-60 M/km TBM
    assert p.road_new_musd_per_km[0] == 1.3 and p.road_new_musd_per_km[2] == 1.9
    assert p.road_terrain_mountainous[2] == 5.0  # "up to ~5x flat"


def test_cost_band_ordered_for_every_bucket():
    p = CostParams()
    for mode in ("rail", "road"):
        for b in BUILD_CATEGORIES:
            for t in TERRAIN_CLASSES:
                for s in STRUCTURES:
                    lo, mid, hi = cost_band({(mode, b, t, s): 7.0}, params=p)
                    assert lo <= mid <= hi


def test_cost_band_arithmetic():
    p = CostParams()
    q = {("rail", "new", "flat", "none"): 10.0, ("rail", "new", "rolling", "tunnel"): 2.0,
         ("rail", "existing_active", "flat", "none"): 100.0}
    lo, mid, hi = cost_band(q, params=p)
    assert mid == pytest.approx(10 * 5.0 * 0.8 + 2 * 40.0)  # tunnels ignore the terrain factor
    assert lo == pytest.approx(10 * 3.9 * 0.7 + 2 * 25.0)
    assert hi == pytest.approx(10 * 11.6 * 1.0 + 2 * 60.0)
    # rehabilitation of disused line costs less than new build on the same terrain
    rehab = cost_band({("rail", "existing_disused", "mountainous", "none"): 10.0}, params=p)
    new = cost_band({("rail", "new", "mountainous", "none"): 10.0}, params=p)
    assert all(r < n for r, n in zip(rehab, new, strict=True))


def test_three_part_keys_need_mode():
    with pytest.raises(ParameterError, match="mode"):
        cost_band({("new", "flat", "none"): 1.0})


def test_bad_bucket_names():
    with pytest.raises(ParameterError, match="'hilly'"):
        cost_band({("rail", "new", "hilly", "none"): 1.0})
    with pytest.raises(ParameterError, match="'viaduct'"):
        cost_band({("rail", "new", "flat", "viaduct"): 1.0})
    with pytest.raises(ParameterError, match="-1"):
        cost_band({("rail", "new", "flat", "none"): -1.0})


def test_replace_and_scaled():
    p = CostParams().replace(rail_new_musd_per_km=[4, 6, 9], rail_border_dwell_h=0)
    assert p.rail_new_musd_per_km == (4.0, 6.0, 9.0) and p.rail_border_dwell_h == 0.0
    s = p.scaled("rail_new_musd_per_km", 0.5)
    assert s.rail_new_musd_per_km == (2.0, 3.0, 4.5)
    assert p.scaled("rail_border_dwell_h", 2).rail_border_dwell_h == 0.0
    with pytest.raises(ParameterError, match=r"'rail_nwe_musd_per_km'.*rail_new_musd_per_km"):
        CostParams().replace(rail_nwe_musd_per_km=(1, 2, 3))


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("rail_new_musd_per_km", (1, 2), "[low, central, high]"),
    ("rail_new_musd_per_km", (3, 2, 1), "ordered"),
    ("rail_new_musd_per_km", (-1, 2, 3), "-1"),
    ("rail_new_musd_per_km", (math.nan, 2, 3), "nan"),
    ("rail_tunnel_musd_per_km", "cheap", "'cheap'"),
    ("rail_speed_new_kmh", 0, "greater than zero"),
    ("rail_speed_new_kmh", True, "True"),
    ("gauge_break_dwell_h", "3h", "'3h'"),
    ("road_speed_kmh", {"primary": -3}, "road_speed_kmh.primary"),
    ("rail_grade_speed", [(0.01, 2.0)], "(0, 1]"),
    ("rail_grade_speed", "steep", "pairs"),
])
def test_validation_names_the_key(key, value, fragment):
    with pytest.raises(ParameterError) as ei:
        CostParams(**{key: value})
    msg = str(ei.value)
    assert key.split(".")[0] in msg and fragment in msg
    assert isinstance(ei.value, ValueError) and isinstance(ei.value, CorridorError)


def test_terrain_thresholds_consistent():
    with pytest.raises(ParameterError, match="flat_max_grade"):
        CostParams(flat_max_grade=0.1, mountainous_min_grade=0.05)


def test_from_toml(tmp_path):
    f = tmp_path / "costs.toml"
    f.write_text("[costs]\nrail_new_musd_per_km = [4.0, 6.0, 9.0]\nrail_border_dwell_h = 1.5\n"
                 "[costs.road_speed_kmh]\nprimary = 75\n", encoding="utf-8")
    p = CostParams.from_toml(f)
    assert p.rail_new_musd_per_km == (4.0, 6.0, 9.0)
    assert p.rail_border_dwell_h == 1.5
    assert p.road_speed_kmh["primary"] == 75.0 and p.road_speed_kmh["motorway"] == 90.0  # merged
    # keys may also sit at top level
    g = tmp_path / "flat.toml"
    g.write_text("rail_tunnel_musd_per_km = [30, 50, 80]\n", encoding="utf-8")
    assert CostParams.from_toml(g).rail_tunnel_musd_per_km == (30.0, 50.0, 80.0)


def test_from_toml_wrong_type_names_key_and_file(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[costs]\nrail_tunnel_musd_per_km = "expensive"\n', encoding="utf-8")
    with pytest.raises(ParameterError) as ei:
        CostParams.from_toml(f)
    assert "rail_tunnel_musd_per_km" in str(ei.value) and "bad.toml" in str(ei.value)


def test_from_toml_errors(tmp_path):
    with pytest.raises(DataFileError, match=r"nope\.toml"):
        CostParams.from_toml(tmp_path / "nope.toml")
    f = tmp_path / "syntax.toml"
    f.write_text("rail_new_musd_per_km = [1, 2\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="not valid TOML"):
        CostParams.from_toml(f)
    g = tmp_path / "unknown.toml"
    g.write_text("[costs]\ntunnel = 5\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="'tunnel'"):
        CostParams.from_toml(g)
    h = tmp_path / "extra.toml"
    h.write_text("[costs]\nrail_border_dwell_h = 1\n[other]\nx = 1\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="'other'"):
        CostParams.from_toml(h)


def test_round_trip_dict():
    p = CostParams().replace(rail_grade_speed=[(0.02, 0.5)])
    assert CostParams.from_dict(p.to_dict()) == p


def test_nested_table_keys_are_checked_with_a_hint(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[costs.road_speed_kmh]\nprimry = 75\n")  # was ignored silently
    with pytest.raises(ParameterError, match=r"unknown key 'primry' in table 'road_speed_kmh'.*c\.toml.*"
                                             r"did you mean 'primary'"):
        CostParams.from_toml(p)
    with pytest.raises(ParameterError, match="did you mean 'primary'"):
        CostParams.from_dict({"road_speed_kmh": {"primary_link": 50}})  # links take their base class
    with pytest.raises(ParameterError, match=r"unknown key 'zzz'.*use motorway"):
        CostParams(road_speed_kmh={"zzz": 10})
    p.write_text("[costs.road_speed_kmh]\nprimary = 75\ntrack = 15\n")
    speeds = CostParams.from_toml(p).road_speed_kmh
    assert speeds["primary"] == 75 and speeds["track"] == 15 and speeds["motorway"] == 90


# ----------------------------------------------------------------------------- declarative schema (issue 17 §5)
@pytest.mark.parametrize("key", CostParams.keys())
def test_every_parameter_is_validated_by_the_schema(key):
    """The schema is derived from the fields: each one (including any added later) rejects
    text with a ParameterError naming it, and never lets pydantic's own error out."""
    with pytest.raises(ParameterError, match=rf"'{key}(\[0\])?'") as ei:
        CostParams.from_dict({key: "not a number"})
    assert type(ei.value).__module__ == "corridor._errors"


def test_unknown_keys_at_every_level_name_the_file_path_and_suggest(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[costs]\nrail_tunel_musd_per_km = [1, 2, 3]\n")
    with pytest.raises(ParameterError, match=r"unknown cost parameter 'rail_tunel_musd_per_km' \(in '.*c\.toml', "
                                             r"key costs\.rail_tunel_musd_per_km\); did you mean "
                                             r"'rail_tunnel_musd_per_km'\?"):
        CostParams.from_toml(p)
    p.write_text("[costs.road_speed_kmh]\nprimry = 75\n")
    with pytest.raises(ParameterError, match=r"key costs\.road_speed_kmh\.primry\)"):
        CostParams.from_toml(p)
    p.write_text("rail_grade_speed = [[0.01, 0.5], [0.02, 1.5]]\n")  # keys at top level: the path is the key
    with pytest.raises(ParameterError, match=r"'rail_grade_speed\[1\]\[1\]' must be a speed factor in \(0, 1\], "
                                             r"got 1\.5 \(in '.*c\.toml'\)$"):
        CostParams.from_toml(p)
    p.write_text("[costs]\nrail_new_musd_per_km = [1, 2]\n")
    with pytest.raises(ParameterError, match=r"must be a list \[low, central, high\] of numbers, got \[1, 2\]"):
        CostParams.from_toml(p)


def test_table_parameter_shape_errors():
    with pytest.raises(ParameterError, match=r"'road_speed_kmh' must be a table of class = km/h, got 5"):
        CostParams.from_dict({"road_speed_kmh": 5})
    with pytest.raises(ParameterError, match=r"'road_speed_kmh' must be a table of class = km/h, got \{\}"):
        CostParams(road_speed_kmh={})
    with pytest.raises(ParameterError, match=r"'rail_grade_speed\[0\]' must be a \[grade, speed factor\] pair"):
        CostParams(rail_grade_speed=[(0.01,)])
    assert CostParams(rail_grade_speed=[(0.03, 0.5), (0.01, 0.9)]).rail_grade_speed == ((0.01, 0.9), (0.03, 0.5))


@pytest.mark.parametrize("mode", ["rail", "road"])
@pytest.mark.parametrize("kind", ["tunnel", "bridge"])
def test_a_structure_cheaper_than_open_line_prices_but_is_refused_by_the_design(mode, kind):
    # pricing with such rates is fine (sensitivity variants scale one rate), a design with them is not:
    # it would build the structure everywhere
    import numpy as np

    from corridor.align.vertical import design_grade_line

    line = getattr(CostParams(), f"{mode}_new_musd_per_km")
    p = CostParams().replace(**{f"{mode}_{kind}_musd_per_km": (line[0] / 2, line[1] / 2, line[2])})
    assert cost_band({(mode, "new", "flat", kind): 1.0}, params=p)[1] == pytest.approx(line[1] / 2)
    d = np.arange(0.0, 2001.0, 100.0)
    with pytest.raises(ParameterError, match=f"{mode}_{kind}_musd_per_km .* must not be below {mode}_new_musd_per_km"):
        design_grade_line(d, np.full(d.size, 100.0), mode=mode, max_grade=0.0125, params=p)


def test_designed_open_line_takes_no_terrain_factor():
    from corridor.costs import DESIGNED

    p = CostParams()
    assert cost_band({("rail", "new", DESIGNED, "none"): 10.0}, params=p) == pytest.approx(
        tuple(10.0 * x for x in p.rail_new_musd_per_km))
    hilly = cost_band({("road", "new", "mountainous", "none"): 10.0}, params=p)
    assert hilly == pytest.approx(tuple(10.0 * a * b for a, b in zip(p.road_new_musd_per_km,
                                                                      p.road_terrain_mountainous, strict=True)))
    assert cost_band({("road", "new", DESIGNED, "none"): 10.0}, params=p)[1] < hilly[1]


def test_design_fields_name_every_parameter_the_alignment_stage_reads():
    """DESIGN_FIELDS is the list the stored-design warning checks: every field it names exists, and
    every CostParams field that corridor/align reads is in it (a new one must be added there)."""
    import dataclasses
    import re
    from pathlib import Path

    import corridor
    from corridor.costs import DESIGN_FIELDS, design_overrides

    names = {f.name for f in dataclasses.fields(CostParams)}
    assert set(DESIGN_FIELDS) <= names
    src = "\n".join(p.read_text(encoding="utf-8") for p in (Path(corridor.__file__).parent / "align").glob("*.py"))
    read = {n for n in names if re.search(rf"\b{n}\b", src)}
    read |= {f"{m}_{k}" for m in ("rail", "road") for k in re.findall(r'f"\{[a-z_.]*mode\}_([a-z_0-9]+)"', src)
             if f"{m}_{k}" in names}
    assert read and read <= set(DESIGN_FIELDS), sorted(read - set(DESIGN_FIELDS))
    assert design_overrides(CostParams()) == []
    assert design_overrides(CostParams().replace(cut_side_slope=1.5, gauge_break_dwell_h=1.0)) == ["cut_side_slope"]
