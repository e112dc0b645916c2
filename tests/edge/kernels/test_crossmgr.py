"""The real Impinj logs of a race finish line (CrossMgr) through the pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.kernels.params import KernelParams
from edge.kernels.pipeline import PortalDecision, PresenceDecision
from edge.kernels.reference import peak_time
from firmware_sim.scenario.impinj_log import CROSSMGR_LOGS, impinj_log_scenario, parse_impinj_log
from protocol.messages import PresenceState
from tests.edge.kernels.replay import replay, scenario_config

PARKED_TAG = "35000000019010061A8F0000"


@pytest.mark.parametrize("name", CROSSMGR_LOGS)
def test_real_log_runs_through_and_its_parked_tag_is_parked(testdata: Path, name: str) -> None:
    scenario = impinj_log_scenario(testdata / "rfid" / "crossmgr" / name)
    pipe, decisions = replay(scenario, scenario_config(scenario))
    counters = pipe.counters
    assert counters["reads_in"] == counters["reads"] == len(scenario.reads)
    assert counters["late"] == counters["unmapped"] == 0
    assert not [d for d in decisions if isinstance(d, PortalDecision)]  # no door at a finish
    states = [d for d in decisions if isinstance(d, PresenceDecision)]
    parked = {d.epc for d in states if d.state is PresenceState.PARKED}
    assert parked == {PARKED_TAG}
    riders = {d.epc for d in states if d.state is PresenceState.ARRIVED} - parked
    assert riders >= {
        c.epc for c in scenario.truth.crossings if c.epc not in scenario.truth.unreadable
    }


def test_peak_times_agree_with_crossmgr_passings(testdata: Path) -> None:
    """Our weighted-centroid peak time of each rider's pass against CrossMgr's quadratic fit."""
    diffs = []
    for name in CROSSMGR_LOGS:
        log = parse_impinj_log(testdata / "rfid" / "crossmgr" / name)
        for passing in log.passings:
            if passing.epc == PARKED_TAG or passing.epc not in log.epcs:
                continue
            reads = log.reads[log.reads["tag"] == log.epcs.index(passing.epc)]
            reads = reads[np.argsort(reads["t_us"], kind="stable")]
            near = reads[np.abs(reads["t_us"] - passing.time_us) < 1_500_000]
            ones = np.ones(len(near))
            estimate = peak_time(near["t_us"], near["rssi"], ones, KernelParams())
            diffs.append(abs(estimate - passing.time_us) / 1000)
    assert len(diffs) > 50
    assert np.median(diffs) < 40
    assert np.percentile(diffs, 90) < 150
