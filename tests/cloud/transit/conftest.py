"""Fixtures of the transit tests on a real database."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from cloud.container import ServiceContainer
from cloud.ingest import rules_from
from cloud.ingest.handler import IngestHandler
from tests.cloud.api.client import ApiClient
from tests.cloud.ingest.world import T0, build, health, portal
from tests.cloud.transit import world
from tests.cloud.transit.world import EPCS, feed


@pytest.fixture
def handler(client: ApiClient) -> IngestHandler:
    """The dock world and the transit world, SH-1 loaded and shipped at dc1's door d2."""
    build(client)
    world.build_transit(client, world.drive())
    container: ServiceContainer = client.state()["container"]
    rules = dataclasses.replace(rules_from(container.settings), settle=timedelta(0))
    ingest = IngestHandler(container, rules)
    loaded = T0 + timedelta(minutes=10)
    feed(ingest, portal(EPCS, "d2", "out", loaded), health(loaded + timedelta(seconds=30)))
    assert [t for t, _ in ingest.close_due().notices] == ["shipment.verified"]
    return ingest
