"""The rule engine: state of one rule on one sensor + a sample in, decisions out. Pure.

Samples are intervals with min, max and mean. Within an interval the metric is taken to move
monotonically, so the time beyond a limit is estimated as a linear ramp from min to max, and
the part beyond the limit sits at the end of the interval when the previous one ended inside,
at the start when it ended beyond (an excursion entering, then leaving). A spike inside one
interval therefore counts for a fraction of it, not all of it.

Same state, same samples, same decisions: replaying a stream gives the same alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cloud.domain.conditions.compiled import BudgetLevel, CompiledRule, Level, RateLevel
from cloud.domain.conditions.state import (
    NONE,
    BudgetState,
    LevelState,
    OfflineState,
    SensorRuleState,
)
from cloud.domain.conditions.vocab import Check

MS_PER_HOUR = 3_600_000.0


class Action(StrEnum):
    """What the engine decided."""

    OPEN = "open"
    ESCALATE = "escalate"
    CLEAR = "clear"


@dataclass(frozen=True, slots=True)
class Sample:
    """One sensor interval: [start_ms, end_ms] with min/max/mean per metric (None: no value)."""

    start_ms: int
    end_ms: int
    t_lo: float | None = None
    t_hi: float | None = None
    t_mean: float | None = None
    h_lo: float | None = None
    h_hi: float | None = None
    h_mean: float | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """Open, escalate or clear the alert of one check's excursion."""

    action: Action
    check: Check
    at_ms: float  # when, in sample time
    started_ms: float  # when the excursion began
    ended_ms: float  # when it ended (clear only), else -1
    peak: float | None  # most extreme value, in the metric's unit
    out_ms: float  # time beyond the limit (or used budget) so far
    limit: float | None  # the limit, in the metric's unit
    severity: str


NOTHING: tuple[Decision, ...] = ()


def evaluate(
    rule: CompiledRule, state: SensorRuleState, sample: Sample, subject_start: float = NONE
) -> list[Decision] | tuple[Decision, ...]:
    """Decisions for one new sample; the state moves on. Samples older than the last are late.

    subject_start: when the sensor's shipment started; the rule's ignore_start runs from it.
    """
    if sample.end_ms <= state.last_end:
        state.late += 1
        return NOTHING
    if rule.humidity:
        lo, hi, mean = sample.h_lo, sample.h_hi, sample.h_mean
    else:
        lo, hi, mean = sample.t_lo, sample.t_hi, sample.t_mean
    start = max(sample.start_ms, state.last_end)
    end = sample.end_ms
    state.last_end = end
    if lo is None or hi is None or mean is None:
        return NOTHING  # missing data: the offline check will see the silence
    out: list[Decision] = []
    if rule.offline_ms:
        _seen(rule, state, start, out)
    state.last_seen = end
    ignore_until = subject_start + rule.ignore_ms if subject_start != NONE else NONE
    if end <= ignore_until:
        return out
    start = max(start, ignore_until)
    if rule.high is not None:
        st = _level_state(state, high=True)
        _level(rule, rule.high, st, lo, hi, start=start, end=end, check=Check.HIGH, out=out)
    if rule.low is not None:
        st = _level_state(state, high=False)
        _level(rule, rule.low, st, -hi, -lo, start=start, end=end, check=Check.LOW, out=out)
    if rule.budget is not None:
        _budget(rule, rule.budget, state, lo, hi, start=start, end=end, out=out)
    if rule.rate is not None:
        _rate(rule, rule.rate, state, mean, mid=(start + end) / 2, out=out)
    return out


def tick(rule: CompiledRule, state: SensorRuleState, now_ms: float) -> list[Decision]:
    """Decisions of the periodic check at now_ms: a sensor gone silent, escalation of that."""
    out: list[Decision] = []
    if not rule.offline_ms or state.last_seen == NONE:
        return out
    off = state.offline or OfflineState()
    state.offline = off
    if not off.alarmed and now_ms - state.last_seen > rule.offline_ms:
        off.alarmed, off.alarm_at = True, state.last_seen + rule.offline_ms
        at = off.alarm_at
        out.append(_offline(rule, Action.OPEN, state, at=at, ended=NONE, severity=rule.severity))
    escalating = off.alarmed and rule.escalate_ms and not off.escalated
    if escalating and now_ms - off.alarm_at >= rule.escalate_ms:
        off.escalated = True
        at, severity = off.alarm_at + rule.escalate_ms, rule.escalate_severity
        out.append(_offline(rule, Action.ESCALATE, state, at=at, ended=NONE, severity=severity))
    return out


