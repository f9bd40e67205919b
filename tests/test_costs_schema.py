"""corridor._costs_schema: every CostParams field validated by the type its kind names."""

from __future__ import annotations

import pytest

from corridor._costs_schema import check_params
from corridor._errors import ParameterError
from corridor.costs import CostParams


def test_values_come_back_typed_and_a_subset_is_enough():
    out = check_params(CostParams, {"rail_new_musd_per_km": [4, 6, 9], "vertical_refine_rounds": 2})
    assert out == {"rail_new_musd_per_km": (4.0, 6.0, 9.0), "vertical_refine_rounds": 2}


@pytest.mark.parametrize(("data", "message"), [
    ({"rail_new_musd_per_km": [9, 6, 4]}, "ordered low <= central <= high"),
    ({"vertical_refine_rounds": 1.5}, "whole number"),
    ({"vertical_refine_penalties": [1.0]}, "greater than 1"),
    ({"vertical_refine_penalties": []}, "non-empty"),
    ({"max_cut_depth_m": -1.0}, "max_cut_depth_m"),
    ({"rail_new_musd_per_kmh": [1, 2, 3]}, "did you mean 'rail_new_musd_per_km'"),
])
def test_bad_values_name_the_key(data, message):
    with pytest.raises(ParameterError, match=message):
        check_params(CostParams, data)


def test_a_file_location_and_table_path_go_in_the_message():
    with pytest.raises(ParameterError, match=r"road_speed_kmh\.primry"):
        check_params(CostParams, {"road_speed_kmh": {"primry": 80}}, " (in 'costs.toml')", prefix=("costs",))


@pytest.mark.parametrize("name", ["max_cut_depth_m", "max_fill_height_m", "rail_formation_width_cut_m",
                                  "rail_formation_width_fill_m", "road_formation_width_2lane_m", "cut_side_slope",
                                  "fill_side_slope"])
def test_a_zero_depth_width_or_side_slope_is_refused_up_front(name):
    # the vertical design divides by them or cannot switch to a structure: refused when read, not when designing
    with pytest.raises(ParameterError, match=f"'{name}' must be a finite number greater than zero, got 0"):
        check_params(CostParams, {name: 0.0})
    with pytest.raises(ParameterError, match=name):
        CostParams().replace(**{name: 0.0})
    assert check_params(CostParams, {name: 0.5}) == {name: 0.5}


@pytest.mark.parametrize("value", [0.0, 1.0, 12.5, -0.01])
@pytest.mark.parametrize("name", ["rail_ruling_grade", "road_ruling_grade"])
def test_a_ruling_grade_is_a_ratio_between_0_and_1(name, value):
    with pytest.raises(ParameterError, match=f"'{name}' must be a ratio between 0 and 1"):
        check_params(CostParams, {name: value})


def test_every_number_parameter_says_which_range_it_takes():
    import dataclasses

    numbers = [f for f in dataclasses.fields(CostParams) if f.metadata.get("kind") == "number"]
    assert {f.name for f in numbers if f.metadata.get("ratio")} == {"rail_ruling_grade", "road_ruling_grade"}
    for f in numbers:  # every default passes its own check
        assert check_params(CostParams, {f.name: getattr(CostParams(), f.name)})
