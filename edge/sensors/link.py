"""One serial port under supervision: open, read lines (polling if asked), reopen with backoff.

The port is opened by its path with pyserial exactly as a real RS-232 or USB-serial device. When
the device goes away (a USB probe unplugged, a pty closed) reads fail, the partial line is
reported and the port is reopened with backoff until the device is back. A port that stays
silent for `silence_s` is reopened too: a re-enumerated USB adapter can leave a dead handle that
never errors.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import serial

from edge.sensors.config import SensorConfig
from edge.sensors.lines import LineSplitter
from edge.transport.backoff import Backoff

logger = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.1  # bounds how long stop() and a due poll wait for a blocked read
WRITE_TIMEOUT_S = 1.0
REPEAT_LOG_S = 60.0  # a failure that repeats unchanged is logged again only this often

Clock = Callable[[], int]
LineSink = Callable[[int, bytes], None]  # (arrival time in epoch µs, line without its end)
OpenPort = Callable[[SensorConfig], serial.Serial]


def wall_us() -> int:
    """Gateway wall clock in microseconds since the epoch (readings are stamped with it)."""
    return time.time_ns() // 1000


def open_serial(config: SensorConfig) -> serial.Serial:
    """Open the configured device, 8N1, no flow control, locked against a second reader."""
    return serial.Serial(
        port=config.port,
        baudrate=config.baudrate,
        timeout=READ_TIMEOUT_S,
        write_timeout=WRITE_TIMEOUT_S,
        exclusive=True,  # two readers would each get half the lines
    )


class SerialLink:
    """A supervisor thread that keeps one port open and hands every received line to a sink."""

    def __init__(
        self,
        config: SensorConfig,
        on_line: LineSink,
        on_partial: LineSink,
        *,
        clock: Clock = wall_us,
        opener: OpenPort = open_serial,
    ) -> None:
        self.config = config
        self._on_line = on_line
        self._on_partial = on_partial
        self._clock = clock
        self._opener = opener
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._open = False
        self._last_rx = 0.0
        self._reconnects = 0
        self._last_error: str | None = None
        self._logged: tuple[str, float] = ("", float("-inf"))
        self._poll = config.poll_command.encode("ascii") + b"\r"

    def start(self) -> None:
        """Start the supervisor thread."""
        self._thread = threading.Thread(
            target=self._run, name=f"sensor-{self.config.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread and close the port."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("sensor %s: reader did not stop in %.0fs", self.config.name, timeout)

    @property
    def connected(self) -> bool:
        """Open and heard from within silence_s."""
        with self._lock:
            recent = time.monotonic() - self._last_rx < self.config.silence_s
            return self._open and self._last_rx > 0 and recent

    @property
    def reconnects(self) -> int:
        """Reopen attempts since start."""
        with self._lock:
            return self._reconnects

    @property
    def last_error(self) -> str | None:
        """The last reason the port failed or was reopened."""
        with self._lock:
            return self._last_error

    def note_error(self, reason: str) -> None:
        """Record a problem (also used by the owner for line-level trouble)."""
        with self._lock:
            self._last_error = reason[:500]

    def _run(self) -> None:
        backoff = Backoff(self.config.reconnect_min_s, self.config.reconnect_max_s)
        while not self._stop.is_set():
            port = self._try_open()
            if port is not None:
                backoff.reset()
                self._session(port)
            if self._stop.is_set():
                break
            with self._lock:
                self._reconnects += 1
            self._stop.wait(backoff.next_delay())

    def _try_open(self) -> serial.Serial | None:
        try:
            port = self._opener(self.config)
        except (OSError, ValueError) as exc:  # SerialException is an OSError
            self._fail(f"cannot open {self.config.port}: {exc}")
            return None
        with self._lock:
            self._open, self._last_rx = True, 0.0
        self._logged = ("", float("-inf"))
        logger.info("sensor %s: %s open", self.config.name, self.config.port)
        return port

    def _session(self, port: serial.Serial) -> None:
        """Read until the device fails, falls silent, or stop; always close the port."""
        splitter = LineSplitter()
        try:
            self._read_loop(port, splitter)
        except (OSError, ValueError) as exc:
            self._fail(f"{self.config.port} lost: {exc}")
        finally:
            partial = splitter.reset()
            if partial:
                self._on_partial(self._clock(), partial)
            with self._lock:
                self._open = False
            port.close()

    def _read_loop(self, port: serial.Serial, splitter: LineSplitter) -> None:
        opened = time.monotonic()
        next_poll = opened
        while not self._stop.is_set():
            next_poll = self._maybe_poll(port, next_poll)
            data = port.read(port.in_waiting or 1)
            if data:
                self._received(splitter.feed(data))
            elif time.monotonic() - max(self._last_rx, opened) > self.config.silence_s:
                self._fail(f"{self.config.port} silent for {self.config.silence_s:g}s; reopening")
                return

    def _maybe_poll(self, port: serial.Serial, due: float) -> float:
        if self.config.mode != "polled" or time.monotonic() < due:
            return due
        port.write(self._poll)
        # Keep the cadence, but never fire a burst of polls to catch up after a stall.
        return max(due + self.config.poll_interval_s, time.monotonic())

    def _received(self, lines: list[bytes]) -> None:
        stamp = self._clock()
        with self._lock:
            self._last_rx = time.monotonic()
        for line in lines:
            self._on_line(stamp, line)

    def _fail(self, reason: str) -> None:
        self.note_error(reason)
        # While the device is away every reopen fails the same way: say so once a minute.
        now = time.monotonic()
        if reason != self._logged[0] or now - self._logged[1] >= REPEAT_LOG_S:
            self._logged = (reason, now)
            logger.warning("sensor %s: %s", self.config.name, reason)
        else:
            logger.debug("sensor %s: %s", self.config.name, reason)
