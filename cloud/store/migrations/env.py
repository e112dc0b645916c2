"""Alembic environment: used by the alembic CLI and by cloud.store.migrate alike."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import cloud.store.models
from cloud.settings import CloudSettings
from cloud.store.engine import make_engine

TARGET = cloud.store.models.Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=TARGET,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        user_module_prefix="cloud.store.types.",
    )


def run_migrations_online() -> None:
    """Migrate on the caller's connection, or on one made from the settings."""
    given: Connection | None = context.config.attributes.get("connection")
    if given is not None:
        _configure(given)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.config.get_main_option("sqlalchemy.url")
    settings = CloudSettings(db_url=url) if url else CloudSettings()
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
