"""Stuck-probe detection: identical readings in a row are flagged and counted, never dropped."""

from __future__ import annotations

from edge.sensors.lines import Reading
from edge.sensors.stuck import StuckDetector


def test_a_run_of_identical_readings_is_flagged_then_released() -> None:
    detector = StuckDetector(after=5)
    changes = [detector.feed(Reading(4.0 + 0.1 * (i % 2), 80.0)) for i in range(10)]
    assert not any(changes)
    assert not detector.stuck
    frozen = Reading(4.2, 81.0)
    changes = [detector.feed(frozen) for _ in range(8)]
    assert [c.stuck for c in changes if c] == [True]
    assert (detector.stuck, detector.episodes, detector.readings) == (True, 1, 8)
    change = detector.feed(Reading(4.3, 81.0))
    assert change is not None
    assert not change.stuck
    assert change.run == 8
    assert (detector.stuck, detector.readings) == (False, 8)


def test_off_when_after_is_zero() -> None:
    detector = StuckDetector(after=0)
    assert all(detector.feed(Reading(4.0, 80.0)) is None for _ in range(100))
    assert not detector.stuck
