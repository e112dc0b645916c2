"""A whole edge gateway for end-to-end tests: in a thread, or as a process that can be killed."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import threading
from pathlib import Path

from edge.config import GatewayConfig, dump_config
from edge.gateway import Gateway
from firmware_sim.scenario.dock import DockConfig, build_dock
from firmware_sim.scenario.traffic import Traffic
from firmware_sim.scenario.types import Scenario

REPO = Path(__file__).resolve().parents[2]


def short_dock(seed: int, duration_s: float = 80.0, trip_interval_s: float = 20.0) -> Scenario:
    """A dock-door scenario short enough to play in real time in a test."""
    traffic = dataclasses.replace(Traffic(), duration_s=duration_s, trip_interval_s=trip_interval_s)
    return build_dock(DockConfig(traffic=traffic), seed)


class GatewayThread:
    """Gateway(config).run() on a thread; stop() shuts it down cleanly (flush, offline)."""

    def __init__(self, config: GatewayConfig) -> None:
        self.gateway = Gateway(config)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.gateway.run, args=(self._stop,), daemon=True)

    def start(self) -> Gateway:
        """Start the gateway."""
        self._thread.start()
        return self.gateway

    def stop(self, timeout: float = 30.0) -> None:
        """Stop and wait for the shutdown to finish."""
        self._stop.set()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "gateway did not stop"

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class GatewayProcess:
    """`tagtrail edge --config FILE` as a child process, for SIGKILL and restart tests."""

    def __init__(self, config: GatewayConfig, workdir: Path) -> None:
        self.config_path = workdir / "gateway.yaml"
        self.config_path.write_text(dump_config(config))
        self.log = workdir / "gateway.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (or restart) the gateway process."""
        with self.log.open("ab") as out:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "tagtrail", "edge", "--config", str(self.config_path)],
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no flush, no clean disconnect, as a power cut or OOM kill would be."""
        self._signal(signal.SIGKILL)

    def terminate(self) -> None:
        """SIGTERM: the gateway flushes and says offline."""
        self._signal(signal.SIGTERM)

    def _signal(self, signum: int) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.send_signal(signum)
            self._proc.wait(60)
        self._proc = None

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._proc is not None and self._proc.poll() is None
