"""Properties of the rule engine over arbitrary sample streams and rules."""

from __future__ import annotations

import json
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.domain.conditions.compiled import CompiledRule, compile_rule
from cloud.domain.conditions.engine import Action, Decision, Sample, evaluate, tick
from cloud.domain.conditions.rules import RuleSpec
from cloud.domain.conditions.state import SensorRuleState
from cloud.domain.conditions.vocab import Check

T0 = 1_767_225_600_000
MIN = 60_000

temps = st.floats(-5.0, 20.0, allow_nan=False)


@st.composite
def streams(draw: st.DrawFn) -> list[Sample]:
    """Interval samples of 1-10 minutes, sometimes with gaps, min <= mean <= max."""
    out, at = [], T0
    for _ in range(draw(st.integers(1, 120))):
        at += draw(st.sampled_from([0, 0, 0, 0, 5, 30])) * MIN  # occasional gaps
        length = draw(st.integers(1, 10)) * MIN
        a, b = sorted((draw(temps), draw(temps)))
        out.append(Sample(at, at + length, t_lo=a, t_hi=b, t_mean=(a + b) / 2))
        at += length
    return out


@st.composite
def rules(draw: st.DrawFn) -> CompiledRule:
    """A rule with any mix of checks."""
    high = draw(st.floats(6.0, 12.0))
    spec: dict[str, object] = {"name": "p", "escalate": {"after": draw(st.integers(5, 90)) * 60}}
    if draw(st.booleans()):
        spec["high"] = {
            "limit": high,
            "delay": draw(st.integers(0, 40)) * 60,
            "deadband": draw(st.floats(0, 2)),
        }
    if draw(st.booleans()):
        spec["low"] = {
            "limit": high - draw(st.floats(2, 8)),
            "delay": draw(st.integers(0, 40)) * 60,
        }
    if draw(st.booleans()):
        window = draw(st.sampled_from([None, 3600, 7200]))
        spec["budget"] = {"above": high, "total": draw(st.integers(1, 60)) * 60, "window": window}
    if draw(st.booleans()):
        spec["rate"] = {
            "max_per_hour": draw(st.floats(5, 60)),
            "over": draw(st.integers(1, 20)) * 60,
        }
    spec["offline"] = {"after": draw(st.integers(1, 20)) * 60}
    return compile_rule(1, RuleSpec.model_validate(spec))


def run(rule: CompiledRule, samples: list[Sample], state: SensorRuleState) -> list[Decision]:
    return [d for s in samples for d in evaluate(rule, state, s)]


@settings(max_examples=200, deadline=None)
@given(rules(), streams(), st.integers(0, 200))
def test_replay_from_saved_state_gives_the_same_decisions(
    rule: CompiledRule, samples: list[Sample], cut: int
) -> None:
    whole = run(rule, samples, SensorRuleState())
    state = SensorRuleState()
    first = run(rule, samples[:cut], state)
    saved = json.loads(json.dumps(state.to_dict()))  # as the store keeps it
    rest = run(rule, samples[cut:], SensorRuleState.from_dict(saved))
    assert first + rest == whole


@settings(max_examples=200, deadline=None)
@given(rules(), streams(), st.lists(st.integers(0, 60), max_size=20))
def test_one_alert_per_excursion(
    rule: CompiledRule, samples: list[Sample], ticks: list[int]
) -> None:
    """Per check: open, perhaps escalate once, clear; never two opens in a row."""
    state, decisions = SensorRuleState(), []
    for i, sample in enumerate(samples):
        if i in ticks:
            decisions += tick(rule, state, sample.start_ms)
        decisions += evaluate(rule, state, sample)
    by_check: defaultdict[Check, list[Action]] = defaultdict(list)
    for d in decisions:
        by_check[d.check].append(d.action)
    for actions in by_check.values():
        text = "".join(a.value[0] for a in actions)  # o, e, c
        assert text.replace("oec", "").replace("oc", "") in ("", "o", "oe")


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 60),
    st.integers(1, 120),
    st.lists(st.integers(1, 10), min_size=1, max_size=30),
    st.floats(8.01, 30),
)
def test_steady_excursion_alarms_exactly_at_delay(
    delay_min: int, out_min: int, lengths: list[int], value: float
) -> None:
    """However the intervals are cut, a steady excursion alarms at start + delay, if ever."""
    rule = compile_rule(1, RuleSpec(name="s", high={"limit": 8.0, "delay": delay_min * 60}))
    samples, at = [Sample(T0 - MIN, T0, t_lo=5, t_hi=5, t_mean=5)], T0
    for length in lengths:
        end = min(at + length * MIN, T0 + out_min * MIN)
        if end > at:
            samples.append(Sample(at, end, t_lo=value, t_hi=value, t_mean=value))
        at = end
    samples.append(Sample(at, at + MIN, t_lo=5, t_hi=5, t_mean=5))
    decisions = run(rule, samples, SensorRuleState())
    lasted = (at - T0) / MIN
    if lasted >= delay_min:
        assert [(d.action, d.at_ms) for d in decisions] == [
            (Action.OPEN, T0 + delay_min * MIN),
            (Action.CLEAR, at + MIN),
        ]
        assert decisions[1].out_ms == at - T0
    else:
        assert decisions == []
