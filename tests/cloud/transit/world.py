"""Seeded trips for transit tests: the GPS emulator's truck and its truth, run through the
vehicle gateway's own GPS pipeline, and the master data of two distribution centres."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon

from cloud.domain.transit.fences import Fence, FenceIndex, circle_shape
from cloud.domain.transit.geo import WGS84, Fix
from cloud.domain.transit.route import PlannedStop, Route
from cloud.ingest.handler import Incoming, IngestHandler, Outcome
from edge.gps.config import GpsConfig
from edge.gps.pipeline import GpsPipeline
from firmware_sim.gps.routes import ROAD_KMH
from firmware_sim.gps.routes import Route as SimRoute
from firmware_sim.gps.scenario import GpsScenario, GpsTruth, build_gps
from protocol.codec import encode
from protocol.messages import PositionFix
from protocol.topics import Kind, gateway_topic
from tests.cloud.api.client import ApiClient
from tests.cloud.ingest.world import T0, Message, case, pallet

FLEET, VEHICLE_GW, DEVICE = "fleet", "truck7", "gps"
DEPART = T0 + dt.timedelta(minutes=30)  # after the loading at T0 + 10 min
ORIGIN_RADIUS_M = 150.0
DESTINATION_HALF_M = 250.0  # the destination geofence: a square this far around the dock
DWELL_S = 60.0


@dataclass(frozen=True)
class Drive:
    """A seeded drive: the emulator's scenario, and the fixes the vehicle gateway reports."""

    scenario: GpsScenario
    fixes: tuple[PositionFix, ...]

    @property
    def truth(self) -> GpsTruth:
        """What physically happened."""
        return self.scenario.truth

    @property
    def route(self) -> SimRoute:
        """The route driven."""
        return self.scenario.route

    def domain_fixes(self) -> list[Fix]:
        """The reported fixes as the transit domain takes them."""
        return [Fix(f.time_ms / 1000, f.lat, f.lon, f.speed_mps) for f in self.fixes]


@functools.cache
def drive(name: str = "hamburg-hannover", seed: int = 1) -> Drive:
    """A drive as the gateway reports it (every 30 s, 200 m or sharp turn; noise, tunnels)."""
    scenario = build_gps(name, seed, start=DEPART)
    pipeline = GpsPipeline(GpsConfig(name=DEVICE, port="/dev/null"), VEHICLE_GW)
    now = int(scenario.truth.time_ms[-1]) + 10_000
    fixes: list[PositionFix] = []
    for epoch in scenario.epochs:
        fixes += pipeline.feed(epoch, now)
    fixes += pipeline.finish(now)
    return Drive(scenario, tuple(fixes))


def origin_area(d: Drive) -> Polygon:
    """A geodesic circle around the origin dock."""
    start = d.route.origin
    return circle_shape(start.lat, start.lon, ORIGIN_RADIUS_M)


def destination_area(d: Drive) -> Polygon:
    """A square polygon around the destination dock."""
    end = d.route.destination
    corners = [
        WGS84.fwd(end.lon, end.lat, azimuth, DESTINATION_HALF_M * math.sqrt(2))[:2]
        for azimuth in (45.0, 135.0, 225.0, 315.0)
    ]
    return Polygon(corners)


def fences(d: Drive) -> FenceIndex:
    """Origin (id 1, site 1) and destination (id 2, site 2) geofences of a drive."""
    return FenceIndex(
        [Fence(1, origin_area(d), DWELL_S, 1, "origin"), Fence(2, destination_area(d), DWELL_S, 2)]
    )


def route_plan(d: Drive) -> tuple[list[tuple[float, float]], list[float], list[PlannedStop]]:
    """What a dispatcher plans: the route's positions, the speed of each leg by its road class
    and limit (not the traffic, lights or the driver's foot), and the rest stop."""
    waypoints = d.route.waypoints
    coords = [(w.lon, w.lat) for w in waypoints]
    speeds = [min(ROAD_KMH[w.road], w.limit_kmh or math.inf) / 3.6 for w in waypoints[:-1]]
    stops = [PlannedStop(w.lon, w.lat, w.dwell_s) for w in waypoints if w.dwell_s > 0]
    return coords, speeds, stops


def planned_route(d: Drive) -> Route:
    """The dispatcher's route as the domain takes it."""
    coords, speeds, stops = route_plan(d)
    return Route(coords, speeds, stops)


