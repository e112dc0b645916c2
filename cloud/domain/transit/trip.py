"""One shipment's trip in event time: departure, arrival, stops, off-route, lateness and ETA.

A trip follows its vehicle's fixes from the trip's start, in event time order. It departs when
it last leaves an origin geofence (or at its first fix, if that is already outside them) and
arrives when it enters a destination geofence. While under way (departed, not in an origin
fence, not arrived) it raises alarms: a stop longer than the stop time outside every geofence,
a stretch further off the planned route than allowed for longer than allowed, and one late
alarm when it has not arrived by the due time plus grace, or its ETA says it will not. The
clock alarms (device offline, late with no fresh fix) come from `clock_alarms`.
The whole state is plain data (`TripState.to_json`) so that it survives between batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

import numpy as np

from cloud.domain.transit import eta as eta_
from cloud.domain.transit.crossings import Crossing, Dwell, FenceEvent, FenceTracker
from cloud.domain.transit.fences import Index, Positions, paths
from cloud.domain.transit.geo import Fix, distance_m, distances_m
from cloud.domain.transit.route import Route


class AlarmKind(StrEnum):
    """What is wrong with a trip."""

    LATE = "late"
    STOP = "stop"
    OFF_ROUTE = "off_route"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class TransitRules:
    """Thresholds of the transit alarms and the ETA."""

    stop_radius_m: float = 100.0  # fixes this close to where a stop began are the same stop
    stop_alert_s: float = 1800.0
    off_route_m: float = 500.0
    off_route_s: float = 600.0
    offline_s: float = 900.0
    late_grace_s: float = 900.0
    detour_factor: float = 1.0  # road distance over great-circle distance, without a route
    speed: eta_.SpeedRules = field(default_factory=eta_.SpeedRules)


@dataclass(frozen=True)
class Plan:
    """What a trip is measured against: fence ids of its sites, due time, route, target."""

    start_t: float
    origin: frozenset[int] = frozenset()
    destination: frozenset[int] = frozenset()
    due_t: float | None = None
    route: Route | None = None
    target: tuple[float, float] | None = None  # lon/lat, for the great-circle fallback


@dataclass(frozen=True, slots=True)
class Alarm:
    """An alarm condition met at event time `at`, for the episode that began at `since`."""

    kind: AlarmKind
    at: float
    since: float
    detail: str

    @property
    def key(self) -> str:
        """Identity of the episode (a trip is late once; stops and detours once each)."""
        return self.kind.value if self.kind is AlarmKind.LATE else f"{self.kind}@{self.since:.0f}"


@dataclass(slots=True)
class StopState:
    """Where the vehicle has stayed (within the stop radius) since when."""

    lat: float
    lon: float
    start_t: float
    last_t: float
    alerted: bool = False


@dataclass(slots=True)
class TripState:
    """Everything a trip remembers between batches of fixes (JSON-able)."""

    last: Fix | None = None
    dwell: dict[int, Dwell] = field(default_factory=dict)
    stop: StopState | None = None
    window: list[eta_.Sample] = field(default_factory=list)
    clock_s: float = 0.0  # time under way that counts towards the pace
    plan_s: float = 0.0  # planned time of the progress made
    pace: float = 1.0  # recent
    chunks: list[float] = field(default_factory=list)  # paces of the trip's chunks
    chunk: eta_.Sample = (0.0, 0.0, 0.0)  # where the current chunk began
    distance_m: float = 0.0
    along_m: float | None = None  # progress along the planned route
    max_along_m: float | None = None
    offset_m: float | None = None
    off_since: float | None = None
    off_alerted: bool = False
    departed_t: float | None = None
    arrived_t: float | None = None
    late: bool = False

    def to_json(self) -> dict[str, Any]:
        """Plain data for storage."""
        data = {name: getattr(self, name) for name in _STATE_FIELDS}  # asdict, but faster
        data["last"] = _plain(self.last)
        data["stop"] = _plain(self.stop)
        data["window"] = [tuple(s) for s in self.window]
        data["chunks"] = list(self.chunks)
        data["dwell"] = {str(k): [d.raw, d.confirmed, d.since] for k, d in self.dwell.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TripState:
        """The state stored by to_json."""
        values = dict(data)
        values["last"] = Fix(**data["last"]) if data.get("last") else None
        values["dwell"] = {int(k): Dwell(*v) for k, v in data.get("dwell", {}).items()}
        values["stop"] = StopState(**data["stop"]) if data.get("stop") else None
        values["window"] = [tuple(s) for s in data.get("window", [])]
        values["chunk"] = tuple(data.get("chunk", (0.0, 0.0, 0.0)))
        return cls(**values)


_STATE_FIELDS = tuple(f.name for f in fields(TripState))


def _plain(obj: Fix | StopState | None) -> dict[str, Any] | None:
    """A dataclass of plain values as a dict (what asdict makes, without its deep copies)."""
    return None if obj is None else {f: getattr(obj, f) for f in obj.__dataclass_fields__}


@dataclass
class Step:
    """What one batch of fixes brought."""

    events: list[FenceEvent] = field(default_factory=list)
    departed_t: float | None = None
    arrived_t: float | None = None
    alarms: list[Alarm] = field(default_factory=list)
    eta: eta_.Eta | None = None
    fixes: int = 0


@dataclass(frozen=True, slots=True)
class _Way:
    """How a vehicle came to a fix: the path, the fences it touches, metres, route offset."""

    path: Any
    touched: Positions
    metres: float
    along: float | None
    offset: float | None


class OutOfOrderError(ValueError):
    """Fixes older than the trip's last fix: the trip must be replayed from its start."""


