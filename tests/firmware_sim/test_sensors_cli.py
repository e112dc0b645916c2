"""`tagtrail sim sensors`: plays a scenario on ptys, prints their paths, writes its truth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import serial

from edge.config import load_config
from tagtrail.cli import main
from tests.support.gateway import REPO


def test_plays_prints_paths_and_writes_truth_and_a_gateway_config(tmp_path: Path) -> None:
    out = tmp_path / "dev"
    command = [
        sys.executable, "-m", "tagtrail", "sim", "sensors", "--scenario", "site", "--seed", "3",
        "--dir", str(out), "--speed", "60", "--duration", "240",
        "--gateway-config", str(tmp_path / "gw.yaml"), "--site", "s1", "--gateway", "g1",
    ]  # fmt: skip
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        name, link = first.split(" -> ")[0].split(": ")
        assert (name, link) == ("cold-1", str(out / "cold-1"))
        with serial.Serial(link, 9600, timeout=1.0) as port:
            line = port.readline()  # a real line from the running probe
        rest = proc.stdout.read()
        assert proc.wait(60) == 0  # exits by itself once played out
    assert line.startswith(b"RH=")
    assert [row.split(":")[0] for row in rest.splitlines()] == ["dock-1", "reefer-1"]
    truth = json.loads((out / "truth.json").read_text())
    assert [p["name"] for p in truth["probes"]] == ["cold-1", "dock-1", "reefer-1"]
    assert truth["duration_s"] == 240.0
    played = [json.loads(row) for row in (out / "played.jsonl").read_text().splitlines()]
    assert {row["probe"] for row in played} == {"cold-1", "dock-1"}  # reefer-1 is polled
    config = load_config(tmp_path / "gw.yaml")
    assert [s.port for s in config.sensors] == [
        str(out / n) for n in ("cold-1", "dock-1", "reefer-1")
    ]
    assert config.sensors[2].mode == "polled"
    assert config.sensors[2].checksum == "cs2"


def test_unknown_scenario_is_an_error(tmp_path: Path, capsys: object) -> None:
    code = main(["sim", "sensors", "--scenario", "nope", "--dir", str(tmp_path)])
    assert code == 2