def offline_due(rule: CompiledRule, state: SensorRuleState) -> float:
    """When the periodic check must next look at this state (ms), or -1 if never."""
    if not rule.offline_ms or state.last_seen == NONE:
        return NONE
    off = state.offline
    if off is None or not off.alarmed:
        return state.last_seen + rule.offline_ms
    if rule.escalate_ms and not off.escalated:
        return off.alarm_at + rule.escalate_ms
    return NONE


def rebind(rule: CompiledRule, state: SensorRuleState, at_ms: float) -> list[Decision]:
    """Close every open excursion of the state at at_ms (its sensor now measures another
    subject); the caller starts a fresh state for the new subject."""
    out: list[Decision] = []
    for check, level in (
        (Check.HIGH, state.high),
        (Check.LOW, state.low),
        (Check.RATE, state.rate),
    ):
        if level is not None and level.alarmed:
            out.append(_level_decision(rule, check, Action.CLEAR, level, at=at_ms, ended=at_ms))
    if state.offline is not None and state.offline.alarmed:
        severity = rule.severity
        out.append(_offline(rule, Action.CLEAR, state, at=at_ms, ended=at_ms, severity=severity))
    if state.budget is not None and state.budget.fired and rule.budget is not None:
        budget = state.budget
        out.append(_budget_decision(rule, rule.budget, budget, Action.CLEAR, at=at_ms, ended=at_ms))
    return out


def _level_state(state: SensorRuleState, *, high: bool) -> LevelState:
    found = state.high if high else state.low
    if found is None:
        found = LevelState()
        if high:
            state.high = found
        else:
            state.low = found
    return found


def _seen(rule: CompiledRule, state: SensorRuleState, start: float, out: list[Decision]) -> None:
    """A value arrived: clear a silence alarm, or report a silence nobody was there to see."""
    off, severity = state.offline, rule.severity
    if off is not None and off.alarmed:
        out.append(_offline(rule, Action.CLEAR, state, at=start, ended=start, severity=severity))
        off.alarmed, off.escalated = False, False
    elif state.last_seen != NONE and start - state.last_seen > rule.offline_ms:
        at = state.last_seen + rule.offline_ms
        out.append(_offline(rule, Action.OPEN, state, at=at, ended=NONE, severity=severity))
        out.append(_offline(rule, Action.CLEAR, state, at=start, ended=start, severity=severity))


def _offline(
    rule: CompiledRule,
    action: Action,
    state: SensorRuleState,
    *,
    at: float,
    ended: float,
    severity: str,
) -> Decision:
    silent = (ended if ended != NONE else at) - state.last_seen
    return Decision(
        action,
        Check.OFFLINE,
        at,
        state.last_seen,
        ended,
        None,
        silent,
        rule.offline_ms / 1000.0,
        severity,
    )


def _segment(
    was_out: bool, lo: float, hi: float, start: float, end: float, *, limit: float
) -> tuple[float, float, bool]:
    """The part of [start, end] beyond limit as (from, to, ends beyond); from == to: none."""
    if lo > limit:
        return start, end, True
    if hi <= limit:
        return end, end, False
    part = (end - start) * (hi - limit) / (hi - lo)
    if was_out:
        return start, start + part, False  # leaving: beyond at the start
    return end - part, end, True  # entering: beyond at the end


def _level(
    rule: CompiledRule,
    level: Level,
    st: LevelState,
    lo: float,
    hi: float,
    *,
    start: float,
    end: float,
    check: Check,
    out: list[Decision],
) -> None:
    seg_from, seg_to, ends_out = _segment(st.was_out, lo, hi, start, end, limit=level.limit)
    st.was_out = ends_out
    if st.alarmed:
        _alarmed(rule, level, st, hi, seg=(seg_from, seg_to), end=end, check=check, out=out)
        return
    if seg_to > seg_from:
        if st.run_start == NONE:
            st.run_start, st.run_out, st.peak = seg_from, 0.0, hi
        st.run_out += seg_to - seg_from
        st.peak = max(st.peak, hi)
        if st.run_out >= level.delay_ms:
            _open(rule, level, st, check, seg_to=seg_to, out=out)
            return
    if not ends_out:
        st.reset_run()


def _open(
    rule: CompiledRule,
    level: Level,
    st: LevelState,
    check: Check,
    *,
    seg_to: float,
    out: list[Decision],
) -> None:
    st.alarmed, st.escalated = True, False
    # The moment the run reached the delay, inside the part just added.
    st.alarm_at = seg_to - (st.run_out - level.delay_ms)
    st.out, st.last_out_end = st.run_out, seg_to
    out.append(_level_decision(rule, check, Action.OPEN, st, at=st.alarm_at, ended=NONE))


