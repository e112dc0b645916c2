"""Options of the emulated readers, and the error fault injection raises without a client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


class NotConnectedError(RuntimeError):
    """A fault was to be injected into a client connection, but no client is connected."""


@dataclass(frozen=True, slots=True)
class EmulatorOptions:
    """How an emulated reader plays its scenario and treats slow or absent clients.

    clock_start "rospec" starts playback (shared by all readers of a fleet) when the first
    ROSpec starts running, so no read falls due before a client could take it; "now" starts
    it when the servers start. Keepalives follow the wall clock; everything else the reader
    does (report timeouts, ROSpec durations, timestamps) follows scenario time.
    """

    speed: float = 1.0
    loop: bool = False
    hold_reports: bool = False  # hold reads while no client is connected, as if the client
    # had set EventsAndReports.HoldEventsAndReportsUponReconnect
    clock_start: Literal["rospec", "now"] = "rospec"
    tick_s: float = 0.01  # how often due reads are released (they are batched per tick)
    max_pending_reads: int = 100_000  # report buffer: a full buffer is reported at once
    max_held_reads: int = 100_000  # hold buffer: reads beyond it are dropped (newest first)
    max_unsent_bytes: int = 8 << 20  # slow client: reports beyond it are dropped
    max_tags_per_report: int = 1000  # cap on TagReportData per RO_ACCESS_REPORT
    reconnect_grace_s: float = 0.5  # a new client waits this long for the old one to go
