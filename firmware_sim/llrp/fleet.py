"""Every reader of a scenario in one process, on consecutive ports, with one playback clock."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from types import TracebackType
from typing import Any, TypeVar

from firmware_sim.llrp.counters import Counters
from firmware_sim.llrp.options import EmulatorOptions
from firmware_sim.llrp.playback import PlaybackClock
from firmware_sim.llrp.report import EpcTable
from firmware_sim.llrp.server import ReaderEmulator
from firmware_sim.scenario.types import Scenario

logger = logging.getLogger(__name__)
T = TypeVar("T")


def reader_indexes(scenario: Scenario, names: Sequence[str] | None) -> list[int]:
    """Indexes of the named readers (all when names is None); KeyError lists the known ones."""
    known = [r.name for r in scenario.readers]
    if names is None:
        return list(range(len(known)))
    missing = [n for n in names if n not in known]
    if missing:
        raise KeyError(f"no reader {', '.join(missing)} in scenario; it has {', '.join(known)}")
    return [known.index(n) for n in names]


class ReaderFleet:
    """A scenario's readers served together: reader i listens on base_port + i.

    base_port 0 gives every reader a free port of its own (see `ports`). The readers share one
    PlaybackClock, so their reads stay in step in true time whatever their clock skews.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        base_port: int = 5084,
        host: str = "127.0.0.1",
        options: EmulatorOptions | None = None,
        readers: Sequence[str] | None = None,
    ) -> None:
        self.scenario = scenario
        self.options = options or EmulatorOptions()
        self.clock = PlaybackClock(self.options.speed)
        epcs = EpcTable(scenario.epcs)
        self.emulators = [
            ReaderEmulator(
                scenario,
                i,
                port=base_port + i if base_port else 0,
                host=host,
                options=self.options,
                clock=self.clock,
                epcs=epcs,
            )
            for i in reader_indexes(scenario, readers)
        ]

    def __getitem__(self, name: str) -> ReaderEmulator:
        for emulator in self.emulators:
            if emulator.name == name:
                return emulator
        raise KeyError(f"no emulated reader {name!r}")

    @property
    def ports(self) -> dict[str, int]:
        """Listening port of each reader (after start)."""
        return {e.name: e.port for e in self.emulators}

    def counters(self) -> dict[str, Counters]:
        """A snapshot of every reader's counters."""
        return {e.name: e.counters.snapshot() for e in self.emulators}

    async def start(self) -> None:
        """Start every reader; if one cannot listen, stop the others and raise."""
        started: list[ReaderEmulator] = []
        try:
            for emulator in self.emulators:
                await emulator.start()
                started.append(emulator)
        except OSError:
            for emulator in started:
                await emulator.stop()
            raise

    async def stop(self) -> None:
        """Stop every reader."""
        for emulator in self.emulators:
            await emulator.stop()

    async def wait_finished(self, timeout: float | None = None) -> None:
        """Wait until every reader has played out its reads."""
        waits = [e.wait_finished() for e in self.emulators]
        await asyncio.wait_for(asyncio.gather(*waits), timeout)

    async def __aenter__(self) -> ReaderFleet:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


class EmulatorThread:
    """A ReaderFleet on an event loop in its own thread, for synchronous callers such as tests.

    Use `run(coro)` for the emulators' coroutines (fault injection, waits) and `call(fn)` for
    anything else that must run on the loop (pause(), resume(), counters).
    """

    def __init__(self, fleet: ReaderFleet) -> None:
        self.fleet = fleet
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="llrp-emulators", daemon=True)

    def start(self, timeout: float = 10.0) -> ReaderFleet:
        """Start the loop thread and the fleet; return the fleet once it listens."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("emulators did not start in time")
        if self._error is not None:
            raise self._error
        return self.fleet

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the fleet and the loop thread."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and self._thread.is_alive():
            loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the emulators' loop and return its result."""
        if self._loop is None:
            coro.close()
            raise RuntimeError("emulator thread is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def call(self, fn: Callable[..., T], *args: Any, timeout: float = 30.0) -> T:
        """Call fn(*args) on the emulators' loop and return its result."""

        async def invoke() -> T:
            return fn(*args)

        return self.run(invoke(), timeout)

    @property
    def ports(self) -> dict[str, int]:
        """Listening port of each reader."""
        return self.fleet.ports

    def counters(self, name: str) -> Counters:
        """A snapshot of one reader's counters."""
        return self.call(self.fleet[name].counters.snapshot)

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.fleet.start()
        except Exception as exc:  # handed to the thread that called start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        await self.fleet.stop()

    def __enter__(self) -> EmulatorThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
