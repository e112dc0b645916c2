"""InfluxDB sink: applied events as time series, for the Grafana dashboards (off by default).

`write()` only turns events into line protocol and appends them to a bounded queue; one thread
sends batches through influxdb-client's synchronous write API and retries a failed batch with
capped exponential backoff until it is written. The client's own batching mode is not used: its
buffer has no bound and gives a batch up after a fixed retry time, where this sink keeps every
point it can hold and counts what it cannot. When the queue is full the oldest points go (the
SQL store keeps the record; a dashboard wants the present): counted and logged.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import urllib3
from influxdb_client.client.exceptions import InfluxDBError
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS, WriteApi
from influxdb_client.domain.write_precision import WritePrecision

from cloud.sinks.points import to_lines
from protocol.messages import WireModel
from protocol.topics import GatewayTopic

if TYPE_CHECKING:
    from cloud.settings import CloudSettings

log = logging.getLogger(__name__)

DROP_LOG_EVERY_S = 10.0  # a long outage logs its drops this often, not once per point
# Statuses worth waiting out: the server is busy, starting, or not set up (token, bucket) yet.
RETRY_STATUSES = frozenset({401, 403, 404, 408, 429})


@dataclass(frozen=True)
class InfluxConfig:
    """Where and how the sink writes."""

    url: str
    token: str
    org: str
    bucket: str
    batch_size: int = 1000
    flush_s: float = 1.0
    queue_max: int = 100_000
    retry_initial_s: float = 0.5
    retry_max_s: float = 30.0
    timeout_s: float = 10.0
    close_timeout_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: CloudSettings) -> InfluxConfig:
        """The TAGTRAIL_INFLUX_* settings."""
        return cls(
            url=settings.influx_url,
            token=settings.influx_token.get_secret_value(),
            org=settings.influx_org,
            bucket=settings.influx_bucket,
            batch_size=settings.influx_batch_size,
            flush_s=settings.influx_flush_s,
            queue_max=settings.influx_queue_max,
            retry_max_s=settings.influx_retry_max_s,
            timeout_s=settings.influx_timeout_s,
        )


class _RejectedError(Exception):
    """The server refused the batch itself (bad line, type conflict): retrying cannot help."""


class InfluxSink:
    """Sink and background component: bounded queue, one writer thread, retries with backoff."""

    name = "influx-sink"

    def __init__(self, config: InfluxConfig) -> None:
        self.config = config
        self._queue: deque[str] = deque()
        self._cond = threading.Condition()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._close_by = float("inf")  # monotonic deadline for the last flush
        self._dropped_logged_at = 0.0
        self._stats: dict[str, Any] = {
            "queued": 0, "in_flight": 0, "written": 0, "dropped": 0, "rejected": 0,
            "failures": 0, "retrying": False, "last_error": None,
        }  # fmt: skip

    def write(self, where: GatewayTopic, events: Sequence[WireModel]) -> None:
        """Queue the events' points; never blocks (the oldest points go when the queue is full)."""
        lines = to_lines(where, events)
        if not lines:
            return
        with self._cond:
            if self._closing.is_set():
                self._drop(len(lines), "the sink is closed")
                return
            self._queue.extend(lines)
            excess = len(self._queue) - self.config.queue_max
            for _ in range(max(excess, 0)):
                self._queue.popleft()
            if excess > 0:
                self._drop(excess, "the queue is full")
            self._stats["queued"] = len(self._queue)
            self._cond.notify()

    def health(self) -> dict[str, Any]:
        """Counters for /readyz: queued, in flight, written, dropped, rejected, failures."""
        with self._cond:
            return dict(self._stats)

    def open(self) -> None:
        """Start the writer thread (no server contact: a server that is down is only retried)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Write what is queued within close_timeout_s, count the rest as dropped, and stop."""
        thread, self._thread = self._thread, None
        with self._cond:
            self._close_by = time.monotonic() + self.config.close_timeout_s
            self._closing.set()
            self._cond.notify_all()
        if thread is not None:
            thread.join(self.config.close_timeout_s + self.config.timeout_s + 1.0)
            if thread.is_alive():
                log.error("influx sink: writer thread did not stop in time")

    async def start(self) -> None:
        """Background component start: open()."""
        self.open()

    async def stop(self) -> None:
        """Background component stop: close() off the event loop."""
        await asyncio.to_thread(self.close)

    def _run(self) -> None:
        cfg = self.config
        with InfluxDBClient(
            url=cfg.url, token=cfg.token, org=cfg.org, timeout=int(cfg.timeout_s * 1000)
        ) as client, client.write_api(write_options=SYNCHRONOUS) as api:  # fmt: skip
            while (batch := self._next_batch()) is not None:
                try:
                    self._deliver(api, batch)
                except Exception:
                    # Whatever a batch does, the writer must go on with the next one.
                    log.exception("influx sink: %d points lost to an unexpected error", len(batch))
                    with self._cond:
                        self._stats["in_flight"] = 0
                        self._drop(len(batch), "unexpected error")

    def _next_batch(self) -> list[str] | None:
        """Up to batch_size points once the batch is full or flush_s passed; None when closed."""
        cfg = self.config
        with self._cond:
            self._cond.wait_for(lambda: bool(self._queue) or self._closing.is_set())
            if self._closing.is_set() and time.monotonic() >= self._close_by:
                self._drop(len(self._queue), "not written before the sink closed")
                self._queue.clear()
                self._stats["queued"] = 0
            if not self._queue:
                return None
            self._cond.wait_for(
                lambda: len(self._queue) >= cfg.batch_size or self._closing.is_set(),
                timeout=cfg.flush_s,
            )
            n = min(cfg.batch_size, len(self._queue))
            batch = [self._queue.popleft() for _ in range(n)]
            self._stats.update(queued=len(self._queue), in_flight=n)
            return batch

    def _deliver(self, api: WriteApi, batch: list[str]) -> None:
        """Write one batch, retrying with backoff until written, refused, or past the close."""
        delay = self.config.retry_initial_s
        while True:
            try:
                self._send(api, batch)
            except _RejectedError as exc:
                self._refused(batch, str(exc))
                return
            except (InfluxDBError, urllib3.exceptions.HTTPError, OSError) as exc:
                if not self._failed(batch, _describe(exc)):
                    return
                self._pause(_backoff(delay, exc))
                delay = min(delay * 2, self.config.retry_max_s)
                continue
            self._settle(written=len(batch))
            return

    def _pause(self, seconds: float) -> None:
        if not self._closing.is_set():
            self._closing.wait(seconds)  # a close cuts the wait short
        else:  # closing: keep backing off, but not past the deadline
            time.sleep(max(0.0, min(seconds, self._close_by - time.monotonic())))

    def _send(self, api: WriteApi, batch: list[str]) -> None:
        try:
            api.write(
                bucket=self.config.bucket,
                org=self.config.org,
                record=batch,
                write_precision=WritePrecision.NS,  # type: ignore[arg-type]  # a str constant
            )
        except InfluxDBError as exc:
            status = getattr(exc, "status", None)
            if isinstance(status, int) and 400 <= status < 500 and status not in RETRY_STATUSES:
                raise _RejectedError(f"HTTP {status}: {exc.message}") from exc
            raise

    def _refused(self, batch: list[str], error: str) -> None:
        self._settle(rejected=len(batch), error=error)
        log.error("influx sink: %d points refused: %s (first: %s)", len(batch), error, batch[0])

    def _failed(self, batch: list[str], error: str) -> bool:
        """Count a failed attempt; False (and the batch dropped) once the close deadline passed."""
        with self._cond:
            self._stats["failures"] += 1
            first = not self._stats["retrying"]
            self._stats.update(retrying=True, last_error=error)
            if self._closing.is_set() and time.monotonic() >= self._close_by:
                self._stats["in_flight"] = 0
                self._drop(len(batch), f"not written before the sink closed ({error})")
                return False
        if first:
            log.warning("influx sink: write failed (%s); retrying with backoff", error)
        return True

    def _settle(self, written: int = 0, rejected: int = 0, error: str | None = None) -> None:
        with self._cond:
            was_retrying, failures = self._stats["retrying"], self._stats["failures"]
            self._stats["written"] += written
            self._stats["rejected"] += rejected
            self._stats.update(in_flight=0, retrying=False)
            if error:
                self._stats["last_error"] = error
        if was_retrying and written:
            log.info("influx sink: writing again (%d failed attempts in all)", failures)

    def _drop(self, n: int, why: str) -> None:
        """Count dropped points (caller holds the lock); log at most every DROP_LOG_EVERY_S."""
        if n <= 0:
            return
        self._stats["dropped"] += n
        now = time.monotonic()
        if now - self._dropped_logged_at >= DROP_LOG_EVERY_S or self._closing.is_set():
            self._dropped_logged_at = now
            log.warning(
                "influx sink: dropped %d points (%s); %d dropped in all",
                n,
                why,
                self._stats["dropped"],
            )


def _describe(exc: BaseException) -> str:
    status = getattr(exc, "status", None)
    if isinstance(exc, InfluxDBError) and status:
        return f"HTTP {status}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _backoff(delay: float, exc: BaseException) -> float:
    """The delay with jitter, or the server's Retry-After if it asked for longer."""
    retry_after = getattr(exc, "retry_after", None)
    try:
        asked = float(retry_after) if retry_after else 0.0
    except ValueError:
        asked = 0.0
    return max(delay * random.uniform(0.75, 1.25), asked)
