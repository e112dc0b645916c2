"""Cloud rule evaluation: condition samples/s against 1,000 alert rules on one core, beside
baselines measured in the same run.

- engine: the rule book's scope index finds a sample's few rules, each updates its state
  incrementally (what the ingest runs);
- no index: the same incremental engine, but every sample checks all 1,000 rules' scopes;
- naive: every sample checks all rules' scopes, and each rule that applies re-scans the
  sensor's recent history (its delay window) from scratch to decide.

Run: .venv/bin/python -m bench.bench_rules [--samples N] [--naive-samples N]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence

from bench.machine import one_core
from cloud.domain.conditions.book import RuleBook, Subject
from cloud.domain.conditions.compiled import CompiledRule, compile_rule
from cloud.domain.conditions.engine import Decision, Sample, evaluate
from cloud.domain.conditions.rules import RuleSpec
from cloud.domain.conditions.state import SensorRuleState

T0 = 1_767_225_600_000
MINUTE = 60_000
HISTORY = 90  # samples a naive rule re-scans: 90 minutes of 1-minute samples
TYPES = [f"type{i}" for i in range(10)]
CLASSES = [f"class{i}" for i in range(20)]


def make_rules(count: int = 1000) -> list[CompiledRule]:
    """1 global, 10 per location type, 20 per item class, the rest one per location."""
    specs: list[dict[str, object]] = [
        {"name": "all-offline", "offline": {"after": "30m"}},
    ]
    specs += [
        {
            "name": f"t-{t}",
            "applies_to": {"location_type": t},
            "high": {"limit": 25, "delay": "15m", "deadband": 1},
        }
        for t in TYPES
    ]
    specs += [
        {"name": f"c-{c}", "applies_to": {"item_class": c}, "budget": {"above": 8, "total": "10h"}}
        for c in CLASSES
    ]
    for i in range(count - len(specs)):
        specs.append(
            {
                "name": f"loc-{i}",
                "applies_to": {"location": f"L{i:04d}"},
                "high": {"limit": 8, "delay": "30m", "deadband": 0.5},
                "low": {"limit": 2, "delay": "30m", "deadband": 0.5},
                "rate": {"max_per_hour": 6, "over": "15m"},
            }
        )
    return [compile_rule(n, RuleSpec.model_validate(s)) for n, s in enumerate(specs, 1)]


def make_subjects(locations: int, seed: int) -> list[Subject]:
    """One subject per location: its type and one item class."""
    rng = random.Random(seed)
    return [
        Subject(
            f"location:{i}",
            locations=(f"L{i:04d}",),
            location_type=rng.choice(TYPES),
            item_classes=frozenset({rng.choice(CLASSES)}),
        )
        for i in range(locations)
    ]


def make_samples(sensors: int, count: int, seed: int) -> list[tuple[int, Sample]]:
    """(sensor, 1-minute sample) in time order: 4-6 °C with noise and occasional warm hours."""
    rng = random.Random(seed)
    level = [5.0] * sensors
    out = []
    for k in range(count // sensors):
        start = T0 + k * MINUTE
        for sensor in range(sensors):
            if rng.random() < 0.001:
                level[sensor] = 12.0 if level[sensor] < 8 else 5.0
            mean = level[sensor] + rng.gauss(0, 0.3)
            out.append(
                (
                    sensor,
                    Sample(start, start + MINUTE, t_lo=mean - 0.2, t_hi=mean + 0.2, t_mean=mean),
                )
            )
    return out


Scoped = list[tuple[CompiledRule, tuple[str, str] | None]]


def scoped(rules: list[CompiledRule]) -> Scoped:
    """Each rule with its scope key, worked out once."""
    return [(rule, rule.spec.applies_to.key) for rule in rules]


def engine(rules: list[CompiledRule], subjects: list[Subject]) -> Callable[[int, Sample], int]:
    """The ingest's path: indexed lookup, incremental state."""
    book = RuleBook.of(rules)
    states: dict[tuple[int, int], SensorRuleState] = {}

    def step(sensor: int, sample: Sample) -> int:
        subject = subjects[sensor % len(subjects)]
        n = 0
        for rule in book.for_subject(subject):
            state = states.get((rule.id, sensor))
            if state is None:
                state = states[(rule.id, sensor)] = SensorRuleState(subject.key)
            n += len(evaluate(rule, state, sample))
        return n

    return step


