"""Reader state that outlives connections: ROSpecs, AccessSpecs and settings, with LLRP rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from firmware_sim.llrp.capabilities import ReaderModel
from firmware_sim.llrp.constants import ROSpecState, StartTrigger, Status
from firmware_sim.llrp.requests import DEFAULT_REPORT_SPEC, AccessSpec, ConfigUpdate, ReportSpec
from firmware_sim.llrp.requests import ROSpec as ROSpecData


@dataclass(frozen=True, slots=True)
class Result:
    """Outcome of a command: an LLRPStatus code and description."""

    code: int = Status.SUCCESS
    text: str = ""

    @property
    def ok(self) -> bool:
        """Whether the command succeeded."""
        return self.code == Status.SUCCESS


OK = Result()


def invalid(text: str, code: int = Status.A_INVALID) -> Result:
    """A failed command."""
    return Result(code, text)


@dataclass(slots=True)
class RoEntry:
    """A ROSpec held by the reader and its current state."""

    spec: ROSpecData
    state: ROSpecState = ROSpecState.DISABLED

    @property
    def report_spec(self) -> ReportSpec | None:
        """The ROSpec's own ROReportSpec, if it brought one."""
        return self.spec.report_spec


@dataclass(slots=True)
class AccessEntry:
    """An AccessSpec held by the reader."""

    spec: AccessSpec
    enabled: bool = False


def _no_events() -> dict[int, bool]:
    return dict.fromkeys(range(9), False)


@dataclass(slots=True)
class Settings:
    """Reader configuration a client sets with SET_READER_CONFIG."""

    keepalive_ms: int = 0
    report_spec: ReportSpec = DEFAULT_REPORT_SPEC
    hold_events: bool = False
    events: dict[int, bool] = field(default_factory=_no_events)


class SpecListener(Protocol):
    """Told when a ROSpec starts or stops running (reads flow only while one runs)."""

    def rospec_started(self, entry: RoEntry) -> None:
        """A ROSpec became active."""

    def rospec_stopped(self, entry: RoEntry) -> None:
        """The active ROSpec stopped (end of ROSpec: pending reports are due)."""


