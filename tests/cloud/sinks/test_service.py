"""The sink in the running service: MQTT in, events applied, then copied to the time-series
server with the topic's site and gateway as tags."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cloud.app import create_app
from cloud.sinks.influx import InfluxSink
from tests.cloud.api.client import running
from tests.cloud.conftest import Database
from tests.cloud.ingest.test_consumer import container, publish, publisher
from tests.cloud.ingest.world import GATEWAY, T0, build, case, health, portal
from tests.cloud.sinks.servers import VictoriaMetrics, wait_for
from tests.support.services import BrokerAddress

pytestmark = pytest.mark.broker


def test_off_by_default(database: Database) -> None:
    with running(create_app(database.settings(migrate_on_startup=False), components=[])) as api:
        assert container(api).sinks == []
        assert "influx-sink" not in api.get("/readyz").json()["components"]


def test_applied_events_reach_the_time_series_with_site_and_gateway(
    database: Database, mqtt_broker: BrokerAddress, unique_site: str, vm: VictoriaMetrics
) -> None:
    settings = database.settings(
        migrate_on_startup=False, mqtt_url=mqtt_broker.url, mqtt_group=f"g{unique_site}",
        mqtt_client_id=f"{unique_site}-w1", ingest_sites=[unique_site], ingest_tick_s=0.2,
        influx_enabled=True, influx_url=vm.url, influx_token="t", influx_flush_s=0.05,
    )  # fmt: skip
    cases = [case(n) for n in range(1, 6)]
    messages = [portal(cases, "d1", "in", T0, site=unique_site)]
    messages += [health(T0 + timedelta(seconds=40), depth=3, site=unique_site)]
    with running(create_app(settings)) as api, publisher(mqtt_broker) as client:
        assert [type(s) for s in container(api).sinks] == [InfluxSink]
        build(api, unique_site)
        publish(client, messages * 2)  # the repeat is a duplicate: applied and copied once
        where = f'site="{unique_site}",gateway="{GATEWAY}"'
        door = f'{{__name__="portal_count",{where},door="d1",direction="in"}}'
        found = wait_for(lambda: vm.samples(door) or None, "portal points")
        gateway = f'{{__name__="gateway_outbox_depth",{where}}}'
        wait_for(lambda: vm.export(gateway) or None, "health points")
        sink = api.get("/readyz").json()["components"]["influx-sink"]
    assert list(found.values()) == [[1.0] * 5]
    # Health reports are not claimed: the repeat is written again, at the same time in the same
    # series, which InfluxDB overwrites (VictoriaMetrics, without deduplication, keeps both).
    [depth] = vm.export(gateway)
    assert set(depth["values"]) == {3}
    assert len(set(depth["timestamps"])) == 1
    assert sink["dropped"] == 0
