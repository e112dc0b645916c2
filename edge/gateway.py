"""The gateway: readers → bounded queue → kernel pipeline → outbox → MQTT publisher.

Threads: one supervisor (+ sllurp socket thread) per reader pushes read batches into a bounded
queue; the caller's thread runs the pipeline (`run`), decides events and appends them to the
durable outbox; the publisher thread drains the outbox to the broker.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence

from edge.config import GatewayConfig
from edge.emit import Emitter
from edge.kernels.pipeline import Decision, Pipeline
from edge.outbox import Outbox
from edge.readers.batch import ReadBatch
from edge.readers.llrp import LlrpReader, now_us
from edge.sources import build_sources
from edge.transport.publisher import Publisher
from protocol.codec import encode
from protocol.ids import make_event_id
from protocol.messages import GatewayHealth
from protocol.topics import Kind
from tagtrail import __version__

logger = logging.getLogger(__name__)

TICK_S = 0.05  # how often decisions are taken when reads are sparse
MAX_DRAIN = 256  # batches taken from the queue per step, so decisions keep flowing
OFFER_TIMEOUT_S = 1.0  # how long a reader thread waits on a full queue before dropping
DROP_LOG_INTERVAL_S = 10.0


class Gateway:
    """One edge gateway; `run(stop)` blocks until stop is set, then shuts down cleanly."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.outbox = Outbox(config.outbox)
        self.publisher = Publisher.for_gateway(config, self.outbox)
        self.pipeline = Pipeline(config)
        self.emitter = Emitter(config.gateway)
        self.readers = [LlrpReader(rc, i, self.offer) for i, rc in enumerate(config.readers)]
        self.sources = build_sources(config)
        self._queue: queue.Queue[ReadBatch] = queue.Queue(config.read_queue_max)
        self._lock = threading.Lock()
        self._reads_dropped = 0
        self._drop_logged = float("-inf")
        self._produced = 0
        self._started = time.monotonic()
        self._next_health = self._started

    # -- called from reader threads ---------------------------------------------------------

    def offer(self, batch: ReadBatch) -> None:
        """Queue a read batch; wait briefly when full (backpressure), then drop and count it."""
        try:
            self._queue.put(batch, timeout=OFFER_TIMEOUT_S)
        except queue.Full:
            self._note_drop(batch)

    def _note_drop(self, batch: ReadBatch) -> None:
        with self._lock:
            self._reads_dropped += len(batch)
            total = self._reads_dropped
            due = time.monotonic() - self._drop_logged >= DROP_LOG_INTERVAL_S
            if due:
                self._drop_logged = time.monotonic()
        if due:
            logger.warning("read queue full: dropped %d reads so far", total)

    # -- the pipeline thread -----------------------------------------------------------------

    def start(self) -> None:
        """Start the publisher and the readers."""
        logger.info(
            "gateway %s/%s: %d readers, outbox %s, broker %s:%s",
            self.config.site,
            self.config.gateway,
            len(self.readers),
            self.config.outbox.path,
            self.config.mqtt.host,
            self.config.mqtt.port,
        )
        self.publisher.start()
        for reader in self.readers:
            reader.start()
        for source in self.sources:
            source.start()

    def run(self, stop: threading.Event) -> None:
        """Start, process until stop is set, then shut down."""
        self.start()
        try:
            while not stop.is_set():
                self.step()
        finally:
            self.shutdown()

    def step(self, wait_s: float = TICK_S) -> int:
        """Take queued reads, decide what is due, write events; return events produced."""
        for batch in self._take(wait_s):
            self.pipeline.push_batch(batch)
        now = now_us()
        produced = self._emit(self.pipeline.advance(now))
        produced += self._drain_sources(now)
        if time.monotonic() >= self._next_health:
            self._next_health = time.monotonic() + self.config.health_interval_s
            self.publish_health()
        return produced

    def _take(self, wait_s: float) -> list[ReadBatch]:
        try:
            batches = [self._queue.get(timeout=wait_s)]
        except queue.Empty:
            return []
        while len(batches) < MAX_DRAIN:
            try:
                batches.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batches

    def _emit(self, decided: Sequence[Decision]) -> int:
        rows = self.emitter.outbox_rows(decided)
        if rows:
            self.outbox.append(rows)
            self._produced += len(rows)
        return len(rows)

    def _drain_sources(self, now: int) -> int:
        rows = [row for source in self.sources for row in source.drain(now)]
        if rows:
            self.outbox.append(rows)
            self._produced += len(rows)
        return len(rows)

    def shutdown(self, publish_timeout_s: float = 5.0) -> None:
        """Stop readers, decide what is pending, hand it to the outbox, stop the publisher."""
        for reader in self.readers:
            reader.stop()
        for source in self.sources:
            source.stop()
        self._drain_sources(now_us())
        for batch in self._take(0.0):
            self.pipeline.push_batch(batch)
        self._emit(self.pipeline.flush())
        self.publish_health()
        self.publisher.stop(publish_timeout_s)
        self.outbox.close()
        logger.info("gateway stopped: %d events produced", self._produced)

    # -- health ------------------------------------------------------------------------------

    def health(self) -> GatewayHealth:
        """A health report of the whole gateway."""
        time_ms = now_us() // 1000
        stats = self.outbox.stats()
        with self._lock:
            reads_dropped = self._reads_dropped
        return GatewayHealth(
            id=make_event_id(self.config.gateway, Kind.HEALTH, time_ms),
            time_ms=time_ms,
            uptime_s=round(time.monotonic() - self._started, 3),
            version=__version__,
            readers=tuple(r.health() for r in self.readers),
            events_produced=self._produced,
            outbox_depth=stats.depth,
            outbox_dropped=stats.dropped_total,
            reads_dropped=reads_dropped,
            tags_tracked=len(self.pipeline.epcs),
            decided_until_ms=_ms(self.pipeline.decided_until_us()),
            sources=tuple(source.health() for source in self.sources),
        )

    def publish_health(self) -> None:
        """Send a health report (best effort: not through the outbox)."""
        report = self.health()
        self.publisher.publish_now(Kind.HEALTH, encode(Kind.HEALTH, [report], report.time_ms))


def _ms(us: int | None) -> int | None:
    return None if us is None else us // 1000


class GatewayThread:
    """A gateway running on a thread of this process (rehearsals, tests); stop() flushes it."""

    def __init__(self, config: GatewayConfig) -> None:
        self.gateway = Gateway(config)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self.gateway.run,
            args=(self._stop,),
            name=f"gateway-{config.gateway}",
            daemon=True,
        )

    def start(self) -> Gateway:
        """Start the gateway."""
        self._thread.start()
        return self.gateway

    def stop(self, timeout: float = 30.0) -> None:
        """Stop, flush what is pending and wait for the shutdown to finish."""
        self._stop.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning(
                "gateway %s did not stop within %.0fs", self.gateway.config.gateway, timeout
            )

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
