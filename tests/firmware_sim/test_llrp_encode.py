"""The emulator's LLRP encoding decodes, in sllurp and in our own decoder, to what was encoded."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sllurp.llrp import LLRPClient, LLRPMessage, LLRPReaderConfig

from firmware_sim.llrp import encode
from firmware_sim.llrp.capabilities import ReaderModel, capabilities_body
from firmware_sim.llrp.config_response import config_body
from firmware_sim.llrp.constants import ConnectionStatus, Msg, Status
from firmware_sim.llrp.decode import decode_tag_reports, split_messages
from firmware_sim.llrp.report import (
    EpcTable,
    ReportEncoder,
    ReportFormat,
    encode_reference,
    epc_bytes,
    gen2_crc16,
    stored_crc,
    stored_pc,
)
from firmware_sim.llrp.requests import ConfigRequest, ContentSelector
from firmware_sim.llrp.state import ReaderState, RoEntry
from firmware_sim.scenario.types import READ_DTYPE, Reads

SELECTOR_FIELDS = [
    "rospec_id",
    "spec_index",
    "inventory_spec_id",
    "antenna_id",
    "channel_index",
    "peak_rssi",
    "first_seen",
    "last_seen",
    "seen_count",
    "access_spec_id",
    "crc",
    "pc_bits",
]

# EPCs of 1..31 16-bit words, as Gen2 tags carry them; 96-bit ones are the common case.
epc_strategy = st.one_of(
    st.binary(min_size=12, max_size=12),
    st.integers(1, 31).flatmap(lambda w: st.binary(min_size=2 * w, max_size=2 * w)),
).map(lambda b: b.hex().upper())
selectors = st.builds(ContentSelector, **{name: st.booleans() for name in SELECTOR_FIELDS})
read_rows = st.tuples(
    st.integers(0, 2**63 - 1),  # t_us
    st.integers(1, 32767),  # antenna
    st.integers(0, 1 << 30),  # tag (reduced modulo the EPC count)
    st.floats(-300, 300, allow_nan=False, width=32),  # rssi
)


def make_reads(rows: list[tuple[int, int, int, float]], n_tags: int) -> Reads:
    """A READ_DTYPE array from (t_us, antenna, tag, rssi) rows."""
    reads = np.zeros(len(rows), READ_DTYPE)
    for i, (t_us, antenna, tag, rssi) in enumerate(rows):
        reads[i] = (t_us, 0, antenna, tag % n_tags, rssi)
    return reads


def expected_rssi(rssi: float) -> int:
    """PeakRSSI as a reader reports a float32 RSSI: nearest whole dBm, clipped to int8."""
    return int(min(127, max(-128, np.rint(np.float32(rssi)))))


def sllurp_tags(data: bytes) -> tuple[list[dict[str, Any]], list[int]]:
    """All TagReportData sllurp decodes from a stream of RO_ACCESS_REPORTs, and the message IDs."""
    tags: list[dict[str, Any]] = []
    ids = []
    pos = 0
    for header, _ in split_messages(data):
        msg = LLRPMessage(msgbytes=data[pos : pos + header.length])
        pos += header.length
        assert msg.getName() == "RO_ACCESS_REPORT"
        tags.extend(msg.msgdict["RO_ACCESS_REPORT"]["TagReportData"])
        ids.append(msg.msgdict["RO_ACCESS_REPORT"]["ID"])
    return tags, ids


def check_tag(tag: dict[str, Any], epc: str, read: np.void, fmt: ReportFormat) -> None:
    """One sllurp-decoded TagReportData against the read it came from."""
    sel = fmt.selector
    assert tag["EPC"].decode().upper() == epc
    assert ("EPC-96" in tag) == (len(epc) == 24)
    expected: dict[str, int] = {}
    if sel.rospec_id:
        expected["ROSpecID"] = fmt.rospec_id
    if sel.spec_index:
        expected["SpecIndex"] = fmt.spec_index
    if sel.inventory_spec_id:
        expected["InventoryParameterSpecID"] = fmt.inventory_spec_id
    if sel.antenna_id:
        expected["AntennaID"] = int(read["antenna"])
    if sel.peak_rssi:
        expected["PeakRSSI"] = expected_rssi(float(read["rssi"]))
    if sel.channel_index:
        expected["ChannelIndex"] = int(read["t_us"]) // 200_000 % 50 + 1
    if sel.first_seen:
        expected["FirstSeenTimestampUTC"] = int(read["t_us"])
    if sel.last_seen:
        expected["LastSeenTimestampUTC"] = int(read["t_us"])
    if sel.seen_count:
        expected["TagSeenCount"] = 1
    if sel.pc_bits:
        expected["C1G2PC"] = stored_pc(len(epc) * 4)
    if sel.crc:
        expected["C1G2CRC"] = stored_crc(epc)
    if sel.access_spec_id:
        expected["AccessSpecID"] = fmt.access_spec_id
    present = {k: v for k, v in tag.items() if k not in ("EPC", "EPC-96")}
    assert present == expected


@settings(max_examples=150, deadline=None)
@given(
    epcs=st.lists(epc_strategy, min_size=1, max_size=8, unique=True),
    rows=st.lists(read_rows, min_size=1, max_size=40),
    selector=selectors,
    per_message=st.integers(1, 50),
    first_id=st.integers(1, 2**32 - 1),
    rospec_id=st.integers(1, 2**32 - 1),
)
def test_reports_decode_in_sllurp_to_the_reads(
    epcs: list[str],
    rows: list[tuple[int, int, int, float]],
    selector: ContentSelector,
    per_message: int,
    first_id: int,
    rospec_id: int,
) -> None:
    reads = make_reads(rows, len(epcs))
    fmt = ReportFormat(selector, rospec_id=rospec_id, spec_index=3, inventory_spec_id=7)
    data, count = ReportEncoder(EpcTable(epcs), fmt).messages(reads, per_message, first_id)
    tags, ids = sllurp_tags(data)
    assert count == len(ids) == math.ceil(len(reads) / per_message)
    assert ids == [(first_id + i) & 0xFFFFFFFF for i in range(count)]
    assert len(tags) == len(reads)
    for tag, read in zip(tags, reads, strict=True):
        check_tag(tag, epcs[int(read["tag"])], read, fmt)


@settings(max_examples=150, deadline=None)
@given(
    epcs=st.lists(epc_strategy, min_size=1, max_size=8, unique=True),
    rows=st.lists(read_rows, min_size=0, max_size=40),
    selector=selectors,
    per_message=st.integers(1, 50),
)
def test_fast_encoder_matches_reference_encoder(
    epcs: list[str],
    rows: list[tuple[int, int, int, float]],
    selector: ContentSelector,
    per_message: int,
) -> None:
    reads = make_reads(rows, len(epcs))
    fmt = ReportFormat(selector, rospec_id=9)
    fast, _ = ReportEncoder(EpcTable(epcs), fmt).messages(reads, per_message, 100)
    assert fast == encode_reference(epcs, fmt, reads, per_message, 100)


@settings(max_examples=100, deadline=None)
@given(
    epcs=st.lists(epc_strategy, min_size=1, max_size=8, unique=True),
    rows=st.lists(read_rows, min_size=1, max_size=30),
)
def test_own_decoder_reads_back_every_field(
    epcs: list[str], rows: list[tuple[int, int, int, float]]
) -> None:
    reads = make_reads(rows, len(epcs))
    everything = ContentSelector(**dict.fromkeys(SELECTOR_FIELDS, True))
    fmt = ReportFormat(everything, rospec_id=5)
    data, _ = ReportEncoder(EpcTable(epcs), fmt).messages(reads, 7, 1)
    reports = [r for _, body in split_messages(data) for r in decode_tag_reports(body)]
    assert [r.epc for r in reports] == [epcs[int(t)] for t in reads["tag"]]
    assert [r.antenna for r in reports] == reads["antenna"].tolist()
    assert [r.first_seen_us for r in reports] == reads["t_us"].tolist()
    assert [r.last_seen_us for r in reports] == reads["t_us"].tolist()
    assert [r.peak_rssi for r in reports] == [expected_rssi(float(x)) for x in reads["rssi"]]
    assert {r.rospec_id for r in reports} == {5}
    assert {r.seen_count for r in reports} == {1}


def test_nan_rssi_reads_as_the_floor() -> None:
    reads = make_reads([(1, 1, 0, 0.0)], 1)
    reads["rssi"] = np.nan
    fmt = ReportFormat(ContentSelector(peak_rssi=True))
    data, _ = ReportEncoder(EpcTable(["300833B2DDD906C000000000"]), fmt).messages(reads, 1, 1)
    assert [r.peak_rssi for r in decode_tag_reports(data[10:])] == [-128]


def test_gen2_crc16_check_value() -> None:
    # CRC-16/GENIBUS, the Gen2 StoredCRC algorithm, has the standard check value 0xD64E.
    assert gen2_crc16(b"123456789") == 0xD64E


def test_stored_pc_counts_epc_words() -> None:
    assert stored_pc(96) == 0x3000
    assert stored_pc(128) == 0x4000
    assert stored_pc(16) == 0x0800


def test_bad_epc_is_refused_with_its_value() -> None:
    with pytest.raises(ValueError, match="'30ZZ'"):
        epc_bytes("30ZZ")


def decode(data: bytes) -> tuple[str, dict[str, Any]]:
    """Name and fields of one whole message, as sllurp decodes it."""
    msg = LLRPMessage(msgbytes=data)
    name: str = msg.getName()
    fields: dict[str, Any] = msg.msgdict[name]
    return name, fields


def test_connection_attempt_decodes_as_success_with_timestamp() -> None:
    name, fields = decode(encode.connection_attempt(7, 1_700_000_000_123_456))
    event = fields["ReaderEventNotificationData"]
    assert name == "READER_EVENT_NOTIFICATION"
    assert fields["ID"] == 7
    assert event["ConnectionAttemptEvent"]["Status"] == "Success"
    assert event["UTCTimestamp"]["Microseconds"] == 1_700_000_000_123_456


def test_refused_connection_attempt_says_why() -> None:
    data = encode.connection_attempt(1, 5, ConnectionStatus.FAILED_CLIENT_CONNECTION_EXISTS)
    status = decode(data)[1]["ReaderEventNotificationData"]["ConnectionAttemptEvent"]["Status"]
    assert status == "Failed (a Client initiated connection already exists)"


def test_rospec_event_decodes() -> None:
    _, fields = decode(encode.rospec_event(3, 10, 1, 42))
    event = fields["ReaderEventNotificationData"]["ROSpecEvent"]
    assert event == {"EventType": "End_of_ROSpec", "ROSpecID": 42, "PreemptingROSpecID": 0}


def test_keepalive_and_error_message_decode() -> None:
    assert decode(encode.keepalive(99)) == ("KEEPALIVE", {"ID": 99, "Ver": 1, "Type": 62})
    name, fields = decode(encode.error_message(5, Status.M_UNSUPPORTED_MESSAGE, "no"))
    assert name == "ERROR_MESSAGE"
    assert fields["LLRPStatus"]["StatusCode"] == "UnsupportedMessage"
    assert fields["LLRPStatus"]["ErrorDescription"] == b"no"


@pytest.mark.parametrize(
    ("msg_type", "name"),
    [
        (Msg.ADD_ROSPEC_RESPONSE, "ADD_ROSPEC_RESPONSE"),
        (Msg.ENABLE_ROSPEC_RESPONSE, "ENABLE_ROSPEC_RESPONSE"),
        (Msg.DELETE_ACCESSSPEC_RESPONSE, "DELETE_ACCESSSPEC_RESPONSE"),
        (Msg.SET_READER_CONFIG_RESPONSE, "SET_READER_CONFIG_RESPONSE"),
        (Msg.CLOSE_CONNECTION_RESPONSE, "CLOSE_CONNECTION_RESPONSE"),
    ],
)
def test_status_responses_decode(msg_type: Msg, name: str) -> None:
    decoded_name, fields = decode(encode.response(msg_type, 12, Status.A_INVALID, "bad id"))
    assert decoded_name == name
    assert fields["ID"] == 12
    assert fields["LLRPStatus"]["StatusCode"] == "A_Invalid"
    assert fields["LLRPStatus"]["ErrorDescription"] == b"bad id"


def test_capabilities_satisfy_sllurp() -> None:
    model = ReaderModel(name="r", antennas=8)
    data = encode.message(Msg.GET_READER_CAPABILITIES_RESPONSE, 1, capabilities_body(model, 0))
    name, caps = decode(data)
    assert name == "GET_READER_CAPABILITIES_RESPONSE"
    client = LLRPClient(LLRPReaderConfig({"antennas": [1, 8], "mode_identifier": 1002}))
    client.parseCapabilities(caps)  # raises if anything sllurp needs is missing or refused
    assert client.max_ant == 8
    assert client.tx_power_table[1:] == [p / 100 for p in model.power_table]
    assert client.reader_mode["ModeIdentifier"] == 1002
    general = caps["GeneralDeviceCapabilities"]
    assert (general["DeviceManufacturerName"], general["ModelName"]) == (25882, 2001002)
    assert general["ReaderFirmwareVersion"] == b"5.14.0.240"
    assert caps["LLRPCapabilities"]["SupportsEventAndReportHolding"] is True


def test_reader_config_decodes_in_sllurp() -> None:
    state = ReaderState(ReaderModel(name="r"), _NoListener())
    state.settings.keepalive_ms = 2500
    body = config_body(state, ConfigRequest(requested=0, antenna_id=0))
    name, cfg = decode(encode.message(Msg.GET_READER_CONFIG_RESPONSE, 2, body))
    assert name == "GET_READER_CONFIG_RESPONSE"
    assert cfg["LLRPStatus"]["StatusCode"] == "Success"
    assert cfg["KeepaliveSpec"] == {"KeepaliveTriggerType": "Immediate", "TimeInterval": 2500}
    assert [a["AntennaID"] for a in cfg["AntennaConfiguration"]] == [1, 2, 3, 4]
    assert cfg["ROReportSpec"]["TagReportContentSelector"]["EnableFirstSeenTimestamp"] is True
    assert cfg["EventsAndReports"] == {"HoldEventsAndReportsUponReconnect": False}


class _NoListener:
    def rospec_started(self, entry: RoEntry) -> None:
        """Unused."""

    def rospec_stopped(self, entry: RoEntry) -> None:
        """Unused."""
