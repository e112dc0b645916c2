"""Fixtures shared by every test tier."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import postgres
from tests.support.services import BrokerAddress, BrokerProcess, in_ci, system_broker

SHARED_TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


@pytest.fixture(scope="session")
def testdata() -> Path:
    """The real captures beside the project (../shared/testdata)."""
    if not SHARED_TESTDATA.is_dir():
        pytest.fail(f"real test data not found at {SHARED_TESTDATA}")
    return SHARED_TESTDATA


@pytest.fixture(scope="session")
def mqtt_broker() -> Iterator[BrokerAddress]:
    """The real broker for this run: loopback Mosquitto, or (outside CI) an embedded one."""
    found = system_broker()
    if found:
        yield found
        return
    if in_ci():
        pytest.fail("Mosquitto is not reachable on 127.0.0.1:1883 and CI=true requires it")
    proc = BrokerProcess()
    proc.start()
    try:
        yield proc.address
    finally:
        proc.stop()


@pytest.fixture
def private_broker() -> Iterator[BrokerProcess]:
    """A broker this test owns and may stop, kill or restart."""
    proc = BrokerProcess()
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def unique_site() -> str:
    """A site id no other test uses, so topics never collide."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database for an end-to-end test, or (outside CI, without a server) a
    SQLite file."""
    if postgres.reachable():
        with postgres.fresh_database() as url:
            yield url
        return
    if in_ci():
        pytest.fail(f"PostgreSQL is not reachable at {postgres.ADMIN_URL} and CI=true requires it")
    yield f"sqlite:///{tmp_path / 'cloud.sqlite'}"
