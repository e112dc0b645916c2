"""Helpers for driver tests against the emulated probes: scenarios, waiting, truth checks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence

import pytest

from edge.sensors.source import SensorSource
from firmware_sim.sensors.events import FaultPlan
from firmware_sim.sensors.player import Delivery
from firmware_sim.sensors.scenario import ProbeSpec, ScenarioConfig, SensorScenario, build_scenario
from protocol.codec import fields_of
from protocol.messages import ConditionSample
from protocol.topics import Kind
from tests.support.mqtt import DEADLINE_S

SPEED = 20.0  # a 2 s output interval becomes a line every 0.1 s
ARRIVAL_SLACK_MS = 10_000  # how long after sending a line may arrive (a loaded test machine)


def scenario(*probes: ProbeSpec, duration_s: float = 200.0, seed: int = 5) -> SensorScenario:
    """A short scenario of the given probes."""
    return build_scenario(ScenarioConfig("test", probes, duration_s=duration_s), seed)


def faults(**kw: object) -> FaultPlan:
    """A fault plan with no random unplugs or stuck episodes unless given."""
    base: dict[str, object] = {"unplugs": (), "stucks": ()}
    return FaultPlan(**{**base, **kw})  # type: ignore[arg-type]


def samples_of(rows: Sequence[tuple[Kind, str, str]]) -> list[ConditionSample]:
    """Outbox rows back to samples."""
    fields = fields_of(Kind.CONDITION)
    out = []
    for kind, event_id, row in rows:
        assert kind is Kind.CONDITION
        sample = ConditionSample.model_validate(dict(zip(fields, json.loads(row), strict=True)))
        assert sample.id == event_id
        out.append(sample)
    return out


def drain_until(
    condition: Callable[[], bool], source: SensorSource, rows: list[tuple[Kind, str, str]]
) -> bool:
    """Drain the source as a gateway would (every 50 ms) until condition holds or time is up."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        rows += source.drain(time.time_ns() // 1000)
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def check_against_deliveries(samples: list[ConditionSample], deliveries: list[Delivery]) -> None:
    """Samples must hold exactly the delivered valid lines, in order, each in its interval.

    Nothing is lost or reordered on a pty, so the valid lines split into consecutive runs of
    each sample's count; every line must have been sent before its interval ended (it was
    stamped on arrival) and not long before it began.
    """
    valid = [d for d in deliveries if d.fate == "delivered" and d.line.valid]
    at = 0
    for sample in sorted(samples, key=lambda s: s.start_ms):
        chunk = valid[at : at + sample.count]
        at += sample.count
        assert len(chunk) == sample.count, "samples count more readings than were delivered"
        _check_values(sample, chunk)
        sent = [d.wall_us // 1000 for d in chunk]
        assert max(sent) <= sample.time_ms, (sample, max(sent))
        assert min(sent) >= sample.start_ms - ARRIVAL_SLACK_MS, (sample, min(sent))
    assert at == len(valid), f"{len(valid) - at} delivered readings are in no sample"


def _check_values(sample: ConditionSample, chunk: list[Delivery]) -> None:
    temps = [d.line.temp for d in chunk if d.line.temp is not None]
    rhs = [d.line.rh for d in chunk if d.line.rh is not None]
    assert (sample.temp_min, sample.temp_max) == (min(temps), max(temps))
    assert (sample.rh_min, sample.rh_max) == (min(rhs), max(rhs))
    assert sample.temp_mean == pytest.approx(sum(temps) / len(temps), abs=1e-3)
    assert sample.rh_mean == pytest.approx(sum(rhs) / len(rhs), abs=1e-3)
