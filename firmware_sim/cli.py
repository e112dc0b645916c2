"""`tagtrail sim ...`: hardware emulators that speak the real wire protocols."""

from __future__ import annotations

import argparse

from firmware_sim.gps.cli import register_gps


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `sim` command group and its emulators."""
    sim = commands.add_parser(
        "sim", help="hardware emulators", description="Hardware emulators playing scenarios."
    )
    emulators = sim.add_subparsers(dest="emulator", metavar="EMULATOR", required=True)
    _register_reader(emulators)
    _register_sensors(emulators)
    register_gps(emulators)


def _register_reader(emulators: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = emulators.add_parser(
        "reader",
        help="LLRP fixed readers playing a scenario",
        description=(
            "Serve a scenario's RFID readers as LLRP 1.0.1 readers on TCP: reader i listens on"
            " PORT + i. Reads flow while a client runs a ROSpec; playback starts when the first"
            " ROSpec starts (or at once, --clock-start now)."
        ),
    )
    p.add_argument("--scenario", required=True, help="scenario name (e.g. dock)")
    p.add_argument("--seed", type=int, default=1, help="scenario seed (default 1)")
    p.add_argument("--port", type=_port, default=5084, help="port of the first reader (5084)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument(
        "--reader", action="append", metavar="NAME", help="serve only this reader (repeatable)"
    )
    p.add_argument("--speed", type=_speed, default=1.0, help="playback speed factor (1 = real)")
    p.add_argument("--loop", action="store_true", help="replay the scenario forever")
    p.add_argument(
        "--hold-reports",
        action="store_true",
        help="hold reads while no client is connected and deliver them on reconnect",
    )
    p.add_argument(
        "--clock-start",
        choices=["rospec", "now"],
        default="rospec",
        help="start playback at the first ROSpec (default) or at once",
    )
    p.add_argument("--exit-when-done", action="store_true", help="exit once played out")
    p.add_argument("--stats", type=float, default=30.0, help="log counters every S seconds")
    p.add_argument("--truth", metavar="FILE.json", help="write the ground truth here")
    p.add_argument("--gateway-config", metavar="FILE.yaml", help="write a matching gateway config")
    p.add_argument("--site", help="site id for --gateway-config")
    p.add_argument("--gateway", help="gateway id for --gateway-config")
    p.add_argument(
        "--mqtt", default="mqtt://127.0.0.1:1883", help="broker URL for --gateway-config"
    )
    p.set_defaults(handler=_run_reader, _parser=p)


def _run_reader(args: argparse.Namespace) -> int:
    if args.gateway_config and not (args.site and args.gateway):
        args._parser.error("--gateway-config needs --site and --gateway")
    from firmware_sim.llrp.runner import run_reader

    return run_reader(args)


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {value}")
    return value


def _speed(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"speed must be positive, got {text}")
    return value


def _register_sensors(emulators: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = emulators.add_parser(
        "sensors",
        help="serial temperature/humidity probes on pseudo-terminals",
        description=(
            "Play a scenario's temperature/humidity probes, each on a pseudo-terminal published"
            " as DIR/<probe> (a symlink a driver opens like any serial port). Writes the ground"
            " truth (true series, excursions, episodes, faults) to DIR/truth.json at once and"
            " every line's fate to DIR/played.jsonl on exit."
        ),
    )
    p.add_argument("--scenario", required=True, help="coldroom, dock, reefer or site")
    p.add_argument("--seed", type=int, default=1, help="scenario seed (default 1)")
    p.add_argument("--dir", required=True, help="directory for the device links and outputs")
    p.add_argument("--speed", type=_speed, default=1.0, help="playback speed factor (1 = real)")
    p.add_argument("--duration", type=_speed, help="scenario length in seconds (default 1 day)")
    p.add_argument("--truth", metavar="FILE.json", help="ground truth here instead of DIR")
    p.add_argument("--gateway-config", metavar="FILE.yaml", help="write a matching gateway config")
    p.add_argument("--site", default="site1", help="site id for --gateway-config")
    p.add_argument("--gateway", default="gw-sensors", help="gateway id for --gateway-config")
    p.add_argument(
        "--mqtt", default="mqtt://127.0.0.1:1883", help="broker URL for --gateway-config"
    )
    p.set_defaults(handler=_run_sensors)


def _run_sensors(args: argparse.Namespace) -> int:
    from firmware_sim.sensors.runner import run_sensors

    return run_sensors(args)
