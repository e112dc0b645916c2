"""Real LLRP captures: our decoder reads them, and our encoder rebuilds them byte for byte."""

from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sllurp.llrp import LLRPMessage

from firmware_sim.llrp import encode
from firmware_sim.llrp.capabilities import ReaderModel, capabilities_body
from firmware_sim.llrp.config_response import accessspecs_body, config_body, rospecs_body
from firmware_sim.llrp.constants import HEADER_LEN, Msg, Par
from firmware_sim.llrp.decode import (
    Header,
    TagReport,
    decode_tag_reports,
    iter_params,
    split_messages,
)
from firmware_sim.llrp.report import EpcTable, ReportEncoder, ReportFormat
from firmware_sim.llrp.requests import ConfigRequest, ContentSelector
from firmware_sim.llrp.state import ReaderState, RoEntry
from firmware_sim.scenario.types import READ_DTYPE, Reads

# What the captured reports carry: EPC, AntennaID, PeakRSSI, FirstSeenTimestampUTC (+ count).
SLLURP_FORMAT = ReportFormat(
    ContentSelector(antenna_id=True, peak_rssi=True, first_seen=True, seen_count=True)
)
EDGEX_FORMAT = ReportFormat(ContentSelector(antenna_id=True, peak_rssi=True, first_seen=True))


def sllurp_stream(testdata: Path) -> bytes:
    """The sllurp test suite's stream of whole RO_ACCESS_REPORT messages."""
    text = (testdata / "llrp/sllurp/ro_access_reports.hex").read_text().strip()
    return binascii.unhexlify(text)


def reads_of(reports: list[TagReport], epcs: list[str]) -> Reads:
    """Scenario-style reads carrying what the captured tag reports say."""
    reads = np.zeros(len(reports), READ_DTYPE)
    for i, r in enumerate(reports):
        reads[i] = (r.first_seen_us, 0, r.antenna, epcs.index(r.epc), r.peak_rssi)
    return reads


def test_sllurp_capture_decodes_to_45_tag_reports(testdata: Path) -> None:
    messages = split_messages(sllurp_stream(testdata))
    reports = [r for _, body in messages for r in decode_tag_reports(body)]
    assert len(reports) == 45
    assert {h.msg_type for h, _ in messages} == {Msg.RO_ACCESS_REPORT}
    epcs = {r.epc for r in reports}
    assert {"3005FB63AC1F3841EC880467", "300833B2DDD906C000000000"} <= epcs
    assert [len(e) * 4 for e in epcs if len(e) != 24] == [144]
    assert {r.antenna for r in reports} == {1}
    assert min(r.peak_rssi or 0 for r in reports) == -61
    assert max(r.peak_rssi or 0 for r in reports) == -17
    # FirstSeenTimestampUTC falls on 2013-11-27.
    assert all(1385510400_000000 <= (r.first_seen_us or 0) < 1385596800_000000 for r in reports)


def test_sllurp_capture_is_rebuilt_byte_for_byte(testdata: Path) -> None:
    stream = sllurp_stream(testdata)
    messages = split_messages(stream)
    reports = [r for _, body in messages for r in decode_tag_reports(body)]
    epcs = sorted({r.epc for r in reports})
    encoder = ReportEncoder(EpcTable(epcs), SLLURP_FORMAT)
    first_id = messages[0][0].msg_id
    assert [h.msg_id for h, _ in messages] == list(range(first_id, first_id + 45))
    rebuilt, count = encoder.messages(reads_of(reports, epcs), 1, first_id)
    assert count == 45
    assert rebuilt == stream


@pytest.mark.parametrize("index", range(1, 10))
def test_edgex_report_decodes_to_its_json_and_is_rebuilt(testdata: Path, index: int) -> None:
    stem = testdata / f"llrp/edgex/roAccessReports/ROAccessReport-{index:03d}"
    body = stem.with_suffix(".bytes").read_bytes()
    expected = json.loads(stem.with_suffix(".json").read_text())["TagReportData"][0]
    (report,) = decode_tag_reports(body)
    assert report.epc == base64.b64decode(expected["EPC96"]["EPC"]).hex().upper()
    assert report.antenna == expected["AntennaID"]
    assert report.peak_rssi == expected["PeakRSSI"]
    assert report.first_seen_us == expected["FirstSeenUTC"]
    encoder = ReportEncoder(EpcTable([report.epc]), EDGEX_FORMAT)
    rebuilt, _ = encoder.messages(reads_of([report], [report.epc]), 1, 1)
    assert rebuilt[HEADER_LEN:] == body


def test_connection_attempt_matches_capture(testdata: Path) -> None:
    text = (testdata / "llrp/sllurp/reader_event_notification_connection_attempt.hex").read_text()
    captured = binascii.unhexlify(text.strip())
    msg_id = struct.unpack_from("!I", captured, 6)[0]
    fields = LLRPMessage(msgbytes=captured).msgdict["READER_EVENT_NOTIFICATION"]
    stamp = fields["ReaderEventNotificationData"]["UTCTimestamp"]["Microseconds"]
    assert encode.connection_attempt(msg_id, stamp) == captured


