"""`tagtrail demo`: a dock-door rehearsal on embedded defaults, printing what crosses the doors."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from firmware_sim.scenario.types import Scenario

logger = logging.getLogger(__name__)

SITE = "demo"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `demo` subcommand."""
    parser = commands.add_parser(
        "demo",
        help="run a dock-door rehearsal end to end on embedded defaults",
        description=(
            "Emulated LLRP readers play a seeded dock-door scenario; an edge gateway reads "
            "them through sllurp, decides portal events and delivers them over MQTT (an "
            "embedded broker unless --mqtt is given). Events print as they arrive; at the end "
            "they are scored against what physically happened."
        ),
    )
    parser.add_argument("--seed", type=int, default=7, help="scenario seed (default 7)")
    parser.add_argument(
        "--duration", type=float, default=120.0, help="scenario length, seconds (default 120)"
    )
    parser.add_argument("--mqtt", help="use this broker (mqtt://host:port) instead of one built in")
    parser.add_argument("--workdir", type=Path, help="where the outbox lives (default: temporary)")
    parser.set_defaults(handler=_run, default_log_level="WARNING")


def _run(args: argparse.Namespace) -> int:
    from firmware_sim.scenario.dock import DockConfig, build_dock
    from firmware_sim.scenario.traffic import Traffic

    traffic = dataclasses.replace(Traffic(), duration_s=args.duration, trip_interval_s=20.0)
    print(f"building the dock scenario (seed {args.seed}, {args.duration:.0f} s) ...", flush=True)
    scenario = build_dock(DockConfig(traffic=traffic), args.seed)
    with _workdir(args.workdir) as workdir, _broker(args.mqtt) as mqtt_url:
        return _rehearse(scenario, workdir, mqtt_url)


def _rehearse(scenario: Scenario, workdir: Path, mqtt_url: str) -> int:
    from edge.gateway import Gateway
    from firmware_sim.llrp.fleet import EmulatorThread, ReaderFleet
    from firmware_sim.scenario.gateway_config import gateway_config_for
    from firmware_sim.scenario.score import score_portal
    from protocol.messages import PortalEvent
    from tagtrail.watch import PortalWatch, portal_line

    events: list[PortalEvent] = []

    def show(event: PortalEvent) -> None:
        events.append(event)
        print(portal_line(event), flush=True)

    with EmulatorThread(ReaderFleet(scenario, base_port=0)) as emulators:
        config = gateway_config_for(
            scenario,
            site=SITE,
            gateway="dock",
            ports=emulators.fleet.ports,
            mqtt_url=mqtt_url,
            outbox_path=workdir / "outbox.sqlite",
        )
        watch = PortalWatch(mqtt_url, SITE, show)
        watch.start()
        gateway = Gateway(config)
        stop = threading.Event()
        runner = threading.Thread(target=gateway.run, args=(stop,), name="gateway", daemon=True)
        print(f"{len(config.readers)} emulated readers, gateway -> {mqtt_url}; playing ...")
        runner.start()
        try:
            emulators.run(emulators.fleet.wait_finished(), timeout=scenario_seconds(scenario) * 3)
        finally:
            stop.set()
            runner.join(60)
            time.sleep(1.0)  # let the last acknowledged messages reach the watcher
            watch.stop()
    score = score_portal(events, scenario.truth)
    print(f"\n{len(events)} portal events. Against the scenario's ground truth: {score.summary()}")
    return 0


def scenario_seconds(scenario: Scenario) -> float:
    """Length of a scenario in seconds."""
    return (scenario.end_us - scenario.start_us) / 1e6


@contextlib.contextmanager
def _workdir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="tagtrail-demo-") as tmp:
        yield Path(tmp)


@contextlib.contextmanager
def _broker(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from tagtrail.broker import BrokerThread

    broker = BrokerThread("127.0.0.1", _free_port())
    broker.start()
    try:
        yield broker.url
    finally:
        broker.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
