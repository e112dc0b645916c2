"""The periodic check: sensors gone silent raise their offline alerts without waiting for the
next sample; and the background component that runs it and loads the rules file at start."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.container import ServiceContainer
from cloud.domain.conditions.engine import offline_due, tick
from cloud.domain.conditions.rules import load_rules
from cloud.domain.conditions.state import NONE, SensorRuleState
from cloud.services import condition_alerts
from cloud.services.condition_alerts import Notice, Where
from cloud.services.condition_rules import RULES, Loaded, load_file_rules
from cloud.services.condition_subjects import Subjects
from cloud.services.inbound import Tx
from cloud.services.lookup import Lookup
from cloud.store.models import RuleState, Sensor, utcnow
from cloud.threads import ThreadWork
from protocol.messages import ms_to_datetime

logger = logging.getLogger(__name__)

BATCH = 500  # states per transaction


def check_offline(tx: Tx, now: datetime) -> list[Notice]:
    """Tick every state whose offline check is due; return notices of what it decided."""
    book = RULES.book(tx.session)
    query = (
        select(RuleState)
        .where(RuleState.offline_due_at <= now)
        .order_by(RuleState.offline_due_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)  # another worker's check takes the others
    )
    subjects, notices = Subjects(tx.session), []
    for row in tx.session.scalars(query):
        rule = book.by_id(row.rule_id)
        state = SensorRuleState.from_dict(row.state)
        if rule is None or not rule.spec.enabled:
            row.offline_due_at = None
            continue
        sensor = tx.session.get_one(Sensor, row.sensor_id)
        for decision in tick(rule, state, now.timestamp() * 1000):
            bound = subjects.at(sensor.id, ms_to_datetime(int(decision.at_ms)))
            notice = condition_alerts.apply(tx, Where(rule, sensor, bound), decision)
            notices += [notice] if notice else []
        due = offline_due(rule, state)
        row.state, row.updated_at = state.to_dict(), utcnow()
        row.offline_due_at = ms_to_datetime(int(due)) if due != NONE else None
    return notices


def load_rules_file(session: Session, path: str) -> Loaded:
    """Load the rules file into the store (ValueError or ValidationError if it is wrong)."""
    return load_file_rules(session, load_rules(Path(path).read_text(encoding="utf-8")))


class ConditionWatch:
    """Background component: loads the rules file, then runs the offline check periodically."""

    name = "condition-watch"

    def __init__(self, container: ServiceContainer) -> None:
        self.container = container
        self._task: asyncio.Task[None] | None = None
        self._threads = ThreadWork()
        self._stats: dict[str, Any] = {"checks": 0, "alerts": 0, "failures": 0}

    async def start(self) -> None:
        """Load the rules file (a bad file stops the start) and begin checking."""
        path = self.container.settings.conditions_rules_file
        if path:
            loaded = await self._threads.run(lambda: self._load(path))
            logger.info("rules file %s loaded: %s", path, loaded)
        self._task = asyncio.create_task(self._run(), name="condition-watch")

    async def stop(self) -> None:
        """Stop checking."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._threads.drain()  # a check on its thread finishes before the engine goes

    def health(self) -> dict[str, Any]:
        """Counters for /readyz."""
        return dict(self._stats)

    def check_now(self, now: datetime | None = None) -> list[Notice]:
        """One check in its own transaction; notices go to the live stream after the commit."""
        with self.container.transaction() as session:
            tx = Tx(session, Lookup(session), self.container.ledger)
            notices = check_offline(tx, now or utcnow())
        for topic, data in notices:
            self.container.bus.publish(topic, data)
        self._stats["checks"] += 1
        self._stats["alerts"] += len(notices)
        return notices

    def _load(self, path: str) -> Loaded:
        with self.container.transaction() as session:
            return load_rules_file(session, path)

    async def _run(self) -> None:
        every = self.container.settings.conditions_check_s
        while True:
            await asyncio.sleep(every)
            try:
                await self._threads.run(self.check_now)
            except Exception:
                # One failed check must not end the watch: log it, try again next time.
                self._stats["failures"] += 1
                logger.exception("condition check failed")


def condition_watch(container: ServiceContainer) -> ConditionWatch:
    """Component factory for create_app."""
    return ConditionWatch(container)
