"""Files an emulator run leaves for the rest of the system: ground truth and gateway config."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edge.config import GatewayConfig, dump_config
from firmware_sim.scenario.gateway_config import gateway_config_for
from firmware_sim.scenario.types import Scenario


def truth_document(scenario: Scenario, ports: dict[str, int] | None = None) -> dict[str, Any]:
    """The scenario's ground truth and setup as plain JSON data."""
    counts = np.bincount(scenario.reads["reader"].astype(np.int64), minlength=len(scenario.readers))
    ports = ports or {}
    truth = scenario.truth
    return {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "start_us": scenario.start_us,
        "end_us": scenario.end_us,
        "readers": [
            {
                "name": r.name,
                "antennas": list(r.antennas),
                "clock_skew_us": r.clock_skew_us,
                "port": ports.get(r.name),
                "reads": int(counts[i]),
            }
            for i, r in enumerate(scenario.readers)
        ],
        "layout": [dataclasses.asdict(p) for p in scenario.layout],
        "crossings": [
            {"epc": c.epc, "door": c.door, "direction": c.direction, "time_us": c.time_us}
            for c in truth.crossings
        ],
        "parked": sorted(truth.parked),
        "cross_read_only": sorted(truth.cross_read_only),
        "unreadable": sorted(truth.unreadable),
    }


def write_truth(path: Path, scenario: Scenario, ports: dict[str, int] | None = None) -> None:
    """Write the ground truth JSON (atomically: readers of the file never see half of it)."""
    text = json.dumps(truth_document(scenario, ports), indent=1)
    write_atomic(path, text + "\n")


def write_gateway_config(
    path: Path,
    scenario: Scenario,
    *,
    site: str,
    gateway: str,
    reader_host: str,
    base_port: int,
    mqtt_url: str,
    readers: Sequence[str] | None = None,
) -> None:
    """Write the gateway YAML whose readers point at this run (only the served ones, if given)."""
    config = gateway_config_for(
        scenario,
        site=site,
        gateway=gateway,
        reader_host=reader_host,
        base_port=base_port,
        mqtt_url=mqtt_url,
    )
    if readers is not None:
        served = tuple(r for r in config.readers if r.name in readers)
        config = GatewayConfig.model_validate({**config.model_dump(), "readers": served})
    write_atomic(path, dump_config(config))


def write_atomic(path: Path, text: str) -> None:
    """Replace path's content in one step, creating its directory if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        Path(tmp).replace(path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
