"""The gateway's LLRP path decodes real messages captured from real readers."""

from __future__ import annotations

import base64
import binascii
import json
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sllurp.llrp import LLRPMessage

from edge.readers.framing import HEADER, Framer, FramingError
from edge.readers.llrp import tags_to_batch

RO_ACCESS_REPORT = 61
READER_EVENT_NOTIFICATION = 63
GET_READER_CAPABILITIES_RESPONSE = 11
GET_READER_CONFIG_RESPONSE = 12


def _stream(testdata: Path) -> bytes:
    hex_text = (testdata / "llrp/sllurp/ro_access_reports.hex").read_text().strip()
    return binascii.unhexlify(hex_text)


def _with_header(msg_type: int, body: bytes, msg_id: int = 7) -> bytes:
    return HEADER.pack((1 << 10) | msg_type, len(body) + HEADER.size, msg_id) + body


def _decode_all(frames_data: list[bytes]) -> list[dict[str, object]]:
    tags: list[dict[str, object]] = []
    for data in frames_data:
        msg = LLRPMessage(msgbytes=data)
        tags.extend(msg.msgdict["RO_ACCESS_REPORT"].get("TagReportData", []))
    return tags


def test_sllurp_capture_yields_all_45_tag_reports(testdata: Path) -> None:
    frames = Framer().feed(_stream(testdata))
    assert {f.msg_type for f in frames} == {RO_ACCESS_REPORT}
    batch = tags_to_batch(0, 0, _decode_all([f.data for f in frames]))
    assert len(batch) == 45
    assert {"3005FB63AC1F3841EC880467", "300833B2DDD906C000000000"} <= set(batch.epcs)
    assert any(len(epc) == 36 for epc in batch.epcs)  # the 144-bit EPCData tag
    assert set(batch.antenna.tolist()) == {1}
    assert batch.rssi.min() == -61
    assert batch.rssi.max() == -17
    assert (batch.t_us // 1_000_000 // 86400 == 16036).all()  # 2013-11-27 UTC


@given(cuts=st.lists(st.integers(min_value=1, max_value=1990), max_size=30))
def test_framing_is_independent_of_tcp_chunking(cuts: list[int]) -> None:
    data = _stream(Path(__file__).resolve().parents[4] / "shared" / "testdata")
    framer = Framer()
    got: list[bytes] = []
    prev = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        got.extend(f.data for f in framer.feed(data[prev:cut]))
        prev = cut
    assert b"".join(got) == data
    assert len(got) == 45
    assert framer.pending == 0


def test_edgex_impinj_reports_match_their_decoded_twins(testdata: Path) -> None:
    folder = testdata / "llrp/edgex/roAccessReports"
    files = sorted(folder.glob("*.bytes"))
    assert len(files) == 9
    for path in files:
        twin = json.loads(path.with_suffix(".json").read_text())["TagReportData"][0]
        frames = Framer().feed(_with_header(RO_ACCESS_REPORT, path.read_bytes()))
        batch = tags_to_batch(0, 0, _decode_all([frames[0].data]))
        assert batch.epcs == (base64.b64decode(twin["EPC96"]["EPC"]).hex().upper(),)
        assert batch.antenna[0] == twin["AntennaID"]
        assert batch.rssi[0] == twin["PeakRSSI"]
        assert batch.t_us[0] == twin["FirstSeenUTC"]


@pytest.mark.parametrize(
    ("path", "msg_type", "name"),
    [
        ("edgex/GetReaderCapabilitiesResponse-000.bytes", 11, "GET_READER_CAPABILITIES_RESPONSE"),
        ("edgex/GetReaderConfigResponse-000.bytes", 12, "GET_READER_CONFIG_RESPONSE"),
        ("edgex/ReaderEventNotification-000.bytes", 63, "READER_EVENT_NOTIFICATION"),
    ],
)
def test_edgex_session_messages_decode(testdata: Path, path: str, msg_type: int, name: str) -> None:
    frames = Framer().feed(_with_header(msg_type, (testdata / "llrp" / path).read_bytes()))
    assert LLRPMessage(msgbytes=frames[0].data).getName() == name


def test_whole_captured_messages_decode(testdata: Path) -> None:
    caps = (testdata / "llrp/sllurp/get_reader_capabilities_response.dat").read_bytes()
    event = binascii.unhexlify(
        (testdata / "llrp/sllurp/reader_event_notification_connection_attempt.hex")
        .read_text()
        .strip()
    )
    frames = Framer().feed(caps + event)
    messages = [LLRPMessage(msgbytes=f.data) for f in frames]
    assert [m.getName() for m in messages] == [
        "GET_READER_CAPABILITIES_RESPONSE",
        "READER_EVENT_NOTIFICATION",
    ]
    gdc = messages[0].msgdict["GET_READER_CAPABILITIES_RESPONSE"]["GeneralDeviceCapabilities"]
    assert gdc["MaxNumberOfAntennaSupported"] == 2
    assert messages[1].isSuccess()


def test_garbage_header_is_a_framing_error() -> None:
    with pytest.raises(FramingError, match="reserved bits set"):
        Framer().feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")


def test_absurd_length_is_a_framing_error() -> None:
    with pytest.raises(FramingError, match="bad LLRP message length"):
        Framer().feed(struct.pack("!HII", (1 << 10) | 61, 0xFFFFFFF0, 1))


@given(st.binary(min_size=0, max_size=200))
def test_random_bytes_frame_or_fail_cleanly(data: bytes) -> None:
    framer = Framer()
    try:
        frames = framer.feed(data)
    except FramingError:
        return
    assert sum(len(f.data) for f in frames) + framer.pending == len(data)
