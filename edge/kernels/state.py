"""State arrays of the jitted kernels: record layouts, allocation and growth."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from edge.kernels.events import EVENT_DTYPE, N_COUNTERS, REPORT_DTYPE
from edge.kernels.jit import (
    N_STATE,
    NEVER,
    S_CLOCK,
    S_CURSOR,
    S_N_DFREE,
    S_N_FREE,
    S_WATERMARK,
    UNSET,
)

Array = npt.NDArray[Any]


def tag_dtype(zone_slots: int) -> np.dtype[np.void]:
    """Per-tag state record with zone_slots zone slots (s* fields)."""
    k = (zone_slots,)
    # Fields every read touches first, so that they share the first cache line or two.
    fields = [
        ("last", "<i8"),  # last read at any zone
        ("visit", "<i4"),  # open pass (visit pool index) or -1
        ("dpass", "<i4"),  # door record of the last door read in the open pass, or -1
        ("door_last", "<i8"),  # last read at a door zone
        ("apos", "<i4"),  # position in the active list or -1
        ("zone", "<i2"),  # current zone or -1 (absent)
        ("sz", "<i2", k),  # slot zone or -1 (free)
        ("sflag", "u1", k),  # SEEN | PREV
        ("scount", "<i4", k),  # open cycle: TagSeenCount sum
        ("slast", "<i4", k),  # open cycle: last read, µs after the cycle start
        ("speak", "<f4", k),  # open cycle: peak RSSI
        ("sfirst", "<i4", k),  # open cycle: first read, µs after the cycle start
        ("ss", "<f8", k),  # smoothed RSSI or UNSET
        ("since", "<i8"),  # arrival at the current zone
        ("lead_since", "<i8"),  # first cycle close at which the lead zone led
        ("door_run", "<i8"),  # start of door reads without a depart-long gap
        ("lead", "<i2"),  # zone that leads the current one, or -1
        ("parked", "u1"),
    ]
    return np.dtype(fields)


# A pass (visit): a tag's reads at any door until quiet, with a list of per-door records.
VISIT_DTYPE = np.dtype(
    [
        ("tag", "<i4"),  # owner, or -1 when the record is free
        ("first", "<i8"),  # (its last read is the tag's door_last)
        ("run", "<i8"),  # the tag's door_run when the pass began
        ("head", "<i4"),  # first door record, or -1
    ]
)

# The reads of one pass at one door; side arrays index OUTSIDE, INSIDE.
DOOR_DTYPE = np.dtype(
    [
        ("door", "<i2"),
        ("next", "<i4"),  # next door record of the same pass, or -1
        ("first", "<i8"),  # also the time origin of the weighted sums
        ("last", "<i8"),
        ("n", "<i4", (2,)),  # TagSeenCount sum
        ("peak", "<f4", (2,)),
        ("sw", "<f8", (2,)),  # sum of weights
        ("swt", "<f8", (2,)),  # sum of weight * (t - first)
    ]
)


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
    """Mutable state: per-tag records, pass pools, lists, output buffers, scalars, counters."""

    tags: Array
    visits: Array
    free: Array  # stack of free visit records
    doors: Array
    dfree: Array  # stack of free door records
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
    for name in ("visit", "dpass", "apos", "zone", "lead", "sz"):
        tags[name] = -1
    tags["ss"] = UNSET
    return tags


def new_state(zone_slots: int, tags: int = 1024, visits: int = 256) -> State:
    """Fresh kernel state with room for tags and passes (all grow on demand)."""
    st = np.zeros(N_STATE, dtype=np.int64)
    st[S_WATERMARK], st[S_CLOCK], st[S_CURSOR] = NEVER, NEVER, -1
    st[S_N_FREE], st[S_N_DFREE] = visits, 2 * visits
    return State(
        tags=blank_tags(tags, zone_slots),
        visits=_blank(visits, VISIT_DTYPE),
        free=np.arange(visits - 1, -1, -1, dtype=np.int32),
        doors=_blank(2 * visits, DOOR_DTYPE),
        dfree=np.arange(2 * visits - 1, -1, -1, dtype=np.int32),
        active=np.full(tags, -1, dtype=np.int32),
        ev=np.zeros(16384, EVENT_DTYPE),
        rep=np.zeros(4096, REPORT_DTYPE),
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


def grow_pools(state: State) -> State:
    """State with twice the pass pool or door pool, whichever ran out."""
    if state.st[S_N_FREE] == 0:
        visits, free = _grow_pool(state.visits, state.free, state.st, S_N_FREE)
        state = state._replace(visits=visits, free=free)
    if state.st[S_N_DFREE] == 0:
        doors, dfree = _grow_pool(state.doors, state.dfree, state.st, S_N_DFREE)
        state = state._replace(doors=doors, dfree=dfree)
    return state


def _grow_pool(pool: Array, free: Array, st: Array, count: int) -> tuple[Array, Array]:
    # The new records go on the free stack, after the ones still free.
    size = len(pool)
    grown = _blank(2 * size, pool.dtype)
    grown[:size] = pool
    n_free = int(st[count])
    stack = np.empty(2 * size, dtype=np.int32)
    stack[:n_free] = free[:n_free]
    stack[n_free : n_free + size] = np.arange(2 * size - 1, size - 1, -1, dtype=np.int32)
    st[count] = n_free + size
    return grown, stack


def _blank(n: int, dtype: np.dtype[np.void]) -> Array:
    records: Array = np.zeros(n, dtype)
    for name in ("tag", "head", "next", "door"):
        if name in (dtype.names or ()):
            records[name] = -1
    return records


def grow_buffer(buffer: Array, need: int) -> Array:
    """A buffer of the same dtype with room for need rows (contents are not kept)."""
    if need <= len(buffer):
        return buffer
    grown: Array = np.zeros(max(need, 2 * len(buffer)), buffer.dtype)
    return grown


def state_nbytes(state: State) -> int:
    """Bytes held by the state arrays."""
    return sum(int(a.nbytes) for a in state)
