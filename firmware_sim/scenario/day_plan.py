"""The documents of a day at the dock: master data, orders, ASNs, shipments and opening stock.

Neutral of any service API: plain frozen dataclasses with a JSON round trip. Times are
microseconds since the Unix epoch on the scenario clock (the readers' clocks are skewed from it
by a second or two); EPCs are upper-case hex, SSCCs 18 digits, GTINs 14 digits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from firmware_sim.scenario.day_json import JsonDoc

PartnerKind = Literal["supplier", "customer"]
LocationKind = Literal["receiving_dock", "shipping_dock", "storage", "quarantine"]
Role = Literal["receiving", "shipping"]

STORAGE = "storage"
QUARANTINE = "quarantine"
TRANSIT_PREFIX = "transit:"  # the service makes one transit location per shipment


def receiving_location(door: str) -> str:
    """Code of a receiving door's dock location."""
    return f"receiving:{door}"


def shipping_location(door: str) -> str:
    """Code of a shipping door's dock location."""
    return f"shipping:{door}"


def transit_location(shipment: str) -> str:
    """Code of the transit location of one shipment."""
    return TRANSIT_PREFIX + shipment


@dataclass(frozen=True)
class Item:
    """A trade item handled by the site, counted in cases ("EA" = one case)."""

    sku: str
    gtin: str
    description: str
    unit: str
    unit_cost: str  # decimal text, e.g. "12.50"


@dataclass(frozen=True)
class Partner:
    """A supplier (with its GS1 company prefix) or a customer."""

    code: str
    name: str
    kind: PartnerKind
    company_prefix: str | None = None


@dataclass(frozen=True)
class Location:
    """A place stock can be at the site."""

    code: str
    name: str
    kind: LocationKind
    door: str | None = None


@dataclass(frozen=True)
class GatewaySpec:
    """An edge gateway and the readers it serves."""

    code: str
    readers: tuple[str, ...]


@dataclass(frozen=True)
class ReadPoint:
    """A door portal: its reader, the gateway serving it, its role and dock location."""

    code: str
    door: str
    reader: str
    gateway: str
    role: Role
    location: str


@dataclass(frozen=True)
class Window:
    """A planned time window [start_us, end_us)."""

    start_us: int
    end_us: int

    def __contains__(self, t_us: object) -> bool:
        return isinstance(t_us, int) and self.start_us <= t_us < self.end_us


@dataclass(frozen=True)
class PoLine:
    """Ordered quantity of one item."""

    gtin: str
    qty: int


@dataclass(frozen=True)
class PurchaseOrder:
    """What the site ordered from a supplier."""

    number: str
    supplier: str
    lines: tuple[PoLine, ...]


@dataclass(frozen=True)
class Appointment:
    """A truck's booked door and arrival-to-departure window."""

    door: str
    window: Window


@dataclass(frozen=True)
class CaseLine:
    """One case on a packing list."""

    epc: str
    gtin: str


@dataclass(frozen=True)
class AsnPallet:
    """One announced pallet and its packing list."""

    sscc: str
    epc: str  # the pallet's SSCC-96 tag
    cases: tuple[CaseLine, ...]


@dataclass(frozen=True)
class Asn:
    """Advance ship notice: the pallets and cases a supplier says are on a truck."""

    number: str
    po: str
    supplier: str
    appointment: Appointment | None  # None: to be matched by what is read
    pallets: tuple[AsnPallet, ...]

    @property
    def epcs(self) -> tuple[str, ...]:
        """Every announced case EPC."""
        return tuple(c.epc for p in self.pallets for c in p.cases)

    def quantities(self) -> dict[str, int]:
        """Announced cases per GTIN."""
        return dict(Counter(c.gtin for p in self.pallets for c in p.cases))


@dataclass(frozen=True)
class ShipmentPallet:
    """One outbound pallet (a container, not stock) by SSCC and tag."""

    sscc: str
    epc: str


@dataclass(frozen=True)
class ShipmentLine:
    """One case to ship and the outbound pallet it is packed on."""

    epc: str
    gtin: str
    sscc: str


@dataclass(frozen=True)
class Shipment:
    """An outbound shipment picked from storage: the cases expected to leave at its door."""

    number: str
    customer: str
    door: str
    window: Window
    pallets: tuple[ShipmentPallet, ...]
    lines: tuple[ShipmentLine, ...]

    def quantities(self) -> dict[str, int]:
        """Cases to ship per GTIN."""
        return dict(Counter(line.gtin for line in self.lines))


@dataclass(frozen=True)
class StockEntry:
    """One case on hand before the day starts."""

    epc: str
    gtin: str
    location: str


@dataclass(frozen=True)
class DayPlan(JsonDoc):
    """Everything the site knows before the day: master data, documents and opening stock."""

    site: str
    start_us: int
    end_us: int
    quiet_s: float  # recommended: a receiving session closes after its door is quiet this long
    over_tolerance_pct: float  # over-receipt accepted into storage, percent of expected
    items: tuple[Item, ...]
    partners: tuple[Partner, ...]
    locations: tuple[Location, ...]
    gateways: tuple[GatewaySpec, ...]
    read_points: tuple[ReadPoint, ...]
    purchase_orders: tuple[PurchaseOrder, ...]
    asns: tuple[Asn, ...]
    shipments: tuple[Shipment, ...]
    opening_stock: tuple[StockEntry, ...]

    def gateway_of(self) -> dict[str, str]:
        """Reader name -> gateway code."""
        return {r: g.code for g in self.gateways for r in g.readers}

    def readers_of(self, gateway: str) -> tuple[str, ...]:
        """Reader names served by one gateway."""
        return next(g.readers for g in self.gateways if g.code == gateway)
