"""Interval aggregation: alignment, closing, flushing, late readings, and agreement with the
emulator's independent aggregation of the same lines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.sensors.aggregate import IntervalAggregator
from edge.sensors.lines import Reading
from firmware_sim.sensors.scenario import Line
from firmware_sim.sensors.truth import aggregate
from protocol.ids import make_event_id
from protocol.messages import ConditionSample

T0 = 1_717_372_800_000_000  # a minute boundary, in µs
S = 1_000_000


def test_intervals_align_to_the_clock_and_close_when_passed() -> None:
    agg = IntervalAggregator("gw", "s1", 60.0, T0 + 10 * S)
    agg.add(T0 + 20 * S, Reading(4.0, 80.0))
    agg.add(T0 + 59 * S, Reading(5.0, 90.0))
    agg.add(T0 + 60 * S, Reading(6.0, 70.0))
    agg.reject(T0 + 61 * S)
    assert agg.close(T0 + 60 * S - 1) == []
    (first,) = agg.close(T0 + 60 * S)
    # The first interval starts when the source started, so that a restart never reuses an ID.
    assert (first.start_ms, first.time_ms) == ((T0 + 10 * S) // 1000, (T0 + 60 * S) // 1000)
    assert first.id == make_event_id("gw", "condition", "s1", first.start_ms)
    assert (first.count, first.temp_min, first.temp_max, first.temp_mean) == (2, 4.0, 5.0, 4.5)
    assert (first.rh_min, first.rh_max, first.rh_mean, first.bad) == (80.0, 90.0, 85.0, 0)
    (second,) = agg.close(T0 + 120 * S)
    assert (second.start_ms, second.time_ms) == ((T0 + 60 * S) // 1000, (T0 + 120 * S) // 1000)
    assert (second.count, second.bad, second.temp_mean) == (1, 1, 6.0)


def test_flush_reports_the_open_interval_up_to_the_stop() -> None:
    agg = IntervalAggregator("gw", "s1", 60.0, T0)
    agg.add(T0 + 5 * S, Reading(4.0, None))
    (sample,) = agg.flush(T0 + 30 * S)
    assert (sample.start_ms, sample.time_ms) == (T0 // 1000, (T0 + 30 * S) // 1000)
    assert (sample.temp_mean, sample.rh_mean, sample.rh_min) == (4.0, None, None)
    assert agg.flush(T0 + 40 * S) == []


def test_a_late_reading_joins_the_first_open_interval_and_is_counted() -> None:
    agg = IntervalAggregator("gw", "s1", 60.0, T0)
    agg.add(T0 + S, Reading(4.0, 80.0))
    assert len(agg.close(T0 + 60 * S)) == 1
    agg.add(T0 + 59 * S, Reading(9.0, 80.0))  # stamped before a closed boundary
    (sample,) = agg.close(T0 + 120 * S)
    assert sample.start_ms == (T0 + 60 * S) // 1000
    assert (sample.count, sample.temp_max, agg.late) == (1, 9.0, 1)


def test_an_interval_of_only_bad_lines_yields_no_sample_but_is_counted() -> None:
    agg = IntervalAggregator("gw", "s1", 1.0, T0)
    agg.reject(T0 + S // 2)
    assert agg.close(T0 + 2 * S) == []
    assert agg.empty == 1


readings = st.lists(
    st.tuples(
        st.integers(0, 600 * S),
        st.one_of(st.none(), st.floats(-40, 60).map(lambda v: round(v, 1))),
        st.one_of(st.none(), st.floats(0, 100).map(lambda v: round(v, 1))),
    ),
    max_size=80,
).map(lambda xs: sorted(xs, key=lambda x: x[0]))


@given(readings, st.sampled_from([1.0, 10.0, 60.0]))
def test_aggregator_agrees_with_the_emulators_aggregation(
    stream: list[tuple[int, float | None, float | None]], interval_s: float
) -> None:
    agg = IntervalAggregator("gw", "s1", interval_s, T0)
    groups: dict[int, list[Line]] = {}
    step = round(interval_s * S)
    for i, (dt, temp, rh) in enumerate(stream):
        valid = temp is not None or rh is not None
        if valid:
            agg.add(T0 + dt, Reading(temp, rh))
        else:
            agg.reject(T0 + dt)
        line = Line(i, 0.0, "ok" if valid else "garbled", b"", temp, rh)
        groups.setdefault((T0 + dt) // step, []).append(line)
    got = agg.close(T0 + 601 * S + step)
    expected = [
        s
        for k in sorted(groups)
        if (s := aggregate(groups[k], "gw", "s1", k * step // 1000, (k + 1) * step // 1000))
    ]
    assert [_exact(s) for s in got] == [_exact(s) for s in expected]
    for mine, theirs in zip(got, expected, strict=True):
        for mean in ("temp_mean", "rh_mean"):
            assert getattr(mine, mean) == pytest.approx(getattr(theirs, mean), abs=1e-3)


def _exact(sample: ConditionSample) -> dict[str, object]:
    """Everything but the means, which may differ in the last rounded digit."""
    return sample.model_dump(exclude={"temp_mean", "rh_mean"})
