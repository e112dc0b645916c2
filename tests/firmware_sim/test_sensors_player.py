"""The pty player seen from a plain pyserial client: lines, commands, unplug and replug."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest
import serial

from firmware_sim.sensors.events import FaultPlan
from firmware_sim.sensors.player import SensorPlayer
from firmware_sim.sensors.scenario import ProbeSpec, ScenarioConfig, SensorScenario, build_scenario
from tests.support.mqtt import wait_until

CLEAN = FaultPlan(garbled=0, truncated=0, spike=0, unplugs=(), stucks=())


def one_probe(**kw: object) -> SensorScenario:
    """One clean cold-room probe, a line every 2 s of scenario time."""
    spec = ProbeSpec("p", "coldroom", interval_s=2.0, **{"faults": CLEAN, **kw})  # type: ignore[arg-type]
    return build_scenario(ScenarioConfig("t", (spec,), duration_s=120.0), 1)


def open_port(path: Path) -> serial.Serial:
    """Open the probe as a driver would."""
    return serial.Serial(str(path), 9600, timeout=0.2)


def read_lines(port: serial.Serial, count: int) -> list[bytes]:
    """Read until count complete lines arrived (or the deadline passed)."""
    lines: list[bytes] = []
    deadline = time.monotonic() + 30
    while len(lines) < count and time.monotonic() < deadline:
        line = port.readline()
        if line.endswith(b"\n"):
            lines.append(line)
    return lines


def read_until_gone(port: serial.Serial) -> None:
    """Read until the device goes away (raises) or the deadline passes (returns)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        port.read(100)


def test_the_probe_is_a_tty_behind_a_stable_link(tmp_path: Path) -> None:
    with SensorPlayer(one_probe(), tmp_path, speed=20) as player:
        link = player.paths["p"]
        assert link == tmp_path / "p"
        assert os.path.realpath(link).startswith("/dev/pts/")
        assert wait_until(lambda: len(player.deliveries("p")) >= 3)
        with open_port(link) as port:
            lines = read_lines(port, 5)
        fates = Counter(d.fate for d in player.deliveries("p"))
    assert fates["no-listener"] >= 3  # before anyone opened it: lost, like a real port
    assert len(lines) == 5
    sent = [d.line.data for d in player.deliveries("p") if d.fate == "delivered"]
    assert lines == sent[: len(lines)]
    assert not link.exists()  # stop() removed the device


def test_send_answers_and_r_s_switch_continuous_output(tmp_path: Path) -> None:
    run = one_probe(mode="polled")
    with SensorPlayer(run, tmp_path, speed=20, wait_for_listeners=True) as player:
        with open_port(player.paths["p"]) as port:
            time.sleep(0.5)
            assert port.read(100) == b""  # polled: silent until asked
            port.write(b"SEND\r")
            (reply,) = read_lines(port, 1)
            assert reply.startswith(b"RH=")
            port.write(b"r\r\n")
            assert len(read_lines(port, 3)) == 3
            port.write(b"S\r")
            time.sleep(0.3)
            port.reset_input_buffer()
            time.sleep(0.5)
            assert port.read(100) == b""
        polled = [d for d in player.deliveries("p") if d.polled]
    assert [d.line.data for d in polled] == [reply]


def test_unplug_removes_the_device_and_replug_brings_it_back(tmp_path: Path) -> None:
    plan = FaultPlan(garbled=0, truncated=0, spike=0, unplugs=((20.0, 30.0),), stucks=())
    with SensorPlayer(one_probe(faults=plan), tmp_path, speed=20) as player:
        link = player.paths["p"]
        with open_port(link) as port:
            read_lines(port, 2)
            with pytest.raises(serial.SerialException):
                read_until_gone(port)
        assert wait_until(link.exists)
        with open_port(link) as port:
            assert len(read_lines(port, 2)) == 2
        fates = Counter(d.fate for d in player.deliveries("p"))
    assert fates["unplugged"] >= 10
    assert fates["lost"] == 0


def test_playback_finishes_at_the_scenario_end(tmp_path: Path) -> None:
    with SensorPlayer(one_probe(), tmp_path, speed=200) as player:
        assert player.wait_finished(30)
        assert player.sim_s() >= 120.0
        assert len(player.deliveries("p")) == len(player.scenario.probes[0].lines)


def test_speed_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="speed"):
        SensorPlayer(one_probe(), tmp_path, speed=0)
