"""The numba kernels: dedup cycles, presence and portal passes over batches of reads.

Semantics are those of edge.kernels.reference (the spec); read it first. This module is
self-contained on purpose: numba's on-disk cache is keyed on this file only, so every
constant the compiled code uses is defined here (events.py and params.py re-export them)
and a change elsewhere cannot leave stale machine code behind.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from edge.kernels.state import Cols, Rules, State

# ---- constants compiled into the kernels ----
PORTAL, ARRIVED, MOVED, DEPARTED, PARKED = range(5)
IN, OUT, NO_DIRECTION = 0, 1, -1
CURRENT, ADDITION, DELETION = range(3)
C_READS, C_LATE, C_SLOT_OVERFLOW, C_PASSES, C_PORTAL = range(5)
C_PARKED, C_CROSS_READ, C_AMBIGUOUS, C_STRAY, C_PRESENCE, C_CYCLES, C_REPORTS = range(5, 12)
P_CYCLE, P_DEPART, P_HOLD, P_PARKED, P_QUIET, P_MAX_PASS, P_MIN_READS, P_REPORT = range(8)
F_ALPHA, F_ABSENT, F_HYST, F_MIN_PEAK, F_MARGIN = range(5)
S_STARTED, S_CYCLE, S_WATERMARK, S_CLOCK, S_N_ACTIVE, S_N_FREE, S_N_DFREE = range(7)
S_N_EVENTS, S_N_REPORTS, S_CURSOR = 7, 8, 9  # S_CURSOR: cycle close in progress
N_STATE = 10
RSSI_MIN, QUANT, N_WEIGHTS = -128.0, 4.0, 593
UNSET = -1.0e9
SLOT_FREE_DB = 1.0
NEVER = -(1 << 62)
NO_PEAK = -129.0
SEEN, PREV = 1, 2  # zone slot flags: read in the open cycle / in the previous one

# Compiled without numba's reference-counting runtime: the kernels never allocate, and its
# atomic increments around every array access would cost several times the kernels' work.
# Per-read helpers are inlined into the read loop; the rare paths stay calls.
F = TypeVar("F", bound=Callable[..., Any])


# error_model "numpy": no zero-division checks in the hot loops (about 10 % of the kernel's
# time); divisors are validated parameters or the weights of sides known to have reads.
_OPTIONS: dict[str, Any] = {"cache": True, "_nrt": False, "error_model": "numpy"}


def _kernel(fn: F) -> F:
    return cast(F, njit(**_OPTIONS)(fn))


def _hot(fn: F) -> F:
    return cast(F, njit(inline="always", **_OPTIONS)(fn))


# A read's columns: tag, zone, time, RSSI, TagSeenCount.
Read = tuple[int, int, int, float, int]

# ---- output ----


@_hot
def _emit(a: State, t: int, kind: int, g: int, place: int) -> int:
    j = a.st[S_N_EVENTS]
    a.st[S_N_EVENTS] = j + 1
    e = a.ev[j]
    e.t_us, e.kind, e.tag, e.place, e.prev, e.direction = t, kind, g, place, -1, NO_DIRECTION
    e.first_us, e.last_us, e.reads, e.rssi = 0, 0, 0, 0.0
    return int(j)


@_hot
def _presence(a: State, kind: int, g: int, t: int, k: int) -> int:
    rec = a.tags[g]
    j = _emit(a, t, kind, g, rec.sz[k])
    a.ev[j].rssi = rec.ss[k]
    a.cnt[C_PRESENCE] += 1
    return j


@_hot
def _report(a: State, r: Rules, g: int, k: int, end: int) -> None:
    rec, mode = a.tags[g], r.pi[P_REPORT]
    seen, prev = rec.sflag[k] & SEEN, rec.sflag[k] & PREV
    if mode == 0 or (not seen and not prev) or (seen and prev and mode == 1):
        return
    j = a.st[S_N_REPORTS]
    a.st[S_N_REPORTS] = j + 1
    a.cnt[C_REPORTS] += 1
    row, start = a.rep[j], end - r.pi[P_CYCLE]
    row.cycle_end_us, row.tag, row.zone = end, g, rec.sz[k]
    if seen:
        row.change = CURRENT if prev else ADDITION
        row.first_us, row.last_us = start + rec.sfirst[k], start + rec.slast[k]
        row.count, row.peak = rec.scount[k], rec.speak[k]
    else:
        row.change, row.first_us, row.last_us, row.count, row.peak = DELETION, 0, 0, 0, 0.0


# ---- zone slots and the active list ----


@_hot
def _find_slot(rec: Any, z: int) -> int:
    found = -1  # without early exits: which slot matches is hard to predict
    for k in range(rec.sz.shape[0] - 1, -1, -1):
        found = k if rec.sz[k] == z else found
    return found


@_hot
def _weaker(rec: Any, k: int, best: int) -> bool:
    pk, pb = rec.sflag[k] & PREV, rec.sflag[best] & PREV
    return bool(pk < pb or (pk == pb and rec.ss[k] < rec.ss[best]))


@_kernel
def _new_slot(rec: Any, z: int) -> int:
    pick = -1
    for k in range(rec.sz.shape[0]):
        if rec.sz[k] < 0:
            pick = k
            break
    if pick < 0:
        for k in range(rec.sz.shape[0]):
            victim = rec.sz[k] != rec.zone and (rec.sflag[k] & SEEN) == 0
            if victim and (pick < 0 or _weaker(rec, k, pick)):
                pick = k
    if pick >= 0:
        rec.sz[pick], rec.sflag[pick], rec.ss[pick] = z, 0, UNSET
    return pick


@_hot
def _activate(a: State, g: int) -> None:
    n = a.st[S_N_ACTIVE]
    a.active[n] = g
    a.tags[g].apos = n
    a.st[S_N_ACTIVE] = n + 1


@_hot
def _deactivate(a: State, g: int) -> None:
    n = a.st[S_N_ACTIVE] - 1
    pos, moved = a.tags[g].apos, a.active[n]
    a.active[pos] = moved
    a.tags[moved].apos = pos
    a.tags[g].apos = -1
    a.st[S_N_ACTIVE] = n


@_hot
def _dedup(a: State, rec: Any, read: Read, off: int) -> None:
    # rec: the read's tag; off: the read's time after the open cycle's start.
    g, z, _, rssi, n = read
    k = _find_slot(rec, z)
    if k < 0:
        k = _new_slot(rec, z)
    if k < 0:
        a.cnt[C_SLOT_OVERFLOW] += 1
        return
    if rec.apos < 0:
        _activate(a, g)
    # Selects, not branches: which read is a slot's first in the cycle is hard to predict.
    first = (rec.sflag[k] & SEEN) == 0
    rec.sflag[k] |= SEEN
    rec.scount[k] = n if first else rec.scount[k] + n
    rec.sfirst[k] = off if first else rec.sfirst[k]
    rec.slast[k] = off  # reads come in time order
    rec.speak[k] = rssi if first else max(rec.speak[k], rssi)


# ---- presence at cycle close ----


@_hot
def _smooth(rec: Any, k: int, r: Rules) -> None:
    seen = (rec.sflag[k] & SEEN) != 0
    if seen and rec.ss[k] == UNSET:
        rec.ss[k] = np.float64(rec.speak[k])
    elif rec.ss[k] != UNSET:
        obs = np.float64(rec.speak[k]) if seen else r.pf[F_ABSENT]
        rec.ss[k] = rec.ss[k] + r.pf[F_ALPHA] * (obs - rec.ss[k])


@_hot
def _depart(a: State, g: int) -> None:
    rec = a.tags[g]
    _presence(a, DEPARTED, g, rec.last, _find_slot(rec, rec.zone))
    rec.zone, rec.parked, rec.lead = -1, 0, -1
    rec.ss[:] = UNSET


@_kernel
def _depart_now(a: State, g: int) -> None:
    # A call, not inlined: departures inside a cycle are rare on the read path.
    _depart(a, g)


@_hot
def _arrive(a: State, g: int) -> None:
    rec, best = a.tags[g], -1
    for k in range(rec.sz.shape[0]):
        ok = rec.sz[k] >= 0 and (rec.sflag[k] & SEEN) != 0 and rec.ss[k] != UNSET
        if ok and (best < 0 or rec.ss[k] > rec.ss[best]):
            best = k
    if best >= 0:
        first = a.st[S_CYCLE] + rec.sfirst[best]
        _presence(a, ARRIVED, g, first, best)
        rec.zone, rec.since, rec.parked, rec.lead = rec.sz[best], first, 0, -1


@_hot
def _rival(rec: Any, here: int) -> int:
    best = -1
    for k in range(rec.sz.shape[0]):
        ok = k != here and rec.sz[k] >= 0 and rec.ss[k] != UNSET
        if ok and (best < 0 or rec.ss[k] > rec.ss[best]):
            best = k
    return best


@_hot
def _move_or_park(a: State, r: Rules, g: int, end: int) -> None:
    rec = a.tags[g]
    here = _find_slot(rec, rec.zone)
    k = _rival(rec, here)
    if k >= 0 and rec.ss[k] - rec.ss[here] > r.pf[F_HYST]:
        if rec.lead != rec.sz[k]:
            rec.lead, rec.lead_since = rec.sz[k], end
        if end - rec.lead_since >= r.pi[P_HOLD]:
            a.ev[_presence(a, MOVED, g, rec.lead_since, k)].prev = rec.zone
            rec.zone, rec.since, rec.parked, rec.lead = rec.sz[k], rec.lead_since, 0, -1
            return
    else:
        rec.lead = -1
    if rec.parked == 0 and end - rec.since >= r.pi[P_PARKED]:
        _presence(a, PARKED, g, rec.since + r.pi[P_PARKED], here)
        rec.parked = 1


@_hot
def _release(a: State, r: Rules, g: int) -> None:
    rec, used = a.tags[g], 0
    limit = r.pf[F_ABSENT] + SLOT_FREE_DB
    for k in range(rec.sz.shape[0]):
        seen = (rec.sflag[k] & SEEN) != 0
        rec.sflag[k] = PREV if seen else 0
        if rec.sz[k] < 0:
            continue
        stale = rec.zone < 0 or rec.ss[k] == UNSET or rec.ss[k] <= limit
        if not seen and rec.sz[k] != rec.zone and stale:
            rec.sz[k], rec.ss[k] = -1, UNSET
        else:
            used += 1
    if rec.zone < 0 and used == 0:
        _deactivate(a, g)


@_hot
def _close_tag_cycle(a: State, r: Rules, g: int, end: int) -> None:
    rec = a.tags[g]
    for k in range(rec.sz.shape[0]):
        if rec.sz[k] >= 0:
            _report(a, r, g, k, end)
            _smooth(rec, k, r)
    if rec.zone >= 0 and end - rec.last >= r.pi[P_DEPART]:
        _depart(a, g)
    elif rec.zone < 0:
        _arrive(a, g)
    else:
        _move_or_park(a, r, g, end)
    _release(a, r, g)


@_kernel
def close_cycle(a: State, r: Rules) -> bool:
    """Close (or go on closing) the open event cycle; False if it stopped to make room."""
    if a.st[S_CURSOR] < 0:
        a.st[S_CURSOR] = a.st[S_N_ACTIVE] - 1
    end = a.st[S_CYCLE] + r.pi[P_CYCLE]
    need = a.tags[0].sz.shape[0] if r.pi[P_REPORT] else 0
    # Downwards: a tag leaving the list swaps in the last one, which is already closed.
    while a.st[S_CURSOR] >= 0:
        ev_ok = a.st[S_N_EVENTS] < a.ev.shape[0]
        if not ev_ok or a.rep.shape[0] - a.st[S_N_REPORTS] < need:
            return False
        _close_tag_cycle(a, r, a.active[a.st[S_CURSOR]], end)
        a.st[S_CURSOR] -= 1
    a.st[S_CYCLE] = end
    a.cnt[C_CYCLES] += 1
    return True


@_kernel
def _close_cycles_until(a: State, r: Rules, t: int) -> bool:
    cycle = r.pi[P_CYCLE]
    while a.st[S_CYCLE] + cycle <= t:
        if a.st[S_N_ACTIVE] == 0 and a.st[S_CURSOR] < 0:
            a.st[S_CYCLE] = t // cycle * cycle
            return True
        if not close_cycle(a, r):
            return False
    return True


# ---- portal passes ----


@_kernel
def _open_visit(a: State, r: Rules, g: int, t: int) -> int:
    rec = a.tags[g]
    if t - rec.door_last >= r.pi[P_DEPART]:
        rec.door_run = t  # door reads without a depart-long gap start here
    n = a.st[S_N_FREE] - 1
    v = a.free[n]
    a.st[S_N_FREE] = n
    vis = a.visits[v]
    vis.tag, vis.first, vis.run, vis.head = g, t, rec.door_run, -1
    rec.visit, rec.dpass = v, -1
    return int(v)


@_hot
def _door_pass(a: State, vis: Any, door: int, t: int) -> int:
    k = vis.head
    while k >= 0:
        if a.doors[k].door == door:
            return int(k)
        k = a.doors[k].next
    return _new_door_pass(a, vis, door, t)


@_kernel
def _new_door_pass(a: State, vis: Any, door: int, t: int) -> int:
    n = a.st[S_N_DFREE] - 1
    k = a.dfree[n]
    a.st[S_N_DFREE] = n
    dp = a.doors[k]
    dp.door, dp.next, dp.first, dp.last = door, vis.head, t, t
    dp.n[:], dp.peak[:], dp.sw[:], dp.swt[:] = 0, NO_PEAK, 0.0, 0.0
    vis.head = k
    return int(k)


@_hot
def _add_side(dp: Any, r: Rules, read: Read) -> None:
    _, z, t, rssi, n = read
    side = r.zone_side[z]
    q = math.floor((np.float64(rssi) - RSSI_MIN) * QUANT + 0.5)
    w = r.lut[min(max(q, 0), N_WEIGHTS - 1)] * n
    dp.last = t
    dp.n[side] += n
    dp.peak[side] = max(dp.peak[side], rssi)
    dp.sw[side] += w
    dp.swt[side] += w * (t - dp.first)


@_hot
def _portal(a: State, r: Rules, rec: Any, read: Read, quiet: int) -> None:
    g, z, t, _, _ = read
    door, v = r.zone_door[z], rec.visit
    if v >= 0 and t - rec.door_last >= quiet:
        _close_visit(a, r, v)
        v = -1
    if v < 0:
        v = _open_visit(a, r, g, t)
    rec.door_last = t
    k = rec.dpass  # the door of the previous read, most often this one's
    if k < 0 or a.doors[k].door != door:
        k = _door_pass(a, a.visits[v], door, t)
        rec.dpass = k
    _add_side(a.doors[k], r, read)


@_hot
def _weight(a: State, k: int) -> float:
    # Crossing evidence at a door: the weight of its weaker side.
    return float(min(a.doors[k].sw[0], a.doors[k].sw[1]))


@_hot
def _beats(a: State, k: int, best: int) -> bool:
    # More evidence; ties go to the door read first, then the lower door index.
    wk, wb = _weight(a, k), _weight(a, best)
    if wk != wb:
        return wk > wb
    dk, db = a.doors[k], a.doors[best]
    return bool(dk.first < db.first or (dk.first == db.first and dk.door < db.door))


@_hot
def _door_winner(a: State, r: Rules, vis: Any) -> int:
    best, used, second, k = -1, 0, -1.0, vis.head
    while k >= 0:
        used += 1
        if best < 0 or _beats(a, k, best):
            best = k
        k = a.doors[k].next
    k = vis.head
    while k >= 0:
        if k != best:
            second = max(second, _weight(a, k))
        k = a.doors[k].next
    if used > 1 and _weight(a, best) < second * r.pf[F_MARGIN]:
        a.cnt[C_AMBIGUOUS] += 1
        return -1
    a.cnt[C_CROSS_READ] += used - 1
    return best


@_hot
def _direction(a: State, r: Rules, vis: Any, k: int) -> None:
    dp = a.doors[k]
    n, peak = dp.n[0] + dp.n[1], max(dp.peak[0], dp.peak[1])
    # Both sides must be heard well: one faint read through the door is not a crossing.
    weak = min(dp.peak[0], dp.peak[1]) < r.pf[F_MIN_PEAK]
    if n < r.pi[P_MIN_READS] or dp.n[0] == 0 or dp.n[1] == 0 or weak:
        a.cnt[C_STRAY] += 1
        return
    c_out, c_in = dp.swt[0] / dp.sw[0], dp.swt[1] / dp.sw[1]
    if c_out == c_in:
        a.cnt[C_AMBIGUOUS] += 1
        return
    t = dp.first + math.floor((c_out + c_in) * 0.5 + 0.5)
    e = a.ev[_emit(a, t, PORTAL, vis.tag, dp.door)]
    e.direction = IN if c_in > c_out else OUT
    e.first_us, e.last_us, e.reads, e.rssi = dp.first, dp.last, n, peak
    a.cnt[C_PORTAL] += 1


@_hot
def _free_visit(a: State, v: int) -> None:
    vis = a.visits[v]
    k = vis.head
    while k >= 0:
        a.dfree[a.st[S_N_DFREE]] = k
        a.st[S_N_DFREE] += 1
        k = a.doors[k].next
    a.tags[vis.tag].visit, a.tags[vis.tag].dpass = -1, -1
    vis.tag, vis.head = -1, -1
    a.free[a.st[S_N_FREE]] = v
    a.st[S_N_FREE] += 1


@_kernel
def _close_visit(a: State, r: Rules, v: int) -> None:
    vis = a.visits[v]
    a.cnt[C_PASSES] += 1
    longest = r.pi[P_MAX_PASS]
    if a.tags[vis.tag].door_last - vis.first > longest or vis.first - vis.run > longest:
        a.cnt[C_PARKED] += 1
    else:
        k = _door_winner(a, r, vis)
        if k >= 0:
            _direction(a, r, vis, k)
    _free_visit(a, v)


# ---- entry points ----


@_hot
def _read(a: State, r: Rules, c: Cols, i: int, fixed: tuple[int, int, int]) -> None:
    # fixed: the open cycle's start, depart and quiet, loaded once per batch by _take.
    base, depart, quiet = fixed
    read = c.tag[i], c.zone[i], c.t[i], c.rssi[i], c.n[i]  # loaded once
    g, z, t, _, _ = read
    rec = a.tags[g]
    if rec.zone >= 0 and t - rec.last >= depart:
        _depart_now(a, g)
    _dedup(a, rec, read, t - base)
    rec.last = t
    if r.zone_door[z] >= 0:
        _portal(a, r, rec, read, quiet)


@_kernel
def process_reads(c: Cols, start: int, a: State, r: Rules) -> int:
    """Take reads start.. of a batch; return where it stopped (len = done, else make room)."""
    n, i = c.t.shape[0], start
    while i < n:
        # Each read emits at most two events and opens at most one pass and one door pass.
        budget = min((a.ev.shape[0] - a.st[S_N_EVENTS]) // 2, a.st[S_N_FREE], a.st[S_N_DFREE])
        if budget == 0:
            return i
        i, stalled = _take(c, i, min(n, i + budget), a, r)
        if stalled:
            return i
    return int(n)


@_kernel
def _take(c: Cols, i: int, stop: int, a: State, r: Rules) -> tuple[int, bool]:
    # Reads i..stop within one event cycle; stops early when the cycle moves.
    started = a.st[S_STARTED] != 0
    horizon = max(a.st[S_WATERMARK], a.st[S_CLOCK], a.st[S_CYCLE] if started else NEVER)
    cycle_end = a.st[S_CYCLE] + r.pi[P_CYCLE] if started else NEVER
    taken, stalled = 0, False
    # Loaded once: the compiler cannot tell that the reads' stores to the state leave them be.
    fixed = a.st[S_CYCLE], r.pi[P_DEPART], r.pi[P_QUIET]
    while i < stop:
        t = c.t[i]
        if t < horizon:
            a.cnt[C_LATE] += 1
        elif t >= cycle_end:
            if not started:
                a.st[S_STARTED], a.st[S_CYCLE] = 1, t // r.pi[P_CYCLE] * r.pi[P_CYCLE]
            else:
                stalled = not _close_cycles_until(a, r, t)
            break  # the cycle moved (and closes emit events): take a new budget
        else:
            horizon = t
            _read(a, r, c, i, fixed)
            taken += 1
        i += 1
    a.st[S_CLOCK] = max(a.st[S_CLOCK], horizon)
    a.cnt[C_READS] += taken
    return i, stalled


@_kernel
def advance(a: State, r: Rules, now: int) -> bool:
    """Decide what the watermark now makes final; False if it stopped to make room."""
    if a.st[S_STARTED] != 0 and not _close_cycles_until(a, r, now):
        return False
    for v in range(a.visits.shape[0]):
        vis = a.visits[v]
        if vis.tag >= 0 and now - a.tags[vis.tag].door_last >= r.pi[P_QUIET]:
            if a.st[S_N_EVENTS] >= a.ev.shape[0]:
                return False
            _close_visit(a, r, v)
    a.st[S_WATERMARK] = max(a.st[S_WATERMARK], now)
    return True


@_kernel
def close_all_visits(a: State, r: Rules) -> None:
    """Decide every open pass (the caller made room for one event each)."""
    for v in range(a.visits.shape[0]):
        if a.visits[v].tag >= 0:
            _close_visit(a, r, v)
