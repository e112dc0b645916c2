"""End-to-end gateway throughput and memory, beside a bare-sllurp baseline in the same run.

Emulated readers (a load scenario, pinned to CPU 1) → the gateway (`tagtrail edge`, pinned to
CPU 0: readers via sllurp, pipeline, outbox, Mosquitto on 127.0.0.1:1883). The baseline is
unmodified sllurp clients that only count reads, on the same CPU, under the same load. A rate
is sustained when the gateway took every read sent (none dropped anywhere) and kept up.

    python -m bench.bench_e2e [--readers 20] [--rates 1000,1500] [--duration 30]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psutil
from paho.mqtt.enums import CallbackAPIVersion

from edge.config import dump_config
from firmware_sim.scenario.gateway_config import gateway_config_for
from firmware_sim.scenario.load import LoadConfig, build_load
from protocol.codec import decode
from protocol.messages import GatewayHealth
from protocol.topics import Kind, subscription

SITE = "bench"
GATEWAY_CPU, EMULATOR_CPU = 0, 1


@dataclass(frozen=True)
class Run:
    """What one run measured over its steady window."""

    label: str
    offered: float  # reads/s the emulators sent
    taken: float  # reads/s the client took
    cpu: float  # share of one core used by the client
    rss_mb: float  # peak resident memory of the client
    sent: int
    received: int
    dropped: int  # emulator drops (client too slow) + gateway queue drops
    tags: int = 0

    @property
    def sustained(self) -> bool:
        """Every read sent arrived and nothing was dropped."""
        return self.dropped == 0 and self.received >= self.sent


def main() -> int:
    """Run every configuration and print the table."""
    args = _parser().parse_args()
    print(f"{'client':<34}{'offered/s':>11}{'taken/s':>10}{'cpu':>7}{'rss MB':>8}{'ok':>5}")
    for rate in (float(r) for r in args.rates.split(",")):
        load = LoadConfig(readers=args.readers, reads_per_s=rate, duration_s=args.duration)
        for client in ("sllurp", "gateway"):
            _print(_run(client, load))
    memory = LoadConfig(
        mode="inventory",
        readers=args.readers,
        reads_per_s=args.memory_rate,
        duration_s=args.memory_duration,
        population=args.population,
    )
    idle = _run("gateway", replace(memory, duration_s=3.0, population=1000), "1,000 tags")
    full = _run("gateway", memory, f"{memory.population:,} tags")
    _print(idle)
    _print(full)
    print(f"\ngateway RSS with {full.tags:,} distinct tags in view: {full.rss_mb:.0f} MB "
          f"({full.rss_mb - idle.rss_mb:+.0f} MB over {idle.tags:,} tags)")  # fmt: skip
    return 0


def _print(run: Run) -> None:
    ok = "yes" if run.sustained else "NO"
    print(
        f"{run.label:<34}{run.offered:>11,.0f}{run.taken:>10,.0f}{run.cpu:>7.0%}"
        f"{run.rss_mb:>8.0f}{ok:>5}",
        flush=True,
    )
    if not run.sustained:
        print(f"    sent {run.sent:,}, taken {run.received:,}, dropped {run.dropped:,}")


def _run(client: str, load: LoadConfig, note: str = "") -> Run:
    base = _free_ports(load.readers)
    with tempfile.TemporaryDirectory() as tmp, _emulator(load, base) as emulator:
        proc, reads = _client(client, load, base, Path(tmp))
        samples = _sample(proc, reads, emulator)
        proc.terminate()
        proc.wait(30)
        counters: dict[str, dict[str, int]] = json.loads(emulator.stdout.readline())  # type: ignore[union-attr]
    label = f"{client} {load.mode} {load.readers}x{load.reads_per_s:,.0f}/s {note}".strip()
    return _summarise(label, load.readers * load.reads_per_s, samples, counters, reads)


@contextmanager
def _emulator(load: LoadConfig, base: int) -> Iterator[subprocess.Popen[str]]:
    cmd = [sys.executable, "-m", "bench.serve_load", "--mode", load.mode]
    cmd += ["--readers", str(load.readers), "--rate", str(load.reads_per_s)]
    cmd += ["--duration", str(load.duration_s), "--population", str(load.population)]
    cmd += ["--port", str(base), "--cpu", str(EMULATOR_CPU)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "listening":
            raise RuntimeError("emulator did not start")
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)


class _Reads:
    """The client's running read count (and tags tracked), however the client reports it."""

    def __init__(self) -> None:
        self.total = 0
        self.tags = 0
        self.dropped = 0


