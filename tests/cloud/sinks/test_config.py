"""Sink settings: TAGTRAIL_INFLUX_* from the environment, off by default, bad URLs refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cloud.settings import CloudSettings
from cloud.sinks import sinks_from
from cloud.sinks.influx import InfluxConfig, InfluxSink


def test_off_by_default() -> None:
    assert sinks_from(CloudSettings()) == []


def test_environment_switches_it_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGTRAIL_INFLUX_ENABLED", "true")
    monkeypatch.setenv("TAGTRAIL_INFLUX_URL", "http://influxdb:8086")
    monkeypatch.setenv("TAGTRAIL_INFLUX_TOKEN", "write-token")
    monkeypatch.setenv("TAGTRAIL_INFLUX_BUCKET", "dc")
    monkeypatch.setenv("TAGTRAIL_INFLUX_QUEUE_MAX", "500")
    settings = CloudSettings()
    [sink] = sinks_from(settings)
    assert isinstance(sink, InfluxSink)
    assert sink.config == InfluxConfig(
        url="http://influxdb:8086", token="write-token", org="tagtrail", bucket="dc",
        queue_max=500,
    )  # fmt: skip
    assert "write-token" not in repr(settings)  # the token is a secret


@pytest.mark.parametrize("url", ["influxdb:8086", "ftp://influxdb", "http://"])
def test_a_url_that_is_no_http_url_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="influx_url"):
        CloudSettings(influx_url=url)
