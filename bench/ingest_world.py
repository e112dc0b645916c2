"""A receiving dock and its ASNs for the ingest benchmark, built straight through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from cloud.masterdata import catalog, orders, places
from cloud.masterdata.order_schemas import AsnIn, AsnPalletIn, ContentLineIn
from cloud.masterdata.schemas import GatewayIn, ItemIn, LocationIn, PartnerIn, ReadPointIn, SiteIn
from protocol.codec import encode
from protocol.epc import encode_sgtin96, encode_sscc96, gtin_of, sscc_of
from protocol.ids import make_event_id
from protocol.messages import Direction, GatewayHealth, PortalEvent
from protocol.topics import Kind, gateway_topic

PREFIX = "0614141"
GATEWAY = "gw"
T0 = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Truck:
    """One truck's pallets at one door: the SSCC tag then the cases of each pallet."""

    door: str
    asn: str
    pallets: tuple[tuple[str, tuple[str, ...]], ...]

    def epcs(self) -> list[str]:
        """Every tag in the order the forklift brings them."""
        return [tag for sscc, cases in self.pallets for tag in (sscc, *cases)]


def trucks(n: int, doors: int, pallets: int, cases: int, items: int) -> list[Truck]:
    """n trucks spread over the doors, serials unique across all of them."""
    out, serial = [], 0
    for t in range(n):
        loads = []
        for p in range(pallets):
            sscc = encode_sscc96(PREFIX, f"1{t * pallets + p:09d}")
            epcs = tuple(
                encode_sgtin96(PREFIX, f"{100000 + (serial + c) % items:06d}", serial + c)
                for c in range(cases)
            )
            serial += cases
            loads.append((sscc, epcs))
        out.append(Truck(f"d{t % doors + 1}", f"ASN-{t:05d}", tuple(loads)))
    return out


def build(session: Session, site: str, loads: list[Truck], items: int) -> None:
    """Site, storage and quarantine, a gateway with a receiving door per truck door, the ASNs."""
    places.create_site(session, SiteIn(code=site, name=site))
    for code, kind in (("WH", "storage"), ("Q", "quarantine")):
        places.create_location(session, LocationIn(code=code, name=code, type=kind, site=site))
    places.create_gateway(session, GatewayIn(site=site, code=GATEWAY))
    for door in sorted({t.door for t in loads}):
        places.create_location(
            session, LocationIn(code=f"dock-{door}", name=door, type="receiving_dock", site=site)
        )
        places.create_read_point(
            session,
            ReadPointIn(
                site=site, gateway=GATEWAY, door=door, location=f"dock-{door}", role="receiving"
            ),
        )
    for i in range(items):
        gtin = gtin_of(encode_sgtin96(PREFIX, f"{100000 + i:06d}", 1))
        catalog.create_item(session, ItemIn(sku=f"SKU{i}", gtin=gtin))
    catalog.create_partner(session, PartnerIn(code="SUP", name="Supplier", kind="supplier"))
    for truck in loads:
        pallets = [
            AsnPalletIn(sscc=sscc_of(s) or "", lines=[ContentLineIn(epc=e) for e in cases])
            for s, cases in truck.pallets
        ]
        orders.create_asn(session, AsnIn(number=truck.asn, supplier="SUP", pallets=pallets))
    session.flush()


def portal_messages(
    site: str, door: str, epcs: list[str], start: datetime, per_message: int
) -> list[tuple[str, bytes, int]]:
    """Portal events 10 ms apart from start, as a gateway batches them.

    Returns (topic, payload, time of the last event in ms) per message.
    """
    topic = gateway_topic(site, GATEWAY, Kind.PORTAL)
    events = []
    for i, epc in enumerate(epcs):
        t = int((start + timedelta(milliseconds=10 * i)).timestamp() * 1000)
        events.append(
            PortalEvent(
                id=make_event_id(GATEWAY, Kind.PORTAL, epc, door, "in", t), epc=epc,
                door=door, direction=Direction.IN, time_ms=t, first_ms=t - 400,
                last_ms=t + 400, reads=25, peak_rssi=-44.0,
            )
        )  # fmt: skip
    chunks = [events[i : i + per_message] for i in range(0, len(events), per_message)]
    return [(topic, encode(Kind.PORTAL, c, c[-1].time_ms), c[-1].time_ms) for c in chunks]


def health_message(site: str, decided_until_ms: int) -> tuple[str, bytes]:
    """A caught-up health report promising every crossing before the time is decided."""
    report = GatewayHealth(
        id=make_event_id(GATEWAY, Kind.HEALTH, decided_until_ms), time_ms=decided_until_ms,
        uptime_s=1.0, version="bench", events_produced=0, outbox_depth=0, outbox_dropped=0,
        decided_until_ms=decided_until_ms,
    )  # fmt: skip
    return gateway_topic(site, GATEWAY, Kind.HEALTH), encode(
        Kind.HEALTH, [report], decided_until_ms
    )
