"""A whole dock day end to end: emulated readers, two gateways, the broker, the cloud, the ledger.

Receipts and shipment verifications must match the scenario's ground truth on at least 99.9 %
of lines, and stock must equal it exactly. PostgreSQL where it runs (CI requires it).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from firmware_sim.scenario.day import build_day
from firmware_sim.scenario.day_config import DayConfig
from tagtrail.rehearsal.day import Wiring, rehearse
from tests.support.services import BrokerAddress, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.broker, pytest.mark.database]


def test_dock_day_matches_ground_truth(
    mqtt_broker: BrokerAddress, db_url: str, unique_site: str, tmp_path: Path
) -> None:
    day = build_day(dataclasses.replace(DayConfig(), site=unique_site), seed=11)
    wiring = Wiring(
        mqtt_url=mqtt_broker.url,
        db_url=db_url,
        http_port=free_port(),
        workdir=tmp_path,
        mqtt_group=f"g{unique_site}",
    )
    with rehearse(day, wiring) as rehearsal:
        rehearsal.wait_played(timeout=day.duration_s * 3 + 120)
        assert rehearsal.wait_settled(timeout=180), "doors did not go quiet"
        score = rehearsal.score()
    counts = day.truth.counts()
    assert all(counts[kind] > 0 for kind in ("short", "over", "unexpected", "duplicate"))
    assert all(counts[kind] > 0 for kind in ("missing", "extra", "wrong_item"))
    assert score.receipts.total >= 2000
    assert score.receipts.share >= 0.999, (score.summary(), score.receipts.wrong)
    assert score.shipments.share >= 0.999, (score.summary(), score.shipments.wrong)
    assert score.stock.right == score.stock.total, (score.summary(), score.stock.wrong)
