"""corridor._labels: every column of a comparison row has a label and unit from the one table."""

from __future__ import annotations

import re

import pytest

from corridor._labels import (
    LABELS,
    band_label,
    band_of,
    display_band,
    format_metric,
    label,
    label_with_unit,
    published_unit,
    published_value,
    unit_of,
)
from corridor.evaluation._rows import ROW_COLUMNS
from corridor.evaluation.uncertainty_bands import BAND_COLUMNS, BAND_FIGURES


@pytest.mark.parametrize("col", ROW_COLUMNS)
def test_every_row_column_has_a_label(col):
    """No column of RouteMetrics.as_row() falls back to its machine name turned into words:
    each is in the table or follows one of its patterns (cost part, DEM band)."""
    assert col in LABELS or band_of(col) is not None or re.fullmatch(r"cost_\w+_musd", col), col


@pytest.mark.parametrize("col", [c for c in BAND_COLUMNS if c.endswith(("_p10", "_p90"))])
def test_band_columns_take_their_figures_label_and_unit(col):
    figure, pct = col.rsplit("_dem_", 1)
    assert unit_of(col) == unit_of(figure) != ""
    assert f"DEM {pct.upper()}" in label(col)
    assert label_with_unit(col).endswith(f"({unit_of(figure)})")


def test_band_labels_read_as_words():
    assert label_with_unit("tunnel_km_dem_p10") == "Tunnels, DEM P10 (km)"
    assert label_with_unit("cost_central_musd_dem_p90") == "Central construction cost, DEM P90 (million USD)"
    assert label("dem_samples") == "DEM realisations"
    assert [band_label(f) for f in BAND_FIGURES] == ["Tunnels, DEM P10–P90", "Bridges, DEM P10–P90",
                                                     "Central construction cost, DEM P10–P90"]


def test_band_pair_keeps_a_zero_end():
    assert display_band("tunnel_km", 0.0, 3.64) == "0.0–3.6 km"
    assert display_band("max_grade", 0.01, 0.02, "rail") == "10.0–20.0 ‰"
    assert display_band("tunnel_km", float("nan"), 1.0) == "n/a–1.0 km"


def test_published_columns_are_not_band_columns():
    assert label("published_cost_dem_p10") == "Published: cost dem p10"


def test_the_score_label_reads_the_way_the_ranking_does():
    """The ranking gives 1 to the best route (rank 1 has the highest score); the label said "lower is
    better"."""
    import pandas as pd

    from corridor._labels import label
    from corridor.evaluation.ranking import score

    t = pd.DataFrame({"name": ["short", "long"], "length_km": [10.0, 20.0], "cost_central_musd": [1.0, 2.0]})
    s = score(t, {"length_km": 1.0, "cost_central_musd": 1.0})
    assert s.iloc[0] > s.iloc[1]  # the shorter, cheaper route scores higher
    assert "1 best" in label("score") and "lower" not in label("score")


def test_grade_units_of_a_table_of_both_modes():
    from corridor._labels import label_with_unit

    assert label_with_unit("max_grade", "rail").endswith("(‰)")
    assert label_with_unit("max_grade", "road").endswith("(%)")
    assert label_with_unit("max_grade", "mixed").endswith("(‰ rail, % road)")


def test_published_costs_in_every_figure_unit_name_their_currency():
    assert label("published_cost_meur") == "Published: cost (million EUR)"
    assert label("published_cost_beur") == "Published: cost (billion EUR)"
    assert label("published_cost_busd") == "Published: cost (billion USD)"
    assert label("published_restart_cost_musd") == "Published: restart cost (million USD)"


def test_volumes_show_whole_cubic_metres():
    assert format_metric("cut_m3", 2_019_809.6) == "2,019,810"
    assert format_metric("fill_m3", 12.4) == "12"
    assert format_metric("length_km", 12.4) == "12.4"  # other units keep their decimal


def test_published_figures_read_with_separators_and_unit_names():
    assert (published_value(2400), published_unit("MEUR")) == ("2,400", "million EUR")
    assert (published_value(1071), published_unit("m")) == ("1,071", "m")
    assert published_value(1234.56) == "1,234.56"  # as reported: every digit kept
    assert published_value("offered Oct 2025") == "offered Oct 2025"  # text stays as given


def test_missing_published_value_reads_as_a_dash():
    assert published_value(None) == published_value(float("nan")) == "–"
    assert published_value(float("inf")) == "inf"  # a value given, however odd, is written as given
