"""Rule files: what is accepted, what is refused and why; which rules reach a sensor."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cloud.domain.conditions.book import RuleBook, Subject
from cloud.domain.conditions.compiled import compile_rule
from cloud.domain.conditions.rules import load_rules, parse_duration

EXAMPLE = """
rules:
  - name: vaccines-2-8
    applies_to: {item_class: vaccine}
    severity: critical
    high: {limit: 8, delay: 30m, deadband: 0.5}
    low: {limit: 2, delay: 30m, deadband: 0.5}
    offline: {after: 20m}
    escalate: {after: 2h}
    quarantine: true
  - name: reefer-heat
    applies_to: {location_type: transit}
    budget: {above: 30, total: 10h}
    ignore_start: 1h
  - name: cold-room
    applies_to: {location: DC/COLD}
    rate: {max_per_hour: 5, over: 15m}
  - name: humid
    metric: humidity
    high: {limit: 80}
"""


def test_the_example_file_loads() -> None:
    specs = load_rules(EXAMPLE)
    assert [s.name for s in specs] == ["vaccines-2-8", "reefer-heat", "cold-room", "humid"]
    rule = compile_rule(1, specs[0])
    assert rule.high is not None
    assert rule.high.delay_ms == 30 * 60_000
    assert rule.low is not None
    assert rule.low.limit == -2
    assert rule.escalate_ms == 2 * 3600_000
    assert rule.escalate_severity == "critical"
    assert compile_rule(2, specs[1]).ignore_ms == 3600_000


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (90, 90.0),
        ("90s", 90.0),
        ("30m", 1800.0),
        ("1.5h", 5400.0),
        ("7d", 604800.0),
        ("250ms", 0.25),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("rules: [{name: a}]", "at least one of high"),
        ("rules: [{name: a, high: {limit: 8}, colour: red}]", "colour"),
        ("rules: [{name: a, high: {limit: 2}, low: {limit: 8}}]", "below high.limit"),
        ("rules: [{name: a, high: {limit: 8, delay: soon}}]", "not a duration"),
        ("rules: [{name: a, high: {limit: 8}}, {name: a, low: {limit: 1}}]", "a repeated"),
        ("rules: [{name: a, budget: {total: 1h}}]", "exactly one of above, below"),
        ("rules: [{name: a, high: {limit: 8}, applies_to: {location: X, vehicle: T}}]", "one of"),
        ("rules: [{name: 'no spaces', high: {limit: 8}}]", "pattern"),
        ("rules: [{name: a", "not YAML"),
    ],
)
def test_refused_with_the_reason(text: str, complaint: str) -> None:
    with pytest.raises((ValidationError, ValueError), match=complaint):
        load_rules(text)


def test_an_empty_file_has_no_rules() -> None:
    assert load_rules("") == []


def test_the_book_finds_the_rules_of_a_subject() -> None:
    specs = load_rules(EXAMPLE + "  - {name: unused, enabled: false, high: {limit: 1}}\n")
    book = RuleBook.of(compile_rule(i, s) for i, s in enumerate(specs, 1))
    cold_bin = Subject(
        "location:7",
        locations=("DC/COLD/A1", "DC/COLD", "DC"),
        location_type="storage",
        item_classes=frozenset({"vaccine"}),
    )
    assert [r.name for r in book.for_subject(cold_bin)] == ["vaccines-2-8", "cold-room", "humid"]
    truck = Subject("shipment:3", locations=("T-SH-1",), location_type="transit", shipment="SH-1")
    assert [r.name for r in book.for_subject(truck)] == ["reefer-heat", "humid"]
    assert [r.name for r in book.for_subject(Subject(""))] == ["humid"]
    assert book.by_id(5) is not None
    assert book.by_id(99) is None
