"""Unmodified sllurp, over real TCP in its own thread, against the emulated readers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from sllurp.llrp import LLRPReaderClient, LLRPReaderConfig

from firmware_sim.llrp import EmulatorOptions, EmulatorThread, ReaderFleet
from firmware_sim.llrp.sample import synthetic_scenario
from firmware_sim.scenario.types import Scenario

WAIT_S = 30.0  # generous: only a broken emulator takes this long

# The client settings these tests use; the gateway's own (edge/readers/llrp.py) are alike.
SLLURP_CONFIG: dict[str, Any] = {
    "antennas": [1, 2, 3, 4],
    "report_every_n_tags": 50,
    "report_timeout_ms": 100,
    "keepalive_interval": 10_000,
    "reconnect": False,
    "tag_content_selector": {
        "EnableAntennaID": True,
        "EnablePeakRSSI": True,
        "EnableFirstSeenTimestamp": True,
        "EnableLastSeenTimestamp": True,
        "EnableTagSeenCount": True,
    },
}


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    """Poll until predicate holds; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


class SllurpClient:
    """sllurp's LLRPReaderClient on an emulated reader, recording what it receives."""

    def __init__(self, port: int, **overrides: Any) -> None:
        self._lock = threading.Lock()
        self.tags: list[dict[str, Any]] = []
        self.report_sizes: list[int] = []
        self.messages: Counter[str] = Counter()
        self.keepalive_times: list[float] = []
        config = LLRPReaderConfig({**SLLURP_CONFIG, **overrides})
        self.client = LLRPReaderClient("127.0.0.1", port, config)
        self.client.add_tag_report_callback(self._on_tags)
        for name in ("KEEPALIVE", "RO_ACCESS_REPORT", "READER_EVENT_NOTIFICATION"):
            self.client.add_message_callback(name, self._on_message)

    def _on_tags(self, _client: object, tags: list[dict[str, Any]]) -> None:
        with self._lock:
            self.tags.extend(tags)
            self.report_sizes.append(len(tags))

    def _on_message(self, _client: object, msg: Any) -> None:
        with self._lock:
            self.messages[msg.getName()] += 1
            if msg.getName() == "KEEPALIVE":
                self.keepalive_times.append(time.monotonic())

    @property
    def n_tags(self) -> int:
        """Tag reports received so far."""
        with self._lock:
            return len(self.tags)

    def connect(self) -> None:
        """Connect (sllurp then configures the reader and starts inventory by itself)."""
        self.client.connect()

    def close(self) -> None:
        """Close the connection.

        Not sllurp's polite disconnect(): called from another thread it races sllurp's socket
        thread (a reader as quick as this one can answer DELETE_ACCESSSPEC before sllurp has
        registered its callback), and the tests would wait out its timeout.
        """
        self.client.hard_disconnect()
        self.client.join(5)

    drop = close  # vanishing without a word is what a crashed client does too


def received(tags: list[dict[str, Any]]) -> list[tuple[str, int, int, int, int]]:
    """(EPC, antenna, RSSI, first seen, count) of sllurp's tag reports."""
    return [
        (
            t["EPC"].decode().upper(),
            t["AntennaID"],
            t["PeakRSSI"],
            t["FirstSeenTimestampUTC"],
            t["TagSeenCount"],
        )
        for t in tags
    ]


def expected(scenario: Scenario, reader: int) -> list[tuple[str, int, int, int, int]]:
    """The same fields straight from the scenario's reads of one reader."""
    reads = scenario.reads_of(reader)
    rssi = np.rint(reads["rssi"]).astype(int)
    return [
        (scenario.epcs[int(r["tag"])], int(r["antenna"]), int(q), int(r["t_us"]), 1)
        for r, q in zip(reads, rssi, strict=True)
    ]


@pytest.fixture
def scenario() -> Scenario:
    """Two readers, 3,000 reads over 20 s, a fifth of the EPCs 128-bit."""
    return synthetic_scenario(readers=2, reads=3000, duration_s=20.0, long_epc_fraction=0.2)


@pytest.fixture
def emulators(request: pytest.FixtureRequest, scenario: Scenario) -> Iterator[EmulatorThread]:
    """The scenario's readers on free ports; options from a `emulator_options` marker-free param."""
    options: EmulatorOptions = getattr(request, "param", EmulatorOptions(speed=200))
    thread = EmulatorThread(ReaderFleet(scenario, base_port=0, options=options))
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()


