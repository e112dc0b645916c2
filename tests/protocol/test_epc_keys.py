"""The fast GTIN/SSCC path gives exactly the full decoder's answers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from protocol import epc_keys
from protocol.epc import decode_epc, encode_sgtin96, encode_sscc96


def full_key(epc_hex: str, scheme: str) -> str | None:
    try:
        decoded = decode_epc(epc_hex)
    except ValueError:
        return None
    return decoded.gs1_key if decoded.scheme == scheme else None


@given(st.sampled_from([0x30, 0x31]), st.integers(0, (1 << 88) - 1))
def test_any_96_bit_value_agrees_with_the_full_decoder(header: int, rest: int) -> None:
    epc = f"{(header << 88) | rest:024X}"
    assert epc_keys.gtin_of(epc) == full_key(epc, "sgtin-96")
    assert epc_keys.sscc_of(epc) == full_key(epc, "sscc-96")


@given(
    st.integers(6, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, 10**n - 1))),
    st.integers(0, 9),
)
def test_encoded_keys_come_back(prefix: tuple[int, int], indicator: int) -> None:
    digits, value = prefix
    company = f"{value:0{digits}d}"
    item = f"{indicator}{'7' * (12 - digits)}"
    gtin = epc_keys.gtin_of(encode_sgtin96(company, item, 42))
    assert gtin is not None
    assert gtin[:13] == indicator.__str__() + company + item[1:]
    assert int(gtin[13]) == epc_keys.check_digit(gtin[:13])
    sscc = epc_keys.sscc_of(encode_sscc96(company, f"{indicator}{'3' * (16 - digits)}"))
    assert sscc is not None
    assert sscc[:17] == f"{indicator}{company}{'3' * (16 - digits)}"


def test_other_input_is_none() -> None:
    for epc in ("", "30", "zz" * 12, "3274257BF7194E4000001A85", "3074257BF7194E4000001A8500"):
        assert epc_keys.gtin_of(epc) is None
        assert epc_keys.sscc_of(epc) is None
    assert epc_keys.gtin_of("3074257BF7194E4000001A85") == "80614141123458"  # GS1 TDS example
