"""LLRP 1.0.1 reader emulator: plays scenario reads to LLRP clients (such as sllurp) over TCP.

Serving: `ReaderFleet(scenario, base_port=5084)` serves reader i on base_port + i (base_port 0:
free ports, see `fleet.ports`), all readers in one asyncio loop with one playback clock;
`EmulatorThread(fleet)` runs it on a thread of its own for synchronous callers. The command line
is `tagtrail sim reader`.

What a client sees: on connect a READER_EVENT_NOTIFICATION (ConnectionAttemptEvent Success);
answers to capabilities, config, ROSpec, AccessSpec and connection commands; KEEPALIVEs at the
configured period; RO_ACCESS_REPORTs while a ROSpec runs, with EPC-96 or EPCData, timestamps
from the scenario's reader clock, and as many TagReportData per report as its ROReportSpec N or
its AISpec's TagObservationTrigger N asks for. Unknown or malformed messages get an LLRPStatus
error and the session continues; a byte stream that is not LLRP closes that connection only.

Reads that fall due while no ROSpec runs are not inventoried (counted as idle); while a ROSpec
runs but no client is connected they are dropped and counted, or held (bounded) when
`EmulatorOptions.hold_reports` or the client's HoldEventsAndReportsUponReconnect is set and
delivered after the next ENABLE_EVENTS_AND_REPORTS. Every read's fate is in `Counters`.

Fault injection for gateway tests, on a connected `ReaderEmulator`: `inject_garbage(n)`,
`cut_mid_message()`, `pause()` / `resume()`, `drop_connection(graceful=...)`.
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
