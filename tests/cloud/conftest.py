"""Database fixtures of the cloud tests: each database test runs on SQLite and on PostgreSQL.

PostgreSQL is the server at TAGTRAIL_TEST_PG_URL (default postgres@127.0.0.1:5432/test); a fresh
database is created for the test session and dropped afterwards. With CI=true a missing server
fails the run; elsewhere the database tests run on SQLite only.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.app import create_app
from cloud.settings import CloudSettings
from cloud.store import migrate
from cloud.store.engine import make_engine, make_session_factory
from cloud.store.models import Base
from tests.cloud.api.client import ApiClient, running
from tests.support.postgres import ADMIN_URL, fresh_database
from tests.support.postgres import reachable as postgres_reachable
from tests.support.services import in_ci


@dataclass
class Database:
    """A migrated, empty database for one test."""

    backend: str
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    def settings(self, **overrides: object) -> CloudSettings:
        """Service settings pointing at this database."""
        values: dict[str, object] = {"environment": "test", "db_url": self.url}
        values.update(overrides)
        return CloudSettings.model_validate({"secret_key": "test-secret-" + "x" * 32, **values})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses `database` once per available backend."""
    if "database" in metafunc.fixturenames:
        backends = ["sqlite"]
        if in_ci() or postgres_reachable():
            backends.append("postgresql")
        metafunc.parametrize("backend", backends, scope="session")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on a real database carry the `database` marker."""
    for item in items:
        if "database" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.database)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite"
    engine = make_engine(CloudSettings(db_url=f"sqlite:///{path}"))
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test session, migrated to head, dropped at the end."""
    if not postgres_reachable():
        pytest.fail(f"PostgreSQL is not reachable at {ADMIN_URL} and CI=true requires it")
    with fresh_database() as url:
        engine = make_engine(CloudSettings(db_url=url))
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated database on the backend of this parametrisation."""
    if backend == "sqlite":
        path = tmp_path / "cloud.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(CloudSettings(db_url=url))
    if backend == "postgresql":
        _truncate_all(engine)
    try:
        yield Database(backend, url, engine, make_session_factory(engine))
    finally:
        engine.dispose()


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def client(database: Database) -> Iterator[ApiClient]:
    """A running app (no background components) on this test's database."""
    app = create_app(database.settings(migrate_on_startup=False), components=[])
    with running(app) as api:
        yield api
