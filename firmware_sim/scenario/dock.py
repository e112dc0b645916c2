"""Dock-door scenario: forklifts carry tagged pallets through a row of RFID portal doors.

Geometry (dock_layout.py): `n_doors` doors `spacing_m` apart (default 4 doors, 4 m, 2.75 m wide)
in the wall y = 0; outside (y < 0) a trailer is docked at every door, inside is the warehouse.
Each door has one reader with four circular patch antennas on the jambs 2 m up: ports 1-2 outside
(zone `<door>-out`), 3-4 inside (`<door>-in`), each aimed across the opening at a point 2.5 m out
from the wall and 1 m up.

Radio (physics.py), monostatic backscatter, in dB:
    RSSI = P_tx - 2 L_cable + 2 G_ant(theta) + 2 G_tag(psi) - 2 L_pol - 2 FSPL(1 m)
           - 2 * 10 n log10(d) - L_backscatter + X_tag - 2 L_depth + M(tag, antenna)
           - 2 L_wall - 2 L_trailer + N(0, sigma)
P_tx 30 dBm, 1 dB cable, G_ant 6 dBi with a 65 deg parabolic main lobe over a -17 dB side-lobe
and -22 dB back-lobe floor (beyond 110 deg), a dipole tag (2.15 dBi, sin^2 psi with nulls filled
at -15 dB), 3 dB polarisation loss each way, FSPL(1 m) at 915 MHz, path-loss exponent n = 2.2,
5 dB backscatter loss; X_tag ~ N(-2, 3) dB per tag (detuning, mounting; clipped at 2.5 sigma);
L_depth = the pallet's goods opacity (0-8 dB/m) times the tag's depth in the load; M ~ N(0, 2.5)
dB fixed per tag and antenna (multipath, neighbouring cases); 12 dB through the dock wall beside
an opening; 15 dB out of a trailer through its side; per-read fading sigma 2 dB moving, 1.3 dB
still (the real parked tag's spread); RSSI reported in whole dBm. An average tag 1 m in front of
an antenna reads -36 dBm, at 2 m -49 dBm, at 7 m -73 dBm.
An inventory round reads a tag with probability 1 / (1 + exp(-(RSSI + 80) / 1.2)) (sensitivity
-80 dBm); then `missed_read_rate` (default 5 %) of those reads is lost at random. Tag activation
(forward link) and reader sensitivity (reverse link) follow the same path loss in a monostatic
link, so one RSSI threshold stands for both.

Air time (airtime.py): a reader cycles its antennas, one Gen2 round each; a round takes 4 ms plus
3 ms per tag that antenna powers (dense-reader Miller-4), so a lone tag is read ~50 times/s, a
reader tops out near 330 reads/s and a 40-case pallet is read a few times per second per antenna.

Cross-reads fall out of the geometry: a jamb antenna aimed across its own door also looks towards
the next door, and inside antennas see loads driven along the dock; reads there are mostly 15-25
dB weaker and one-sided. Trailer walls keep loads in one trailer from the next door.

Traffic (traffic.py): a trip through each door every ~40 s (12 s minimum headway), 26 pallets per
trailer in one direction, 240 s trailer swaps; forklifts at 1.5-3 m/s from 9-13 m inside the
trailer straight through the opening, turning 4-12 m inside to run 10-25 m along the dock (OUT
is the reverse). Loads 1.2 x 1.0 x 1.45 m with 20-60 cases (population.py), tags spread over the
load. Lane pallets pass along the dock inside without crossing (cross_read_only); 2 parked pallets
sit 5-9 m from a door, inside or in the trailer, all scenario long; 0.3 % of tags are dead.

Reader clocks: each reader's t_us is offset by N(0, 1.5 s) and drifts by up to +-40 ppm
(meta["clock_drift_ppm"]); meta["true_time_us"] gives each read's true time.
Ground truth: per-tag door-plane crossing times; `unreadable` = crossing tags never read by the
door they crossed (dead or unlucky); `parked` and `cross_read_only` list such tags that were read.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from firmware_sim.scenario.airtime import AirTime
from firmware_sim.scenario.dock_layout import DockLayout, DoorGeometry, build_layout
from firmware_sim.scenario.dock_truth import assemble_reads, dock_statistics, ground_truth
from firmware_sim.scenario.motion import Motions, concat
from firmware_sim.scenario.physics import RadioModel
from firmware_sim.scenario.population import PalletSpec, Population, build_population
from firmware_sim.scenario.readgen import (
    ReadContext,
    TagProps,
    World,
    generate_reads,
    schedules,
    survey,
)
from firmware_sim.scenario.registry import register
from firmware_sim.scenario.traffic import Traffic, crossing_motions, lane_motions, parked_motions
from firmware_sim.scenario.types import Scenario

logger = logging.getLogger(__name__)

DEFAULT_START_US = 1_709_535_600_000_000  # 2024-03-04T07:00:00Z, a Monday morning shift


@dataclass(frozen=True, slots=True)
class TagModel:
    """Where tags sit on a load and how well they work."""

    load_length_m: float = 1.2  # along the forks
    load_width_m: float = 1.0
    load_bottom_m: float = 0.25  # tags from the pallet deck (forks slightly raised) ...
    load_top_m: float = 1.7  # ... to the top of the stack
    vertical_fraction: float = 0.3  # labels whose dipole stands upright
    offset_mean_db: float = -2.0
    offset_sigma_db: float = 3.0
    load_opacity_max_db_per_m: float = 8.0  # one way, per pallet: dry goods ~0, liquids high
    unreadable_fraction: float = 0.003  # dead or badly detuned: never answer


@dataclass(frozen=True, slots=True)
class ClockModel:
    """Reader clock errors against true time."""

    offset_sigma_s: float = 1.5
    drift_ppm_max: float = 40.0


@dataclass(frozen=True, slots=True)
class DockConfig:
    """All parameters of the dock-door scenario; the defaults are a 10-minute, 4-door shift."""

    geometry: DoorGeometry = field(default_factory=DoorGeometry)
    radio: RadioModel = field(default_factory=RadioModel)
    airtime: AirTime = field(default_factory=AirTime)
    traffic: Traffic = field(default_factory=Traffic)
    pallets: PalletSpec = field(default_factory=PalletSpec)
    tags: TagModel = field(default_factory=TagModel)
    clock: ClockModel = field(default_factory=ClockModel)
    missed_read_rate: float = 0.05
    start_us: int = DEFAULT_START_US


def large_config(
    n_tags: int = 100_000, *, n_doors: int = 16, duration_s: float = 3600.0
) -> DockConfig:
    """A busy shift sized to at least about n_tags distinct tags (benchmarks, soak tests)."""
    pallets = PalletSpec(cases_min=40, cases_max=120, n_products=400, n_suppliers=40)
    per_pallet = (pallets.cases_min + pallets.cases_max) / 2 + 1
    base = Traffic()
    # Trips per door over the shift, less the share of each trailer swap, sets the interval.
    trips_per_door = 1.05 * n_tags / per_pallet / n_doors
    busy_s = duration_s - base.trip_interval_s / 2 - 40.0
    swap_share = base.trailer_swap_s / base.pallets_per_trailer
    interval = max(busy_s / max(trips_per_door, 1.0) - swap_share, base.min_headway_s + 1.0)
    traffic = dataclasses.replace(
        base,
        duration_s=duration_s,
        trip_interval_s=interval,
        parked_pallets=n_doors // 4,
        lane_pallets=n_doors * 2,
    )
    return DockConfig(geometry=DoorGeometry(n_doors=n_doors), traffic=traffic, pallets=pallets)


@register("dock")
def dock_scenario(seed: int) -> Scenario:
    """The default dock-door scenario for a seed."""
    return build_dock(DockConfig(), seed)


@dataclass(frozen=True)
class DockPlan:
    """What physically happens, before any read: layout, loads, their movements and tags."""

    config: DockConfig
    seed: int
    world: World
    population: Population
    rng: dict[str, np.random.Generator]  # the streams the reads are still to be drawn from


def plan_dock(config: DockConfig, seed: int) -> DockPlan:
    """Lay out the doors, build the loads and schedule their movements for a seed."""
    streams = np.random.SeedSequence(seed).spawn(6)
    names = ("traffic", "population", "tags", "phys", "miss", "clock")
    rng = {name: np.random.default_rng(s) for name, s in zip(names, streams, strict=True)}
    layout = build_layout(config.geometry)
    motions = _motions(rng["traffic"], config, layout)
    population = build_population(rng["population"], len(motions), config.pallets)
    tags = make_tag_props(rng["tags"], population, config.tags)
    return DockPlan(config, seed, World(motions, tags, layout, config.radio), population, rng)


def build_dock(config: DockConfig, seed: int) -> Scenario:
    """Generate a dock-door scenario: reads in true-time order (reader clocks in t_us) and truth."""
    return observe(plan_dock(config, seed))


def observe(plan: DockPlan, name: str = "dock") -> Scenario:
    """Draw the readers' view of a plan: inventory rounds, reads, clocks, and the truth."""
    config, world, rng = plan.config, plan.world, plan.rng
    layout = world.layout
    duration_us = round(config.traffic.duration_s * 1e6)
    n_bins = math.ceil(duration_us / config.airtime.bin_us) + 1
    slices, occupancy = survey(world, config.airtime, config.start_us, n_bins)
    phase = rng["clock"].random(len(layout.doors))
    scheds = schedules(occupancy, layout, config.airtime, config.start_us, phase)
    span = (config.start_us, config.start_us + duration_us)
    ctx = ReadContext(world, scheds, config.missed_read_rate, span[1])
    batch = generate_reads(ctx, slices, rng["phys"], rng["miss"])
    skew_us, drift_ppm = _clocks(rng["clock"], config.clock, len(layout.doors))
    reads, t_true = assemble_reads(batch, skew_us, drift_ppm, config.start_us)
    truth = ground_truth(plan.population, world.motions, world.tags, layout, reads)
    stats = dock_statistics(plan.population, world, reads, batch, duration_us)
    logger.info("%s scenario seed %s: %s", name, plan.seed, stats)
    return Scenario(
        name=name,
        seed=plan.seed,
        readers=layout.reader_specs(skew_us),
        layout=layout.placements(),
        epcs=plan.population.epcs,
        reads=reads,
        truth=truth,
        start_us=config.start_us,
        end_us=span[1],
        meta={
            "config": dataclasses.asdict(config),
            "clock_drift_ppm": {layout.reader_name(d): float(p) for d, p in enumerate(drift_ppm)},
            "true_time_us": t_true,
            "stats": stats,
        },
    )


