"""Real services for tests: the loopback Mosquitto where present, an embedded broker elsewhere."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SYSTEM_BROKER = ("127.0.0.1", 1883)


def in_ci() -> bool:
    """Whether missing services must fail the run instead of falling back."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_port(host: str, port: int, timeout: float = 20.0) -> None:
    """Block until host:port accepts connections, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port, 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


@dataclass(frozen=True)
class BrokerAddress:
    """Where a test's MQTT broker listens."""

    host: str
    port: int
    kind: str  # "mosquitto" or "embedded"

    @property
    def url(self) -> str:
        """mqtt:// URL of the broker."""
        return f"mqtt://{self.host}:{self.port}"


class BrokerProcess:
    """A broker process owned by one test, so that it can be stopped, killed and restarted."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.kind = "mosquitto" if shutil.which("mosquitto") else "embedded"
        self._dir = Path(tempfile.mkdtemp(prefix="tagtrail-broker-"))
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> BrokerAddress:
        """Address of this broker."""
        return BrokerAddress("127.0.0.1", self.port, self.kind)

    def start(self) -> None:
        """Start (or restart) the broker and wait until it accepts connections."""
        if self._proc and self._proc.poll() is None:
            return
        # The child keeps its own copy of the log descriptor; ours is closed at once, or each
        # restart would leak one (a ResourceWarning, an error under filterwarnings=error).
        with (self._dir / "broker.log").open("ab") as log:
            self._proc = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT)
        wait_port("127.0.0.1", self.port)

    def stop(self) -> None:
        """Stop the broker the hard way (as a crash or network loss would look to clients)."""
        if self._proc and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(10)
        self._proc = None

    def _command(self) -> list[str]:
        if self.kind == "mosquitto":
            conf = self._dir / "mosquitto.conf"
            conf.write_text(
                f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                "max_queued_messages 100000\n"
            )
            return [shutil.which("mosquitto") or "mosquitto", "-c", str(conf)]
        return [
            sys.executable,
            "-m",
            "tagtrail",
            "broker",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]


def system_broker() -> BrokerAddress | None:
    """The loopback Mosquitto if it is up."""
    host, port = SYSTEM_BROKER
    return BrokerAddress(host, port, "mosquitto") if port_open(host, port) else None
