"""LLRP 1.0.1 reader emulator: plays scenario reads to LLRP clients (such as sllurp) over TCP.

`ReaderFleet` serves a scenario's readers on consecutive ports (`EmulatorThread` runs one for
synchronous callers); each `ReaderEmulator` offers fault injection and counters.
"""

from firmware_sim.llrp.counters import Counters
from firmware_sim.llrp.fleet import EmulatorThread, ReaderFleet
from firmware_sim.llrp.options import EmulatorOptions, NotConnectedError
from firmware_sim.llrp.server import ReaderEmulator

__all__ = [
    "Counters",
    "EmulatorOptions",
    "EmulatorThread",
    "NotConnectedError",
    "ReaderEmulator",
    "ReaderFleet",
]
