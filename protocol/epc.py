"""GS1 EPC codec (Tag Data Standard 2.x) for the 96-bit SGTIN, SSCC, SGLN, GRAI and GIAI schemes.

epcpy translates the bits into URIs and GS1 keys; this module validates the input first
(length, partition, digit ranges) so that every malformed EPC gets one clear `EpcError`,
and corrects what epcpy gets wrong: the GRAI key keeps its filler zero, an SGLN extension
of 0 means "no extension", and a zero-digit reference field must hold zero bits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from epcpy.epc_schemes.base_scheme import GS1Keyed
from epcpy.epc_schemes.giai import GIAI, GIAIFilterValue
from epcpy.epc_schemes.grai import GRAI, GRAIFilterValue
from epcpy.epc_schemes.sgln import SGLN, SGLNFilterValue
from epcpy.epc_schemes.sgtin import SGTIN, SGTINFilterValue
from epcpy.epc_schemes.sscc import SSCC, SSCCFilterValue
from epcpy.utils.common import ConvertException, calculate_checksum
from epcpy.utils.parsers import hex_to_tag_encodable

from protocol import epc_keys

__all__ = [
    "DecodedEpc",
    "EpcError",
    "decode_epc",
    "encode_giai96",
    "encode_grai96",
    "encode_sgln96",
    "encode_sgtin96",
    "encode_sscc96",
    "epc_to_gs1_key",
    "gs1_check_digit",
    "gtin_of",
    "is_sgtin",
    "is_sscc",
    "sscc_of",
]

EpcStatus = Literal["ok", "unknown-header"]
KeyType = Literal["gtin", "sscc", "gln", "grai", "giai"]

MAX_EPC_HEX = 124  # 496 bits: the largest EPC a Gen2 PC word can announce
EPC96_HEX = 24
_HEX = re.compile(r"[0-9A-Fa-f]+")

# Bits needed for an L-digit company prefix (TDS partition tables: same M for every scheme).
_PREFIX_BITS = {12: 40, 11: 37, 10: 34, 9: 30, 8: 27, 7: 24, 6: 20}
_MAX_FILTER = 7
_UNDEFINED_PARTITION = 7
_TAIL_BITS_SGTIN = 38
_TAIL_BITS_SGLN = 41
_TAIL_BITS_GRAI = 38


class EpcError(ValueError):
    """An EPC that is not well-formed for its header; the message names the EPC and the fault."""


@dataclass(frozen=True, slots=True)
class _Scheme:
    """Layout of one 96-bit scheme after the 8-bit header and 3-bit filter."""

    name: str
    header: int
    key_type: KeyType
    reference_name: str
    digits: int  # company prefix + reference digits; 0 where the reference is unpadded (GIAI)
    field_bits: int  # partition-table bits: company prefix + reference
    tail_bits: int  # serial, extension or reserved bits after the partition fields

    def prefix_length(self, partition: int) -> int:
        """Company prefix digits for a partition value."""
        return 12 - partition

    def reference_bits(self, partition: int) -> int:
        """Bits of the reference field for a partition value."""
        return self.field_bits - _PREFIX_BITS[self.prefix_length(partition)]

    def reference_digits(self, partition: int) -> int | None:
        """Digits of the reference field, or None when it is an unpadded integer."""
        return self.digits - self.prefix_length(partition) if self.digits else None


SGTIN96 = _Scheme("sgtin-96", 0x30, "gtin", "item reference", 13, 44, _TAIL_BITS_SGTIN)
SSCC96 = _Scheme("sscc-96", 0x31, "sscc", "serial reference", 17, 58, 24)
SGLN96 = _Scheme("sgln-96", 0x32, "gln", "location reference", 12, 41, _TAIL_BITS_SGLN)
GRAI96 = _Scheme("grai-96", 0x33, "grai", "asset type", 12, 44, _TAIL_BITS_GRAI)
GIAI96 = _Scheme("giai-96", 0x34, "giai", "individual asset reference", 0, 82, 0)
_BY_HEADER = {s.header: s for s in (SGTIN96, SSCC96, SGLN96, GRAI96, GIAI96)}


@dataclass(frozen=True, slots=True)
class DecodedEpc:
    """One EPC as read from a tag, decoded per the GS1 Tag Data Standard.

    `reference` is the scheme's middle field as in the pure-identity URI: indicator digit and
    item reference (SGTIN), extension digit and serial reference (SSCC), location reference
    (SGLN), asset type (GRAI) or individual asset reference (GIAI). `serial` is the SGTIN or
    GRAI serial or the SGLN extension ("0" = none); SSCC and GIAI have none.
    """

    hex: str
    header: int
    bits: int
    status: EpcStatus
    scheme: str | None = None
    filter_value: int | None = None
    partition: int | None = None
    company_prefix: str | None = None
    reference: str | None = None
    serial: str | None = None
    tag_uri: str | None = None
    pure_uri: str | None = None
    key_type: KeyType | None = None
    gs1_key: str | None = None
    element_string: str | None = None


def gs1_check_digit(digits: str) -> int:
    """GS1 mod-10 check digit for a string of digits (GTIN, SSCC, GLN, GRAI bodies)."""
    if not digits.isascii() or not digits.isdigit():
        raise EpcError(f"check digit needs decimal digits, got {digits!r}")
    return int(calculate_checksum(digits))


# --- decoding ----------------------------------------------------------------------------


def decode_epc(epc_hex: str) -> DecodedEpc:
    """Decode an EPC given as hex (any case); raise EpcError if it is malformed."""
    return _decode_normalised(_normalise(epc_hex))


def _normalise(epc_hex: str) -> str:
    """Check the hex syntax and return it in upper case."""
    if not isinstance(epc_hex, str):
        raise EpcError(f"EPC must be a hex string, got {type(epc_hex).__name__}")
    if not epc_hex:
        raise EpcError("EPC is empty")
    if not _HEX.fullmatch(epc_hex):
        raise EpcError(f"EPC {epc_hex!r} is not hexadecimal")
    if len(epc_hex) % 2:
        raise EpcError(f"EPC {epc_hex} has an odd number of hex digits ({len(epc_hex)})")
    if len(epc_hex) > MAX_EPC_HEX:
        raise EpcError(f"EPC {epc_hex[:32]}... is longer than 496 bits ({len(epc_hex) * 4})")
    return epc_hex.upper()


@lru_cache(maxsize=65536)
def _decode_normalised(epc_hex: str) -> DecodedEpc:
    """Decode upper-case hex; cached because a portal reads the same tags many times."""
    header = int(epc_hex[:2], 16)
    scheme = _BY_HEADER.get(header)
    if scheme is None:
        return DecodedEpc(epc_hex, header, len(epc_hex) * 4, "unknown-header")
    if len(epc_hex) != EPC96_HEX:
        raise EpcError(
            f"EPC {epc_hex}: header {header:#04x} is {scheme.name} and needs 96 bits, "
            f"got {len(epc_hex) * 4}"
        )
    value = int(epc_hex, 16)
    partition = _check_fields(epc_hex, value, scheme)
    return _translate(epc_hex, value, scheme, partition)


def _bits(value: int, start: int, length: int) -> int:
    """Extract `length` bits starting `start` bits from the top of a 96-bit value."""
    return (value >> (96 - start - length)) & ((1 << length) - 1)


def _check_fields(epc_hex: str, value: int, scheme: _Scheme) -> int:
    """Validate partition and partition-table fields the way TDS §14.5 decoding does."""
    partition = _bits(value, 11, 3)
    if partition == _UNDEFINED_PARTITION:
        raise EpcError(f"EPC {epc_hex}: partition value 7 is not defined for {scheme.name}")
    prefix_len = scheme.prefix_length(partition)
    prefix = _bits(value, 14, _PREFIX_BITS[prefix_len])
    if prefix >= 10**prefix_len:
        raise EpcError(
            f"EPC {epc_hex}: company prefix field {prefix} has more than {prefix_len} digits"
        )
    ref_digits = scheme.reference_digits(partition)
    if ref_digits is not None:
        ref = _bits(value, 14 + _PREFIX_BITS[prefix_len], scheme.reference_bits(partition))
        if ref >= 10**ref_digits:
            raise EpcError(
                f"EPC {epc_hex}: {scheme.name} {scheme.reference_name} field {ref} "
                f"does not fit in {ref_digits} digits"
            )
    return partition


def _translate(epc_hex: str, value: int, scheme: _Scheme, partition: int) -> DecodedEpc:
    """Let epcpy produce the identity, then assemble and correct the result."""
    try:
        parsed = hex_to_tag_encodable(epc_hex)
    except ConvertException as exc:  # pre-checks should make this unreachable
        raise EpcError(f"EPC {epc_hex}: not a valid {scheme.name} ({exc.message})") from exc
    if not isinstance(parsed, GS1Keyed):
        raise EpcError(f"EPC {epc_hex}: {scheme.name} decoded without a GS1 key")
    pure_uri: str = parsed.epc_uri
    body = pure_uri.split(":", 4)[4]
    prefix, _, rest = body.partition(".")
    reference, _, serial = rest.partition(".")
    filter_value = _bits(value, 8, 3)
    key, element = _gs1_key(scheme, parsed, serial)
    return DecodedEpc(
        hex=epc_hex,
        header=scheme.header,
        bits=96,
        status="ok",
        scheme=scheme.name,
        filter_value=filter_value,
        partition=partition,
        company_prefix=prefix,
        reference=reference,
        serial=serial or None,
        tag_uri=f"urn:epc:tag:{scheme.name}:{filter_value}.{body}",
        pure_uri=pure_uri,
        key_type=scheme.key_type,
        gs1_key=key,
        element_string=element,
    )


def _gs1_key(scheme: _Scheme, parsed: GS1Keyed, serial: str) -> tuple[str, str]:
    """GS1 key and element string, correcting epcpy for GRAI and SGLN."""
    key = str(parsed.gs1_key())
    if scheme is GRAI96:
        # AI 8003 data starts with a filler zero; epcpy's key leaves it out.
        key = "0" + key
        return key, f"(8003){key}"
    if scheme is SGLN96:
        # TDS: an SGLN extension of 0 means the GLN has no extension, so no AI 254.
        element = f"(414){key}" if serial == "0" else f"(414){key}(254){serial}"
        return key, element
    return key, str(parsed.gs1_element_string())


# --- accessors ---------------------------------------------------------------------------


def _try_decode(epc_hex: str) -> DecodedEpc | None:
    """Decode, or None for a malformed EPC (decode_epc says why)."""
    try:
        return decode_epc(epc_hex)
    except EpcError:
        return None


def epc_to_gs1_key(epc_hex: str) -> str | None:
    """GS1 key (GTIN-14, SSCC-18, GLN, GRAI or GIAI) of an EPC; None if it has none or is bad."""
    decoded = _try_decode(epc_hex)
    return decoded.gs1_key if decoded else None


def is_sgtin(epc_hex: str) -> bool:
    """True if the EPC is a well-formed SGTIN-96."""
    return _key_of(epc_hex, SGTIN96) is not None


def is_sscc(epc_hex: str) -> bool:
    """True if the EPC is a well-formed SSCC-96."""
    return _key_of(epc_hex, SSCC96) is not None


def gtin_of(epc_hex: str) -> str | None:
    """GTIN-14 of an SGTIN-96 EPC, else None (fast path: epc_keys, same answers)."""
    return epc_keys.gtin_of(epc_hex.upper())


def sscc_of(epc_hex: str) -> str | None:
    """SSCC-18 of an SSCC-96 EPC, else None (fast path: epc_keys, same answers)."""
    return epc_keys.sscc_of(epc_hex.upper())


def _key_of(epc_hex: str, scheme: _Scheme) -> str | None:
    """GS1 key if the EPC is a well-formed EPC of this scheme."""
    decoded = _try_decode(epc_hex)
    return decoded.gs1_key if decoded is not None and decoded.scheme == scheme.name else None


# --- encoding ----------------------------------------------------------------------------


def encode_sgtin96(
    company_prefix: str, item_reference: str, serial: int, filter_value: int = 1
) -> str:
    """SGTIN-96 hex; item_reference includes the indicator digit (13 digits with the prefix).

    The default filter 1 marks a point-of-sale trade item; other encoders default to 0.
    """
    _check_filter(filter_value)
    _check_prefix(company_prefix)
    _check_reference("item reference", item_reference, 13 - len(company_prefix))
    _check_integer("serial", serial, _TAIL_BITS_SGTIN)
    parsed = SGTIN(f"urn:epc:id:sgtin:{company_prefix}.{item_reference}.{serial}")
    return _to_hex(
        parsed.binary(SGTIN.BinaryCodingScheme.SGTIN_96, SGTINFilterValue(str(filter_value)))
    )


def encode_sscc96(company_prefix: str, serial_reference: str, filter_value: int = 0) -> str:
    """SSCC-96 hex; serial_reference includes the extension digit (17 digits with the prefix)."""
    _check_filter(filter_value)
    _check_prefix(company_prefix)
    _check_reference("serial reference", serial_reference, 17 - len(company_prefix))
    parsed = SSCC(f"urn:epc:id:sscc:{company_prefix}.{serial_reference}")
    return _to_hex(parsed.binary(SSCCFilterValue(str(filter_value))))


def encode_sgln96(
    company_prefix: str, location_reference: str, extension: int = 0, filter_value: int = 0
) -> str:
    """SGLN-96 hex; extension 0 means a GLN without extension."""
    _check_filter(filter_value)
    _check_prefix(company_prefix)
    _check_reference("location reference", location_reference, 12 - len(company_prefix))
    _check_integer("extension", extension, _TAIL_BITS_SGLN)
    parsed = SGLN(f"urn:epc:id:sgln:{company_prefix}.{location_reference}.{extension}")
    return _to_hex(
        parsed.binary(SGLN.BinaryCodingScheme.SGLN_96, SGLNFilterValue(str(filter_value)))
    )


def encode_grai96(company_prefix: str, asset_type: str, serial: int, filter_value: int = 0) -> str:
    """GRAI-96 hex; asset_type has 12 digits together with the company prefix."""
    _check_filter(filter_value)
    _check_prefix(company_prefix)
    _check_reference("asset type", asset_type, 12 - len(company_prefix))
    _check_integer("serial", serial, _TAIL_BITS_GRAI)
    parsed = GRAI(f"urn:epc:id:grai:{company_prefix}.{asset_type}.{serial}")
    return _to_hex(
        parsed.binary(GRAI.BinaryCodingScheme.GRAI_96, GRAIFilterValue(str(filter_value)))
    )


def encode_giai96(company_prefix: str, asset_reference: int, filter_value: int = 0) -> str:
    """GIAI-96 hex; the individual asset reference is an integer (no leading zeros)."""
    _check_filter(filter_value)
    _check_prefix(company_prefix)
    bits = GIAI96.reference_bits(12 - len(company_prefix))
    _check_integer("individual asset reference", asset_reference, bits)
    parsed = GIAI(f"urn:epc:id:giai:{company_prefix}.{asset_reference}")
    return _to_hex(
        parsed.binary(GIAI.BinaryCodingScheme.GIAI_96, GIAIFilterValue(str(filter_value)))
    )


def _to_hex(binary: str) -> str:
    """96-bit string to 24 hex digits (epcpy's own hex() drops leading zero digits)."""
    if len(binary) != 96:  # validation above should make this unreachable
        raise EpcError(f"encoding produced {len(binary)} bits instead of 96")
    return f"{int(binary, 2):024X}"


def _check_filter(filter_value: int) -> None:
    """Filter values are 3-bit integers."""
    if isinstance(filter_value, bool) or not isinstance(filter_value, int):
        raise EpcError(f"filter value must be an integer 0-7, got {filter_value!r}")
    if not 0 <= filter_value <= _MAX_FILTER:
        raise EpcError(f"filter value must be 0-7, got {filter_value}")


def _is_digits(text: object) -> bool:
    """True for a non-empty str of ASCII decimal digits."""
    return isinstance(text, str) and text.isascii() and text.isdigit()


def _check_prefix(company_prefix: str) -> None:
    """GS1 company prefixes have 6 to 12 digits."""
    if not _is_digits(company_prefix) or not 6 <= len(company_prefix) <= 12:
        raise EpcError(f"company prefix must be 6-12 digits, got {company_prefix!r}")


def _check_reference(what: str, reference: str, digits: int) -> None:
    """A zero-padded decimal field whose width the company prefix length fixes."""
    if digits == 0 and reference == "":
        return
    if not _is_digits(reference) or len(reference) != digits:
        raise EpcError(
            f"{what} must be {digits} digits with this company prefix, got {reference!r}"
        )


def _check_integer(what: str, number: int, bits: int) -> None:
    """A non-negative integer that fits the field."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise EpcError(f"{what} must be an integer, got {number!r}")
    if not 0 <= number < 1 << bits:
        raise EpcError(f"{what} {number} does not fit in {bits} bits (0 to {(1 << bits) - 1})")
