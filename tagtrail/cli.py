"""The `tagtrail` command: one entry point, subcommands contributed by each part of the system."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Protocol

from tagtrail import __version__

# Each module adds its own subcommands; heavy imports stay inside the handlers so that
# `tagtrail epc ...` does not pay for numba or FastAPI.
COMMAND_MODULES = (
    "tagtrail.demo",
    "edge.cli",
    "cloud.cli",
    "firmware_sim.cli",
    "protocol.cli",
    "tagtrail.broker",
    "tagtrail.dashboards",
    "tagtrail.track",
    "tagtrail.mkt",
)

Handler = Callable[[argparse.Namespace], int]
NARRATORS = ("sllurp", "amqtt", "transitions")


class CommandModule(Protocol):
    """What a module in COMMAND_MODULES provides."""

    def register(self, commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        """Add subcommands; each sets `handler` via set_defaults."""


def build_parser() -> argparse.ArgumentParser:
    """Build the full argument parser."""
    parser = argparse.ArgumentParser(prog="tagtrail", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tagtrail {__version__}")
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging verbosity (default INFO; WARNING for the demo, whose output is the point)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        module: CommandModule = importlib.import_module(name)
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    level = args.log_level or getattr(args, "default_log_level", "INFO")
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if level != "DEBUG":
        # These narrate every state change at INFO; their warnings and errors still show.
        for chatty in NARRATORS:
            logging.getLogger(chatty).setLevel(logging.WARNING)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
