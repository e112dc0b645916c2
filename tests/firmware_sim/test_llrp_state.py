"""Reader state rules, report triggers, the hold buffer and scenario timelines."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_sim.llrp.capabilities import ReaderModel
from firmware_sim.llrp.constants import ReportTrigger, ROSpecState, StartTrigger, Status
from firmware_sim.llrp.playback import PlaybackClock, ReadTimeline
from firmware_sim.llrp.report import ReportFormat
from firmware_sim.llrp.reporting import HeldReads, ReportBatcher, ReportPolicy
from firmware_sim.llrp.requests import (
    DEFAULT_REPORT_SPEC,
    AccessSpec,
    AISpec,
    ConfigUpdate,
    ContentSelector,
    ReportSpec,
    ROSpec,
    TagObservationSpec,
)
from firmware_sim.llrp.sample import synthetic_scenario
from firmware_sim.llrp.state import ReaderState, RoEntry
from firmware_sim.scenario.types import READ_DTYPE, Reads


class Recorder:
    """SpecListener that records what started and stopped."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def rospec_started(self, entry: RoEntry) -> None:
        """Record a start."""
        self.events.append(("start", entry.spec.rospec_id))

    def rospec_stopped(self, entry: RoEntry) -> None:
        """Record a stop."""
        self.events.append(("stop", entry.spec.rospec_id))


def rospec(
    rospec_id: int,
    *,
    start: int = StartTrigger.NULL,
    antennas: tuple[int, ...] = (0,),
    state: int = 0,
    ai: AISpec | None = None,
    report: ReportSpec | None = None,
    stop_ms: int = 0,
) -> ROSpec:
    """A ROSpec as a client would add it."""
    return ROSpec(
        rospec_id=rospec_id,
        priority=0,
        current_state=state,
        start_trigger=start,
        stop_trigger=1 if stop_ms else 0,
        stop_duration_ms=stop_ms,
        ai_specs=(ai or AISpec(antennas),),
        report_spec=report,
        raw=b"",
    )


@pytest.fixture
def recorder() -> Recorder:
    """A fresh listener."""
    return Recorder()


@pytest.fixture
def state(recorder: Recorder) -> ReaderState:
    """A 4-antenna reader with no specs."""
    return ReaderState(ReaderModel(name="r", max_rospecs=3, max_accessspecs=2), recorder)


def state_of(state: ReaderState, rospec_id: int) -> ROSpecState:
    """Current state of one ROSpec."""
    return state.rospecs[rospec_id].state


def running(state: ReaderState) -> int | None:
    """ID of the running ROSpec, if any."""
    return state.active.spec.rospec_id if state.active else None


def test_rospec_lifecycle(state: ReaderState, recorder: Recorder) -> None:
    assert state.add_rospec(rospec(1)).ok
    assert state_of(state, 1) == ROSpecState.DISABLED
    assert state.start_rospec(1).text == "ROSpec 1 is disabled"
    assert state.enable_rospec(1).ok
    assert state_of(state, 1) == ROSpecState.INACTIVE  # Null start trigger: waits
    assert state.start_rospec(1).ok
    assert state.active is state.rospecs[1]
    assert state.start_rospec(1).code == Status.A_INVALID
    assert state.stop_rospec(1).ok
    assert state.stop_rospec(1).text == "ROSpec 1 is not active"
    assert state.delete_rospec(1).ok
    assert state.rospecs == {}
    assert recorder.events == [("start", 1), ("stop", 1)]


def test_immediate_rospec_starts_on_enable_and_stops_on_delete(
    state: ReaderState, recorder: Recorder
) -> None:
    assert state.add_rospec(rospec(4, start=StartTrigger.IMMEDIATE)).ok
    assert state.enable_rospec(4).ok
    assert running(state) == 4
    assert state.delete_rospec(0).ok  # 0 = all
    assert running(state) is None
    assert recorder.events == [("start", 4), ("stop", 4)]


def test_one_rospec_runs_at_a_time(state: ReaderState) -> None:
    for i in (1, 2):
        assert state.add_rospec(rospec(i, start=StartTrigger.IMMEDIATE)).ok
    assert state.enable_rospec(0).ok
    assert [e.state for e in state.rospecs.values()] == [ROSpecState.ACTIVE, ROSpecState.INACTIVE]
    assert state.start_rospec(2).text == "ROSpec 1 is active"
    assert state.disable_rospec(0).ok
    assert {e.state for e in state.rospecs.values()} == {ROSpecState.DISABLED}


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (rospec(0), "ROSpecID 0 is reserved"),
        (rospec(1, state=2), "a ROSpec must be added in the Disabled state"),
        (rospec(1, antennas=(1, 5)), "no antenna [5] on a 4-antenna reader"),
    ],
)
def test_bad_rospecs_are_refused(state: ReaderState, spec: ROSpec, text: str) -> None:
    assert state.add_rospec(spec).text == text
    assert state.rospecs == {}


