"""Mean kinetic temperature against hand-computed references (ΔH/R = 10,000 K).

References: MKT = 10000 / -ln(Σ wᵢ·exp(-10000 / (tᵢ + 273.15)) / Σ wᵢ) - 273.15, evaluated with
40-digit decimals.
"""

from __future__ import annotations

import math

import pytest

from cloud.domain.conditions.mkt import (
    DELTA_H_OVER_R,
    Interval,
    fraction_beyond,
    mkt_points,
    mkt_weighted,
    summarize,
    summarize_intervals,
    time_beyond,
    trapezoid_weights,
)

H = 3600.0


def test_activation_energy_over_gas_constant_is_ten_thousand_kelvin() -> None:
    assert abs(DELTA_H_OVER_R - 10_000.0) < 1e-9


def test_constant_temperature_is_its_own_mkt() -> None:
    assert mkt_weighted([5.0] * 10, [1.0] * 10) == pytest.approx(5.0, abs=1e-9)
    assert mkt_points([0, 60, 600], [21.0, 21.0, 21.0]) == pytest.approx(21.0, abs=1e-9)


def test_equal_weights() -> None:
    # 20 °C and 30 °C, one hour each: 26.2598869160 °C (above the mean 25: Arrhenius weighs heat).
    assert mkt_weighted([20.0, 30.0], [H, H]) == pytest.approx(26.2598869160034, abs=1e-9)
    # Four weekly highs 22, 24, 26, 28 °C: 25.2624323749 °C.
    assert mkt_weighted([22.0, 24.0, 26.0, 28.0], [1, 1, 1, 1]) == pytest.approx(
        25.2624323749328, abs=1e-9
    )


def test_interval_durations_weigh() -> None:
    # 2 h at 25 °C then 6 h at 5 °C: 15.1322182894 °C.
    assert mkt_weighted([25.0, 5.0], [2 * H, 6 * H]) == pytest.approx(15.1322182894207, abs=1e-9)


def test_unequal_spot_readings_use_the_trapezoidal_rule() -> None:
    # 5 °C at 0 h, 25 °C at 1 h, 5 °C at 2 h and at 6 h: weights 0.5, 1, 2.5, 2 hours, i.e. 5 h at
    # 5 °C and 1 h at 25 °C: 12.8788226991 °C. Counting readings alike would give 15.1322 °C.
    times = [0.0, H, 2 * H, 6 * H]
    assert trapezoid_weights(times) == [0.5 * H, H, 2.5 * H, 2 * H]
    assert mkt_points(times, [5.0, 25.0, 5.0, 5.0]) == pytest.approx(12.8788226991488, abs=1e-9)


def test_refuses_what_has_no_meaning() -> None:
    with pytest.raises(ValueError, match="at least one"):
        mkt_weighted([], [])
    with pytest.raises(ValueError, match="backwards"):
        trapezoid_weights([10.0, 5.0])
    with pytest.raises(ValueError, match="negative"):
        mkt_weighted([5.0, 6.0], [1.0, -1.0])


def test_time_beyond_interpolates_crossings() -> None:
    # 6 -> 10 over 4 min crosses 8 at 2 min; 10 -> 10 for 2 min; 10 -> 6 over 4 min crosses at 2.
    times, temps = [0.0, 240.0, 360.0, 600.0], [6.0, 10.0, 10.0, 6.0]
    assert time_beyond(times, temps, 8.0) == pytest.approx(120 + 120 + 120)
    summary = summarize(times, temps, low=7.0, high=8.0)
    assert summary.above_s == pytest.approx(360)
    assert summary.below_s == pytest.approx(60 + 60)  # under 7 for the first and last minute
    assert (summary.min_c, summary.max_c, summary.span_s, summary.readings) == (6, 10, 600, 4)
    assert summary.out_of_range_s == pytest.approx(480)
    assert math.isfinite(summary.mkt_c)


def test_interval_samples_weigh_by_length_and_estimate_time_beyond() -> None:
    intervals = [
        Interval(2 * H, lo=24.0, hi=26.0, mean=25.0),
        Interval(6 * H, lo=4.0, hi=6.0, mean=5.0),
        Interval(0.0, lo=90.0, hi=90.0, mean=90.0),  # no length: no weight
    ]
    summary = summarize_intervals(intervals, low=4.5, high=25.5)
    assert summary is not None
    assert summary.mkt_c == pytest.approx(15.1322182894207, abs=1e-9)  # as 2 h at 25, 6 h at 5
    assert (summary.min_c, summary.max_c, summary.seconds) == (4.0, 26.0, 8 * H)
    assert summary.mean_c == pytest.approx(10.0)
    assert summary.above_s == pytest.approx(2 * H * 0.25)  # a ramp 24 -> 26 is above 25.5 a quarter
    assert summary.below_s == pytest.approx(6 * H * 0.25)
    assert summarize_intervals([]) is None
    assert fraction_beyond(9, 10, 8) == 1.0
    assert fraction_beyond(5, 7, 8) == 0.0
