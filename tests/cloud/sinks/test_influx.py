"""InfluxSink against a real server of the InfluxDB v2 write API (VictoriaMetrics): values read
back, an outage ridden out, the queue bound kept and its drops counted."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cloud.sinks.influx import InfluxConfig, InfluxSink
from protocol.topics import Kind
from tests.cloud.sinks.events import condition, crossing, fix, recent_ms, report, topic
from tests.cloud.sinks.servers import VictoriaMetrics, wait_for
from tests.support.services import free_port


def config(url: str, **overrides: Any) -> InfluxConfig:
    """Quick flushes and short retries, so that tests wait on outcomes, not on timers."""
    values: dict[str, Any] = dict(
        url=url, token="test-token", org="tagtrail", bucket="tagtrail", flush_s=0.05,
        retry_initial_s=0.05, retry_max_s=0.5, timeout_s=5.0, close_timeout_s=10.0,
    )  # fmt: skip
    return InfluxConfig(**(values | overrides))


def series(server: VictoriaMetrics, name: str) -> dict[frozenset[tuple[str, str]], list[float]]:
    """Labels -> values of one metric."""
    return {labels: v for (n, labels), v in server.samples(f"{{__name__={name!r}}}").items()}


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    """A label set."""
    return frozenset(pairs.items())


def test_every_kind_is_read_back_with_its_values(vm: VictoriaMetrics) -> None:
    t0 = recent_ms()
    sink = InfluxSink(config(vm.url))
    sink.open()
    sink.write(topic(Kind.CONDITION), [condition("probe-1", t0, 4.5, 61.0)])
    sink.write(topic(Kind.CONDITION), [condition("probe-1", t0 + 60_000, 9.25)])
    sink.write(topic(Kind.POSITION), [fix("gps", t0, 52.5, 13.25, 22.5)])
    door_events = [crossing(n, "d1", "in", t0 + n * 10) for n in range(7)]
    sink.write(topic(Kind.PORTAL), [*door_events, crossing(99, "d2", "out", t0)])
    sink.write(topic(Kind.HEALTH), [report(t0, 42, {"r1": 120.5, "r2": 3.0})])
    sink.close()  # flushes

    health = sink.health()
    assert health["written"] == 2 + 1 + 8 + 3
    assert (health["dropped"], health["rejected"], health["queued"]) == (0, 0, 0)
    probe = labels(site="dc1", gateway="gw1", sensor="probe-1")
    wait_for(lambda: series(vm, "condition_temp_mean") or None, "condition points")
    assert series(vm, "condition_temp_mean") == {probe: [4.5, 9.25]}
    assert series(vm, "condition_temp_max") == {probe: [5.5, 10.25]}
    assert series(vm, "condition_rh_mean") == {probe: [61.0]}  # absent in the second: no zero
    assert series(vm, "condition_count") == {probe: [12.0, 12.0]}
    gps = labels(site="dc1", gateway="gw1", device="gps")
    assert series(vm, "position_lat") == {gps: [52.5]}
    assert series(vm, "position_lon") == {gps: [13.25]}
    assert series(vm, "position_speed") == {gps: [22.5]}
    assert series(vm, "position_heading") == {gps: [90.0]}
    door_in = labels(site="dc1", gateway="gw1", door="d1", direction="in")
    door_out = labels(site="dc1", gateway="gw1", door="d2", direction="out")
    assert series(vm, "portal_count") == {door_in: [1.0] * 7, door_out: [1.0]}
    assert series(vm, "gateway_outbox_depth") == {labels(site="dc1", gateway="gw1"): [42.0]}
    assert series(vm, "reader_reads_per_s") == {
        labels(site="dc1", gateway="gw1", reader="r1"): [120.5],
        labels(site="dc1", gateway="gw1", reader="r2"): [3.0],
    }


@pytest.mark.fault
def test_points_written_during_an_outage_arrive_after_it(vm: VictoriaMetrics) -> None:
    t0 = recent_ms()
    sink = InfluxSink(config(vm.url, batch_size=10))
    sink.open()
    try:
        sink.write(topic(Kind.CONDITION), [condition("before", t0, 1.0)])
        wait_for(lambda: sink.health()["written"] == 1 or None, "the first point written")
        vm.stop()
        temps = [float(n) for n in range(25)]
        for n, temp in enumerate(temps):
            sink.write(topic(Kind.CONDITION), [condition("during", t0 + n * 60_000, temp)])
        wait_for(lambda: sink.health()["failures"] >= 3 or None, "failed attempts while down")
        assert sink.health()["retrying"]
        assert sink.health()["written"] == 1
        vm.start()
        wait_for(lambda: sink.health()["written"] == 26 or None, "the queue drained")
    finally:
        sink.close()
    health = sink.health()
    assert (health["dropped"], health["retrying"], health["queued"]) == (0, False, 0)
    during = labels(site="dc1", gateway="gw1", sensor="during")
    assert wait_for(lambda: series(vm, "condition_temp_mean").get(during), "points") == temps


@pytest.mark.fault
def test_a_full_queue_drops_the_oldest_and_counts_them() -> None:
    server = VictoriaMetrics()  # its port is known; it starts only later
    t0 = recent_ms()
    sink = InfluxSink(config(server.url, batch_size=5, queue_max=10))
    sink.open()
    try:
        sink.write(topic(Kind.CONDITION), [condition("s", t0, 100.0)])
        wait_for(lambda: sink.health()["failures"] >= 1 or None, "the first batch failing")
        assert sink.health()["in_flight"] == 1
        temps = [float(n) for n in range(20)]
        batch = [condition("s", t0 + (n + 1) * 60_000, temp) for n, temp in enumerate(temps)]
        sink.write(topic(Kind.CONDITION), batch)
        assert (sink.health()["queued"], sink.health()["dropped"]) == (10, 10)
        server.start()
        wait_for(lambda: sink.health()["written"] == 11 or None, "the kept points written")
        sink.close()
        assert sink.health()["dropped"] == 10
        kept = [100.0, *temps[10:]]  # the batch in flight, then the newest ten
        found = series(server, "condition_temp_mean")
        assert found == {labels(site="dc1", gateway="gw1", sensor="s"): kept}
    finally:
        sink.close()
        server.remove()


@pytest.mark.fault
def test_close_counts_what_could_not_be_written() -> None:
    sink = InfluxSink(config(f"http://127.0.0.1:{free_port()}", close_timeout_s=0.3))
    sink.open()
    at = recent_ms()
    sink.write(topic(Kind.CONDITION), [condition("s", at + n * 60_000, 1.0) for n in range(3)])
    sink.close()
    sink.write(topic(Kind.CONDITION), [condition("s", at, 2.0)])  # after the close
    health = sink.health()
    assert (health["written"], health["dropped"], health["queued"]) == (0, 4, 0)


class _Refusing(BaseHTTPRequestHandler):
    """Answers every write the way InfluxDB refuses a field-type conflict."""

    requests: list[str]

    def do_POST(self) -> None:
        self.requests.append(self.path)
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"code": "unprocessable entity", "message": "field type conflict"})
        self.send_response(422)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def test_a_refused_batch_is_counted_and_not_retried() -> None:
    # Not an InfluxDB: a loopback receiver that answers 422 as InfluxDB 2 does to a type conflict.
    handler: type[_Refusing] = type("Refusing", (_Refusing,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sink = InfluxSink(config(f"http://127.0.0.1:{server.server_address[1]}"))
    sink.open()
    try:
        sink.write(topic(Kind.CONDITION), [condition("s", recent_ms(), 1.0)])
        wait_for(lambda: sink.health()["rejected"] == 1 or None, "the refusal counted")
    finally:
        sink.close()
        server.shutdown()
        server.server_close()
    assert handler.requests == ["/api/v2/write?org=tagtrail&bucket=tagtrail&precision=ns"]
    assert sink.health()["failures"] == 0
    assert "field type conflict" in sink.health()["last_error"]
