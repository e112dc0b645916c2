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
C_READS, C_LATE, C_SLOT_OVERFLOW, C_DOOR_OVERFLOW, C_PASSES, C_PORTAL = range(6)
C_PARKED, C_CROSS_READ, C_AMBIGUOUS, C_STRAY, C_PRESENCE, C_CYCLES, C_REPORTS = range(6, 13)
P_CYCLE, P_DEPART, P_HOLD, P_PARKED, P_QUIET, P_MAX_PASS, P_MIN_READS, P_REPORT = range(8)
F_ALPHA, F_ABSENT, F_HYST, F_MIN_PEAK, F_MARGIN = range(5)
S_STARTED, S_CYCLE, S_WATERMARK, S_N_ACTIVE, S_N_FREE, S_N_EVENTS, S_N_REPORTS = range(7)
N_STATE = 7
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


_OPTIONS: dict[str, Any] = {"cache": True, "_nrt": False}


def _kernel(fn: F) -> F:
    return cast(F, njit(**_OPTIONS)(fn))


def _hot(fn: F) -> F:
    return cast(F, njit(inline="always", **_OPTIONS)(fn))


# ---- output ----


@_kernel
def _emit(a: State, t: int, kind: int, g: int, place: int) -> int:
    j = a.st[S_N_EVENTS]
    a.st[S_N_EVENTS] = j + 1
    e = a.ev[j]
    e.t_us, e.kind, e.tag, e.place, e.prev, e.direction = t, kind, g, place, -1, NO_DIRECTION
    e.first_us, e.last_us, e.reads, e.rssi = 0, 0, 0, 0.0
    return int(j)


@_kernel
def _presence(a: State, kind: int, g: int, t: int, k: int) -> int:
    rec = a.tags[g]
    j = _emit(a, t, kind, g, rec.sz[k])
    a.ev[j].rssi = rec.ss[k]
    a.cnt[C_PRESENCE] += 1
    return j


@_kernel
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
    for k in range(rec.sz.shape[0]):
        if rec.sz[k] == z:
            return k
    return -1


@_kernel
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


@_kernel
def _activate(a: State, g: int) -> None:
    n = a.st[S_N_ACTIVE]
    a.active[n] = g
    a.tags[g].apos = n
    a.st[S_N_ACTIVE] = n + 1


@_kernel
def _deactivate(a: State, g: int) -> None:
    n = a.st[S_N_ACTIVE] - 1
    pos, moved = a.tags[g].apos, a.active[n]
    a.active[pos] = moved
    a.tags[moved].apos = pos
    a.tags[g].apos = -1
    a.st[S_N_ACTIVE] = n


@_hot
def _dedup(a: State, c: Cols, i: int) -> None:
    g, z, t, r = c.tag[i], c.zone[i], c.t[i], c.rssi[i]
    rec = a.tags[g]
    k = _find_slot(rec, z)
    if k < 0:
        k = _new_slot(rec, z)
    if k < 0:
        a.cnt[C_SLOT_OVERFLOW] += 1
        return
    if rec.apos < 0:
        _activate(a, g)
    off = t - a.st[S_CYCLE]
    if (rec.sflag[k] & SEEN) == 0:
        rec.sflag[k] |= SEEN
        rec.scount[k], rec.sfirst[k], rec.slast[k], rec.speak[k] = c.n[i], off, off, r
        return
    rec.scount[k] += c.n[i]
    rec.sfirst[k] = min(rec.sfirst[k], off)
    rec.slast[k] = max(rec.slast[k], off)
    rec.speak[k] = max(rec.speak[k], r)


# ---- presence at cycle close ----


@_kernel
def _smooth(rec: Any, k: int, r: Rules) -> None:
    seen = (rec.sflag[k] & SEEN) != 0
    if seen and rec.ss[k] == UNSET:
        rec.ss[k] = np.float64(rec.speak[k])
    elif rec.ss[k] != UNSET:
        obs = np.float64(rec.speak[k]) if seen else r.pf[F_ABSENT]
        rec.ss[k] = rec.ss[k] + r.pf[F_ALPHA] * (obs - rec.ss[k])


@_kernel
def _depart(a: State, g: int) -> None:
    rec = a.tags[g]
    _presence(a, DEPARTED, g, rec.last, _find_slot(rec, rec.zone))
    rec.zone, rec.parked, rec.lead = -1, 0, -1
    rec.ss[:] = UNSET


@_kernel
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


@_kernel
def _rival(rec: Any, here: int) -> int:
    best = -1
    for k in range(rec.sz.shape[0]):
        ok = k != here and rec.sz[k] >= 0 and rec.ss[k] != UNSET
        if ok and (best < 0 or rec.ss[k] > rec.ss[best]):
            best = k
    return best


@_kernel
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


@_kernel
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


