"""Applier of condition samples: store them, run the alert rules, carry out the decisions.

Registered in cloud.ingest.appliers; runs inside the message's transaction on new events only.
The rule state of each (rule, sensor) lives in the store, locked while a batch uses it, so
that any worker carries on where another stopped; a sample older than the last one evaluated
for a rule is stored but not evaluated (counted as late in the state).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from cloud.domain.conditions.book import RuleBook
from cloud.domain.conditions.compiled import CompiledRule
from cloud.domain.conditions.engine import Decision, Sample, evaluate, offline_due, rebind
from cloud.domain.conditions.state import NONE, SensorRuleState
from cloud.services import condition_alerts
from cloud.services.condition_alerts import Notice, Where
from cloud.services.condition_rules import RULES
from cloud.services.condition_subjects import Bound, Subjects
from cloud.services.inbound import Tx
from cloud.store.bulk import insert_ignoring, insert_rows, is_postgres, table_of
from cloud.store.models import ConditionRecord, Gateway, RuleState, Sensor, utcnow
from protocol.messages import ConditionSample, WireModel, ms_to_datetime
from protocol.topics import Kind

logger = logging.getLogger(__name__)

KIND = Kind.CONDITION
SAMPLES_TOPIC = "condition.samples"


def apply(tx: Tx, gateway: Gateway, events: Sequence[WireModel]) -> list[Notice]:
    """Store and evaluate a batch of new condition samples of one gateway."""
    samples = sorted((e for e in events if isinstance(e, ConditionSample)), key=_order)
    if not samples:
        return []
    sensors = sensors_of(tx, gateway, {s.sensor for s in samples})
    insert_rows(tx.session, ConditionRecord, [_row(sensors[s.sensor].id, s) for s in samples])
    by_sensor: defaultdict[str, list[ConditionSample]] = defaultdict(list)
    for sample in samples:
        by_sensor[sample.sensor].append(sample)
    notices: list[Notice] = []
    run = Run(tx, Subjects(tx.session), RULES.book(tx.session))
    for code, own in by_sensor.items():
        sensor = sensors[code]
        _touch(sensor, own)
        notices += run.sensor(sensor, own)
    run.save()
    notices.append((SAMPLES_TOPIC, {"gateway": gateway.code, "samples": len(samples)}))
    return notices


def _order(sample: ConditionSample) -> tuple[str, int, int]:
    return sample.sensor, sample.time_ms, sample.start_ms


def sensors_of(tx: Tx, gateway: Gateway, codes: Iterable[str]) -> dict[str, Sensor]:
    """The gateway's sensors with these codes, registered on first sight."""
    rows = [
        {"gateway_id": gateway.id, "code": c, "description": "", "created_at": utcnow()}
        for c in sorted(codes)
    ]
    insert_ignoring(tx.session, Sensor, rows, ("gateway_id", "code"))
    query = select(Sensor).where(Sensor.gateway_id == gateway.id)
    found = tx.session.scalars(query.where(Sensor.code.in_([r["code"] for r in rows])))
    return {sensor.code: sensor for sensor in found}


def _row(sensor_id: int, s: ConditionSample) -> dict[str, Any]:
    return {
        "sensor_id": sensor_id,
        "event_id": s.id,
        "start_at": ms_to_datetime(s.start_ms),
        "end_at": ms_to_datetime(s.time_ms),
        "count": s.count,
        "bad": s.bad,
        "temp_min": s.temp_min,
        "temp_max": s.temp_max,
        "temp_mean": s.temp_mean,
        "rh_min": s.rh_min,
        "rh_max": s.rh_max,
        "rh_mean": s.rh_mean,
    }


def _touch(sensor: Sensor, samples: list[ConditionSample]) -> None:
    last = ms_to_datetime(max(s.time_ms for s in samples))
    if sensor.last_sample_at is None or last > sensor.last_sample_at:
        sensor.last_sample_at = last


