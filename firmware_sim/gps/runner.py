"""`tagtrail sim gps`: play a route's receiver on a pty (or write its NMEA log) until done."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from firmware_sim.gps.faults import FaultRates
from firmware_sim.gps.receiver import PtyReceiver
from firmware_sim.gps.scenario import DEFAULT_START, GpsScenario, build_gps, write_log, write_truth

logger = logging.getLogger(__name__)


def run_gps(args: argparse.Namespace) -> int:
    """Entry point of the command; returns the process exit code."""
    try:
        scenario = build_gps(
            args.route,
            args.seed,
            start=args.start or DEFAULT_START,
            faults=FaultRates.none() if args.no_faults else FaultRates(),
        )
    except KeyError as exc:
        return _fail(str(exc.args[0]), 2)
    try:
        _write_files(scenario, args)
    except OSError as exc:
        return _fail(f"cannot write output: {exc}", 1)
    if args.dir is None:
        return 0
    return _play(scenario, args)


def _write_files(scenario: GpsScenario, args: argparse.Namespace) -> None:
    if args.truth:
        write_truth(scenario, Path(args.truth))
        logger.info("ground truth written to %s", args.truth)
    if args.log:
        write_log(scenario, Path(args.log))
        logger.info("NMEA log written to %s", args.log)
    if args.gateway_config:
        _write_gateway_config(Path(args.gateway_config), args)
        logger.info("gateway config written to %s", args.gateway_config)


def _write_gateway_config(path: Path, args: argparse.Namespace) -> None:
    from edge.config import GatewayConfig, dump_config

    link = Path(args.dir).resolve() / args.device
    config = GatewayConfig.model_validate(
        {
            "site": args.site,
            "gateway": args.gateway,
            "mqtt": {"url": args.mqtt},
            "gps": {"name": args.device, "port": str(link)},
        }
    )
    path.write_text(dump_config(config))


def _play(scenario: GpsScenario, args: argparse.Namespace) -> int:
    directory = Path(args.dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        receiver = PtyReceiver(scenario, directory / args.device, speed=args.speed)
        link = receiver.start()
    except OSError as exc:
        return _fail(f"cannot create the receiver's pty in {directory}: {exc}", 1)
    logger.info(
        "GPS receiver on %s: route %s, %d s of driving at %gx",
        link,
        scenario.route.name,
        scenario.duration_s,
        args.speed,
    )
    try:
        _until_done(receiver)
    finally:
        receiver.stop()
        logger.info("GPS receiver counters: %s", vars(receiver.counters))
    return 0


def _until_done(receiver: PtyReceiver) -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: stop.set())
    while not stop.is_set() and not receiver.wait_finished(0.5):
        pass


def _fail(message: str, code: int) -> int:
    print(f"tagtrail sim gps: error: {message}", file=sys.stderr)
    return code
