"""Alert rules in the store: create, change, delete, load a rules file, and the compiled book."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.domain.conditions.book import RuleBook
from cloud.domain.conditions.compiled import compile_rule
from cloud.domain.conditions.rules import RuleSpec
from cloud.domain.conditions.vocab import ExcursionStatus, RuleOrigin
from cloud.enums import AlertStatus
from cloud.errors import ConflictError, NotFoundError
from cloud.store.models import Alert, AlertRule, Excursion, utcnow

logger = logging.getLogger(__name__)


def get_rule(session: Session, name: str) -> AlertRule:
    """The stored rule of this name, or NotFoundError."""
    found = session.scalars(select(AlertRule).where(AlertRule.name == name)).one_or_none()
    if found is None:
        raise NotFoundError(f"alert rule {name!r} does not exist")
    return found


def create_rule(session: Session, spec: RuleSpec, origin: RuleOrigin = RuleOrigin.API) -> AlertRule:
    """Store a new rule; ConflictError if the name is taken."""
    taken = session.scalars(select(AlertRule.id).where(AlertRule.name == spec.name)).first()
    if taken is not None:
        raise ConflictError(f"alert rule {spec.name!r} exists already")
    rule = AlertRule(name=spec.name, enabled=spec.enabled, origin=origin.value, spec=_json(spec))
    session.add(rule)
    session.flush()
    return rule


def replace_rule(session: Session, name: str, spec: RuleSpec) -> AlertRule:
    """Change a rule (its name may change too); its state on each sensor carries on."""
    rule = get_rule(session, name)
    if spec.name != name:
        clash = session.scalars(select(AlertRule.id).where(AlertRule.name == spec.name)).first()
        if clash is not None:
            raise ConflictError(f"alert rule {spec.name!r} exists already")
    rule.name, rule.enabled, rule.spec, rule.updated_at = (
        spec.name,
        spec.enabled,
        _json(spec),
        utcnow(),
    )
    if not spec.enabled:
        close_excursions(session, rule.id, f"rule {name} switched off")
    session.flush()
    return rule


def delete_rule(session: Session, name: str) -> None:
    """Remove a rule; its excursions stay (with the rule's name), its state goes."""
    rule = get_rule(session, name)
    close_excursions(session, rule.id, f"rule {name} deleted")
    session.delete(rule)
    session.flush()


def close_excursions(session: Session, rule_id: int, why: str) -> int:
    """Close a rule's open excursions now and clear their alerts (nothing evaluates them any
    more, so nothing else would)."""
    now = utcnow()
    query = select(Excursion).where(
        Excursion.rule_id == rule_id, Excursion.status == ExcursionStatus.OPEN.value
    )
    found = list(session.scalars(query))
    for excursion in found:
        excursion.status, excursion.ended_at = ExcursionStatus.CLOSED.value, now
        alert = session.get(Alert, excursion.alert_id) if excursion.alert_id else None
        if alert is not None and alert.status != AlertStatus.CLEARED.value:
            alert.status, alert.cleared_at, alert.cleared_by = (
                AlertStatus.CLEARED.value,
                now,
                "system",
            )
            alert.message += f" ({why})"
    if found:
        logger.info("%s: %s open excursions closed", why, len(found))
    return len(found)


@dataclass(frozen=True, slots=True)
class Loaded:
    """What loading a rules file did."""

    created: int
    updated: int
    removed: int


def load_file_rules(session: Session, specs: Sequence[RuleSpec]) -> Loaded:
    """Make the file's rules the stored file rules: add, change, and drop those gone from it.

    A rule of the same name made through the API is taken over by the file.
    """
    stored = {r.name: r for r in session.scalars(select(AlertRule))}
    created = updated = 0
    for spec in specs:
        rule = stored.pop(spec.name, None)
        if rule is None:
            create_rule(session, spec, RuleOrigin.FILE)
            created += 1
        elif rule.spec != _json(spec) or rule.origin != RuleOrigin.FILE.value:
            replace_rule(session, spec.name, spec)
            rule.origin = RuleOrigin.FILE.value
            updated += 1
    gone = [rule for rule in stored.values() if rule.origin == RuleOrigin.FILE.value]
    for rule in gone:
        close_excursions(session, rule.id, f"rule {rule.name} left the rules file")
        session.delete(rule)
    session.flush()
    logger.info("rules file: %s created, %s updated, %s removed", created, updated, len(gone))
    return Loaded(created, updated, len(gone))


def _json(spec: RuleSpec) -> dict[str, object]:
    return spec.model_dump(mode="json", exclude_defaults=True)


class RuleCache:
    """The compiled book of the stored rules, rebuilt only when the rules changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mark: tuple[object, ...] | None = None
        self._book = RuleBook.of(())

    def book(self, session: Session) -> RuleBook:
        """The book as of this transaction (one cheap query when nothing changed)."""
        counts = select(
            func.count(AlertRule.id), func.max(AlertRule.id), func.max(AlertRule.updated_at)
        )
        # Keyed by database too: one process may serve several (tests do).
        mark = (str(session.get_bind().engine.url), *session.execute(counts).one())
        with self._lock:
            if mark != self._mark:
                rules = session.scalars(select(AlertRule).order_by(AlertRule.id))
                self._book = RuleBook.of(
                    compile_rule(r.id, RuleSpec.model_validate(r.spec)) for r in rules
                )
                self._mark = mark
            return self._book


RULES = RuleCache()  # one per process: every transaction checks it is current
