"""RO_ACCESS_REPORT encoding.

`ReportEncoder` is the fast path: every TagReportData of a batch is one numpy record (EPC
parameter per tag precomputed, the other fields written column by column into a packed
big-endian structured array), so a batch of reads becomes bytes without a Python loop per read.
`encode_reference` is the plain per-parameter encoder it is checked and benchmarked against.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from firmware_sim.llrp.constants import HEADER, HEADER_LEN, LLRP_VERSION, Msg, Par, Tv
from firmware_sim.llrp.requests import ContentSelector
from firmware_sim.scenario.types import Reads

_REPORT_TYPE = (LLRP_VERSION << 10) | Msg.RO_ACCESS_REPORT
_TRD_HEADER = struct.Struct("!HH")
CHANNELS = 50
HOP_DWELL_US = 200_000  # the reader hops channel every 200 ms (FCC allows 400)


@dataclass(frozen=True, slots=True)
class ReportFormat:
    """What each TagReportData holds: the selector plus the ROSpec's identifiers."""

    selector: ContentSelector
    rospec_id: int = 1
    spec_index: int = 1
    inventory_spec_id: int = 1
    access_spec_id: int = 0


def epc_bytes(epc: str) -> tuple[bytes, int]:
    """EPC hex to (bytes, bit count); an odd digit count is padded with a zero nibble."""
    text = epc.strip()
    try:
        data = bytes.fromhex(text + "0" * (len(text) % 2))
    except ValueError:
        raise ValueError(f"EPC {epc!r} is not hexadecimal") from None
    return data, 4 * len(text)


def epc_parameter(epc: str) -> bytes:
    """EPC-96 (TV 13) for a 96-bit EPC, else EPCData (TLV 241) with its bit count."""
    data, bits = epc_bytes(epc)
    if bits == 96:
        return bytes([0x80 | Tv.EPC_96]) + data
    return _TRD_HEADER.pack(Par.EPC_DATA, 6 + len(data)) + struct.pack("!H", bits) + data


