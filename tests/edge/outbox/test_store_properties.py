"""Random append / ack / reopen sequences against a plain-Python model of the outbox."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from edge.config import OutboxConfig
from edge.outbox import Event, Outbox
from protocol.topics import Kind
from tests.edge.outbox.factory import portal, presence
from tests.edge.outbox.test_store import drain

MAX_EVENTS = 100
UNIVERSE = 400  # few enough IDs that repeats are common, enough to overflow the bound


def event(i: int) -> Event:
    return presence("p", i) if i % 4 == 0 else portal("p", i)


class OutboxMachine(RuleBasedStateMachine):
    """The model is the list of stored IDs in append order; drops trim it by the policy."""

    def __init__(self) -> None:
        super().__init__()
        self._dir = tempfile.TemporaryDirectory()
        self.policy: Literal["drop_oldest", "drop_newest"] = "drop_oldest"
        self.box: Outbox | None = None
        self.model: list[str] = []
        self.base = self.appended = self.acked = self.dropped = 0

    def _open(self) -> Outbox:
        path = Path(self._dir.name) / "outbox.sqlite"
        config = OutboxConfig(path=path, max_events=MAX_EVENTS, when_full=self.policy)
        return Outbox(config)

    @precondition(lambda self: self.box is None)
    @rule(policy=st.sampled_from(["drop_oldest", "drop_newest"]))
    def open(self, policy: Literal["drop_oldest", "drop_newest"]) -> None:
        self.policy = policy
        self.box = self._open()

    @precondition(lambda self: self.box is not None)
    @rule(indexes=st.lists(st.integers(0, UNIVERSE - 1), max_size=60))
    def append(self, indexes: list[int]) -> None:
        assert self.box is not None
        stored = self.box.append([event(i) for i in indexes])
        new = [eid for eid in dict.fromkeys(event(i)[1] for i in indexes) if eid not in self.model]
        assert stored == len(new)
        self.model.extend(new)
        self.appended += stored
        excess = max(0, len(self.model) - MAX_EVENTS)
        if excess:
            self.dropped += excess
            if self.policy == "drop_oldest":
                del self.model[:excess]
            else:
                del self.model[-excess:]

    @precondition(lambda self: self.box is not None)
    @rule(picks=st.lists(st.integers(0, MAX_EVENTS - 1), max_size=30), batch=st.integers(1, 40))
    def ack(self, picks: list[int], batch: int) -> None:
        assert self.box is not None
        pending = drain(self.box, batch)
        chosen = {pending[i % len(pending)] for i in picks} if pending else set()
        assert self.box.ack(e.seq for e in chosen) == len(chosen)
        self.acked += len(chosen)
        gone = {e.event_id for e in chosen}
        self.model = [eid for eid in self.model if eid not in gone]

    @precondition(lambda self: self.box is not None)
    @rule()
    def reopen(self) -> None:
        assert self.box is not None
        self.box.close()
        self.box = self._open()
        # The outbox counts since open; what was stored before is the new base.
        self.base, self.appended, self.acked, self.dropped = len(self.model), 0, 0, 0

    @invariant()
    def pending_is_appended_minus_acked_minus_dropped(self) -> None:
        if self.box is None:
            return
        stats = self.box.stats()
        assert (stats.appended, stats.acked, stats.dropped) == (
            self.appended,
            self.acked,
            self.dropped,
        )
        assert stats.depth == self.base + stats.appended - stats.acked - stats.dropped
        assert stats.depth == len(self.model) <= MAX_EVENTS

    @invariant()
    def stored_ids_follow_the_model_per_kind(self) -> None:
        if self.box is None:
            return
        pending = drain(self.box, 13)
        for kind in (Kind.PORTAL, Kind.PRESENCE):
            got = [e.event_id for e in pending if e.kind is kind]
            want = [eid for eid in self.model if _kind_of(eid) is kind]
            assert got == want

    def teardown(self) -> None:
        if self.box is not None:
            self.box.close()
        self._dir.cleanup()


_KINDS = {event(i)[1]: event(i)[0] for i in range(UNIVERSE)}


def _kind_of(event_id: str) -> Kind:
    return _KINDS[event_id]


OutboxMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=25, deadline=None)
TestOutboxMachine = OutboxMachine.TestCase
