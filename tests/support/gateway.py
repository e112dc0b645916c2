"""A whole edge gateway for end-to-end tests: in a thread, or as a process that can be killed."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
from pathlib import Path

from edge.config import GatewayConfig, dump_config
from firmware_sim.scenario.dock import DockConfig, build_dock
from firmware_sim.scenario.traffic import Traffic
from firmware_sim.scenario.types import Scenario

REPO = Path(__file__).resolve().parents[2]


def short_dock(seed: int, duration_s: float = 80.0, trip_interval_s: float = 20.0) -> Scenario:
    """A dock-door scenario short enough to play in real time in a test."""
    traffic = dataclasses.replace(Traffic(), duration_s=duration_s, trip_interval_s=trip_interval_s)
    return build_dock(DockConfig(traffic=traffic), seed)


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
