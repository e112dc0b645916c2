"""Publisher without a broker: keeps events, retries quietly, keeps secrets out of logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from edge.config import MqttConfig, OutboxConfig
from edge.outbox import Outbox
from edge.transport import Publisher
from protocol.topics import Kind
from tests.edge.outbox.factory import mixed
from tests.support.mqtt import wait_until
from tests.support.services import free_port

SECRET = "s3cr3t-pw"


def test_retries_with_one_warning_and_no_password_in_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="edge.transport")
    url = f"mqtt://gateway:{SECRET}@127.0.0.1:{free_port()}"
    config = MqttConfig(url=url, reconnect_min_s=0.01, reconnect_max_s=0.05)
    with Outbox(OutboxConfig(path=tmp_path / "o.sqlite")) as box:
        box.append(mixed("s", 0, 10))
        publisher = Publisher(box, config, "s", "gw")
        publisher.start()
        try:
            assert wait_until(lambda: publisher.stats().connect_failures >= 5)
            stats = publisher.stats()
            assert not stats.connected
            assert stats.last_error is not None
            assert "refused" in stats.last_error.lower()
        finally:
            assert publisher.stop(1) is False  # nothing could be delivered
        assert box.depth == 10
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "cannot connect" in warnings[0].getMessage()
    assert SECRET not in caplog.text
    assert SECRET not in repr(publisher.stats())


def test_direct_queue_is_bounded_and_counts_drops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = MqttConfig(url=f"mqtt://127.0.0.1:{free_port()}")
    with Outbox(OutboxConfig(path=tmp_path / "o.sqlite")) as box:
        publisher = Publisher(box, config, "s", "gw", now_queue_max=3)  # never started
        for i in range(10):
            publisher.publish_now(Kind.HEALTH, str(i).encode())
        stats = publisher.stats()
    assert (stats.queued_now, stats.now_dropped) == (3, 7)
    drops = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(drops) == 1  # rate-limited


def test_stop_before_start_is_harmless(tmp_path: Path) -> None:
    with Outbox(OutboxConfig(path=tmp_path / "o.sqlite")) as box:
        publisher = Publisher(box, MqttConfig(), "s", "gw")
        assert publisher.stop(0.1) is True
