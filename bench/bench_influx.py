"""InfluxSink throughput into a local VictoriaMetrics (InfluxDB v2 write API), beside baselines
measured in the same run.

1. Caller cost: microseconds per event inside `write()` (it runs on the ingest's event loop).
2. Points/s from `write()` until written, by batch size, against one point per request.

Run: .venv/bin/python -m bench.bench_influx [--events N]
"""

from __future__ import annotations

import argparse
import time

from cloud.sinks.influx import InfluxConfig, InfluxSink
from protocol.messages import ConditionSample
from protocol.topics import Kind
from tests.cloud.sinks.events import condition, recent_ms, topic
from tests.cloud.sinks.servers import VictoriaMetrics


def make_events(count: int) -> list[ConditionSample]:
    """Distinct condition samples over 100 sensors, one second apart per sensor."""
    t0 = recent_ms(60 * 24)
    return [condition(f"s{i % 100}", t0 + (i // 100) * 1000, 4.0 + i % 7) for i in range(count)]


def points_per_s(url: str, events: list[ConditionSample], batch: int) -> tuple[float, float]:
    """(points/s until written, µs per event in write()) for one batch size."""
    sink = InfluxSink(InfluxConfig(url, "t", "o", "b", batch_size=batch, queue_max=len(events)))
    sink.open()
    where = topic(Kind.CONDITION)
    start = time.perf_counter()
    for i in range(0, len(events), 100):  # as the ingest hands them over: per message batch
        sink.write(where, events[i : i + 100])
    caller = time.perf_counter() - start
    while sink.health()["written"] + sink.health()["dropped"] < len(events):
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    sink.close()
    if sink.health()["dropped"]:
        raise SystemExit(f"{sink.health()['dropped']} points dropped")
    return len(events) / elapsed, caller / len(events) * 1e6


def line(label: str, rate: float, caller_us: float, baseline: float | None = None) -> None:
    """One table row."""
    ratio = f"{rate / baseline:6.1f}x" if baseline else "baseline"
    print(f"  {label:<32} {rate:12,.0f}  {caller_us:8.1f}  {ratio}")


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    events = make_events(args.events)
    server = VictoriaMetrics()
    server.start()
    try:
        print(f"{'condition points to VictoriaMetrics':<34} {'points/s':>12}  {'µs/event':>8}")
        few = events[: max(1, args.events // 50)]  # one point per request is slow
        base, caller = points_per_s(server.url, few, 1)
        line(f"1 point per request ({len(few):,})", base, caller)
        for batch in (500, 1000, 5000):
            rate, caller = points_per_s(server.url, events, batch)
            line(f"{batch} per request ({len(events):,})", rate, caller, base)
    finally:
        server.remove()


if __name__ == "__main__":
    main()
