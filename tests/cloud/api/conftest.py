"""An app on the test database, called in-process (lifespan included)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cloud.app import create_app
from tests.cloud.api.client import ApiClient, running
from tests.cloud.conftest import Database


@pytest.fixture
def client(database: Database) -> Iterator[ApiClient]:
    """A running app (no background components) on this test's database."""
    app = create_app(database.settings(migrate_on_startup=False), components=[])
    with running(app) as api:
        yield api
