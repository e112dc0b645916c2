"""MQTT publisher that drains the outbox: per-kind batches at QoS 1, deleted only on PUBACK.

Threading: start() runs one transport thread. It owns the MQTT connection (all network I/O,
all paho callbacks) and is the only caller of Outbox.next_batch() and Outbox.ack(). Other
threads call publish_now(), stats(), wait_connected(), wait_idle() and stop(); those touch only
a lock-guarded queue, plain counters and events.

Delivery: at least once. Events leave the outbox when the PUBACK of the message carrying them
arrives. When the connection ends, every unacknowledged message is forgotten and its events are
sent again, oldest first, after the next connect, so the receiver sees each kind in order with
at most a repeated tail, and repeats are byte-identical rows (the cloud deduplicates by ID).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable

from paho.mqtt.enums import MQTTProtocolVersion

from edge.config import GatewayConfig, MqttConfig
from edge.outbox import Outbox, PendingEvent
from edge.transport.availability import availability_payload
from edge.transport.backoff import Backoff
from edge.transport.direct import DirectQueue, Message
from edge.transport.health import ConnectionLog, Counters, TransportStats
from edge.transport.session import Ack, Outcome, Session, Will
from protocol.codec import MAX_PAYLOAD_BYTES, encode_rows
from protocol.topics import Kind, gateway_topic, status_topic
from tagtrail import __version__

LOG = logging.getLogger(__name__)

POLL_S = 0.05  # longest wait for network events before looking at the outbox again
CONNACK_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 3.0  # how long an MQTT 5 CONNECT may go unanswered before trying 3.1.1
STABLE_SESSION_S = 10.0  # a connection that lasted this long resets the reconnect backoff
PAYLOAD_BUDGET = MAX_PAYLOAD_BYTES - 4096  # room for the batch header
NOW_QUEUE_MAX = 256


class Publisher:
    """Drain an Outbox to an MQTT broker on a background thread; see the module docstring."""

    def __init__(
        self,
        outbox: Outbox,
        config: MqttConfig,
        site: str,
        gateway: str,
        *,
        version: str = __version__,
        now_queue_max: int = NOW_QUEUE_MAX,
    ) -> None:
        self.outbox = outbox
        self.config = config
        self.version = version
        self._topics = {kind: gateway_topic(site, gateway, kind) for kind in Kind}
        self._status_topic = status_topic(site, gateway)
        self._client_id = config.client_id or f"tagtrail-{gateway}"
        self._protocol = (
            MQTTProtocolVersion.MQTTv311
            if config.protocol == "3.1.1"
            else MQTTProtocolVersion.MQTTv5
        )
        self._backoff = Backoff(
            config.reconnect_min_s, max(config.reconnect_max_s, config.reconnect_min_s)
        )
        # Logs name host:port, never the URL, which may carry a password.
        self._log = ConnectionLog(f"{config.host}:{config.port}")
        self._counters = Counters()
        self._cursors: dict[Kind, int] = {}
        self._inflight: dict[int, Message] = {}
        self._direct = DirectQueue(now_queue_max)
        self._stop = threading.Event()
        self._flush_deadline = self._final_deadline = 0.0
        self._thread: threading.Thread | None = None
        self._session: Session | None = None
        self._session_good = False
        self._v5_confirmed = False
        self._started = 0.0
        self._last_error: str | None = None

    @classmethod
    def for_gateway(cls, config: GatewayConfig, outbox: Outbox) -> Publisher:
        """A publisher for one gateway's configuration."""
        return cls(outbox, config.mqtt, config.site, config.gateway)

    # -- control, from any thread ---------------------------------------------------------

    def start(self) -> None:
        """Start the transport thread."""
        if self._thread is not None:
            raise RuntimeError("publisher already started")
        self._thread = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Flush what can be sent within timeout, say offline, disconnect; True if all went out."""
        now = time.monotonic()
        self._final_deadline = now + timeout
        self._flush_deadline = now + timeout * 0.8  # keep the rest for the offline message
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout + CONNACK_TIMEOUT_S)
            if self._thread.is_alive():
                LOG.warning("MQTT publisher thread did not stop within %.1fs", timeout)
        return self._idle()

    def __enter__(self) -> Publisher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def publish_now(self, kind: Kind, payload: bytes) -> None:
        """Queue a message that is not in the outbox (e.g. health), QoS 1, not retained.

        Not durable: it waits in a bounded memory queue while the broker is away; when the queue
        is full the oldest queued message is dropped, counted and logged.
        """
        if kind is Kind.STATUS:
            raise ValueError("the status topic carries the transport's own birth and will")
        self._direct.put(Message(kind, self._topics[kind], payload=payload))

    def stats(self) -> TransportStats:
        """A snapshot of the counters."""
        c = self._counters
        session = self._session
        return TransportStats(
            connected=session is not None,
            protocol=session.version if session is not None else None,
            connects=c.connects,
            reconnects=max(0, c.connects - 1),
            connect_failures=c.connect_failures,
            messages_published=c.messages_published,
            messages_acked=c.messages_acked,
            events_published=c.events_published,
            events_acked=c.events_acked,
            rejected=c.rejected,
            inflight=len(self._inflight),
            queued_now=len(self._direct),
            now_dropped=self._direct.dropped,
            last_error=self._last_error,
        )

    def wait_connected(self, timeout: float) -> bool:
        """Wait until a connection is up."""
        return _wait_for(lambda: self._session is not None, timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until the outbox is empty and nothing is in flight or queued."""
        return _wait_for(self._idle, timeout)

    def _idle(self) -> bool:
        return self.outbox.depth == 0 and not self._inflight and self._direct.unacked == 0

    # -- the transport thread ---------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._connect_and_serve()
            except Exception as exc:  # one bad turn must not end delivery for good
                LOG.exception("MQTT publisher error; reconnecting")
                self._last_error = f"{type(exc).__name__}: {exc}"
            if not self._stop.is_set():
                self._stop.wait(self._backoff.next_delay())

    def _connect_and_serve(self) -> None:
        session = self._connect()
        if session is None:
            return
        try:
            self._serve(session)
        finally:
            self._end(session)

    def _connect(self) -> Session | None:
        online_ms = int(time.time() * 1000)
        will = Will(self._status_topic, availability_payload("offline", online_ms, self.version))
        session = Session(self.config, self._client_id, self._protocol, will)
        probing = self._can_fall_back() and not self._v5_confirmed
        outcome = session.open(PROBE_TIMEOUT_S if probing else CONNACK_TIMEOUT_S, self._stop.is_set)
        if outcome is Outcome.CONNECTED:
            self._v5_confirmed = self._protocol == MQTTProtocolVersion.MQTTv5
            return session
        if probing and outcome in (Outcome.VERSION_REFUSED, Outcome.NO_CONNACK):
            # Some 3.1.1-only brokers refuse MQTT 5 properly, others never answer it (amqtt
            # with a last will); either way 3.1.1 is the next try, and it stays for good.
            LOG.info(
                "MQTT broker %s: MQTT 5 failed (%s); using 3.1.1", self._log.where, session.error
            )
            self._protocol = MQTTProtocolVersion.MQTTv311
            return self._connect()
        if outcome is not Outcome.STOPPED:
            self._counters.connect_failures += 1
            self._last_error = session.error
            self._log.attempt_failed(session.error or "unknown error", self.outbox.depth)
        return None

    def _can_fall_back(self) -> bool:
        return self.config.protocol == "auto" and self._protocol == MQTTProtocolVersion.MQTTv5

    def _serve(self, session: Session) -> None:
        self._begin(session)
        while session.poll(POLL_S):
            if not self._handle_acks(session.take_acks()):
                return
            if self._stop.is_set() and (self._idle() or time.monotonic() >= self._flush_deadline):
                self._say_offline(session)
                return
            if not self._pump(session):
                return

    def _begin(self, session: Session) -> None:
        self._cursors.clear()
        self._inflight.clear()
        self._session_good = False
        self._counters.connects += 1
        self._log.connected(session.version, self.outbox.depth)
        self._session = session
        self._started = time.monotonic()
        online = availability_payload("online", int(time.time() * 1000), self.version)
        mid = session.publish(self._status_topic, online, retain=True)
        if mid is not None:
            self._inflight[mid] = Message(Kind.STATUS, self._status_topic)

    def _pump(self, session: Session) -> bool:
        """Publish until max_inflight messages are out; False if the connection is gone."""
        # An MQTT 5 broker disconnects a client that exceeds its Receive Maximum; one slot
        # stays free for the offline message at stop.
        limit = max(1, min(self.config.max_inflight, session.receive_maximum - 1))
        while len(self._inflight) < limit:
            found = self._next_message()
            if found is None:
                return True
            message, payload = found
            mid = session.publish(message.topic, payload)
            if mid is None:
                self._requeue([message])
                return False
            self._inflight[mid] = message
            self._counters.messages_published += 1
            self._counters.events_published += len(message.seqs)
        return True

    def _next_message(self) -> tuple[Message, bytes] | None:
        """A direct message if one is queued, else the next outbox batch, with its payload."""
        direct = self._direct.take()
        if direct is not None and direct.payload is not None:
            return direct, direct.payload
        try:
            batch = self.outbox.next_batch(self._cursors, self.config.batch_max_events)
        except sqlite3.Error as exc:
            self._outbox_error("read", exc)
            return None
        if not batch:
            return None
        batch = fit_payload(batch)
        kind = batch[0].kind
        self._cursors[kind] = batch[-1].seq
        payload = encode_rows(kind, (e.row_json for e in batch), int(time.time() * 1000))
        return Message(kind, self._topics[kind], tuple(e.seq for e in batch)), payload

    def _handle_acks(self, acks: list[Ack]) -> bool:
        """Apply PUBACKs; False if the broker refused a message (the connection is cycled)."""
        accepted = True
        for ack in acks:
            message = self._inflight.pop(ack.mid, None)
            if message is None:
                continue
            if ack.ok:
                self._delivered(message)
            else:
                self._rejected(message, ack)
                accepted = False
        return accepted

    def _delivered(self, message: Message) -> None:
        self._session_good = True
        if message.kind is Kind.STATUS:
            return
        self._counters.messages_acked += 1
        self._counters.events_acked += len(message.seqs)
        if message.seqs:
            self._ack_outbox(message.seqs)
        else:
            self._direct.done()

    def _rejected(self, message: Message, ack: Ack) -> None:
        # A refusing broker is treated like a lost connection: back off, reconnect, send again.
        self._counters.rejected += 1
        self._last_error = f"broker refused a {message.kind.value} message: {ack.reason}"
        LOG.warning("%s; reconnecting to send it again", self._last_error)
        self._requeue([message])
        self._session_good = False

    def _ack_outbox(self, seqs: tuple[int, ...]) -> None:
        try:
            self.outbox.ack(seqs)
        except sqlite3.Error as exc:
            # The events stay in the outbox and go out again after the next reconnect.
            self._outbox_error("ack", exc)

    def _outbox_error(self, what: str, exc: sqlite3.Error) -> None:
        self._last_error = f"outbox {what} failed: {exc}"
        LOG.error("%s", self._last_error)
        time.sleep(POLL_S)  # a failing disk is not retried in a tight loop

    def _requeue(self, messages: list[Message]) -> None:
        """Put direct messages back in their queue (outbox batches need nothing)."""
        self._direct.requeue([m for m in messages if m.payload is not None])

    def _say_offline(self, session: Session) -> None:
        offline = availability_payload("offline", int(time.time() * 1000), self.version)
        mid = session.publish(self._status_topic, offline, retain=True)
        deadline = max(self._final_deadline, time.monotonic() + POLL_S)
        while mid is not None and time.monotonic() < deadline and session.poll(POLL_S):
            acks = session.take_acks()
            self._handle_acks(acks)
            if any(a.mid == mid for a in acks):
                break
        session.close(clean=True)
        LOG.info(
            "disconnected from MQTT broker %s; %d events waiting",
            self._log.where,
            self.outbox.depth,
        )

    def _end(self, session: Session) -> None:
        self._handle_acks(session.take_acks())
        self._session = None
        self._requeue(list(self._inflight.values()))
        self._inflight.clear()
        self._cursors.clear()
        lost = session.lost
        session.close(clean=False)
        if lost is not None and not self._stop.is_set():
            self._last_error = lost
            self._log.lost(lost, self.outbox.depth)
        if self._session_good or time.monotonic() - self._started >= STABLE_SESSION_S:
            self._backoff.reset()


def fit_payload(batch: list[PendingEvent]) -> list[PendingEvent]:
    """The longest prefix that fits one payload (always at least one event)."""
    size = 0
    for i, event in enumerate(batch):
        size += len(event.row_json) + 1
        if size > PAYLOAD_BUDGET and i > 0:
            return batch[:i]
    return batch


def _wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True
