"""SensorSource: one serial temperature/humidity probe as an event source of the gateway.

Thread model: the link's reader thread stamps each line on arrival, parses and checks it, and
queues the result (bounded; a full queue drops and logs). The gateway thread drains the queue on
every step into the interval aggregator and takes the closed intervals as ConditionSamples.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass

from edge.sensors.aggregate import IntervalAggregator
from edge.sensors.config import SensorConfig
from edge.sensors.lines import TRUNCATED, LineRules, Reading, Rejected, parse_line
from edge.sensors.link import Clock, OpenPort, SerialLink, open_serial, wall_us
from edge.sensors.stuck import StuckChange, StuckDetector
from edge.sources import OutboxEvent
from protocol.codec import row_json
from protocol.messages import SourceHealth
from protocol.topics import Kind

logger = logging.getLogger(__name__)

LOG_EVERY_S = 10.0  # rate limit of repeated warnings (bad lines, queue drops)
Item = tuple[int, Reading | Rejected]


@dataclass(frozen=True, slots=True)
class SensorStats:
    """Counters of one sensor beyond what SourceHealth carries."""

    lines: int
    readings: int
    bad: dict[str, int]
    dropped: int
    late: int
    empty_intervals: int
    stuck: bool
    stuck_episodes: int
    stuck_readings: int
    reconnects: int
    connected: bool


class SensorSource:
    """A serial probe read by its own thread, aggregated into per-interval samples."""

    def __init__(
        self,
        config: SensorConfig,
        gateway: str,
        *,
        clock: Clock = wall_us,
        opener: OpenPort = open_serial,
    ) -> None:
        self.name = config.name
        self.config = config
        self.gateway = gateway
        self._clock = clock
        self._rules = LineRules.of(config)
        self._queue: queue.Queue[Item] = queue.Queue(config.queue_max)
        self._link = SerialLink(config, self._on_line, self._on_partial, clock=clock, opener=opener)
        self._stuck = StuckDetector(config.stuck_after)
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._logged: dict[str, float] = {}
        self._agg = IntervalAggregator(gateway, config.name, config.interval_s, clock())
        self._stopped_us: int | None = None
        self._flushed = False

    def start(self) -> None:
        """Open the device and start reading (returns at once)."""
        self._agg = IntervalAggregator(
            self.gateway, self.name, self.config.interval_s, self._clock()
        )
        self._link.start()

    def stop(self) -> None:
        """Stop reading and close the device; the next drain reports the partial interval."""
        self._link.stop()
        self._stopped_us = self._clock()

    def drain(self, now_us: int) -> list[OutboxEvent]:
        """Rows of the intervals closed by now_us (all of them once stopped), in time order."""
        self._take_queued()
        if self._stopped_us is None:
            samples = self._agg.close(now_us)
        elif not self._flushed:
            self._flushed = True
            samples = self._agg.flush(self._stopped_us)
        else:
            samples = []
        return [(Kind.CONDITION, s.id, row_json(s)) for s in samples]

    def health(self) -> SourceHealth:
        """Counters for the gateway health report."""
        with self._lock:
            lines, bad = self._counts["lines"], self._bad_total()
        return SourceHealth(
            name=self.name,
            kind="sensor",
            connected=self._link.connected,
            lines_total=lines,
            bad_lines=bad,
            reconnects=self._link.reconnects,
            last_error=self._link.last_error,
        )

    def stats(self) -> SensorStats:
        """A snapshot of every counter of this sensor."""
        with self._lock:
            counts = dict(self._counts)
            stuck = (self._stuck.stuck, self._stuck.episodes, self._stuck.readings)
        return SensorStats(
            lines=counts.get("lines", 0),
            readings=counts.get("readings", 0),
            bad={k[4:]: v for k, v in counts.items() if k.startswith("bad:")},
            dropped=counts.get("dropped", 0),
            late=self._agg.late,
            empty_intervals=self._agg.empty,
            stuck=stuck[0],
            stuck_episodes=stuck[1],
            stuck_readings=stuck[2],
            reconnects=self._link.reconnects,
            connected=self._link.connected,
        )

    # -- the reader thread -------------------------------------------------------------------

    def _on_line(self, t_us: int, line: bytes) -> None:
        result = parse_line(line, self._rules)
        with self._lock:
            self._counts["lines"] += 1
            change = self._count(result)
        if change is not None:
            self._report_stuck(change)
        if isinstance(result, Rejected):
            self._warn(result.reason, f"{result.reason} line: {result.detail}")
        self._offer((t_us, result))

    def _on_partial(self, t_us: int, partial: bytes) -> None:
        rejected = Rejected(TRUNCATED, f"{len(partial)} bytes of a line when the port closed")
        with self._lock:
            self._counts["lines"] += 1
            self._count(rejected)
        self._offer((t_us, rejected))

    def _count(self, result: Reading | Rejected) -> StuckChange | None:
        if isinstance(result, Rejected):
            self._counts["bad:" + result.reason] += 1
            return None
        self._counts["readings"] += 1
        return self._stuck.feed(result)

    def _offer(self, item: Item) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            with self._lock:
                self._counts["dropped"] += 1
                dropped = self._counts["dropped"]
            self._warn("dropped", f"reading queue full: {dropped} readings dropped so far")

    def _report_stuck(self, change: StuckChange) -> None:
        value = f"T={change.reading.temp} RH={change.reading.rh}"
        if change.stuck:
            message = f"readings stuck: {change.run} identical in a row ({value})"
            self._link.note_error(message)
            logger.warning("sensor %s: %s", self.name, message)
        else:
            logger.info(
                "sensor %s: readings move again after %d at %s", self.name, change.run, value
            )

    def _warn(self, key: str, message: str) -> None:
        """Log a recurring problem at most every LOG_EVERY_S per kind; health counts them all."""
        self._link.note_error(message)
        now = time.monotonic()
        if now - self._logged.get(key, float("-inf")) >= LOG_EVERY_S:
            self._logged[key] = now
            logger.warning("sensor %s: %s", self.name, message)

    # -- the gateway thread ------------------------------------------------------------------

    def _take_queued(self) -> None:
        while True:
            try:
                t_us, result = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(result, Reading):
                self._agg.add(t_us, result)
            else:
                self._agg.reject(t_us)

    def _bad_total(self) -> int:
        return sum(v for k, v in self._counts.items() if k.startswith("bad:"))
