"""`tagtrail edge`: run a gateway from its YAML config, or just check the config."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

logger = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `edge` subcommand."""
    parser = commands.add_parser(
        "edge", help="run an edge gateway", description="Run an edge gateway from its config."
    )
    parser.add_argument("--config", type=Path, required=True, help="gateway YAML config")
    parser.add_argument("--check", action="store_true", help="validate the config and exit")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from edge.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"invalid gateway config:\n{exc}", file=sys.stderr)
        return 2
    if args.check:
        print(f"{args.config}: ok ({len(config.readers)} readers, {len(config.zones)} zones)")
        return 0
    from edge.gateway import Gateway

    stop = threading.Event()
    _stop_on_signals(stop)
    Gateway(config).run(stop)
    return 0


def _stop_on_signals(stop: threading.Event) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        logger.info("signal %d: stopping the gateway", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
