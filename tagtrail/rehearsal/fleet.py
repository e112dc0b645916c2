"""Trucks beside the dock day: shipments driven from the DC to a customer site, on the map.

Each truck has a vehicle gateway whose GPS receiver is emulated on a pseudo-terminal
(firmware_sim/gps), playing a seeded drive `speed` times faster than real time. A truck is
dispatched with a shipment: its gateway powers up, the shipment is bound to its trip with the
planned route, and the drive plays. The drive's clock starts at dispatch and runs ahead of the
wall clock, so the gateways accept fixes from the emulated future (future_tolerance_s).
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from edge.config import GatewayConfig
from edge.gateway import Gateway, GatewayThread
from edge.gps.source import GpsSource
from edge.sensors.config import SensorConfig
from firmware_sim.gps.drive import GEOD
from firmware_sim.gps.receiver import PtyReceiver
from firmware_sim.gps.routes import ROAD_KMH, Route, Waypoint, route
from firmware_sim.gps.scenario import GpsScenario, build_gps
from protocol.topics import Kind
from tagtrail.rehearsal.calls import items, post, put
from tagtrail.rehearsal.cold import ColdChain, gateway_config
from tagtrail.rehearsal.console import Print

logger = logging.getLogger(__name__)

AHEAD_S = 86_400.0  # how far ahead of the gateway clock a compressed drive's fixes may be
CONNECT_S = 15.0  # a fresh gateway opens its receiver within this


@dataclass(frozen=True)
class FleetPlan:
    """The trucks, the route they drive and how fast it plays."""

    route: str = "hamburg-hannover"
    trucks: tuple[str, ...] = ("truck-1", "truck-2")
    seed: int = 7
    speed: float = 100.0  # emulated seconds per wall second
    customer: str = "CUSTOMER"  # site code of the destination
    fence_m: float = 300.0  # radius of the geofences around the two docks
    dwell_s: float = 60.0  # inside (outside) this long before an enter (exit) counts
    slack: float = 1.25  # due time: the planned driving time times this
    reefer_on: str | None = "truck-1"  # the truck that carries the reefer probe, if any


@dataclass
class Truck:
    """One truck: its receiver and gateway once dispatched, and its shipment."""

    code: str
    seed: int
    shipment: dict[str, Any] | None = None
    receiver: PtyReceiver | None = None
    gateway: Gateway | None = None
    sensors: tuple[SensorConfig, ...] = field(default=())


def planned_s(the_route: Route) -> float:
    """Planned driving time: each leg at its road class's speed, plus the planned stops."""
    points = the_route.waypoints
    total = sum(w.dwell_s for w in points)
    for a, b in itertools.pairwise(points):
        metres = float(GEOD.inv(a.lon, a.lat, b.lon, b.lat)[2])
        total += metres / (_kmh(a) / 3.6)
    return total


def _kmh(w: Waypoint) -> float:
    return min(ROAD_KMH[w.road], w.limit_kmh or math.inf)


def trip_body(scenario: GpsScenario, plan: FleetPlan, site: str, vehicle: str) -> dict[str, Any]:
    """The dispatcher's binding: vehicle, sites, due time and the planned route."""
    the_route, start = scenario.route, scenario.start
    due = start + timedelta(seconds=planned_s(the_route) * plan.slack)
    stops = [
        {"lat": w.lat, "lon": w.lon, "minutes": w.dwell_s / 60}
        for w in the_route.waypoints
        if w.dwell_s > 0
    ]
    return {
        "vehicle": vehicle, "origin_site": site, "destination_site": plan.customer,
        "start_at": start.isoformat(), "due_at": due.isoformat(),
        "route": [[w.lon, w.lat] for w in the_route.waypoints],
        "route_speeds_kmh": [_kmh(w) for w in the_route.waypoints[:-1]],
        "planned_stops": stops,
    }  # fmt: skip


def fence(code: str, site: str, at: Waypoint, plan: FleetPlan) -> dict[str, Any]:
    """A geofence: a circle around a dock."""
    area = {"type": "circle", "lat": at.lat, "lon": at.lon, "radius_m": plan.fence_m}
    return {"code": code, "name": at.name or code, "site": site, "dwell_s": plan.dwell_s,
            "area": area}  # fmt: skip


