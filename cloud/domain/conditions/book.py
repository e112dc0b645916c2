"""Which rules apply to a sensor: an index from scope to rules, so that a sample meets only its
own few rules, not all of them. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from cloud.domain.conditions.compiled import CompiledRule
from cloud.domain.conditions.state import NONE


@dataclass(frozen=True, slots=True)
class Subject:
    """What a sensor measures at a moment, as far as rules care."""

    key: str  # e.g. "location:12", "shipment:5", "vehicle:TRK-7"; "" when unbound
    locations: tuple[str, ...] = ()  # its location's code, then the codes above it
    location_type: str | None = None
    shipment: str | None = None
    vehicle: str | None = None
    item_classes: frozenset[str] = frozenset()
    started_ms: float = NONE  # when a shipment started (rules may ignore a period after)

    def scope_keys(self) -> list[tuple[str, str]]:
        """Every (scope kind, value) a rule could name to reach this subject."""
        keys = [("location", code) for code in self.locations]
        keys += [("item_class", name) for name in sorted(self.item_classes)]
        for kind, value in (
            ("location_type", self.location_type),
            ("shipment", self.shipment),
            ("vehicle", self.vehicle),
        ):
            if value is not None:
                keys.append((kind, value))
        return keys


@dataclass
class RuleBook:
    """Enabled rules indexed by scope; the rules of a subject are computed once and cached."""

    rules: tuple[CompiledRule, ...]
    _everywhere: list[CompiledRule] = field(default_factory=list)
    _scoped: dict[tuple[str, str], list[CompiledRule]] = field(default_factory=dict)
    _cache: dict[Subject, tuple[CompiledRule, ...]] = field(default_factory=dict)
    _ids: dict[int, CompiledRule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        scoped: defaultdict[tuple[str, str], list[CompiledRule]] = defaultdict(list)
        for rule in self.rules:
            if not rule.spec.enabled:
                continue
            key = rule.spec.applies_to.key
            if key is None:
                self._everywhere.append(rule)
            else:
                scoped[key].append(rule)
        self._scoped = dict(scoped)
        self._ids = {rule.id: rule for rule in self.rules}

    @classmethod
    def of(cls, rules: Iterable[CompiledRule]) -> RuleBook:
        """A book of these rules (disabled ones are left out)."""
        return cls(tuple(rules))

    def for_subject(self, subject: Subject) -> tuple[CompiledRule, ...]:
        """Every enabled rule that applies to the subject, by rule id."""
        found = self._cache.get(subject)
        if found is None:
            matches = {rule.id: rule for rule in self._everywhere}
            for key in subject.scope_keys():
                matches.update((rule.id, rule) for rule in self._scoped.get(key, ()))
            found = tuple(matches[i] for i in sorted(matches))
            self._cache[subject] = found
        return found

    def by_id(self, rule_id: int) -> CompiledRule | None:
        """The rule with this id, if the book has it."""
        return self._ids.get(rule_id)
