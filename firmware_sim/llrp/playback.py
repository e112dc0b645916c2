"""Scenario playback: a shared, speed-scaled clock and each reader's timeline of due reads."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import numpy.typing as npt

from firmware_sim.scenario.types import Reads, Scenario


class PlaybackClock:
    """Scenario time since playback start, running `speed` times faster than the wall clock.

    One clock is shared by every reader of a process so that their reads stay in step.
    """

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed = float(speed)
        self._t0: float | None = None
        self._started = asyncio.Event()

    @property
    def started(self) -> bool:
        """Whether playback has begun."""
        return self._t0 is not None

    def start(self) -> None:
        """Begin playback now (later calls do nothing)."""
        if self._t0 is None:
            self._t0 = time.monotonic()
            self._started.set()

    async def wait_started(self) -> None:
        """Wait until playback begins."""
        await self._started.wait()

    def offset_us(self) -> int:
        """Scenario microseconds elapsed since playback began (0 before)."""
        if self._t0 is None:
            return 0
        return int((time.monotonic() - self._t0) * 1e6 * self.speed)

    def wall_seconds(self, scenario_us: float) -> float:
        """Wall-clock seconds that a scenario span takes at this speed."""
        return scenario_us / 1e6 / self.speed


def _true_times(scenario: Scenario, reader: int) -> npt.NDArray[np.int64]:
    """True times of reads_of(reader), in the same order."""
    mine = np.flatnonzero(scenario.reads["reader"] == reader)
    t_us = scenario.reads["t_us"][mine].astype(np.int64)
    order = np.argsort(t_us, kind="stable")  # the order reads_of uses
    true = scenario.meta.get("true_time_us")
    if isinstance(true, np.ndarray) and true.shape == scenario.reads.shape:
        exact: npt.NDArray[np.int64] = true[mine][order].astype(np.int64)
        return exact
    skewed: npt.NDArray[np.int64] = t_us[order] - scenario.readers[reader].clock_skew_us
    return skewed


class ReadTimeline:
    """One reader's reads, released as the playback clock passes their true time.

    A read is due when the clock reaches its true time relative to the scenario start: the
    scenario's meta["true_time_us"] when it exports one (aligned with its reads), else the
    reader timestamp minus the reader's clock skew. With looping, lap k replays the reads with
    timestamps shifted by k scenario lengths, so reader time never runs backwards.
    """

    def __init__(self, scenario: Scenario, reader: int, *, loop: bool = False) -> None:
        self.reads: Reads = scenario.reads_of(reader)
        # Non-decreasing by construction (searchsorted needs it), even if a scenario's clock
        # model rounds two neighbouring reads out of order.
        self.due_us = np.maximum.accumulate(_true_times(scenario, reader) - scenario.start_us)
        last = int(self.due_us[-1]) + 1 if len(self.due_us) else 1
        self.lap_us = max(scenario.end_us - scenario.start_us, last, 1)
        self.loop = loop
        self.lap = 0
        self._next = 0

    @property
    def finished(self) -> bool:
        """Whether every read has been released (never, when looping over reads)."""
        return self._next >= len(self.reads) and not (self.loop and len(self.reads))

    @property
    def released(self) -> int:
        """Reads released so far, over all laps."""
        return self.lap * len(self.reads) + self._next

    def take_due(self, now_us: int) -> Reads:
        """Release every read due by scenario time now_us (timestamps shifted for the lap)."""
        chunks: list[Reads] = []
        while True:
            base = self.lap * self.lap_us
            end = int(np.searchsorted(self.due_us, now_us - base, side="right"))
            if end > self._next:
                chunks.append(self._shifted(self._next, end))
                self._next = end
            if not (self.loop and self._next >= len(self.reads) and len(self.reads)):
                break
            if now_us < base + self.lap_us:
                break
            self.lap, self._next = self.lap + 1, 0
        if len(chunks) == 1:
            return chunks[0]
        return np.concatenate(chunks) if chunks else self.reads[:0]

    def _shifted(self, start: int, end: int) -> Reads:
        chunk: Reads = self.reads[start:end]
        if self.lap:
            chunk = chunk.copy()  # later laps shift timestamps; the original stays lap 0
            chunk["t_us"] += self.lap * self.lap_us
        return chunk

    def next_due_us(self) -> int | None:
        """Scenario time of the next read to release, if any remain."""
        if self._next < len(self.reads):
            return int(self.due_us[self._next]) + self.lap * self.lap_us
        if self.loop and len(self.reads):
            return (self.lap + 1) * self.lap_us + int(self.due_us[0])
        return None