class ReaderState:
    """ROSpecs, AccessSpecs and settings of one reader, changed by LLRP commands."""

    def __init__(self, model: ReaderModel, listener: SpecListener) -> None:
        self.model = model
        self.settings = Settings()
        self.rospecs: dict[int, RoEntry] = {}
        self.accessspecs: dict[int, AccessEntry] = {}
        self._listener = listener

    @property
    def active(self) -> RoEntry | None:
        """The running ROSpec, if any (this reader runs one at a time)."""
        return next((e for e in self.rospecs.values() if e.state == ROSpecState.ACTIVE), None)

    def report_spec_of(self, entry: RoEntry) -> ReportSpec:
        """The ROReportSpec in force for a ROSpec: its own, else the reader default."""
        return entry.report_spec or self.settings.report_spec

    # ROSpecs
    def add_rospec(self, spec: ROSpecData) -> Result:
        """ADD_ROSPEC."""
        if spec.rospec_id == 0:
            return invalid("ROSpecID 0 is reserved")
        if spec.rospec_id in self.rospecs:
            return invalid(f"ROSpec {spec.rospec_id} already exists")
        if spec.current_state != ROSpecState.DISABLED:
            return invalid("a ROSpec must be added in the Disabled state")
        if len(self.rospecs) >= self.model.max_rospecs:
            return invalid(f"reader holds at most {self.model.max_rospecs} ROSpecs")
        bad = sorted(a for a in spec.antennas or () if a > self.model.antennas)
        if bad:
            text = f"no antenna {bad} on a {self.model.antennas}-antenna reader"
            return invalid(text, Status.A_OUT_OF_RANGE)
        self.rospecs[spec.rospec_id] = RoEntry(spec)
        return OK

    def enable_rospec(self, rospec_id: int) -> Result:
        """ENABLE_ROSPEC (0 = all); Immediate and Periodic ROSpecs start at once."""
        entries = self._targets(rospec_id)
        if isinstance(entries, Result):
            return entries
        for entry in entries:
            if entry.state == ROSpecState.DISABLED:
                entry.state = ROSpecState.INACTIVE
                if entry.spec.start_trigger in (StartTrigger.IMMEDIATE, StartTrigger.PERIODIC):
                    self._activate(entry)
        return OK

    def start_rospec(self, rospec_id: int) -> Result:
        """START_ROSPEC."""
        entry = self.rospecs.get(rospec_id)
        if entry is None:
            return invalid(f"no ROSpec {rospec_id}")
        if entry.state == ROSpecState.DISABLED:
            return invalid(f"ROSpec {rospec_id} is disabled")
        if entry.state == ROSpecState.ACTIVE:
            return invalid(f"ROSpec {rospec_id} is already active")
        running = self.active
        if running is not None:
            return invalid(f"ROSpec {running.spec.rospec_id} is active")
        self._activate(entry)
        return OK

    def stop_rospec(self, rospec_id: int) -> Result:
        """STOP_ROSPEC."""
        entry = self.rospecs.get(rospec_id)
        if entry is None:
            return invalid(f"no ROSpec {rospec_id}")
        if entry.state != ROSpecState.ACTIVE:
            return invalid(f"ROSpec {rospec_id} is not active")
        self._deactivate(entry, ROSpecState.INACTIVE)
        return OK

    def disable_rospec(self, rospec_id: int) -> Result:
        """DISABLE_ROSPEC (0 = all)."""
        entries = self._targets(rospec_id)
        if isinstance(entries, Result):
            return entries
        for entry in entries:
            self._deactivate(entry, ROSpecState.DISABLED)
        return OK

    def delete_rospec(self, rospec_id: int) -> Result:
        """DELETE_ROSPEC (0 = all)."""
        entries = self._targets(rospec_id)
        if isinstance(entries, Result):
            return entries
        for entry in entries:
            self._deactivate(entry, ROSpecState.DISABLED)
            del self.rospecs[entry.spec.rospec_id]
        return OK

    def end_active(self) -> None:
        """The running ROSpec met its own stop trigger."""
        entry = self.active
        if entry is not None:
            self._deactivate(entry, ROSpecState.INACTIVE)

    def _targets(self, rospec_id: int) -> list[RoEntry] | Result:
        if rospec_id == 0:
            return list(self.rospecs.values())
        entry = self.rospecs.get(rospec_id)
        return [entry] if entry else invalid(f"no ROSpec {rospec_id}")

    def _activate(self, entry: RoEntry) -> None:
        if self.active is not None:
            return  # one ROSpec at a time; this one waits, Inactive, for START_ROSPEC
        entry.state = ROSpecState.ACTIVE
        self._listener.rospec_started(entry)

    def _deactivate(self, entry: RoEntry, new_state: ROSpecState) -> None:
        was_active = entry.state == ROSpecState.ACTIVE
        entry.state = new_state
        if was_active:
            self._listener.rospec_stopped(entry)

    # AccessSpecs
    def add_accessspec(self, spec: AccessSpec) -> Result:
        """ADD_ACCESSSPEC."""
        if spec.access_spec_id == 0:
            return invalid("AccessSpecID 0 is reserved")
        if spec.access_spec_id in self.accessspecs:
            return invalid(f"AccessSpec {spec.access_spec_id} already exists")
        if spec.enabled:
            return invalid("an AccessSpec must be added in the Disabled state")
        if len(self.accessspecs) >= self.model.max_accessspecs:
            return invalid(f"reader holds at most {self.model.max_accessspecs} AccessSpecs")
        self.accessspecs[spec.access_spec_id] = AccessEntry(spec)
        return OK

    def set_accessspec(self, spec_id: int, *, enabled: bool) -> Result:
        """ENABLE_ACCESSSPEC / DISABLE_ACCESSSPEC (0 = all)."""
        targets = self._access_targets(spec_id)
        if isinstance(targets, Result):
            return targets
        for entry in targets:
            entry.enabled = enabled
        return OK

    def delete_accessspec(self, spec_id: int) -> Result:
        """DELETE_ACCESSSPEC (0 = all)."""
        targets = self._access_targets(spec_id)
        if isinstance(targets, Result):
            return targets
        for entry in targets:
            del self.accessspecs[entry.spec.access_spec_id]
        return OK

    def _access_targets(self, spec_id: int) -> list[AccessEntry] | Result:
        if spec_id == 0:
            return list(self.accessspecs.values())
        entry = self.accessspecs.get(spec_id)
        return [entry] if entry else invalid(f"no AccessSpec {spec_id}")

    # Settings
    def apply(self, update: ConfigUpdate) -> Result:
        """SET_READER_CONFIG; nothing changes if any part is invalid."""
        bad = sorted(a for a in update.antennas if not 0 <= a <= self.model.antennas)
        if bad:
            text = f"no antenna {bad} on a {self.model.antennas}-antenna reader"
            return invalid(text, Status.A_OUT_OF_RANGE)
        if update.reset:
            self.settings = Settings()
        s = self.settings
        if update.keepalive_ms is not None:
            s.keepalive_ms = update.keepalive_ms
        if update.report_spec is not None:
            s.report_spec = update.report_spec
        if update.hold_events is not None:
            s.hold_events = update.hold_events
        s.events.update(update.events)
        return OK
