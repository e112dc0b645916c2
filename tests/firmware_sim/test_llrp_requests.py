"""Client requests as sllurp encodes them decode to what the client asked for; junk is refused."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sllurp.llrp import LLRPMessage
from sllurp.llrp_proto import LLRPROSpec

from firmware_sim.llrp import requests as req
from firmware_sim.llrp.constants import HEADER_LEN, ReportTrigger, StopTrigger, TagObservation
from firmware_sim.llrp.decode import DecodeError, Header, iter_params, parse_header

TCS_FLAGS = {
    "EnableROSpecID": "rospec_id",
    "EnableSpecIndex": "spec_index",
    "EnableInventoryParameterSpecID": "inventory_spec_id",
    "EnableAntennaID": "antenna_id",
    "EnableChannelIndex": "channel_index",
    "EnablePeakRSSI": "peak_rssi",
    "EnableFirstSeenTimestamp": "first_seen",
    "EnableLastSeenTimestamp": "last_seen",
    "EnableTagSeenCount": "seen_count",
    "EnableAccessSpecID": "access_spec_id",
}


def sllurp_bytes(msg: dict[str, Any]) -> tuple[Header, bytes]:
    """Header and body of a client message serialised by sllurp."""
    data = bytes(LLRPMessage(msgdict=msg).msgbytes)
    return parse_header(data[:HEADER_LEN]), data[HEADER_LEN:]


@settings(max_examples=100, deadline=None)
@given(
    rospec_id=st.integers(1, 2**32 - 1),
    antennas=st.lists(st.integers(1, 64), min_size=1, max_size=8, unique=True),
    n_tags=st.one_of(st.none(), st.integers(1, 65535)),
    timeout_ms=st.integers(0, 2**32 - 1),
    duration=st.one_of(st.none(), st.integers(1, 100_000)),
    flags=st.fixed_dictionaries({k: st.booleans() for k in TCS_FLAGS}),
)
def test_sllurp_rospec_decodes_to_its_settings(
    rospec_id: int,
    antennas: list[int],
    n_tags: int | None,
    timeout_ms: int,
    duration: int | None,
    flags: dict[str, bool],
) -> None:
    rospec = LLRPROSpec(
        None,
        rospec_id,
        antennas=tuple(antennas),
        report_every_n_tags=n_tags,
        report_timeout_ms=timeout_ms,
        duration_sec=None if duration is None else duration / 1000,
        tag_content_selector=flags,
    )
    body = sllurp_bytes({"ADD_ROSPEC": {"ID": 1, "ROSpecID": rospec_id, "ROSpec": rospec}})[1]
    spec = req.decode_add_rospec(body)
    assert spec.rospec_id == rospec_id
    assert spec.current_state == 0
    assert spec.start_trigger == 1  # Immediate
    assert spec.antennas == frozenset(antennas)
    (ai,) = spec.ai_specs
    assert ai.antennas == tuple(antennas)
    assert ai.inventory_spec_ids == (1,)
    if n_tags is None:
        assert ai.observation is None
    else:
        assert ai.observation == req.TagObservationSpec(
            TagObservation.UPON_N_TAGS, n_tags, timeout_ms
        )
    if duration is None:
        assert (spec.stop_trigger, ai.stop_trigger == StopTrigger.DURATION) == (0, False)
    else:
        assert (spec.stop_trigger, spec.stop_duration_ms) == (StopTrigger.DURATION, duration)
    report = spec.report_spec
    assert report is not None
    assert (report.trigger, report.n) == (ReportTrigger.N_TAGS_OR_END_OF_AISPEC, 0)
    for sllurp_name, ours in TCS_FLAGS.items():
        assert getattr(report.selector, ours) is flags[sllurp_name]
    assert spec.raw == body  # GET_ROSPECS can echo it unchanged


def test_set_reader_config_from_sllurp() -> None:
    msg = {
        "SET_READER_CONFIG": {
            "ID": 3,
            "ResetToFactoryDefaults": True,
            "ReaderEventNotificationSpec": {
                "EventNotificationState": {"ROSpecEvent": True, "GPIEvent": False}
            },
            "KeepaliveSpec": {"KeepaliveTriggerType": 1, "TimeInterval": 1500},
        }
    }
    update = req.decode_set_config(sllurp_bytes(msg)[1])
    assert update.reset is True
    assert update.keepalive_ms == 1500
    assert update.events == {2: True, 1: False}
    assert update.report_spec is None
    assert update.hold_events is None


def test_set_reader_config_with_report_spec_and_hold_flag() -> None:
    # sllurp cannot encode these two parameters; these are their LLRP 1.0.1 encodings.
    selector = bytes.fromhex("00ee 0006 1700")  # antenna, rssi, first and last seen
    report = bytes.fromhex("00ed 000d 02 00c8") + selector
    hold = bytes.fromhex("00e2 0005 80")
    update = req.decode_set_config(b"\x00" + report + hold)
    assert update.report_spec == req.ReportSpec(
        ReportTrigger.N_TAGS_OR_END_OF_ROSPEC,
        200,
        req.ContentSelector(antenna_id=True, peak_rssi=True, first_seen=True, last_seen=True),
    )
    assert update.hold_events is True


def test_get_reader_config_and_capabilities_fields() -> None:
    msg = {"GET_READER_CONFIG": {"ID": 1, "RequestedData": 8, "AntennaID": 2}}
    assert req.decode_get_config(sllurp_bytes(msg)[1]) == req.ConfigRequest(8, 2)
    caps = {"GET_READER_CAPABILITIES": {"ID": 1, "RequestedData": 3}}
    assert req.decode_requested_data(sllurp_bytes(caps)[1]) == 3


def test_access_spec_from_sllurp() -> None:
    spec = {
        "AccessSpecID": 9,
        "AntennaID": 0,
        "ProtocolID": 1,
        "CurrentState": False,
        "ROSpecID": 0,
        "AccessSpecStopTrigger": {"AccessSpecStopTriggerType": 0, "OperationCountValue": 0},
        "AccessCommand": {
            "TagSpecParameter": {
                "C1G2TagSpec": {
                    "C1G2TargetTag": [
                        {"MB": 1, "M": 1, "Pointer": 32, "TagMask": "", "TagData": ""}
                    ]
                }
            },
            "OpSpecParameter": [
                {
                    "C1G2Read": {
                        "OpSpecID": 1,
                        "AccessPassword": 0,
                        "MB": 2,
                        "WordPtr": 0,
                        "WordCount": 2,
                    }
                }
            ],
        },
        "AccessReportSpec": {"AccessReportTrigger": 1},
    }
    body = sllurp_bytes({"ADD_ACCESSSPEC": {"ID": 4, "AccessSpec": spec}})[1]
    decoded = req.decode_add_accessspec(body)
    assert (decoded.access_spec_id, decoded.enabled, decoded.protocol_id) == (9, False, 1)
    assert decoded.raw == body


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("DELETE_ROSPEC", "ROSpecID"),
        ("ENABLE_ROSPEC", "ROSpecID"),
        ("DELETE_ACCESSSPEC", "AccessSpecID"),
    ],
)
def test_id_commands(name: str, field: str) -> None:
    body = sllurp_bytes({name: {"ID": 1, field: 77}})[1]
    assert req.decode_id(body, name) == 77


def test_custom_message_fields() -> None:
    header, body = sllurp_bytes({"IMPINJ_ENABLE_EXTENSIONS": {"ID": 1}})
    assert header.msg_type == 1023
    assert req.decode_custom(body) == (25882, 21, b"\0\0\0\0")


DECODERS: list[Callable[[bytes], object]] = [
    req.decode_add_rospec,
    req.decode_add_accessspec,
    req.decode_set_config,
    req.decode_get_config,
    req.decode_custom,
    lambda body: req.decode_id(body, "x"),
    lambda body: list(iter_params(body)),
]


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200), which=st.integers(0, len(DECODERS) - 1))
def test_junk_bodies_raise_decode_error_only(body: bytes, which: int) -> None:
    error: DecodeError | None = None
    try:
        DECODERS[which](body)
    except DecodeError as exc:
        error = exc
    if error is not None:  # any other exception fails the test
        assert str(error)
        assert error.code >= 100


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, 200), flip=st.integers(0, 255), where=st.integers(0, 200))
def test_damaged_rospec_raises_decode_error_only(cut: int, flip: int, where: int) -> None:
    rospec = LLRPROSpec(None, 5, antennas=(1, 2), report_every_n_tags=10)
    _, body = sllurp_bytes({"ADD_ROSPEC": {"ID": 1, "ROSpecID": 5, "ROSpec": rospec}})
    damaged = bytearray(body[: len(body) - cut % len(body)])
    if damaged:
        damaged[where % len(damaged)] ^= flip
    with contextlib.suppress(DecodeError):  # any other exception fails the test
        req.decode_add_rospec(bytes(damaged))


def test_missing_rospec_names_the_problem() -> None:
    with pytest.raises(DecodeError, match="missing parameter 177") as info:
        req.decode_add_rospec(b"")
    assert info.value.code == 103  # M_MissingParameter