def unindexed(rules: list[CompiledRule], subjects: list[Subject]) -> Callable[[int, Sample], int]:
    """Baseline: incremental state, but every rule's scope checked for every sample."""
    states: dict[tuple[int, int], SensorRuleState] = {}
    everyone = scoped(rules)

    def step(sensor: int, sample: Sample) -> int:
        subject = subjects[sensor % len(subjects)]
        keys, n = set(subject.scope_keys()), 0
        for rule, key in everyone:
            if key is None or key in keys:
                state = states.setdefault((rule.id, sensor), SensorRuleState(subject.key))
                n += len(evaluate(rule, state, sample))
        return n

    return step


def naive(
    rules: list[CompiledRule], subjects: list[Subject], before: Sequence[tuple[int, Sample]]
) -> Callable[[int, Sample], int]:
    """Baseline: every rule scanned, each applying rule replays the recent history anew
    (90 minutes, its longest delay window; filled from `before`, untimed)."""
    history: defaultdict[int, deque[Sample]] = defaultdict(lambda: deque(maxlen=HISTORY))
    for sensor, sample in before:
        history[sensor].append(sample)
    everyone = scoped(rules)

    def step(sensor: int, sample: Sample) -> int:
        subject = subjects[sensor % len(subjects)]
        recent = history[sensor]
        recent.append(sample)
        keys, n = set(subject.scope_keys()), 0
        for rule, key in everyone:
            if key is None or key in keys:
                state = SensorRuleState(subject.key)
                decided: list[Decision] = []
                for past in recent:
                    decided = list(evaluate(rule, state, past))
                n += len(decided)
        return n

    return step


def rate(
    step: Callable[[int, Sample], int], samples: Sequence[tuple[int, Sample]]
) -> tuple[float, int]:
    """Samples per second and decisions made."""
    decisions = 0
    start = time.perf_counter()
    for sensor, sample in samples:
        decisions += step(sensor, sample)
    return len(samples) / (time.perf_counter() - start), decisions


def main() -> None:
    """Print samples/s of the engine and the baselines."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=300_000)
    parser.add_argument("--naive-samples", type=int, default=3_000)
    parser.add_argument("--sensors", type=int, default=2_000)
    args = parser.parse_args()
    pinned = one_core()
    rules = make_rules()
    subjects = make_subjects(len(rules) - 31, seed=1)
    samples = make_samples(args.sensors, args.samples, seed=2)
    book = RuleBook.of(rules)
    per_sample = sum(
        len(book.for_subject(subjects[s % len(subjects)])) for s, _ in samples[:10_000]
    )
    print(
        f"{len(rules)} rules, {args.sensors} sensors, {len(samples):,} samples, "
        f"{per_sample / min(len(samples), 10_000):.1f} rules per sample; {pinned}"
    )
    fast, decided = rate(engine(rules, subjects), samples)
    print(
        f"engine    indexed, incremental state      {fast:12,.0f} samples/s  ({decided} decisions)"
    )
    start = min(HISTORY * args.sensors, len(samples) - args.naive_samples)
    part = samples[start : start + args.naive_samples]  # where histories are full
    flat, flat_decided = rate(unindexed(rules, subjects), part)
    _, check_decided = rate(engine(rules, subjects), part)
    assert flat_decided == check_decided, "index and scan disagree"
    print(f"baseline  no index, incremental state     {flat:12,.0f} samples/s  ({len(part):,})")
    slow, _ = rate(naive(rules, subjects, samples[:start]), part)
    print(f"baseline  naive: scan, replay history   {slow:12,.0f} samples/s  ({len(part):,})")
    print(
        f"engine / naive {fast / slow:,.0f}x; engine / no index {fast / flat:,.0f}x; "
        f"goal 50,000 samples/s: {'met' if fast >= 50_000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
