"""Robustness and fault injection: bad clients, stalls, drops, slow readers of reports."""

from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sllurp.llrp import LLRPMessage
from sllurp.llrp_proto import LLRPROSpec

from firmware_sim.llrp import EmulatorOptions, EmulatorThread, NotConnectedError, ReaderFleet
from firmware_sim.llrp.constants import HEADER_LEN, Msg
from firmware_sim.llrp.decode import decode_tag_reports, parse_header
from firmware_sim.llrp.sample import synthetic_scenario
from tests.firmware_sim.test_llrp_server import SllurpClient, expected, received, wait_until

WAIT_S = 30.0


def client_message(msg: dict[str, Any]) -> bytes:
    """A client message as sllurp serialises it."""
    return bytes(LLRPMessage(msgdict=msg).msgbytes)


def start_inventory() -> bytes:
    """ADD_ROSPEC (200 tags or 100 ms per report) and ENABLE_ROSPEC for ROSpec 1."""
    rospec = LLRPROSpec(
        None,
        1,
        antennas=(1, 2, 3, 4),
        report_every_n_tags=200,
        report_timeout_ms=100,
        tag_content_selector={"EnableFirstSeenTimestamp": True},
    )
    return client_message(
        {"ADD_ROSPEC": {"ID": 1, "ROSpecID": 1, "ROSpec": rospec}}
    ) + client_message({"ENABLE_ROSPEC": {"ID": 2, "ROSpecID": 1}})


