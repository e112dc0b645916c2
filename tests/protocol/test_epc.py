"""EPC codec against published GS1 Tag Data Standard examples and other decoders' vectors."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from protocol.epc import (
    EpcError,
    decode_epc,
    encode_giai96,
    encode_grai96,
    encode_sgln96,
    encode_sgtin96,
    encode_sscc96,
    gs1_check_digit,
)

# (hex, EPC tag URI, GS1 element string) as published. Sources:
#   TDS-E3   GS1 EPC TDS 1.x Appendix E.3 "summary examples", as transcribed in
#            dannyhaak/TagDataTranslation TagDataTranslationUnitTest/TDSStandard.cs
#   TDS23    GS1 EPC TDS 2.3 Appendix E.3, same repository (test/TDSStandard.cs, E3 tests)
#   TDT      GS1 TDT 1.x standard page 13 example (same repository, TestCasePage13TDTStandard)
#   TDTENG   TagDataTranslation engine vectors (Custom.cs), other company prefix lengths
#   PYEPC    fulfilio/pyepc tests; NIKE nike-inc epc DecodingTest; EPCTAGCODER jlcout README;
#            FOSSTRAK fosstrak tdt tests (first 96 bits of a 128-bit read)
VECTORS = [
    # TDS-E3
    ("3074257BF7194E4000001A85", "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
     "(01)80614141123458(21)6789"),
    ("3174257BF4499602D2000000", "urn:epc:tag:sscc-96:3.0614141.1234567890",
     "(00)106141412345678908"),
    ("3274257BF46072000000162E", "urn:epc:tag:sgln-96:3.0614141.12345.5678",
     "(414)0614141123452(254)5678"),
    ("3374257BF40C0E400000162E", "urn:epc:tag:grai-96:3.0614141.12345.5678",
     "(8003)006141411234525678"),
    ("3474257BF40000000000162E", "urn:epc:tag:giai-96:3.0614141.5678",
     "(8004)06141415678"),
    # TDS23
    ("3066C4409047E140075BCD15", "urn:epc:tag:sgtin-96:3.95060001343.05.123456789",
     "(01)09506000134352(21)123456789"),
    ("311BA1B300CE0A6A83000000", "urn:epc:tag:sscc-96:0.952012.03456789123",
     "(00)095201234567891235"),
    ("3276451FD46072000000162E", "urn:epc:tag:sgln-96:3.9521141.12345.5678",
     "(414)9521141123454(254)5678"),
    ("3376451FD40C0E400000162E", "urn:epc:tag:grai-96:3.9521141.12345.5678",
     "(8003)095211411234545678"),
    ("3476451FD40000000000162E", "urn:epc:tag:giai-96:3.9521141.5678",
     "(8004)95211415678"),
    # TDT: binary 0011000001110100...0010 published in the TDT standard
    ("30740242201D8840000FE632", "urn:epc:tag:sgtin-96:3.0037000.030241.1041970",
     "(01)00037000302414(21)1041970"),
    # TDTENG
    ("31105E30A7055F2CC0000000", "urn:epc:tag:sscc-96:0.12345678.090123456",
     "(00)012345678901234560"),
    ("32305E30A7466800499602D2", "urn:epc:tag:sgln-96:1.12345678.9012.1234567890",
     "(414)1234567890128(254)1234567890"),
    ("330C75BCD150030000000001", "urn:epc:tag:grai-96:0.123456789.012.1",
     "(8003)012345678901281"),
    ("34344B5A1C00000000000001", "urn:epc:tag:giai-96:1.1234567.1", "(8004)12345671"),
    ("303613ACD83B9AC000000646", "urn:epc:tag:sgtin-96:1.8710966.061035.1606",
     "(01)08710966610350(21)1606"),
    # PYEPC, NIKE, EPCTAGCODER, FOSSTRAK
    ("3034257BF7194E4000001A85", "urn:epc:tag:sgtin-96:1.0614141.812345.6789",
     "(01)80614141123458(21)6789"),
    ("3114257BF4499602D2000000", "urn:epc:tag:sscc-96:0.0614141.1234567890",
     "(00)106141412345678908"),
    ("30185E78003ECB006E2DA00E", "urn:epc:tag:sgtin-96:0.096736.0064300.1848483854", None),
    ("31AC16465751CCD0C2000000", "urn:epc:tag:sscc-96:5.023356789.30200002", None),
    ("300833B2DDD9014000000002", "urn:epc:tag:sgtin-96:0.0867360217.005.2", None),
]  # fmt: skip

# GS1 keys published beside vectors above (pyepc asserts 08719139005740 for this one).
PUBLISHED_KEYS = {
    "3036142C8C008F8000053244": "08719139005740",
    "3074257BF7194E4000001A85": "80614141123458",
    "3174257BF4499602D2000000": "106141412345678908",
    "3274257BF46072000000162E": "0614141123452",
    "3374257BF40C0E400000162E": "006141411234525678",
    "3474257BF40000000000162E": "06141415678",
    "311BA1B300CE0A6A83000000": "095201234567891235",
}


def _split_tag_uri(tag_uri: str) -> tuple[str, int, list[str]]:
    """Scheme, filter and the remaining dot-separated fields of a published tag URI."""
    scheme, _, body = tag_uri.removeprefix("urn:epc:tag:").partition(":")
    filter_text, *fields = body.split(".")
    return scheme, int(filter_text), fields


@pytest.mark.parametrize(("epc_hex", "tag_uri", "element"), VECTORS)
def test_decode_matches_published_vector(epc_hex: str, tag_uri: str, element: str | None) -> None:
    decoded = decode_epc(epc_hex)
    scheme, filter_value, fields = _split_tag_uri(tag_uri)
    assert decoded.status == "ok"
    assert decoded.scheme == scheme
    assert decoded.filter_value == filter_value
    assert decoded.tag_uri == tag_uri
    assert decoded.pure_uri == f"urn:epc:id:{scheme.removesuffix('-96')}:{'.'.join(fields)}"
    assert decoded.company_prefix == fields[0]
    assert decoded.partition == 12 - len(fields[0])
    assert decoded.bits == 96
    assert decoded.header == int(epc_hex[:2], 16)
    if element is not None:
        assert decoded.element_string == element


@pytest.mark.parametrize(("epc_hex", "key"), sorted(PUBLISHED_KEYS.items()))
def test_gs1_key_matches_published(epc_hex: str, key: str) -> None:
    assert decode_epc(epc_hex).gs1_key == key


def _encode_from_tag_uri(tag_uri: str) -> str:
    """Encode the identity a published tag URI names with this module's encoders."""
    scheme, filter_value, fields = _split_tag_uri(tag_uri)
    encoders: dict[str, Callable[[], str]] = {
        "sgtin-96": lambda: encode_sgtin96(fields[0], fields[1], int(fields[2]), filter_value),
        "sscc-96": lambda: encode_sscc96(fields[0], fields[1], filter_value),
        "sgln-96": lambda: encode_sgln96(fields[0], fields[1], int(fields[2]), filter_value),
        "grai-96": lambda: encode_grai96(fields[0], fields[1], int(fields[2]), filter_value),
        "giai-96": lambda: encode_giai96(fields[0], int(fields[1]), filter_value),
    }
    return encoders[scheme]()