def _motions(rng: np.random.Generator, config: DockConfig, layout: DockLayout) -> Motions:
    # Pallet numbers run over crossing, lane and parked loads in that order.
    start = config.start_us
    cross = crossing_motions(rng, config.traffic, layout.door_x, start, 0)
    lane = lane_motions(rng, config.traffic, layout.door_x, start, len(cross))
    parked = parked_motions(rng, config.traffic, layout.door_x, start, len(cross) + len(lane))
    return concat([cross, lane, parked])


def make_tag_props(rng: np.random.Generator, population: Population, model: TagModel) -> TagProps:
    """Positions on the load, dipole axes, detuning offsets and dead tags."""
    n = population.n_tags
    offset = np.stack(
        [
            rng.uniform(-model.load_length_m / 2, model.load_length_m / 2, n),
            rng.uniform(-model.load_width_m / 2, model.load_width_m / 2, n),
            rng.uniform(model.load_bottom_m, model.load_top_m, n),
        ],
        axis=1,
    )
    # The pallet's own SSCC label sits on a side face at mid height.
    sscc = population.pallet_tag
    offset[sscc, 1] = np.where(rng.random(len(sscc)) < 0.5, -0.5, 0.5) * model.load_width_m
    offset[sscc, 2] = 0.9
    yaw = rng.uniform(0.0, 2.0 * np.pi, n)
    upright = rng.random(n) < model.vertical_fraction
    dipole = np.stack([np.cos(yaw), np.sin(yaw), np.zeros(n)], axis=1)
    dipole[upright] = (0.0, 0.0, 1.0)
    gain = rng.normal(model.offset_mean_db, model.offset_sigma_db, n)
    spread = 2.5 * model.offset_sigma_db
    gain = np.clip(gain, model.offset_mean_db - spread, model.offset_mean_db + spread)
    # Tags deep in the load are heard through the goods, both ways.
    opacity = rng.uniform(0.0, model.load_opacity_max_db_per_m, population.n_pallets)
    gain -= 2.0 * opacity[population.pallet_of] * _depth_in_load(offset, model)
    dead = rng.random(n) < model.unreadable_fraction
    first = population.pallet_tag.astype(np.int64)
    count = np.diff(np.append(first, n))
    salt = int(rng.integers(2**63))
    return TagProps(offset, dipole, gain, dead, first, count, salt)


def _depth_in_load(offset: npt.NDArray[np.float64], model: TagModel) -> npt.NDArray[np.float64]:
    # Distance from a tag to the nearest side or top face of its load.
    depth = np.minimum(
        model.load_length_m / 2 - np.abs(offset[:, 0]),
        model.load_width_m / 2 - np.abs(offset[:, 1]),
    )
    depth = np.minimum(depth, model.load_top_m - offset[:, 2])
    clipped: npt.NDArray[np.float64] = np.clip(depth, 0.0, None)
    return clipped


def _clocks(
    rng: np.random.Generator, model: ClockModel, n: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    skew = np.round(rng.normal(0.0, model.offset_sigma_s, n) * 1e6).astype(np.int64)
    drift = rng.uniform(-model.drift_ppm_max, model.drift_ppm_max, n)
    return skew, drift