@_kernel
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
def _cycle_room(a: State, r: Rules) -> bool:
    n = a.st[S_N_ACTIVE]
    ev_ok = a.ev.shape[0] - a.st[S_N_EVENTS] >= 2 * n + 2
    rep_ok = a.rep.shape[0] - a.st[S_N_REPORTS] >= n * a.tags[0].sz.shape[0]
    return bool(ev_ok and (rep_ok or r.pi[P_REPORT] == 0))


@_kernel
def close_cycle(a: State, r: Rules) -> None:
    """Close the open event cycle (the caller made room for its events)."""
    end = a.st[S_CYCLE] + r.pi[P_CYCLE]
    for pos in range(a.st[S_N_ACTIVE] - 1, -1, -1):
        _close_tag_cycle(a, r, a.active[pos], end)
    a.st[S_CYCLE] = end
    a.cnt[C_CYCLES] += 1


@_kernel
def _close_cycles_until(a: State, r: Rules, t: int) -> bool:
    cycle = r.pi[P_CYCLE]
    while a.st[S_CYCLE] + cycle <= t:
        if a.st[S_N_ACTIVE] == 0:
            a.st[S_CYCLE] = t // cycle * cycle
            return True
        if not _cycle_room(a, r):
            return False
        close_cycle(a, r)
    return True


# ---- portal passes ----


@_kernel
def _open_visit(a: State, g: int, t: int) -> int:
    n = a.st[S_N_FREE] - 1
    v = a.free[n]
    a.st[S_N_FREE] = n
    vis = a.visits[v]
    vis.tag, vis.first, vis.last, vis.anchor, vis.run = g, t, t, t, a.tags[g].door_run
    vis.door[:] = -1
    vis.n[:], vis.peak[:], vis.sw[:], vis.swt[:] = 0, NO_PEAK, 0.0, 0.0
    a.tags[g].visit = v
    return int(v)


@_hot
def _door_slot(vis: Any, door: int, t: int) -> int:
    for d in range(vis.door.shape[0]):
        if vis.door[d] == door:
            return d
        if vis.door[d] < 0:
            vis.door[d], vis.dfirst[d], vis.dlast[d] = door, t, t
            return d
    return -1


@_kernel
def _retire_door(a: State, r: Rules, vis: Any, door: int, t: int) -> int:
    best, pick = _strongest(vis), -1
    for d in range(vis.door.shape[0]):
        ended = d != best and t - vis.dlast[d] >= r.pi[P_QUIET]
        if ended and (pick < 0 or _less_read(vis, d, pick)):
            pick = d
    if pick >= 0:
        a.cnt[C_CROSS_READ] += 1
        vis.door[pick], vis.dfirst[pick], vis.dlast[pick] = door, t, t
        for j in range(2 * pick, 2 * pick + 2):
            vis.n[j], vis.peak[j], vis.sw[j], vis.swt[j] = 0, NO_PEAK, 0.0, 0.0
    return pick


@_hot
def _add_side(vis: Any, r: Rules, j: int, c: Cols, i: int) -> None:
    t, rssi, n = c.t[i], c.rssi[i], c.n[i]
    q = math.floor((np.float64(rssi) - RSSI_MIN) * QUANT + 0.5)
    w = r.lut[min(max(q, 0), N_WEIGHTS - 1)] * n
    vis.n[j] += n
    vis.peak[j] = max(vis.peak[j], rssi)
    vis.sw[j] += w
    vis.swt[j] += w * (t - vis.anchor)


@_hot
def _portal(a: State, r: Rules, c: Cols, i: int) -> None:
    g, t, z = c.tag[i], c.t[i], c.zone[i]
    rec = a.tags[g]
    if t - rec.door_last >= r.pi[P_DEPART]:
        rec.door_run = t
    rec.door_last = max(rec.door_last, t)
    v = rec.visit
    if v >= 0 and t - a.visits[v].last >= r.pi[P_QUIET]:
        _close_visit(a, r, v)
        v = -1
    if v < 0:
        v = _open_visit(a, g, t)
    vis = a.visits[v]
    vis.first, vis.last = min(vis.first, t), max(vis.last, t)
    d = _door_slot(vis, r.zone_door[z], t)
    if d < 0:
        d = _retire_door(a, r, vis, r.zone_door[z], t)
    if d < 0:
        a.cnt[C_DOOR_OVERFLOW] += 1
        return
    vis.dfirst[d], vis.dlast[d] = min(vis.dfirst[d], t), max(vis.dlast[d], t)
    _add_side(vis, r, 2 * d + r.zone_side[z], c, i)


@_kernel
def _weight(vis: Any, d: int) -> float:
    return float(min(vis.sw[2 * d], vis.sw[2 * d + 1]))