@pytest.mark.parametrize(("epc_hex", "tag_uri", "element"), VECTORS)
def test_encode_matches_published_vector(epc_hex: str, tag_uri: str, element: str | None) -> None:
    assert _encode_from_tag_uri(tag_uri) == epc_hex


def test_keys_carry_valid_check_digits_of_published_keys() -> None:
    # Published keys: the last digit is the check digit of the rest (GRAI: of digits 2-13).
    assert gs1_check_digit("8061414112345") == 8
    assert gs1_check_digit("10614141234567890") == 8
    assert gs1_check_digit("061414112345") == 2
    assert gs1_check_digit("09520123456789123") == 5


def test_lower_case_hex_is_normalised() -> None:
    decoded = decode_epc("3074257bf7194e4000001a85")
    assert decoded.hex == "3074257BF7194E4000001A85"
    assert decoded.tag_uri == "urn:epc:tag:sgtin-96:3.0614141.812345.6789"


def test_sgln_extension_zero_means_no_ai_254() -> None:
    # TDS: extension 0 in the EPC URI stands for a GLN without extension.
    epc = encode_sgln96("9521141", "12345", 0, 3)
    decoded = decode_epc(epc)
    assert decoded.pure_uri == "urn:epc:id:sgln:9521141.12345.0"
    assert decoded.element_string == "(414)9521141123454"
    assert decoded.gs1_key == "9521141123454"


