"""The `tagtrail epc` command: decode EPCs from arguments or stdin."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from protocol.epc import DecodedEpc

EXIT_BAD_INPUT = 2


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this part's subcommands."""
    parser = commands.add_parser(
        "epc",
        help="decode GS1 EPCs (hex) to tag URI, pure-identity URI and GS1 key",
        description=(
            "Decode EPCs given as hex (SGTIN-96, SSCC-96, SGLN-96, GRAI-96, GIAI-96). "
            "With no EPC arguments, read one EPC per line from stdin. "
            "Malformed EPCs are reported on stderr and make the exit status 2."
        ),
    )
    parser.add_argument("epcs", nargs="*", metavar="EPC", help="EPC as hex, any case")
    parser.add_argument("--json", action="store_true", help="print one JSON object per line")
    parser.set_defaults(handler=run_epc)


def run_epc(args: argparse.Namespace) -> int:
    """Decode each EPC, print one line per EPC; return 2 if any was malformed."""
    from protocol.epc import EpcError, decode_epc

    status = 0
    for epc in _inputs(args.epcs, sys.stdin):
        try:
            decoded = decode_epc(epc)
        except EpcError as exc:
            print(f"tagtrail epc: error: {exc}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        print(_as_json(decoded) if args.json else format_line(decoded))
    return status


def _inputs(arguments: list[str], stdin: Iterable[str]) -> Iterator[str]:
    """EPCs from the arguments, or else the non-blank lines of stdin."""
    if arguments:
        yield from arguments
        return
    for line in stdin:
        text = line.strip()
        if text:
            yield text


def _as_json(decoded: DecodedEpc) -> str:
    """One compact JSON object with every field of the decoded EPC."""
    return json.dumps(dataclasses.asdict(decoded), separators=(",", ":"))


def format_line(decoded: DecodedEpc) -> str:
    """One human-readable line: scheme, GS1 key, filter and both URIs."""
    if decoded.status != "ok":
        return (
            f"{decoded.hex}  {decoded.status}: header 0x{decoded.header:02X}, {decoded.bits} bits"
        )
    key = f"{(decoded.key_type or '').upper()} {decoded.gs1_key}"
    return (
        f"{decoded.hex}  {decoded.scheme}  {key}  filter {decoded.filter_value}  "
        f"{decoded.pure_uri}  {decoded.tag_uri}"
    )