@_kernel
def _less_read(vis: Any, d: int, e: int) -> bool:
    # By crossing evidence, then by all weight: one-sided doors go first.
    wd, we = _weight(vis, d), _weight(vis, e)
    total_d, total_e = vis.sw[2 * d] + vis.sw[2 * d + 1], vis.sw[2 * e] + vis.sw[2 * e + 1]
    return bool(wd < we or (wd == we and total_d < total_e))


@_kernel
def _strongest(vis: Any) -> int:
    best = -1
    for d in range(vis.door.shape[0]):
        if vis.door[d] >= 0 and (best < 0 or _weight(vis, d) > _weight(vis, best)):
            best = d
    return best


@_kernel
def _door_winner(a: State, r: Rules, vis: Any) -> int:
    best, used, second = _strongest(vis), 0, -1.0
    for d in range(vis.door.shape[0]):
        if vis.door[d] >= 0:
            used += 1
            if d != best:
                second = max(second, _weight(vis, d))
    if used > 1 and _weight(vis, best) < second * r.pf[F_MARGIN]:
        a.cnt[C_AMBIGUOUS] += 1
        return -1
    a.cnt[C_CROSS_READ] += used - 1
    return best


@_kernel
def _direction(a: State, r: Rules, vis: Any, d: int) -> None:
    o, i = 2 * d, 2 * d + 1
    n, peak = vis.n[o] + vis.n[i], max(vis.peak[o], vis.peak[i])
    if n < r.pi[P_MIN_READS] or vis.n[o] == 0 or vis.n[i] == 0 or peak < r.pf[F_MIN_PEAK]:
        a.cnt[C_STRAY] += 1
        return
    c_out, c_in = vis.swt[o] / vis.sw[o], vis.swt[i] / vis.sw[i]
    if c_out == c_in:
        a.cnt[C_AMBIGUOUS] += 1
        return
    t = vis.anchor + math.floor((c_out + c_in) * 0.5 + 0.5)
    e = a.ev[_emit(a, t, PORTAL, vis.tag, vis.door[d])]
    e.direction = IN if c_in > c_out else OUT
    e.first_us, e.last_us, e.reads, e.rssi = vis.dfirst[d], vis.dlast[d], n, peak
    a.cnt[C_PORTAL] += 1


@_kernel
def _close_visit(a: State, r: Rules, v: int) -> None:
    vis = a.visits[v]
    a.cnt[C_PASSES] += 1
    longest = r.pi[P_MAX_PASS]
    if vis.last - vis.first > longest or vis.first - vis.run > longest:
        a.cnt[C_PARKED] += 1
    else:
        d = _door_winner(a, r, vis)
        if d >= 0:
            _direction(a, r, vis, d)
    a.tags[vis.tag].visit = -1
    vis.tag = -1
    a.free[a.st[S_N_FREE]] = v
    a.st[S_N_FREE] += 1


# ---- entry points ----


@_hot
def _read(a: State, r: Rules, c: Cols, i: int) -> None:
    g, t = c.tag[i], c.t[i]
    a.cnt[C_READS] += 1
    rec = a.tags[g]
    if rec.zone >= 0 and t - rec.last >= r.pi[P_DEPART]:
        _depart(a, g)
    _dedup(a, c, i)
    rec.last = max(rec.last, t)
    if r.zone_door[c.zone[i]] >= 0:
        _portal(a, r, c, i)


@_kernel
def process_reads(c: Cols, start: int, a: State, r: Rules) -> int:
    """Take reads start.. of a batch; return where it stopped (len = done, else make room)."""
    n, i = c.t.shape[0], start
    while i < n:
        # Each read emits at most two events and opens at most one pass.
        budget = min((a.ev.shape[0] - a.st[S_N_EVENTS]) // 2, a.st[S_N_FREE])
        if budget == 0:
            return i
        stop = min(n, i + budget)
        started = a.st[S_STARTED] != 0
        horizon = max(a.st[S_WATERMARK], a.st[S_CYCLE]) if started else a.st[S_WATERMARK]
        cycle_end = a.st[S_CYCLE] + r.pi[P_CYCLE] if started else NEVER
        while i < stop:
            t = c.t[i]
            if t < horizon:
                a.cnt[C_LATE] += 1
                i += 1
                continue
            if t >= cycle_end:
                if not started:
                    a.st[S_STARTED], a.st[S_CYCLE] = 1, t // r.pi[P_CYCLE] * r.pi[P_CYCLE]
                elif not _close_cycles_until(a, r, t):
                    return i
                break  # the cycle moved (and closes emit events): take a new budget
            _read(a, r, c, i)
            i += 1
    return int(n)


@_kernel
def advance(a: State, r: Rules, now: int) -> bool:
    """Decide what the watermark now makes final; False if it stopped to make room."""
    if a.st[S_STARTED] != 0 and not _close_cycles_until(a, r, now):
        return False
    for v in range(a.visits.shape[0]):
        vis = a.visits[v]
        if vis.tag >= 0 and now - vis.last >= r.pi[P_QUIET]:
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