def test_twelve_digit_prefix_leaves_empty_location_reference() -> None:
    epc = encode_sgln96("952114112345", "", 7)
    decoded = decode_epc(epc)
    assert decoded.partition == 0
    assert decoded.pure_uri == "urn:epc:id:sgln:952114112345..7"
    assert decoded.gs1_key == "9521141123454"


@pytest.mark.parametrize(
    ("epc_hex", "bits"),
    [
        ("E2801160600002000000000A", 96),  # a chip-maker serial, not GS1
        ("35000000019010061A8F0000", 96),  # GID-96: valid EPC, not decoded here
        ("3674257BF6B7A659B2C2BF1000000000000000000000000000", 200),  # SGTIN-198
        ("E2003412B802011526701503AD0100000000", 144),
        ("AAAA" * 8, 128),
        ("00", 8),
    ],
)
def test_unsupported_headers_keep_raw_hex(epc_hex: str, bits: int) -> None:
    decoded = decode_epc(epc_hex.lower())
    assert decoded.status == "unknown-header"
    assert decoded.hex == epc_hex
    assert decoded.bits == bits
    assert decoded.header == int(epc_hex[:2], 16)
    assert decoded.scheme is None
    assert decoded.gs1_key is None


@pytest.mark.parametrize(
    ("epc_hex", "fragment"),
    [
        ("", "empty"),
        ("30G4257BF7194E4000001A85", "not hexadecimal"),
        (" 3074257BF7194E4000001A85", "not hexadecimal"),
        ("0x3074257BF7194E4000001A85", "not hexadecimal"),
        ("3074257BF7194E4000001A8", "odd number"),
        ("3074257BF7194E4000001A8500", "needs 96 bits, got 104"),
        ("3074257BF7194E4000001A", "needs 96 bits, got 88"),
        ("3174257BF4499602D2", "needs 96 bits"),
        ("307C257BF7194E4000001A85", "partition value 7"),
        ("AB" * 63, "longer than 496 bits"),
    ],
)
def test_malformed_input_raises_clear_error(epc_hex: str, fragment: str) -> None:
    with pytest.raises(EpcError, match=fragment):
        decode_epc(epc_hex)


def _pack(*fields: tuple[int, int]) -> str:
    """Pack (value, bits) fields into 24 hex digits, independently of the codec."""
    value = 0
    for field, bits in fields:
        value = (value << bits) | field
    return f"{value:024X}"


@pytest.mark.parametrize(
    ("epc_hex", "fragment"),
    [
        # company prefix field 10**7 in a 7-digit partition
        (_pack((0x30, 8), (1, 3), (5, 3), (10**7, 24), (1, 20), (1, 38)), "company prefix"),
        # item reference field 10**6 where only 6 digits fit
        (_pack((0x30, 8), (1, 3), (5, 3), (614141, 24), (10**6, 20), (1, 38)), "item reference"),
        # SSCC serial reference of 11 digits where 10 fit
        (_pack((0x31, 8), (0, 3), (5, 3), (614141, 24), (10**10, 34), (0, 24)),
         "serial reference"),
        # 12-digit prefix: the 1-bit SGLN location reference must be zero
        (_pack((0x32, 8), (0, 3), (0, 3), (123456789012, 40), (1, 1), (5, 41)),
         "location reference"),
        # 12-digit prefix: the 4-bit GRAI asset type must be zero
        (_pack((0x33, 8), (0, 3), (0, 3), (123456789012, 40), (3, 4), (5, 38)), "asset type"),
    ],
)  # fmt: skip
def test_fields_outside_their_digit_range_are_rejected(epc_hex: str, fragment: str) -> None:
    with pytest.raises(EpcError, match=fragment):
        decode_epc(epc_hex)


