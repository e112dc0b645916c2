"""Fixtures of the time-series sink tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cloud.sinks.servers import VictoriaMetrics


@pytest.fixture
def vm() -> Iterator[VictoriaMetrics]:
    """A running VictoriaMetrics of this test."""
    server = VictoriaMetrics()
    server.start()
    try:
        yield server
    finally:
        server.remove()
