"""The emulated reader's identity and GET_READER_CAPABILITIES answer.

Modelled on a real Impinj Speedway (the capture in testdata/llrp/edgex): same vendor and model
numbers, an 81-step power table from 10 to 30 dBm, a 50-channel FCC hop table and the same
C1G2 RF mode table, so clients that select modes or powers by table behave as with the real one.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from firmware_sim.llrp.constants import Par, RequestedCapabilities, Status
from firmware_sim.llrp.encode import flag, llrp_status, tlv, u8, u16, u32, utf8v

# ModeIdentifier, DR (0 = 8, 1 = 64/3), Mod, FLM, M, BDR, PIE, MinTari, MaxTari, StepTari
RF_MODES: tuple[tuple[int, ...], ...] = (
    (0, 1, 0, 2, 2, 640_000, 1500, 6250, 6250, 0),
    (1, 1, 1, 2, 2, 640_000, 1500, 6250, 6250, 0),
    (2, 1, 2, 0, 3, 274_000, 2000, 20000, 20000, 0),
    (3, 1, 3, 0, 3, 170_600, 2000, 20000, 20000, 0),
    (4, 1, 2, 0, 2, 640_000, 1500, 7140, 7140, 0),
    (1000, 0, 0, 0, 0, 40_000, 1500, 6250, 6250, 0),
    (1002, 0, 0, 0, 0, 40_000, 1500, 6250, 6250, 0),
    (1003, 0, 0, 0, 0, 40_000, 1500, 6250, 6250, 0),
    (1004, 0, 0, 0, 0, 40_000, 1500, 6250, 6250, 0),
    (1005, 0, 0, 0, 0, 40_000, 1500, 6250, 6250, 0),
)
_MODE_ENTRY = struct.Struct("!IBBBBIIIII")
_LLRP_CAPS = struct.Struct("!BBHIIIII")
_DEVICE_HEAD = struct.Struct("!HHII")
_HOP_HEAD = struct.Struct("!BBH")
_SENSITIVITY = struct.Struct("!Hh")


@dataclass(frozen=True, slots=True)
class ReaderModel:
    """What the emulated reader says about itself."""

    name: str = "reader"
    antennas: int = 4
    manufacturer: int = 25882  # Impinj's IANA enterprise number
    model: int = 2001002
    firmware: str = "5.14.0.240"
    country_code: int = 840
    max_rospecs: int = 8
    max_accessspecs: int = 64
    gpis: int = 4
    gpos: int = 4

    @property
    def power_table(self) -> tuple[int, ...]:
        """Transmit powers in hundredths of dBm, indexed from 1."""
        return tuple(range(1000, 3001, 25))

    @property
    def hop_table(self) -> tuple[int, ...]:
        """Hop sequence over the 50 FCC channels (kHz), a fixed pseudo-random order."""
        return tuple(902_750 + 500 * ((k * 17) % 50) for k in range(50))

    @property
    def reader_id(self) -> bytes:
        """A stable 8-byte, locally administered EUI-64 derived from the reader name."""
        digest = hashlib.sha256(self.name.encode()).digest()
        return b"\x02\x74\x74\xff\xfe" + digest[:3]


def capabilities_body(model: ReaderModel, requested: int) -> bytes:
    """Body of GET_READER_CAPABILITIES_RESPONSE for RequestedData (0 = all)."""
    builders = {
        RequestedCapabilities.GENERAL_DEVICE: _general_device,
        RequestedCapabilities.LLRP: _llrp,
        RequestedCapabilities.REGULATORY: _regulatory,
        RequestedCapabilities.AIR_PROTOCOL: _air_protocol,
    }
    if requested == RequestedCapabilities.ALL:
        parts = [build(model) for build in builders.values()]
    elif requested in builders:
        parts = [builders[RequestedCapabilities(requested)](model)]
    else:
        return llrp_status(Status.M_FIELD_ERROR, f"unknown RequestedData {requested}")
    return llrp_status() + b"".join(parts)


def _general_device(model: ReaderModel) -> bytes:
    flags = flag(False, 15) | flag(True, 14)  # no antenna properties to set; has a UTC clock
    head = _DEVICE_HEAD.pack(model.antennas, flags, model.manufacturer, model.model)
    sensitivity = b"".join(
        tlv(Par.RECEIVE_SENSITIVITY_TABLE_ENTRY, _SENSITIVITY.pack(i + 1, value))
        for i, value in enumerate([0, *range(10, 51)])
    )
    gpio = tlv(Par.GPIO_CAPABILITIES, u16(model.gpis), u16(model.gpos))
    air = b"".join(
        tlv(Par.PER_ANTENNA_AIR_PROTOCOL, u16(a), u16(1), u8(1))
        for a in range(1, model.antennas + 1)
    )
    return tlv(Par.GENERAL_DEVICE_CAPABILITIES, head, utf8v(model.firmware), sensitivity, gpio, air)


def _llrp(model: ReaderModel) -> bytes:
    # Can report buffer fill warnings and hold events and reports; nothing else optional.
    flags = flag(True, 6) | flag(True, 3)
    body = _LLRP_CAPS.pack(flags, 1, 0, model.max_rospecs, 32, 1, model.max_accessspecs, 8)
    return tlv(Par.LLRP_CAPABILITIES, body)


def _regulatory(model: ReaderModel) -> bytes:
    powers = b"".join(
        tlv(Par.TRANSMIT_POWER_LEVEL_TABLE_ENTRY, u16(i + 1), u16(p))
        for i, p in enumerate(model.power_table)
    )
    hops = model.hop_table
    hop_table = tlv(
        Par.FREQUENCY_HOP_TABLE,
        _HOP_HEAD.pack(1, 0, len(hops)),
        *(u32(f) for f in hops),
    )
    frequency = tlv(Par.FREQUENCY_INFORMATION, u8(flag(True)), hop_table)
    modes = tlv(
        Par.UHF_C1G2_RF_MODE_TABLE,
        *(tlv(Par.UHF_C1G2_RF_MODE_TABLE_ENTRY, _mode_entry(m)) for m in RF_MODES),
    )
    band = tlv(Par.UHF_BAND_CAPABILITIES, powers, frequency, modes)
    return tlv(Par.REGULATORY_CAPABILITIES, u16(model.country_code), u16(1), band)


def _mode_entry(mode: tuple[int, ...]) -> bytes:
    ident, dr, mod, flm, m, bdr, pie, min_tari, max_tari, step = mode
    return _MODE_ENTRY.pack(ident, flag(bool(dr)), mod, flm, m, bdr, pie, min_tari, max_tari, step)


def _air_protocol(model: ReaderModel) -> bytes:
    # Block write, no block erase/permalock/recommissioning/UMI/XPC; two select filters.
    return tlv(Par.C1G2_LLRP_CAPABILITIES, u8(flag(True, 6)), u16(2))
