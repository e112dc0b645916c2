"""`tagtrail sim reader`: serves a scenario, writes its truth and a gateway config that fits."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.config import load_config
from firmware_sim.llrp.sample import synthetic_scenario
from firmware_sim.scenario import registry
from firmware_sim.scenario.types import Scenario
from tagtrail.cli import main
from tests.firmware_sim.test_llrp_server import SllurpClient, expected, received
from tests.support.services import port_open, wait_port

NAME = "llrp-cli-test"


def tiny(seed: int) -> Scenario:
    """Two readers, 2 s of reads."""
    return synthetic_scenario(readers=2, reads=400, duration_s=2.0, seed=seed)


@pytest.fixture
def scenario_name(monkeypatch: pytest.MonkeyPatch) -> str:
    """The tiny scenario, registered under a name of its own for this test."""
    monkeypatch.setitem(registry.SCENARIOS, NAME, tiny)
    return NAME


@pytest.fixture
def base_port() -> int:
    """A free port whose neighbour is free too."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if (
            port < 65535
            and not port_open("127.0.0.1", port)
            and not port_open("127.0.0.1", port + 1)
        ):
            return port
    pytest.fail("no two free neighbouring ports")


class Reading(threading.Thread):
    """Connects sllurp to the first reader once it listens, and reads until told to stop."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.client: SllurpClient | None = None
        self.done = threading.Event()

    def run(self) -> None:
        """Wait for the port, connect, wait to be stopped."""
        wait_port("127.0.0.1", self.port)
        self.client = SllurpClient(self.port)
        self.client.connect()
        self.done.wait(60)
        self.client.close()


@pytest.fixture
def reading(base_port: int) -> Iterator[Reading]:
    """A client thread for the first reader."""
    thread = Reading(base_port)
    thread.start()
    yield thread
    thread.done.set()
    thread.join(10)


def test_sim_reader_serves_and_writes_truth_and_gateway_config(
    scenario_name: str, base_port: int, reading: Reading, tmp_path: Path
) -> None:
    truth, gateway = tmp_path / "out" / "truth.json", tmp_path / "gw.yaml"
    code = main(
        [
            "sim",
            "reader",
            "--scenario",
            scenario_name,
            "--seed",
            "3",
            "--port",
            str(base_port),
            "--speed",
            "10",
            "--exit-when-done",
            "--stats",
            "0",
            "--truth",
            str(truth),
            "--gateway-config",
            str(gateway),
            "--site",
            "s1",
            "--gateway",
            "g1",
            "--mqtt",
            "mqtt://broker.local:1884",
        ]
    )
    assert code == 0
    scenario = tiny(3)
    client = reading.client
    assert client is not None
    assert received(client.tags) == expected(scenario, 0)
    doc = json.loads(truth.read_text())
    assert doc["scenario"] == "synthetic"
    assert doc["seed"] == 3
    assert [(r["name"], r["port"]) for r in doc["readers"]] == [
        ("rdr1", base_port),
        ("rdr2", base_port + 1),
    ]
    assert sum(r["reads"] for r in doc["readers"]) == len(scenario.reads)
    assert doc["crossings"] == []
    assert len(doc["layout"]) == len(scenario.layout)
    config = load_config(gateway)
    assert (config.site, config.gateway, config.mqtt.url) == (
        "s1",
        "g1",
        "mqtt://broker.local:1884",
    )
    assert [(r.name, r.host, r.port) for r in config.readers] == [
        ("rdr1", "127.0.0.1", base_port),
        ("rdr2", "127.0.0.1", base_port + 1),
    ]
    assert config.readers[0].antennas == {a: f"rdr1-ant{a}" for a in (1, 2, 3, 4)}


def test_unknown_scenario_or_reader_is_a_usage_error(
    scenario_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sim", "reader", "--scenario", "no-such"]) == 2
    assert "unknown scenario 'no-such'" in capsys.readouterr().err
    assert main(["sim", "reader", "--scenario", scenario_name, "--reader", "rdr9"]) == 2
    assert "no reader rdr9 in scenario; it has rdr1, rdr2" in capsys.readouterr().err


def test_busy_port_is_reported(
    scenario_name: str, base_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", base_port + 1))
        busy.listen()
        code = main(["sim", "reader", "--scenario", scenario_name, "--port", str(base_port)])
    assert code == 1
    assert f"cannot listen on 127.0.0.1 port {base_port}" in capsys.readouterr().err


def test_gateway_config_needs_site_and_gateway(scenario_name: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sim", "reader", "--scenario", scenario_name, "--gateway-config", "x.yaml"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("args", [["--speed", "0"], ["--port", "70000"]])
def test_bad_numbers_are_refused(scenario_name: str, args: list[str]) -> None:
    with pytest.raises(SystemExit):
        main(["sim", "reader", "--scenario", scenario_name, *args])


def test_one_reader_keeps_its_port_and_alone_in_the_config(
    scenario_name: str, base_port: int, tmp_path: Path
) -> None:
    gateway = tmp_path / "gw.yaml"
    args = ["--scenario", scenario_name, "--port", str(base_port), "--reader", "rdr2"]
    run = ["--speed", "100", "--clock-start", "now", "--exit-when-done", "--stats", "0"]
    config = ["--gateway-config", str(gateway), "--site", "s", "--gateway", "g"]
    assert main(["sim", "reader", *args, *run, *config]) == 0
    assert [(r.name, r.port) for r in load_config(gateway).readers] == [("rdr2", base_port + 1)]
    assert not port_open("127.0.0.1", base_port + 1)  # and it stopped serving on exit