class RawClient:
    """A blocking-socket LLRP client that sees every byte."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.settimeout(WAIT_S)
        self.sock.connect(("127.0.0.1", port))
        self.reads = 0

    def recv_exact(self, n: int) -> bytes:
        """n bytes, or fewer if the reader closed the connection."""
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                break
            data += chunk
        return data

    def message(self) -> tuple[int, bytes] | None:
        """Next whole message as (type, body); None at a clean end of stream."""
        head = self.recv_exact(HEADER_LEN)
        if not head:
            return None
        header = parse_header(head, max_len=1 << 24)
        body = self.recv_exact(header.body_len)
        assert len(body) == header.body_len, "connection cut mid-message"
        if header.msg_type == Msg.RO_ACCESS_REPORT:
            self.reads += len(decode_tag_reports(body))
        return header.msg_type, body

    def until(self, msg_type: int) -> bytes:
        """Body of the next message of a type (reports on the way are counted)."""
        while (msg := self.message()) is not None:
            if msg[0] == msg_type:
                return msg[1]
        pytest.fail(f"connection ended before message type {msg_type}")

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


Opener = Callable[[int], "RawClient"]


@pytest.fixture
def raw() -> Iterator[Opener]:
    """Opens raw clients and closes them all after the test."""
    clients: list[RawClient] = []

    def open_client(port: int) -> RawClient:
        clients.append(RawClient(port))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def emulators(request: pytest.FixtureRequest) -> Iterator[EmulatorThread]:
    """Two looping readers (reads never run out), or the options a test passes."""
    options = getattr(request, "param", EmulatorOptions(speed=20, loop=True))
    scenario = synthetic_scenario(readers=2, reads=3000, duration_s=20.0)
    thread = EmulatorThread(ReaderFleet(scenario, base_port=0, options=options))
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff" * 64, "reserved header bits set"),
        (struct.pack("!HII", (1 << 10) | 3, 5, 1), "message length 5 outside 10..65536"),
        (struct.pack("!HII", (1 << 10) | 3, 1 << 30, 1), "outside 10..65536"),
    ],
)
def test_garbage_closes_only_that_connection(
    emulators: EmulatorThread,
    raw: Opener,
    caplog: pytest.LogCaptureFixture,
    payload: bytes,
    reason: str,
) -> None:
    caplog.set_level(logging.INFO, logger="firmware_sim.llrp")
    fleet = emulators.fleet
    good = SllurpClient(fleet.ports["rdr1"])
    good.connect()
    wait_until(lambda: good.n_tags > 0, "reports to the good client")
    bad = raw(fleet.ports["rdr2"])
    bad.until(Msg.READER_EVENT_NOTIFICATION)
    bad.sock.sendall(payload)
    assert bad.message() is None  # the reader closed the connection
    before = good.n_tags
    wait_until(lambda: good.n_tags > before + 100, "more reports to the good client")
    good.close()
    assert emulators.counters("rdr2").protocol_errors == 1
    assert emulators.counters("rdr1").protocol_errors == 0
    (line,) = [r.getMessage() for r in caplog.records if "non-LLRP stream" in r.getMessage()]
    assert "reader rdr2: client 127.0.0.1:" in line
    assert reason in line
    # The reader that was sent garbage serves the next client as usual.
    again = SllurpClient(fleet.ports["rdr2"])
    again.connect()
    wait_until(lambda: again.n_tags > 0, "reports after the garbage")
    again.close()


@pytest.mark.parametrize(
    ("sent", "where"),
    [
        (start_inventory()[:7], "7 of the 10-byte header"),
        (start_inventory()[:30], "20 of the"),
    ],
)
def test_client_gone_mid_message_is_logged_and_survived(
    emulators: EmulatorThread,
    raw: Opener,
    caplog: pytest.LogCaptureFixture,
    sent: bytes,
    where: str,
) -> None:
    caplog.set_level(logging.INFO, logger="firmware_sim.llrp")
    fleet = emulators.fleet
    bad = raw(fleet.ports["rdr1"])
    bad.until(Msg.READER_EVENT_NOTIFICATION)
    bad.sock.sendall(sent)
    bad.close()
    wait_until(lambda: emulators.counters("rdr1").truncated_messages == 1, "the truncation")
    (line,) = [r.getMessage() for r in caplog.records if "mid-message" in r.getMessage()]
    assert "reader rdr1: client 127.0.0.1:" in line
    assert where in line
    client = SllurpClient(fleet.ports["rdr1"])
    client.connect()
    wait_until(lambda: client.n_tags > 0, "reports to the next client")


def test_second_client_is_refused_while_one_is_connected(
    emulators: EmulatorThread, raw: Opener
) -> None:
    fleet = emulators.fleet
    first = raw(fleet.ports["rdr1"])
    first.until(Msg.READER_EVENT_NOTIFICATION)
    second = raw(fleet.ports["rdr1"])
    body = second.until(Msg.READER_EVENT_NOTIFICATION)
    assert body.endswith(bytes.fromhex("0100 0006 0002"))  # ConnectionAttemptEvent status 2
    assert second.message() is None
    assert emulators.counters("rdr1").connections_rejected == 1
    first.sock.sendall(client_message({"CLOSE_CONNECTION": {"ID": 9}}))
    response = first.until(Msg.CLOSE_CONNECTION_RESPONSE)
    assert response == bytes.fromhex("011f 0008 0000 0000")  # LLRPStatus Success
    assert first.message() is None


def test_unsupported_messages_get_errors_and_the_session_goes_on(
    emulators: EmulatorThread,
    raw: Opener,
) -> None:
    client = raw(emulators.fleet.ports["rdr1"])
    client.until(Msg.READER_EVENT_NOTIFICATION)
    client.sock.sendall(struct.pack("!HII", (1 << 10) | 999, 10, 41))
    error = client.until(Msg.ERROR_MESSAGE)
    assert b"message type 999 is not supported" in error
    client.sock.sendall(struct.pack("!HII", (2 << 10) | 1, 11, 42) + b"\0")
    assert b"LLRP version 2 is not supported" in client.until(Msg.ERROR_MESSAGE)
    custom = struct.pack("!HIIIB", (1 << 10) | 1023, 15, 43, 25882, 99)
    client.sock.sendall(custom)
    assert b"vendor 25882, subtype 99" in client.until(Msg.ERROR_MESSAGE)
    client.sock.sendall(client_message({"ADD_ROSPEC": {"ID": 44}}))
    assert b"missing parameter 177" in client.until(Msg.ADD_ROSPEC_RESPONSE)
    client.sock.sendall(client_message({"IMPINJ_ENABLE_EXTENSIONS": {"ID": 45}}))
    assert client.until(Msg.CUSTOM_MESSAGE)[5:] == bytes.fromhex("011f 0008 0000 0000")
    client.sock.sendall(client_message({"GET_READER_CAPABILITIES": {"ID": 46, "RequestedData": 0}}))
    assert len(client.until(Msg.GET_READER_CAPABILITIES_RESPONSE)) == 1648
    assert emulators.counters("rdr1").bad_messages == 4


def test_fault_injection_needs_a_client(emulators: EmulatorThread) -> None:
    emulator = emulators.fleet["rdr1"]
    with pytest.raises(NotConnectedError, match="reader rdr1: no client connected"):
        emulators.run(emulator.inject_garbage(8))
    with pytest.raises(NotConnectedError):
        emulators.call(emulator.pause)


def test_injected_garbage_reaches_the_client(emulators: EmulatorThread, raw: Opener) -> None:
    emulator = emulators.fleet["rdr1"]
    client = raw(emulators.fleet.ports["rdr1"])
    client.until(Msg.READER_EVENT_NOTIFICATION)
    emulators.run(emulator.inject_garbage(32, seed=4))
    data = client.recv_exact(32)
    assert data[0] == 0xFF
    with pytest.raises(ValueError, match="reserved header bits"):
        parse_header(data[:HEADER_LEN])


def test_cut_mid_message_leaves_half_a_report(emulators: EmulatorThread, raw: Opener) -> None:
    emulator = emulators.fleet["rdr1"]
    client = raw(emulators.fleet.ports["rdr1"])
    client.until(Msg.READER_EVENT_NOTIFICATION)
    emulators.run(emulator.cut_mid_message())
    header = parse_header(client.recv_exact(HEADER_LEN))
    assert header.msg_type == Msg.RO_ACCESS_REPORT
    rest = client.recv_exact(header.body_len)
    assert 0 < len(rest) < header.body_len  # then the connection ended
    assert not emulators.call(lambda: emulator.connected)


@pytest.mark.parametrize(
    "emulators", [EmulatorOptions(speed=20, loop=True, max_unsent_bytes=3000)], indirect=True
)
def test_pause_stalls_everything_and_bounds_what_queues(
    emulators: EmulatorThread, raw: Opener
) -> None:
    emulator = emulators.fleet["rdr1"]
    client = raw(emulators.fleet.ports["rdr1"])
    client.until(Msg.READER_EVENT_NOTIFICATION)
    client.sock.sendall(start_inventory())
    client.until(Msg.ENABLE_ROSPEC_RESPONSE)
    client.until(Msg.RO_ACCESS_REPORT)
    emulators.call(emulator.pause)
    stalled = emulators.counters("rdr1")
    wait_until(
        lambda: emulators.counters("rdr1").reads_dropped_overflow > 0,
        "reports beyond the budget to be dropped during the stall",
    )
    during = emulators.counters("rdr1")
    assert during.bytes_sent == stalled.bytes_sent  # nothing at all went out while stalled
    assert during.reads_due > stalled.reads_due
    emulators.call(emulator.resume)
    wait_until(lambda: emulators.counters("rdr1").bytes_sent > during.bytes_sent, "resumed flow")
    emulators.run(emulator.drop_connection(graceful=True))
    while client.message() is not None:
        pass
    final = emulators.counters("rdr1")
    assert client.reads == final.reads_sent  # the client got every read counted as sent
    assert final.accounted()


def test_dropped_reads_are_counted_and_logged(
    emulators: EmulatorThread, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="firmware_sim.llrp")
    client = SllurpClient(emulators.fleet.ports["rdr1"])
    client.connect()
    wait_until(lambda: client.n_tags > 0, "reports")
    emulators.run(emulators.fleet["rdr1"].drop_connection())
    wait_until(
        lambda: emulators.counters("rdr1").reads_dropped_disconnected > 0,
        "reads to fall due with no client",
    )
    client.drop()
    assert emulators.counters("rdr1").accounted()
    assert any("no client connected" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "emulators", [EmulatorOptions(speed=50, max_tags_per_report=100)], indirect=True
)
def test_get_report_and_stop_report_pending_reads(emulators: EmulatorThread, raw: Opener) -> None:
    # A ROSpec without report triggers: reads wait in the buffer for GET_REPORT or the end.
    fleet = emulators.fleet
    rospec = LLRPROSpec(None, 1, antennas=(1, 2, 3, 4))
    rospec["ROBoundarySpec"]["ROSpecStartTrigger"]["ROSpecStartTriggerType"] = "Null"
    rospec["ROReportSpec"]["ROReportTrigger"] = "None"
    client = raw(fleet.ports["rdr1"])
    client.until(Msg.READER_EVENT_NOTIFICATION)
    client.sock.sendall(
        client_message({"ADD_ROSPEC": {"ID": 1, "ROSpecID": 1, "ROSpec": rospec}})
        + client_message({"ENABLE_ROSPEC": {"ID": 2, "ROSpecID": 1}})
        + client_message({"START_ROSPEC": {"ID": 3, "ROSpecID": 1}})
    )
    assert client.until(Msg.START_ROSPEC_RESPONSE) == bytes.fromhex("011f 0008 0000 0000")
    wait_until(lambda: emulators.counters("rdr1").reads_pending > 0, "pending reads")
    client.sock.sendall(struct.pack("!HII", (1 << 10) | Msg.GET_REPORT, 10, 4))
    client.until(Msg.RO_ACCESS_REPORT)
    emulators.run(fleet["rdr1"].wait_finished(WAIT_S))
    client.sock.sendall(client_message({"STOP_ROSPEC": {"ID": 5, "ROSpecID": 1}}))
    client.until(Msg.STOP_ROSPEC_RESPONSE)
    client.sock.sendall(client_message({"CLOSE_CONNECTION": {"ID": 6}}))
    client.until(Msg.CLOSE_CONNECTION_RESPONSE)
    c = emulators.counters("rdr1")
    assert client.reads == c.reads_sent == c.reads_due - c.reads_idle
    assert c.accounted()


def test_sllurp_reads_match_after_other_clients_misbehave(
    emulators: EmulatorThread, raw: Opener
) -> None:
    # Garbage and truncation on one reader while a sllurp client reads the other one.
    fleet = emulators.fleet
    sane = SllurpClient(fleet.ports["rdr2"])
    sane.connect()
    for payload in (b"\xff" * 10, start_inventory()[:25]):
        bad = raw(fleet.ports["rdr1"])
        bad.until(Msg.READER_EVENT_NOTIFICATION)
        bad.sock.sendall(payload)
        bad.close()
    wait_until(lambda: emulators.counters("rdr1").disconnects == 2, "both bad clients gone")
    wait_until(lambda: sane.n_tags > 200, "reports to the sane client")
    sane.close()
    scenario = fleet.scenario
    one_lap = expected(scenario, 1)
    got = received(sane.tags)
    lap_us = scenario.end_us - scenario.start_us
    by_time = {(e, a, r, t % lap_us, c) for e, a, r, t, c in one_lap}
    assert all((e, a, r, t % lap_us, c) in by_time for e, a, r, t, c in got)
    assert emulators.counters("rdr2").protocol_errors == 0
