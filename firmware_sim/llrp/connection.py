"""One client's TCP connection to an emulated reader: framing, keepalives, bounded sending."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Protocol

from firmware_sim.llrp.constants import HEADER_LEN, Msg
from firmware_sim.llrp.counters import Counters
from firmware_sim.llrp.decode import FramingError, Header, parse_header
from firmware_sim.llrp.session import Reply

logger = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 2.0


class ConnectionOwner(Protocol):
    """The reader a connection belongs to."""

    name: str
    counters: Counters

    @property
    def keepalive_ms(self) -> int:
        """Current keepalive period (0 = none)."""

    def keepalive_message(self) -> bytes:
        """A KEEPALIVE with a fresh message ID."""

    def handle(self, header: Header, body: bytes) -> Reply:
        """Process one client message."""

    def flush_deferred(self) -> None:
        """Send what handling the last message made due (events, reports)."""


class ClientConnection:
    """Reads and answers one client's messages; sends reports within a byte budget.

    Reports are the only messages that may be dropped: when the client is slow and the
    unsent bytes exceed max_unsent_bytes, or while the connection is paused, new reports are
    refused (the caller counts and logs the reads). Responses, events and keepalives always
    queue, since they are few and small and losing them would break the protocol.
    """

    def __init__(
        self,
        owner: ConnectionOwner,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        max_unsent_bytes: int,
    ) -> None:
        self._owner = owner
        self._reader = reader
        self._writer = writer
        self._max_unsent = max_unsent_bytes
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.closed = asyncio.Event()
        self.reports_enabled = True
        self._unpaused = asyncio.Event()
        self._unpaused.set()
        self._stalled: deque[bytes] = deque()
        self._stalled_bytes = 0
        self._keepalive_kick = asyncio.Event()
        self._reading = "header"
        self.closing_reason: str | None = None  # set when the reader side closes on purpose

    @property
    def paused(self) -> bool:
        """Whether the connection is stalled by pause()."""
        return not self._unpaused.is_set()

    def pause(self) -> None:
        """Stall: stop reading, answering and sending (the TCP connection stays open)."""
        self._unpaused.clear()

    def resume(self) -> None:
        """End a stall: send what queued up meanwhile and carry on."""
        while self._stalled:
            self._write(self._stalled.popleft())
        self._stalled_bytes = 0
        self._unpaused.set()

    def send(self, data: bytes, *, droppable: bool = False) -> bool:
        """Send (or, while paused, queue) a message; False if it was refused."""
        if self.closed.is_set() or self._writer.is_closing():
            return False
        if self.paused:
            if droppable and self._stalled_bytes + len(data) > self._max_unsent:
                return False
            self._stalled.append(data)
            self._stalled_bytes += len(data)
            return True
        if droppable and self._writer.transport.get_write_buffer_size() > self._max_unsent:
            return False
        self._write(data)
        return True

    def _write(self, data: bytes) -> None:
        self._writer.write(data)
        self._owner.counters.bytes_sent += len(data)

    def write_raw(self, data: bytes) -> None:
        """Put bytes on the wire now, bypassing pause and budget (fault injection)."""
        if not self._writer.is_closing():
            self._write(data)

    async def drain(self) -> None:
        """Wait until the socket has taken what was written (or the client went away)."""
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()

    def kick_keepalive(self) -> None:
        """Re-read the keepalive period (it changed)."""
        self._keepalive_kick.set()

    def abort(self) -> None:
        """Drop the connection at once (a reset, as a crash or cable cut looks to the client)."""
        self._writer.transport.abort()

    async def close(self) -> None:
        """Close after sending what is already written."""
        self._writer.close()
        await self._wait_closed()

    async def run(self) -> None:
        """Serve the client until it leaves, breaks the protocol or the connection is closed."""
        keepalive = asyncio.create_task(self._keepalive_loop())
        try:
            await self._read_loop()
        finally:
            keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keepalive
            self.closed.set()
            self._writer.close()
            await self._wait_closed()

    async def _wait_closed(self) -> None:
        try:
            await asyncio.wait_for(self._writer.wait_closed(), CLOSE_TIMEOUT_S)
        except TimeoutError:
            self._writer.transport.abort()  # the client stopped reading; do not wait for it
        except (ConnectionError, OSError):
            pass  # already reset by the client: closed is closed

    async def _read_loop(self) -> None:
        name, peer = self._owner.name, self.peer
        try:
            while await self._serve_one():
                pass
        except asyncio.IncompleteReadError as exc:
            self._log_eof(exc)
        except FramingError as exc:
            self._owner.counters.protocol_errors += 1
            logger.warning(
                "reader %s: client %s sent a non-LLRP stream: %s; closing", name, peer, exc
            )
        except (ConnectionError, OSError) as exc:
            logger.info("reader %s: connection to %s lost: %s", name, peer, exc)

    async def _serve_one(self) -> bool:
        self._reading = "header"
        header = parse_header(await self._reader.readexactly(HEADER_LEN))
        self._reading = f"{header.body_len}-byte body of a {message_name(header.msg_type)}"
        body = await self._reader.readexactly(header.body_len)
        await self._unpaused.wait()
        self._owner.counters.messages_received += 1
        reply = self._owner.handle(header, body)
        if reply.bad:
            self._owner.counters.bad_messages += 1
            logger.warning(
                "reader %s: client %s sent an unusable %s (id %s); answered with an error",
                self._owner.name,
                self.peer,
                message_name(header.msg_type),
                header.msg_id,
            )
        for data in reply.messages:
            self.send(data)
        self._owner.flush_deferred()
        if reply.close:
            logger.info("reader %s: client %s closed the LLRP session", self._owner.name, self.peer)
            await self.drain()
        return not reply.close

    def _log_eof(self, exc: asyncio.IncompleteReadError) -> None:
        name, peer = self._owner.name, self.peer
        if self.closing_reason:
            logger.info("reader %s: connection to %s closed: %s", name, peer, self.closing_reason)
            return
        if self._reading == "header" and not exc.partial:
            logger.info("reader %s: client %s disconnected", name, peer)
            return
        self._owner.counters.truncated_messages += 1
        logger.warning(
            "reader %s: client %s disconnected mid-message (%d of the %s)",
            name,
            peer,
            len(exc.partial),
            "10-byte header" if self._reading == "header" else self._reading,
        )

    async def _keepalive_loop(self) -> None:
        while True:
            period = self._owner.keepalive_ms
            self._keepalive_kick.clear()
            if period <= 0:
                await self._keepalive_kick.wait()
                continue
            try:
                await asyncio.wait_for(self._keepalive_kick.wait(), period / 1000)
            except TimeoutError:
                if not self.paused:  # a stalled reader sends nothing, keepalives included
                    self.send(self._owner.keepalive_message())
                    self._owner.counters.keepalives_sent += 1


def message_name(msg_type: int) -> str:
    """Readable name of a message type, for logs."""
    try:
        return Msg(msg_type).name
    except ValueError:
        return f"type {msg_type}"
