"""The pipeline's event-time watermark never passes a crossing it has yet to decide."""

from __future__ import annotations

import pytest

from edge.kernels.pipeline import Pipeline, PortalDecision
from tests.edge.kernels.synth import T0
from tests.edge.kernels.test_pipeline import config, push_crossing


@pytest.mark.parametrize("engine", ["jit", "reference"])
def test_watermark_waits_for_open_passes_and_queued_reads(engine: str) -> None:
    pipe = Pipeline(config(), engine=engine)  # type: ignore[arg-type]
    assert pipe.decided_until_us() is None  # nothing promised before the first advance
    push_crossing(pipe, T0)
    pipe.advance(T0 + 500_000)  # mid-pass: the pass is open, later reads are queued
    held = pipe.decided_until_us()
    assert held is not None
    assert held <= T0 - 1_000_000  # no later than the pass's first read
    step = T0
    portals: list[PortalDecision] = []
    while not portals:
        step += 250_000
        portals = [d for d in pipe.advance(step) if isinstance(d, PortalDecision)]
        if not portals:  # still undecided: the watermark stays before the pass began
            assert (pipe.decided_until_us() or 0) <= T0 - 1_000_000
    (portal,) = portals
    released = pipe.decided_until_us()
    assert released is not None
    assert released > portal.time_us  # once decided, the watermark moves on