def _alarmed(
    rule: CompiledRule,
    level: Level,
    st: LevelState,
    hi: float,
    *,
    seg: tuple[float, float],
    end: float,
    check: Check,
    out: list[Decision],
) -> None:
    seg_from, seg_to = seg
    if seg_to > seg_from:
        st.out += seg_to - seg_from
        st.last_out_end = seg_to
        st.peak = max(st.peak, hi)
    if rule.escalate_ms and not st.escalated and end - st.alarm_at >= rule.escalate_ms:
        st.escalated = True
        at = st.alarm_at + rule.escalate_ms
        out.append(_level_decision(rule, check, Action.ESCALATE, st, at=at, ended=NONE))
    if hi <= level.limit - level.deadband:
        out.append(_level_decision(rule, check, Action.CLEAR, st, at=end, ended=st.last_out_end))
        st.alarmed, st.was_out = False, False
        st.reset_run()


def _limit(level: Level | RateLevel) -> float:
    return level.limit if isinstance(level, Level) else level.max_per_hour


def _level_decision(
    rule: CompiledRule, check: Check, action: Action, st: LevelState, *, at: float, ended: float
) -> Decision:
    level = {Check.HIGH: rule.high, Check.LOW: rule.low, Check.RATE: rule.rate}[check]
    assert level is not None
    sign = level.sign if isinstance(level, Level) else 1.0
    limit = _limit(level) * sign
    severity = rule.escalate_severity if st.escalated else rule.severity
    start = st.run_start if st.run_start != NONE else at
    return Decision(action, check, at, start, ended, st.peak * sign, st.out, limit, severity)


def _rate(
    rule: CompiledRule,
    rate: RateLevel,
    state: SensorRuleState,
    mean: float,
    *,
    mid: float,
    out: list[Decision],
) -> None:
    if state.rate_ref_t == NONE:
        state.rate_ref_t, state.rate_ref_v = mid, mean
        return
    span = mid - state.rate_ref_t
    if span < rate.over_ms:
        return
    value = abs(mean - state.rate_ref_v) / span * MS_PER_HOUR
    start = state.rate_ref_t
    state.rate_ref_t, state.rate_ref_v = mid, mean
    st = state.rate or LevelState()
    state.rate = st
    level = Level(rate.max_per_hour, rate.delay_ms, rate.deadband, 1.0)
    _level(rule, level, st, value, value, start=start, end=mid, check=Check.RATE, out=out)


def _budget(
    rule: CompiledRule,
    budget: BudgetLevel,
    state: SensorRuleState,
    lo: float,
    hi: float,
    *,
    start: float,
    end: float,
    out: list[Decision],
) -> None:
    st = state.budget or BudgetState()
    state.budget = st
    if budget.sign < 0:
        lo, hi = -hi, -lo
    seg_from, seg_to, st.was_out = _segment(st.was_out, lo, hi, start, end, limit=budget.limit)
    if budget.window_ms:
        _expire(st, end - budget.window_ms)
    if seg_to > seg_from:
        if st.first_out == NONE:
            st.first_out, st.peak = seg_from, hi
        st.peak = max(st.peak, hi)
        st.used += seg_to - seg_from
        if budget.window_ms:
            _keep(st, seg_from, seg_to)
    if not st.fired and st.used >= budget.total_ms:
        st.fired, st.fired_at = True, seg_to - (st.used - budget.total_ms)
        out.append(_budget_decision(rule, budget, st, Action.OPEN, at=st.fired_at, ended=NONE))
    elif st.fired and budget.window_ms and st.used < budget.total_ms:
        out.append(_budget_decision(rule, budget, st, Action.CLEAR, at=end, ended=end))
        st.fired = False


def _keep(st: BudgetState, seg_from: float, seg_to: float) -> None:
    """Remember a piece for the rolling window, merged with the last if they touch."""
    if st.pieces is None:
        st.pieces = []
    if st.pieces and st.pieces[-1][1] >= seg_from:
        st.pieces[-1][1] = seg_to
    else:
        st.pieces.append([seg_from, seg_to])


def _expire(st: BudgetState, since: float) -> None:
    """Drop (or trim) the pieces of a rolling window that fell out of it."""
    pieces = st.pieces or []
    while pieces and pieces[0][0] < since:
        piece = pieces[0]
        cut = min(piece[1], since) - piece[0]
        st.used -= cut
        piece[0] += cut
        if piece[0] >= piece[1]:
            pieces.pop(0)
    st.used = max(st.used, 0.0)
    st.pieces = pieces


def _budget_decision(
    rule: CompiledRule,
    budget: BudgetLevel,
    st: BudgetState,
    action: Action,
    *,
    at: float,
    ended: float,
) -> Decision:
    return Decision(
        action,
        Check.BUDGET,
        at,
        st.first_out,
        ended,
        st.peak * budget.sign,
        st.used,
        budget.limit * budget.sign,
        rule.severity,
    )
