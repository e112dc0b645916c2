"""Field types of master-data inputs; each normalises or refuses with a clear reason."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, ClassVar, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from protocol.epc import gs1_check_digit

_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"  # site and gateway ids appear in MQTT topics
_DOOR = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}"  # as protocol.messages.Name
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$"
SEGMENT_PATTERN = f"^{_SEGMENT}$"
DOOR_PATTERN = f"^{_DOOR}$"
DOOR_REF_PATTERN = f"^{_SEGMENT}/{_SEGMENT}/{_DOOR}$"
EPC_PATTERN = r"^(?:[0-9A-F]{4}){1,31}$"


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _gs1_digits(name: str, lengths: str, length: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) != length or not value.isascii() or not value.isdigit():
            raise ValueError(f"{name} must be {lengths} digits")
        expected = gs1_check_digit(value[:-1])
        if int(value[-1]) != expected:
            raise ValueError(f"{name} check digit is wrong (expected {expected})")
        return value

    return AfterValidator(check)


def _gtin14(value: object) -> object:
    """GTIN-8/12/13/14 all become GTIN-14 (left-padded with zeros), as EPCs carry them."""
    value = _strip(value)
    if isinstance(value, str) and value.isdigit() and len(value) in (8, 12, 13):
        return value.zfill(14)
    return value


Code = Annotated[
    str,
    BeforeValidator(_strip),
    Field(pattern=CODE_PATTERN, description="1-64 letters, digits, '_', '.', ':', '/', '-'"),
]
SegmentCode = Annotated[
    str,
    BeforeValidator(_strip),
    Field(pattern=SEGMENT_PATTERN, description="1-64 letters, digits, '_', '.', '-'"),
]
DoorName = Annotated[
    str,
    BeforeValidator(_strip),
    Field(pattern=DOOR_PATTERN, description="door name as in the gateway config"),
]
DoorRef = Annotated[
    str,
    BeforeValidator(_strip),
    Field(pattern=DOOR_REF_PATTERN, description="a read point as site/gateway/door"),
]
Gtin = Annotated[
    str,
    BeforeValidator(_gtin14),
    Field(description="GTIN-8/12/13/14, stored as GTIN-14"),
    _gs1_digits("GTIN", "8, 12, 13 or 14", 14),
]
Sscc = Annotated[
    str,
    BeforeValidator(_strip),
    Field(description="SSCC-18"),
    _gs1_digits("SSCC", "18", 18),
]
Epc = Annotated[
    str,
    BeforeValidator(_upper),
    Field(pattern=EPC_PATTERN, description="EPC as hex (any case; stored upper-case)"),
]
Instant = Annotated[
    AwareDatetime,
    AfterValidator(lambda moment: moment.astimezone(UTC)),
    Field(description="ISO 8601 time with a zone (stored and returned in UTC)"),
]
Qty = Annotated[int, Field(gt=0, le=1_000_000_000, description="quantity in the item's unit")]
Text = Annotated[str, BeforeValidator(_strip), Field(max_length=500)]
Name = Annotated[str, BeforeValidator(_strip), Field(min_length=1, max_length=200)]


class Input(BaseModel):
    """Base of request bodies and CSV rows: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Patch(Input):
    """Base of PATCH bodies: left-out fields stay as they are; null clears only `clearable`."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _null_only_where_clearable(self) -> Self:
        nulls = {name for name in self.model_fields_set if getattr(self, name) is None}
        if nulls - self.clearable:
            raise ValueError(f"{', '.join(sorted(nulls - self.clearable))} cannot be null")
        return self


class Output(BaseModel):
    """Base of responses, read straight from ORM objects."""

    model_config = ConfigDict(from_attributes=True)
