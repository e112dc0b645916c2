"""The rule engine on seeded weeks of data against the injected truth."""

from __future__ import annotations

import pytest

from cloud.domain.conditions.compiled import CompiledRule, compile_rule
from cloud.domain.conditions.engine import Action, Decision, evaluate, tick
from cloud.domain.conditions.rules import load_rules
from cloud.domain.conditions.state import SensorRuleState
from cloud.domain.conditions.vocab import Check
from tests.cloud.domain.condition_week import INTERVAL_S, T0_MS, Week, week

SEEDS = [1, 7, 2026]
DELAY_S = 30 * 60
# Intervals hide where inside them a crossing happened: estimates may be this far off.
SLACK_S = 2 * INTERVAL_S

RULES = """
rules:
  - name: cold-room
    high: {limit: 8, delay: 30m, deadband: 0.5}
    low: {limit: 2, delay: 30m, deadband: 0.5}
  - name: heat-budget
    budget: {above: 8, total: 10h}
  - name: silent
    offline: {after: 20m}
"""


def rules() -> dict[str, CompiledRule]:
    return {spec.name: compile_rule(i, spec) for i, spec in enumerate(load_rules(RULES), 1)}


def run(rule: CompiledRule, data: Week) -> list[Decision]:
    state = SensorRuleState()
    out: list[Decision] = []
    for sample in data.samples:
        out += evaluate(rule, state, sample)
    return out


def seconds(ms: float) -> float:
    return (ms - T0_MS) / 1000


def of(decisions: list[Decision], check: Check, action: Action) -> list[Decision]:
    return [d for d in decisions if d.check is check and d.action is action]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("check", "level", "above"), [(Check.HIGH, 8.0, True), (Check.LOW, 2.0, False)]
)
def test_every_excursion_longer_than_the_delay_raises_one_alert(
    seed: int, check: Check, level: float, above: bool
) -> None:
    data = week(seed)
    decisions = run(rules()["cold-room"], data)
    truth = data.runs(level, above=above)
    long_runs = [(a, b) for a, b in truth if b - a > DELAY_S]
    assert all(b - a < DELAY_S - 10 * 60 for a, b in truth if (a, b) not in long_runs)
    opens, clears = of(decisions, check, Action.OPEN), of(decisions, check, Action.CLEAR)
    assert len(long_runs) >= 5
    assert len(opens) == len(clears) == len(long_runs)
    for (start, end), opened, cleared in zip(long_runs, opens, clears, strict=True):
        assert seconds(opened.started_ms) == pytest.approx(start, abs=SLACK_S)
        assert seconds(opened.at_ms) == pytest.approx(start + DELAY_S, abs=SLACK_S)
        assert seconds(cleared.ended_ms) == pytest.approx(end, abs=SLACK_S)
        assert seconds(cleared.at_ms) >= end  # cleared once seen back inside the dead-band
        assert cleared.out_ms / 1000 == pytest.approx(end - start, abs=SLACK_S)


@pytest.mark.parametrize("seed", SEEDS)
def test_spikes_shorter_than_the_delay_and_noise_raise_nothing(seed: int) -> None:
    data = week(seed)
    spikes = [e for e in data.events if e.kind == "high" and e.plateau_s < 10 * 60]
    assert len(spikes) >= 10
    opens = of(run(rules()["cold-room"], data), Check.HIGH, Action.OPEN)
    for spike in spikes:
        assert not [
            d
            for d in opens
            if spike.start_s - SLACK_S <= seconds(d.started_ms) <= spike.start_s + 15 * 60
        ]


def test_in_range_noise_alone_raises_nothing() -> None:
    data = week(3)
    quiet = [s for s in data.samples if seconds(s.start_ms) < data.events[0].start_s]
    assert len(quiet) >= 30
    state = SensorRuleState()
    rule = rules()["cold-room"]
    assert [d for s in quiet for d in evaluate(rule, state, s)] == []


@pytest.mark.parametrize("seed", SEEDS)
def test_cumulative_budget_fires_once_when_it_is_used_up(seed: int) -> None:
    data = week(seed)
    decisions = run(rules()["heat-budget"], data)
    expected = data.time_beyond_until(8.0, 10 * 3600)
    assert expected < 7 * 86400  # the week does use it up
    opened = of(decisions, Check.BUDGET, Action.OPEN)
    assert len(opened) == 1
    assert seconds(opened[0].at_ms) == pytest.approx(expected, abs=SLACK_S)
    assert opened[0].out_ms / 1000 == pytest.approx(10 * 3600, abs=INTERVAL_S)
    assert of(decisions, Check.BUDGET, Action.CLEAR) == []  # a lifetime budget stays spent


def test_silence_raises_one_offline_alert_on_arrival_and_by_the_periodic_check() -> None:
    gap = (2 * 86400, 2 * 86400 + 7200)
    data = week(5, silences=[gap])
    rule = rules()["silent"]
    on_arrival = run(rule, data)
    assert [(d.action, seconds(d.started_ms), d.ended_ms) for d in on_arrival] == [
        (Action.OPEN, gap[0], -1),
        (Action.CLEAR, gap[0], T0_MS + gap[1] * 1000),
    ]
    assert seconds(on_arrival[0].at_ms) == gap[0] + 20 * 60
    state, ticked = SensorRuleState(), []
    for sample in data.samples:
        ticked += tick(rule, state, sample.start_ms)  # the periodic check runs between samples
        ticked += evaluate(rule, state, sample)
    assert [(d.action, seconds(d.at_ms)) for d in ticked] == [
        (Action.OPEN, gap[0] + 20 * 60),
        (Action.CLEAR, gap[1]),
    ]
