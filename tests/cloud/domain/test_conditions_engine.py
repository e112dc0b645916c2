"""The rule engine on hand-made sequences: delay, dead-band, escalation, rate, budget windows,
ignore period, late samples, rebinding."""

from __future__ import annotations

import pytest

from cloud.domain.conditions.compiled import CompiledRule, compile_rule
from cloud.domain.conditions.engine import (
    Action,
    Decision,
    Sample,
    evaluate,
    offline_due,
    rebind,
    tick,
)
from cloud.domain.conditions.rules import RuleSpec
from cloud.domain.conditions.state import SensorRuleState
from cloud.domain.conditions.vocab import Check

T0 = 1_767_225_600_000
MIN = 60_000


def rule(**spec: object) -> CompiledRule:
    return compile_rule(1, RuleSpec.model_validate({"name": "r", **spec}))


def flat(start_min: int, minutes: int, value: float, *, humidity: bool = False) -> list[Sample]:
    """1-minute samples holding one value."""
    out = []
    for m in range(start_min, start_min + minutes):
        start, end = T0 + m * MIN, T0 + (m + 1) * MIN
        if humidity:
            out.append(Sample(start, end, h_lo=value, h_hi=value, h_mean=value))
        else:
            out.append(Sample(start, end, t_lo=value, t_hi=value, t_mean=value))
    return out


def feed(
    r: CompiledRule, samples: list[Sample], state: SensorRuleState | None = None, start: float = -1
) -> list[Decision]:
    state = state if state is not None else SensorRuleState()
    return [d for s in samples for d in evaluate(r, state, s, start)]


def minute(ms: float) -> float:
    return (ms - T0) / MIN


def test_a_run_shorter_than_the_delay_is_no_excursion() -> None:
    r = rule(high={"limit": 8, "delay": "30m"})
    assert feed(r, flat(0, 10, 5) + flat(10, 29, 9) + flat(39, 10, 5)) == []


def test_a_run_longer_than_the_delay_alarms_at_start_plus_delay() -> None:
    r = rule(high={"limit": 8, "delay": "30m"})
    decisions = feed(r, flat(0, 10, 5) + flat(10, 45, 9.5) + flat(55, 10, 5))
    assert [(d.action, minute(d.at_ms), minute(d.started_ms)) for d in decisions] == [
        (Action.OPEN, 40, 10),
        (Action.CLEAR, 56, 10),
    ]
    assert decisions[1].ended_ms == T0 + 55 * MIN
    assert decisions[1].out_ms == 45 * MIN
    assert decisions[1].peak == 9.5
    assert decisions[1].limit == 8


def test_it_clears_only_back_inside_the_dead_band() -> None:
    r = rule(high={"limit": 8, "deadband": 1})
    values = [5, 9, 7.5, 7.9, 9.5, 7.2, 6.9, 6.5, 9.2, 5]
    samples = [s for m, v in enumerate(values) for s in flat(m, 1, v)]
    decisions = feed(r, samples)
    assert [(d.action, minute(d.at_ms)) for d in decisions] == [
        (Action.OPEN, 1),  # no delay
        (Action.CLEAR, 7),  # 6.9 is the first value at or below 8 - 1
        (Action.OPEN, 8),
        (Action.CLEAR, 10),
    ]
    assert decisions[1].ended_ms == T0 + 5 * MIN  # the excursion itself ended at minute 5
    assert decisions[1].peak == 9.5


def test_low_mirrors_high() -> None:
    r = rule(low={"limit": 2, "delay": "5m", "deadband": 0.5})
    decisions = feed(r, flat(0, 5, 4) + flat(5, 10, 1) + flat(15, 2, 2.2) + flat(17, 3, 3))
    assert [(d.action, minute(d.at_ms)) for d in decisions] == [
        (Action.OPEN, 10),
        (Action.CLEAR, 18),
    ]
    assert decisions[0].peak == 1
    assert decisions[0].limit == 2


