"""Tests of corridor.terrain.uncertainty: correlated DEM-error noise and P10/P50/P90 bands.

The statistical checks use fixed seeds and enough realisations that the
sampling error of each estimate is several times smaller than its tolerance
(standard errors noted next to each check); no fixture files are needed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy.stats import norm

from corridor._errors import InvalidInputError, ParameterError
from corridor.terrain.uncertainty import (
    bands,
    correlated_noise,
    default_corr_length_m,
    figure_bands,
    perturbed_grids,
    perturbed_profiles,
)


def _corr_at(noise: np.ndarray, k: int) -> float:
    """Correlation of the noise at a lag of ``k`` stations, pooled over realisations."""
    return float(np.corrcoef(noise[:, :-k].ravel(), noise[:, k:].ravel())[0, 1])


def _corr_length(noise: np.ndarray, step: float) -> float:
    """Lag (m) where the pooled correlation first falls to 1/e (linear between lags)."""
    prev = 1.0
    for k in range(1, noise.shape[1]):
        c = _corr_at(noise, k)
        if c <= math.exp(-1):
            return step * (k - 1 + (prev - math.exp(-1)) / (prev - c))
        prev = c
    raise AssertionError("correlation never fell to 1/e")


@pytest.mark.parametrize(("sigma", "corr", "step"), [(2.43, 500.0, 20.0), (18.2, 2000.0, 100.0),
                                                     (1.0, 120.0, 10.0)])
def test_noise_has_the_requested_sigma_and_correlation_length(sigma, corr, step):
    d = np.arange(0.0, 60 * corr, step)
    e = correlated_noise(d, sigma, corr, n=1500, seed=11)
    # 1500 × 60 correlation lengths: s.e. of the pooled std ≈ 0.3 %, of a correlation ≈ 0.004,
    # of one station's std ≈ 1.8 %
    assert e.std() == pytest.approx(sigma, rel=0.03)
    assert abs(e.mean()) < 0.03 * sigma
    # every station, including the ends, has the full spread (no edge taper from the filter)
    per_station = e.std(axis=0)
    assert per_station.min() > 0.88 * sigma and per_station.max() < 1.12 * sigma
    assert per_station[:3].mean() == pytest.approx(sigma, rel=0.06)
    assert per_station[-3:].mean() == pytest.approx(sigma, rel=0.06)
    # Gaussian correlation exp(-(h/L)^2): 1/e at L, ~0.78 at L/2, ~0.02 at 2L
    assert _corr_length(e, step) == pytest.approx(corr, rel=0.05)
    for lag in (0.5 * corr, corr, 2 * corr):
        k = round(lag / step)
        assert _corr_at(e, k) == pytest.approx(math.exp(-((k * step) / corr) ** 2), abs=0.03)


def test_irregular_stations_keep_sigma_and_correlation():
    rng = np.random.default_rng(5)
    d = np.sort(rng.uniform(0.0, 8000.0, 400))
    d[10] = d[11]  # repeated chainage (e.g. a structure portal) is allowed
    e = correlated_noise(d, 3.0, 400.0, n=3000, seed=4)
    assert e.std(axis=0).mean() == pytest.approx(3.0, rel=0.03)
    assert np.array_equal(e[:, 10], e[:, 11])
    # pairwise correlation follows the distance between the stations, not their index
    c = np.corrcoef(e.T)
    h = np.abs(d[:, None] - d[None, :])
    for lo, hi in ((180.0, 220.0), (380.0, 420.0), (780.0, 820.0)):
        sel = (h > lo) & (h < hi)
        assert c[sel].mean() == pytest.approx(np.exp(-(h[sel] / 400.0) ** 2).mean(), abs=0.03)


def test_short_profile_realisations_are_not_renormalised():
    # a profile much shorter than the correlation length moves almost as a block:
    # each realisation has a small spread along the line, but across realisations
    # every station still varies by sigma (per-row rescaling would blow it up)
    d = np.linspace(0.0, 100.0, 11)
    e = correlated_noise(d, 4.0, 2000.0, n=4000, seed=8)
    assert e.std(axis=0).mean() == pytest.approx(4.0, rel=0.04)
    assert e.std(axis=1).mean() < 0.2


def test_reproducible_and_prefix_stable():
    d = np.arange(0.0, 5000.0, 25.0)
    a = perturbed_profiles(d, np.zeros(d.size), 2.0, 300.0, n=12, seed=42)
    b = perturbed_profiles(d, np.zeros(d.size), 2.0, 300.0, n=12, seed=42)
    assert np.array_equal(a, b)
    assert not np.allclose(a, perturbed_profiles(d, np.zeros(d.size), 2.0, 300.0, n=12, seed=43))
    assert np.array_equal(a[:5], perturbed_profiles(d, np.zeros(d.size), 2.0, 300.0, n=5, seed=42))
    # realisations differ from each other
    assert not np.allclose(a[0], a[1])
    # scaling sigma scales the same realisation
    assert np.allclose(perturbed_profiles(d, np.zeros(d.size), 4.0, 300.0, n=12, seed=42), 2 * a)


def test_prefix_stable_across_chunks():
    # long grid: realisations are drawn in several chunks; the stream must not depend on it
    d = np.arange(0.0, 200_000.0, 100.0)
    big = correlated_noise(d, 1.0, 100.0, n=40, seed=3)
    assert np.array_equal(big[:7], correlated_noise(d, 1.0, 100.0, n=7, seed=3))


def test_perturbed_profiles_add_noise_to_the_ground():
    d = np.arange(0.0, 10_000.0, 50.0)
    ground = 1000.0 + 0.02 * d
    ground[50:55] = np.nan
    z = perturbed_profiles(d, ground, 2.4, 600.0, n=2000, seed=1)
    assert z.shape == (2000, d.size)
    assert np.isnan(z[:, 50:55]).all() and np.isfinite(np.delete(z, range(50, 55), axis=1)).all()
    ok = np.isfinite(ground)
    assert np.abs(z[:, ok].mean(axis=0) - ground[ok]).max() < 0.25  # s.e. of a mean ≈ 0.054
    noise = correlated_noise(d, 2.4, 600.0, n=2000, seed=1)
    assert np.allclose(z[:, ok] - ground[ok], noise[:, ok], rtol=0, atol=1e-9)


def test_zero_sigma_and_single_station():
    d = np.arange(0.0, 1000.0, 10.0)
    assert np.array_equal(perturbed_profiles(d, np.ones(d.size), 0.0, 100.0, n=3, seed=1), np.ones((3, d.size)))
    one = correlated_noise(np.array([5.0]), 2.0, 100.0, n=5000, seed=2)
    assert one.shape == (5000, 1) and one.std() == pytest.approx(2.0, rel=0.04)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"distance_m": np.array([0.0, 10.0, 5.0])}, InvalidInputError, "non-decreasing"),
    ({"distance_m": np.array([0.0, np.nan])}, InvalidInputError, "finite"),
    ({"distance_m": np.zeros((2, 2))}, InvalidInputError, "1-D"),
    ({"distance_m": np.array([])}, InvalidInputError, "non-empty"),
    ({"sigma_m": -1.0}, ParameterError, "sigma_m"),
    ({"sigma_m": float("nan")}, ParameterError, "sigma_m"),
    ({"corr_length_m": 0.0}, ParameterError, "corr_length_m"),
    ({"n": 0}, ParameterError, "n "),
    ({"n": 2.5}, ParameterError, "n "),
    ({"seed": -1}, ParameterError, "seed"),
    ({"seed": "abc"}, ParameterError, "seed"),
    ({"distance_m": np.array([0.0, 1e7]), "corr_length_m": 1.0}, ParameterError, "too short"),
])
def test_bad_arguments(kwargs, error, match):
    args: dict[str, Any] = {"distance_m": np.arange(0.0, 100.0, 10.0), "sigma_m": 1.0, "corr_length_m": 50.0, "n": 2, "seed": 1}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        correlated_noise(**args)


def test_profile_shape_mismatch():
    with pytest.raises(InvalidInputError, match="same shape"):
        perturbed_profiles(np.arange(5.0), np.arange(4.0), 1.0, 10.0, n=2, seed=1)


def test_perturbed_grids_sigma_and_anisotropic_cells():
    base = np.full((120, 150), 700.0)
    base[0, 0] = np.nan
    cell = (90.0, 60.0)  # rows 90 m apart, columns 60 m
    grids = perturbed_grids(base, cell, 3.0, 600.0, n=60, seed=9)
    g = np.stack(grids) - 700.0
    assert np.isnan(g[:, 0, 0]).all()
    g[:, 0, 0] = 0.0
    assert g.std() == pytest.approx(3.0, rel=0.05)
    # correlation 1/e at 600 m in both directions, whatever the cell shape
    along_x = np.corrcoef(g[:, :, :-10].ravel(), g[:, :, 10:].ravel())[0, 1]  # 600 m
    along_y = np.corrcoef(g[:, :-7, :].ravel(), g[:, 7:, :].ravel())[0, 1]  # 630 m
    assert along_x == pytest.approx(math.exp(-1), abs=0.04)
    assert along_y == pytest.approx(math.exp(-((630 / 600) ** 2)), abs=0.04)
    again = perturbed_grids(base, cell, 3.0, 600.0, n=2, seed=9)
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(again, grids[:2], strict=True))
    with pytest.raises(InvalidInputError, match="2-D"):
        perturbed_grids(np.zeros(5), cell, 1.0, 100.0, n=1)
    with pytest.raises(ParameterError, match="cell_m"):
        perturbed_grids(base, (0.0, 60.0), 1.0, 100.0, n=1)


def test_bands_order_and_values():
    assert bands(np.arange(101.0)) == (10.0, 50.0, 90.0)
    p10, p50, p90 = bands(np.random.default_rng(0).normal(5.0, 2.0, 20_000))
    assert p10 < p50 < p90
    assert p50 == pytest.approx(5.0, abs=0.05) and p90 - p50 == pytest.approx(2.0 * norm.ppf(0.9), rel=0.03)
    assert bands([7.0]) == (7.0, 7.0, 7.0)
    lo, mid, hi = bands(np.array([[1.0, 10.0], [3.0, 30.0], [2.0, 20.0]]), axis=0)
    assert np.allclose(lo, [1.2, 12.0]) and np.allclose(mid, [2.0, 20.0]) and np.allclose(hi, [2.8, 28.0])
    assert (lo <= mid).all() and (mid <= hi).all()
    with pytest.raises(InvalidInputError, match="NaN"):
        bands([1.0, np.nan, 3.0])
    with pytest.raises(InvalidInputError, match="at least one"):
        bands([])


def test_figure_bands_match_the_error_distribution():
    d = np.arange(0.0, 20_000.0, 50.0)
    ground = 500.0 + 0.01 * d
    sigma = 18.24  # GLOBE: 30 m LE90

    def evaluate(z):
        return {"z_mid": float(z[200]), "climb": float(z[-1] - z[0])}

    out = figure_bands(evaluate, d, ground, sigma, 2000.0, n=3000, seed=6)
    lo, mid, hi = out["z_mid"]
    # one station: ground ± 1.2816 sigma (s.e. of a quantile here ≈ 0.6 m)
    assert mid == pytest.approx(ground[200], abs=1.5)
    assert hi - mid == pytest.approx(norm.ppf(0.9) * sigma, rel=0.08)
    assert mid - lo == pytest.approx(norm.ppf(0.9) * sigma, rel=0.08)
    # the two ends are 10 correlation lengths apart: the difference has sigma·√2
    lo, mid, hi = out["climb"]
    assert mid == pytest.approx(200.0, abs=2.0)
    assert hi - lo == pytest.approx(2 * norm.ppf(0.9) * sigma * math.sqrt(2), rel=0.08)
    # same seed, same bands
    assert figure_bands(evaluate, d, ground, sigma, 2000.0, n=50, seed=6) == \
        figure_bands(evaluate, d, ground, sigma, 2000.0, n=50, seed=6)


def test_figure_bands_rejects_changing_figures():
    d = np.arange(0.0, 1000.0, 10.0)
    calls = iter(range(10))

    def evaluate(z):
        return {"a": 1.0} if next(calls) == 0 else {"b": 1.0}

    with pytest.raises(InvalidInputError, match="same figures"):
        figure_bands(evaluate, d, np.zeros(d.size), 1.0, 100.0, n=3, seed=1)


def test_default_corr_length():
    assert default_corr_length_m(30.0) == 250.0
    assert default_corr_length_m(900.0) == 2700.0
    with pytest.raises(ParameterError):
        default_corr_length_m(0.0)


def test_uses_the_dem_documented_error():
    from corridor.terrain import DEM

    dem = DEM.open(None)
    d = np.arange(0.0, 50_000.0, 250.0)
    e = correlated_noise(d, dem.vertical_sigma_m, default_corr_length_m(dem.ground_resolution_m()), n=800, seed=2)
    # 30 m LE90: 90 % of the perturbations lie within ±30 m
    assert np.mean(np.abs(e) <= dem.vertical_le90_m) == pytest.approx(0.90, abs=0.02)
