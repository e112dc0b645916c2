"""Ground truth of a sensor scenario: true series, excursions, episodes, and what was sent.

Also the samples an ideal gateway would report from the planned lines (stamped at their
scenario time, no transport loss), so cloud-side tests can feed a simulated week of
ConditionSamples without waiting for it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from firmware_sim.llrp.artifacts import write_atomic
from firmware_sim.sensors.scenario import Line, ProbeRun, SensorScenario
from protocol.ids import make_event_id
from protocol.messages import ConditionSample

ToMs = Callable[[float], int]  # scenario seconds -> epoch milliseconds


@dataclass(frozen=True, slots=True)
class Excursion:
    """A maximal interval of true temperature above `high` (kind high) or below `low` (low)."""

    probe: str
    kind: str
    start_s: float
    end_s: float
    peak: float


def excursions(run: ProbeRun) -> list[Excursion]:
    """The probe's true temperature excursions beyond its thresholds, in time order."""
    temp, step = run.climate.temp, run.climate.step_s
    found: list[Excursion] = []
    if run.spec.high is not None:
        found += _runs(
            run.spec.name, "high", temp > run.spec.high, temp=temp, step=step, peak=np.max
        )
    if run.spec.low is not None:
        found += _runs(run.spec.name, "low", temp < run.spec.low, temp=temp, step=step, peak=np.min)
    return sorted(found, key=lambda e: e.start_s)


def _runs(
    probe: str,
    kind: str,
    beyond: npt.NDArray[np.bool_],
    *,
    temp: npt.NDArray[np.float64],
    step: float,
    peak: Callable[[npt.NDArray[np.float64]], np.float64],
) -> list[Excursion]:
    edges = np.diff(np.concatenate(([0], beyond.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [
        Excursion(probe, kind, s * step, e * step, round(float(peak(temp[s:e])), 3))
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
    ]


def truth_document(scenario: SensorScenario) -> dict[str, Any]:
    """The scenario's ground truth as plain JSON data (times in epoch ms)."""
    return {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "start_ms": scenario.start_ms,
        "duration_s": scenario.duration_s,
        "probes": [_probe_doc(scenario, run) for run in scenario.probes],
    }


def _probe_doc(scenario: SensorScenario, run: ProbeRun) -> dict[str, Any]:
    ms = _ms_of(scenario)
    spec, climate = run.spec, run.climate
    every = max(1, round(spec.interval_s / climate.step_s))
    idx = np.arange(0, len(climate.temp), every)
    return {
        "name": spec.name,
        "environment": spec.environment,
        "mode": spec.mode,
        "interval_s": spec.interval_s,
        "checksum": spec.checksum,
        "thresholds": {"low": spec.low, "high": spec.high},
        "offset": run.offset,
        "series": {
            "t_ms": [ms(float(i) * climate.step_s) for i in idx.tolist()],
            "temp": np.round(climate.temp[idx], 3).tolist(),
            "rh": np.round(climate.rh[idx], 2).tolist(),
        },
        "excursions": [
            {"kind": e.kind, "start_ms": ms(e.start_s), "end_ms": ms(e.end_s), "peak": e.peak}
            for e in excursions(run)
        ],
        "episodes": [_episode(ms, e.kind, e.start_s, e.end_s) for e in climate.episodes],
        "faults": [_episode(ms, e.kind, e.start_s, e.end_s) for e in run.faults],
        "lines": dict(Counter(line.kind for line in run.lines)),
    }


def _episode(ms: ToMs, kind: str, start_s: float, end_s: float) -> dict[str, Any]:
    return {"kind": kind, "start_ms": ms(start_s), "end_ms": ms(end_s)}


def _ms_of(scenario: SensorScenario) -> ToMs:
    return lambda t_s: scenario.start_ms + round(t_s * 1000)


def write_truth(path: Path, scenario: SensorScenario) -> None:
    """Write the ground truth JSON atomically."""
    write_atomic(path, json.dumps(truth_document(scenario), separators=(",", ":")) + "\n")


def ideal_samples(
    scenario: SensorScenario, probe: str, gateway: str, interval_s: float
) -> list[ConditionSample]:
    """The ConditionSamples a gateway would report from the planned lines, stamped on time.

    Intervals are aligned to epoch multiples of interval_s, like the edge driver's; an interval
    with no valid line yields no sample. Written independently of the edge aggregator, so that
    the two can check each other.
    """
    run = scenario.probe(probe)
    step_ms = round(interval_s * 1000)
    groups: dict[int, list[Line]] = {}
    for line in run.lines:
        if line.kind != "unplugged":
            t_ms = scenario.start_ms + round(line.t_s * 1000)
            groups.setdefault(t_ms // step_ms, []).append(line)
    samples = []
    for k in sorted(groups):
        start_ms = max(k * step_ms, scenario.start_ms)
        if sample := aggregate(groups[k], gateway, probe, start_ms, (k + 1) * step_ms):
            samples.append(sample)
    return samples


def aggregate(
    lines: list[Line], gateway: str, sensor: str, start_ms: int, end_ms: int
) -> ConditionSample | None:
    """One interval's sample from the lines received in it (None without a valid reading)."""
    good = [line for line in lines if line.valid]
    if not good:
        return None
    temps = [line.temp for line in good if line.temp is not None]
    rhs = [line.rh for line in good if line.rh is not None]
    return ConditionSample(
        id=make_event_id(gateway, "condition", sensor, start_ms),
        sensor=sensor,
        start_ms=start_ms,
        time_ms=end_ms,
        count=len(good),
        temp_min=min(temps) if temps else None,
        temp_max=max(temps) if temps else None,
        temp_mean=round(sum(temps) / len(temps), 3) if temps else None,
        rh_min=min(rhs) if rhs else None,
        rh_max=max(rhs) if rhs else None,
        rh_mean=round(sum(rhs) / len(rhs), 3) if rhs else None,
        bad=len(lines) - len(good),
    )
