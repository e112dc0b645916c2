"""Reader clock de-skew: the lower envelope of receive minus reader time."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.kernels.deskew import ClockDeskew

START = 1_700_000_000_000_000


@settings(max_examples=50, deadline=None)
@given(
    offset=st.integers(-(10**10), 10**10),
    seed=st.integers(0, 2**31),
    min_delay=st.integers(0, 5_000),
    burst=st.integers(0, 2_000_000),
)
def test_estimate_is_offset_plus_the_least_delay(
    offset: int, seed: int, min_delay: int, burst: int
) -> None:
    rng = np.random.default_rng(seed)
    deskew = ClockDeskew(1, window_us=60_000_000)
    recv = START + np.cumsum(rng.integers(50_000, 300_000, 400))
    delay = min_delay + rng.exponential(20_000, len(recv)).astype(np.int64)
    delay[rng.random(len(recv)) < 0.1] += burst  # congestion: some reports very late
    estimates = [
        deskew.update(0, int(t - offset - d), int(t)) for t, d in zip(recv, delay, strict=True)
    ]
    assert all(e >= offset + min_delay for e in estimates)  # never ahead of the truth
    # The estimate is within the least delay of the window (the last 100 reports are in it).
    assert estimates[-1] - offset <= delay[-100:].min()


def test_window_forgets_a_stale_offset_and_follows_drift() -> None:
    deskew = ClockDeskew(2, window_us=8_000_000)
    # A reader clock stepped back by 3 s (samples jump up): the old minimum ages out.
    assert deskew.update(1, START - 1_000, START) == 1_000
    later = START + 20_000_000
    assert deskew.update(1, later - 3_001_000, later) == 3_001_000
    # 40 ppm drift: the estimate lags the true offset by at most the window's worth.
    drift = [int(40e-6 * k * 1e6) for k in range(120)]
    got = [deskew.update(0, START + k * 1_000_000 - d, START + k * 1_000_000 + 2_000)
           for k, d in enumerate(drift)]  # fmt: skip
    assert all(d + 2_000 - 400 <= g <= d + 2_000 for g, d in zip(got, drift, strict=True))
    assert deskew.offset(0, START + 119_000_000) == got[-1]
    assert deskew.offset(0, START + 10**12) is None


def test_correct_moves_a_report_onto_the_gateway_clock() -> None:
    deskew = ClockDeskew(1, window_us=60_000_000)
    t = np.array([START, START + 100, START + 200], dtype=np.int64)
    fixed = deskew.correct(0, t, recv_us=START + 5_200)
    assert fixed.tolist() == [START + 5_000, START + 5_100, START + 5_200]
    assert deskew.correct(0, t[:0], recv_us=START).size == 0


def test_disabled_keeps_reader_time() -> None:
    deskew = ClockDeskew(1, window_us=60_000_000, enabled=False)
    assert deskew.update(0, START, START + 10**9) == 0
    assert deskew.offset(0, START) == 0
