"""Day scenario: a working day at a distribution centre's dock, played through dock-door physics.

One row of doors (dock.py geometry, one reader per door): the first `receiving_doors` receive,
the rest ship. Each receiving door unloads `trucks_per_door` trucks, each against an ASN; each
shipping door loads `shipments_per_door` trailers against pick lists taken from opening stock,
in parallel. A forklift takes a pallet through the door every 12-16 s; the next truck at a door
starts `truck_gap_s` (60 s) after the last trip of the one before has finished, so a receiving
session that closes after `quiet_s` (20 s, exported as the recommended setting) never merges two
trucks. Stored goods stand staged near a door or are driven along the dock; they never cross.

Deviations (day_config.Deviations) are staged physically: short, over and unexpected pallets and
cases, cloned tags, dead case tags (never a pallet's SSCC tag), and outbound missing pallets and
cases, wrong items and extras. The documents (day_plan.DayPlan) say what should happen; the
business truth (day_truth.DayTruth) is derived from what physically did; the scenario's
GroundTruth (crossings, parked, cross_read_only, unreadable) is filled as in the dock scenario.
Gateways: `dock-in` serves the receiving doors' readers, `dock-out` the shipping doors'.
The defaults play in about four and a half minutes of real time.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firmware_sim.scenario.day_config import DayConfig, Deviations
from firmware_sim.scenario.day_docs import RECEIVING_GATEWAY, SHIPPING_GATEWAY, write_plan
from firmware_sim.scenario.day_loads import Load, Staging, dead_cases, stage_day
from firmware_sim.scenario.day_plan import DayPlan
from firmware_sim.scenario.day_schedule import DaySchedule, moving_loads, schedule_day
from firmware_sim.scenario.day_truth import DayTruth, PhysicalDay, TripRecord, evaluate
from firmware_sim.scenario.dock import DockPlan, make_tag_props, observe
from firmware_sim.scenario.dock_layout import DockLayout, build_layout
from firmware_sim.scenario.population import Population
from firmware_sim.scenario.readgen import World
from firmware_sim.scenario.registry import register
from firmware_sim.scenario.types import Scenario

__all__ = [
    "RECEIVING_GATEWAY",
    "SHIPPING_GATEWAY",
    "DayConfig",
    "DayScenario",
    "Deviations",
    "build_day",
    "day_scenario",
]

logger = logging.getLogger(__name__)
STREAMS = ("goods", "dead", "schedule", "docs", "tags", "phys", "miss", "clock")


@dataclass(frozen=True)
class DayScenario:
    """The day: the readers' scenario, the documents, the business truth and its physical basis."""

    config: DayConfig
    scenario: Scenario
    plan: DayPlan
    truth: DayTruth
    physical: PhysicalDay
    deviations: dict[str, tuple[str, ...]]  # staged deviation kind -> trip (document) numbers

    @property
    def duration_s(self) -> float:
        """Real-time length of the scenario."""
        return (self.scenario.end_us - self.scenario.start_us) / 1e6

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write the plan and the business truth as directory/plan.json and truth.json."""
        directory.mkdir(parents=True, exist_ok=True)
        plan, truth = directory / "plan.json", directory / "truth.json"
        plan.write_text(self.plan.to_json(indent=1) + "\n", encoding="utf-8")
        truth.write_text(self.truth.to_json(indent=1) + "\n", encoding="utf-8")
        return plan, truth


@register("day")
def day_scenario(seed: int) -> Scenario:
    """The default day scenario's readers, reads and physical truth for a seed."""
    return build_day(DayConfig(), seed).scenario


