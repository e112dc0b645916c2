"""Embedded MQTT broker (amqtt, pure Python) for the demo and for machines without Mosquitto.

Run it with `tagtrail broker --host 127.0.0.1 --port 1883`, in-process with `EmbeddedBroker`
(asyncio) or `BrokerThread` (a context manager for synchronous callers).

What it does: QoS 0 and 1, retained messages, last wills (also for clients that vanish without
DISCONNECT), persistent sessions (clean_session false: QoS 1 messages are queued while the
client is away, for up to an hour), and quiet handling of clients that hang up at any point.

Limitations (of amqtt, or of this setup):
- MQTT 3.1.1 only. An MQTT 5 CONNECT is refused with reason 0x84 (unsupported protocol
  version), so clients that try 5 first (the gateway's protocol "auto") fall back at once.
- No shared subscriptions ($share/...), so cloud workers cannot split one stream here.
- No TLS, no authentication: every client is accepted. Bind it to loopback.
- No persistence: sessions, queued and retained messages are gone when the process ends, and a
  QoS 1 PUBLISH is acknowledged before it is forwarded, so a crash can lose acknowledged
  messages. Subscribers get messages at their subscription's QoS.
Production sites use Mosquitto, EMQX or another full broker.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import threading
from dataclasses import dataclass
from typing import Any

from amqtt.adapters import StreamReaderAdapter, StreamWriterAdapter
from amqtt.broker import Broker
from amqtt.plugins.base import BaseAuthPlugin

LOG = logging.getLogger(__name__)

# amqtt logs every connection at INFO and every reset socket as a warning; a dropped client is
# ordinary for a broker, so the CLI keeps these loggers at WARNING unless asked for DEBUG.
AMQTT_LOGGERS = ("amqtt", "transitions")
CONNECT_TYPE = 1
MQTT5_LEVEL = 5
# CONNACK in MQTT 5 form: no session present, reason 0x84 "unsupported protocol version".
MQTT5_REFUSAL = bytes([0x20, 0x03, 0x00, 0x84, 0x00])
HANDSHAKE_TIMEOUT_S = 30.0
_QUIET_ERRORS = (ConnectionError, asyncio.IncompleteReadError, TimeoutError)
# What amqtt.broker says when a client hangs up before or during its CONNECT.
_ABRUPT_HANGUP = ("No data from", "Failed to initialize client session", "Invalid connection from")


class AbruptHangupFilter(logging.Filter):
    """Demote amqtt's error lines about clients that hung up mid-handshake to DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Pass other records unchanged; pass hang-ups only when DEBUG is on, as DEBUG."""
        if not str(record.msg).startswith(_ABRUPT_HANGUP):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _install_hangup_filter() -> None:
    logger = logging.getLogger("amqtt.broker")
    if not any(isinstance(f, AbruptHangupFilter) for f in logger.filters):
        logger.addFilter(AbruptHangupFilter())


class OpenAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
    """Accept every client without marking it anonymous.

    amqtt's own AnonymousAuthPlugin flags every session as anonymous, and amqtt never queues QoS 1
    messages for an offline anonymous session; a persistent subscriber must not lose those.
    """

    @dataclass
    class Config:
        """No options."""

    async def authenticate(self, *, session: Any) -> bool:
        """Accept the session."""
        del session
        return True


def broker_config(host: str, port: int) -> dict[str, Any]:
    """amqtt configuration: one externally fed listener, open access."""
    return {
        # Our own TCP front door hands connections over (see EmbeddedBroker._accept).
        "listeners": {"default": {"type": "external", "bind": f"{host}:{port}"}},
        "plugins": {f"{__name__}.OpenAuthPlugin": {}},
        # Persistent sessions of clients that never come back are dropped after an hour.
        "session_expiry_interval": 3600,
    }


