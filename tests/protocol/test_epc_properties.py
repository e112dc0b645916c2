"""Property tests: encode/decode round trips against an independent bit packer, and robustness."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from protocol.epc import (
    DecodedEpc,
    EpcError,
    decode_epc,
    encode_giai96,
    encode_grai96,
    encode_sgln96,
    encode_sgtin96,
    encode_sscc96,
    epc_to_gs1_key,
    gtin_of,
    is_sgtin,
    is_sscc,
    sscc_of,
)

# TDS partition tables: company prefix digits -> bits (M); the rest of each table follows
# from the per-scheme total of company prefix + reference bits.
PREFIX_BITS = {12: 40, 11: 37, 10: 34, 9: 30, 8: 27, 7: 24, 6: 20}
PARTITION = {digits: 12 - digits for digits in PREFIX_BITS}


def pack(*fields: tuple[int, int]) -> str:
    """Concatenate (value, bits) fields into 24 upper-case hex digits."""
    value, total = 0, 0
    for field, bits in fields:
        assert 0 <= field < 1 << bits
        value, total = (value << bits) | field, total + bits
    assert total == 96
    return f"{value:024X}"


def check_digit(body: str) -> int:
    """GS1 mod-10: weights 3,1,3,... from the rightmost digit of the body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def digits(n: int) -> st.SearchStrategy[str]:
    """Strings of exactly n decimal digits."""
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


prefix_lengths = st.integers(min_value=6, max_value=12)
filters = st.integers(min_value=0, max_value=7)


@st.composite
def prefix_and_reference(draw: st.DrawFn, total_digits: int) -> tuple[str, str]:
    """A company prefix and the reference that completes it to total_digits."""
    length = draw(prefix_lengths)
    return draw(digits(length)), draw(digits(total_digits - length))


@given(prefix_and_reference(13), st.integers(0, (1 << 38) - 1), filters)
def test_sgtin96_round_trip(parts: tuple[str, str], serial: int, filter_value: int) -> None:
    prefix, item = parts
    epc = encode_sgtin96(prefix, item, serial, filter_value)
    m = PREFIX_BITS[len(prefix)]
    assert epc == pack(
        (0x30, 8), (filter_value, 3), (PARTITION[len(prefix)], 3),
        (int(prefix), m), (int(item), 44 - m), (serial, 38),
    )  # fmt: skip
    decoded = decode_epc(epc)
    assert (decoded.company_prefix, decoded.reference, decoded.serial) == (
        prefix,
        item,
        str(serial),
    )
    assert decoded.filter_value == filter_value
    body = item[0] + prefix + item[1:]
    assert decoded.gs1_key == body + str(check_digit(body))
    assert decoded.element_string == f"(01){decoded.gs1_key}(21){serial}"
    assert gtin_of(epc) == decoded.gs1_key
    assert is_sgtin(epc)
    assert not is_sscc(epc)


@given(prefix_and_reference(17), filters)
def test_sscc96_round_trip(parts: tuple[str, str], filter_value: int) -> None:
    prefix, serial_ref = parts
    epc = encode_sscc96(prefix, serial_ref, filter_value)
    m = PREFIX_BITS[len(prefix)]
    assert epc == pack(
        (0x31, 8), (filter_value, 3), (PARTITION[len(prefix)], 3),
        (int(prefix), m), (int(serial_ref), 58 - m), (0, 24),
    )  # fmt: skip
    decoded = decode_epc(epc)
    assert (decoded.company_prefix, decoded.reference, decoded.serial) == (
        prefix,
        serial_ref,
        None,
    )
    body = serial_ref[0] + prefix + serial_ref[1:]
    assert decoded.gs1_key == body + str(check_digit(body))
    assert len(decoded.gs1_key) == 18
    assert sscc_of(epc) == decoded.gs1_key
    assert is_sscc(epc)
    assert gtin_of(epc) is None


@given(prefix_and_reference(12), st.integers(0, (1 << 41) - 1), filters)
def test_sgln96_round_trip(parts: tuple[str, str], extension: int, filter_value: int) -> None:
    prefix, location = parts
    epc = encode_sgln96(prefix, location, extension, filter_value)
    m = PREFIX_BITS[len(prefix)]
    assert epc == pack(
        (0x32, 8), (filter_value, 3), (PARTITION[len(prefix)], 3),
        (int(prefix), m), (int(location or "0"), 41 - m), (extension, 41),
    )  # fmt: skip
    decoded = decode_epc(epc)
    assert (decoded.company_prefix, decoded.reference, decoded.serial) == (
        prefix,
        location,
        str(extension),
    )
    gln = prefix + location + str(check_digit(prefix + location))
    assert decoded.gs1_key == gln
    expected_element = f"(414){gln}" if extension == 0 else f"(414){gln}(254){extension}"
    assert decoded.element_string == expected_element


