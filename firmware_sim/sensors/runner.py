"""`tagtrail sim sensors`: play a sensor scenario on pseudo-terminals until done or stopped."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from edge.config import GatewayConfig, MqttConfig, dump_config
from edge.sensors.config import SensorConfig
from firmware_sim.llrp.artifacts import write_atomic
from firmware_sim.sensors.player import SensorPlayer, write_deliveries
from firmware_sim.sensors.scenario import ProbeRun, SensorScenario, build
from firmware_sim.sensors.truth import write_truth

logger = logging.getLogger(__name__)

STATS_S = 30.0  # how often progress is logged (wall seconds)


def run_sensors(args: argparse.Namespace) -> int:
    """Entry point of the command; returns the process exit code."""
    try:
        scenario = build(args.scenario, args.seed, args.duration)
    except KeyError as exc:
        return _fail(str(exc.args[0]), 2)
    directory = Path(args.dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_truth(Path(args.truth or directory / "truth.json"), scenario)
        if args.gateway_config:
            _write_gateway_config(Path(args.gateway_config), scenario, directory, args)
    except OSError as exc:
        return _fail(f"cannot write to {directory}: {exc}", 1)
    return _play(SensorPlayer(scenario, directory, speed=args.speed), directory)


def _play(player: SensorPlayer, directory: Path) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    devices = player.start()
    for name, link in player.paths.items():
        print(f"{name}: {link} -> {devices[name]}", flush=True)
    try:
        next_report = time.monotonic() + STATS_S
        while not stop.wait(0.2) and not player.finished.is_set():
            if time.monotonic() >= next_report:
                next_report += STATS_S
                _report(player)
        if player.finished.is_set():
            logger.info("scenario played out")
    finally:
        player.stop()
        write_deliveries(directory / "played.jsonl", player)
        _report(player)
    return 0


def _report(player: SensorPlayer) -> None:
    sim = player.sim_s()
    for p in player.playbacks:
        sent = sum(d.fate == "delivered" for d in list(p.deliveries))
        logger.info("probe %s: %d lines delivered by scenario time %.0f s", p.name, sent, sim)


def _write_gateway_config(
    path: Path, scenario: SensorScenario, directory: Path, args: argparse.Namespace
) -> None:
    """A gateway config whose sensors read this run's probes."""
    sensors = tuple(_sensor_config(run, directory, args.speed) for run in scenario.probes)
    config = GatewayConfig(
        site=args.site, gateway=args.gateway, mqtt=MqttConfig(url=args.mqtt), sensors=sensors
    )
    write_atomic(path, dump_config(config))
    logger.info("gateway config written to %s", path)


def _sensor_config(run: ProbeRun, directory: Path, speed: float) -> SensorConfig:
    """How a gateway reads one probe of this run (polled probes: once per output interval)."""
    polled = {"mode": "polled", "poll_interval_s": max(run.spec.interval_s / speed, 0.1)}
    return SensorConfig.model_validate(
        {
            "name": run.spec.name,
            "port": str((directory / run.spec.name).resolve()),
            "checksum": "cs2" if run.spec.checksum else "auto",
            **(polled if run.spec.mode == "polled" else {}),
        }
    )


def _fail(message: str, code: int) -> int:
    print(f"tagtrail sim sensors: error: {message}", file=sys.stderr)
    return code
