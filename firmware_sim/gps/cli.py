"""`tagtrail sim gps`: arguments (kept light: the emulator loads only when the command runs)."""

from __future__ import annotations

import argparse
import datetime as dt

from firmware_sim.gps.routes import ROUTES


def register_gps(emulators: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sim gps` to the emulators."""
    p = emulators.add_parser(
        "gps",
        help="a GPS receiver (NMEA 0183 on a pty) driving a route",
        description=(
            "Play a truck's GPS receiver along a route: RMC, VTG and GGA at 1 Hz of emulated"
            " time on a pseudo-terminal reachable as DIR/DEVICE, with speed profiles, stops,"
            " tunnels, jitter and line faults. The sentences carry emulated UTC, so --speed"
            " accelerates time in the data too. --log writes the whole output as a file."
        ),
    )
    p.add_argument("--route", required=True, choices=sorted(ROUTES), help="the route to drive")
    p.add_argument("--seed", type=int, default=1, help="scenario seed (default 1)")
    p.add_argument("--dir", help="directory for the device link (omit to only write files)")
    p.add_argument("--device", default="gps0", help="name of the device link (gps0)")
    p.add_argument("--speed", type=_speed, default=1.0, help="playback speed factor (1 = real)")
    p.add_argument(
        "--start", type=_start, help="UTC start of the drive: ISO time or 'now' (default fixed)"
    )
    p.add_argument("--no-faults", action="store_true", help="a flawless receiver")
    p.add_argument("--truth", metavar="FILE.json", help="write the ground truth here")
    p.add_argument("--log", metavar="FILE.nmea", help="write the receiver's output as a log")
    p.add_argument("--gateway-config", metavar="FILE.yaml", help="write a vehicle gateway config")
    p.add_argument("--site", help="site id for --gateway-config")
    p.add_argument("--gateway", help="gateway id for --gateway-config")
    p.add_argument(
        "--mqtt", default="mqtt://127.0.0.1:1883", help="broker URL for --gateway-config"
    )
    p.set_defaults(handler=_run_gps, _parser=p)


def _run_gps(args: argparse.Namespace) -> int:
    if args.dir is None and not (args.log or args.truth):
        args._parser.error("give --dir to play, or --log / --truth to write files")
    if args.gateway_config and not (args.site and args.gateway and args.dir):
        args._parser.error("--gateway-config needs --site, --gateway and --dir")
    from firmware_sim.gps.runner import run_gps

    return run_gps(args)


def _speed(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"speed must be positive, got {text}")
    return value


def parse_start(text: str) -> dt.datetime:
    """--start: 'now' or an ISO 8601 time (UTC unless it says otherwise)."""
    if text == "now":
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _start(text: str) -> dt.datetime:
    try:
        return parse_start(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not 'now' or an ISO time: {text}") from None
