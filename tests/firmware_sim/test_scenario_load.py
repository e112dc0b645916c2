"""The load scenario delivers the read rate and population it is asked for."""

from __future__ import annotations

import numpy as np

from firmware_sim.scenario.load import LoadConfig, build_load


def test_portal_load_rate_and_direction() -> None:
    config = LoadConfig(readers=3, reads_per_s=600.0, duration_s=20.0)
    scenario = build_load(config, seed=2)
    reads = scenario.reads
    assert abs(len(reads) / (config.readers * config.duration_s) - config.reads_per_s) < 60
    assert (np.diff(reads["t_us"]) >= 0).all()
    assert set(np.unique(reads["reader"]).tolist()) == {0, 1, 2}
    # Each crossing's tag is read outside first when it goes in, inside first when it goes out.
    index = {epc: i for i, epc in enumerate(scenario.epcs)}
    for crossing in scenario.truth.crossings[:200]:
        mine = reads[reads["tag"] == index[crossing.epc]]
        mine = mine[np.abs(mine["t_us"] - crossing.time_us) < 2_000_000]
        early = mine[mine["t_us"] < crossing.time_us]["antenna"]
        outside_first = bool((early <= 2).mean() > 0.5)
        assert outside_first == (crossing.direction == "in")


def test_inventory_load_keeps_every_tag_in_view() -> None:
    config = LoadConfig(
        mode="inventory", readers=4, reads_per_s=1000.0, duration_s=10.0, population=5000
    )
    scenario = build_load(config, seed=1)
    reads = scenario.reads
    assert len(np.unique(reads["tag"])) == config.population
    gaps = np.diff(np.sort(reads[reads["tag"] == 17]["t_us"]))
    assert gaps.max() <= 1.5 * 1e6 * config.population / (config.readers * config.reads_per_s)
