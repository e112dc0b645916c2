"""Receiver bytes in, PositionFix events out: decoder → epochs → filters → reporting policy.

Used by the gateway's GPS source (live, from a serial port) and by `tagtrail track` (from a
log file), so both apply the same rules.
"""

from __future__ import annotations

from collections import Counter

from edge.gps.config import GpsConfig
from edge.gps.epochs import EpochAssembler, RawFix
from edge.gps.filters import Fix, FixFilter
from edge.gps.nmea import NmeaDecoder
from edge.gps.policy import ReportPolicy
from protocol.ids import make_event_id
from protocol.messages import PositionFix
from protocol.topics import Kind


class GpsPipeline:
    """One receiver's stream; not thread-safe (one reader at a time)."""

    def __init__(self, config: GpsConfig, gateway: str) -> None:
        self.config = config
        self.gateway = gateway
        self.decoder = NmeaDecoder()
        self.epochs = EpochAssembler()
        self.filter = FixFilter(config)
        self.policy = ReportPolicy(config)
        self.epochs_total = 0
        self.reported = 0

    @property
    def rejected(self) -> Counter[str]:
        """Fixes rejected by the filters, per reason."""
        return self.filter.rejected

    def feed(self, data: bytes, now_ms: int) -> list[PositionFix]:
        """Decode bytes; return the fixes they decided to report."""
        raws: list[RawFix] = []
        for sentence in self.decoder.feed(data):
            raws += self.epochs.push(sentence)
        return self._decide(raws, now_ms)

    def idle(self, now_ms: int) -> list[PositionFix]:
        """The line went quiet: the open epoch is complete."""
        return self._decide(self.epochs.close(), now_ms)

    def disconnected(self, now_ms: int) -> list[PositionFix]:
        """The device went away: an unterminated line is partial, the open epoch complete."""
        self.decoder.reset()
        return self.idle(now_ms)

    def finish(self, now_ms: int) -> list[PositionFix]:
        """End of input: decide everything, and report the last accepted fix if it was not."""
        raws: list[RawFix] = []
        for sentence in self.decoder.flush():
            raws += self.epochs.push(sentence)
        decided = self._decide(raws + self.epochs.close(), now_ms)
        last = self.policy.take_pending()
        return decided if last is None else [*decided, self._event(last)]

    def _decide(self, raws: list[RawFix], now_ms: int) -> list[PositionFix]:
        events = []
        for raw in raws:
            self.epochs_total += 1
            fix = self.filter.check(raw, now_ms)
            if fix is not None and self.policy.offer(fix):
                events.append(self._event(fix))
        return events

    def _event(self, fix: Fix) -> PositionFix:
        self.reported += 1
        device = self.config.name
        return PositionFix(
            id=make_event_id(self.gateway, Kind.POSITION, device, fix.time_ms),
            device=device,
            time_ms=fix.time_ms,
            lat=round(fix.lat, 7),
            lon=round(fix.lon, 7),
            speed_mps=None if fix.speed_mps is None else round(fix.speed_mps, 2),
            heading_deg=None if fix.course_deg is None else round(fix.course_deg, 1),
            hdop=fix.hdop,
            satellites=fix.satellites,
        )
