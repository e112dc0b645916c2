"""Inputs and outputs of catalog and places: items, partners, sites, locations, gateways, doors."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AliasPath, Field

from cloud.enums import LocationType, PartnerKind, ReadPointRole
from cloud.masterdata.types import (
    Code,
    DoorName,
    Gtin,
    Input,
    Name,
    Output,
    Patch,
    SegmentCode,
    Text,
)
from cloud.store.types import SCALE

Cost = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=4),
    AfterValidator(lambda cost: cost.quantize(SCALE)),  # as stored, on every backend
]


def related(*path: str, default: bool = False) -> Any:
    """Output field read from a related object, e.g. related("site", "code")."""
    if default:
        return Field(None, validation_alias=AliasPath(*path))
    return Field(validation_alias=AliasPath(*path))


class ItemIn(Input):
    """A new item."""

    sku: Code = Field(description="stock keeping unit, unique")
    gtin: Gtin | None = Field(None, description="GTIN, unique; links SGTIN EPCs to the item")
    description: Text = ""
    unit: Annotated[str, Field(min_length=1, max_length=16)] = "EA"
    unit_cost: Cost | None = Field(None, description="cost per unit")
    item_class: Annotated[str, Field(max_length=32)] = ""


class ItemPatch(Patch):
    """Changes to an item; fields left out stay as they are."""

    clearable = frozenset({"gtin", "unit_cost"})

    sku: Code | None = None
    gtin: Gtin | None = None
    description: Text | None = None
    unit: Annotated[str, Field(min_length=1, max_length=16)] | None = None
    unit_cost: Cost | None = None
    item_class: Annotated[str, Field(max_length=32)] | None = None


class ItemOut(Output):
    """An item."""

    id: int
    sku: str
    gtin: str | None
    description: str
    unit: str
    unit_cost: Decimal | None
    item_class: str
    created_at: datetime


class PartnerIn(Input):
    """A new supplier, customer or carrier."""

    code: Code
    name: Name
    kind: PartnerKind


class PartnerPatch(Patch):
    """Changes to a partner."""

    name: Name | None = None
    kind: PartnerKind | None = None


class PartnerOut(Output):
    """A partner."""

    id: int
    code: str
    name: str
    kind: PartnerKind


class SiteIn(Input):
    """A new site; its code is the site segment of MQTT topics."""

    code: SegmentCode
    name: Name


class SitePatch(Patch):
    """Changes to a site."""

    name: Name | None = None


class SiteOut(Output):
    """A site."""

    id: int
    code: str
    name: str


class LocationIn(Input):
    """A new location; parent, site and partner are given by code."""

    code: Code
    name: Name
    type: LocationType
    parent: Code | None = Field(None, description="code of the parent location")
    site: SegmentCode | None = Field(None, description="code of the site it is at")
    partner: Code | None = Field(None, description="partner code (supplier/customer locations)")


class LocationPatch(Patch):
    """Changes to a location (its type and code are fixed once created)."""

    clearable = frozenset({"parent", "site", "partner"})

    name: Name | None = None
    parent: Code | None = None
    site: SegmentCode | None = None
    partner: Code | None = None


class LocationOut(Output):
    """A location."""

    id: int
    code: str
    name: str
    type: LocationType
    parent_id: int | None
    parent: str | None = related("parent", "code", default=True)
    site: str | None = related("site", "code", default=True)
    partner: str | None = related("partner", "code", default=True)


class LocationNode(Output):
    """A location with everything below it."""

    id: int
    code: str
    name: str
    type: LocationType
    children: list[LocationNode] = Field(default_factory=list)


class GatewayIn(Input):
    """A new gateway at a site."""

    site: SegmentCode
    code: SegmentCode
    name: Annotated[str, Field(max_length=200)] = ""


class GatewayPatch(Patch):
    """Changes to a gateway."""

    name: Annotated[str, Field(max_length=200)] | None = None


class GatewayOut(Output):
    """A gateway with its last reported availability and health."""

    id: int
    site: str = related("site", "code")
    code: str
    name: str
    availability: str
    availability_at: datetime | None
    health: dict[str, Any] | None
    health_at: datetime | None


class ReadPointIn(Input):
    """A door of a gateway and the dock location tags crossing it reach."""

    site: SegmentCode
    gateway: SegmentCode
    door: DoorName
    location: Code = Field(description="code of the dock location behind the door")
    role: ReadPointRole = ReadPointRole.BOTH


class ReadPointPatch(Patch):
    """Changes to a read point."""

    location: Code | None = None
    role: ReadPointRole | None = None


class ReadPointOut(Output):
    """A read point."""

    id: int
    ref: str = Field(description="site/gateway/door")
    door: str
    gateway_id: int
    location_id: int
    location: str = related("location", "code")
    role: ReadPointRole
