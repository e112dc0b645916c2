"""Replay a scenario through the pipeline as the gateway would see it, and score the result."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edge.config import GatewayConfig
from edge.kernels.pipeline import Decision, Pipeline, PortalDecision
from firmware_sim.scenario.gateway_config import gateway_config_for
from firmware_sim.scenario.types import Scenario

REPORT_US = 200_000  # a reader reports at least this often (report_timeout_ms)
TICK_US = 100_000  # the pipeline thread advances this often


def scenario_config(scenario: Scenario, **rules: Any) -> GatewayConfig:
    """The scenario's gateway config with portal / presence / deskew rules overridden."""
    config = gateway_config_for(scenario, site="site", gateway="gw")
    updates = {k: getattr(config, k).model_copy(update=v) for k, v in rules.items()}
    return config.model_copy(update=updates)


def replay(
    scenario: Scenario, config: GatewayConfig, *, seed: int = 0, engine: str = "jit"
) -> tuple[Pipeline, list[Decision]]:
    """Feed the scenario's reads as reader reports (with network delay) and tick the pipeline."""
    pipe = Pipeline(config, engine="jit" if engine == "jit" else "reference")
    reports = _reports(scenario, np.random.default_rng(seed))
    decisions: list[Decision] = []
    next_tick = scenario.start_us
    for recv_us, reader, rows in reports:
        while next_tick <= recv_us:
            decisions += pipe.advance(next_tick)
            next_tick += TICK_US
        reads = scenario.reads[rows]
        epcs = [scenario.epcs[i] for i in reads["tag"].tolist()]
        pipe.push(
            reads["t_us"], reads["antenna"], epcs, reads["rssi"], reader=reader, recv_us=recv_us
        )
    decisions += pipe.flush()
    return pipe, decisions


def _reports(scenario: Scenario, rng: np.random.Generator) -> list[tuple[int, int, np.ndarray]]:
    true = np.asarray(scenario.meta.get("true_time_us", scenario.reads["t_us"]), dtype=np.int64)
    out = []
    for reader in range(len(scenario.readers)):
        rows = np.flatnonzero(scenario.reads["reader"] == reader)
        window = (true[rows] - scenario.start_us) // REPORT_US
        cuts = np.flatnonzero(np.diff(window)) + 1
        for part in np.split(rows, cuts):
            # Sent when the report window closes; 1 ms + exponential(4 ms) network delay.
            sent = (int(true[part[-1]]) - scenario.start_us) // REPORT_US * REPORT_US
            recv = scenario.start_us + sent + REPORT_US + 1000 + int(rng.exponential(4000))
            out.append((recv, reader, part))
    out.sort(key=lambda r: (r[0], r[1]))
    return out


@dataclass
class Score:
    """Portal decisions against the ground truth crossings."""

    crossed: int = 0  # EPCs that crossed and were read at their door
    right: int = 0  # ... with exactly one portal event, right door and direction
    missed: list[str] = field(default_factory=list)
    wrong: list[tuple[str, str]] = field(default_factory=list)
    duplicates: int = 0
    false_parked: list[str] = field(default_factory=list)
    false_cross_read: list[str] = field(default_factory=list)
    false_other: list[str] = field(default_factory=list)
    time_err_ms: list[float] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of crossed EPCs that got door and direction right."""
        return self.right / max(self.crossed, 1)


def score(scenario: Scenario, decisions: list[Decision]) -> Score:
    """Compare portal decisions with what physically happened."""
    portal = [d for d in decisions if isinstance(d, PortalDecision)]
    by_epc: dict[str, list[PortalDecision]] = {}
    for d in portal:
        by_epc.setdefault(d.epc, []).append(d)
    s = Score()
    truth = scenario.truth
    for c in truth.crossings:
        if c.epc in truth.unreadable:
            continue
        s.crossed += 1
        got = by_epc.get(c.epc, [])
        s.duplicates += max(0, len(got) - 1)
        if not got:
            s.missed.append(c.epc)
        elif len(got) == 1 and got[0].door == c.door and got[0].direction.value == c.direction:
            s.right += 1
            s.time_err_ms.append((got[0].time_us - c.time_us) / 1000)
        else:
            s.wrong.append((c.epc, ", ".join(f"{g.door} {g.direction.value}" for g in got)))
    crossing = {c.epc for c in truth.crossings}
    for epc in by_epc:
        if epc in truth.parked:
            s.false_parked.append(epc)
        elif epc in truth.cross_read_only:
            s.false_cross_read.append(epc)
        elif epc not in crossing:
            s.false_other.append(epc)
    return s


def describe(s: Score, pipe: Pipeline) -> str:
    """A short text summary for assertion messages and reports."""
    err = np.abs(np.array(s.time_err_ms or [0.0]))
    counters = Counter(pipe.counters)
    return (
        f"right {s.right}/{s.crossed} = {s.accuracy:.4%}, missed {len(s.missed)}, "
        f"wrong {len(s.wrong)}, duplicates {s.duplicates}, false parked {len(s.false_parked)}, "
        f"false cross-read {len(s.false_cross_read)}, false other {len(s.false_other)}; "
        f"|time error| median {np.median(err):.0f} ms, p99 {np.percentile(err, 99):.0f} ms; "
        f"counters {dict(counters)}"
    )