@given(prefix_and_reference(12), st.integers(0, (1 << 38) - 1), filters)
def test_grai96_round_trip(parts: tuple[str, str], serial: int, filter_value: int) -> None:
    prefix, asset_type = parts
    epc = encode_grai96(prefix, asset_type, serial, filter_value)
    m = PREFIX_BITS[len(prefix)]
    assert epc == pack(
        (0x33, 8), (filter_value, 3), (PARTITION[len(prefix)], 3),
        (int(prefix), m), (int(asset_type or "0"), 44 - m), (serial, 38),
    )  # fmt: skip
    decoded = decode_epc(epc)
    assert (decoded.company_prefix, decoded.reference, decoded.serial) == (
        prefix,
        asset_type,
        str(serial),
    )
    body = prefix + asset_type
    assert decoded.gs1_key == f"0{body}{check_digit(body)}{serial}"
    assert epc_to_gs1_key(epc) == decoded.gs1_key


@st.composite
def giai_parts(draw: st.DrawFn) -> tuple[str, int]:
    """A company prefix and an asset reference that fits its partition."""
    length = draw(prefix_lengths)
    bits = 82 - PREFIX_BITS[length]
    return draw(digits(length)), draw(st.integers(0, (1 << bits) - 1))


@given(giai_parts(), filters)
def test_giai96_round_trip(parts: tuple[str, int], filter_value: int) -> None:
    prefix, asset = parts
    epc = encode_giai96(prefix, asset, filter_value)
    m = PREFIX_BITS[len(prefix)]
    assert epc == pack(
        (0x34, 8), (filter_value, 3), (PARTITION[len(prefix)], 3),
        (int(prefix), m), (asset, 82 - m),
    )  # fmt: skip
    decoded = decode_epc(epc)
    assert (decoded.company_prefix, decoded.reference) == (prefix, str(asset))
    assert decoded.gs1_key == f"{prefix}{asset}"


def _reencode(decoded: DecodedEpc) -> str:
    """Encode a decoded EPC's fields again."""
    assert decoded.company_prefix is not None
    assert decoded.reference is not None
    assert decoded.filter_value is not None
    prefix, ref, f = decoded.company_prefix, decoded.reference, decoded.filter_value
    serial = int(decoded.serial or "0")
    match decoded.scheme:
        case "sgtin-96":
            return encode_sgtin96(prefix, ref, serial, f)
        case "sscc-96":
            return encode_sscc96(prefix, ref, f)
        case "sgln-96":
            return encode_sgln96(prefix, ref, serial, f)
        case "grai-96":
            return encode_grai96(prefix, ref, serial, f)
        case _:
            return encode_giai96(prefix, int(ref), f)


@given(st.sampled_from([0x30, 0x31, 0x32, 0x33, 0x34]), st.integers(0, (1 << 88) - 1))
def test_random_gs1_bits_decode_or_raise_and_re_encode(header: int, rest: int) -> None:
    epc = f"{header:02X}{rest:022X}"
    try:
        decoded = decode_epc(epc)
    except EpcError:
        return
    assert decoded.status == "ok"
    expected = epc
    if header == 0x31:  # SSCC-96 reserved bits are not part of the identity
        expected = epc[:18] + "000000"
    assert _reencode(decoded) == expected


@given(st.text(max_size=140))
def test_any_text_decodes_or_raises_epc_error(text: str) -> None:
    try:
        decoded = decode_epc(text)
    except EpcError:
        return
    assert decoded.hex == text.upper()
    assert decoded.status in {"ok", "unknown-header"}


@given(st.binary(min_size=1, max_size=62))
def test_any_hex_decodes_or_raises_epc_error(raw: bytes) -> None:
    try:
        decoded = decode_epc(raw.hex())
    except EpcError:
        return
    assert decoded.bits == len(raw) * 8


@given(st.text(max_size=40))
def test_accessors_never_raise(text: str) -> None:
    key = epc_to_gs1_key(text)
    assert key is None or key.isdigit()
    assert isinstance(is_sgtin(text), bool)
    assert isinstance(is_sscc(text), bool)
    assert gtin_of(text) is None or len(gtin_of(text) or "") == 14
    assert sscc_of(text) is None or len(sscc_of(text) or "") == 18
