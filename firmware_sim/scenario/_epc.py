"""Stand-in SGTIN-96 / SSCC-96 encoder until protocol.epc lands; same signatures."""

from __future__ import annotations

# Partition table (TDS 2.x): company prefix digits -> (partition, prefix bits, other bits).
_SGTIN_PARTITIONS = {12: (0, 40, 4), 11: (1, 37, 7), 10: (2, 34, 10), 9: (3, 30, 14),
                     8: (4, 27, 17), 7: (5, 24, 20), 6: (6, 20, 24)}  # fmt: skip
_SSCC_PARTITIONS = {12: (0, 40, 18), 11: (1, 37, 21), 10: (2, 34, 24), 9: (3, 30, 28),
                    8: (4, 27, 31), 7: (5, 24, 34), 6: (6, 20, 38)}  # fmt: skip


def encode_sgtin96(
    company_prefix: str, item_reference: str, serial: int, filter_value: int = 1
) -> str:
    """SGTIN-96 EPC as upper-case hex."""
    partition, cp_bits, ir_bits = _SGTIN_PARTITIONS[len(company_prefix)]
    value = 0x30
    for field, bits in ((filter_value, 3), (partition, 3), (int(company_prefix), cp_bits),
                        (int(item_reference), ir_bits), (serial, 38)):  # fmt: skip
        value = (value << bits) | field
    return f"{value:024X}"


def encode_sscc96(company_prefix: str, serial_reference: str, filter_value: int = 0) -> str:
    """SSCC-96 EPC as upper-case hex."""
    partition, cp_bits, sr_bits = _SSCC_PARTITIONS[len(company_prefix)]
    value = 0x31
    for field, bits in ((filter_value, 3), (partition, 3), (int(company_prefix), cp_bits),
                        (int(serial_reference), sr_bits), (0, 24)):  # fmt: skip
        value = (value << bits) | field
    return f"{value:024X}"
