"""When reads become reports: ROReportSpec and AISpec triggers, and the bounded hold buffer.

A ROSpec here runs until stopped: each AISpec cycle ends after its TagObservationTrigger's N
tags or timeout (or its Duration) and the next cycle starts at once, which is how clients such
as sllurp get a steady stream of reports from `report_every_n_tags`. All times are scenario
(reader) time, so a faster playback also shortens report timeouts. Whatever the trigger, reads
still pending when a ROSpec ends are reported then, so no read is left behind in the buffer.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from firmware_sim.llrp.constants import ReportTrigger, StopTrigger, TagObservation
from firmware_sim.llrp.report import ReportFormat
from firmware_sim.llrp.requests import ReportSpec
from firmware_sim.llrp.requests import ROSpec as ROSpecData
from firmware_sim.scenario.types import READ_DTYPE, Reads

_COUNTING = (TagObservation.UPON_N_TAGS, TagObservation.UPON_N_UNIQUE_TAGS)
_PERIOD_UNIT_US = {
    ReportTrigger.N_SECONDS: 1_000_000,
    ReportTrigger.N_SECONDS_OR_END_OF_ROSPEC: 1_000_000,
    ReportTrigger.N_MILLISECONDS: 1_000,
    ReportTrigger.N_MILLISECONDS_OR_END_OF_ROSPEC: 1_000,
}


@dataclass(frozen=True, slots=True)
class ReportPolicy:
    """Report triggers of a running ROSpec, in scenario microseconds."""

    per_report: int = 0  # ROReportSpec N: report every N tags (0 = no count trigger)
    cycle_tags: int = 0  # the AISpec ends after N tags (0 = not by count)
    cycle_us: int = 0  # the AISpec ends after this long (0 = not by time)
    period_us: int = 0  # report every N seconds / milliseconds (0 = no timer)
    on_aispec_end: bool = False
    stop_after_us: int = 0  # the ROSpec's Duration stop trigger (0 = none)

    @property
    def per_message(self) -> int:
        """Tag reports per RO_ACCESS_REPORT: one report per N tags or per ended AISpec cycle."""
        cycle = self.cycle_tags if self.on_aispec_end else 0
        return min((n for n in (self.per_report, cycle) if n), default=0)

    @classmethod
    def of(cls, spec: ROSpecData, report: ReportSpec) -> ReportPolicy:
        """Policy of a ROSpec under its report spec (only the first AISpec cycles)."""
        ai = spec.ai_specs[0]
        obs = ai.observation
        cycle_tags = obs.n_tags if obs and obs.trigger in _COUNTING else 0
        cycle_ms = obs.timeout_ms if obs else 0
        if ai.stop_trigger == StopTrigger.DURATION:
            cycle_ms = ai.duration_ms
        stop_ms = spec.stop_duration_ms if spec.stop_trigger == StopTrigger.DURATION else 0
        unit = _PERIOD_UNIT_US.get(ReportTrigger(report.trigger), 0)
        return cls(
            per_report=0 if unit else report.n,
            cycle_tags=cycle_tags,
            cycle_us=cycle_ms * 1000,
            period_us=report.n * unit,
            on_aispec_end=report.trigger == ReportTrigger.N_TAGS_OR_END_OF_AISPEC,
            stop_after_us=stop_ms * 1000,
        )


class ReportBatcher:
    """Reads of the running ROSpec waiting for a report trigger."""

    def __init__(self, policy: ReportPolicy, now_us: int, max_pending: int) -> None:
        self.policy = policy
        self.max_pending = max_pending
        self._parts: list[Reads] = []
        self.pending = 0
        self._cycle_tags = 0
        self._cycle_start = now_us
        self._period_start = now_us
        self.forced = 0  # reports sent because max_pending was reached

    def add(self, reads: Reads) -> list[Reads]:
        """Queue newly read tags; return the reports their arrival triggers."""
        if not len(reads):
            return []
        self._parts.append(reads)
        self.pending += len(reads)
        self._cycle_tags += len(reads)
        out = self._take_full_reports()
        out.extend(self._take_ended_cycles())
        if self.pending >= self.max_pending:
            self.forced += 1
            out.append(self.drain())
        return out

    def tick(self, now_us: int) -> list[Reads]:
        """Reports that time triggers (AISpec timeout, N seconds/ms) make due at now_us."""
        p = self.policy
        out: list[Reads] = []
        if p.cycle_us and now_us - self._cycle_start >= p.cycle_us:
            self._cycle_start, self._cycle_tags = now_us, 0
            if p.on_aispec_end and self.pending:
                out.append(self.drain())
        if p.period_us and now_us - self._period_start >= p.period_us:
            self._period_start = now_us
            if self.pending:
                out.append(self.drain())
        return out

    def drain(self) -> Reads:
        """Everything pending, in read order (for end of ROSpec and GET_REPORT)."""
        return self._take(self.pending)

    def _take_full_reports(self) -> list[Reads]:
        n = self.policy.per_report
        if not n or self.pending < n:
            return []
        return [self._take(self.pending - self.pending % n)]

    def _take_ended_cycles(self) -> list[Reads]:
        size = self.policy.cycle_tags
        if not size or self._cycle_tags < size:
            return []
        leftover = self._cycle_tags % size  # reads of the cycle that has just begun
        self._cycle_tags = leftover
        if not self.policy.on_aispec_end or self.pending <= leftover:
            return []
        return [self._take(self.pending - leftover)]

    def _take(self, count: int) -> Reads:
        if not self._parts:
            return np.zeros(0, READ_DTYPE)
        merged: Reads = np.concatenate(self._parts) if len(self._parts) > 1 else self._parts[0]
        head, rest = merged[:count], merged[count:]
        self._parts = [rest] if len(rest) else []
        self.pending = len(rest)
        return head


@dataclass(frozen=True, slots=True)
class HeldChunk:
    """Reads held for a client that is away, with the format they were read under."""

    format: ReportFormat
    per_message: int
    reads: Reads


class HeldReads:
    """Bounded buffer of reads waiting for a client; when full, new reads are dropped."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.count = 0
        self._chunks: deque[HeldChunk] = deque()

    def add(self, fmt: ReportFormat, per_message: int, reads: Reads) -> int:
        """Hold reads; return how many did not fit and were dropped."""
        room = max(self.capacity - self.count, 0)
        kept = reads[:room]
        if len(kept):
            self._chunks.append(HeldChunk(fmt, per_message, kept))
            self.count += len(kept)
        return len(reads) - len(kept)

    def take(self) -> list[HeldChunk]:
        """Everything held, oldest first, leaving the buffer empty."""
        chunks = list(self._chunks)
        self._chunks.clear()
        self.count = 0
        return chunks
