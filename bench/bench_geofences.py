"""Cloud geofence evaluation: GPS fixes/s against 10,000 geofences on one core, the spatial
index beside a brute-force scan of every fence in the same run (goal: 20,000 fixes/s).

1. Domain: per vehicle batches of fixes, as its gateway publishes them, through the pure
   evaluation: the paths between consecutive fixes, the fences they touch (STRtree bulk query,
   or every fence scanned), then dwell-honouring enter and exit events (FenceTracker). Both
   must find the same events; so must the index fed one fix per message (a gateway online).
   The brute force runs on the first vehicles only (--brute-fixes): it is slow.
2. Service: the first fixes of every vehicle as gateway messages, in transactions of the
   consumer's batch size (ingest_batch messages), through IngestHandler.handle: positions
   stored, each vehicle's trip (bound to a shipment, never arriving) advanced, its events,
   progress and state stored, committed; with the 10,000 geofences in the database, on SQLite
   and on PostgreSQL if it answers (a fresh database, dropped afterwards). The events stored
   must be those the domain finds. The service always takes the index (no brute-force
   switch): its figure stands beside the domain's brute force.

The world is seeded: vehicles drive random routes at road speeds over northern Germany,
reporting as the gateway's policy does (every 30 s or 200 m, with GPS noise) and stopping now
and then; circle and polygon fences of realistic sizes lie around many stops and along the
tracks, the rest spread over the region.

Run: .venv/bin/python -m bench.bench_geofences [--fences N] [--fixes N] [--vehicles N]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.machine import cpu_model, one_core
from cloud.app import running_service
from cloud.container import ServiceContainer
from cloud.domain.transit.crossings import FenceEvent, FenceTracker
from cloud.domain.transit.fences import (
    BruteForce,
    Fence,
    FenceIndex,
    Index,
    circle_shape,
    paths,
    polygon_shape,
)
from cloud.domain.transit.geo import Fix
from cloud.domain.transit.vocab import FenceShape, TripEventKind
from cloud.ingest import rules_from
from cloud.ingest.handler import Incoming, IngestHandler
from cloud.masterdata import catalog, places, shipments
from cloud.masterdata.order_schemas import ShipmentIn, ShipmentLineIn
from cloud.masterdata.schemas import GatewayIn, ItemIn, SiteIn
from cloud.metrics import Metrics
from cloud.services import transit_admin
from cloud.services.transit_schemas import TripIn, VehicleIn
from cloud.settings import CloudSettings
from cloud.store.models import Geofence, TripEvent
from protocol.codec import encode
from protocol.ids import make_event_id
from protocol.messages import PositionFix
from protocol.topics import Kind, gateway_topic

T0 = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)
REGION = (52.0, 54.2, 7.5, 13.5)  # lat, lat, lon, lon: northern Germany
M_PER_DEG = 111_320.0
REPORT_S, REPORT_M = 30.0, 200.0  # the gateway's reporting policy (edge.gps.config defaults)
SPEEDS = (23.0, 16.0, 11.0)  # m/s: highway, arterial, urban
NOISE_M = 3.0
HUBS = 10  # sites whose fences are the trips' origins; site HUBS is their destination
FLEET, DEVICE = "fleet", "gps"
GOAL = 20_000


@dataclass(frozen=True)
class FenceSpec:
    """A geofence as stored: a circle (lat, lon, radius) or a polygon ring, its hub if any."""

    id: int
    dwell_s: float
    hub: int | None
    circle: tuple[float, float, float] | None = None
    ring: tuple[tuple[float, float], ...] | None = None

    def fence(self) -> Fence:
        """The domain fence."""
        if self.circle is not None:
            shape = circle_shape(*self.circle)
        else:
            assert self.ring is not None
            shape = polygon_shape([[list(p) for p in self.ring]])
        return Fence(self.id, shape, self.dwell_s, self.hub)


@dataclass(frozen=True)
class World:
    """Every vehicle's reported fixes in time order, and the fences."""

    tracks: list[list[Fix]]
    fences: list[FenceSpec]

    def fixes(self) -> int:
        """Fixes of every vehicle."""
        return sum(len(t) for t in self.tracks)


