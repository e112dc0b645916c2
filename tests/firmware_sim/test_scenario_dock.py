"""Dock-door scenario: determinism, ground-truth consistency and the physics it promises."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from firmware_sim.scenario import registry
from firmware_sim.scenario.dock import DockConfig, build_dock
from firmware_sim.scenario.traffic import Traffic
from firmware_sim.scenario.types import READ_DTYPE, Scenario

SHORT = DockConfig(traffic=Traffic(duration_s=240.0))


@pytest.fixture(scope="module")
def dock() -> Scenario:
    """The registered default dock scenario, built once."""
    return registry.build("dock", 7)


@pytest.fixture(scope="module")
def true_t(dock: Scenario) -> np.ndarray:
    """True time of each read."""
    t = dock.meta["true_time_us"]
    assert isinstance(t, np.ndarray)
    return t


def _zone_side(scenario: Scenario) -> dict[tuple[int, int], tuple[str, str]]:
    names = {spec.name: i for i, spec in enumerate(scenario.readers)}
    return {(names[p.reader], p.antenna): (p.door or "", p.side or "") for p in scenario.layout}


def test_same_seed_same_scenario() -> None:
    a, b = build_dock(SHORT, 11), build_dock(SHORT, 11)
    assert a.epcs == b.epcs
    assert a.truth == b.truth
    assert np.array_equal(a.reads, b.reads)
    c = build_dock(SHORT, 12)
    assert c.epcs != a.epcs


def test_contract_shapes(dock: Scenario) -> None:
    assert dock.reads.dtype == READ_DTYPE
    assert len(dock.readers) == 4
    assert len(dock.layout) == 16
    assert {p.zone for p in dock.layout} == {
        f"dock{d}-{s}" for d in range(1, 5) for s in ("in", "out")
    }
    assert dock.reads["tag"].max() < len(dock.epcs)
    assert len(set(dock.epcs)) == len(dock.epcs)


def test_every_crossing_is_read_on_both_sides_around_its_time(
    dock: Scenario, true_t: np.ndarray
) -> None:
    side_of = _zone_side(dock)
    index = {e: i for i, e in enumerate(dock.epcs)}
    seen: dict[int, set[str]] = defaultdict(set)
    crossing_time = {index[c.epc]: (c.door, c.time_us) for c in dock.truth.crossings}
    for tag, reader, antenna, t in zip(
        dock.reads["tag"].tolist(),
        dock.reads["reader"].tolist(),
        dock.reads["antenna"].tolist(),
        true_t.tolist(),
        strict=True,
    ):
        if tag in crossing_time:
            door, side = side_of[(reader, antenna)]
            door_x, t_x = crossing_time[tag]
            if door == door_x and abs(t - t_x) < 15_000_000:
                seen[tag].add(side)
    for c in dock.truth.crossings:
        if c.epc not in dock.truth.unreadable:
            assert seen[index[c.epc]] == {"inside", "outside"}, c
