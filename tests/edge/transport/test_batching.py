"""Batches stay below the wire payload limit however large the rows are."""

from __future__ import annotations

from edge.outbox import PendingEvent
from edge.transport.publisher import PAYLOAD_BUDGET, fit_payload
from protocol.codec import MAX_PAYLOAD_BYTES, encode_rows
from protocol.topics import Kind


def pending(n: int, row_bytes: int) -> list[PendingEvent]:
    row = "[" + "1" * (row_bytes - 2) + "]"
    return [PendingEvent(i, Kind.PORTAL, f"{i:024x}", row) for i in range(n)]


def test_small_rows_are_not_split() -> None:
    batch = pending(500, 200)
    assert fit_payload(batch) == batch


def test_large_rows_are_cut_to_fit_one_payload() -> None:
    batch = pending(10, 300_000)
    fitted = fit_payload(batch)
    assert len(fitted) == 3
    payload = encode_rows(Kind.PORTAL, (e.row_json for e in fitted), 0)
    assert len(payload) <= MAX_PAYLOAD_BYTES
    assert sum(len(e.row_json) + 1 for e in fitted) <= PAYLOAD_BUDGET


def test_an_oversized_row_still_goes_alone() -> None:
    # The cloud dead-letters it; holding it back would block its kind forever.
    batch = pending(3, MAX_PAYLOAD_BYTES + 10)
    assert fit_payload(batch) == batch[:1]
