"""Play a sensor scenario over pseudo-terminals in real time (or `speed` times faster).

One thread serves every probe: continuous probes write their planned lines when the playback
clock reaches them, polled probes answer commands as they arrive, and unplug episodes take the
device away and bring it back. Every line's fate is logged (`deliveries`), which with the plan
is the truth a driver test checks against: what was delivered, lost while unplugged, or lost
because nobody had the port open.

Commands (ASCII, ended by CR or LF, case-insensitive): ``SEND`` (or ``SEND <addr>``) answers one
reading line; ``R`` starts continuous output; ``S`` stops it. Others are ignored, as a probe in
a noisy line would.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import select
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from firmware_sim.sensors.port import PtyPort
from firmware_sim.sensors.scenario import Line, ProbeRun, SensorScenario

logger = logging.getLogger(__name__)

DRAIN_S = 10.0  # an unplug waits at most this long (wall) for the driver to read what was sent
MAX_WAIT_S = 0.05  # longest sleep between checks (bounds command latency and stop time)
MAX_COMMAND = 64  # a longer run without CR/LF is noise: dropped


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one line: delivered, unplugged, no-listener, overrun, stopped or lost."""

    probe: str
    line: Line
    wall_us: int
    fate: str
    polled: bool = False


class ProbePlayback:
    """One probe's playback: plug state, planned lines, polled replies."""

    def __init__(self, run: ProbeRun, port: PtyPort) -> None:
        self.run, self.port = run, port
        self.name = run.spec.name
        self.running = run.spec.mode == "continuous"
        self.deliveries: list[Delivery] = []
        self._next = 0
        self._unplugs = [e for e in run.faults if e.kind == "unplug"]
        self._state = "plugged"
        self._drain_deadline = 0.0
        self._replies = run.replies()
        self._polls = 0
        self._commands = b""

    def next_due_s(self) -> float | None:
        """Scenario time of the next planned line."""
        return self.run.lines[self._next].t_s if self._next < len(self.run.lines) else None

    def advance(self, sim_s: float) -> None:
        """Apply plug changes and write every planned line due by sim_s."""
        self._plug_state(sim_s)
        lines = self.run.lines
        while self._next < len(lines) and lines[self._next].t_s <= sim_s:
            line = lines[self._next]
            self._next += 1
            if self.running or self.run.spec.mode == "continuous":
                self._emit(line, polled=False)

    def serve(self, sim_s: float, *, answer: bool = True) -> None:
        """Answer the commands the driver has written (just read them when not answering)."""
        data = self.port.receive()
        if not data or not answer:
            return
        self._commands += data
        *commands, rest = self._commands.replace(b"\n", b"\r").split(b"\r")
        self._commands = rest if len(rest) <= MAX_COMMAND else b""
        for command in commands:
            self._command(command.strip().upper(), sim_s)

    def _command(self, command: bytes, sim_s: float) -> None:
        if command == b"SEND" or command.startswith(b"SEND "):
            self._emit(self._replies.make(self._polls, sim_s), polled=True)
            self._polls += 1
        elif command in (b"R", b"S"):
            self.running = command == b"R"
        elif command:
            logger.debug("probe %s: ignoring command %r", self.name, command[:MAX_COMMAND])

    def _emit(self, line: Line, *, polled: bool) -> None:
        if line.kind == "unplugged" or self._state != "plugged":
            fate = "unplugged"
        elif not (self.running or polled):
            fate = "stopped"
        elif not self.port.listening():
            fate = "no-listener"
        else:
            fate = "delivered" if self.port.send(line.data) else "overrun"
        self.deliveries.append(Delivery(self.name, line, time.time_ns() // 1000, fate, polled))

    def _plug_state(self, sim_s: float) -> None:
        if self._state == "plugged" and self._unplugs and self._unplugs[0].start_s <= sim_s:
            self._state, self._drain_deadline = "draining", time.monotonic() + DRAIN_S
        if self._state == "draining":
            self._finish_drain()
        if self._state == "unplugged" and self._unplugs[0].end_s <= sim_s:
            self._unplugs.pop(0)
            device = self.port.plug()
            self._state = "plugged"
            logger.info("probe %s plugged back in at %s", self.name, device)

    def _finish_drain(self) -> None:
        unread = self.port.unread()
        if unread and time.monotonic() < self._drain_deadline:
            return
        if unread:
            self._mark_lost(unread)
        self.port.unplug()
        self._state = "unplugged"
        logger.info("probe %s unplugged", self.name)

    def _mark_lost(self, unread: int) -> None:
        """The last `unread` bytes sent never reached the driver: their lines are lost."""
        for i in range(len(self.deliveries) - 1, -1, -1):
            if unread <= 0:
                break
            d = self.deliveries[i]
            if d.fate == "delivered":
                self.deliveries[i] = dataclasses.replace(d, fate="lost")
                unread -= len(d.line.data)
        logger.warning("probe %s: unplugged with unread lines (driver too slow)", self.name)


class SensorPlayer:
    """Every probe of a scenario on its own pty under `directory`, played in one thread."""

    def __init__(
        self,
        scenario: SensorScenario,
        directory: Path,
        *,
        speed: float = 1.0,
        wait_for_listeners: bool = False,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.scenario = scenario
        self.directory = directory
        self.speed = speed
        self.wait_for_listeners = wait_for_listeners
        self.playbacks = [
            ProbePlayback(run, PtyPort(directory / run.spec.name)) for run in scenario.probes
        ]
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._t0: float | None = None
        self._thread = threading.Thread(target=self._run, name="sensor-player", daemon=True)

    @property
    def paths(self) -> dict[str, Path]:
        """The stable device path (symlink) of each probe."""
        return {p.name: p.port.link for p in self.playbacks}

    def start(self) -> dict[str, str]:
        """Create every pty, start playing; return each probe's current slave device."""
        self.directory.mkdir(parents=True, exist_ok=True)
        devices = {p.name: p.port.plug() for p in self.playbacks}
        self._thread.start()
        return devices

    def stop(self, timeout: float = 10.0) -> None:
        """Stop playing and remove every device."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        for p in self.playbacks:
            p.port.close()

    def __enter__(self) -> SensorPlayer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def sim_s(self) -> float:
        """Scenario seconds played so far (0 before the clock starts)."""
        return 0.0 if self._t0 is None else (time.monotonic() - self._t0) * self.speed

    def playback(self, probe: str) -> ProbePlayback:
        """One probe's playback by name."""
        for p in self.playbacks:
            if p.name == probe:
                return p
        raise KeyError(f"no probe {probe!r}")

    def deliveries(self, probe: str) -> list[Delivery]:
        """A snapshot of one probe's line fates so far."""
        return list(self.playback(probe).deliveries)

    def wait_finished(self, timeout: float | None = None) -> bool:
        """Wait until the scenario has played out."""
        return self.finished.wait(timeout)

    def _run(self) -> None:
        while self.wait_for_listeners and not self._stop.is_set():
            if all(p.port.listening() for p in self.playbacks):
                break
            self._stop.wait(0.02)
        self._t0 = time.monotonic()
        duration = self.scenario.duration_s
        while not self._stop.is_set():
            sim = self.sim_s()
            for p in self.playbacks:
                p.advance(min(sim, duration))
            if sim >= duration:
                self.finished.set()
            self._wait(sim)
            sim = self.sim_s()
            for p in self.playbacks:
                # Played out: commands are still read (so they do not pile up) but unanswered.
                p.serve(sim, answer=not self.finished.is_set())

    def _wait(self, sim: float) -> None:
        """Sleep until the next line is due or a command arrives (at most MAX_WAIT_S)."""
        dues = [d for p in self.playbacks if (d := p.next_due_s()) is not None]
        timeout = MAX_WAIT_S
        if dues:
            timeout = min(timeout, max(0.0, (min(dues) - sim) / self.speed))
        poller = select.poll()
        for p in self.playbacks:
            if p.port.fd is not None and p.port.listening():
                poller.register(p.port.fd, select.POLLIN)
        poller.poll(timeout * 1000)


def write_deliveries(path: Path, player: SensorPlayer) -> None:
    """One JSON line per line played: probe, scenario time, wall time, kind, fate, values."""
    start_ms = player.scenario.start_ms
    with path.open("w") as out:
        for p in player.playbacks:
            for d in list(p.deliveries):
                row = {
                    "probe": d.probe,
                    "t_ms": start_ms + round(d.line.t_s * 1000),
                    "wall_ms": d.wall_us // 1000,
                    "kind": d.line.kind,
                    "fate": d.fate,
                    "polled": d.polled,
                    "temp": d.line.temp,
                    "rh": d.line.rh,
                }
                out.write(json.dumps(row, separators=(",", ":")) + "\n")
