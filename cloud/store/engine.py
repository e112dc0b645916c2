"""Engine and session factory built from settings: SQLite tuned for one node, or PostgreSQL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from cloud.settings import CloudSettings

log = logging.getLogger(__name__)

# Execution option marking connections that only read (API GETs): see read_only().
READ_ONLY = "tagtrail_read_only"


def make_engine(settings: CloudSettings) -> Engine:
    """Create the engine for settings.db_url with the per-dialect setup this service relies on."""
    url = make_url(settings.db_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(settings)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we ship
    engine = create_engine(
        url, echo=settings.db_echo, pool_size=settings.db_pool_size, pool_pre_ping=True
    )

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # First statement of the transaction: a reader that tries to write fails loudly.
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (API responses are built from them)."""
    return sessionmaker(engine, expire_on_commit=False)


def read_only(engine: Engine) -> Engine:
    """The same engine and pool, for transactions that only read.

    SQLite begins them DEFERRED, so in WAL mode they never wait for a writer; PostgreSQL makes
    them READ ONLY.
    """
    return engine.execution_options(**{READ_ONLY: True})


def _sqlite_engine(settings: CloudSettings) -> Engine:
    url = make_url(settings.db_url)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=settings.db_echo)
    busy_ms = settings.db_busy_timeout_ms

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (it does not BEGIN before
        # SELECT or SAVEPOINT); SQLAlchemy emits BEGIN itself below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers BEGIN IMMEDIATE: taking the write lock up front, a read-then-write transaction
        # never fails with SQLITE_BUSY half way; it waits (busy_timeout) for its turn instead.
        readers = connection.get_execution_options().get(READ_ONLY)
        connection.exec_driver_sql("BEGIN" if readers else "BEGIN IMMEDIATE")

    log.debug("SQLite engine for %s (WAL, foreign keys, busy timeout %s ms)", url, busy_ms)
    return engine
