"""Vectorised read generation: which tag each antenna's inventory rounds read, and at what RSSI.

Movements are cut into time slices; a survey of each slice's load centre against every antenna
gives the tag count each antenna powers (air time) and which antennas can hear the slice at all.
Reads are then drawn per (round, tag) pair in batches so memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from firmware_sim.scenario.airtime import AirTime, Schedule, build_schedule
from firmware_sim.scenario.dock_layout import DockLayout
from firmware_sim.scenario.motion import Motions, place_on_load, rotate_to_world
from firmware_sim.scenario.physics import (
    FloatArray,
    RadioModel,
    hashed_normal,
    nominal_rssi,
    quantise,
    read_probability,
)
from firmware_sim.scenario.types import READ_DTYPE, Reads

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
SLICE_US = 10_000_000  # long movements (parked loads) are surveyed and read in 10 s slices
# A load whose centre reads this far below sensitivity cannot be read at all: the margin covers
# tag spread on the load, orientation, detuning and fading.
REACH_MARGIN_DB = 20.0
LOAD_REACH_M = 0.7  # half the load length, plus a little
TYPICAL_TAG_HEIGHT_M = 1.0
BATCH_PAIRS = 400_000  # (round, tag) pairs evaluated at once
SURVEY_PAIRS = 400_000  # (sample, antenna) pairs surveyed at once
SURVEY_TAGS = 8  # tags per moving load sampled to estimate how many answer a round


@dataclass(frozen=True)
class TagProps:
    """Per-tag physical properties, tags of one pallet contiguous."""

    offset: FloatArray  # (T, 3) position on the load: forward, left, up (m)
    dipole: FloatArray  # (T, 3) unit dipole axis in the load frame
    gain_db: FloatArray  # (T,) detuning and mounting offset
    dead: BoolArray  # (T,) never answers
    first: IntArray  # (P,) first tag of each pallet
    count: IntArray  # (P,) tags on each pallet
    salt: int  # fixes each (tag, antenna) multipath offset


@dataclass(frozen=True)
class World:
    """The physical setting reads are drawn from: movements, tags, antennas and radio."""

    motions: Motions
    tags: TagProps
    layout: DockLayout
    radio: RadioModel


@dataclass(frozen=True)
class Slices:
    """Time slices of movements with the antennas that may hear them."""

    motion: IntArray
    t_from: IntArray
    t_to: IntArray
    candidates: BoolArray  # (S, A)


@dataclass
class ReadBatch:
    """Reads drawn so far, in true time; counts of physically read but dropped reads."""

    parts: list[Reads]  # t_us holds true time here
    read_attempts: int = 0
    missed: int = 0


def cut_slices(motions: Motions) -> tuple[IntArray, IntArray, IntArray]:
    """Split each movement's time window into slices of at most SLICE_US."""
    n = np.maximum(1, -(-(motions.t_end_us - motions.t0_us) // SLICE_US))
    motion = np.repeat(np.arange(len(motions), dtype=np.int64), n)
    k = np.arange(len(motion)) - np.repeat(np.cumsum(n) - n, n)
    t_from = motions.t0_us[motion] + k * SLICE_US
    t_to = np.minimum(t_from + SLICE_US, motions.t_end_us[motion])
    return motion, t_from, t_to


def survey(world: World, timing: AirTime, start_us: int, n_bins: int) -> tuple[Slices, FloatArray]:
    """Candidate antennas per slice, and tags each antenna powers per time bin (A, bins)."""
    motions, n_a = world.motions, world.layout.n_antennas
    motion, t_from, t_to = cut_slices(motions)
    slices = Slices(motion, t_from, t_to, np.zeros((len(motion), n_a), dtype=bool))
    sample_slice, t_sample, lo, hi = _sample_times(motions, slices, start_us, timing)
    acc = _Survey(
        world, slices, np.zeros((n_a, n_bins + 1)), sample_slice, t_sample, (lo, hi), n_bins
    )
    moving = np.flatnonzero(motions.speed[motion[sample_slice]] > 0)
    step = max(1, SURVEY_PAIRS // n_a)
    for i in range(0, len(moving), step):
        k = moving[i : i + step]
        m = motion[sample_slice[k]]
        rssi = _centre_rssi(
            world, np.repeat(m, n_a), np.tile(np.arange(n_a), len(m)), np.repeat(t_sample[k], n_a)
        )
        acc.record(k, rssi.reshape(len(m), n_a) > world.radio.sensitivity_dbm - REACH_MARGIN_DB)
    acc.record_static()
    occupancy = np.cumsum(acc.diff, axis=1)[:, :n_bins]
    return slices, occupancy


@dataclass
class _Survey:
    """Survey samples (slice, time, bins) and what they add up to."""

    world: World
    slices: Slices
    diff: FloatArray  # (A, bins + 1) answering tags, as differences along time
    sample_slice: IntArray
    t_sample: IntArray
    bins: tuple[IntArray, IntArray]  # first bin and end bin each sample covers
    n_bins: int

    def record(self, k: IntArray, hears: BoolArray) -> None:
        """Mark candidate antennas of samples k's slices; add their answering tags per bin."""
        np.logical_or.at(self.slices.candidates, self.sample_slice[k], hears)
        s_idx, a_idx = np.nonzero(hears)
        k = k[s_idx]
        m = self.slices.motion[self.sample_slice[k]]
        powered = _answering(self.world, m, a_idx, self.t_sample[k])
        np.add.at(self.diff, (a_idx, np.clip(self.bins[0][k], 0, self.n_bins)), powered)
        np.add.at(self.diff, (a_idx, np.clip(self.bins[1][k], 0, self.n_bins)), -powered)

    def record_static(self) -> None:
        """Parked loads look the same in every slice: survey each once, reuse the answer."""
        m_all = self.slices.motion[self.sample_slice]
        static = np.flatnonzero(self.world.motions.speed[m_all] == 0)
        for m in np.unique(m_all[static]).tolist():
            k = static[m_all[static] == m]
            one = np.array([m], dtype=np.int64)
            hears = _static_reach(self.world, one, self.t_sample[k[:1]])
            s_idx, a_idx = np.nonzero(hears)
            powered = _answering(self.world, one[s_idx], a_idx, self.t_sample[k[:1]][s_idx])
            np.logical_or.at(self.slices.candidates, self.sample_slice[k], hears[0])
            lo = np.clip(self.bins[0][k], 0, self.n_bins)
            hi = np.clip(self.bins[1][k], 0, self.n_bins)
            for a, n in zip(a_idx.tolist(), powered.tolist(), strict=True):
                np.add.at(self.diff[a], lo, n)
                np.add.at(self.diff[a], hi, -n)


def _answering(world: World, m: IntArray, a: IntArray, t: IntArray) -> FloatArray:
    # Expected tags answering an antenna's round, from a few of the load's own tags (scaled up):
    # the chance each is read, with fading folded into the width of the fall-off.
    motions, tags, radio = world.motions, world.tags, world.radio
    pallet = motions.pallet[m]
    first, count = tags.first[pallet], tags.count[pallet]
    # A parked load is surveyed rarely, so all of its tags; a moving one by a sample of them.
    n = np.where(motions.speed[m] > 0, np.minimum(count, SURVEY_TAGS), count)
    rep = np.repeat(np.arange(len(m)), n)
    tag = first[rep] + np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    rssi = tag_rssi(world, m[rep], a[rep], tag, t[rep])
    width = np.hypot(radio.sensitivity_width_db, radio.fading_sigma_db * 0.55)
    p = 1.0 / (1.0 + np.exp(-np.clip((rssi - radio.sensitivity_dbm) / width, -50, 50)))
    p = np.where(tags.dead[tag], 0.0, p)
    expected: FloatArray = np.bincount(rep, weights=p, minlength=len(m)) / n * count
    return expected


def tag_rssi(world: World, m: IntArray, a: IntArray, tag: IntArray, t: IntArray) -> FloatArray:
    """Noise-free RSSI of tags on movements m at antennas a at times t."""
    centre, heading = world.motions.pose(m, t)
    return rssi_on_load(world, (centre, heading), a, tag)


def rssi_on_load(
    world: World, pose: tuple[FloatArray, FloatArray], a: IntArray, tag: IntArray
) -> FloatArray:
    """Noise-free RSSI of tags on loads at these poses (centre, heading) at antennas a."""
    tags, layout, radio = world.tags, world.layout, world.radio
    centre, heading = pose
    xyz = place_on_load(tags.offset[tag], centre, heading)
    dipole = rotate_to_world(tags.dipole[tag], heading)
    rssi = nominal_rssi(xyz, dipole, layout.ant_xyz[a], layout.boresight[a], radio)
    rssi += tags.gain_db[tag] - 2.0 * layout.wall_loss(xyz, a, radio)
    if radio.multipath_sigma_db:
        key = tag.astype(np.int64) * layout.n_antennas + a
        rssi += radio.multipath_sigma_db * hashed_normal(key, tags.salt)
    return rssi


def _sample_times(
    motions: Motions, slices: Slices, start_us: int, timing: AirTime
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    # Moving loads are sampled once per bin; a parked load once per slice, covering its bins.
    motion, t_from, t_to = slices.motion, slices.t_from, slices.t_to
    moving = motions.speed[motion] > 0
    b_lo = (t_from - start_us) // timing.bin_us
    b_hi = (t_to - start_us - 1) // timing.bin_us + 1
    n = np.where(moving, b_hi - b_lo, 1)
    sample_slice = np.repeat(np.arange(len(motion)), n)
    k = np.arange(len(sample_slice)) - np.repeat(np.cumsum(n) - n, n)
    lo = b_lo[sample_slice] + k
    hi = np.where(moving[sample_slice], lo + 1, b_hi[sample_slice])
    t = start_us + (lo * timing.bin_us) + timing.bin_us // 2
    t = np.clip(t, t_from[sample_slice], t_to[sample_slice])
    return sample_slice, t, lo, hi


def _static_reach(world: World, m: IntArray, t: IntArray) -> BoolArray:
    # A parked load is tried in thousands of rounds, so rare fading peaks of its weakest-placed
    # tags matter: decide per tag, from each tag's exact nominal RSSI.
    tags, n_a = world.tags, world.layout.n_antennas
    pallet = world.motions.pallet[m]
    n = tags.count[pallet]
    rep = np.repeat(np.arange(len(m)), n)
    tag = tags.first[pallet][rep] + np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    ant = np.tile(np.arange(n_a), len(rep))
    rssi = tag_rssi(world, np.repeat(m[rep], n_a), ant, np.repeat(tag, n_a), np.repeat(t[rep], n_a))
    best = np.full((len(m), n_a), -np.inf)
    np.maximum.at(best, rep, rssi.reshape(len(rep), n_a))
    # Five fading sigmas and three widths of the sensitivity fall-off.
    margin = 5.0 * world.radio.fading_sigma_db + 3.0 * world.radio.sensitivity_width_db
    reach: BoolArray = best > world.radio.sensitivity_dbm - margin
    return reach


def _centre_rssi(world: World, m: IntArray, a: IntArray, t: IntArray) -> FloatArray:
    # Nominal RSSI of a typical tag at the load centre, to skip rounds that cannot read the load;
    # a wall counts only if it also hides the load's front and back, which may be past it.
    layout, radio = world.layout, world.radio
    centre, heading = world.motions.pose(m, t)
    centre[:, 2] = TYPICAL_TAG_HEIGHT_M
    rssi = nominal_rssi(centre, None, layout.ant_xyz[a], layout.boresight[a], radio)
    reach = LOAD_REACH_M * heading
    loss = np.minimum(
        layout.wall_loss(centre + reach, a, radio), layout.wall_loss(centre - reach, a, radio)
    )
    rssi -= 2.0 * np.minimum(loss, layout.wall_loss(centre, a, radio))
    return rssi


def schedules(
    occupancy: FloatArray, layout: DockLayout, timing: AirTime, start_us: int, phase: FloatArray
) -> tuple[Schedule, ...]:
    """One round schedule per reader (door) from the antennas' powered-tag counts."""
    out = []
    for door in range(len(layout.doors)):
        rows = np.flatnonzero(layout.ant_door == door)
        rows = rows[np.argsort(layout.ant_port[rows])]
        out.append(build_schedule(occupancy[rows], timing, start_us, float(phase[door])))
    return tuple(out)


@dataclass(frozen=True)
class ReadContext:
    """Everything read generation needs besides the random streams."""

    world: World
    schedules: tuple[Schedule, ...]
    miss_rate: float
    end_us: int  # rounds started before the end may finish after it: those reads are dropped


def generate_reads(
    ctx: ReadContext, slices: Slices, phys: np.random.Generator, miss: np.random.Generator
) -> ReadBatch:
    """Draw every read of every slice, batch by batch."""
    out = ReadBatch(parts=[])
    pending: list[tuple[int, IntArray, IntArray]] = []
    size = 0
    layout, tags, motions = ctx.world.layout, ctx.world.tags, ctx.world.motions
    port_index = _port_index(layout)
    for s in range(len(slices.motion)):
        m = int(slices.motion[s])
        n_tags = int(tags.count[motions.pallet[m]])
        for a in np.flatnonzero(slices.candidates[s]).tolist():
            sched = ctx.schedules[int(layout.ant_door[a])]
            start, length = sched.rounds(port_index[a], int(slices.t_from[s]), int(slices.t_to[s]))
            if len(start):
                pending.append((m * layout.n_antennas + a, start, length))
                size += len(start) * n_tags
        if size >= BATCH_PAIRS:
            _evaluate(ctx, pending, (phys, miss), out)
            pending, size = [], 0
    if pending:
        _evaluate(ctx, pending, (phys, miss), out)
    return out


def _port_index(layout: DockLayout) -> list[int]:
    # Row of each antenna within its reader's schedule (schedules order antennas by port).
    index = []
    for a in range(layout.n_antennas):
        ports = np.sort(layout.ant_port[layout.ant_door == layout.ant_door[a]])
        index.append(int(np.searchsorted(ports, layout.ant_port[a])))
    return index


class Rounds(NamedTuple):
    """Inventory rounds that may read a load: movement, antenna, start and length (us)."""

    m: IntArray
    a: IntArray
    start: IntArray
    length: IntArray


def _evaluate(
    ctx: ReadContext,
    pending: list[tuple[int, IntArray, IntArray]],
    rngs: tuple[np.random.Generator, np.random.Generator],
    out: ReadBatch,
) -> None:
    # Expand rounds to (round, tag) pairs, then draw timing, fading, success and misses.
    phys, miss = rngs
    rounds = _near_rounds(ctx.world, pending)
    r, tag, t = _pairs(ctx, rounds, phys)
    rssi = _draw_rssi(ctx.world, rounds, (r, tag, t), phys)
    readable = (
        phys.random(len(r)) < read_probability(rssi, ctx.world.radio)
    ) & ~ctx.world.tags.dead[tag]
    kept = readable & (miss.random(len(r)) >= ctx.miss_rate) & (t < ctx.end_us)
    out.read_attempts += int(readable.sum())
    out.missed += int((readable & ~kept).sum())
    a = rounds.a[r[kept]]
    part: Reads = np.empty(len(a), dtype=READ_DTYPE)
    part["t_us"], part["tag"], part["rssi"] = t[kept], tag[kept], rssi[kept]
    part["reader"], part["antenna"] = ctx.world.layout.ant_door[a], ctx.world.layout.ant_port[a]
    out.parts.append(part)


def _near_rounds(world: World, pending: list[tuple[int, IntArray, IntArray]]) -> Rounds:
    # Rounds whose load can be heard at all (parked loads: decided per tag in the survey).
    key = np.concatenate([np.full(len(p[1]), p[0], dtype=np.int64) for p in pending])
    start = np.concatenate([p[1] for p in pending])
    length = np.concatenate([p[2] for p in pending])
    m, a = np.divmod(key, world.layout.n_antennas)
    reach = world.radio.sensitivity_dbm - REACH_MARGIN_DB
    near = (world.motions.speed[m] == 0) | (_centre_rssi(world, m, a, start) > reach)
    return Rounds(m[near], a[near], start[near], length[near])


def _pairs(
    ctx: ReadContext, rounds: Rounds, phys: np.random.Generator
) -> tuple[IntArray, IntArray, IntArray]:
    # Every tag of the load in every round, at a random slot of that round.
    tags = ctx.world.tags
    pallet = ctx.world.motions.pallet[rounds.m]
    per = tags.count[pallet]
    r = np.repeat(np.arange(len(rounds.m)), per)
    tag = tags.first[pallet][r] + np.arange(len(r)) - np.repeat(np.cumsum(per) - per, per)
    overhead = ctx.schedules[0].overhead_us
    slot = phys.random(len(r)) * (rounds.length[r] - overhead)
    t = rounds.start[r] + np.round(overhead + slot).astype(np.int64)
    return r, tag, t


def _draw_rssi(
    world: World,
    rounds: Rounds,
    pairs: tuple[IntArray, IntArray, IntArray],
    phys: np.random.Generator,
) -> FloatArray:
    # Loads move in a straight line during one round (well under a metre).
    r, tag, t = pairs
    radio = world.radio
    centre, heading = world.motions.pose(rounds.m, rounds.start)
    speed = world.motions.speed[rounds.m][r]
    step = (speed * (t - rounds.start[r]) * 1e-6)[:, None]
    rssi = rssi_on_load(world, (centre[r] + step * heading[r], heading[r]), rounds.a[r], tag)
    sigma = np.where(speed > 0, radio.fading_sigma_db, radio.static_fading_sigma_db)
    return quantise(rssi + sigma * phys.standard_normal(len(t)), radio)
