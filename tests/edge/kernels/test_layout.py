"""Gateway config compiled to dense arrays, and the EPC interning table."""

from __future__ import annotations

import numpy as np
import pytest

from edge.config import GatewayConfig, ReaderConfig, ZoneConfig
from edge.kernels.layout import INSIDE, NO_SIDE, OUTSIDE, EpcTable, Layout, normalise_epc


def config() -> GatewayConfig:
    """Two readers: door d1 on reader a, a shelf on reader b."""
    return GatewayConfig(
        site="s",
        gateway="g",
        readers=(
            ReaderConfig(name="a", host="h", antennas={1: "d1-out", 2: "d1-out", 3: "d1-in"}),
            ReaderConfig(name="b", host="h", antennas={4: "shelf"}),
        ),
        zones=(
            ZoneConfig(name="d1-out", door="d1", side="outside"),
            ZoneConfig(name="d1-in", door="d1", side="inside"),
            ZoneConfig(name="shelf"),
        ),
    )


def test_layout_maps_reader_antenna_to_zone_door_and_side() -> None:
    layout = Layout.from_config(config())
    assert layout.reader_names == ("a", "b")
    assert layout.zone_names == ("d1-out", "d1-in", "shelf")
    assert layout.door_names == ("d1",)
    assert layout.zones_for(0, [1, 2, 3, 4]).tolist() == [0, 0, 1, -1]
    assert layout.zones_for(layout.reader_index("b"), [4, 0, 65, -3]).tolist() == [2, -1, -1, -1]
    assert layout.zone_door.tolist() == [0, 0, -1]
    assert layout.zone_side.tolist() == [OUTSIDE, INSIDE, NO_SIDE]


def test_unknown_reader_is_an_error() -> None:
    layout = Layout.from_config(config())
    with pytest.raises(ValueError, match="no reader named 'c'"):
        layout.reader_index("c")
    with pytest.raises(IndexError):
        layout.reader_index(2)


def test_epcs_are_normalised_and_interned_densely() -> None:
    table = EpcTable()
    raw = bytes.fromhex("3034257bf7194e4000001a85")
    got = table.intern_many(["3034257BF7194E4000001A85", raw, " 3034257bf7194e4000001a85 ", "AB"])
    assert got.tolist() == [0, 0, 0, 1]
    assert normalise_epc(raw) == "3034257BF7194E4000001A85"
    assert table.epc(1) == "AB"
    assert (table.get("ab"), table.get("cd"), len(table), table.high_water) == (1, -1, 2, 2)


def test_full_table_forgets_what_the_callback_frees_and_reuses_indexes() -> None:
    table = EpcTable(max_tags=3)
    asked: list[tuple[int, list[int]]] = []

    def evict(need: int, keep: np.ndarray) -> None:
        asked.append((need, sorted(keep.tolist())))
        table.forget([2, 0])

    table.on_full = evict
    assert table.intern_many(["A0", "A1", "A2"]).tolist() == [0, 1, 2]
    assert table.intern_many(["A1", "B0", "B1"]).tolist() == [1, 0, 2]
    assert asked == [(2, [1])]
    assert (table.get("A0"), table.get("B1"), table.evicted) == (-1, 2, 2)
    table.forget([1])
    with pytest.raises(KeyError):
        table.epc(1)


def test_full_table_without_room_refuses_new_epcs() -> None:
    table = EpcTable(max_tags=1)
    assert table.intern_many(["A0", "A1", "A0"]).tolist() == [0, -1, 0]
