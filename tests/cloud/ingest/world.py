"""A small dock for ingest tests: one site, a receiving and a shipping door, an ASN, a shipment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from protocol.codec import encode
from protocol.epc import encode_sgtin96, encode_sscc96, gtin_of, sscc_of
from protocol.ids import make_event_id
from protocol.messages import Direction, GatewayHealth, PortalEvent
from protocol.topics import Kind, gateway_topic
from tests.cloud.api.client import ApiClient

SITE, GATEWAY = "dc1", "gw1"
T0 = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
PREFIX_A, PREFIX_B = "0614141", "0012345"


def case(serial: int, item: str = "812345") -> str:
    """SGTIN-96 of a case."""
    prefix = PREFIX_A if item == "812345" else PREFIX_B
    return encode_sgtin96(prefix, item, serial)


def pallet(serial: int) -> str:
    """SSCC-96 of a pallet."""
    return encode_sscc96(PREFIX_A, f"1{serial:09d}")


def ms(at: datetime) -> int:
    """Wire milliseconds."""
    return round(at.timestamp() * 1000)


@dataclass(frozen=True)
class Message:
    """A topic and payload as the broker would deliver them."""

    topic: str
    payload: bytes


def portal(
    epcs: list[str],
    door: str,
    direction: str,
    start: datetime,
    step_s: float = 1.0,
    site: str = SITE,
) -> Message:
    """One batch of portal events, one EPC per step."""
    events = []
    for i, epc in enumerate(epcs):
        t = ms(start + timedelta(seconds=i * step_s))
        events.append(
            PortalEvent(
                id=make_event_id(GATEWAY, Kind.PORTAL, epc, door, direction, t),
                epc=epc, door=door, direction=Direction(direction), time_ms=t,
                first_ms=t - 500, last_ms=t + 500, reads=20, peak_rssi=-45.0,
            )
        )  # fmt: skip
    payload = encode(Kind.PORTAL, events, events[-1].time_ms)
    return Message(gateway_topic(site, GATEWAY, Kind.PORTAL), payload)


def health(at: datetime, depth: int = 0, site: str = SITE) -> Message:
    """A health report: caught up (depth 0) with every crossing before `at` decided."""
    report = GatewayHealth(
        id=make_event_id(GATEWAY, Kind.HEALTH, ms(at)), time_ms=ms(at), uptime_s=60.0,
        version="test", events_produced=0, outbox_depth=depth, outbox_dropped=0,
        decided_until_ms=ms(at),
    )  # fmt: skip
    return Message(gateway_topic(site, GATEWAY, Kind.HEALTH), encode(Kind.HEALTH, [report], ms(at)))


def build(client: ApiClient, site: str = SITE) -> None:
    """Master data, an ASN of two pallets at door d1, opening stock and a shipment at d2."""
    ok = {200, 201}
    door = {"site": site, "gateway": GATEWAY}
    under = {"parent": "DC"}
    posts = [
        ("/api/sites", {"code": site, "name": "DC"}),
        ("/api/locations", {"code": "DC", "name": "DC", "type": "storage", "site": site}),
        ("/api/locations", {"code": "DC/Q", "name": "Q", "type": "quarantine", "site": site}),
        ("/api/locations", {"code": "DC/IN1", "name": "In", "type": "receiving_dock"} | under),
        ("/api/locations", {"code": "DC/OUT2", "name": "Out", "type": "shipping_dock"} | under),
        ("/api/locations", {"code": "ADJ", "name": "Adjustments", "type": "loss"}),
        ("/api/gateways", {"site": site, "code": GATEWAY}),
        ("/api/read-points", {**door, "door": "d1", "location": "DC/IN1", "role": "receiving"}),
        ("/api/read-points", {**door, "door": "d2", "location": "DC/OUT2", "role": "shipping"}),
        ("/api/items", {"sku": "A", "gtin": gtin_of(case(1))}),
        ("/api/items", {"sku": "B", "gtin": gtin_of(case(1, "054321"))}),
        ("/api/partners", {"code": "SUP", "name": "Supplier", "kind": "supplier"}),
        ("/api/partners", {"code": "CUS", "name": "Customer", "kind": "customer"}),
    ]  # fmt: skip
    for url, body in posts:
        response = client.post(url, json=body)
        assert response.status_code in ok, (url, response.json())
    hour = timedelta(hours=1)
    asn = {
        "number": "ASN-1", "supplier": "SUP", "door": f"{site}/{GATEWAY}/d1",
        "window_start": (T0 - hour).isoformat(), "window_end": (T0 + hour).isoformat(),
        "pallets": [
            {"sscc": sscc_of(pallet(1)), "lines": [{"epc": case(n)} for n in range(1, 6)]},
            {"sscc": sscc_of(pallet(2)), "lines": [{"epc": case(n)} for n in range(6, 11)]},
        ],
    }  # fmt: skip
    assert client.post("/api/asns", json=asn).status_code == 201
    for n in range(100, 104):  # opening stock of item A, to be shipped
        move = {"item": "A", "from_location": "ADJ", "to_location": "DC", "epc": case(n)}
        move |= {"reason": "found", "reference": f"open-{n}"}
        response = client.post("/api/moves", json=move)
        assert response.status_code == 201, response.json()
    shipment = {
        "number": "SH-1", "customer": "CUS", "door": f"{site}/{GATEWAY}/d2",
        "planned_at": T0.isoformat(),
        "lines": [{"epc": case(n), "sscc": sscc_of(pallet(9))} for n in range(100, 104)],
    }  # fmt: skip
    assert client.post("/api/shipments", json=shipment).status_code == 201