def test_error_is_a_value_error_naming_the_epc() -> None:
    with pytest.raises(ValueError, match="307C257BF7194E4000001A85"):
        decode_epc("307C257BF7194E4000001A85")


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: encode_sgtin96("0614141", "812345", 1 << 38), "serial 274877906944"),
        (lambda: encode_sgtin96("0614141", "812345", -1), "serial -1"),
        (lambda: encode_sgtin96("0614141", "81234", 1), "item reference must be 6 digits"),
        (lambda: encode_sgtin96("12345", "81234567", 1), "company prefix"),
        (lambda: encode_sgtin96("0614141", "812345", 1, 8), "filter value"),
        (lambda: encode_sgtin96("0614141", "81234x", 1), "item reference"),
        (lambda: encode_sscc96("0614141", "123456789"), "serial reference must be 10 digits"),
        (lambda: encode_sscc96("061414A", "1234567890"), "company prefix"),
        (lambda: encode_sgln96("0614141", "12345", 1 << 41), "extension"),
        (lambda: encode_grai96("0614141", "12345", 1 << 38), "serial"),
        (lambda: encode_giai96("0614141", 1 << 58), "individual asset reference"),
        (lambda: encode_giai96("0614141", -5), "individual asset reference"),
    ],
)
def test_unencodable_fields_raise_clear_error(call: Callable[[], str], fragment: str) -> None:
    with pytest.raises(EpcError, match=fragment):
        call()


def test_encoders_reject_non_integer_serials() -> None:
    with pytest.raises(EpcError, match="integer"):
        encode_sgtin96("0614141", "812345", "6789")  # type: ignore[arg-type]
    with pytest.raises(EpcError, match="integer"):
        encode_sgtin96("0614141", "812345", True)


def test_default_filters() -> None:
    # SGTIN: 1 = point-of-sale trade item; the others: 0 = all others.
    assert decode_epc(encode_sgtin96("0614141", "812345", 6789)).filter_value == 1
    assert decode_epc(encode_sscc96("0614141", "1234567890")).filter_value == 0
    assert decode_epc(encode_sgln96("0614141", "12345")).filter_value == 0
    assert decode_epc(encode_grai96("0614141", "12345", 1)).filter_value == 0
    assert decode_epc(encode_giai96("0614141", 1)).filter_value == 0


def test_real_reader_captures_decode_without_crashing(testdata: Path) -> None:
    # CrossMgr race-timing tags (Impinj reader logs): none carries a GS1 header.
    epcs = set()
    for path in (testdata / "rfid" / "crossmgr").glob("EliteMen-*.txt"):
        for line in path.read_text().splitlines():
            fields = line.split(",")
            if len(fields) > 1 and re.fullmatch(r"[0-9A-F]{24}", fields[1]):
                epcs.add(fields[1])
    assert "35000000019010061A8F0000" in epcs
    for epc in epcs:
        decoded = decode_epc(epc)
        assert decoded.status == "unknown-header"
        assert (decoded.hex, decoded.bits) == (epc, 96)


def test_sllurp_capture_tag_has_published_company_prefix() -> None:
    # sllurp's RO_ACCESS_REPORT test tag shares its first 48 bits with fosstrak's published
    # vector 300833B2DDD9014000000002 = urn:epc:tag:sgtin-96:0.0867360217.005.2.
    decoded = decode_epc("300833b2ddd906c000000000")
    assert decoded.scheme == "sgtin-96"
    assert (decoded.filter_value, decoded.partition) == (0, 2)
    assert decoded.company_prefix == "0867360217"
