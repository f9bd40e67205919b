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
