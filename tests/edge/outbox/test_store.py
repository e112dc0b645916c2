"""Outbox: idempotent, per-kind FIFO, bounded with exact drop counts, durable across reopen."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from edge.config import OutboxConfig
from edge.outbox import Outbox, PendingEvent
from protocol.topics import Kind
from tests.edge.outbox.factory import mixed, portal, presence

SITE = "s1"


def make(tmp_path: Path, **options: object) -> Outbox:
    return Outbox(OutboxConfig.model_validate({"path": tmp_path / "outbox.sqlite", **options}))


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    with make(tmp_path, audit=True) as box:
        yield box


def drain(box: Outbox, limit: int = 1000) -> list[PendingEvent]:
    """Every pending event, batch by batch, the way the transport reads them."""
    cursors: dict[Kind, int] = {}
    out: list[PendingEvent] = []
    while batch := box.next_batch(cursors, limit):
        cursors[batch[0].kind] = batch[-1].seq
        out.extend(batch)
    return out


def ids(events: list[PendingEvent]) -> list[str]:
    return [e.event_id for e in events]


def test_append_stores_and_counts(outbox: Outbox) -> None:
    assert outbox.append(mixed(SITE, 0, 30)) == 30
    stats = outbox.stats()
    assert (stats.depth, stats.appended, stats.duplicates, stats.dropped) == (30, 30, 0, 0)
    assert outbox.append([]) == 0


def test_same_id_is_stored_once(outbox: Outbox) -> None:
    events = mixed(SITE, 0, 10)
    outbox.append(events)
    assert outbox.append(events[:5] + mixed(SITE, 10, 2)) == 2
    assert outbox.append([portal(SITE, 50), portal(SITE, 50)]) == 1
    stats = outbox.stats()
    assert stats.depth == 13
    assert stats.duplicates == 6
    assert len(set(outbox.pending_ids())) == 13


def test_batches_are_one_kind_oldest_head_first(outbox: Outbox) -> None:
    outbox.append([portal(SITE, 0), presence(SITE, 1), portal(SITE, 2), presence(SITE, 3)])
    first = outbox.next_batch({}, 10)
    assert [e.kind for e in first] == [Kind.PORTAL, Kind.PORTAL]
    second = outbox.next_batch({Kind.PORTAL: first[-1].seq}, 10)
    assert [e.kind for e in second] == [Kind.PRESENCE, Kind.PRESENCE]
    assert outbox.next_batch({Kind.PORTAL: first[-1].seq, Kind.PRESENCE: second[-1].seq}, 10) == []


def test_fifo_per_kind_across_batches_and_acks(outbox: Outbox) -> None:
    events = mixed(SITE, 0, 200)
    for start in range(0, 200, 17):
        outbox.append(events[start : start + 17])
    pending = drain(outbox, limit=7)
    for kind in (Kind.PORTAL, Kind.PRESENCE):
        expected = [eid for k, eid, _ in events if k is kind]
        assert [e.event_id for e in pending if e.kind is kind] == expected
    # Acknowledging some events leaves the rest in the same order.
    outbox.ack(e.seq for e in pending[::2])
    left = drain(outbox)
    for kind in (Kind.PORTAL, Kind.PRESENCE):
        assert ids([e for e in left if e.kind is kind]) == ids(
            [e for e in pending[1::2] if e.kind is kind]
        )


def test_rows_come_back_unchanged(outbox: Outbox) -> None:
    events = mixed(SITE, 0, 5)
    outbox.append(events)
    assert [(e.kind, e.event_id, e.row_json) for e in drain(outbox)] == [
        (k, i, r) for k, i, r in events if k is Kind.PRESENCE
    ] + [(k, i, r) for k, i, r in events if k is Kind.PORTAL]


def test_ack_deletes_exactly_the_given_events(outbox: Outbox) -> None:
    outbox.append(mixed(SITE, 0, 10))
    pending = drain(outbox)
    assert outbox.ack([pending[0].seq, pending[3].seq]) == 2
    assert outbox.ack([pending[0].seq, 999_999]) == 0
    assert outbox.ack([]) == 0
    assert outbox.stats().acked == 2
    assert outbox.depth == 8
    assert pending[0].event_id not in outbox.pending_ids()


@pytest.mark.parametrize(
    ("policy", "kept"),
    [("drop_oldest", range(50, 150)), ("drop_newest", range(100))],
)
def test_full_outbox_drops_by_policy_with_exact_counts(
    tmp_path: Path, policy: Literal["drop_oldest", "drop_newest"], kept: range
) -> None:
    with make(tmp_path, max_events=100, when_full=policy, audit=True) as box:
        for start in range(0, 150, 30):
            box.append([portal(SITE, i) for i in range(start, start + 30)])
        stats = box.stats()
        assert (stats.depth, stats.appended, stats.dropped, stats.dropped_total) == (
            100,
            150,
            50,
            50,
        )
        assert box.pending_ids() == [portal(SITE, i)[1] for i in kept]
        # Dropped events were still produced: the audit table has all of them.
        assert box.audit_ids() == {portal(SITE, i)[1] for i in range(150)}


def test_one_batch_larger_than_the_bound(tmp_path: Path) -> None:
    with make(tmp_path, max_events=100, when_full="drop_oldest") as box:
        assert box.append([portal(SITE, i) for i in range(250)]) == 250
        assert box.stats().dropped == 150
        assert box.pending_ids() == [portal(SITE, i)[1] for i in range(150, 250)]


def test_known_ids_do_not_count_as_drops_when_full(tmp_path: Path) -> None:
    with make(tmp_path, max_events=100, when_full="drop_newest") as box:
        events = [portal(SITE, i) for i in range(100)]
        box.append(events)
        assert box.append(events[40:60]) == 0
        assert box.stats().dropped == 0
        assert box.stats().duplicates == 20


def test_drops_are_logged_rate_limited(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="edge.outbox")
    with make(tmp_path, max_events=100) as box:
        for start in range(0, 500, 25):
            box.append([portal(SITE, i) for i in range(start, start + 25)])
        assert box.stats().dropped == 400
        lines = [r.getMessage() for r in caplog.records]
        assert len(lines) == 1
        assert "dropped 25 portal" in lines[0]
    # Closing reports the drops that the rate limit held back.
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "dropped 375 portal" in lines[1]
    assert "400 dropped since open" in lines[1]


def test_pending_events_survive_reopen(tmp_path: Path) -> None:
    events = mixed(SITE, 0, 40)
    with make(tmp_path) as box:
        box.append(events)
        box.ack(e.seq for e in drain(box)[:10])
        left = box.pending_ids()
    with make(tmp_path) as box:
        assert box.depth == 30
        assert box.pending_ids() == left
        assert box.append(events) == 10  # only the acknowledged ones are new again


def test_seq_keeps_growing_after_the_outbox_empties(tmp_path: Path) -> None:
    with make(tmp_path) as box:
        box.append([portal(SITE, 0), portal(SITE, 1)])
        last = drain(box)[-1].seq
        box.ack(e.seq for e in drain(box))
    with make(tmp_path) as box:
        box.append([portal(SITE, 2)])
        # A transport cursor at `last` must still see the new event.
        assert ids(box.next_batch({Kind.PORTAL: last}, 10)) == [portal(SITE, 2)[1]]


def test_dropped_total_survives_reopen(tmp_path: Path) -> None:
    with make(tmp_path, max_events=100) as box:
        box.append([portal(SITE, i) for i in range(130)])
    with make(tmp_path, max_events=100) as box:
        box.append([portal(SITE, i) for i in range(130, 140)])
        stats = box.stats()
        assert (stats.dropped, stats.dropped_total) == (10, 40)


def test_synchronous_full_is_accepted(tmp_path: Path) -> None:
    with make(tmp_path, synchronous="full") as box:
        box.append(mixed(SITE, 0, 3))
        assert box.depth == 3


def test_audit_records_produced_ids_by_kind(outbox: Outbox) -> None:
    events = mixed(SITE, 0, 9)
    outbox.append(events)
    outbox.ack(e.seq for e in drain(outbox))
    assert outbox.audit_ids() == {eid for _, eid, _ in events}
    assert outbox.audit_ids(Kind.PRESENCE) == {eid for k, eid, _ in events if k is Kind.PRESENCE}


def test_audit_off_has_no_audit_ids(tmp_path: Path) -> None:
    with make(tmp_path) as box, pytest.raises(RuntimeError, match="audit"):
        box.audit_ids()


@pytest.mark.parametrize(
    "bad",
    [
        (Kind.STATUS, "a" * 24, "[1]"),
        (Kind.PORTAL, "", "[1]"),
        (Kind.PORTAL, "a" * 24, '{"not": "a row"}'),
    ],
)
def test_bad_event_rejects_the_whole_batch(outbox: Outbox, bad: tuple[Kind, str, str]) -> None:
    with pytest.raises(ValueError, match=r"kind|event_id|row_json"):
        outbox.append([portal(SITE, 0), bad])
    assert outbox.depth == 0
    assert outbox.audit_ids() == set()


def test_closed_outbox_refuses_work(tmp_path: Path) -> None:
    box = make(tmp_path)
    box.close()
    box.close()
    with pytest.raises(RuntimeError, match="closed"):
        box.append([portal(SITE, 0)])


def test_producer_and_transport_threads_share_one_outbox(outbox: Outbox) -> None:
    total = 3000
    done = threading.Event()

    def produce() -> None:
        for start in range(0, total, 50):
            outbox.append(mixed(SITE, start, 50))
        done.set()

    producer = threading.Thread(target=produce)
    producer.start()
    acked = 0
    while not (done.is_set() and outbox.depth == 0):
        acked += outbox.ack(e.seq for e in outbox.next_batch({}, 64))
    producer.join()
    assert acked == total
    stats = outbox.stats()
    assert (stats.appended, stats.acked, stats.depth) == (total, total, 0)