def _client(
    client: str, load: LoadConfig, base: int, tmp: Path
) -> tuple[subprocess.Popen[str], _Reads]:
    reads = _Reads()
    if client == "sllurp":
        cmd = [sys.executable, "-m", "bench.sllurp_sink", "--readers", str(load.readers)]
        cmd += ["--port", str(base), "--cpu", str(GATEWAY_CPU)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=_log(tmp), text=True)
        threading.Thread(target=_follow_sink, args=(proc, reads), daemon=True).start()
        return proc, reads
    config_path = _gateway_config(load, base, tmp)
    _watch_health(reads)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tagtrail",
            "--log-level",
            "WARNING",
            "edge",
            "--config",
            str(config_path),
        ],
        text=True,
    )
    psutil.Process(proc.pid).cpu_affinity([GATEWAY_CPU])
    return proc, reads


def _log(tmp: Path) -> int:
    # Clients log reconnect attempts once the emulators are gone: keep that out of the table.
    return os.open(tmp / "client.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)


def _gateway_config(load: LoadConfig, base: int, tmp: Path) -> Path:
    layout = build_load(replace(load, duration_s=0.01, population=100), seed=1)
    config = gateway_config_for(
        layout, site=SITE, gateway="gw", base_port=base, outbox_path=tmp / "outbox.sqlite"
    )
    config = config.model_copy(update={"health_interval_s": 0.5})
    path = tmp / "gateway.yaml"
    path.write_text(dump_config(config))
    return path


def _follow_sink(proc: subprocess.Popen[str], reads: _Reads) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        reads.total = int(json.loads(line)["reads"])


def _watch_health(reads: _Reads) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)

    def on_message(_c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        for event in decode(Kind.HEALTH, bytes(message.payload)).events:
            assert isinstance(event, GatewayHealth)
            reads.total = sum(r.reads_total for r in event.readers)
            reads.tags, reads.dropped = event.tags_tracked, event.reads_dropped

    client.on_message = on_message
    client.on_connect = lambda c, _u, _f, _r, _p: c.subscribe(subscription(Kind.HEALTH, SITE))
    client.connect("127.0.0.1", 1883)
    client.loop_start()


Sample = tuple[float, float, float, int]  # wall s, client cpu s, rss bytes, reads


def _sample(
    proc: subprocess.Popen[str], reads: _Reads, emulator: subprocess.Popen[str]
) -> list[Sample]:
    ps = psutil.Process(proc.pid)
    samples: list[Sample] = []
    settle_until = None
    while settle_until is None or time.monotonic() < settle_until:
        if settle_until is None and emulator.poll() is not None:
            settle_until = time.monotonic() + 3.0  # let the last reports and health arrive
        cpu = ps.cpu_times()
        samples.append((time.monotonic(), cpu.user + cpu.system, ps.memory_info().rss, reads.total))
        time.sleep(0.5)
    return samples


def _summarise(
    label: str,
    offered: float,
    samples: list[Sample],
    counters: dict[str, dict[str, int]],
    reads: _Reads,
) -> Run:
    sent = sum(c["reads_sent"] for c in counters.values())
    dropped = sum(
        c["reads_dropped_overflow"] + c["reads_dropped_disconnected"] for c in counters.values()
    )
    window = _steady(samples)
    (t0, c0, _, r0), (t1, c1, _, r1) = window[0], window[-1]
    dt = max(t1 - t0, 1e-9)
    return Run(
        label=label,
        offered=offered,
        taken=(r1 - r0) / dt,
        cpu=(c1 - c0) / dt,
        rss_mb=max(s[2] for s in samples) / 2**20,
        sent=sent,
        received=samples[-1][3],
        dropped=dropped + reads.dropped,
        tags=reads.tags,
    )


def _steady(samples: list[Sample]) -> list[Sample]:
    # From the first read to the last growth of the count, less a second at each end.
    moving = [i for i in range(1, len(samples)) if samples[i][3] > samples[i - 1][3]]
    if len(moving) < 6:
        return samples
    return samples[moving[0] + 2 : moving[-1] - 1]


def _free_ports(n: int) -> int:
    for base in range(21000, 60000, 100):
        if all(_port_free(base + i) for i in range(n)):
            return base
    raise RuntimeError("no free port range")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--rates", default="1000,1500", help="reads/s per reader, comma separated")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per run")
    parser.add_argument("--population", type=int, default=100_000, help="tags in view (memory)")
    parser.add_argument("--memory-rate", type=float, default=1500.0, help="reads/s per reader")
    parser.add_argument("--memory-duration", type=float, default=20.0)
    return parser


if __name__ == "__main__":
    sys.exit(main())
