"""An emulated LLRP reader: a TCP server that plays one scenario reader's reads to its client."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from firmware_sim.llrp import encode
from firmware_sim.llrp.capabilities import ReaderModel
from firmware_sim.llrp.connection import ClientConnection
from firmware_sim.llrp.constants import HEADER_LEN, ConnectionStatus, Event
from firmware_sim.llrp.counters import Counters, DropLog
from firmware_sim.llrp.decode import Header
from firmware_sim.llrp.options import EmulatorOptions, NotConnectedError
from firmware_sim.llrp.playback import PlaybackClock, ReadTimeline
from firmware_sim.llrp.report import EpcTable, ReportEncoder, ReportFormat
from firmware_sim.llrp.reporting import HeldReads, ReportBatcher, ReportPolicy
from firmware_sim.llrp.requests import DEFAULT_REPORT_SPEC
from firmware_sim.llrp.session import MessageHandler, Reply
from firmware_sim.llrp.state import ReaderState, RoEntry
from firmware_sim.scenario.types import Reads, Scenario

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Inventory:
    """The running ROSpec: how its reads are filtered, batched and encoded."""

    entry: RoEntry
    encoder: ReportEncoder
    batcher: ReportBatcher
    antennas: npt.NDArray[np.bool_] | None  # by antenna port: inventoried? (None = all)
    per_message: int
    stop_at_us: int


class ReaderEmulator:
    """One emulated reader on its own TCP port; one client at a time, as with real readers."""

    def __init__(
        self,
        scenario: Scenario,
        reader: int,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        options: EmulatorOptions | None = None,
        clock: PlaybackClock | None = None,
        epcs: EpcTable | None = None,
    ) -> None:
        self.options = options or EmulatorOptions()
        spec = scenario.readers[reader]
        self.name = spec.name
        self.host, self.port = host, port
        self.clock = clock or PlaybackClock(self.options.speed)
        self.model = ReaderModel(name=spec.name, antennas=max((4, *spec.antennas)))
        self.state = ReaderState(self.model, self)
        self.counters = Counters()
        self._epoch_us = scenario.start_us + spec.clock_skew_us
        self._timeline = ReadTimeline(scenario, reader, loop=self.options.loop)
        self._antennas_in_use = frozenset(
            int(a) for a in np.unique(self._timeline.reads["antenna"])
        )
        self._epcs = epcs or EpcTable(scenario.epcs)
        self._handler = MessageHandler(self)
        self._held = HeldReads(self.options.max_held_reads)
        self._conn: ClientConnection | None = None
        self._inv: _Inventory | None = None
        self._deferred: list[tuple[bytes, int, int]] | None = None
        self._msg_id = 0
        self._server: asyncio.Server | None = None
        self._playback: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._inventorying = asyncio.Event()
        self.finished = asyncio.Event()
        self._drop_logs = {
            "disconnected": DropLog(logger, "no client connected"),
            "overflow": DropLog(logger, "client too slow or hold buffer full"),
            "idle": DropLog(logger, "no ROSpec running: not inventoried", logging.INFO),
        }

    # Lifecycle
    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one) and begin playback."""
        self._server = await asyncio.start_server(self._on_client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._playback = asyncio.create_task(self._play(), name=f"llrp-playback-{self.name}")
        self._playback.add_done_callback(self._playback_ended)
        if self.options.clock_start == "now":
            self.clock.start()
        logger.info("reader %s listening on %s:%d", self.name, self.host, self.port)

    async def stop(self) -> None:
        """Stop serving: close the listener, drop the client, end playback."""
        if self._server is not None:
            self._server.close()
        if self._playback is not None:
            self._playback.cancel()
            await asyncio.gather(self._playback, return_exceptions=True)
        conn = self._conn
        if conn is not None:
            conn.closing_reason = "reader shutting down"
            conn.abort()
            await conn.closed.wait()
        if self._server is not None:
            await self._server.wait_closed()

    def _playback_ended(self, task: asyncio.Task[None]) -> None:
        # Without this, a failure in playback would only surface when the task is collected.
        if not task.cancelled() and task.exception() is not None:
            logger.error("reader %s: playback failed", self.name, exc_info=task.exception())

    @property
    def connected(self) -> bool:
        """Whether a client is connected."""
        return self._conn is not None

    @property
    def inventorying(self) -> bool:
        """Whether a ROSpec is running (reads flow only then)."""
        return self._inv is not None

    async def wait_connected(self, timeout: float | None = 10.0) -> None:
        """Wait until a client is connected."""
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def wait_inventorying(self, timeout: float | None = 10.0) -> None:
        """Wait until a ROSpec is running."""
        await asyncio.wait_for(self._inventorying.wait(), timeout)

    async def wait_finished(self, timeout: float | None = None) -> None:
        """Wait until every read of the scenario has fallen due (never, when looping)."""
        await asyncio.wait_for(self.finished.wait(), timeout)

    def _new_id(self, count: int = 1) -> int:
        """The next message ID (reader-initiated messages number themselves), reserving count."""
        first = self._msg_id % 0xFFFFFFFF + 1  # IDs run 1 .. 2**32 - 1, then wrap
        self._msg_id = (first + count - 1) % 0xFFFFFFFF
        return first

    def reader_now_us(self) -> int:
        """The reader's own clock: scenario time, with its skew."""
        return self._epoch_us + self.clock.offset_us()

    # Fault injection
    def _client(self) -> ClientConnection:
        conn = self._conn
        if conn is None or conn.closed.is_set():
            raise NotConnectedError(f"reader {self.name}: no client connected")
        return conn

    async def inject_garbage(self, n_bytes: int = 64, *, seed: int | None = None) -> None:
        """Send n random bytes that cannot be an LLRP header (first byte 0xFF)."""
        conn = self._client()
        data = bytearray(random.Random(seed).randbytes(n_bytes))
        if data:
            data[0] = 0xFF  # reserved header bits set: no client can mistake it for LLRP
        self._fault(f"injecting {n_bytes} garbage bytes")
        conn.write_raw(bytes(data))
        await conn.drain()

    async def cut_mid_message(self) -> None:
        """Send the first half of an RO_ACCESS_REPORT, then close the connection."""
        conn = self._client()
        data = self._sample_report()
        half = max(HEADER_LEN + 1, len(data) // 2)
        self._fault(f"cutting the connection {half} bytes into a {len(data)}-byte message")
        conn.write_raw(data[:half])
        conn.closing_reason = "cut mid-message by fault injection"
        await conn.close()
        await conn.closed.wait()

    def pause(self) -> None:
        """Stall the connection: nothing is read, answered or sent until resume()."""
        self._client().pause()
        self._fault("stalling the connection")

    def resume(self) -> None:
        """End a stall; what queued up meanwhile is sent."""
        self._client().resume()
        logger.warning("reader %s: connection resumed", self.name)

    async def drop_connection(self, *, graceful: bool = False) -> None:
        """Drop the client: reset the connection, or (graceful) say ConnectionClose and close."""
        conn = self._client()
        self._fault(f"dropping the connection ({'graceful' if graceful else 'reset'})")
        if graceful:
            conn.send(encode.connection_close(self._new_id(), self.reader_now_us()))
            conn.closing_reason = "closed by the reader"
            await conn.close()
        else:
            conn.closing_reason = "reset by fault injection"
            conn.abort()
        await conn.closed.wait()

    def _fault(self, what: str) -> None:
        self.counters.faults_injected += 1
        peer = self._conn.peer if self._conn else "-"
        logger.warning("reader %s: fault injection on client %s: %s", self.name, peer, what)

    def _sample_report(self) -> bytes:
        reads = self._timeline.reads[:1]
        if not len(reads):
            return encode.connection_close(self._new_id(), self.reader_now_us())
        encoder = self._encoder(ReportFormat(DEFAULT_REPORT_SPEC.selector))
        return encoder.messages(reads, 1, self._new_id())[0]

    # Connections
    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = ClientConnection(self, reader, writer, self.options.max_unsent_bytes)
        if not await self._may_connect():
            await self._reject(conn)
            return
        self._conn = conn
        self.counters.connections += 1
        conn.reports_enabled = not self._holding  # held until ENABLE_EVENTS_AND_REPORTS
        logger.info("reader %s: client %s connected", self.name, conn.peer)
        conn.send(encode.connection_attempt(self._new_id(), self.reader_now_us()))
        self._connected.set()
        try:
            await conn.run()
        finally:
            self._deferred = None
            if self._conn is conn:
                self._conn = None
                self._connected.clear()
            self.counters.disconnects += 1

    async def _may_connect(self) -> bool:
        old = self._conn
        if old is None:
            return True
        try:  # the previous client may be going away right now (a reconnect races its EOF)
            await asyncio.wait_for(old.closed.wait(), self.options.reconnect_grace_s)
        except TimeoutError:
            return False
        return True

    async def _reject(self, conn: ClientConnection) -> None:
        self.counters.connections_rejected += 1
        logger.warning(
            "reader %s: refused client %s: client %s is connected",
            self.name,
            conn.peer,
            self._conn.peer if self._conn else "?",
        )
        status = ConnectionStatus.FAILED_CLIENT_CONNECTION_EXISTS
        conn.send(encode.connection_attempt(self._new_id(), self.reader_now_us(), status))
        await conn.close()

    # ConnectionOwner and SessionHooks
    @property
    def keepalive_ms(self) -> int:
        """Keepalive period the client configured (0 = none)."""
        return self.state.settings.keepalive_ms

    def keepalive_message(self) -> bytes:
        """A KEEPALIVE with a fresh message ID."""
        return encode.keepalive(self._new_id())

    def handle(self, header: Header, body: bytes) -> Reply:
        """Handle a client message; what it makes due waits for flush_deferred()."""
        self._deferred = []
        return self._handler.handle(header, body)

    def flush_deferred(self) -> None:
        """Send events and reports that the last command made due, after its response."""
        items, self._deferred = self._deferred or [], None
        for data, reads, reports in items:
            self._transmit(data, reads, reports)

    def settings_changed(self) -> None:
        """New keepalive period or hold flag."""
        if self._conn is not None:
            self._conn.kick_keepalive()

    def events_enabled(self) -> None:
        """ENABLE_EVENTS_AND_REPORTS: release held reads to this client."""
        conn = self._conn
        if conn is None:
            return
        conn.reports_enabled = True
        chunks = self._held.take()
        for chunk in chunks:
            self._deliver(self._encoder(chunk.format), chunk.per_message, chunk.reads)
        self.counters.reads_held = self._held.count
        if chunks:
            logger.info("reader %s: delivering reads held while no client was connected", self.name)

    def report_requested(self) -> None:
        """GET_REPORT: report pending reads now."""
        inv = self._inv
        if inv is not None:
            self._deliver(inv.encoder, inv.per_message, inv.batcher.drain())
            self.counters.reads_pending = 0

    def keepalive_acked(self) -> None:
        """Count a KEEPALIVE_ACK."""
        self.counters.keepalive_acks += 1

    # SpecListener
    def rospec_started(self, entry: RoEntry) -> None:
        """Reads start flowing under this ROSpec's antennas and report spec."""
        if self.options.clock_start == "rospec":
            self.clock.start()
        report = self.state.report_spec_of(entry)
        spec = entry.spec
        fmt = ReportFormat(
            report.selector, spec.rospec_id, 1, spec.ai_specs[0].inventory_spec_ids[0]
        )
        policy = ReportPolicy.of(spec, report)
        now = self.clock.offset_us()
        cap = self.options.max_tags_per_report
        antennas = self._antenna_filter(spec.antennas)
        self._inv = _Inventory(
            entry=entry,
            encoder=self._encoder(fmt),
            batcher=ReportBatcher(policy, now, self.options.max_pending_reads),
            antennas=antennas,
            per_message=min(policy.per_message or cap, cap),
            stop_at_us=now + policy.stop_after_us if policy.stop_after_us else 0,
        )
        self._inventorying.set()
        self._event(Event.ROSPEC, lambda i, t: encode.rospec_event(i, t, 0, spec.rospec_id))
        if self._conn is not None and not self._conn.reports_enabled:
            self.events_enabled()  # a client that starts inventory wants its reports
        logger.info("reader %s: ROSpec %d running (%s)", self.name, spec.rospec_id, policy)

    def rospec_stopped(self, entry: RoEntry) -> None:
        """End of ROSpec: whatever is still pending is reported."""
        inv, self._inv = self._inv, None
        self._inventorying.clear()
        if inv is not None:
            self._deliver(inv.encoder, inv.per_message, inv.batcher.drain())
        self.counters.reads_pending = 0
        rospec_id = entry.spec.rospec_id
        self._event(Event.ROSPEC, lambda i, t: encode.rospec_event(i, t, 1, rospec_id))
        logger.info("reader %s: ROSpec %d stopped", self.name, rospec_id)

    def _antenna_filter(self, wanted: frozenset[int] | None) -> npt.NDArray[np.bool_] | None:
        """Lookup table by antenna port, or None when the ROSpec covers every antenna in use."""
        if wanted is None or wanted >= set(self._antennas_in_use):
            return None
        table = np.zeros(1 << 16, np.bool_)  # indexed by any int16 port, negatives included
        table[sorted(wanted)] = True
        return table

    def _event(self, kind: Event, build: Callable[[int, int], bytes]) -> None:
        if self._conn is not None and self.state.settings.events.get(kind):
            self._emit(build(self._new_id(), self.reader_now_us()), 0, 0)

    # Playback
    async def _play(self) -> None:
        await self.clock.wait_started()
        timeline = self._timeline
        while True:
            now = self.clock.offset_us()
            self._ingest(timeline.take_due(now))
            self._check_timers(now)
            if timeline.finished:
                break
            await asyncio.sleep(self.options.tick_s)
        if self._inv is not None:
            inv = self._inv
            self._deliver(inv.encoder, inv.per_message, inv.batcher.drain())
            self.counters.reads_pending = 0
        self.finished.set()
        c = self.counters
        logger.info(
            "reader %s: scenario played out: %d reads due, %d sent, %d idle, %d dropped",
            self.name,
            c.reads_due,
            c.reads_sent,
            c.reads_idle,
            c.reads_dropped_disconnected + c.reads_dropped_overflow,
        )

    def _ingest(self, reads: Reads) -> None:
        n = len(reads)
        if not n:
            return
        self.counters.reads_due += n
        inv = self._inv
        if inv is None:
            self._idle(n)  # nothing inventories: the tags go unread
            return
        if inv.antennas is not None:
            reads = reads[inv.antennas[reads["antenna"]]]
            self._idle(n - len(reads))
        forced = inv.batcher.forced
        for group in inv.batcher.add(reads):
            self._deliver(inv.encoder, inv.per_message, group)
        self.counters.reads_pending = inv.batcher.pending
        if inv.batcher.forced > forced:
            logger.info("reader %s: report buffer full, reported it at once", self.name)

    def _idle(self, n: int) -> None:
        if n:
            self.counters.reads_idle += n
            self._drop_logs["idle"].dropped(self.name, n, self.counters.reads_idle)

    def _check_timers(self, now_us: int) -> None:
        inv = self._inv
        if inv is None:
            return
        if inv.stop_at_us and now_us >= inv.stop_at_us:
            self.state.end_active()  # Duration stop trigger; rospec_stopped reports the rest
            return
        for group in inv.batcher.tick(now_us):
            self._deliver(inv.encoder, inv.per_message, group)
        self.counters.reads_pending = inv.batcher.pending

    # Delivery
    @property
    def _holding(self) -> bool:
        return self.options.hold_reports or self.state.settings.hold_events

    def _encoder(self, fmt: ReportFormat) -> ReportEncoder:
        return self._epcs.encoder(fmt)

    def _deliver(self, encoder: ReportEncoder, per_message: int, reads: Reads) -> None:
        n = len(reads)
        if not n:
            return
        conn = self._conn
        if conn is not None and conn.reports_enabled:
            data, count = encoder.messages(reads, per_message, self._msg_id + 1)
            self._new_id(count)
            self._emit(data, n, count)
        elif self._holding:
            dropped = self._held.add(encoder.format, per_message, reads)
            self.counters.reads_held = self._held.count
            self._dropped("overflow", dropped)
        else:
            self._dropped("disconnected", n)

    def _emit(self, data: bytes, reads: int, reports: int) -> None:
        if self._deferred is not None:
            self._deferred.append((data, reads, reports))
        else:
            self._transmit(data, reads, reports)

    def _transmit(self, data: bytes, reads: int, reports: int) -> None:
        conn = self._conn
        if conn is None:
            self._dropped("disconnected", reads)
        elif conn.send(data, droppable=reads > 0):
            self.counters.reads_sent += reads
            self.counters.reports_sent += reports
        else:
            self._dropped("overflow", reads)

    def _dropped(self, why: Literal["disconnected", "overflow"], n: int) -> None:
        if not n:
            return
        if why == "disconnected":
            self.counters.reads_dropped_disconnected += n
            total = self.counters.reads_dropped_disconnected
        else:
            self.counters.reads_dropped_overflow += n
            total = self.counters.reads_dropped_overflow
        self._drop_logs[why].dropped(self.name, n, total)
