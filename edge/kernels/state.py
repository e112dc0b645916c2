"""State arrays of the jitted kernels: record layouts, allocation and growth."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from edge.kernels.events import EVENT_DTYPE, N_COUNTERS, REPORT_DTYPE
from edge.kernels.jit import N_STATE, NEVER, NO_PEAK, S_N_FREE, S_WATERMARK, UNSET

Array = npt.NDArray[Any]


def tag_dtype(zone_slots: int) -> np.dtype[np.void]:
    """Per-tag state record with zone_slots zone slots (s* fields)."""
    k = (zone_slots,)
    fields = [
        ("last", "<i8"),  # last read at any zone
        ("since", "<i8"),  # arrival at the current zone
        ("lead_since", "<i8"),  # first cycle close at which the lead zone led
        ("door_last", "<i8"),  # last read at a door zone
        ("door_run", "<i8"),  # start of door reads without a depart-long gap
        ("visit", "<i4"),  # open pass (visit pool index) or -1
        ("apos", "<i4"),  # position in the active list or -1
        ("zone", "<i2"),  # current zone or -1 (absent)
        ("lead", "<i2"),  # zone that leads the current one, or -1
        ("parked", "u1"),
        ("sz", "<i2", k),  # slot zone or -1 (free)
        ("sflag", "u1", k),  # SEEN | PREV
        ("scount", "<i4", k),  # open cycle: TagSeenCount sum
        ("sfirst", "<i4", k),  # open cycle: first read, µs after the cycle start
        ("slast", "<i4", k),  # open cycle: last read, µs after the cycle start
        ("speak", "<f4", k),  # open cycle: peak RSSI
        ("ss", "<f8", k),  # smoothed RSSI or UNSET
    ]
    return np.dtype(fields)


def visit_dtype(door_slots: int) -> np.dtype[np.void]:
    """Pass record with door_slots door slots; side arrays index 2 * slot + side."""
    d, s = (door_slots,), (2 * door_slots,)
    fields = [
        ("tag", "<i4"),  # owner, or -1 when the record is free
        ("first", "<i8"),
        ("last", "<i8"),
        ("anchor", "<i8"),  # time origin of the weighted sums (first read)
        ("run", "<i8"),  # the tag's door_run when the pass began
        ("door", "<i2", d),
        ("dfirst", "<i8", d),
        ("dlast", "<i8", d),
        ("n", "<i4", s),
        ("peak", "<f4", s),
        ("sw", "<f8", s),  # sum of weights
        ("swt", "<f8", s),  # sum of weight * (t - anchor)
    ]
    return np.dtype(fields)


class Cols(NamedTuple):
    """A batch of reads, one array per column."""

    t: Array
    zone: Array
    tag: Array
    rssi: Array
    n: Array  # TagSeenCount


class Rules(NamedTuple):
    """Read-only inputs: parameters, weight table and zone -> door / side."""

    pi: Array
    pf: Array
    lut: Array
    zone_door: Array
    zone_side: Array


class State(NamedTuple):
    """Mutable state: per-tag records, pass pool, lists, output buffers, scalars, counters."""

    tags: Array
    visits: Array
    free: Array  # stack of free visit records
    active: Array  # tags with a zone slot in use or present
    ev: Array
    rep: Array
    st: Array  # S_* scalars
    cnt: Array  # C_* counters


def blank_tags(n: int, zone_slots: int) -> Array:
    """n per-tag records in their initial state (absent, no slots, no pass)."""
    tags: Array = np.zeros(n, tag_dtype(zone_slots))
    for name in ("last", "door_last", "door_run"):
        tags[name] = NEVER
    for name in ("visit", "apos", "zone", "lead", "sz"):
        tags[name] = -1
    tags["ss"] = UNSET
    return tags


def blank_visits(n: int, door_slots: int) -> Array:
    """n free pass records."""
    visits: Array = np.zeros(n, visit_dtype(door_slots))
    visits["tag"] = -1
    visits["door"] = -1
    visits["peak"] = NO_PEAK
    return visits


def new_state(zone_slots: int, door_slots: int, tags: int = 1024, visits: int = 256) -> State:
    """Fresh kernel state with room for tags and visits (both grow on demand)."""
    st = np.zeros(N_STATE, dtype=np.int64)
    st[S_WATERMARK] = NEVER
    st[S_N_FREE] = visits
    return State(
        tags=blank_tags(tags, zone_slots),
        visits=blank_visits(visits, door_slots),
        free=np.arange(visits - 1, -1, -1, dtype=np.int32),
        active=np.full(tags, -1, dtype=np.int32),
        ev=np.zeros(1024, EVENT_DTYPE),
        rep=np.zeros(1024, REPORT_DTYPE),
        st=st,
        cnt=np.zeros(N_COUNTERS, dtype=np.int64),
    )


def grow_tags(state: State, n: int) -> State:
    """State with room for at least n tags."""
    size = len(state.tags)
    if n <= size:
        return state
    size = max(n, 2 * size)
    tags = blank_tags(size, state.tags.dtype["sz"].shape[0])
    tags[: len(state.tags)] = state.tags
    active = np.full(size, -1, dtype=np.int32)
    active[: len(state.active)] = state.active
    return state._replace(tags=tags, active=active)


def grow_visits(state: State) -> State:
    """State with twice the pass pool; the new records go on the free stack."""
    size = len(state.visits)
    visits = blank_visits(2 * size, state.visits.dtype["door"].shape[0])
    visits[:size] = state.visits
    n_free = int(state.st[S_N_FREE])
    free = np.empty(2 * size, dtype=np.int32)
    free[:n_free] = state.free[:n_free]
    free[n_free : n_free + size] = np.arange(2 * size - 1, size - 1, -1, dtype=np.int32)
    state.st[S_N_FREE] = n_free + size
    return state._replace(visits=visits, free=free)


def grow_buffer(buffer: Array, need: int) -> Array:
    """A buffer of the same dtype with room for need rows (contents are not kept)."""
    if need <= len(buffer):
        return buffer
    grown: Array = np.zeros(max(need, 2 * len(buffer)), buffer.dtype)
    return grown


def state_nbytes(state: State) -> int:
    """Bytes held by the state arrays."""
    return sum(int(a.nbytes) for a in state)