def test_rospec_ids_and_capacity(state: ReaderState) -> None:
    for i in (1, 2, 3):
        assert state.add_rospec(rospec(i)).ok
    assert state.add_rospec(rospec(2)).text == "ROSpec 2 already exists"
    assert state.add_rospec(rospec(9)).text == "reader holds at most 3 ROSpecs"
    assert state.enable_rospec(7).text == "no ROSpec 7"
    assert state.delete_rospec(7).code == Status.A_INVALID
    assert state.stop_rospec(0).text == "no ROSpec 0"  # START/STOP need a real ID


def test_access_specs(state: ReaderState) -> None:
    def spec(i: int, enabled: bool = False) -> AccessSpec:
        return AccessSpec(i, 0, 1, enabled, 0, b"")

    assert state.add_accessspec(spec(0)).text == "AccessSpecID 0 is reserved"
    assert state.add_accessspec(spec(1, True)).code == Status.A_INVALID
    assert state.add_accessspec(spec(1)).ok
    assert state.add_accessspec(spec(1)).text == "AccessSpec 1 already exists"
    assert state.add_accessspec(spec(2)).ok
    assert state.add_accessspec(spec(3)).text == "reader holds at most 2 AccessSpecs"
    assert state.set_accessspec(0, enabled=True).ok
    assert all(e.enabled for e in state.accessspecs.values())
    assert state.set_accessspec(5, enabled=False).text == "no AccessSpec 5"
    assert state.delete_accessspec(1).ok
    assert state.delete_accessspec(0).ok
    assert state.accessspecs == {}


def test_config_updates_and_factory_reset(state: ReaderState) -> None:
    report = ReportSpec(ReportTrigger.N_TAGS_OR_END_OF_AISPEC, 5, ContentSelector(last_seen=True))
    assert state.apply(ConfigUpdate(keepalive_ms=500, report_spec=report, hold_events=True)).ok
    assert state.apply(ConfigUpdate(events={2: True})).ok
    s = state.settings
    assert (s.keepalive_ms, s.report_spec, s.hold_events, s.events[2]) == (500, report, True, True)
    assert state.apply(ConfigUpdate(antennas=(1, 9))).code == Status.A_OUT_OF_RANGE
    assert state.settings.keepalive_ms == 500  # a refused update changes nothing
    assert state.apply(ConfigUpdate(reset=True)).ok
    s = state.settings
    assert (s.keepalive_ms, s.report_spec, s.hold_events) == (0, DEFAULT_REPORT_SPEC, False)


def make_reads(n: int, start: int = 0) -> Reads:
    """n reads with t_us start, start+1, ... (tag = index, to follow them)."""
    reads = np.zeros(n, READ_DTYPE)
    reads["t_us"] = np.arange(start, start + n)
    reads["tag"] = np.arange(start, start + n)
    return reads


def policy(report: ReportSpec, ai: AISpec, stop_ms: int = 0) -> ReportPolicy:
    """Policy of a one-AISpec ROSpec."""
    return ReportPolicy.of(rospec(1, ai=ai, stop_ms=stop_ms), report)


SEL = ContentSelector(antenna_id=True)
EVERY_AISPEC = ReportSpec(ReportTrigger.N_TAGS_OR_END_OF_AISPEC, 0, SEL)


def test_sllurp_style_policy_reports_every_n_tags_or_timeout() -> None:
    ai = AISpec((1,), 3, 0, TagObservationSpec(0, 200, 250))
    p = policy(EVERY_AISPEC, ai)
    assert (p.per_report, p.cycle_tags, p.cycle_us, p.on_aispec_end) == (0, 200, 250_000, True)
    assert p.per_message == 200  # one RO_ACCESS_REPORT per ended AISpec cycle
    batcher = ReportBatcher(p, now_us=0, max_pending=10_000)
    out = batcher.add(make_reads(450))
    assert [len(r) for r in out] == [400]  # two AISpec cycles ended
    assert batcher.pending == 50
    assert batcher.tick(249_999) == []
    (late,) = batcher.tick(250_000)  # the third cycle timed out
    assert late["tag"].tolist() == list(range(400, 450))
    assert batcher.pending == 0


def test_ro_report_n_counts_tags_across_ticks() -> None:
    report = ReportSpec(ReportTrigger.N_TAGS_OR_END_OF_ROSPEC, 10, SEL)
    batcher = ReportBatcher(policy(report, AISpec((0,))), 0, 10_000)
    assert batcher.add(make_reads(7)) == []
    (first,) = batcher.add(make_reads(15, start=7))
    assert first["tag"].tolist() == list(range(20))
    assert batcher.drain()["tag"].tolist() == [20, 21]


