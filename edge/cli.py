"""Command-line subcommands of this part (placeholder until the part lands)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this part's subcommands."""