def test_sllurp_receives_exactly_the_scenario_reads(
    emulators: EmulatorThread, scenario: Scenario
) -> None:
    fleet = emulators.fleet
    client = SllurpClient(fleet.ports["rdr1"])
    client.connect()
    emulators.run(fleet["rdr1"].wait_finished(WAIT_S))
    want = expected(scenario, 0)
    wait_until(lambda: client.n_tags >= len(want), "all tag reports")
    client.close()
    assert received(client.tags) == want
    assert max(client.report_sizes) <= 50  # sllurp's report_every_n_tags
    assert sum(client.report_sizes) == len(want)
    c = emulators.counters("rdr1")
    assert (c.reads_due, c.reads_sent, c.reads_idle) == (len(want), len(want), 0)
    assert c.accounted()
    assert c.bad_messages == 0
    other = emulators.counters("rdr2")  # nobody ran a ROSpec on it: its tags went unread
    assert other.reads_idle == other.reads_due == len(scenario.reads_of(1))


def test_keepalives_arrive_at_the_configured_period(emulators: EmulatorThread) -> None:
    fleet = emulators.fleet
    client = SllurpClient(fleet.ports["rdr2"], keepalive_interval=100)
    started = time.monotonic()
    client.connect()
    wait_until(
        lambda: emulators.counters("rdr2").keepalive_acks >= 4, "four acknowledged keepalives"
    )
    elapsed = time.monotonic() - started
    n = client.messages["KEEPALIVE"]
    client.close()
    assert emulators.call(lambda: fleet["rdr2"].state.settings.keepalive_ms) == 100
    assert n >= 4
    # Keepalives never come faster than the period (however slow this machine is).
    assert n <= elapsed / 0.1 + 1
    gaps = np.diff(client.keepalive_times)
    assert len(gaps) >= 3


@pytest.mark.parametrize("emulators", [EmulatorOptions(speed=10, hold_reports=True)], indirect=True)
def test_reads_are_held_for_a_client_that_reconnects(
    emulators: EmulatorThread, scenario: Scenario
) -> None:
    fleet = emulators.fleet
    first = SllurpClient(fleet.ports["rdr1"])
    first.connect()
    wait_until(lambda: first.n_tags > 0, "the first report")
    first.drop()  # the ROSpec keeps running on the reader; its reads are held
    wait_until(lambda: not emulators.call(lambda: fleet["rdr1"].connected), "the drop")
    second = SllurpClient(fleet.ports["rdr1"])
    second.connect()
    emulators.run(fleet["rdr1"].wait_finished(WAIT_S))
    sent = emulators.counters("rdr1").reads_sent
    wait_until(lambda: first.n_tags + second.n_tags >= sent, "every read sent")
    second.close()
    wait_until(lambda: emulators.counters("rdr1").disconnects == 2, "the second client to leave")
    c = emulators.counters("rdr1")
    got = received(first.tags) + received(second.tags)
    # Nothing was lost while no client was connected; the only reads not sent are the few that
    # fell due while sllurp, reconnecting, deleted the ROSpec and added it anew (idle).
    assert c.reads_dropped_disconnected == c.reads_dropped_overflow == 0
    assert len(got) == c.reads_sent == c.reads_due - c.reads_idle
    assert is_subsequence(got, expected(scenario, 0))
    assert second.n_tags > 0
    assert c.connections == 2
    assert c.accounted()


def is_subsequence(part: list[Any], whole: list[Any]) -> bool:
    """Whether part is whole with some items left out, order kept."""
    items = iter(whole)
    return all(any(x == y for y in items) for x in part)


@pytest.mark.parametrize("emulators", [EmulatorOptions(speed=20, loop=True)], indirect=True)
def test_sllurp_reconnects_after_the_reader_drops_it(emulators: EmulatorThread) -> None:
    fleet = emulators.fleet
    client = SllurpClient(fleet.ports["rdr1"], reconnect=True)
    client.connect()
    wait_until(lambda: client.n_tags > 0, "reports")
    emulators.run(fleet["rdr1"].drop_connection())
    before = client.n_tags
    wait_until(lambda: emulators.counters("rdr1").connections == 2, "sllurp to reconnect")
    wait_until(lambda: client.n_tags > before + 100, "reports after the reconnect")
    client.close()
    c = emulators.counters("rdr1")
    assert c.faults_injected == 1
    # Reads that fell due while nobody was connected are counted, not lost silently.
    assert c.reads_sent + c.reads_dropped_disconnected + c.reads_pending <= c.reads_due
    assert c.accounted()


def test_sllurp_with_impinj_extensions_still_reads(emulators: EmulatorThread) -> None:
    # Impinj-aware settings make sllurp enable the vendor extensions and send custom parameters;
    # the emulator accepts the extensions and ignores the parameters it does not model.
    fleet = emulators.fleet
    client = SllurpClient(
        fleet.ports["rdr1"],
        impinj_search_mode=2,
        tx_power_dbm=20.0,
        mode_identifier=1002,
    )
    client.connect()
    wait_until(lambda: client.n_tags > 100, "reports")
    client.close()
    assert emulators.counters("rdr1").bad_messages == 0
    assert client.messages["RO_ACCESS_REPORT"] > 0
