"""LLRP commands against one emulated reader: replies, spec listings, events, ROSpec duration."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pytest
from sllurp.llrp import LLRPMessage
from sllurp.llrp_proto import LLRPROSpec

from firmware_sim.llrp import EmulatorOptions, EmulatorThread, ReaderEmulator, ReaderFleet
from firmware_sim.llrp.constants import HEADER_LEN, Msg, Par, ROSpecState
from firmware_sim.llrp.decode import Param, iter_params, parse_header
from firmware_sim.llrp.requests import decode_rospec
from firmware_sim.llrp.sample import synthetic_scenario
from tests.firmware_sim.test_llrp_faults import RawClient, client_message
from tests.firmware_sim.test_llrp_server import wait_until


def command(emulator: ReaderEmulator, msg: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Handle one client message; the replies as sllurp decodes them."""
    data = client_message(msg)
    reply = emulator.handle(parse_header(data[:HEADER_LEN]), data[HEADER_LEN:])
    emulator.flush_deferred()
    out = []
    for raw in reply.messages:
        decoded = LLRPMessage(msgbytes=raw)
        out.append((decoded.getName(), decoded.msgdict[decoded.getName()]))
    return out


def status(replies: list[tuple[str, dict[str, Any]]]) -> tuple[str, str]:
    """(message name, status code) of a single reply."""
    ((name, fields),) = replies
    return name, fields["LLRPStatus"]["StatusCode"]


@pytest.fixture
def emulator() -> ReaderEmulator:
    """One reader, not listening: commands go straight to its handler."""
    return ReaderEmulator(synthetic_scenario(readers=1, reads=100), 0)


def add_rospec(rospec_id: int, **kw: Any) -> dict[str, Any]:
    """ADD_ROSPEC as sllurp builds it."""
    spec = LLRPROSpec(None, rospec_id, antennas=(1, 2), **kw)
    return {"ADD_ROSPEC": {"ID": 1, "ROSpecID": rospec_id, "ROSpec": spec}}


def test_rospec_commands_and_listing(emulator: ReaderEmulator) -> None:
    assert status(command(emulator, add_rospec(3))) == ("ADD_ROSPEC_RESPONSE", "Success")
    assert status(command(emulator, add_rospec(3))) == ("ADD_ROSPEC_RESPONSE", "A_Invalid")
    assert status(command(emulator, add_rospec(4, report_every_n_tags=9)))[1] == "Success"
    enable = {"ENABLE_ROSPEC": {"ID": 2, "ROSpecID": 3}}
    assert status(command(emulator, enable)) == ("ENABLE_ROSPEC_RESPONSE", "Success")
    assert inventorying(emulator)
    data = _get(Msg.GET_ROSPECS)
    reply = emulator.handle(parse_header(data[:HEADER_LEN]), data[HEADER_LEN:])
    (raw,) = reply.messages
    specs = [p for p in iter_params(raw[HEADER_LEN:]) if p.type == Par.ROSPEC]
    decoded = [decode_rospec(p) for p in specs]
    assert [(s.rospec_id, s.current_state) for s in decoded] == [
        (3, ROSpecState.ACTIVE),
        (4, ROSpecState.DISABLED),
    ]
    assert decoded[1].ai_specs[0].observation is not None
    delete = {"DELETE_ROSPEC": {"ID": 6, "ROSpecID": 0}}
    assert status(command(emulator, delete)) == ("DELETE_ROSPEC_RESPONSE", "Success")
    assert not inventorying(emulator)
    assert emulator.state.rospecs == {}


def inventorying(emulator: ReaderEmulator) -> bool:
    """Whether a ROSpec runs (a function, so that type checkers do not pin the value)."""
    return emulator.inventorying


def _get(msg_type: int) -> bytes:
    """A body-less request sllurp has no encoder for."""
    return struct.pack("!HII", (1 << 10) | msg_type, HEADER_LEN, 5)


def test_access_spec_commands_and_listing(emulator: ReaderEmulator) -> None:
    spec = {
        "AccessSpecID": 2,
        "AntennaID": 0,
        "ProtocolID": 1,
        "CurrentState": False,
        "ROSpecID": 0,
        "AccessSpecStopTrigger": {"AccessSpecStopTriggerType": 0, "OperationCountValue": 0},
        "AccessCommand": {"TagSpecParameter": {"C1G2TagSpec": {}}, "OpSpecParameter": []},
    }
    add = {"ADD_ACCESSSPEC": {"ID": 1, "AccessSpec": spec}}
    assert status(command(emulator, add)) == ("ADD_ACCESSSPEC_RESPONSE", "Success")
    enable = {"ENABLE_ACCESSSPEC": {"ID": 2, "AccessSpecID": 2}}
    assert status(command(emulator, enable)) == ("ENABLE_ACCESSSPEC_RESPONSE", "Success")
    data = _get(Msg.GET_ACCESSSPECS)
    (raw,) = emulator.handle(parse_header(data[:HEADER_LEN]), data[HEADER_LEN:]).messages
    (listed,) = [p for p in iter_params(raw[HEADER_LEN:]) if p.type == Par.ACCESS_SPEC]
    assert listed.body[7] == 0x80  # CurrentState: enabled now
    disable = {"DISABLE_ACCESSSPEC": {"ID": 3, "AccessSpecID": 9}}
    assert status(command(emulator, disable)) == ("DISABLE_ACCESSSPEC_RESPONSE", "A_Invalid")
    delete = {"DELETE_ACCESSSPEC": {"ID": 4, "AccessSpecID": 0}}
    assert status(command(emulator, delete)) == ("DELETE_ACCESSSPEC_RESPONSE", "Success")
    assert emulator.state.accessspecs == {}