def crossings(truth: GpsTruth, area: Polygon) -> list[tuple[str, float]]:
    """When the true trajectory entered and left an area (per second), epoch seconds."""
    inside = shapely.contains_xy(area, truth.lon, truth.lat)
    changes = np.flatnonzero(np.diff(inside.astype(np.int8)))
    return [
        ("enter" if inside[i + 1] else "exit", float(truth.time_ms[i + 1]) / 1000) for i in changes
    ]


def at_distance(fixes: Sequence[Fix], route: Route, share: float) -> int:
    """Index of the fix nearest to a share of the route's length."""
    along, _ = route.along(np.array([f.lat for f in fixes]), np.array([f.lon for f in fixes]))
    return int(np.argmin(np.abs(along - share * route.length_m)))


def messages(fixes: Sequence[PositionFix], per_message: int = 20) -> list[Message]:
    """The gateway's position messages, in order, per_message fixes each."""
    out = []
    for i in range(0, len(fixes), per_message):
        part = list(fixes[i : i + per_message])
        payload = encode(Kind.POSITION, part, part[-1].time_ms)
        out.append(Message(gateway_topic(FLEET, VEHICLE_GW, Kind.POSITION), payload))
    return out


DESTINATION, DEST_GW = "dc2", "gw1"  # the dock world's helpers publish as gw1
CIRCLE = "circle"


def build_transit(client: ApiClient, d: Drive) -> None:
    """Beside the dock world (site dc1, shipment SH-1): a fleet gateway on truck TRK-7, the
    destination DC (dc2, receiving door d1) and the geofences of both DCs."""
    ok = {200, 201}
    origin = d.route.origin
    ring = [list(p) for p in destination_area(d).exterior.coords]
    posts = [
        ("/api/sites", {"code": FLEET, "name": "Fleet"}),
        ("/api/gateways", {"site": FLEET, "code": VEHICLE_GW}),
        ("/api/sites", {"code": DESTINATION, "name": "DC 2"}),
        ("/api/locations", {"code": "DC2", "name": "DC 2", "type": "storage",
                            "site": DESTINATION}),
        ("/api/locations", {"code": "DC2/IN", "name": "In", "type": "receiving_dock",
                            "parent": "DC2"}),
        ("/api/gateways", {"site": DESTINATION, "code": DEST_GW}),
        ("/api/read-points", {"site": DESTINATION, "gateway": DEST_GW, "door": "d1",
                              "location": "DC2/IN", "role": "receiving"}),
        ("/api/transit/vehicles", {"code": "TRK-7", "site": FLEET, "gateway": VEHICLE_GW,
                                   "device": DEVICE}),
        ("/api/transit/geofences", {"code": "dc1-yard", "site": "dc1", "dwell_s": DWELL_S,
                                    "area": {"type": CIRCLE, "lat": origin.lat, "lon": origin.lon,
                                             "radius_m": ORIGIN_RADIUS_M}}),
        ("/api/transit/geofences", {"code": "dc2-yard", "site": DESTINATION, "dwell_s": DWELL_S,
                                    "area": {"type": "polygon", "coordinates": [ring]}}),
    ]  # fmt: skip
    for url, body in posts:
        response = client.post(url, json=body)
        assert response.status_code in ok, (url, response.json())


def bind_body(d: Drive, due: dt.datetime, **extra: object) -> dict[str, object]:
    """The dispatcher's binding of SH-1 to TRK-7 with the planned route."""
    coords, speeds, stops = route_plan(d)
    body: dict[str, object] = {
        "vehicle": "TRK-7",
        "destination_site": DESTINATION,
        "due_at": due.isoformat(),
        "start_at": DEPART.isoformat(),
        "route": [list(c) for c in coords],
        "route_speeds_kmh": [v * 3.6 for v in speeds],
        "planned_stops": [{"lat": s.lat, "lon": s.lon, "minutes": s.dwell_s / 60} for s in stops],
    }
    return body | extra


EPCS = [pallet(9), case(100), case(101), case(102), case(103)]


def feed(handler: IngestHandler, *messages: Message) -> Outcome:
    return handler.handle([Incoming(m.topic, m.payload) for m in messages])


def shipment_id(client: ApiClient) -> int:
    return int(client.get("/api/shipments").json()["items"][0]["id"])


def bind(client: ApiClient, d: Drive, due: dt.datetime, **extra: Any) -> dict[str, Any]:
    url = f"/api/transit/shipments/{shipment_id(client)}/trip"
    response = client.request("PUT", url, json=bind_body(d, due, **extra))
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body
