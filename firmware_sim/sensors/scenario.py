"""Sensor scenarios: probes in their environments, what they send, deterministic for a seed.

Building a scenario simulates the true air at each probe (1 s steps), schedules the device
faults and plans every line a continuous probe sends at its output interval. Nothing depends on
real time: the plan is the exported series (what a gateway would have received, at any speed),
and a pty player only delivers it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from firmware_sim.sensors.climate import (
    COLD_ROOM,
    DAY_S,
    REEFER,
    Climate,
    Dock,
    Episode,
    chamber_climate,
    dock_climate,
)
from firmware_sim.sensors.events import (
    DoorPattern,
    FaultPlan,
    defrosts,
    device_faults,
    doors,
    failure,
    inside,
    stops,
)
from firmware_sim.sensors.wire import EOL, body, garble, on_wire, reading_line, spike, truncate

Environment = Literal["coldroom", "dock", "reefer"]
START_MS = 1_717_372_800_000  # 2024-06-03T00:00:00Z, a Monday: scenario time 0 is midnight
TEMP_NOISE = 0.04  # °C, one sigma, before rounding to 0.1
RH_NOISE = 0.15  # %RH
VALID_KINDS = frozenset({"ok", "stuck"})


@dataclass(frozen=True)
class ProbeSpec:
    """One emulated probe: where it hangs, how it talks, what goes wrong."""

    name: str
    environment: Environment
    interval_s: float = 10.0
    mode: Literal["continuous", "polled"] = "continuous"
    checksum: bool = False
    low: float | None = 2.0  # temperature excursion thresholds of the truth, °C
    high: float | None = 8.0
    failure_at_s: float | None = None
    repair_after_s: float | None = None
    doors: DoorPattern = field(default_factory=DoorPattern)
    faults: FaultPlan = field(default_factory=FaultPlan)


@dataclass(frozen=True)
class ScenarioConfig:
    """A set of probes played together for a while."""

    name: str
    probes: tuple[ProbeSpec, ...]
    duration_s: float = DAY_S
    start_ms: int = START_MS


@dataclass(frozen=True, slots=True)
class Line:
    """One line a probe sends (or would have sent, if unplugged): kind, bytes and values."""

    index: int
    t_s: float
    kind: str  # ok, stuck, garbled, truncated, spike, unplugged
    data: bytes
    temp: float | None
    rh: float | None

    @property
    def valid(self) -> bool:
        """Whether the line is a reading a correct driver accepts."""
        return self.kind in VALID_KINDS


class LineMaker:
    """Builds a probe's lines in order: measurement noise, stuck values, line faults."""

    def __init__(self, run: ProbeRun, rng: np.random.Generator) -> None:
        self.spec, self.climate, self.faults = run.spec, run.climate, list(run.faults)
        self.offset = run.offset
        self._rng = rng
        self._frozen: dict[Episode, tuple[float, float]] = {}

    def make(self, index: int, t_s: float) -> Line:
        """The line the probe sends at scenario time t_s."""
        if inside(self.faults, "unplug", t_s):
            return Line(index, t_s, "unplugged", b"", None, None)
        temp, rh = self._measure(t_s)
        stuck = inside(self.faults, "stuck", t_s)
        if stuck is not None:
            temp, rh = self._frozen.setdefault(stuck, (temp, rh))
        return self._faulted(index, t_s, temp, rh, "stuck" if stuck else "ok")

    def _measure(self, t_s: float) -> tuple[float, float]:
        true_t, true_rh = self.climate.at(t_s)
        temp = true_t + self.offset + float(self._rng.normal(0.0, TEMP_NOISE))
        rh = min(max(true_rh + float(self._rng.normal(0.0, RH_NOISE)), 0.0), 100.0)
        return on_wire(temp), on_wire(rh)

    def _faulted(self, index: int, t_s: float, temp: float, rh: float, kind: str) -> Line:
        plan, u = self.spec.faults, float(self._rng.random())
        text = body(temp, rh, self.spec.checksum)
        if u < plan.garbled:
            return Line(index, t_s, "garbled", garble(text, self._rng) + EOL, None, None)
        u -= plan.garbled
        if u < plan.truncated:
            return Line(index, t_s, "truncated", truncate(text, self._rng) + EOL, None, None)
        u -= plan.truncated
        if u < plan.spike:
            bad_t, bad_rh = spike(temp, rh, self._rng)
            return Line(
                index, t_s, "spike", reading_line(bad_t, bad_rh, self.spec.checksum), bad_t, bad_rh
            )
        return Line(index, t_s, kind, text + EOL, temp, rh)


@dataclass(frozen=True)
class ProbeRun:
    """Everything about one probe in one scenario run."""

    spec: ProbeSpec
    climate: Climate
    faults: tuple[Episode, ...]
    offset: float
    seed: tuple[int, int]
    lines: tuple[Line, ...] = ()

    def replies(self) -> LineMaker:
        """A line maker for polled replies (its own random stream, same physics and faults)."""
        return LineMaker(self, _rng(*self.seed, 3))


@dataclass(frozen=True)
class SensorScenario:
    """A built scenario: its probes' truth and planned lines."""

    name: str
    seed: int
    start_ms: int
    duration_s: float
    probes: tuple[ProbeRun, ...]

    def probe(self, name: str) -> ProbeRun:
        """One probe by name."""
        for run in self.probes:
            if run.spec.name == name:
                return run
        raise KeyError(f"no probe {name!r}; the scenario has {[p.spec.name for p in self.probes]}")


