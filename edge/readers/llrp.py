"""LLRP fixed readers through sllurp, supervised: reconnect with backoff, keepalive watchdog."""

from __future__ import annotations

import logging
import re
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from sllurp.llrp import LLRPMessage, LLRPReaderClient, LLRPReaderConfig, LLRPReaderState
from sllurp.llrp_errors import ReaderConfigurationError
from sllurp.llrp_proto import LLRPError

from edge.config import ReaderConfig
from edge.readers.batch import ReadBatch
from edge.readers.framing import Framer, FramingError
from edge.transport.backoff import Backoff
from protocol.messages import ReaderHealth

logger = logging.getLogger(__name__)

BatchSink = Callable[[ReadBatch], None]
# An EPC is 16-bit words of hex (Gen2 PC word count); anything else is a corrupt report entry.
EPC_HEX = re.compile(r"^(?:[0-9A-F]{4}){1,31}$")
# What sllurp's decoders raise on a malformed message body.
DECODE_ERRORS = (LLRPError, struct.error, KeyError, IndexError, ValueError, TypeError)


class _PeerClosedFilter(logging.Filter):
    """Drop sllurp's own "Disconnected from server" lines: the supervisor reports connection
    ends itself, with the reader's name and the reason, once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).lstrip().startswith("Disconnected from server")


logging.getLogger("sllurp.llrp").addFilter(_PeerClosedFilter())


def now_us() -> int:
    """Gateway wall clock in microseconds since the epoch."""
    return time.time_ns() // 1000


def sllurp_config(cfg: ReaderConfig) -> LLRPReaderConfig:
    """The sllurp client settings for one configured reader."""
    settings: dict[str, Any] = {
        "antennas": sorted(cfg.antennas),
        "report_every_n_tags": cfg.report_every_n_tags,
        "report_timeout_ms": cfg.report_timeout_ms,
        "keepalive_interval": int(cfg.keepalive_s * 1000),
        "reconnect": False,  # the supervisor owns reconnects, with backoff
        "start_inventory": True,
        "reset_on_connect": True,
        "tag_content_selector": {
            "EnableAntennaID": True,
            "EnablePeakRSSI": True,
            "EnableFirstSeenTimestamp": True,
            "EnableLastSeenTimestamp": True,
            "EnableTagSeenCount": True,
        },
    }
    if cfg.tx_power_dbm is not None:
        settings["tx_power_dbm"] = float(cfg.tx_power_dbm)
    return LLRPReaderConfig(settings)


def valid_tags(tags: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Split report entries into those with a well-formed EPC and the malformed EPCs."""
    good, bad = [], []
    for tag in tags:
        epc = _epc_hex(tag)
        if EPC_HEX.match(epc):
            good.append(tag)
        else:
            bad.append(epc)
    return good, bad


def tags_to_batch(reader: int, recv_us: int, tags: list[dict[str, Any]]) -> ReadBatch:
    """Convert sllurp's decoded TagReportData dicts (with valid EPCs) into a ReadBatch."""
    n = len(tags)
    t_us = np.empty(n, np.int64)
    antenna = np.empty(n, np.int16)
    rssi = np.empty(n, np.float32)
    count = np.empty(n, np.int16)
    epcs = []
    for i, tag in enumerate(tags):
        epcs.append(_epc_hex(tag))
        t_us[i] = tag.get("FirstSeenTimestampUTC") or tag.get("LastSeenTimestampUTC") or recv_us
        antenna[i] = tag.get("AntennaID", 0)
        rssi[i] = tag.get("PeakRSSI", -128)
        count[i] = min(tag.get("TagSeenCount", 1), 32767)
    return ReadBatch(reader, recv_us, tuple(epcs), t_us, antenna, rssi, count)


def _epc_hex(tag: dict[str, Any]) -> str:
    epc = tag.get("EPC") or tag.get("EPC-96") or b""
    text = epc.decode("ascii") if isinstance(epc, bytes) else str(epc)
    return text.upper()


class _GuardedClient(LLRPReaderClient):  # type: ignore[misc]
    """sllurp's client with validated framing: garbage resets the connection, never wedges it."""

    def __init__(self, owner: LlrpReader, cfg: ReaderConfig) -> None:
        super().__init__(cfg.host, cfg.port, sllurp_config(cfg), timeout=5.0)
        self._owner = owner
        self._framer = Framer()
        self.framing_error: str | None = None

    def raw_data_received(self, data: bytes) -> None:
        """Frame, decode and dispatch received bytes; count and survive bad messages."""
        try:
            frames = self._framer.feed(data)
        except FramingError as exc:
            self.framing_error = str(exc)
            self._owner.bad_message(f"framing lost: {exc}")
            # sllurp hard-disconnects on this error; the supervisor then reconnects.
            raise ReaderConfigurationError(str(exc)) from None
        for frame in frames:
            self._owner.received()
            self._dispatch(frame.data)

    @property
    def partial_bytes(self) -> int:
        """Bytes of an incomplete message held when the connection ended."""
        return self._framer.pending

    def _dispatch(self, data: bytes) -> None:
        try:
            message = LLRPMessage(msgbytes=data)
        except DECODE_ERRORS as exc:
            self._owner.bad_message(f"undecodable message ({len(data)} bytes): {exc}")
            return
        self._on_llrp_message_received(message)
        try:
            self.llrp.handleMessage(message)
        except DECODE_ERRORS as exc:
            self._owner.bad_message(f"unexpected {message.getName()}: {exc}")


