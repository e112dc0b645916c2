"""Dedup, presence and portal rules on small physical stories, for both engines."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from edge.kernels import events as ev
from edge.kernels.events import Events
from edge.kernels.kernel import Kernel
from edge.kernels.params import KernelParams
from edge.kernels.reference import ReferenceKernel
from tests.edge.kernels.synth import (
    BENCH,
    FAST,
    IN0,
    OUT0,
    SHELF,
    T0,
    ZONE_DOOR,
    ZONE_SIDE,
    Reads,
    crossing,
    run,
    steady,
)

ENGINES = [Kernel, ReferenceKernel]
SECOND = 1_000_000


def decide(
    make: type[Kernel | ReferenceKernel], params: KernelParams, reads: Reads
) -> tuple[Events, dict[str, int]]:
    """Run a whole story; return its events and counters."""
    engine = make(params, ZONE_DOOR, ZONE_SIDE)
    run(engine, reads, [], [], end=int(reads.t[-1]) + 600 * SECOND)
    return engine.take_events(), dict(zip(ev.COUNTER_NAMES, engine.counters, strict=True))


def portal(events: Events) -> Events:
    """Only the portal events."""
    out: Events = events[events["kind"] == ev.PORTAL]
    return out


def of_tag(events: Events, tag: int, kind: int) -> Events:
    """Events of one tag and kind."""
    out: Events = events[(events["tag"] == tag) & (events["kind"] == kind)]
    return out


@pytest.mark.parametrize("make", ENGINES)
def test_crossings_get_door_direction_and_time(make: type[Kernel | ReferenceKernel]) -> None:
    t_in, t_out = T0 + 10 * SECOND, T0 + 20 * SECOND
    inward = crossing(1, door=0, inward=True, t_cross=t_in, seed=1)
    outward = crossing(2, door=1, inward=False, t_cross=t_out, seed=2)
    # The inward load is also read by the neighbour door, on both sides, 20 dB down.
    echo = crossing(1, door=1, inward=True, t_cross=t_in, seed=3, peak=-65.0)
    events, counters = decide(make, KernelParams(), Reads.concat(inward, outward, echo))
    got = portal(events)
    assert [(e["tag"], e["place"], e["direction"]) for e in got] == [(1, 0, ev.IN), (2, 1, ev.OUT)]
    assert abs(int(got[0]["t_us"]) - t_in) < 100_000
    assert abs(int(got[1]["t_us"]) - t_out) < 100_000
    assert counters["suppressed_cross_read"] == 1
    assert got[0]["reads"] == len(inward)
    assert got[0]["first_us"] == inward.t[0]
    assert got[0]["last_us"] == inward.t[-1]


@pytest.mark.parametrize("make", ENGINES)
def test_parked_tag_at_a_door_never_crosses(make: type[Kernel | ReferenceKernel]) -> None:
    rng = np.random.default_rng(4)
    t = np.arange(T0, T0 + 120 * SECOND, 100_000)
    zone = rng.choice([OUT0, IN0], len(t))  # between the antennas, read by both sides
    rssi = rng.normal(-62, 3, len(t)).round()
    reads = Reads(t, zone.astype(np.int16), np.full(len(t), 7, np.int32),
                  rssi.astype(np.float32), np.ones(len(t), np.int16))  # fmt: skip
    events, counters = decide(make, KernelParams(), reads)
    assert len(portal(events)) == 0
    assert counters["suppressed_parked"] >= 1
    parked = of_tag(events, 7, ev.PARKED)
    assert len(parked) == 1
    arrived = of_tag(events, 7, ev.ARRIVED)
    assert parked[0]["t_us"] == arrived[0]["t_us"] + KernelParams().parked_us


@pytest.mark.parametrize("make", ENGINES)
def test_one_sided_and_weak_passes_are_strays(make: type[Kernel | ReferenceKernel]) -> None:
    approach = steady(3, OUT0, T0, T0 + 2 * SECOND, -50.0)  # came to the door, turned back
    weak = crossing(4, door=0, inward=True, t_cross=T0 + 10 * SECOND, peak=-88.0)
    events, counters = decide(make, KernelParams(min_peak_rssi=-75.0), Reads.concat(approach, weak))
    assert len(portal(events)) == 0
    assert counters["suppressed_stray"] == 2


@pytest.mark.parametrize("make", ENGINES)
def test_moved_needs_the_lead_for_the_hold_time(make: type[Kernel | ReferenceKernel]) -> None:
    shelf = steady(5, SHELF, T0, T0 + 10 * SECOND, -50.0)
    blip = steady(5, BENCH, T0 + 4 * SECOND, T0 + 4 * SECOND + 600_000, -40.0)  # one cycle
    bench = steady(5, BENCH, T0 + 10 * SECOND, T0 + 20 * SECOND, -45.0)
    events, _ = decide(make, KernelParams(), Reads.concat(shelf, blip, bench))
    moved = of_tag(events, 5, ev.MOVED)
    assert [(e["place"], e["prev"]) for e in moved] == [(BENCH, SHELF)]
    assert T0 + 10 * SECOND < moved[0]["t_us"] < T0 + 13 * SECOND
    assert [e["place"] for e in of_tag(events, 5, ev.ARRIVED)] == [SHELF]
    departed = of_tag(events, 5, ev.DEPARTED)
    assert [(e["place"], e["t_us"]) for e in departed] == [(BENCH, bench.t[-1])]


@pytest.mark.parametrize("make", ENGINES)
def test_silence_departs_and_a_return_arrives_again(make: type[Kernel | ReferenceKernel]) -> None:
    first = steady(6, SHELF, T0, T0 + 3 * SECOND, -55.0)
    again = steady(6, SHELF, T0 + 30 * SECOND, T0 + 33 * SECOND, -55.0)
    events, _ = decide(make, KernelParams(), Reads.concat(first, again))
    assert [int(e["t_us"]) for e in of_tag(events, 6, ev.ARRIVED)] == [T0, T0 + 30 * SECOND]
    departed = [int(e["t_us"]) for e in of_tag(events, 6, ev.DEPARTED)]
    assert departed == [int(first.t[-1]), int(again.t[-1])]


@pytest.mark.parametrize("make", ENGINES)
@pytest.mark.parametrize("mode", [1, 2])
def test_dedup_cycles_report_ale_changes(make: type[Kernel | ReferenceKernel], mode: int) -> None:
    params = dataclasses.replace(FAST, report=mode)
    start = T0 // FAST.cycle_us * FAST.cycle_us
    reads = steady(8, SHELF, start + 10_000, start + 290_000, -60.0, every_us=40_000)  # 3 cycles
    engine = make(params, ZONE_DOOR, ZONE_SIDE)
    run(engine, reads, [], [], end=start + 10 * FAST.cycle_us)
    lines = engine.take_reports()
    changes = [(int(x["cycle_end_us"] - start) // FAST.cycle_us, int(x["change"])) for x in lines]
    current = [(2, ev.CURRENT), (3, ev.CURRENT)] if mode == 2 else []
    assert changes == sorted([(1, ev.ADDITION), *current, (4, ev.DELETION)])
    added = lines[0]
    assert (added["first_us"], added["last_us"], added["count"]) == (
        start + 10_000,
        start + 90_000,
        3,
    )


@pytest.mark.parametrize("make", ENGINES)
def test_reads_behind_the_watermark_are_late(make: type[Kernel | ReferenceKernel]) -> None:
    engine = make(FAST, ZONE_DOOR, ZONE_SIDE)
    engine.process([T0, T0 + 10], [SHELF, SHELF], [1, 1], [-50.0, -50.0], [1, 1])
    engine.advance(T0 + 500_000)
    engine.process([T0 + 20, T0 + 600_000], [SHELF, SHELF], [1, 2], [-50.0, -50.0], [1, 1])
    counters = dict(zip(ev.COUNTER_NAMES, engine.counters, strict=True))
    assert (counters["reads"], counters["late"]) == (3, 1)