def build_scenario(config: ScenarioConfig, seed: int) -> SensorScenario:
    """Simulate every probe of a scenario config for a seed."""
    runs = tuple(_build_probe(config, spec, seed, i) for i, spec in enumerate(config.probes))
    return SensorScenario(config.name, seed, config.start_ms, config.duration_s, runs)


def _build_probe(config: ScenarioConfig, spec: ProbeSpec, seed: int, i: int) -> ProbeRun:
    t = np.arange(0.0, config.duration_s, 1.0)
    env_rng = _rng(seed, i, 0)
    episodes = _episodes(spec, config.duration_s, env_rng)
    climate = _climate(spec, t, episodes, env_rng)
    faults = tuple(device_faults(_rng(seed, i, 1), config.duration_s, spec.faults))
    offset = round(float(env_rng.normal(0.0, 0.05)), 3)  # the probe's calibration error
    run = ProbeRun(spec, climate, faults, offset, (seed, i))
    return dataclasses.replace(run, lines=_plan(run, config.duration_s, _rng(seed, i, 2)))


def _episodes(spec: ProbeSpec, duration_s: float, rng: np.random.Generator) -> list[Episode]:
    fail = failure(spec.failure_at_s, spec.repair_after_s, duration_s)
    if spec.environment == "coldroom":
        cold = COLD_ROOM
        events = doors(rng, duration_s, spec.doors)
        events += defrosts(rng, duration_s, cold.defrost_every_s, cold.defrost_s)
    elif spec.environment == "reefer":
        events = stops(rng, duration_s, 4)
        events += defrosts(rng, duration_s, REEFER.defrost_every_s, REEFER.defrost_s)
    else:
        events = doors(rng, duration_s, spec.doors)
    return sorted(events + fail, key=lambda e: e.start_s)


def _climate(
    spec: ProbeSpec, t: np.ndarray, episodes: list[Episode], rng: np.random.Generator
) -> Climate:
    if spec.environment == "dock":
        return dock_climate(Dock(), t, episodes, rng)
    chamber = COLD_ROOM if spec.environment == "coldroom" else REEFER
    return chamber_climate(chamber, t, episodes, rng)


def _plan(run: ProbeRun, duration_s: float, rng: np.random.Generator) -> tuple[Line, ...]:
    """Every line at the output interval, from a random phase (polled probes: as if polled)."""
    maker = LineMaker(run, rng)
    phase = float(rng.uniform(0.0, run.spec.interval_s))
    times = np.arange(phase, duration_s, run.spec.interval_s)
    return tuple(maker.make(k, float(t)) for k, t in enumerate(times))


def _rng(seed: int, probe: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, probe, stream]))


# -- the named scenarios ---------------------------------------------------------------------


H = 3600.0
# The named scenarios place their device faults explicitly, so that every run shows each kind.
_COLD_FAULTS = FaultPlan(unplugs=((9.5 * H, 120.0), (21 * H, 90.0)), stucks=((3.2 * H, 1200.0),))
_DOCK_FAULTS = FaultPlan(unplugs=((13 * H, 300.0),), stucks=((2 * H, 3600.0),))
_REEFER_FAULTS = FaultPlan(unplugs=((6 * H, 60.0),), stucks=((11 * H, 900.0),))


def _coldroom() -> ScenarioConfig:
    probe = ProbeSpec(
        "cold-1", "coldroom", failure_at_s=16.5 * H, repair_after_s=2.5 * H, faults=_COLD_FAULTS
    )
    return ScenarioConfig("coldroom", (probe,))


def _dock() -> ScenarioConfig:
    probe = ProbeSpec(
        "dock-1",
        "dock",
        interval_s=30.0,
        low=0.0,
        high=25.0,
        doors=DoorPattern(per_hour=2.0, hours=(6.0, 22.0), open_s=(600.0, 2400.0)),
        faults=_DOCK_FAULTS,
    )
    return ScenarioConfig("dock", (probe,))


def _reefer() -> ScenarioConfig:
    probe = ProbeSpec(
        "reefer-1",
        "reefer",
        mode="polled",
        checksum=True,
        failure_at_s=15 * H,
        faults=_REEFER_FAULTS,
    )
    return ScenarioConfig("reefer", (probe,))


def _site() -> ScenarioConfig:
    probes = (*_coldroom().probes, *_dock().probes, *_reefer().probes)
    return ScenarioConfig("site", probes)


SCENARIOS = {"coldroom": _coldroom, "dock": _dock, "reefer": _reefer, "site": _site}


def scenario_config(name: str, duration_s: float | None = None) -> ScenarioConfig:
    """A named scenario's config (optionally shortened or lengthened)."""
    try:
        config = SCENARIOS[name]()
    except KeyError:
        raise KeyError(f"no sensor scenario {name!r}; choose from {', '.join(SCENARIOS)}") from None
    return config if duration_s is None else dataclasses.replace(config, duration_s=duration_s)


def build(name: str, seed: int, duration_s: float | None = None) -> SensorScenario:
    """Build a named scenario for a seed."""
    return build_scenario(scenario_config(name, duration_s), seed)