def engine_sample(s: ConditionSample) -> Sample:
    """The engine's view of a wire sample."""
    return Sample(
        s.start_ms, s.time_ms, s.temp_min, s.temp_max, s.temp_mean, s.rh_min, s.rh_max, s.rh_mean
    )


@dataclass
class Run:
    """One batch's evaluation: states loaded (and locked) once, decisions applied in order."""

    tx: Tx
    subjects: Subjects
    book: RuleBook
    states: dict[tuple[int, int], SensorRuleState] = field(default_factory=dict)
    rules: dict[int, CompiledRule] = field(default_factory=dict)

    def sensor(self, sensor: Sensor, samples: list[ConditionSample]) -> list[Notice]:
        """Evaluate one sensor's samples (in time order) against the rules of its subject."""
        notices: list[Notice] = []
        for wire in samples:
            bound = self.subjects.at(sensor.id, ms_to_datetime(wire.start_ms))
            sample = engine_sample(wire)
            rules = self.book.for_subject(bound.subject)
            self._load(sensor.id, rules)
            for rule in rules:
                decisions = self._evaluate(rule, sensor.id, bound, sample)
                notices += self._carry_out(rule, sensor, bound, decisions)
        return notices

    def _evaluate(
        self, rule: CompiledRule, sensor_id: int, bound: Bound, sample: Sample
    ) -> list[Decision]:
        state = self.states[(rule.id, sensor_id)]
        decisions: list[Decision] = []
        if state.subject != bound.subject.key:
            if state.last_end != NONE:  # a new subject: what was open there ends here
                decisions += rebind(rule, state, sample.start_ms)
            state = SensorRuleState(bound.subject.key)
            self.states[(rule.id, sensor_id)] = state
        decisions += evaluate(rule, state, sample, bound.subject.started_ms)
        return decisions

    def _carry_out(
        self, rule: CompiledRule, sensor: Sensor, bound: Bound, decisions: list[Decision]
    ) -> list[Notice]:
        where = Where(rule, sensor, bound)
        done = [condition_alerts.apply(self.tx, where, d) for d in decisions]
        return [notice for notice in done if notice is not None]

    def _load(self, sensor_id: int, rules: Iterable[CompiledRule]) -> None:
        missing = [r for r in rules if (r.id, sensor_id) not in self.states]
        if not missing:
            return
        self.rules.update((r.id, r) for r in missing)
        load_states(self.tx, sensor_id, missing, self.states)

    def save(self) -> None:
        """Write every state back."""
        now = utcnow()
        for (rule_id, sensor_id), state in self.states.items():
            row = self.tx.session.get_one(RuleState, (rule_id, sensor_id))
            row.state, row.updated_at = state.to_dict(), now
            due = offline_due(self.rules[rule_id], state)
            row.offline_due_at = ms_to_datetime(int(due)) if due != NONE else None


def load_states(
    tx: Tx,
    sensor_id: int,
    rules: Sequence[CompiledRule],
    into: dict[tuple[int, int], SensorRuleState],
) -> None:
    """Load (making them if need be) and lock the states of these rules on one sensor."""
    rows = [
        {"rule_id": r.id, "sensor_id": sensor_id, "state": {}, "updated_at": utcnow()}
        for r in rules
    ]
    # Not the bulk helper: it sends arrays, and psycopg cannot send an array of JSON values.
    dialect = postgresql if is_postgres(tx.session) else sqlite
    keys = ["rule_id", "sensor_id"]
    tx.session.execute(
        dialect.insert(table_of(RuleState)).on_conflict_do_nothing(index_elements=keys), rows
    )
    query = select(RuleState).where(
        RuleState.sensor_id == sensor_id, RuleState.rule_id.in_([r.id for r in rules])
    )
    for row in tx.session.scalars(query.with_for_update()):
        into[(row.rule_id, row.sensor_id)] = SensorRuleState.from_dict(row.state)