def test_periodic_report_trigger() -> None:
    report = ReportSpec(ReportTrigger.N_MILLISECONDS, 100, SEL)
    p = policy(report, AISpec((0,)))
    assert (p.period_us, p.per_report) == (100_000, 0)
    batcher = ReportBatcher(p, 0, 10_000)
    assert batcher.add(make_reads(5)) == []
    assert batcher.tick(99_999) == []
    assert [len(r) for r in batcher.tick(100_000)] == [5]
    seconds = policy(ReportSpec(ReportTrigger.N_SECONDS_OR_END_OF_ROSPEC, 2, SEL), AISpec((0,)))
    assert seconds.period_us == 2_000_000


def test_full_report_buffer_is_reported_at_once() -> None:
    batcher = ReportBatcher(policy(EVERY_AISPEC, AISpec((0,))), 0, max_pending=100)
    assert batcher.add(make_reads(99)) == []
    (forced,) = batcher.add(make_reads(1, start=99))
    assert len(forced) == 100
    assert batcher.forced == 1


def test_duration_stop_trigger_in_policy() -> None:
    assert policy(EVERY_AISPEC, AISpec((0,)), stop_ms=1500).stop_after_us == 1_500_000
    duration_ai = AISpec((0,), stop_trigger=1, duration_ms=40)
    assert policy(EVERY_AISPEC, duration_ai).cycle_us == 40_000


@settings(max_examples=200, deadline=None)
@given(
    chunks=st.lists(st.integers(0, 300), max_size=20),
    n=st.integers(0, 50),
    cycle=st.integers(0, 80),
)
def test_batcher_keeps_every_read_once_in_order(chunks: list[int], n: int, cycle: int) -> None:
    report = ReportSpec(ReportTrigger.N_TAGS_OR_END_OF_AISPEC, n, SEL)
    ai = AISpec((0,), 3, 0, TagObservationSpec(0, cycle, 0))
    batcher = ReportBatcher(policy(report, ai), 0, max_pending=500)
    out: list[Reads] = []
    start = 0
    for size in chunks:
        out.extend(batcher.add(make_reads(size, start)))
        start += size
    out.append(batcher.drain())
    tags = np.concatenate(out)["tag"].tolist() if out else []
    assert tags == list(range(start))
    assert batcher.pending == 0


def test_hold_buffer_drops_what_does_not_fit() -> None:
    held = HeldReads(capacity=10)
    fmt = ReportFormat(SEL)
    assert held.add(fmt, 5, make_reads(6)) == 0
    assert held.add(fmt, 5, make_reads(6, start=6)) == 2
    assert held.count == 10
    chunks = held.take()
    assert np.concatenate([c.reads for c in chunks])["tag"].tolist() == list(range(10))
    assert held.count == 0
    assert held.take() == []


def test_timeline_releases_reads_at_their_true_time() -> None:
    scenario = synthetic_scenario(readers=2, reads=500, duration_s=2.0, skew_step_us=7000)
    timeline = ReadTimeline(scenario, 1)
    true = scenario.meta["true_time_us"]
    assert isinstance(true, np.ndarray)
    mine = np.sort(true[scenario.reads["reader"] == 1]) - scenario.start_us
    assert timeline.due_us.tolist() == mine.tolist()
    half = int(mine[len(mine) // 2])
    first = timeline.take_due(half)
    assert len(first) == int(np.searchsorted(mine, half, side="right"))
    rest = timeline.take_due(10**12)
    assert len(first) + len(rest) == len(mine)
    assert timeline.finished
    assert timeline.next_due_us() is None
    both = np.concatenate([first, rest])
    assert both["t_us"].tolist() == scenario.reads_of(1)["t_us"].tolist()


def test_timeline_without_true_times_uses_reader_skew() -> None:
    scenario = synthetic_scenario(readers=2, reads=200, skew_step_us=7000)
    scenario.meta.clear()
    timeline = ReadTimeline(scenario, 1)
    expected = scenario.reads_of(1)["t_us"] - 7000 - scenario.start_us
    assert timeline.due_us.tolist() == expected.tolist()


def test_looping_timeline_shifts_each_lap() -> None:
    scenario = synthetic_scenario(readers=1, reads=50, duration_s=1.0)
    timeline = ReadTimeline(scenario, 0, loop=True)
    lap = scenario.end_us - scenario.start_us
    assert timeline.lap_us == lap
    got = timeline.take_due(3 * lap - 1)
    base = scenario.reads_of(0)["t_us"]
    expected = np.concatenate([base + k * lap for k in range(3)])
    expected = expected[expected - scenario.start_us < 3 * lap]
    assert got["t_us"].tolist() == expected.tolist()
    assert not timeline.finished
    assert timeline.released == len(got)


def test_clock_before_and_after_start() -> None:
    clock = PlaybackClock(speed=1000)
    assert [clock.started, clock.offset_us()] == [False, 0]
    clock.start()
    assert [clock.started, clock.offset_us() >= 0] == [True, True]
    assert clock.wall_seconds(2_000_000) == pytest.approx(0.002)
    with pytest.raises(ValueError, match="speed must be positive"):
        PlaybackClock(speed=0)
