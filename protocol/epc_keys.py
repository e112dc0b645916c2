"""Fast GTIN-14 and SSCC-18 of SGTIN-96 and SSCC-96 EPCs: the cloud asks for every event.

Plain integer arithmetic on the 96 bits per GS1 TDS §14 (partition tables 14-2 and 14-5),
checked against the full decoder (protocol.epc, built on epcpy) by property tests and measured
against it in bench/bench_epc.py. Anything else answers None: the full decoder says why.
"""

from __future__ import annotations

from functools import lru_cache

SGTIN96, SSCC96 = 0x30, 0x31
# partition -> (company prefix bits, digits, reference bits, digits)
SGTIN_PARTITIONS = (
    (40, 12, 4, 1), (37, 11, 7, 2), (34, 10, 10, 3), (30, 9, 14, 4),
    (27, 8, 17, 5), (24, 7, 20, 6), (20, 6, 24, 7),
)  # fmt: skip
SSCC_PARTITIONS = (
    (40, 12, 18, 5), (37, 11, 21, 6), (34, 10, 24, 7), (30, 9, 28, 8),
    (27, 8, 31, 9), (24, 7, 34, 10), (20, 6, 38, 11),
)  # fmt: skip


def check_digit(digits: str) -> int:
    """GS1 mod-10 check digit (weights 3, 1, 3, ... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


@lru_cache(maxsize=1 << 17)
def gtin_of(epc_hex: str) -> str | None:
    """GTIN-14 of an SGTIN-96 EPC, else None."""
    fields = _fields(epc_hex, SGTIN96, SGTIN_PARTITIONS, tail_bits=38)
    if fields is None:
        return None
    prefix, reference = fields
    body = reference[0] + prefix + reference[1:]  # indicator digit leads
    return body + str(check_digit(body))


@lru_cache(maxsize=1 << 17)
def sscc_of(epc_hex: str) -> str | None:
    """SSCC-18 of an SSCC-96 EPC, else None."""
    fields = _fields(epc_hex, SSCC96, SSCC_PARTITIONS, tail_bits=24)
    if fields is None:
        return None
    prefix, reference = fields
    body = reference[0] + prefix + reference[1:]  # extension digit leads
    return body + str(check_digit(body))


def _fields(
    epc_hex: str, header: int, table: tuple[tuple[int, int, int, int], ...], tail_bits: int
) -> tuple[str, str] | None:
    if len(epc_hex) != 24:
        return None
    try:
        value = int(epc_hex, 16)
    except ValueError:
        return None
    if value >> 88 != header:
        return None
    partition = (value >> 82) & 0x7
    if partition >= len(table):
        return None
    prefix_bits, prefix_digits, ref_bits, ref_digits = table[partition]
    fields = value >> tail_bits
    reference = fields & ((1 << ref_bits) - 1)
    prefix = (fields >> ref_bits) & ((1 << prefix_bits) - 1)
    if prefix >= 10**prefix_digits or reference >= 10**ref_digits:
        return None  # more digits than the partition allows: not a valid EPC
    return f"{prefix:0{prefix_digits}d}", f"{reference:0{ref_digits}d}"
