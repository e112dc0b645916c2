"""The gateway-facing pipeline: reports in, de-skewed and decided events out."""

from __future__ import annotations

import numpy as np
import pytest

from edge.config import (
    DeskewConfig,
    GatewayConfig,
    PresenceConfig,
    ReaderConfig,
    ZoneConfig,
)
from edge.kernels.pipeline import Pipeline, PortalDecision, PresenceDecision
from edge.readers.batch import ReadBatch
from protocol.messages import Direction, PresenceState
from tests.edge.kernels.synth import T0, crossing

SKEW = 2_500_000  # reader r1's clock runs 2.5 s behind the gateway
EPC = "3034257BF7194E4000001A85"


def config(**presence: int) -> GatewayConfig:
    """Door d1 watched by reader r1 (ports 1-2 outside, 3-4 inside), a shelf by r2."""
    return GatewayConfig(
        site="s",
        gateway="g",
        readers=(
            ReaderConfig(name="r1", host="h", antennas={1: "d1-out", 2: "d1-out", 3: "d1-in"}),
            ReaderConfig(name="r2", host="h", antennas={1: "shelf"}),
        ),
        zones=(
            ZoneConfig(name="d1-out", door="d1", side="outside"),
            ZoneConfig(name="d1-in", door="d1", side="inside"),
            ZoneConfig(name="shelf"),
        ),
        presence=PresenceConfig(**presence),
        deskew=DeskewConfig(lateness_ms=500),
    )


def push_crossing(pipe: Pipeline, t_cross: int) -> None:
    """A tag crossing d1 inward, delivered by r1 in 200 ms reports with 3 ms network delay."""
    reads = crossing(0, door=0, inward=True, t_cross=t_cross, seed=5)
    port = np.where(reads.zone == 0, 2, 3)  # outside port 2, inside port 3
    window = (reads.t - reads.t[0]) // 200_000
    for w in np.unique(window):
        part = window == w
        recv = int(reads.t[part][-1]) + 3_000
        pipe.push(reads.t[part] - SKEW, port[part], [EPC] * int(part.sum()), reads.rssi[part],
                  reads.count[part], reader="r1", recv_us=recv)  # fmt: skip


def test_crossing_comes_out_on_the_gateway_clock_after_the_quiet_time() -> None:
    pipe = Pipeline(config())
    push_crossing(pipe, T0)
    early = pipe.advance(T0 + 2_000_000)  # the pass is still going on at the watermark
    assert not [d for d in early if isinstance(d, PortalDecision)]
    late = pipe.advance(T0 + 4_000_000)
    (portal,) = [d for d in late if isinstance(d, PortalDecision)]
    assert (portal.epc, portal.door, portal.direction) == (EPC, "d1", Direction.IN)
    assert abs(portal.time_us - T0) < 100_000
    assert portal.first_us < portal.time_us < portal.last_us
    assert pipe.offset_us("r1", T0) == SKEW + 3_000
    presence = [d for d in early + late if isinstance(d, PresenceDecision)]
    assert presence[0].state is PresenceState.ARRIVED
    assert presence[0].zone == "d1-out"
    counters = pipe.counters
    assert counters["reads_in"] == counters["reads"] > 100
    assert counters["portal_events"] == 1


def test_unmapped_antennas_are_counted_and_dropped() -> None:
    pipe = Pipeline(config())
    pipe.push([T0, T0 + 1], [4, 9], [EPC, EPC], [-50.0, -50.0], reader="r1", recv_us=T0 + 10)
    pipe.flush()
    assert (pipe.counters["reads_in"], pipe.counters["unmapped"], pipe.counters["reads"]) == (
        2,
        2,
        0,
    )


def test_flush_decides_the_open_pass_and_reference_engine_agrees() -> None:
    decided = []
    for engine in ("jit", "reference"):
        pipe = Pipeline(config(), engine=engine)
        push_crossing(pipe, T0)
        decided.append(pipe.advance(T0 + 1_000_000) + pipe.flush())
    assert decided[0] == decided[1]
    assert [d.direction for d in decided[0] if isinstance(d, PortalDecision)] == [Direction.IN]


def test_push_batch_takes_reader_driver_batches() -> None:
    pipe = Pipeline(config())
    t = np.arange(T0, T0 + 3_000_000, 100_000, dtype=np.int64)
    batch = ReadBatch(
        reader=1,
        recv_us=int(t[-1]) + 1_000,
        epcs=(EPC,) * len(t),
        t_us=t,
        antenna=np.ones(len(t), np.int16),
        rssi=np.full(len(t), np.nan, np.float32),  # no RSSI reported
        count=np.zeros(len(t), np.int16),  # nor a TagSeenCount
    )
    pipe.push_batch(batch)
    out = pipe.advance(T0 + 4_000_000)
    assert [(d.state, d.zone) for d in out if isinstance(d, PresenceDecision)] == [
        (PresenceState.ARRIVED, "shelf")
    ]
    assert pipe.counters["reads"] == len(t)


def test_full_tag_table_forgets_departed_tags_first(caplog: pytest.LogCaptureFixture) -> None:
    pipe = Pipeline(config(max_tags=1000))
    old = [f"30{i:022X}" for i in range(1000)]
    pipe.push(np.full(1000, T0), np.ones(1000), old, np.full(1000, -50.0), reader="r2", recv_us=T0)
    pipe.advance(T0 + 20_000_000)  # all of them departed
    new = [f"31{i:022X}" for i in range(300)]
    t1 = T0 + 21_000_000
    pipe.push(np.full(300, t1), np.ones(300), new, np.full(300, -50.0), reader="r2", recv_us=t1)
    assert pipe.counters["evicted"] >= 300
    assert pipe.counters["dropped_table_full"] == 0
    arrived = [d for d in pipe.advance(t1 + 3_000_000) if isinstance(d, PresenceDecision)]
    assert sorted(d.epc for d in arrived) == sorted(new)
    # A table full of tags still in view cannot admit more: their reads are dropped, counted.
    more = [f"32{i:022X}" for i in range(800)]
    t2 = t1 + 3_500_000
    pipe.push(np.full(800, t2), np.ones(800), more, np.full(800, -50.0), reader="r2", recv_us=t2)
    assert pipe.counters["dropped_table_full"] == 100
    assert "dropping reads" in caplog.text
