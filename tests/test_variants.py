"""Tests for corridor.variants: parameter ranges and the capped variant grid."""

from __future__ import annotations

import pytest

from corridor._errors import ParameterError
from corridor.variants import parse_range, variant_grid


@pytest.mark.parametrize(("spec", "values"), [("10:25:2.5", [10.0, 12.5, 15.0, 17.5, 20.0, 22.5, 25.0]),
                                              ("1,2.5", [1.0, 2.5]), ("0.1:0.3:0.1", [0.1, 0.2, 0.3]),
                                              (" 3 ", [3.0]), ("4:4:1", [4.0])])
def test_parse_range(spec: str, values: list[float]) -> None:
    assert parse_range(spec) == pytest.approx(values)


@pytest.mark.parametrize("spec", ["5:1:1", "a:b", "1:2", "1:2:0", "1:2:-1", "", ",", "nan", "1:inf:1", "0:1e9:1e-3"])
def test_bad_ranges(spec: str) -> None:
    with pytest.raises(ParameterError):
        parse_range(spec)


def test_grid_is_the_product_in_order() -> None:
    assert len(variant_grid({"a": "1:3:1", "b": [1, 2]})) == 6
    assert variant_grid({"a": "1,2", "b": "0:1:0.5"})[:4] == [{"a": 1.0, "b": 0.0}, {"a": 1.0, "b": 0.5},
                                                            {"a": 1.0, "b": 1.0}, {"a": 2.0, "b": 0.0}]
    assert variant_grid({}) == [{}]


def test_variant_grid_is_capped_before_it_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    from corridor import settings

    # two 100k-value ranges: 10^10 combinations used to end in a MemoryError
    with pytest.raises(ParameterError, match=r"10,000,000,000 combinations \(a=100000 x b=100000\).*"
                                             r"max_sweep_variants = 10,000"):
        variant_grid({"a": "0:99999:1", "b": "0:99999:1"})
    monkeypatch.setattr(settings, "max_sweep_variants", 6)
    assert len(variant_grid({"a": "1:3:1", "b": [1, 2]})) == 6
    with pytest.raises(ParameterError, match="7 combinations"):
        variant_grid({"a": "1:7:1"})
    monkeypatch.setattr(settings, "max_sweep_variants", "many")
    with pytest.raises(ParameterError, match="max_sweep_variants must be a whole number"):
        variant_grid({"a": "1,2"})


@pytest.mark.parametrize(("spec", "why"), [("10:5:1", "stop 5 is below start 10"), ("1:2:0", "step 0 is not positive"),
                                           ("1:2:-1", "step -1 is not positive"), ("1:2", "has 2 parts, not 3"),
                                           ("1:inf:1", "not a finite number"), ("0:1e9:1e-3", "gives 1,000,000,000,001 values"),
                                           ("0:1:1e-320", "gives more than 100,000 values"),
                                           ("-1e308:1e308:1", "gives more than 100,000 values")])
def test_bad_ranges_say_why(spec: str, why: str) -> None:
    with pytest.raises(ParameterError, match=why):
        parse_range(spec)