def _step(lat: float, lon: float, metres: float, heading: float) -> tuple[float, float]:
    rad = math.radians(heading)
    dlat = metres * math.cos(rad) / M_PER_DEG
    dlon = metres * math.sin(rad) / (M_PER_DEG * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def drive(rng: random.Random, n: int, stops: list[tuple[float, float]]) -> list[Fix]:
    """n fixes of one vehicle: a random route at road speeds, reported every 30 s or 200 m,
    with stops of a few minutes to half an hour (where they were is added to `stops`)."""
    lat_lo, lat_hi, lon_lo, lon_hi = REGION
    lat, lon = rng.uniform(lat_lo, lat_hi), rng.uniform(lon_lo, lon_hi)
    heading, speed = rng.uniform(0, 360), rng.choice(SPEEDS)
    t = T0.timestamp() + rng.uniform(0, 600)
    out: list[Fix] = []
    stops.append((lat, lon))  # it starts at a depot
    standing = rng.uniform(120, 600)
    while len(out) < n:
        if standing > 0:
            dt = REPORT_S
            standing -= dt
            v = 0.0
        else:
            dt = min(REPORT_S, REPORT_M / speed)
            v = speed * rng.uniform(0.85, 1.1)
            if not (lat_lo < lat < lat_hi and lon_lo < lon < lon_hi):
                centre = ((lat_lo + lat_hi) / 2, (lon_lo + lon_hi) / 2)
                heading = math.degrees(math.atan2(centre[1] - lon, centre[0] - lat)) % 360
            turn = rng.choice((-90, 90)) if rng.random() < 0.01 else 0  # a junction
            heading = (heading + rng.gauss(0, 8) + turn) % 360
            lat, lon = _step(lat, lon, v * dt, heading)
            if rng.random() < 0.02:
                speed = rng.choice(SPEEDS)
            if rng.random() < 0.004:
                standing = rng.uniform(180, 1800)
                stops.append((lat, lon))
        t += dt
        noisy = _step(lat, lon, abs(rng.gauss(0, NOISE_M)), rng.uniform(0, 360))
        out.append(Fix(round(t, 3), noisy[0], noisy[1], v))
    return out


def _fence_at(rng: random.Random, fid: int, lat: float, lon: float, hub: int | None) -> FenceSpec:
    """A circle (60 %) or a star-shaped polygon (40 %) of 50 m to 2 km around (lat, lon)."""
    dwell = rng.choice((30.0, 60.0, 60.0, 120.0))
    if rng.random() < 0.6:
        return FenceSpec(fid, dwell, hub, circle=(lat, lon, rng.uniform(50, 1500)))
    size = rng.uniform(80, 2000)
    corners = rng.randint(4, 24)
    step = 360 / corners  # about evenly round the centre: a simple polygon
    angles = [k * step + rng.uniform(0, 0.8 * step) for k in range(corners)]
    ring = [_step(lat, lon, size * rng.uniform(0.5, 1.0), a)[::-1] for a in angles]  # (lon, lat)
    ring.append(ring[0])
    return FenceSpec(fid, dwell, hub, ring=tuple(ring))


def make_world(vehicles: int, fixes: int, fences: int, seed: int) -> World:
    """Seeded tracks, then fences: around most stops and along tracks (40 %), the rest
    anywhere in the region."""
    rng = random.Random(seed)
    stops: list[tuple[float, float]] = []
    per = max(fixes // vehicles, 2)
    tracks = [drive(rng, per, stops) for _ in range(vehicles)]
    specs: list[FenceSpec] = []
    near = int(fences * 0.4)
    for lat, lon in stops:
        if len(specs) < near and rng.random() < 0.8:
            specs.append(_fence_at(rng, len(specs) + 1, lat, lon, len(specs) % HUBS))
    while len(specs) < near:
        fix = rng.choice(rng.choice(tracks))
        lat, lon = _step(fix.lat, fix.lon, rng.uniform(0, 400), rng.uniform(0, 360))
        specs.append(_fence_at(rng, len(specs) + 1, lat, lon, None))
    lat_lo, lat_hi, lon_lo, lon_hi = REGION
    while len(specs) < fences - 1:
        lat, lon = rng.uniform(lat_lo, lat_hi), rng.uniform(lon_lo, lon_hi)
        specs.append(_fence_at(rng, len(specs) + 1, lat, lon, None))
    # The trips' destination, far south: no trip arrives (an arrived trip is no longer
    # evaluated), so every fix of the service runs goes through the geofences.
    specs.append(FenceSpec(len(specs) + 1, 60.0, HUBS, circle=(48.14, 11.58, 500.0)))
    return World(tracks, specs)


Batch = tuple[int, list[Fix]]  # vehicle, its fixes in one gateway message


def batches(tracks: Sequence[Sequence[Fix]], per_message: int) -> list[Batch]:
    """Every vehicle's messages of per_message fixes, all vehicles interleaved in time order."""
    out = [
        (v, list(track[i : i + per_message]))
        for v, track in enumerate(tracks)
        for i in range(0, len(track), per_message)
    ]
    return sorted(out, key=lambda b: b[1][-1].t)


Found = dict[int, list[FenceEvent]]


def evaluate(index: Index, work: Sequence[Batch]) -> tuple[float, Found]:
    """Seconds spent and the events found per vehicle: paths, touched fences, FenceTracker."""
    trackers: dict[int, FenceTracker] = {}
    last: dict[int, Fix] = {}
    found: Found = {}
    start = time.perf_counter()
    for vehicle, fixes in work:
        tracker = trackers.get(vehicle)
        if tracker is None:
            tracker = trackers[vehicle] = FenceTracker()
        prev = last.get(vehicle)
        ways = paths(prev, fixes)
        touched = index.touched(ways)
        events = found.setdefault(vehicle, [])
        for i, fix in enumerate(fixes):
            if prev is None:
                tracker.begin(fix, ways[i], touched[i], index)
            else:
                events += tracker.step(prev, fix, ways[i], touched[i], index)
            prev = fix
        last[vehicle] = fixes[-1]
    return time.perf_counter() - start, found


def domain(world: World, per_message: int, brute_fixes: int) -> tuple[float, float, int]:
    """fixes/s indexed (every vehicle) and brute force (the first vehicles, up to brute_fixes
    fixes), the events agreeing; and how many events they found."""
    fences = [s.fence() for s in world.fences]
    index, brute = FenceIndex(fences), BruteForce(fences)
    work = batches(world.tracks, per_message)
    seconds, fast = evaluate(index, work)
    indexed = world.fixes() / seconds
    some: list[list[Fix]] = []
    count = 0
    for track in world.tracks:
        if count + len(track) > brute_fixes and some:
            break
        some.append(track)
        count += len(track)
    slow_s, slow = evaluate(brute, batches(some, per_message))
    compared = {v: fast.get(v, []) for v in range(len(some))}
    assert compared == {v: slow.get(v, []) for v in range(len(some))}, "index and scan disagree"
    n_fast = sum(len(e) for e in fast.values())
    n_slow = sum(len(e) for e in slow.values())
    label = "domain    indexed (STRtree), all vehicles"
    print(f"{label:<48}{indexed:>12,.0f} fixes/s  ({world.fixes():,} fixes, {n_fast:,} events)")
    live_s, live = evaluate(index, batches(world.tracks, 1))
    assert live == fast, "one fix per message found other events"
    label = "domain    indexed, 1 fix per message (live)"
    print(f"{label:<48}{world.fixes() / live_s:>12,.0f} fixes/s")
    label = "domain    brute force, every fence scanned"
    print(f"{label:<48}{count / slow_s:>12,.0f} fixes/s  ({count:,} fixes of {len(some)} "
          f"vehicles, {n_slow:,} events = indexed's)")  # fmt: skip
    return indexed, count / slow_s, n_fast


# Service level ----------------------------------------------------------------------------


def _settings(url: str) -> CloudSettings:
    base = {"environment": "development", "db_url": url, "close_settle_s": 0.0}
    return CloudSettings.model_validate(base)


def service(url: str, world: World, per_message: int, fixes: int) -> tuple[float, int, int]:
    """fixes/s through the ingest, fixes sent, trip events stored."""
    result: list[tuple[float, int, int]] = []

    async def run() -> None:
        async with running_service(_settings(url), Metrics()) as container:
            result.append(_measure(container, world, per_message, fixes))

    asyncio.run(run())
    return result[0]


def _gateway(v: int) -> str:
    return f"truck{v}"


def _load(container: ServiceContainer, world: World) -> None:
    """Hubs, fences, a gateway and vehicle per track, a shipment bound to it (a tracked trip)."""
    with container.transaction() as session:
        places.create_site(session, SiteIn(code=FLEET, name="Fleet"))
        sites = [places.create_site(session, SiteIn(code=f"hub{h}", name=f"Hub {h}"))
                 for h in range(HUBS + 1)]  # fmt: skip
        catalog.create_item(session, ItemIn(sku="A"))
        session.flush()
        hubs = {h: site.id for h, site in enumerate(sites)}
        rows = [
            Geofence(
                id=s.id, code=f"f{s.id}", site_id=hubs[s.hub] if s.hub is not None else None,
                shape=(FenceShape.CIRCLE if s.circle else FenceShape.POLYGON).value,
                lat=s.circle[0] if s.circle else None, lon=s.circle[1] if s.circle else None,
                radius_m=s.circle[2] if s.circle else None,
                rings=[[list(p) for p in s.ring]] if s.ring else None, dwell_s=s.dwell_s,
            )
            for s in world.fences
        ]  # fmt: skip
        session.add_all(rows)
    with container.transaction() as session:
        for v in range(len(world.tracks)):
            places.create_gateway(session, GatewayIn(site=FLEET, code=_gateway(v)))
            transit_admin.create_vehicle(
                session, VehicleIn(code=f"TRK-{v}", site=FLEET, gateway=_gateway(v), device=DEVICE)
            )
            shipment = shipments.create_shipment(
                session, ShipmentIn(number=f"SH-{v}", lines=[ShipmentLineIn(item="A")])
            )
            session.flush()
            trip = TripIn(
                vehicle=f"TRK-{v}", origin_site=f"hub{v % HUBS}",
                destination_site=f"hub{HUBS}", start_at=T0,
            )  # fmt: skip
            transit_admin.bind(session, shipment.id, trip, transit_admin.default_rules(
                container.settings))  # fmt: skip


def _messages(tracks: Sequence[Sequence[Fix]], per_message: int) -> list[Incoming]:
    out = []
    for v, fixes in batches(tracks, per_message):
        gateway = _gateway(v)
        wire = [
            PositionFix(
                id=make_event_id(gateway, Kind.POSITION, DEVICE, round(f.t * 1000)),
                device=DEVICE, time_ms=round(f.t * 1000), lat=f.lat, lon=f.lon,
                speed_mps=f.speed, hdop=0.9,
            )
            for f in fixes
        ]  # fmt: skip
        payload = encode(Kind.POSITION, wire, wire[-1].time_ms)
        out.append(Incoming(gateway_topic(FLEET, gateway, Kind.POSITION), payload))
    return out


def _measure(
    container: ServiceContainer, world: World, per_message: int, fixes: int
) -> tuple[float, int, int]:
    _load(container, world)
    per = max(fixes // len(world.tracks), 1)
    tracks = [t[:per] for t in world.tracks]
    messages = _messages(tracks, per_message)
    handler = IngestHandler(container, rules_from(container.settings))
    per_tx = container.settings.ingest_batch
    handler.handle(messages[:1])  # the fence index is built once per database and revision
    start = time.perf_counter()
    applied = 0
    for i in range(1, len(messages), per_tx):
        outcome = handler.handle(messages[i : i + per_tx])
        assert outcome.dead_letters == 0, "a message was dead-lettered"
        applied += outcome.applied
    seconds = time.perf_counter() - start
    sent = sum(len(t) for t in tracks)
    first = sum(len(f) for _, f in batches(tracks, per_message)[:1])
    assert applied == sent - first, (applied, sent, first)
    kinds = (TripEventKind.ENTER.value, TripEventKind.EXIT.value)
    with container.transaction() as session:
        stored = session.scalar(select(func.count()).where(TripEvent.kind.in_(kinds))) or 0
    index = FenceIndex([s.fence() for s in world.fences])
    _, found = evaluate(index, batches(tracks, per_message))
    expected = sum(len(e) for e in found.values())
    assert stored == expected, f"the service stored {stored} events, the domain found {expected}"
    return applied / seconds, sent, stored


@contextmanager
def _sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.sqlite'}"


def parser() -> argparse.ArgumentParser:
    """The options."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--fences", type=int, default=10_000)
    p.add_argument("--fixes", type=int, default=200_000, help="fixes of the domain run")
    p.add_argument("--vehicles", type=int, default=200)
    p.add_argument("--brute-fixes", type=int, default=6_000, help="fixes of the brute force")
    p.add_argument("--service-fixes", type=int, default=20_000, help="fixes of each ingest run")
    p.add_argument("--per-message", type=int, default=20, help="fixes per gateway message")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--pg-url", default=None, help="PostgreSQL admin URL (default: the tests')")
    p.add_argument("--no-service", action="store_true", help="domain level only")
    return p


def run(args: argparse.Namespace) -> dict[str, float]:
    """Print the table; return the figures by name."""
    pinned = one_core()
    print(f"CPU: {cpu_model()}; {pinned}; Python {platform.python_version()}")
    world = make_world(args.vehicles, args.fixes, args.fences, args.seed)
    circles = sum(1 for s in world.fences if s.circle)
    print(
        f"{len(world.fences):,} geofences ({circles:,} circles, {len(world.fences) - circles:,} "
        f"polygons), {args.vehicles} vehicles, {world.fixes():,} fixes, "
        f"{args.per_message} fixes per gateway message"
    )
    indexed, brute, events = domain(world, args.per_message, args.brute_fixes)
    figures = {"indexed": indexed, "brute": brute, "events": float(events)}
    if not args.no_service:
        with _sqlite() as url:
            rate, sent, stored = service(url, world, args.per_message, args.service_fixes)
        label = "service   ingest on SQLite (index)"
        print(f"{label:<48}{rate:>12,.0f} fixes/s  ({sent:,} fixes, {stored:,} events = domain's)")
        figures["sqlite"] = rate
        figures.update(_postgres(args, world))
        print("          (the service always uses the index; its brute-force line is the "
              "domain's)")  # fmt: skip
    verdicts = ", ".join(
        f"{name} {'met' if figures[name] >= GOAL else 'NOT met'}"
        for name in ("indexed", "sqlite", "postgres")
        if name in figures
    )
    print(f"index / brute force {indexed / brute:,.0f}x; goal {GOAL:,} fixes/s: {verdicts}")
    return figures


def _postgres(args: argparse.Namespace, world: World) -> dict[str, float]:
    from tests.support import postgres

    if args.pg_url:
        postgres.ADMIN_URL = args.pg_url
    if not postgres.reachable():
        print(f"service   PostgreSQL skipped: {postgres.ADMIN_URL} does not answer")
        return {}
    with postgres.fresh_database() as url:
        rate, sent, stored = service(url, world, args.per_message, args.service_fixes)
    label = "service   ingest on PostgreSQL (index)"
    print(f"{label:<48}{rate:>12,.0f} fixes/s  ({sent:,} fixes, {stored:,} events = domain's)")
    return {"postgres": rate}


def main() -> int:
    """Run with the command line's options."""
    run(parser().parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
