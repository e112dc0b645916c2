"""Inputs and outputs of purchase orders, ASNs and shipments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, model_validator

from cloud.enums import AsnStatus, OrderStatus, ShipmentStatus
from cloud.masterdata.schemas import related
from cloud.masterdata.types import Code, DoorRef, Epc, Input, Instant, Output, Patch, Qty, Sscc

MAX_LINES = 100_000


class PoLineIn(Input):
    """One ordered item."""

    line_no: Annotated[int, Field(gt=0)] | None = Field(None, description="default: position")
    item: Code = Field(description="SKU of the item")
    qty: Qty


class PurchaseOrderIn(Input):
    """A new purchase order."""

    number: Code
    supplier: Code = Field(description="partner code of the supplier")
    expected_at: Instant | None = None
    lines: list[PoLineIn] = Field(min_length=1, max_length=MAX_LINES)


class PurchaseOrderPatch(Patch):
    """Changes to a purchase order's header."""

    clearable = frozenset({"expected_at"})

    status: OrderStatus | None = None
    expected_at: Instant | None = None


class PoLineOut(Output):
    """An ordered item and how much of it arrived."""

    id: int
    line_no: int
    item_id: int
    item: str = related("item", "sku")
    qty_ordered: int
    qty_received: int


class PurchaseOrderOut(Output):
    """A purchase order with its lines."""

    id: int
    number: str
    supplier: str = related("supplier", "code")
    status: OrderStatus
    expected_at: datetime | None
    created_at: datetime
    lines: list[PoLineOut]


class ContentLineIn(Input):
    """Announced or expected content: an item quantity, or one EPC (whose item may be implied)."""

    item: Code | None = Field(None, description="SKU; may be left out for an SGTIN EPC")
    epc: Epc | None = None
    qty: Qty = 1

    @model_validator(mode="after")
    def _item_or_epc(self) -> ContentLineIn:
        if self.item is None and self.epc is None:
            raise ValueError("give an item, an epc, or both")
        if self.epc is not None and self.qty != 1:
            raise ValueError("a line with an epc is one unit: qty must be 1")
        return self


class AsnPalletIn(Input):
    """A pallet (SSCC) announced on an ASN and, if known, what is on it."""

    sscc: Sscc
    lines: list[ContentLineIn] = Field(default=[], max_length=MAX_LINES)


class AsnIn(Input):
    """A new advance shipping notice."""

    number: Code
    supplier: Code = Field(description="partner code of the supplier")
    po: Code | None = Field(None, description="number of the purchase order it delivers")
    door: DoorRef | None = Field(None, description="appointment door as site/gateway/door")
    window_start: Instant | None = None
    window_end: Instant | None = None
    pallets: list[AsnPalletIn] = Field(default=[], max_length=MAX_LINES)
    lines: list[ContentLineIn] = Field(default=[], max_length=MAX_LINES)

    @model_validator(mode="after")
    def _consistent(self) -> AsnIn:
        if self.window_start and self.window_end and self.window_start > self.window_end:
            raise ValueError("window_start is after window_end")
        if not self.pallets and not self.lines:
            raise ValueError("an ASN needs pallets or lines")
        ssccs = [p.sscc for p in self.pallets]
        if len(set(ssccs)) != len(ssccs):
            raise ValueError("a pallet SSCC appears twice")
        return self


class AsnPatch(Patch):
    """Changes to an ASN's header."""

    clearable = frozenset({"door", "window_start", "window_end"})

    status: AsnStatus | None = None
    door: DoorRef | None = None
    window_start: Instant | None = None
    window_end: Instant | None = None


class ContentLineOut(Output):
    """An announced or expected line."""

    id: int
    item_id: int
    item: str = related("item", "sku")
    epc: str | None
    qty: int


class AsnPalletOut(Output):
    """An announced pallet."""

    id: int
    sscc: str
    lines: list[ContentLineOut]


class AsnOut(Output):
    """An ASN with its pallets and the lines not on a pallet."""

    id: int
    number: str
    supplier: str = related("supplier", "code")
    po: str | None = related("po", "number", default=True)
    door: str | None = related("read_point", "ref", default=True)
    window_start: datetime | None
    window_end: datetime | None
    status: AsnStatus
    created_at: datetime
    pallets: list[AsnPalletOut]
    lines: list[ContentLineOut] = Field(
        validation_alias="loose_lines", description="lines not on an announced pallet"
    )


class ShipmentLineIn(ContentLineIn):
    """A pick-list line: what to load, and the outbound pallet it is packed on if known."""

    sscc: Sscc | None = Field(None, description="SSCC-18 of the outbound pallet it is packed on")


class ShipmentLineOut(ContentLineOut):
    """An expected line of a shipment."""

    sscc: str | None


class ShipmentIn(Input):
    """A new shipment from a pick list."""

    number: Code = Field(max_length=56, description="shipment number (56 characters at most)")
    customer: Code | None = None
    carrier: Code | None = None
    door: DoorRef | None = Field(None, description="loading door as site/gateway/door")
    planned_at: Instant | None = None
    lines: list[ShipmentLineIn] = Field(min_length=1, max_length=MAX_LINES)

    @model_validator(mode="after")
    def _unique_epcs(self) -> ShipmentIn:
        epcs = [line.epc for line in self.lines if line.epc]
        if len(set(epcs)) != len(epcs):
            raise ValueError("an EPC appears twice")
        return self


class ShipmentPatch(Patch):
    """Changes to a shipment's header."""

    clearable = frozenset({"door", "planned_at"})

    status: ShipmentStatus | None = None
    door: DoorRef | None = None
    planned_at: Instant | None = None


class ShipmentOut(Output):
    """A shipment with its expected lines and its transit location."""

    id: int
    number: str
    customer: str | None = related("customer", "code", default=True)
    carrier: str | None = related("carrier", "code", default=True)
    door: str | None = related("read_point", "ref", default=True)
    status: ShipmentStatus
    planned_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    transit_location_id: int
    transit_location: str = related("transit_location", "code")
    lines: list[ShipmentLineOut]
