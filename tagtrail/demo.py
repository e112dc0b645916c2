"""`tagtrail demo`: a working day at the dock, end to end on embedded defaults."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from firmware_sim.scenario.day import DayScenario
    from tagtrail.rehearsal.day import Rehearsal
    from tagtrail.rehearsal.outdoors import Outdoors

logger = logging.getLogger(__name__)

DEFAULT_WORKDIR = Path("var/demo")
OUTSIDE_S = 600.0  # after the day: for the trucks to arrive and the probes to play out


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `demo` subcommand."""
    parser = commands.add_parser(
        "demo",
        help="rehearse a dock day end to end on embedded defaults",
        description=(
            "A seeded day at a distribution centre: trucks unloaded against ASNs and shipments "
            "loaded against pick lists, played by emulated LLRP readers, read by two edge "
            "gateways through sllurp, delivered over MQTT (an embedded broker unless --mqtt) to "
            "the cloud service (SQLite unless --db), which posts goods receipts, verifies "
            "shipments and keeps the stock ledger. Alongside, a cold room whose compressor "
            "fails and a reefer report temperatures from emulated serial probes, and two trucks "
            "with emulated GPS receivers carry the first shipments to a customer site, all in "
            "compressed time; the live map at / shows them. Progress and alerts print as they "
            "happen; at the end the result is scored against what physically happened, the "
            "alerts and trips are listed, and the map and API stay up."
        ),
    )
    parser.add_argument("--seed", type=int, default=7, help="scenario seed (default 7)")
    parser.add_argument("--mqtt", help="use this broker (mqtt://host:port) instead of one built in")
    parser.add_argument("--db", help="database URL (default: SQLite in the work directory)")
    parser.add_argument("--port", type=int, default=8000, help="API port (default 8000)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="outboxes, database")
    parser.add_argument("--exit", action="store_true", help="stop at the end instead of serving")
    parser.add_argument(
        "--dock-only", action="store_true", help="only the dock day: no cold room, no trucks"
    )
    parser.add_argument(
        "--doors",
        action="store_true",
        help="only the doors: one gateway on the dock scenario, portal events printed",
    )
    parser.set_defaults(handler=_run, default_log_level="WARNING")


def _run(args: argparse.Namespace) -> int:
    args.workdir.mkdir(parents=True, exist_ok=True)
    with _broker(args.mqtt) as mqtt_url:
        if args.doors:
            return _doors(args, mqtt_url)
        return _day(args, mqtt_url)


def _doors(args: argparse.Namespace, mqtt_url: str) -> int:
    from firmware_sim.scenario.dock import DockConfig, build_dock
    from firmware_sim.scenario.traffic import Traffic
    from tagtrail.rehearsal.doors import rehearse_doors

    traffic = dataclasses.replace(Traffic(), duration_s=120.0, trip_interval_s=20.0)
    print(f"building the dock scenario (seed {args.seed}) ...", flush=True)
    return rehearse_doors(
        build_dock(DockConfig(traffic=traffic), args.seed), args.workdir, mqtt_url
    )


def _day(args: argparse.Namespace, mqtt_url: str) -> int:
    from firmware_sim.scenario.day import build_day
    from firmware_sim.scenario.day_config import DayConfig
    from tagtrail.rehearsal.console import Progress, stock_report
    from tagtrail.rehearsal.day import Wiring, rehearse

    print(f"building the day (seed {args.seed}) ...", flush=True)
    day = build_day(DayConfig(), args.seed)
    _fresh(args.workdir)
    db = args.db or f"sqlite:///{args.workdir.resolve()}/cloud.sqlite"
    wiring = Wiring(mqtt_url=mqtt_url, db_url=db, http_port=args.port, workdir=args.workdir)
    _intro(day, outside=not args.dock_only)
    with rehearse(day, wiring) as rehearsal, _outside(args, rehearsal, mqtt_url) as outside:
        print(f"open the live map: {_map(args.port)}  (API: {_map(args.port)}docs)", flush=True)
        print("playing the day ...\n", flush=True)
        progress = Progress(rehearsal.api)
        progress.start()
        rehearsal.wait_played(timeout=day.duration_s * 3 + 120)
        settled = rehearsal.wait_settled(timeout=120)
        done = outside.wait_done(timeout=OUTSIDE_S) if outside else True
        progress.stop()
        score = rehearsal.score()
        print("\nstock at the end of the day:\n" + "\n".join(stock_report(rehearsal.api)))
        print("\nagainst what physically happened:\n" + score.summary())
        if not settled:
            print("(some doors had not gone quiet when the rehearsal ended)")
        if outside:
            print("\ncold room, reefer and trucks:\n" + "\n".join(outside.summary()))
            if not done:
                print("(the trucks or probes had not finished when the rehearsal ended)")
        if not args.exit:
            _serve_until_interrupted(args.port)
    return 0


@contextlib.contextmanager
def _outside(
    args: argparse.Namespace, rehearsal: Rehearsal, mqtt_url: str
) -> Iterator[Outdoors | None]:
    """The cold chain and the trucks beside the day, unless --dock-only."""
    if args.dock_only:
        yield None
        return
    from tagtrail.rehearsal.cold import ColdPlan
    from tagtrail.rehearsal.fleet import FleetPlan
    from tagtrail.rehearsal.outdoors import outdoors

    with outdoors(
        rehearsal.api, site=rehearsal.day.plan.site, mqtt_url=mqtt_url, workdir=args.workdir,
        cold=ColdPlan(seed=args.seed, line_faults=False), fleet=FleetPlan(seed=args.seed),
        out=_say,
    ) as found:  # fmt: skip
        yield found


def _say(line: str) -> None:
    print(line, flush=True)


def _map(port: int) -> str:
    return f"http://127.0.0.1:{port}/"


def _intro(day: DayScenario, *, outside: bool) -> None:
    plan = day.plan
    print(
        f"{len(plan.asns)} inbound trucks with ASNs, {len(plan.shipments)} outbound shipments, "
        f"{len(plan.read_points)} doors on {len(plan.gateways)} gateways, "
        f"about {day.duration_s / 60:.1f} minutes of dock time",
        flush=True,
    )
    if outside:
        print(
            "beside it: a cold room whose compressor fails and a reefer (serial probes), two "
            "trucks driving the first shipments Hamburg -> Lehrte (GPS), time 100x faster",
            flush=True,
        )


def _serve_until_interrupted(port: int) -> None:
    print(f"\nthe live map stays up: {_map(port)}  (API: {_map(port)}docs)", flush=True)
    print("Ctrl+C to stop", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)


def _fresh(workdir: Path) -> None:
    # A rehearsal starts from an empty ledger and empty outboxes.
    for pattern in ("*.sqlite", "*.sqlite-wal", "*.sqlite-shm"):
        for path in workdir.glob(pattern):
            path.unlink()


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