def build_day(config: DayConfig, seed: int) -> DayScenario:
    """Stage, schedule and observe a day for a seed; write its documents and its truth."""
    config.check()
    seeds = np.random.SeedSequence(seed).spawn(len(STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(STREAMS, seeds, strict=True)}
    staging = stage_day(rng["goods"], config)
    dead = dead_cases(rng["dead"], staging, config.deviations.dead_case_fraction)
    layout = build_layout(dataclasses.replace(config.geometry, n_doors=config.n_doors))
    schedule = schedule_day(rng["schedule"], config, layout.door_x, staging)
    scenario = _observe(config, seed, rng, (staging, schedule, layout), dead)
    documents = write_plan(rng["docs"], config, staging, schedule, layout)
    physical = PhysicalDay(
        _trip_records(staging, layout), frozenset(dead), scenario.truth.crossings
    )
    truth = evaluate(documents, physical)
    log = {kind: tuple(numbers) for kind, numbers in sorted(staging.log.items())}
    scenario = dataclasses.replace(scenario, meta=_meta(scenario, documents, truth, log, schedule))
    logger.info("day scenario seed %s: %s", seed, truth.counts())
    return DayScenario(config, scenario, documents, truth, physical, log)


def _observe(
    config: DayConfig,
    seed: int,
    rng: dict[str, np.random.Generator],
    staged: tuple[Staging, DaySchedule, DockLayout],
    dead: set[str],
) -> Scenario:
    # The dock physics reads the staged loads on their schedule; dead tags chosen, not drawn.
    staging, schedule, layout = staged
    population = _population(staging, moving_loads(staging))
    model = dataclasses.replace(config.tags, unreadable_fraction=0.0)
    tags = make_tag_props(rng["tags"], population, model)
    tags = dataclasses.replace(tags, dead=np.array([e in dead for e in population.epcs]))
    world = World(schedule.motions, tags, layout, config.radio)
    duration_s = (schedule.end_us - config.start_us) / 1e6
    streams = {k: rng[k] for k in ("phys", "miss", "clock")}
    return observe(
        DockPlan(config.dock_config(duration_s), seed, world, population, streams), "day"
    )


def _population(staging: Staging, loads: list[Load]) -> Population:
    # Pallets in motion order, each its SSCC tag first and then the cases physically on it.
    epcs: list[str] = []
    pallet_of: list[int] = []
    product_of: list[int] = []
    pallet_tag: list[int] = []
    for i, load in enumerate(loads):
        pallet_tag.append(len(epcs))
        tags = [load.sscc_epc, *load.actual]
        epcs += tags
        pallet_of += [i] * len(tags)
        product_of += [-1] + [staging.labeller.product_of[c] for c in load.actual]
    if len(set(epcs)) != len(epcs):
        raise AssertionError("a physical tag was staged twice")
    return Population(
        epcs=tuple(epcs),
        pallet_of=np.asarray(pallet_of, dtype=np.int32),
        product_of=np.asarray(product_of, dtype=np.int32),
        pallet_tag=np.asarray(pallet_tag, dtype=np.int32),
        products=staging.catalogue.products,
    )


def _trip_records(staging: Staging, layout: DockLayout) -> tuple[TripRecord, ...]:
    return tuple(
        TripRecord(
            document=trip.number,
            door=layout.doors[trip.door],
            direction="in" if trip.inbound else "out",
            pallets=tuple((ld.sscc_epc, *ld.actual) for ld in trip.loads if ld.present),
        )
        for trip in staging.trips
    )


def _meta(
    scenario: Scenario,
    documents: DayPlan,
    truth: DayTruth,
    log: dict[str, tuple[str, ...]],
    schedule: DaySchedule,
) -> dict[str, object]:
    dock_stats = scenario.meta.get("stats")
    stats: dict[str, object] = dict(dock_stats) if isinstance(dock_stats, dict) else {}
    stats.update(
        trips=len(schedule.spans),
        duration_s=(scenario.end_us - scenario.start_us) / 1e6,
        outcomes=truth.counts(),
        deviations={kind: len(numbers) for kind, numbers in log.items()},
    )
    return {
        **scenario.meta,
        "stats": stats,
        "plan": documents,
        "day_truth": truth,
        "gateway_of": documents.gateway_of(),
        "recommended_quiet_s": documents.quiet_s,
    }
