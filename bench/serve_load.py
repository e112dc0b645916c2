"""Serve a load scenario's readers in this process (the emulator side of bench_e2e)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import asdict

from firmware_sim.llrp.fleet import ReaderFleet
from firmware_sim.llrp.options import EmulatorOptions
from firmware_sim.scenario.load import LoadConfig, build_load


def main() -> int:
    """Build the scenario, serve it until played out, print the counters as JSON."""
    args = _parser().parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    config = LoadConfig(
        mode=args.mode,
        readers=args.readers,
        reads_per_s=args.rate,
        duration_s=args.duration,
        population=args.population,
    )
    scenario = build_load(config, seed=1)
    # Held reports: a reader whose gateway connects a moment later loses nothing meanwhile.
    fleet = ReaderFleet(scenario, base_port=args.port, options=EmulatorOptions(hold_reports=True))
    asyncio.run(_serve(fleet))
    counters = {name: asdict(c) for name, c in fleet.counters().items()}
    print(json.dumps(counters), flush=True)
    return 0


async def _serve(fleet: ReaderFleet) -> None:
    async with fleet:
        print("listening", flush=True)
        await fleet.wait_finished()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["portal", "inventory"], default="portal")
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=1500.0, help="reads/s per reader")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--population", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=25084)
    parser.add_argument("--cpu", type=int, help="pin to this CPU")
    return parser


if __name__ == "__main__":
    sys.exit(main())
