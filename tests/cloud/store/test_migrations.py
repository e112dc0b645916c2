"""Alembic migrations against real databases: head matches the models, and back again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from cloud.settings import CloudSettings
from cloud.store import migrate
from cloud.store.engine import make_engine
from cloud.store.models import Base
from tests.cloud.conftest import Database
from tests.support.postgres import fresh_database


@pytest.fixture
def empty_engine(database: Database, tmp_path: Path) -> Iterator[Engine]:
    """A brand-new, never migrated database on the same backend as `database`."""
    if database.backend == "sqlite":
        engine = make_engine(CloudSettings(db_url=f"sqlite:///{tmp_path / 'empty.sqlite'}"))
        yield engine
        engine.dispose()
        return
    with fresh_database() as url:
        engine = make_engine(CloudSettings(db_url=url))
        try:
            yield engine
        finally:
            engine.dispose()


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "target_metadata": Base.metadata}
        )
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_head_matches_the_models(empty_engine: Engine) -> None:
    assert migrate.current_revision(empty_engine) is None
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _diff(empty_engine) == []


def test_downgrade_to_base_and_up_again(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(empty_engine)
    assert _diff(empty_engine) == []


def test_upgrade_twice_is_harmless(database: Database) -> None:
    migrate.upgrade(database.engine)
    assert migrate.current_revision(database.engine) == migrate.head_revision()
