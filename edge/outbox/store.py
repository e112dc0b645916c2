"""The durable outbox: events wait in SQLite (WAL) until the broker acknowledged them.

Threading: one SQLite connection guarded by one lock, so any number of threads may call any
method; in the gateway that is one producer thread (append) and the transport thread
(next_batch, ack). Each call is one short transaction, so neither side waits long for the other.

Durability: append() commits before it returns. With synchronous=normal a commit survives a
killed process (SIGKILL, OOM); with synchronous=full it also survives power loss.

Idempotence: appending an ID that is still waiting in the outbox stores nothing. Once an event
was acknowledged and deleted, the outbox no longer knows its ID: appending it again sends it
again, and the cloud, which deduplicates by event ID, ignores the repeat.

Order: events of one kind leave in append order (seq); next_batch() always starts with the kind
whose oldest waiting event is oldest, so kinds interleave roughly as they were produced.

Single process: the in-memory depth and counters assume this object is the only writer of the
file; open one Outbox per file.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from edge.config import OutboxConfig
from edge.outbox import schema
from edge.outbox.droplog import DropReporter
from protocol.codec import MODELS
from protocol.topics import Kind

LOG = logging.getLogger(__name__)

Event = tuple[Kind, str, str]
"""(kind, event_id, row_json) as produced by protocol.codec.row_json."""

DROPPED_TOTAL = "dropped_total"


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event waiting in the outbox; seq orders events and names them for ack()."""

    seq: int
    kind: Kind
    event_id: str
    row_json: str


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """Counters for gateway health; all but depth and dropped_total count since open."""

    depth: int
    max_events: int
    appended: int
    duplicates: int
    acked: int
    dropped: int
    dropped_total: int


class Outbox:
    """Durable, bounded, per-kind FIFO store of events awaiting a broker acknowledgement."""

    def __init__(self, config: OutboxConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = schema.connect(config.path, config.synchronous)
        self._drops = DropReporter(config.when_full)
        self._appended = self._duplicates = self._acked = self._dropped = 0
        self._depth, self._kinds = self._load_state()

    def _load_state(self) -> tuple[int, set[Kind]]:
        conn = self._db()
        (depth,) = conn.execute("SELECT COUNT(*) FROM events").fetchone()
        kinds = {Kind(k) for (k,) in conn.execute("SELECT DISTINCT kind FROM events")}
        if depth:
            LOG.info("outbox %s holds %d undelivered events", self.config.path, depth)
        return int(depth), kinds

    def append(self, events: Iterable[Event]) -> int:
        """Store events in one transaction; return how many were new (known IDs are skipped)."""
        now_ms = int(self._clock() * 1000)
        rows = [_checked(event, now_ms) for event in events]
        if not rows:
            return 0
        with self._lock:
            with self._transaction() as conn:
                before = conn.total_changes
                conn.executemany(schema.INSERT_EVENT, rows)
                stored = conn.total_changes - before
                if self.config.audit:
                    conn.executemany(schema.INSERT_AUDIT, [(r[1], r[0], r[3]) for r in rows])
                dropped = self._enforce_bound(conn, self._depth + stored)
            self._account_append(rows, stored, dropped)
        return stored

    def _enforce_bound(self, conn: sqlite3.Connection, depth: int) -> Counter[str]:
        excess = depth - self.config.max_events
        if excess <= 0:
            return Counter()
        sql = schema.DROP_OLDEST if self.config.when_full == "drop_oldest" else schema.DROP_NEWEST
        dropped = Counter(kind for (kind,) in conn.execute(sql + " RETURNING kind", (excess,)))
        conn.execute(schema.ADD_COUNTER, (DROPPED_TOTAL, dropped.total()))
        return dropped

    def _account_append(
        self, rows: list[tuple[str, str, str, int]], stored: int, dropped: Counter[str]
    ) -> None:
        n_dropped = dropped.total()
        self._depth += stored - n_dropped
        self._appended += stored
        self._duplicates += len(rows) - stored
        self._dropped += n_dropped
        self._kinds.update(Kind(r[0]) for r in rows)
        if n_dropped:
            self._drops.note(dropped, self._depth, self._dropped)

    def next_batch(self, after: Mapping[Kind, int], limit: int) -> list[PendingEvent]:
        """Oldest events of one kind with seq above after[kind]: the kind whose head is oldest."""
        with self._lock:
            conn = self._db()
            heads = [(self._head(conn, k, after.get(k, 0)), k) for k in self._kinds]
            live = [(seq, kind) for seq, kind in heads if seq is not None]
            if not live:
                return []
            _, kind = min(live)
            cur = conn.execute(schema.BATCH_OF_KIND, (kind.value, after.get(kind, 0), limit))
            return [PendingEvent(seq, kind, eid, row) for seq, eid, row in cur]

    @staticmethod
    def _head(conn: sqlite3.Connection, kind: Kind, after: int) -> int | None:
        found = conn.execute(schema.HEAD_OF_KIND, (kind.value, after)).fetchone()
        return None if found is None else int(found[0])

    def ack(self, seqs: Iterable[int]) -> int:
        """Forget acknowledged events; return how many were still stored."""
        params = [(seq,) for seq in seqs]
        if not params:
            return 0
        with self._lock:
            with self._transaction() as conn:
                before = conn.total_changes
                conn.executemany(schema.DELETE_SEQ, params)
                deleted = conn.total_changes - before
            self._depth -= deleted
            self._acked += deleted
        return deleted

    @property
    def depth(self) -> int:
        """Events waiting for an acknowledgement."""
        return self._depth

    def stats(self) -> OutboxStats:
        """A snapshot of the counters."""
        with self._lock:
            row = self._db().execute(schema.GET_COUNTER, (DROPPED_TOTAL,)).fetchone()
            return OutboxStats(
                depth=self._depth,
                max_events=self.config.max_events,
                appended=self._appended,
                duplicates=self._duplicates,
                acked=self._acked,
                dropped=self._dropped,
                dropped_total=int(row[0]) if row else 0,
            )

    def audit_ids(self, kind: Kind | None = None) -> set[str]:
        """IDs of every event ever appended (needs audit on), optionally of one kind."""
        if not self.config.audit:
            raise RuntimeError("the outbox audit table is off (OutboxConfig.audit)")
        with self._lock:
            conn = self._db()
            if kind is None:
                return {eid for (eid,) in conn.execute("SELECT event_id FROM audit")}
            cur = conn.execute("SELECT event_id FROM audit WHERE kind = ?", (kind.value,))
            return {eid for (eid,) in cur}

    def pending_ids(self) -> list[str]:
        """IDs of the events still waiting, oldest first (for tools and tests)."""
        with self._lock:
            return [
                eid for (eid,) in self._db().execute("SELECT event_id FROM events ORDER BY seq")
            ]

    def close(self) -> None:
        """Report unlogged drops and close the database."""
        with self._lock:
            self._drops.flush(self._depth, self._dropped)
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("outbox is closed")
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._db()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _checked(event: Event, now_ms: int) -> tuple[str, str, str, int]:
    kind, event_id, row_json = event
    kind = Kind(kind)
    if kind not in MODELS:
        raise ValueError(f"kind {kind.value!r} has no batch encoding (protocol.codec.MODELS)")
    if not isinstance(event_id, str) or not event_id:
        raise ValueError(f"event_id must be a non-empty string, got {event_id!r}")
    if not isinstance(row_json, str) or not row_json.startswith("["):
        raise ValueError(f"row_json of {event_id} must be a JSON array from codec.row_json")
    return kind.value, event_id, row_json, now_ms
