"""Rules compiled for the engine: milliseconds and plain numbers, nothing looked up per sample."""

from __future__ import annotations

from dataclasses import dataclass

from cloud.domain.conditions.rules import Metric, RuleSpec, Threshold

NO_LIMIT = None


@dataclass(frozen=True, slots=True)
class Level:
    """A threshold on the sign-adjusted metric: beyond means value > limit."""

    limit: float
    delay_ms: float
    deadband: float
    sign: float  # +1 for high, -1 for low (values are negated, so low is high of -value)


@dataclass(frozen=True, slots=True)
class BudgetLevel:
    """A cumulative budget on the sign-adjusted metric."""

    limit: float
    total_ms: float
    window_ms: float  # 0: since the sensor was bound
    sign: float


@dataclass(frozen=True, slots=True)
class RateLevel:
    """A rate-of-change limit, per hour, compared over `over_ms`."""

    max_per_hour: float
    over_ms: float
    delay_ms: float
    deadband: float


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """One rule ready for the engine."""

    id: int
    name: str
    humidity: bool
    severity: str
    high: Level | None
    low: Level | None
    budget: BudgetLevel | None
    rate: RateLevel | None
    offline_ms: float  # 0: no offline check
    ignore_ms: float
    escalate_ms: float  # 0: no escalation
    escalate_severity: str
    quarantine: bool
    spec: RuleSpec


def _level(threshold: Threshold | None, sign: float) -> Level | None:
    if threshold is None:
        return None
    limit = threshold.limit * sign
    return Level(limit, threshold.delay * 1000.0, threshold.deadband, sign)


def compile_rule(rule_id: int, spec: RuleSpec) -> CompiledRule:
    """The engine's form of a rule."""
    budget = None
    if spec.budget is not None:
        sign = 1.0 if spec.budget.above is not None else -1.0
        level = spec.budget.above if spec.budget.above is not None else spec.budget.below
        assert level is not None  # the spec requires exactly one
        window = (spec.budget.window or 0.0) * 1000.0
        budget = BudgetLevel(level * sign, spec.budget.total * 1000.0, window, sign)
    rate = None
    if spec.rate is not None:
        r = spec.rate
        rate = RateLevel(r.max_per_hour, r.over * 1000.0, r.delay * 1000.0, r.deadband)
    escalate = spec.escalate
    return CompiledRule(
        id=rule_id,
        name=spec.name,
        humidity=spec.metric is Metric.HUMIDITY,
        severity=spec.severity.value,
        high=_level(spec.high, 1.0),
        low=_level(spec.low, -1.0),
        budget=budget,
        rate=rate,
        offline_ms=spec.offline.after * 1000.0 if spec.offline else 0.0,
        ignore_ms=spec.ignore_start * 1000.0,
        escalate_ms=escalate.after * 1000.0 if escalate else 0.0,
        escalate_severity=escalate.severity.value if escalate else spec.severity.value,
        quarantine=spec.quarantine,
        spec=spec,
    )
