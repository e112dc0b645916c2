"""Compact batch encoding: field names once per message, then one JSON array per event."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from protocol.messages import (
    ConditionSample,
    GatewayHealth,
    PortalEvent,
    PositionFix,
    PresenceEvent,
    WireModel,
)
from protocol.topics import Kind
from protocol.version import SCHEMA_VERSION, SUPPORTED_SCHEMAS

MAX_PAYLOAD_BYTES = 1 << 20
MAX_ROWS = 10_000

MODELS: dict[Kind, type[WireModel]] = {
    Kind.PORTAL: PortalEvent,
    Kind.PRESENCE: PresenceEvent,
    Kind.HEALTH: GatewayHealth,
    Kind.CONDITION: ConditionSample,
    Kind.POSITION: PositionFix,
}


class PayloadError(ValueError):
    """A payload that does not follow the wire contract; the message says why."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One row of a batch that failed validation, kept so that it can be dead-lettered."""

    index: int
    reason: str
    row: object


@dataclass(frozen=True, slots=True)
class Batch:
    """A decoded batch message: the valid events and the rejected rows."""

    kind: Kind
    sent_ms: int
    events: tuple[WireModel, ...]
    rejects: tuple[RowError, ...] = ()


def fields_of(kind: Kind) -> tuple[str, ...]:
    """Field order used on the wire for one kind."""
    return tuple(_model(kind).model_fields)


def row_json(event: WireModel) -> str:
    """Serialize one event as a compact JSON array in wire field order."""
    data = event.model_dump(mode="json")
    return json.dumps([data[name] for name in type(event).model_fields], separators=(",", ":"))


def encode_rows(kind: Kind, rows: Iterable[str], sent_ms: int) -> bytes:
    """Build a batch payload from pre-serialized rows (as stored in an outbox)."""
    head = json.dumps(
        {
            "schema": SCHEMA_VERSION,
            "kind": kind.value,
            "sent_ms": sent_ms,
            "fields": fields_of(kind),
        },
        separators=(",", ":"),
    )
    return (head[:-1] + ',"rows":[' + ",".join(rows) + "]}").encode()


def encode(kind: Kind, events: Sequence[WireModel], sent_ms: int) -> bytes:
    """Encode events of one kind as one batch payload."""
    return encode_rows(kind, (row_json(e) for e in events), sent_ms)


def decode(kind: Kind, payload: bytes) -> Batch:
    """Decode a batch: raise PayloadError if unusable, else split rows into good and bad."""
    doc = _parse_json(payload)
    _check_header(doc, kind)
    fields = doc["fields"]
    model = _model(kind)
    events: list[WireModel] = []
    rejects: list[RowError] = []
    for i, row in enumerate(doc["rows"]):
        try:
            events.append(_row_to_event(model, fields, row, i))
        except PayloadError as exc:
            rejects.append(RowError(index=i, reason=str(exc), row=row))
    return Batch(kind=kind, sent_ms=doc["sent_ms"], events=tuple(events), rejects=tuple(rejects))


def _model(kind: Kind) -> type[WireModel]:
    try:
        return MODELS[kind]
    except KeyError:
        raise PayloadError(f"kind {kind.value!r} carries no batch payload") from None


def _parse_json(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"payload is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise PayloadError("payload is not a JSON object")
    return doc


def _check_header(doc: dict[str, Any], kind: Kind) -> None:
    schema = doc.get("schema")
    if schema not in SUPPORTED_SCHEMAS:
        raise PayloadError(f"unsupported schema version {schema!r}")
    if doc.get("kind") != kind.value:
        raise PayloadError(
            f"payload kind {doc.get('kind')!r} does not match topic kind {kind.value!r}"
        )
    if not isinstance(doc.get("sent_ms"), int):
        raise PayloadError("sent_ms missing or not an integer")
    fields, rows = doc.get("fields"), doc.get("rows")
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise PayloadError("fields missing or not a list of names")
    unknown = set(fields) - set(_model(kind).model_fields)
    if unknown or len(set(fields)) != len(fields):
        raise PayloadError(f"fields has unknown or repeated names: {sorted(unknown) or fields}")
    if not isinstance(rows, list):
        raise PayloadError("rows missing or not a list")
    if len(rows) > MAX_ROWS:
        raise PayloadError(f"{len(rows)} rows exceed the limit of {MAX_ROWS}")


def _row_to_event(model: type[WireModel], fields: list[str], row: object, i: int) -> WireModel:
    if not isinstance(row, list) or len(row) != len(fields):
        raise PayloadError(f"row {i} is not a list of {len(fields)} values")
    try:
        return model.model_validate(dict(zip(fields, row, strict=True)))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PayloadError(f"row {i}: {where}: {first['msg']}") from None