def test_requested_parts_of_config_and_capabilities(emulator: ReaderEmulator) -> None:
    ((name, cfg),) = command(emulator, {"GET_READER_CONFIG": {"ID": 1, "RequestedData": 8}})
    assert name == "GET_READER_CONFIG_RESPONSE"
    assert set(cfg) - {"ID", "Ver", "Type"} == {"LLRPStatus", "KeepaliveSpec"}
    ((_, one),) = command(
        emulator, {"GET_READER_CONFIG": {"ID": 2, "RequestedData": 2, "AntennaID": 3}}
    )
    assert [a["AntennaID"] for a in one["AntennaProperties"]] == [3]
    bad = {"GET_READER_CONFIG": {"ID": 3, "RequestedData": 0, "AntennaID": 9}}
    assert status(command(emulator, bad)) == ("GET_READER_CONFIG_RESPONSE", "A_OutOfRange")
    ((_, caps),) = command(emulator, {"GET_READER_CAPABILITIES": {"ID": 4, "RequestedData": 2}})
    assert set(caps) - {"ID", "Ver", "Type"} == {"LLRPStatus", "LLRPCapabilities"}


@pytest.fixture
def reader() -> Iterator[EmulatorThread]:
    """One listening reader replaying 3 s of reads at 10x, forever."""
    scenario = synthetic_scenario(readers=1, reads=600, duration_s=3.0)
    options = EmulatorOptions(speed=10, loop=True)
    thread = EmulatorThread(ReaderFleet(scenario, base_port=0, options=options))
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()


def test_rospec_events_and_duration_stop_trigger(reader: EmulatorThread) -> None:
    client = RawClient(reader.fleet.ports["rdr1"])
    try:
        client.until(Msg.READER_EVENT_NOTIFICATION)
        config = {
            "SET_READER_CONFIG": {
                "ID": 1,
                "ResetToFactoryDefaults": False,
                "ReaderEventNotificationSpec": {"EventNotificationState": {"ROSpecEvent": True}},
            }
        }
        client.sock.sendall(client_message(config))
        client.until(Msg.SET_READER_CONFIG_RESPONSE)
        # A 500 ms ROSpec (scenario time; 50 ms at this speed) that reports every 20 tags.
        client.sock.sendall(
            client_message(add_rospec(7, duration_sec=0.5, report_every_n_tags=20))
            + client_message({"ENABLE_ROSPEC": {"ID": 2, "ROSpecID": 7}})
        )
        client.until(Msg.ENABLE_ROSPEC_RESPONSE)
        events: list[Param] = []
        while len(events) < 2:
            body = client.until(Msg.READER_EVENT_NOTIFICATION)
            events.extend(
                p for p in iter_params(body) if p.type == Par.READER_EVENT_NOTIFICATION_DATA
            )
        kinds = [
            (q.body[0], struct.unpack_from("!I", q.body, 1)[0])
            for e in events
            for q in iter_params(e.body)
            if q.type == Par.ROSPEC_EVENT
        ]
        assert kinds == [(0, 7), (1, 7)]  # start, then end by its Duration trigger
        wait_until(lambda: not reader.call(lambda: reader.fleet["rdr1"].inventorying), "the end")
        c = reader.counters("rdr1")
        assert client.reads == c.reads_sent > 0
        assert c.accounted()
    finally:
        client.close()


def test_client_set_hold_flag_holds_reports_until_events_are_enabled(
    reader: EmulatorThread,
) -> None:
    port = reader.fleet.ports["rdr1"]
    hold = struct.pack("!HII", (1 << 10) | Msg.SET_READER_CONFIG, 16, 1) + bytes.fromhex(
        "00 00e2 0005 80"
    )
    first = RawClient(port)
    try:
        first.until(Msg.READER_EVENT_NOTIFICATION)
        first.sock.sendall(hold)
        first.until(Msg.SET_READER_CONFIG_RESPONSE)
        first.sock.sendall(
            client_message(add_rospec(1, report_every_n_tags=20))
            + client_message({"ENABLE_ROSPEC": {"ID": 2, "ROSpecID": 1}})
        )
        first.until(Msg.RO_ACCESS_REPORT)
    finally:
        first.close()
    wait_until(lambda: reader.counters("rdr1").reads_held > 0, "reads held for the client")
    second = RawClient(port)
    try:
        second.until(Msg.READER_EVENT_NOTIFICATION)
        before = reader.counters("rdr1")
        wait_until(
            lambda: reader.counters("rdr1").reads_held > before.reads_held + 50,
            "more reads held while events are not enabled",
        )
        assert reader.counters("rdr1").reads_sent == before.reads_sent
        second.sock.sendall(_get(Msg.ENABLE_EVENTS_AND_REPORTS))
        second.until(Msg.RO_ACCESS_REPORT)
        wait_until(lambda: reader.counters("rdr1").reads_held == 0, "the held reads to go out")
        c = reader.counters("rdr1")
        assert c.reads_dropped_disconnected == 0
        assert c.accounted()
    finally:
        second.close()