class TripTracker:
    """Advances a trip's state over batches of fixes in event time order."""

    def __init__(self, plan: Plan, rules: TransitRules, state: TripState | None = None) -> None:
        self.plan, self.rules = plan, rules
        self.state = state or TripState()
        self.fences = FenceTracker(self.state.dwell)
        self.state.dwell = self.fences.dwell

    def feed(self, fixes: Sequence[Fix], index: Index) -> Step:
        """Apply fixes newer than the last one; raise OutOfOrderError on older ones."""
        new = self._new(fixes)
        step = Step(fixes=len(new))
        if new:
            self._batch(new, index, step)
        step.eta = self.eta()
        self._predict_late(step)
        return step

    def _new(self, fixes: Sequence[Fix]) -> list[Fix]:
        last = self.state.last
        ordered = sorted((f for f in fixes if f.t >= self.plan.start_t), key=lambda f: f.t)
        if last is not None and ordered and ordered[0].t < last.t:
            raise OutOfOrderError(f"fix at {ordered[0].t} is older than the last at {last.t}")
        kept: list[Fix] = []
        for fix in ordered:
            if (kept[-1].t if kept else last.t if last else None) != fix.t:
                kept.append(fix)  # one fix per instant: a repeat adds nothing
        return kept

    def _batch(self, fixes: list[Fix], index: Index, step: Step) -> None:
        lats = np.fromiter((f.lat for f in fixes), np.float64, len(fixes))
        lons = np.fromiter((f.lon for f in fixes), np.float64, len(fixes))
        alongs: list[float | None] = [None] * len(fixes)
        offsets: list[float | None] = [None] * len(fixes)
        if self.plan.route is not None:
            along, off = self.plan.route.along(lats, lons)
            alongs, offsets = along.tolist(), off.tolist()
        prev = self.state.last
        chain_lats = np.concatenate([[prev.lat], lats]) if prev else lats
        chain_lons = np.concatenate([[prev.lon], lons]) if prev else lons
        hops = distances_m(chain_lats, chain_lons).tolist()
        hops = hops if prev else [0.0, *hops]
        ways = paths(prev, fixes)
        touched = index.touched(ways)
        for i, fix in enumerate(fixes):
            way = _Way(ways[i], touched[i], hops[i], alongs[i], offsets[i])
            self._one(fix, way, index, step)

    def _one(self, fix: Fix, way: _Way, index: Index, step: Step) -> None:
        prev = self.state.last
        self.state.last = fix
        if prev is None:
            self._begin(fix, way, index)
            return
        events = self.fences.step(prev, fix, way.path, way.touched, index)
        step.events += events
        self._milestones(events, step)
        away = self._moved_away(fix)
        self._odometer(prev, fix, way, standing=not away and self._stood(prev.t))
        self._stop(fix, away, step)
        self._off_route(fix, way.offset, step)
        self._late(fix.t, step)

    def _begin(self, fix: Fix, way: _Way, index: Index) -> None:
        self.fences.begin(fix, way.path, way.touched, index)
        state = self.state
        state.window = [(fix.t, 0.0, 0.0)]
        state.chunk = (fix.t, 0.0, 0.0)
        state.stop = StopState(fix.lat, fix.lon, fix.t, fix.t)
        state.along_m = state.max_along_m = way.along
        state.offset_m = way.offset
        if self.plan.origin and not self.plan.origin & self.fences.inside():
            self.state.departed_t = fix.t  # already away from the origin when tracking began

    def _milestones(self, events: list[FenceEvent], step: Step) -> None:
        for event in events:
            if self.state.arrived_t is not None:
                return
            if event.kind is Crossing.EXIT and event.fence_id in self.plan.origin:
                self.state.departed_t = step.departed_t = event.at
            elif event.kind is Crossing.ENTER and event.fence_id in self.plan.destination:
                self.state.arrived_t = step.arrived_t = event.at

    def _odometer(self, prev: Fix, fix: Fix, way: _Way, *, standing: bool) -> None:
        """Distance driven, and the clock and planned time behind the pace."""
        state, speed = self.state, self.rules.speed
        state.distance_m += way.metres
        state.clock_s += 0.0 if standing else fix.t - prev.t
        state.plan_s += self._planned(way)
        sample = (fix.t, state.clock_s, state.plan_s)
        state.window = eta_.trimmed([*state.window, sample], fix.t, speed.window_s)
        state.pace = eta_.recent(state.window, state.pace)
        state.chunks, state.chunk = eta_.chunked(state.chunks, state.chunk, sample)

    def _planned(self, way: _Way) -> float:
        """Planned time of the progress to this fix: along the route beyond the furthest point
        reached so far (GPS noise does not move it back and forth), else by distance."""
        route, state = self.plan.route, self.state
        if route is None or way.along is None:
            return way.metres / self.rules.speed.default_speed_mps
        state.along_m = way.along
        furthest = state.max_along_m if state.max_along_m is not None else way.along
        state.max_along_m = max(furthest, way.along)
        return route.planned_s(state.max_along_m) - route.planned_s(furthest)

    def _stood(self, t: float) -> bool:
        """Whether the vehicle had been standing for longer than the stop credit at t."""
        stop = self.state.stop
        return stop is not None and t - stop.start_t >= self.rules.speed.stop_credit_s

    def under_way(self) -> bool:
        """Departed, not back in an origin fence, not arrived."""
        state = self.state
        if state.arrived_t is not None or state.departed_t is None:
            return False
        return not self.plan.origin & self.fences.inside()

    def _stop(self, fix: Fix, away: bool, step: Step) -> None:
        stop = self.state.stop
        if stop is None or away:
            self.state.stop = StopState(fix.lat, fix.lon, fix.t, fix.t)
            return
        stop.last_t = fix.t
        long_ = fix.t - stop.start_t >= self.rules.stop_alert_s
        if long_ and not stop.alerted and self.under_way() and not self.fences.near_any():
            stop.alerted = True
            minutes = (fix.t - stop.start_t) / 60
            where = f"{stop.lat:.5f}, {stop.lon:.5f}"
            detail = f"stopped {minutes:.0f} min outside any geofence at {where}"
            step.alarms.append(Alarm(AlarmKind.STOP, fix.t, stop.start_t, detail))

    def _moved_away(self, fix: Fix) -> bool:
        stop = self.state.stop
        if stop is None:
            return True
        return distance_m(stop.lat, stop.lon, fix.lat, fix.lon) > self.rules.stop_radius_m

    def _off_route(self, fix: Fix, offset: float | None, step: Step) -> None:
        state = self.state
        state.offset_m = offset
        if offset is None or offset <= self.rules.off_route_m or not self.under_way():
            state.off_since, state.off_alerted = None, False
            return
        state.off_since = state.off_since if state.off_since is not None else fix.t
        if not state.off_alerted and fix.t - state.off_since >= self.rules.off_route_s:
            state.off_alerted = True
            minutes = (fix.t - state.off_since) / 60
            detail = f"{offset:.0f} m off the planned route for {minutes:.0f} min"
            step.alarms.append(Alarm(AlarmKind.OFF_ROUTE, fix.t, state.off_since, detail))

    def _late(self, t: float, step: Step) -> None:
        due, state = self.plan.due_t, self.state
        if due is None or state.late:
            return
        seen = state.arrived_t if state.arrived_t is not None else t
        if seen > due + self.rules.late_grace_s:
            state.late = True
            what = "arrived" if state.arrived_t is not None else "not arrived"
            detail = f"{what} {(seen - due) / 60:.0f} min after the due time"
            step.alarms.append(Alarm(AlarmKind.LATE, seen, due, detail))

    def _predict_late(self, step: Step) -> None:
        due, estimate = self.plan.due_t, step.eta
        if due is None or estimate is None or self.state.late or self.state.arrived_t:
            return
        if estimate.arrive_t > due + self.rules.late_grace_s:
            self.state.late = True
            detail = f"expected {(estimate.arrive_t - due) / 60:.0f} min after the due time"
            step.alarms.append(Alarm(AlarmKind.LATE, estimate.t, due, detail))

    def eta(self) -> eta_.Eta | None:
        """Arrival estimate as of the last fix (None without a route or a target)."""
        state, last = self.state, self.state.last
        if last is None:
            return None
        if state.arrived_t is not None:
            return eta_.Eta(last.t, state.arrived_t, 0.0, 0.0, "arrived")
        route = self.plan.route
        if route is not None and state.along_m is not None:
            along = state.along_m
            drive = self._drive_s(route.remaining_s(along))
            stops = self._stops_ahead(route, along, last)
            return eta_.estimate(last.t, route.length_m - along, drive + stops, "route")
        if self.plan.target is None:
            return None
        lon, lat = self.plan.target
        remaining = distance_m(last.lat, last.lon, lat, lon) * self.rules.detour_factor
        planned = remaining / self.rules.speed.default_speed_mps
        return eta_.estimate(last.t, remaining, self._drive_s(planned), "great_circle")

    def _drive_s(self, planned_s: float) -> float:
        state, rules = self.state, self.rules.speed
        usual = eta_.typical(state.chunks)
        return eta_.drive_s(planned_s, state.pace, usual, rules.horizon_s)

    def _stops_ahead(self, route: Route, along: float, last: Fix) -> float:
        """Dwell of the planned stops ahead; of one being made now, what is left of it."""
        radius = self.rules.stop_radius_m
        here = route.near_stop(along, radius)
        stop = self.state.stop
        stood = last.t - stop.start_t if stop is not None else 0.0
        return sum(
            max(dwell - stood, 0.0) if i == here else dwell
            for i, dwell in route.stops_ahead(along, radius)
        )


def clock_alarms(tracker: TripTracker, now: float) -> list[Alarm]:
    """Alarms of the wall clock: no fix for the offline time while under way; not arrived by
    the due time plus grace while fixes are fresh (when the device is silent, the lateness is
    decided when its track arrives)."""
    state, rules, last = tracker.state, tracker.rules, tracker.state.last
    if last is None or state.arrived_t is not None:
        return []
    silent = now - last.t >= rules.offline_s
    if silent and tracker.under_way():
        detail = f"no position for {(now - last.t) / 60:.0f} min"
        return [Alarm(AlarmKind.OFFLINE, now, last.t, detail)]
    due = tracker.plan.due_t
    if due is not None and not silent and not state.late and now > due + rules.late_grace_s:
        state.late = True
        detail = f"not arrived {(now - due) / 60:.0f} min after the due time"
        return [Alarm(AlarmKind.LATE, now, due, detail)]
    return []
