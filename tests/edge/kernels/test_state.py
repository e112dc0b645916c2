"""Kernel state stays compact, grows on demand, and its counters are named in order."""

from __future__ import annotations

import numpy as np

from edge.kernels import events as ev
from edge.kernels import jit
from edge.kernels.kernel import Kernel
from edge.kernels.params import N_WEIGHTS, QUANT, RSSI_MAX, RSSI_MIN, KernelParams
from tests.edge.kernels.synth import SHELF, T0, ZONE_DOOR, ZONE_SIDE

N_TAGS = 100_000


def test_hundred_thousand_tags_in_view_fit_in_a_compact_state() -> None:
    kernel = Kernel(KernelParams(), ZONE_DOOR, ZONE_SIDE)
    tags = np.arange(N_TAGS, dtype=np.int32)
    zone = np.where(tags % 100 == 0, tags % 4, SHELF).astype(np.int16)  # 1 % at doors
    t = T0 + tags.astype(np.int64) * 5
    for step in range(3):
        kernel.process(t + step * 1_000_000, zone, tags, np.full(N_TAGS, -60.0), np.ones(N_TAGS))
    kernel.advance(T0 + 2_500_000)
    arrived = kernel.take_events()
    assert np.count_nonzero(arrived["kind"] == ev.ARRIVED) == N_TAGS
    assert kernel.s.st[jit.S_N_ACTIVE] == N_TAGS
    assert kernel.nbytes / N_TAGS < 250  # bytes per tag in view, all arrays included


def test_counter_names_follow_the_counter_indexes() -> None:
    names = dict(zip(ev.COUNTER_NAMES, range(ev.N_COUNTERS), strict=True))
    assert (names["reads"], names["late"], names["slot_overflow"]) == (
        ev.C_READS,
        ev.C_LATE,
        ev.C_SLOT_OVERFLOW,
    )
    assert (names["passes"], names["portal_events"], names["suppressed_parked"]) == (
        ev.C_PASSES,
        ev.C_PORTAL,
        ev.C_PARKED,
    )
    assert (names["suppressed_cross_read"], names["suppressed_ambiguous"]) == (
        ev.C_CROSS_READ,
        ev.C_AMBIGUOUS,
    )
    assert (names["suppressed_stray"], names["presence_events"]) == (ev.C_STRAY, ev.C_PRESENCE)
    assert (names["cycles"], names["reports"]) == (ev.C_CYCLES, ev.C_REPORTS)


def test_weight_table_covers_the_rssi_range() -> None:
    assert int((RSSI_MAX - RSSI_MIN) * QUANT) + 1 == N_WEIGHTS
    weights = KernelParams(peak_db=3.0).weights()
    assert weights[-1] / weights[-1 - 12] == 2.0  # doubles every 3 dB
