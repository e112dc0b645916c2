"""EPC decode throughput: protocol.epc beside bare epcpy, measured in the same run.

Run: .venv/bin/python -m bench.bench_epc [--count N]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence

from epcpy.epc_schemes.base_scheme import GS1Keyed
from epcpy.utils.parsers import hex_to_tag_encodable

from protocol import epc_keys
from protocol.epc import _decode_normalised, decode_epc, encode_sgtin96, encode_sscc96


def make_epcs(count: int, seed: int = 7) -> list[str]:
    """Distinct SGTIN-96 and SSCC-96 EPCs, nine items to one pallet."""
    rng = random.Random(seed)
    epcs = []
    for i in range(count):
        if i % 10 == 9:
            epcs.append(encode_sscc96("0614141", f"{rng.randrange(10**10):010d}"))
        else:
            epcs.append(encode_sgtin96("0614141", "812345", rng.randrange(1 << 38)))
    return epcs


def rate(fn: Callable[[str], object], epcs: Sequence[str]) -> float:
    """EPCs decoded per second."""
    start = time.perf_counter()
    for epc in epcs:
        fn(epc)
    return len(epcs) / (time.perf_counter() - start)


def bare_epcpy(epc: str) -> object:
    """Baseline: what epcpy alone does for one EPC (identity and key)."""
    parsed = hex_to_tag_encodable(epc)
    assert isinstance(parsed, GS1Keyed)
    return parsed.epc_uri, parsed.gs1_key()


def main() -> None:
    """Print decode rates for distinct and repeated EPCs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000)
    count = parser.parse_args().count
    epcs = make_epcs(count)
    repeated = epcs[: max(1, count // 100)] * 100
    baseline = rate(bare_epcpy, epcs)
    _decode_normalised.cache_clear()
    distinct = rate(decode_epc, epcs)
    _decode_normalised.cache_clear()
    warm = rate(decode_epc, repeated)
    print(f"baseline  bare epcpy, distinct EPCs      {baseline:12,.0f} EPC/s")
    print(f"decode_epc distinct EPCs (cache misses)  {distinct:12,.0f} EPC/s")
    print(f"decode_epc each EPC read 100 times       {warm:12,.0f} EPC/s")
    keys = rate(_gtin_uncached, epcs)
    ratio = keys / baseline
    print(f"fast GTIN key (epc_keys), distinct EPCs  {keys:12,.0f} EPC/s  ({ratio:.0f}x epcpy)")


def _gtin_uncached(epc: str) -> object:
    # The key path the cloud uses for every event, without its cache, beside epcpy above.
    return epc_keys.gtin_of.__wrapped__(epc)


if __name__ == "__main__":
    main()