class Fleet:
    """The trucks of a rehearsal: cloud set-up, dispatch, drives, trip status."""

    def __init__(
        self, api: httpx.Client, plan: FleetPlan, *, site: str, mqtt_url: str, workdir: Path,
        cold: ColdChain | None = None, announce: Print | None = None,
    ) -> None:  # fmt: skip
        self.api, self.plan, self.site, self.announce = api, plan, site, announce
        self.mqtt_url, self.workdir, self.cold = mqtt_url, workdir, cold
        self.devices = workdir / "gps"  # the receivers' links
        self.route = route(plan.route)
        self.trucks = [Truck(code, plan.seed + i) for i, code in enumerate(plan.trucks)]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stack = ExitStack()
        self._dispatcher: threading.Thread | None = None

    def __enter__(self) -> Fleet:
        self.devices.mkdir(parents=True, exist_ok=True)
        self._set_up_cloud()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._dispatcher is not None:
            self._dispatcher.join(CONNECT_S + 30)
        with self._lock:
            self._stack.close()

    def _set_up_cloud(self) -> None:
        origin, destination = self.route.origin, self.route.destination
        name = destination.name or self.plan.customer
        post(self.api, "/api/sites", {"code": self.plan.customer, "name": name})
        post(self.api, "/api/transit/geofences", fence(f"{self.site}-yard", self.site, origin,
                                                       self.plan))  # fmt: skip
        post(
            self.api,
            "/api/transit/geofences",
            fence(f"{self.plan.customer}-yard", self.plan.customer, destination, self.plan),
        )
        for truck in self.trucks:
            post(self.api, "/api/gateways", {"site": self.site, "code": truck.code})
            vehicle = {"code": truck.code, "name": f"Truck {truck.code}", "site": self.site,
                       "gateway": truck.code, "device": truck.code}  # fmt: skip
            post(self.api, "/api/transit/vehicles", vehicle)
            if self.cold is not None and truck.code == self.plan.reefer_on:
                truck.sensors = (self.cold.reefer_sensor(),)
                self.cold.bind_reefer(truck.code, truck.code)

    # -- dispatch ------------------------------------------------------------------------

    def dispatch(self, code: str, shipment: dict[str, Any]) -> None:
        """Power the truck's gateway up, bind the shipment to its trip, and drive."""
        truck = self.truck(code)
        start = datetime.now(UTC).replace(microsecond=0)
        scenario = build_gps(self.plan.route, truck.seed, start=start)
        receiver = PtyReceiver(scenario, self.devices / code, speed=self.plan.speed)
        receiver.plug()
        with self._lock:
            self._stack.callback(receiver.stop)
            truck.receiver = receiver
            truck.gateway = self._stack.enter_context(GatewayThread(self._config(truck)))
        if not _wait(lambda: _gps(truck).health().connected, CONNECT_S):
            logger.warning("%s: the gateway has not opened its GPS receiver yet", code)
        body = trip_body(scenario, self.plan, self.site, code)
        put(self.api, f"/api/transit/shipments/{shipment['id']}/trip", body)
        receiver.start()
        truck.shipment = shipment
        message = f"  {code} leaves for {self.plan.customer} with shipment {shipment['number']}"
        (self.announce or logger.info)(message)

    def _config(self, truck: Truck) -> GatewayConfig:
        gps = {
            "name": truck.code, "port": str(self.devices / truck.code),
            "reconnect_min_s": 0.1, "reconnect_max_s": 1.0, "future_tolerance_s": AHEAD_S,
        }  # fmt: skip
        return gateway_config(
            self.site, truck.code, self.mqtt_url, self.workdir, gps=gps, sensors=truck.sensors
        )

    def truck(self, code: str) -> Truck:
        """One truck by code."""
        return next(t for t in self.trucks if t.code == code)

    def start_dispatcher(self, poll_s: float = 1.0) -> None:
        """Dispatch each idle truck, in order, with the next shipment the cloud has shipped."""
        self._dispatcher = threading.Thread(
            target=self._dispatch_shipped, args=(poll_s,), name="dispatcher", daemon=True
        )
        self._dispatcher.start()

    def _dispatch_shipped(self, poll_s: float) -> None:
        while not self._stop.wait(poll_s):
            idle = [t for t in self.trucks if t.shipment is None]
            if not idle:
                return
            try:
                self._dispatch_some(idle)
            except Exception:
                logger.exception("dispatching trucks failed; trying again")

    def _dispatch_some(self, idle: list[Truck]) -> None:
        taken = {t.shipment["id"] for t in self.trucks if t.shipment is not None}
        shipped = items(self.api, "/api/shipments", status="shipped")
        fresh = [s for s in shipped if s["id"] not in taken]
        for truck, shipment in zip(idle, sorted(fresh, key=_number), strict=False):
            if self._stop.is_set():
                return
            self.dispatch(truck.code, shipment)

    # -- progress and results --------------------------------------------------------------

    def dispatched(self) -> list[Truck]:
        """Trucks that have left, in dispatch order of their codes."""
        return [t for t in self.trucks if t.shipment is not None]

    def trip(self, truck: Truck) -> dict[str, Any]:
        """The truck's trip as the cloud has it."""
        assert truck.shipment is not None
        response = self.api.get(f"/api/transit/shipments/{truck.shipment['id']}")
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found

    def wait_dispatched(self, timeout: float) -> bool:
        """Block until every truck has left."""
        return _wait(lambda: all(t.shipment is not None for t in self.trucks), timeout)

    def wait_arrived(self, timeout: float) -> bool:
        """Block until every dispatched truck's trip has arrived (or been received)."""
        done = {"arrived", "received"}
        return _wait(
            lambda: all(self.trip(t)["status"] in done for t in self.dispatched()), timeout
        )

    def wait_driven(self, timeout: float) -> bool:
        """Block until every dispatched truck's receiver has played its whole drive."""
        deadline = time.monotonic() + timeout
        for truck in self.dispatched():
            assert truck.receiver is not None
            if not truck.receiver.wait_finished(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def committed(self, truck: Truck) -> int:
        """Positions the truck's gateway has committed to its outbox."""
        assert truck.gateway is not None
        return len(truck.gateway.outbox.audit_ids(Kind.POSITION))

    def positions(self, truck: Truck) -> int:
        """Positions of the truck the cloud has stored."""
        vehicles = items(self.api, "/api/transit/vehicles")
        vehicle = next(v for v in vehicles if v["code"] == truck.code)
        response = self.api.get(f"/api/transit/vehicles/{vehicle['id']}/report")
        response.raise_for_status()
        return int(response.json()["fixes"])

    def status_lines(self) -> list[str]:
        """One line per truck: its shipment and where its trip stands."""
        return [self._status_line(truck) for truck in self.trucks]

    def _status_line(self, truck: Truck) -> str:
        if truck.shipment is None:
            return f"{truck.code}: not dispatched (no shipment had shipped)"
        trip = self.trip(truck)
        head = f"{truck.code} with {trip['number']} to {trip['destination_site']}"
        if trip["arrived_at"]:
            due = f", due {_clock(trip['due_at'])}" if trip["due_at"] else ""
            return f"{head}: {trip['status']} at {_clock(trip['arrived_at'])}{due} (drive time)"
        where = trip["last_position"]
        if where is None:
            return f"{head}: {trip['status']}, no position yet"
        detail = trip["eta_detail"] or {}
        remaining = detail.get("remaining_m")
        to_go = f", {remaining / 1000:.0f} km to go" if remaining is not None else ""
        return f"{head}: {trip['status']} at {where['lat']:.4f}, {where['lon']:.4f}{to_go}"


def _gps(truck: Truck) -> GpsSource:
    assert truck.gateway is not None
    return next(s for s in truck.gateway.sources if isinstance(s, GpsSource))


def _number(shipment: dict[str, Any]) -> str:
    return str(shipment["number"])


def _clock(iso: str) -> str:
    return f"{datetime.fromisoformat(iso):%Y-%m-%d %H:%M} UTC"


def _wait(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False
