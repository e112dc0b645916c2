"""`tagtrail sim reader`: serve a scenario's readers until interrupted or played out."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from firmware_sim.llrp.artifacts import write_gateway_config, write_truth
from firmware_sim.llrp.fleet import ReaderFleet, reader_indexes
from firmware_sim.llrp.options import EmulatorOptions
from firmware_sim.scenario.registry import build
from firmware_sim.scenario.types import Scenario

logger = logging.getLogger(__name__)

FLUSH_S = 1.0  # after playing out, time for clients to take the last reports


def run_reader(args: argparse.Namespace) -> int:
    """Entry point of the command; returns the process exit code."""
    try:
        scenario = build(args.scenario, args.seed)
        reader_indexes(scenario, args.reader)
    except KeyError as exc:
        return _fail(str(exc.args[0]), 2)
    last_port = args.port + len(scenario.readers) - 1
    if last_port > 65535:
        return _fail(f"ports {args.port}..{last_port} do not fit below 65536", 2)
    options = EmulatorOptions(
        speed=args.speed,
        loop=args.loop,
        hold_reports=args.hold_reports,
        clock_start=args.clock_start,
    )
    fleet = ReaderFleet(
        scenario, base_port=args.port, host=args.host, options=options, readers=args.reader
    )
    return asyncio.run(_serve(fleet, args))


async def _serve(fleet: ReaderFleet, args: argparse.Namespace) -> int:
    try:
        await fleet.start()
    except OSError as exc:
        return _fail(f"cannot listen on {args.host} port {args.port} and up: {exc}", 1)
    try:
        _write_artifacts(fleet.scenario, fleet, args)
        await _until_done(fleet, args)
    except OSError as exc:
        return _fail(f"cannot write output: {exc}", 1)
    finally:
        await fleet.stop()
        for name, counters in fleet.counters().items():
            logger.info("reader %s final counters: %s", name, counters.as_dict())
    return 0


def _fail(message: str, code: int) -> int:
    print(f"tagtrail sim reader: error: {message}", file=sys.stderr)
    return code


def _write_artifacts(scenario: Scenario, fleet: ReaderFleet, args: argparse.Namespace) -> None:
    if args.truth:
        write_truth(Path(args.truth), scenario, fleet.ports)
        logger.info("ground truth written to %s", args.truth)
    if args.gateway_config:
        host = "127.0.0.1" if args.host in ("", "0.0.0.0", "::") else args.host  # noqa: S104
        write_gateway_config(
            Path(args.gateway_config),
            scenario,
            site=args.site,
            gateway=args.gateway,
            reader_host=host,
            base_port=args.port,
            mqtt_url=args.mqtt,
            readers=args.reader,
        )
        logger.info("gateway config written to %s", args.gateway_config)


async def _until_done(fleet: ReaderFleet, args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    waits = [asyncio.create_task(stop.wait()), asyncio.create_task(_report(fleet, args.stats))]
    if args.exit_when_done:
        waits.append(asyncio.create_task(_played_out(fleet)))
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _played_out(fleet: ReaderFleet) -> None:
    await fleet.wait_finished()
    logger.info("scenario played out; exiting in %.0f s", FLUSH_S)
    await asyncio.sleep(FLUSH_S)


async def _report(fleet: ReaderFleet, every_s: float) -> None:
    if every_s <= 0:
        await asyncio.Event().wait()  # no periodic summary: wait forever
    while True:
        await asyncio.sleep(every_s)
        with contextlib.suppress(KeyError):
            summary = {n: (c.reads_sent, c.reads_due) for n, c in fleet.counters().items()}
            logger.info("reads sent/due per reader: %s", summary)
