"""Tag reports become read batches; malformed EPCs are dropped, counted and named."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from edge.readers.llrp import tags_to_batch, valid_tags


def tag(epc: bytes, **fields: Any) -> dict[str, Any]:
    return {
        "EPC": epc,
        "AntennaID": 2,
        "PeakRSSI": -51,
        "FirstSeenTimestampUTC": 1_700_000_000_000_000,
        "TagSeenCount": 3,
        **fields,
    }


def test_well_formed_reports_keep_every_field() -> None:
    good, bad = valid_tags([tag(b"3074257bf7194e4000001a85"), tag(b"e2801160600002084c5ba9c1")])
    assert bad == []
    batch = tags_to_batch(1, 5, good)
    assert batch.epcs == ("3074257BF7194E4000001A85", "E2801160600002084C5BA9C1")  # any header
    assert batch.antenna.tolist() == [2, 2]
    assert batch.count.tolist() == [3, 3]


def test_malformed_epcs_are_named_and_dropped() -> None:
    good, bad = valid_tags(
        [tag(b"3074257bf7194e4000001a8"), tag(b"zz74257bf7194e4000001a85"), tag(b"")]
    )
    assert good == []
    assert bad == ["3074257BF7194E4000001A8", "ZZ74257BF7194E4000001A85", ""]


def test_missing_optional_fields_fall_back() -> None:
    batch = tags_to_batch(0, 42, [{"EPC-96": b"3074257bf7194e4000001a85"}])
    assert (batch.t_us[0], batch.antenna[0], batch.count[0]) == (42, 0, 1)


@given(st.lists(st.binary(max_size=40), max_size=20))
def test_random_epc_bytes_never_break_the_split(raw: list[bytes]) -> None:
    tags = [tag(r.hex().encode()) for r in raw]
    good, bad = valid_tags(tags)
    assert len(good) + len(bad) == len(tags)
    assert all(len(t["EPC"]) % 4 == 0 and 0 < len(t["EPC"]) <= 124 for t in good)
