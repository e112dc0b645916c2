"""An emulated GPS receiver on a pseudo-terminal, playing a scenario in (accelerated) time.

The pty's slave is reachable through a stable symlink (as udev's /dev/serial/by-id links are),
so that an unplugged and replugged receiver comes back under the same name although the pty
behind it is new. Epoch k goes out at start + k / speed; the sentences carry the scenario's
UTC, so accelerated playback keeps emulated time in the data. The emulator keeps its own
slave descriptor open: output waits in the pty until a reader opens it, as a USB receiver's
does in its driver; beyond the pty's buffer it is dropped and counted.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
import tty
from dataclasses import dataclass
from pathlib import Path

from firmware_sim.gps.scenario import GpsScenario

logger = logging.getLogger(__name__)


@dataclass
class ReceiverCounters:
    """What the receiver did so far."""

    epochs_sent: int = 0
    epochs_lost: int = 0  # due while unplugged
    bytes_sent: int = 0
    bytes_dropped: int = 0  # the pty was full (nobody reading)
    plugs: int = 0


class PtyReceiver:
    """Plays a GpsScenario on a pty reachable at `link`; see the module docstring."""

    def __init__(
        self, scenario: GpsScenario, link: Path, *, speed: float = 1.0, patience_s: float = 0.0
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.scenario = scenario
        self.link = link
        self.speed = speed
        # How long to wait for a slow reader before dropping output: 0 drops at once, as a
        # serial line does; tests that compare every byte wait (playback then runs late).
        self.patience_s = patience_s
        self.counters = ReceiverCounters()
        self.sent_ms: list[int] = []  # epoch times written whole, in order
        self._fds: tuple[int, int] | None = None  # (master, slave)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._play, name="gps-receiver", daemon=True)
        self._started = 0.0
        self._full = False  # the pty is full: log once per episode, not per epoch

    def start(self) -> Path:
        """Plug in (unless plugged already) and start playing; return the device link."""
        if not self.plugged:
            self.plug()
        self._started = time.monotonic()
        self._thread.start()
        return self.link

    def stop(self) -> None:
        """Stop playing and unplug."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        self.unplug()

    def plug(self) -> None:
        """Create a fresh pty and point the link at it."""
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing: bytes pass as a UART would pass them
        os.set_blocking(master, False)
        temporary = self.link.with_name(f".{self.link.name}.{os.getpid()}")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(os.ttyname(slave))
        os.replace(temporary, self.link)
        with self._lock:
            self._fds = (master, slave)
            self.counters.plugs += 1
        logger.info("GPS receiver plugged in at %s -> %s", self.link, os.ttyname(slave))

    def unplug(self) -> None:
        """Close the pty (readers get an I/O error) and remove the link."""
        with self._lock:
            fds, self._fds = self._fds, None
        if fds is None:
            return
        self.link.unlink(missing_ok=True)
        for fd in fds:
            os.close(fd)
        logger.info("GPS receiver at %s unplugged", self.link)

    @property
    def plugged(self) -> bool:
        """Whether the pty exists."""
        with self._lock:
            return self._fds is not None

    def emulated_s(self) -> float:
        """Emulated seconds played so far."""
        if not self._started:
            return 0.0
        return min((time.monotonic() - self._started) * self.speed, self.scenario.duration_s)

    @property
    def dropped(self) -> int:
        """Bytes dropped because the pty was full."""
        return self.counters.bytes_dropped

    def wait_finished(self, timeout: float | None = None) -> bool:
        """Wait until every epoch is due and handled; True if so."""
        return self._done.wait(timeout)

    def _play(self) -> None:
        try:
            for k, data in enumerate(self.scenario.epochs):
                due = self._started + k / self.speed
                if self._stop.wait(max(0.0, due - time.monotonic())):
                    return
                self._send(int(self.scenario.truth.time_ms[k]), data)
        finally:
            self._done.set()

    def _send(self, time_ms: int, data: bytes) -> None:
        with self._lock:
            if self._fds is None:
                self.counters.epochs_lost += 1
                return
            written = self._write(self._fds[0], data)
            self.counters.bytes_sent += written
            self.counters.bytes_dropped += len(data) - written
            if written == len(data):
                self.counters.epochs_sent += 1
                self.sent_ms.append(time_ms)
        full = written < len(data)
        if full != self._full:
            self._full = full
            if full:
                logger.warning("GPS pty %s full (nobody reading): output dropped", self.link)
            else:
                logger.info("GPS pty %s drained: %d bytes dropped so far", self.link, self.dropped)

    def _write(self, fd: int, data: bytes) -> int:
        written = _try_write(fd, data)
        deadline = time.monotonic() + self.patience_s
        while written < len(data) and time.monotonic() < deadline and not self._stop.is_set():
            select.select([], [fd], [], 0.05)
            written += _try_write(fd, data[written:])
        return written

    def __enter__(self) -> PtyReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _try_write(fd: int, data: bytes) -> int:
    try:
        return os.write(fd, data)
    except BlockingIOError:
        return 0