class LlrpReader:
    """One configured reader: a supervisor thread keeps a sllurp session inventorying."""

    def __init__(
        self,
        cfg: ReaderConfig,
        index: int,
        sink: BatchSink,
        *,
        connect_timeout_s: float = 10.0,
    ) -> None:
        self.cfg = cfg
        self.index = index
        self._sink = sink
        self._connect_timeout_s = connect_timeout_s
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._inventorying = False
        self._last_rx = 0.0
        self._reads_total = 0
        self._bad = 0
        self._bad_reads = 0
        self._reconnects = 0
        self._last_error: str | None = None
        self._rate = _RateMeter()

    def start(self) -> None:
        """Start the supervisor thread."""
        self._thread = threading.Thread(target=self._run, name=f"llrp-{self.cfg.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop inventory politely, close the connection and end the supervisor."""
        self._stop.set()
        self._lost.set()
        if self._thread:
            self._thread.join(timeout)

    def health(self) -> ReaderHealth:
        """Counters of this reader for the gateway health report."""
        with self._lock:
            return ReaderHealth(
                name=self.cfg.name,
                connected=self._inventorying,
                reads_total=self._reads_total,
                reads_per_s=self._rate.rate(self._reads_total),
                bad_messages=self._bad,
                bad_reads=self._bad_reads,
                reconnects=self._reconnects,
                last_error=self._last_error,
            )

    # Callbacks from the sllurp socket thread.
    def received(self) -> None:
        """Note that a message arrived (feeds the keepalive watchdog)."""
        self._last_rx = time.monotonic()

    def bad_message(self, reason: str) -> None:
        """Count and log a malformed message from the reader."""
        with self._lock:
            self._bad += 1
            self._last_error = reason
        logger.warning("reader %s (%s:%s): %s", self.cfg.name, self.cfg.host, self.cfg.port, reason)

    def _on_tags(self, _client: object, tags: list[dict[str, Any]]) -> None:
        tags, bad = valid_tags(tags)
        if bad:
            self._bad_epcs(bad)
        if not tags:
            return
        batch = tags_to_batch(self.index, now_us(), tags)
        with self._lock:
            self._reads_total += int(batch.count.sum())
        self._sink(batch)

    def _bad_epcs(self, epcs: list[str]) -> None:
        with self._lock:
            self._bad_reads += len(epcs)
            self._last_error = f"malformed EPC {epcs[0][:64]!r} in a tag report"
        logger.warning(
            "reader %s: dropped %d reads with a malformed EPC, e.g. %r",
            self.cfg.name,
            len(epcs),
            epcs[0][:64],
        )

    def _on_state(self, _client: object, state: int) -> None:
        inventorying = state == LLRPReaderState.STATE_INVENTORYING
        with self._lock:
            self._inventorying = inventorying
        if inventorying:
            logger.info("reader %s inventorying", self.cfg.name)

    def _on_disconnected(self, _client: object) -> None:
        with self._lock:
            self._inventorying = False
        self._lost.set()

    # Supervisor.
    def _run(self) -> None:
        backoff = Backoff(self.cfg.reconnect_min_s, self.cfg.reconnect_max_s)
        while not self._stop.is_set():
            if self._session():
                backoff.reset()
            if self._stop.is_set():
                break
            with self._lock:
                self._reconnects += 1
            self._stop.wait(backoff.next_delay())

    def _session(self) -> bool:
        """Run one connection until it ends; return whether it reached inventory."""
        client = self._client()
        self._lost.clear()
        try:
            client.connect()
        except OSError as exc:
            self._fail(f"cannot connect to {self.cfg.host}:{self.cfg.port}: {exc}")
            return False
        self._last_rx = time.monotonic()
        reached = self._watch(client)
        self._close(client)
        return reached

    def _client(self) -> _GuardedClient:
        client = _GuardedClient(self, self.cfg)
        client.add_tag_report_callback(self._on_tags)
        client.add_disconnected_callback(self._on_disconnected)
        for _, state in LLRPReaderState.getStates():
            client.add_state_callback(state, self._on_state)
        return client

    def _watch(self, client: _GuardedClient) -> bool:
        started = time.monotonic()
        reached = False
        silence_limit = self.cfg.keepalive_s * self.cfg.keepalive_misses
        while not self._lost.wait(0.2):
            now = time.monotonic()
            reached = reached or self._inventorying
            if not reached and now - started > self._connect_timeout_s:
                self._fail(f"no inventory {self._connect_timeout_s:.0f}s after connecting")
                break
            if reached and now - self._last_rx > silence_limit:
                self._fail(f"silent for {silence_limit:.0f}s (keepalives missed)")
                break
        if self._lost.is_set() and not self._stop.is_set():
            self._note_lost(client)
        return reached

    def _note_lost(self, client: _GuardedClient) -> None:
        if client.framing_error:
            return  # already counted and logged as a bad message
        partial = client.partial_bytes
        if partial:
            self._fail(f"connection lost mid-message ({partial} bytes of a message unread)")
        else:
            self._fail("connection closed by the reader")

    def _close(self, client: _GuardedClient) -> None:
        if self._stop.is_set() and not self._lost.is_set():
            client.disconnect(timeout=2.0)
        client.hard_disconnect()
        client.join(2.0)
        with self._lock:
            self._inventorying = False

    def _fail(self, reason: str) -> None:
        with self._lock:
            self._last_error = reason
        logger.warning("reader %s: %s", self.cfg.name, reason)


class _RateMeter:
    """Reads per second between successive health reports."""

    def __init__(self) -> None:
        self._t = time.monotonic()
        self._n = 0

    def rate(self, total: int) -> float:
        now = time.monotonic()
        dt = now - self._t
        value = (total - self._n) / dt if dt > 0 else 0.0
        self._t, self._n = now, total
        return max(value, 0.0)