class EmbeddedBroker:
    """An amqtt broker on the running asyncio loop: `await start()`, `await stop()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 1883) -> None:
        self.host = host
        self.port = port
        self._broker: Any = None
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """mqtt:// URL clients use."""
        return f"mqtt://{self.host}:{self.port}"

    async def start(self) -> None:
        """Open the listener; raise OSError if the port is taken."""
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_quiet_exception_handler)
        _install_hangup_filter()
        broker = Broker(broker_config(self.host, self.port), loop=loop)
        await broker.start()
        try:
            self._server = await asyncio.start_server(
                self._accept, self.host, self.port, reuse_address=True
            )
        except OSError:
            await broker.shutdown()
            raise
        self._broker = broker
        LOG.info("embedded MQTT broker (3.1.1) listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        """Close the listener and disconnect every client."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        broker, self._broker = self._broker, None
        if broker is not None:
            await broker.shutdown()
            LOG.info("embedded MQTT broker on %s:%s stopped", self.host, self.port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # amqtt cannot parse an MQTT 5 CONNECT that carries a will and then never answers it;
        # reading the protocol level first lets us refuse MQTT 5 at once, so clients fall back.
        try:
            head, level = await asyncio.wait_for(read_connect_head(reader), HANDSHAKE_TIMEOUT_S)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError) as exc:
            LOG.debug("client hung up before CONNECT: %r", exc)
            writer.close()
            return
        if level == MQTT5_LEVEL:
            writer.write(MQTT5_REFUSAL)
            await _close_quietly(writer)
            return
        broker = self._broker
        if broker is None:
            writer.close()
            return
        await broker.external_connected(
            _ReplayReader(reader, head), StreamWriterAdapter(writer), "default"
        )

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def read_connect_head(reader: asyncio.StreamReader) -> tuple[bytes, int | None]:
    """Read a packet's start up to the CONNECT protocol level; None if it is no CONNECT."""
    head = bytearray(await reader.readexactly(2))
    if head[0] >> 4 != CONNECT_TYPE:
        return bytes(head), None
    while head[-1] & 0x80 and len(head) < 5:  # remaining length: up to 4 varint bytes
        head += await reader.readexactly(1)
    head += await reader.readexactly(2)
    name_len = int.from_bytes(head[-2:], "big")
    head += await reader.readexactly(name_len + 1)
    return bytes(head), head[-1]


async def _close_quietly(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


class _ReplayReader(StreamReaderAdapter):  # type: ignore[misc]
    """A stream reader that first hands back the bytes already read from it."""

    def __init__(self, reader: asyncio.StreamReader, head: bytes) -> None:
        super().__init__(reader)
        self._head = head

    async def read(self, n: int = -1) -> bytes:
        """Read n bytes (all if -1), starting with the replayed ones."""
        if not self._head:
            data: bytes = await super().read(n)
            return data
        take = self._head if n < 0 else self._head[:n]
        self._head = self._head[len(take) :]
        if n < 0 or len(take) < n:
            take += await super().read(-1 if n < 0 else n - len(take))
        return take


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # Connection tasks of clients that vanished mid-packet end with these errors; they are not
    # broker faults and must not fill the log with tracebacks.
    if isinstance(context.get("exception"), _QUIET_ERRORS):
        LOG.debug("client connection ended: %s", context.get("exception"))
        return
    loop.default_exception_handler(context)


class BrokerThread:
    """An EmbeddedBroker on its own event-loop thread, for synchronous code (demo, tests)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 1883) -> None:
        self.broker = EmbeddedBroker(host, port)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """mqtt:// URL clients use."""
        return self.broker.url

    def start(self, timeout: float = 10.0) -> None:
        """Start the broker thread and wait until the listener is open."""
        self._thread = threading.Thread(target=self._main, name="mqtt-broker", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise TimeoutError(f"embedded broker did not start within {timeout}s")
        if self._error is not None:
            self._thread.join(timeout)
            raise self._error

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the broker and join its thread."""
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> BrokerThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.broker.start()
        except Exception as exc:  # handed to the thread that called start()
            self._error = exc
            self._started.set()
            return
        self._started.set()
        await self._stop.wait()
        await self.broker.stop()


async def serve(host: str, port: int) -> None:
    """Run the broker until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with EmbeddedBroker(host, port):
        await stop.wait()


def _run(args: argparse.Namespace) -> int:
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in AMQTT_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        asyncio.run(serve(args.host, args.port))
    except OSError as exc:
        LOG.error("%s", exc)  # noqa: TRY400 - the message says all; a traceback adds nothing
        return 1
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `broker` subcommand."""
    parser = commands.add_parser(
        "broker",
        help="run an embedded MQTT 3.1.1 broker (amqtt) for the demo and tests",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=1883, help="TCP port to listen on")
    parser.set_defaults(handler=_run)
