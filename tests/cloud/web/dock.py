"""A dock day's results in a SQLite file, made through the ingest handler, for the web UI tests.

One truck received against its ASN with every kind of discrepancy (a receipt and an alert), and
one shipment loaded with a wrong item and two cases missing (held, alerts).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from cloud.app import create_app
from cloud.container import ServiceContainer
from cloud.ingest import rules_from
from cloud.ingest.handler import Incoming, IngestHandler
from cloud.settings import CloudSettings
from tests.cloud.api.client import running
from tests.cloud.ingest.world import T0, Message, build, case, health, pallet, portal

SECRET = "test-secret-" + "x" * 32

TRUCK = [
    portal([pallet(1), case(1), case(2), case(3), case(4)], "d1", "in", T0),  # case 5: dead tag
    portal([case(20)], "d1", "in", T0 + timedelta(seconds=8)),  # over
    portal([case(7, "054321")], "d1", "in", T0 + timedelta(seconds=12)),  # unexpected item B
    portal([case(100)], "d1", "in", T0 + timedelta(seconds=16)),  # clone of stock: duplicate
]  # pallet 2 (cases 6-10) never arrives: short
LOADED_AT = T0 + timedelta(minutes=10)
LOADING = [portal([case(100), case(101), case(9, "054321")], "d2", "out", LOADED_AT)]
WRONG_EPC = case(9, "054321")
MISSING_EPCS = (case(102), case(103))
SHORT_EPCS = tuple(case(n) for n in range(6, 11))


def settings(db: Path, **overrides: object) -> CloudSettings:
    """Test settings on the SQLite file db (no ingest unless overridden)."""
    values: dict[str, object] = {
        "environment": "test",
        "secret_key": SECRET,
        "db_url": f"sqlite:///{db}",
        "ingest_enabled": False,
    }
    return CloudSettings.model_validate(values | overrides)


def _feed(handler: IngestHandler, *messages: Message) -> None:
    handler.handle([Incoming(m.topic, m.payload) for m in messages])


def make_dock_day(db: Path) -> None:
    """Master data, the received truck and the held shipment, written into db."""
    app = create_app(settings(db, migrate_on_startup=False), components=[])
    with running(app) as client:
        build(client)
        container: ServiceContainer = client.state()["container"]
        rules = dataclasses.replace(rules_from(container.settings), settle=timedelta(0))
        handler = IngestHandler(container, rules)
        _feed(handler, *TRUCK)
        _feed(handler, health(T0 + timedelta(seconds=40)))
        assert [topic for topic, _ in handler.close_due().notices] == ["receipt.posted"]
        _feed(handler, *LOADING)
        _feed(handler, health(LOADED_AT + timedelta(seconds=30)))
        assert [topic for topic, _ in handler.close_due().notices] == ["shipment.verified"]
