"""SQLite layout of the outbox and how a connection to it is opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1

# AUTOINCREMENT keeps seq growing even after the table empties: the transport remembers the last
# seq it sent per kind, and a reused seq would hide a new event behind that cursor.
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    row_json TEXT NOT NULL,
    produced_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_kind_seq ON events (kind, seq);
CREATE TABLE IF NOT EXISTS audit (
    event_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    produced_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
"""

INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (kind, event_id, row_json, produced_ms) VALUES (?, ?, ?, ?)"
)
INSERT_AUDIT = "INSERT OR IGNORE INTO audit (event_id, kind, produced_ms) VALUES (?, ?, ?)"
DELETE_SEQ = "DELETE FROM events WHERE seq = ?"
DROP_OLDEST = "DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT ?)"
DROP_NEWEST = "DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq DESC LIMIT ?)"
HEAD_OF_KIND = "SELECT seq FROM events WHERE kind = ? AND seq > ? ORDER BY seq LIMIT 1"
BATCH_OF_KIND = (
    "SELECT seq, event_id, row_json FROM events WHERE kind = ? AND seq > ? ORDER BY seq LIMIT ?"
)
ADD_COUNTER = (
    "INSERT INTO counters (name, value) VALUES (?, ?) "
    "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value"
)
GET_COUNTER = "SELECT value FROM counters WHERE name = ?"


def connect(path: Path, synchronous: str) -> sqlite3.Connection:
    """Open (creating if needed) an outbox database in WAL mode with the given sync level."""
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    # Autocommit mode: every transaction is an explicit BEGIN IMMEDIATE ... COMMIT.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {_sync_level(synchronous)}")
        conn.executescript(SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def _sync_level(synchronous: str) -> str:
    if synchronous not in {"normal", "full"}:
        raise ValueError(f"synchronous must be normal or full, not {synchronous!r}")
    return synchronous.upper()
