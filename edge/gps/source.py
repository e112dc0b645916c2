"""The gateway's GPS source: an NMEA receiver on a serial port, read on a thread.

The thread owns the port: it reads whatever bytes are waiting, runs them through the
GpsPipeline and queues the PositionFix events it decides; the gateway drains the queue into
its outbox. An unplugged or vanished device is reopened with backoff; a silent line closes
the receiver's epoch, so a fix never waits for the next one to be decided.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import serial

from edge.gps.config import GpsConfig
from edge.gps.pipeline import GpsPipeline
from edge.sources import OutboxEvent
from edge.transport.backoff import Backoff
from protocol.codec import row_json
from protocol.messages import PositionFix, SourceHealth
from protocol.topics import Kind

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0
DROP_LOG_INTERVAL_S = 10.0


class GpsSource:
    """EventSource of one GPS receiver (see edge.sources.EventSource)."""

    def __init__(
        self, config: GpsConfig, gateway: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.name = config.name
        self.config = config
        self._clock = clock
        self._pipeline = GpsPipeline(config, gateway)
        self._queue: deque[PositionFix] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._backoff = Backoff(config.reconnect_min_s, config.reconnect_max_s)
        self._connected = False
        self._opens = 0
        self._last_error: str | None = None
        self.dropped = 0
        self._drop_logged = float("-inf")

    def start(self) -> None:
        """Start the reader thread (it opens the port, and reopens it when it goes away)."""
        self._thread = threading.Thread(target=self._run, name=f"gps-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reading, close the port, decide the last epoch and the end of the track."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            if self._thread.is_alive():
                logger.warning("GPS %s reader did not stop within %.0fs", self.name, STOP_TIMEOUT_S)
        with self._lock:
            self._put(self._pipeline.finish(self._now_ms()))

    def drain(self, now_us: int) -> list[OutboxEvent]:
        """Fixes decided since the last call, oldest first, as outbox rows."""
        with self._lock:
            fixes = list(self._queue)
            self._queue.clear()
        return [(Kind.POSITION, fix.id, row_json(fix)) for fix in fixes]

    def health(self) -> SourceHealth:
        """Counters for the gateway's health report."""
        with self._lock:
            decoder = self._pipeline.decoder
            return SourceHealth(
                name=self.name,
                kind="gps",
                connected=self._connected,
                lines_total=decoder.lines_total,
                bad_lines=decoder.bad_lines,
                reconnects=max(self._opens - 1, 0),
                last_error=self._last_error,
            )

    def stats(self) -> dict[str, int]:
        """Everything counted so far: lines by kind, fixes rejected per reason, reports."""
        with self._lock:
            p = self._pipeline
            counts = dict(p.decoder.counts) | {f"rejected_{k}": v for k, v in p.rejected.items()}
            return counts | {
                "epochs": p.epochs_total,
                "accepted": p.filter.accepted,
                "reported": p.reported,
                "dropped": self.dropped,
            }

    # -- the reader thread -------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            port = self._open()
            if port is not None:
                self._read(port)
            if not self._stop.is_set():
                self._stop.wait(self._backoff.next_delay())

    def _open(self) -> serial.Serial | None:
        self._opens += 1
        try:
            port = serial.Serial(
                self.config.port, self.config.baudrate, timeout=self.config.idle_close_s
            )
        except (OSError, ValueError) as exc:  # SerialException is an OSError
            self._lost(f"cannot open {self.config.port}: {exc}", first=self._opens == 1)
            return None
        logger.info("GPS %s: %s open", self.name, self.config.port)
        self._connected = True  # last_error stays: it is the last one, not a current one
        return port

    def _read(self, port: serial.Serial) -> None:
        try:
            while not self._stop.is_set():
                data = port.read(port.in_waiting or 1)
                self._take(data)
        except OSError as exc:
            self._lost(f"{self.config.port}: {exc}", first=False)
        finally:
            port.close()
            self._connected = False
            with self._lock:
                self._put(self._pipeline.disconnected(self._now_ms()))

    def _take(self, data: bytes) -> None:
        now_ms = self._now_ms()
        with self._lock:
            if data:
                self._put(self._pipeline.feed(data, now_ms))
                self._backoff.reset()  # the device talks: the next loss starts afresh
            else:
                self._put(self._pipeline.idle(now_ms))

    def _lost(self, message: str, *, first: bool) -> None:
        self._last_error = message[:500]
        level = logging.INFO if first else logging.WARNING
        logger.log(level, "GPS %s: %s; reopening with backoff", self.name, message)

    def _put(self, fixes: list[PositionFix]) -> None:
        # Called with the lock held. The gateway drains often; a full queue means it is stuck.
        self._queue.extend(fixes)
        excess = len(self._queue) - self.config.queue_max
        if excess > 0:
            for _ in range(excess):
                self._queue.popleft()
            self.dropped += excess
            self._log_drops()

    def _log_drops(self) -> None:
        if time.monotonic() - self._drop_logged >= DROP_LOG_INTERVAL_S:
            self._drop_logged = time.monotonic()
            logger.warning(
                "GPS %s: fix queue full, %d oldest dropped so far", self.name, self.dropped
            )

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)
