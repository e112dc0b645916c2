"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import postgres
from tests.support.services import in_ci


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database, or (outside CI, without a server) a SQLite file."""
    if postgres.reachable():
        with postgres.fresh_database() as url:
            yield url
        return
    if in_ci():
        pytest.fail(f"PostgreSQL is not reachable at {postgres.ADMIN_URL} and CI=true requires it")
    yield f"sqlite:///{tmp_path / 'cloud.sqlite'}"
