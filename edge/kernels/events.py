"""Record layouts of what the kernels decide: events, dedup cycle reports and counters."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from edge.kernels.jit import (
    ADDITION,
    ARRIVED,
    C_AMBIGUOUS,
    C_CROSS_READ,
    C_CYCLES,
    C_LATE,
    C_PARKED,
    C_PASSES,
    C_PORTAL,
    C_PRESENCE,
    C_READS,
    C_REPORTS,
    C_SLOT_OVERFLOW,
    C_STRAY,
    CURRENT,
    DELETION,
    DEPARTED,
    IN,
    MOVED,
    NO_DIRECTION,
    OUT,
    PARKED,
    PORTAL,
)

__all__ = [
    "ADDITION",
    "ARRIVED",
    "COUNTER_NAMES",
    "CURRENT",
    "C_AMBIGUOUS",
    "C_CROSS_READ",
    "C_CYCLES",
    "C_LATE",
    "C_PARKED",
    "C_PASSES",
    "C_PORTAL",
    "C_PRESENCE",
    "C_READS",
    "C_REPORTS",
    "C_SLOT_OVERFLOW",
    "C_STRAY",
    "DELETION",
    "DEPARTED",
    "EVENT_DTYPE",
    "IN",
    "KIND_NAMES",
    "MOVED",
    "NO_DIRECTION",
    "N_COUNTERS",
    "OUT",
    "PARKED",
    "PORTAL",
    "REPORT_DTYPE",
    "canonical",
    "empty_events",
    "empty_reports",
    "in_time_order",
]

# The codes are defined with the kernels (see edge.kernels.jit) and re-exported here.
# Event kinds (EVENT_DTYPE.kind); portal directions (presence events: NO_DIRECTION);
# dedup report changes, ALE style: CURRENT = seen in this cycle and the previous one,
# ADDITION = seen now, not before (also part of CURRENT), DELETION = seen before, not now.
KIND_NAMES = ("portal", "arrived", "moved", "departed", "parked")

# One decided event. Field order is the canonical sort order (time first).
# place: door index for portal events, zone index for presence events.
# prev: zone moved from (MOVED), else -1. first/last/reads: the pass (portal events only).
# rssi: peak of the pass (portal) or smoothed RSSI at the zone (presence).
EVENT_DTYPE = np.dtype(
    [
        ("t_us", "<i8"),
        ("kind", "i1"),
        ("tag", "<i4"),
        ("place", "<i2"),
        ("prev", "<i2"),
        ("direction", "i1"),
        ("first_us", "<i8"),
        ("last_us", "<i8"),
        ("reads", "<i4"),
        ("rssi", "<f4"),
    ]
)

# One EPC x zone line of a dedup cycle report; count sums TagSeenCount.
REPORT_DTYPE = np.dtype(
    [
        ("cycle_end_us", "<i8"),
        ("tag", "<i4"),
        ("zone", "<i2"),
        ("change", "i1"),
        ("first_us", "<i8"),
        ("last_us", "<i8"),
        ("count", "<i4"),
        ("peak", "<f4"),
    ]
)

# Kernel counters, in the order of the C_* indexes into the counters array.
COUNTER_NAMES = (
    "reads",  # reads taken into the kernel
    "late",  # reads older than the watermark or the open cycle: dropped
    "slot_overflow",  # reads at a zone for which a tag had no free zone slot
    "passes",  # passes decided
    "portal_events",  # passes that became portal events
    "suppressed_parked",  # passes too long, or of a tag long at the doors
    "suppressed_cross_read",  # neighbour-door parts of a pass that another door won
    "suppressed_ambiguous",  # no door clearly strongest, or no peak-time order
    "suppressed_stray",  # too few reads, too weak, or read on one side only
    "presence_events",  # arrived, moved, departed and parked events
    "cycles",  # event cycles closed
    "reports",  # dedup report lines
)
N_COUNTERS = len(COUNTER_NAMES)

Events = npt.NDArray[np.void]


def in_time_order(events: Events) -> Events:
    """Events by time; ties keep the order they were decided in (a stable sort)."""
    return _gather(events, np.argsort(events["t_us"], kind="stable"))


def canonical(events: Events) -> Events:
    """Events (or report lines) sorted by all fields, time first: a total order."""
    names = events.dtype.names or ()
    return _gather(events, np.lexsort([events[name] for name in reversed(names)]))


def copied(records: Events) -> Events:
    """A copy of a record array."""
    out: Events = _rows(records).copy().view(records.dtype)
    return out


def joined(parts: Sequence[Events], dtype: np.dtype[np.void]) -> Events:
    """Record arrays of one dtype end to end."""
    if not parts:
        return np.zeros(0, dtype)
    out: Events = np.concatenate([_rows(part) for part in parts]).view(dtype)
    return out


def _gather(records: Events, order: npt.NDArray[np.intp]) -> Events:
    ordered: Events = _rows(records)[order].view(records.dtype)
    return ordered


def _rows(records: Events) -> Events:
    # Records as opaque rows: numpy copies records with fields (packed ones at least) field
    # by field, ten to twenty times slower: over a tenth of the kernel bench's time.
    return records.view(np.dtype((np.void, records.dtype.itemsize)))


def empty_events(n: int = 0) -> Events:
    """A zeroed event array."""
    out: Events = np.zeros(n, EVENT_DTYPE)
    return out


def empty_reports(n: int = 0) -> Events:
    """A zeroed report array."""
    out: Events = np.zeros(n, REPORT_DTYPE)
    return out