def test_a_partial_interval_counts_the_part_beyond_the_limit() -> None:
    r = rule(high={"limit": 8, "delay": "2m"})
    # Min 6, max 10: a ramp spends half the interval above 8; three of them with a gap of
    # in-range minutes between are separate spikes, never 2 minutes in a row.
    spike = Sample(T0, T0 + MIN, t_lo=6, t_hi=10, t_mean=8)
    calm = Sample(T0 + MIN, T0 + 2 * MIN, t_lo=5, t_hi=6, t_mean=5.5)
    later = [
        Sample(s.start_ms + 2 * MIN * k, s.end_ms + 2 * MIN * k, s.t_lo, s.t_hi, s.t_mean)
        for k in range(3)
        for s in (spike, calm)
    ]
    assert feed(r, later) == []
    # Entering at the end of one interval and leaving at the start of the next: one run.
    rising = Sample(T0, T0 + MIN, t_lo=6, t_hi=10, t_mean=8)
    falling = Sample(T0 + MIN, T0 + 2 * MIN, t_lo=6, t_hi=10, t_mean=8)
    stay = Sample(T0 + MIN, T0 + 2 * MIN, t_lo=9, t_hi=10, t_mean=9.5)
    assert feed(r, [rising, falling]) == []  # 30 s + 30 s < 2 min
    opened = feed(r, [rising, stay, Sample(T0 + 2 * MIN, T0 + 3 * MIN, 9, 10, 9.5)])
    assert [(d.action, minute(d.at_ms), minute(d.started_ms)) for d in opened] == [
        (Action.OPEN, 2.5, 0.5)
    ]


def test_escalates_once_when_it_lasts() -> None:
    r = rule(high={"limit": 8}, severity="warning", escalate={"after": "1h"})
    decisions = feed(r, flat(0, 150, 12) + flat(150, 1, 5))
    assert [(d.action, minute(d.at_ms), d.severity) for d in decisions] == [
        (Action.OPEN, 0, "warning"),
        (Action.ESCALATE, 60, "critical"),
        (Action.CLEAR, 151, "critical"),
    ]


def test_rate_of_change() -> None:
    r = rule(rate={"max_per_hour": 10, "over": "10m"})
    ramp = [s for m in range(30) for s in flat(10 + m, 1, 5 + m * 0.5)]  # 30 °C/h
    decisions = feed(r, flat(0, 10, 5) + ramp + flat(40, 30, 20))
    assert [(d.action, d.check) for d in decisions] == [
        (Action.OPEN, Check.RATE),
        (Action.CLEAR, Check.RATE),
    ]
    assert decisions[0].peak == pytest.approx(30)
    assert 10 < minute(decisions[0].at_ms) <= 25


def test_ignore_period_after_a_shipment_starts() -> None:
    r = rule(high={"limit": 8, "delay": "10m"}, ignore_start="1h")
    started = T0 + 30 * MIN
    loading = flat(30, 50, 12)  # out of range while loading (until 1 h after start)
    assert feed(r, loading + flat(80, 9, 12), start=started) == []
    decisions = feed(r, loading + flat(80, 20, 12), start=started)
    assert [(d.action, minute(d.at_ms), minute(d.started_ms)) for d in decisions] == [
        (Action.OPEN, 100, 90)
    ]


def test_late_samples_are_counted_not_evaluated() -> None:
    r = rule(high={"limit": 8})
    state = SensorRuleState()
    feed(r, flat(10, 5, 5), state)
    assert feed(r, flat(0, 5, 20), state) == []
    assert state.late == 5


def test_rolling_window_budget_clears_when_the_window_moves_on() -> None:
    r = rule(budget={"above": 8, "total": "30m", "window": "2h"})
    decisions = feed(r, flat(0, 20, 10) + flat(20, 20, 5) + flat(40, 15, 10) + flat(55, 120, 5))
    assert [(d.action, minute(d.at_ms)) for d in decisions] == [
        (Action.OPEN, 50),  # 20 + 10 minutes above 8
        # 35 minutes used; under 30 once the 2-hour window starts after minute 5.
        (Action.CLEAR, 126),
    ]


def test_rebinding_closes_what_is_open() -> None:
    r = rule(high={"limit": 8}, offline={"after": "5m"})
    state = SensorRuleState("location:1")
    feed(r, flat(0, 3, 12), state)
    tick(r, state, T0 + 20 * MIN)
    closed = rebind(r, state, T0 + 21 * MIN)
    assert sorted((d.check, d.action) for d in closed) == [
        (Check.HIGH, Action.CLEAR),
        (Check.OFFLINE, Action.CLEAR),
    ]


def test_missing_values_count_as_silence() -> None:
    r = rule(metric="humidity", high={"limit": 80}, offline={"after": "10m"})
    state = SensorRuleState()
    feed(r, flat(0, 5, 50, humidity=True), state)
    assert offline_due(r, state) == T0 + 15 * MIN
    assert feed(r, flat(5, 20, 5), state) == []  # temperature only: no humidity seen
    decisions = feed(r, flat(25, 1, 50, humidity=True), state)
    assert [(d.action, minute(d.at_ms)) for d in decisions] == [
        (Action.OPEN, 15),
        (Action.CLEAR, 25),
    ]
