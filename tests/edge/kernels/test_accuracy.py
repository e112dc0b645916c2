"""Portal and presence decisions against the ground truth of seeded dock scenarios.

The dock scenario has 5 % missed reads, neighbour-door cross-reads (loads driven along the
dock past other doors), parked pallets near the doors and lane pallets that never cross;
reader clocks are offset by seconds and drift. Reads reach the pipeline as 200 ms reader
reports with network delay, through de-skew and the lateness watermark.
"""

from __future__ import annotations

import numpy as np
import pytest

from edge.kernels.pipeline import PresenceDecision
from firmware_sim.scenario import registry
from protocol.messages import PresenceState
from tests.edge.kernels.replay import describe, replay, scenario_config, score


@pytest.mark.parametrize("seed", [1, 4])
def test_dock_crossings_get_door_and_direction_right(seed: int) -> None:
    scenario = registry.build("dock", seed)
    pipe, decisions = replay(scenario, scenario_config(scenario), seed=seed)
    result = score(scenario, decisions)
    summary = describe(result, pipe)
    assert result.crossed >= 2000, summary
    assert result.accuracy >= 0.999, summary
    assert result.duplicates == 0, summary
    assert result.false_parked == [], summary
    assert result.false_cross_read == [], summary
    assert result.false_other == [], summary
    error = np.abs(result.time_err_ms)
    assert np.median(error) < 100, summary
    assert np.percentile(error, 95) < 300, summary
    parked = {
        d.epc
        for d in decisions
        if isinstance(d, PresenceDecision) and d.state is PresenceState.PARKED
    }
    crossed = {c.epc for c in scenario.truth.crossings}
    assert not parked & crossed  # a tag that crossed was never held to be parked
    assert len(parked & scenario.truth.parked) >= 0.8 * len(scenario.truth.parked), summary