def test_connection_close_event_matches_capture(testdata: Path) -> None:
    captured = (testdata / "llrp/edgex/ReaderEventNotification-000.bytes").read_bytes()
    stamp = json.loads((testdata / "llrp/edgex/ReaderEventNotification-000.json").read_text())[
        "ReaderEventNotificationData"
    ]["UTCTimestamp"]
    assert encode.connection_close(1, stamp)[HEADER_LEN:] == captured


def test_empty_status_responses_match_capture(testdata: Path) -> None:
    state = ReaderState(ReaderModel(), _NoListener())
    edgex = testdata / "llrp/edgex"
    close = encode.response(Msg.CLOSE_CONNECTION_RESPONSE, 1)[HEADER_LEN:]
    assert close == (edgex / "CloseConnectionResponse-000.bytes").read_bytes()
    assert rospecs_body(state) == (edgex / "GetROSpecsResponse-000.bytes").read_bytes()
    assert accessspecs_body(state) == (edgex / "GetAccessSpecsResponse-000.bytes").read_bytes()


def shape(data: bytes) -> list[object]:
    """Parameter tree of a capabilities body: (type, length) with nested containers opened."""
    skip: dict[int, Callable[[bytes], int]] = {
        Par.GENERAL_DEVICE_CAPABILITIES: lambda body: 14 + struct.unpack_from("!H", body, 12)[0],
        Par.REGULATORY_CAPABILITIES: lambda body: 4,
        Par.UHF_BAND_CAPABILITIES: lambda body: 0,
        Par.FREQUENCY_INFORMATION: lambda body: 1,
        Par.UHF_C1G2_RF_MODE_TABLE: lambda body: 0,
    }
    out: list[object] = []
    for p in iter_params(data):
        opener = skip.get(p.type)
        nested = shape(p.body[opener(p.body) :]) if opener else []
        out.append((p.type, len(p.raw), nested))
    return out


def test_capabilities_have_the_shape_of_the_real_impinj_answer(testdata: Path) -> None:
    captured = (testdata / "llrp/edgex/GetReaderCapabilitiesResponse-000.bytes").read_bytes()
    ours = capabilities_body(ReaderModel(), 0)
    assert shape(ours) == shape(captured)
    decoded = {}
    for name, body in (("captured", captured), ("ours", ours)):
        msg = LLRPMessage(msgbytes=encode.message(Msg.GET_READER_CAPABILITIES_RESPONSE, 1, body))
        decoded[name] = msg.msgdict["GET_READER_CAPABILITIES_RESPONSE"]
    cap, own = decoded["captured"], decoded["ours"]
    assert own["GeneralDeviceCapabilities"] == cap["GeneralDeviceCapabilities"]
    assert own["C1G2LLRPCapabilities"] == cap["C1G2LLRPCapabilities"]
    band, own_band = (d["RegulatoryCapabilities"]["UHFBandCapabilities"] for d in (cap, own))
    assert own_band["TransmitPowerLevelTableEntry"] == band["TransmitPowerLevelTableEntry"]
    assert own_band["UHFC1G2RFModeTable"] == band["UHFC1G2RFModeTable"]
    hops, own_hops = (
        b["FrequencyInformation"]["FrequencyHopTable"][0]["Frequency"] for b in (band, own_band)
    )
    assert sorted(own_hops) == sorted(hops)  # same 50 channels, our own hop order


def test_reader_config_has_the_parameters_of_the_real_answer(testdata: Path) -> None:
    captured = (testdata / "llrp/edgex/GetReaderConfigResponse-000.bytes").read_bytes()
    state = ReaderState(ReaderModel(), _NoListener())
    ours = config_body(state, ConfigRequest(requested=0, antenna_id=0))
    standard = [p.type for p in iter_params(captured) if p.type != Par.CUSTOM]
    assert [p.type for p in iter_params(ours)] == standard


def test_sllurp_decodes_the_whole_capture_like_ours(testdata: Path) -> None:
    stream = sllurp_stream(testdata)
    ours = [r for _, body in split_messages(stream) for r in decode_tag_reports(body)]
    theirs = []
    pos = 0
    while pos < len(stream):
        header = Header(1, 0, struct.unpack_from("!I", stream, pos + 2)[0], 0)
        msg = LLRPMessage(msgbytes=stream[pos : pos + header.length])
        theirs.extend(msg.msgdict["RO_ACCESS_REPORT"]["TagReportData"])
        pos += header.length
    assert [t["EPC"].decode().upper() for t in theirs] == [r.epc for r in ours]
    assert [t["PeakRSSI"] for t in theirs] == [r.peak_rssi for r in ours]
    assert [t["FirstSeenTimestampUTC"] for t in theirs] == [r.first_seen_us for r in ours]


class _NoListener:
    def rospec_started(self, entry: RoEntry) -> None:
        """Unused."""

    def rospec_stopped(self, entry: RoEntry) -> None:
        """Unused."""