def stored_pc(bits: int) -> int:
    """Gen2 StoredPC for an EPC of this length (length in words, no UMI/XPC, no AFI)."""
    return (((bits + 15) // 16) & 0x1F) << 11


def gen2_crc16(data: bytes) -> int:
    """Gen2 CRC-16 (CCITT polynomial, preset 0xFFFF, inverted result)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc ^ 0xFFFF


def stored_crc(epc: str) -> int:
    """The StoredCRC a tag computes over its PC word and EPC."""
    data, bits = epc_bytes(epc)
    words = b"".join([struct.pack("!H", stored_pc(bits)), data, b"\0" * (len(data) % 2)])
    return gen2_crc16(words)


def channel_of(t_us: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Hop-table channel index (1-based) in use at reader time t_us."""
    channel: npt.NDArray[np.int64] = (t_us // HOP_DWELL_US) % CHANNELS + 1
    return channel


def peak_rssi(rssi: npt.NDArray[np.float32]) -> npt.NDArray[np.int8]:
    """PeakRSSI as LLRP carries it: whole dBm, signed 8-bit (NaN reads as -128)."""
    # fmax/fmin, unlike clip, also map NaN to the bound, so the cast never sees a NaN.
    rounded: npt.NDArray[np.int8] = np.fmin(np.fmax(np.rint(rssi), -128), 127).astype(np.int8)
    return rounded


class EpcTable:
    """Per-tag EPC parameters, PC words and CRCs, computed once per scenario."""

    def __init__(self, epcs: Sequence[str]) -> None:
        self.params = [epc_parameter(e) for e in epcs]
        self.pc = np.array([stored_pc(epc_bytes(e)[1]) for e in epcs], np.uint16)
        self.crc = np.array([stored_crc(e) for e in epcs], np.uint16)
        self._encoders: dict[ReportFormat, ReportEncoder] = {}

    def __len__(self) -> int:
        return len(self.params)

    def encoder(self, fmt: ReportFormat) -> ReportEncoder:
        """The encoder for a format, built once and shared by every reader using this table."""
        found = self._encoders.get(fmt)
        if found is None:
            found = self._encoders[fmt] = ReportEncoder(self, fmt)
        return found


# Tail fields in the order LLRP puts them after the EPC: (selector flag, TV type, dtype).
_TAIL: tuple[tuple[str, int, str], ...] = (
    ("rospec_id", Tv.ROSPEC_ID, ">u4"),
    ("spec_index", Tv.SPEC_INDEX, ">u2"),
    ("inventory_spec_id", Tv.INVENTORY_PARAMETER_SPEC_ID, ">u2"),
    ("antenna_id", Tv.ANTENNA_ID, ">u2"),
    ("peak_rssi", Tv.PEAK_RSSI, "i1"),
    ("channel_index", Tv.CHANNEL_INDEX, ">u2"),
    ("first_seen", Tv.FIRST_SEEN_UTC, ">u8"),
    ("last_seen", Tv.LAST_SEEN_UTC, ">u8"),
    ("seen_count", Tv.TAG_SEEN_COUNT, ">u2"),
    ("pc_bits", Tv.C1G2_PC, ">u2"),
    ("crc", Tv.C1G2_CRC, ">u2"),
    ("access_spec_id", Tv.ACCESS_SPEC_ID, ">u4"),
)


class ReportEncoder:
    """Vectorised TagReportData and RO_ACCESS_REPORT encoder for one ReportFormat.

    Each TagReportData is one record of a packed structured dtype: the TLV header and EPC
    parameter as one opaque field (precomputed per tag), then a TV type byte and big-endian
    value per selected field. When EPC lengths differ, the opaque field is as wide as the
    longest and a per-tag byte mask squeezes the padding out.
    """

    def __init__(self, epcs: EpcTable, fmt: ReportFormat) -> None:
        self.format = fmt
        self._epcs = epcs
        self._names = [name for name, _, _ in _TAIL if getattr(fmt.selector, name)]
        tail = [item for n, _, dt in _TAIL if n in self._names for item in _tv_fields(n, dt)]
        self.tail_len = np.dtype(tail).itemsize if tail else 0
        prefix, self.record_len = self._make_prefix()
        width = prefix.shape[1]
        self._prefix = prefix.view(f"V{width}").ravel()
        self._dtype = np.dtype([("prefix", f"V{width}"), *tail])
        sizes = np.unique(self.record_len)
        self.uniform_size = int(sizes[0]) if len(sizes) == 1 else 0
        self._keep = None if self.uniform_size else self._make_keep(width)
        # Ready-made blank records as raw bytes: copying bytes is a memcpy, while copying a
        # structured array goes field by field.
        self._blank = np.frombuffer(self._make_template().tobytes() * _BLOCK, np.uint8)

    def _make_template(self) -> npt.NDArray[np.void]:
        template = np.zeros(1, self._dtype)
        for name, tv, _ in _TAIL:
            if name in self._names:
                template[name + "_t"] = 0x80 | tv
        constants = {
            "rospec_id": self.format.rospec_id,
            "spec_index": self.format.spec_index,
            "inventory_spec_id": self.format.inventory_spec_id,
            "seen_count": 1,  # every scenario read is one singulation of the tag
            "access_spec_id": self.format.access_spec_id,
        }
        for name, value in constants.items():
            if name in self._names:
                template[name] = value
        return template

    def _make_prefix(self) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
        params = self._epcs.params
        width = 4 + max((len(p) for p in params), default=0)
        prefix = np.zeros((len(params), width), np.uint8)
        lengths = np.empty(len(params), np.int64)
        for i, param in enumerate(params):
            size = 4 + len(param) + self.tail_len
            row = _TRD_HEADER.pack(Par.TAG_REPORT_DATA, size) + param
            prefix[i, : len(row)] = np.frombuffer(row, np.uint8)
            lengths[i] = size
        return prefix, lengths

    def _make_keep(self, width: int) -> npt.NDArray[np.bool_]:
        # Row mask over a record's bytes: drops the zero padding after shorter EPC parameters.
        cols = np.arange(width + self.tail_len)
        prefix_len = self.record_len - self.tail_len
        keep: npt.NDArray[np.bool_] = (cols[None, :] < prefix_len[:, None]) | (
            cols[None, :] >= width
        )
        return keep

    def records(self, reads: Reads) -> tuple[bytes, npt.NDArray[np.int64]]:
        """All TagReportData of reads, concatenated, and each one's length."""
        tags = reads["tag"]
        records = self._fill(reads, tags)
        if self._keep is None:
            return records.tobytes(), self.record_len[tags]
        raw = records.view(np.uint8).reshape(len(reads), self._dtype.itemsize)
        return raw[self._keep[tags]].tobytes(), self.record_len[tags]

    def _fill(self, reads: Reads, tags: npt.NDArray[np.int32]) -> npt.NDArray[np.void]:
        n = len(reads)
        size = self._dtype.itemsize
        if n <= _BLOCK:
            records = self._blank[: n * size].copy().view(self._dtype)
        else:
            records = np.repeat(self._blank[:size].view(self._dtype), n)
        records["prefix"] = self._prefix[tags]
        names = self._names
        t_us = reads["t_us"]
        if "antenna_id" in names:
            records["antenna_id"] = reads["antenna"]
        if "peak_rssi" in names:
            records["peak_rssi"] = peak_rssi(reads["rssi"])
        if "channel_index" in names:
            records["channel_index"] = channel_of(t_us)
        for name in ("first_seen", "last_seen"):
            if name in names:
                records[name] = t_us
        if "pc_bits" in names:
            records["pc_bits"] = self._epcs.pc[tags]
        if "crc" in names:
            records["crc"] = self._epcs.crc[tags]
        return records

    def messages(self, reads: Reads, per_message: int, first_id: int) -> tuple[bytes, int]:
        """RO_ACCESS_REPORTs of at most per_message tag reports each; (bytes, message count)."""
        n = len(reads)
        if not n:
            return b"", 0
        body, lengths = self.records(reads)
        step = max(per_message, 1)
        if n <= step:
            return _report_header(len(body), first_id) + body, 1
        if self.uniform_size:
            full, rest = divmod(n, step)
            sizes = [step * self.uniform_size] * full + ([rest * self.uniform_size] if rest else [])
        else:
            sizes = np.add.reduceat(lengths, np.arange(0, n, step)).tolist()
        view = memoryview(body)
        parts: list[bytes | memoryview] = []
        pos = 0
        for i, size in enumerate(sizes):
            parts.append(_report_header(size, first_id + i))
            parts.append(view[pos : pos + size])
            pos += size
        return b"".join(parts), len(sizes)


_BLOCK = 1024  # records kept ready-made, so a typical batch starts from a plain copy


def _tv_fields(name: str, dtype: str) -> tuple[tuple[str, str], tuple[str, str]]:
    return (name + "_t", "u1"), (name, dtype)


def _report_header(body_len: int, msg_id: int) -> bytes:
    return HEADER.pack(_REPORT_TYPE, HEADER_LEN + body_len, msg_id & 0xFFFFFFFF)


def encode_reference(
    epcs: Sequence[str], fmt: ReportFormat, reads: Reads, per_message: int, first_id: int
) -> bytes:
    """Plain per-read, per-parameter encoder: the baseline for tests and the benchmark."""
    records = [_reference_record(epcs[int(r["tag"])], fmt, r) for r in reads]
    out = []
    step = max(per_message, 1)
    for i, start in enumerate(range(0, len(records), step)):
        body = b"".join(records[start : start + step])
        out.append(HEADER.pack(_REPORT_TYPE, HEADER_LEN + len(body), first_id + i) + body)
    return b"".join(out)


def _reference_record(epc: str, fmt: ReportFormat, read: np.void) -> bytes:
    sel = fmt.selector
    t_us = int(read["t_us"])
    bits = epc_bytes(epc)[1]
    parts = [epc_parameter(epc)]
    if sel.rospec_id:
        parts.append(struct.pack("!BI", 0x80 | Tv.ROSPEC_ID, fmt.rospec_id))
    if sel.spec_index:
        parts.append(struct.pack("!BH", 0x80 | Tv.SPEC_INDEX, fmt.spec_index))
    if sel.inventory_spec_id:
        ips_type = 0x80 | Tv.INVENTORY_PARAMETER_SPEC_ID
        parts.append(struct.pack("!BH", ips_type, fmt.inventory_spec_id))
    if sel.antenna_id:
        parts.append(struct.pack("!BH", 0x80 | Tv.ANTENNA_ID, int(read["antenna"])))
    if sel.peak_rssi:
        rssi = float(read["rssi"])
        parts.append(struct.pack("!Bb", 0x80 | Tv.PEAK_RSSI, max(-128, min(127, round(rssi)))))
    if sel.channel_index:
        channel = (t_us // HOP_DWELL_US) % CHANNELS + 1
        parts.append(struct.pack("!BH", 0x80 | Tv.CHANNEL_INDEX, channel))
    if sel.first_seen:
        parts.append(struct.pack("!BQ", 0x80 | Tv.FIRST_SEEN_UTC, t_us))
    if sel.last_seen:
        parts.append(struct.pack("!BQ", 0x80 | Tv.LAST_SEEN_UTC, t_us))
    if sel.seen_count:
        parts.append(struct.pack("!BH", 0x80 | Tv.TAG_SEEN_COUNT, 1))
    if sel.pc_bits:
        parts.append(struct.pack("!BH", 0x80 | Tv.C1G2_PC, stored_pc(bits)))
    if sel.crc:
        parts.append(struct.pack("!BH", 0x80 | Tv.C1G2_CRC, stored_crc(epc)))
    if sel.access_spec_id:
        parts.append(struct.pack("!BI", 0x80 | Tv.ACCESS_SPEC_ID, fmt.access_spec_id))
    body = b"".join(parts)
    return struct.pack("!HH", Par.TAG_REPORT_DATA, 4 + len(body)) + body
