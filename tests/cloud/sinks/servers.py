"""Real time-series servers for tests, each on a free port with a temporary data directory.

VictoriaMetrics (Debian's victoria-metrics) accepts the InfluxDB v2 write API the sink uses and
answers exports; InfluxDB 1.x (Debian's influxdb) runs the InfluxQL the dashboards query.
"""

from __future__ import annotations

import abc
import json
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.support.services import free_port, wait_port

T = TypeVar("T")
DEADLINE_S = 60.0


def binary(name: str, package: str) -> str:
    """Path of a server binary; a missing one fails the test (install it, never skip)."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} not found: install the Debian package {package} (scripts/bootstrap --test)"
        )
    return found


def wait_for(probe: Callable[[], T | None], what: str, timeout: float = DEADLINE_S) -> T:
    """Poll until probe returns something other than None (or fail naming what was awaited)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


class ServerProcess(abc.ABC):
    """A server this test owns: start, stop the hard way, start again on the same port and data."""

    def __init__(self, name: str) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"tagtrail-{name}-"))
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base HTTP URL."""
        return f"http://127.0.0.1:{self.port}"

    @abc.abstractmethod
    def command(self) -> list[str]:
        """The command line (subclasses)."""

    def start(self) -> None:
        """Start (or restart) and wait until the HTTP port accepts connections."""
        if self._proc and self._proc.poll() is None:
            return
        with (self.dir / "server.log").open("ab") as log:
            self._proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        wait_port("127.0.0.1", self.port, DEADLINE_S)

    def stop(self) -> None:
        """Kill it (as a crash or a network loss looks to a client)."""
        if self._proc and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(10)
        self._proc = None

    def remove(self) -> None:
        """Stop and delete the data directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class VictoriaMetrics(ServerProcess):
    """Single-node VictoriaMetrics: InfluxDB line protocol in, /api/v1/export out."""

    def __init__(self) -> None:
        super().__init__("victoria-metrics")
        self._binary = binary("victoria-metrics", "victoria-metrics")

    def command(self) -> list[str]:
        """Loopback only, data in the temporary directory."""
        return [
            self._binary,
            f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-storageDataPath={self.dir / 'data'}",
            "-retentionPeriod=100y",  # whatever the test times, none is too old
            "-loggerLevel=ERROR",
        ]

    def export(self, match: str) -> list[dict[str, Any]]:
        """Every series matching a selector, with all its raw samples (after a flush)."""
        with httpx.Client(base_url=self.url, timeout=10) as client:
            client.get("/internal/force_flush").raise_for_status()
            response = client.post("/api/v1/export", data={"match[]": match})
            response.raise_for_status()
        return [json.loads(row) for row in response.text.splitlines() if row.strip()]

    def samples(self, match: str) -> dict[tuple[str, frozenset[tuple[str, str]]], list[float]]:
        """(metric name, labels) -> values in time order."""
        found: dict[tuple[str, frozenset[tuple[str, str]]], list[float]] = {}
        for series in self.export(match):
            labels = dict(series["metric"])
            name = labels.pop("__name__")
            pairs = sorted(zip(series["timestamps"], series["values"], strict=True))
            found[(name, frozenset(labels.items()))] = [float(v) for _, v in pairs]
        return found


class InfluxQLServer(ServerProcess):
    """InfluxDB 1.x: the InfluxQL engine the dashboards' queries run on (v1 /write, /query)."""

    def __init__(self) -> None:
        super().__init__("influxdb")
        self._binary = binary("influxd", "influxdb")
        self._rpc_port = free_port()

    def command(self) -> list[str]:
        """A config file with every directory in the temporary one, loopback ports."""
        conf = self.dir / "influxdb.conf"
        conf.write_text(
            f'reporting-disabled = true\nbind-address = "127.0.0.1:{self._rpc_port}"\n'
            f'[meta]\n  dir = "{self.dir / "meta"}"\n'
            f'[data]\n  dir = "{self.dir / "data"}"\n  wal-dir = "{self.dir / "wal"}"\n'
            "  query-log-enabled = false\n"
            f'[http]\n  bind-address = "127.0.0.1:{self.port}"\n  log-enabled = false\n'
            "[monitor]\n  store-enabled = false\n[continuous_queries]\n  enabled = false\n"
        )
        return [self._binary, "-config", str(conf)]

    def query(self, q: str, db: str | None = None) -> list[dict[str, Any]]:
        """The results of an InfluxQL statement; a statement error fails the test."""
        params = {"q": q, "epoch": "ms"} | ({"db": db} if db else {})
        with httpx.Client(base_url=self.url, timeout=10) as client:
            response = client.post("/query", params=params)
        response.raise_for_status()
        results: list[dict[str, Any]] = response.json()["results"]
        for result in results:
            if "error" in result:
                pytest.fail(f"InfluxQL error for {q!r}: {result['error']}")
        return results

    def write_lines(self, db: str, lines: list[str]) -> None:
        """Write line protocol through the v1 API (nanosecond timestamps)."""
        with httpx.Client(base_url=self.url, timeout=10) as client:
            response = client.post(
                "/write", params={"db": db, "precision": "ns"}, content="\n".join(lines)
            )
        assert response.status_code == 204, response.text
