"""Reconnect backoff: grows exponentially, stays within its bounds, jitters, resets."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.transport.backoff import Backoff


def test_delays_double_up_to_the_cap() -> None:
    backoff = Backoff(0.5, 8.0, random.Random(1))
    ceilings = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    for ceiling in ceilings:
        delay = backoff.next_delay()
        assert max(0.5, ceiling / 2) <= delay <= ceiling


def test_reset_starts_again_from_the_minimum() -> None:
    backoff = Backoff(1.0, 30.0, random.Random(2))
    for _ in range(10):
        backoff.next_delay()
    backoff.reset()
    assert 1.0 <= backoff.next_delay() <= 2.0


def test_jitter_spreads_gateways_apart() -> None:
    # Gateways that lose the broker together do not all retry together, not even the first time.
    first = {Backoff(1.0, 60.0, random.Random(seed)).next_delay() for seed in range(20)}
    assert len(first) == 20


@given(
    st.floats(0.01, 10.0),
    st.floats(1.0, 100.0),
    st.integers(0, 2000),
    st.integers(0, 2**32),
)
def test_delays_stay_within_bounds(min_s: float, factor: float, attempts: int, seed: int) -> None:
    backoff = Backoff(min_s, min_s * factor, random.Random(seed))
    backoff.attempts = attempts
    assert min_s <= backoff.next_delay() <= min_s * factor


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="min_s"):
        Backoff(2.0, 1.0)
