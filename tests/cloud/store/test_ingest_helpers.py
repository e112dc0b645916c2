"""Claiming event IDs and keeping dead letters, on both backends."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from cloud.store.ingest import EventRef, claim_events, dead_letter
from cloud.store.models import DeadLetter, ProcessedEvent
from tests.cloud.conftest import Database


def ref(n: int) -> EventRef:
    """An event of gateway gw1 at site s1."""
    return EventRef(f"{n:024x}", "s1", "gw1", "portal")


def test_each_event_id_is_claimed_once(database: Database) -> None:
    with database.sessions.begin() as session:
        assert claim_events(session, [ref(1), ref(2), ref(2)]) == {ref(1).event_id, ref(2).event_id}
    with database.sessions.begin() as session:
        assert claim_events(session, [ref(2), ref(3)]) == {ref(3).event_id}
        assert claim_events(session, []) == set()
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 3


def test_a_rolled_back_claim_can_be_claimed_again(database: Database) -> None:
    with database.sessions() as session:
        session.begin()
        assert claim_events(session, [ref(5)]) == {ref(5).event_id}
        session.rollback()
    with database.sessions.begin() as session:
        assert claim_events(session, [ref(5)]) == {ref(5).event_id}


def test_two_workers_claiming_the_same_batch_split_it(database: Database) -> None:
    batch = [ref(n) for n in range(50)]
    gate = threading.Barrier(2)

    def worker() -> set[str]:
        with database.sessions.begin() as session:
            gate.wait(20)
            return claim_events(session, batch)

    with ThreadPoolExecutor(2) as pool:
        first, second = (f.result(60) for f in [pool.submit(worker), pool.submit(worker)])
    assert first.isdisjoint(second)
    assert first | second == {e.event_id for e in batch}


def test_dead_letters_keep_a_bounded_payload(database: Database) -> None:
    with database.sessions.begin() as session:
        session.add(dead_letter("tagtrail/v1/s1/gw1/portal", "not JSON", b"x" * 1000, 256, 3))
    with database.sessions() as session:
        letter = session.scalars(select(DeadLetter)).one()
        assert (len(letter.payload), letter.payload_size, letter.row_index) == (256, 1000, 3)
