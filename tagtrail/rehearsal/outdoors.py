"""Beside the dock day: the cold chain and the trucks, played together, watched and summed up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tagtrail.rehearsal.calls import items
from tagtrail.rehearsal.cold import ColdChain, ColdPlan
from tagtrail.rehearsal.console import Print
from tagtrail.rehearsal.fleet import Fleet, FleetPlan

OWN_KINDS = ("condition.", "transit_")  # the alerts of the cold chain and the trucks
SETTLE_S = 30.0  # after a drive or the probes play out, for the last samples to arrive


def alert_line(alert: dict[str, Any]) -> str:
    """One line per alert."""
    return f"  alert {alert['kind']:<18} {alert['status']:<12} {alert['message']}"


def own_alerts(api: httpx.Client) -> list[dict[str, Any]]:
    """Condition and transit alerts, oldest first."""
    found = [a for a in items(api, "/api/alerts") if a["kind"].startswith(OWN_KINDS)]
    return sorted(found, key=lambda a: int(a["id"]))


@dataclass
class Outdoors:
    """The running cold chain and fleet."""

    cold: ColdChain
    fleet: Fleet

    def wait_done(self, timeout: float) -> bool:
        """Block until the trucks have left and arrived and the probes have played out."""
        fleet, cold = self.fleet, self.cold
        drive_s = timeout - SETTLE_S
        done = fleet.wait_dispatched(SETTLE_S) and fleet.wait_driven(drive_s)
        done = fleet.wait_arrived(SETTLE_S) and done
        done = cold.wait_played(max(cold.plan.wall_s, SETTLE_S)) and done
        return cold.wait_alerts(SETTLE_S) and done

    def summary(self) -> list[str]:
        """The alerts raised, then where each truck's trip stands."""
        alerts = [alert_line(a) for a in own_alerts(self.fleet.api)] or ["  no alerts"]
        return ["alerts:", *alerts, "trips:", *(f"  {s}" for s in self.fleet.status_lines())]


class Watch:
    """Prints each new cold-chain or transit alert once, as the cloud raises it."""

    def __init__(self, api: httpx.Client, out: Print, every_s: float = 2.0) -> None:
        self.api, self.out, self.every_s = api, out, every_s
        self._seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-watch", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self._poll()
            except httpx.HTTPError as exc:
                self.out(f"  (API not answering: {exc})")

    def _poll(self) -> None:
        for alert in own_alerts(self.api):
            if alert["id"] not in self._seen:
                self._seen.add(alert["id"])
                self.out(alert_line(alert))


@contextmanager
def outdoors(
    api: httpx.Client, *, site: str, mqtt_url: str, workdir: Path, cold: ColdPlan,
    fleet: FleetPlan, out: Print,
) -> Iterator[Outdoors]:  # fmt: skip
    """Run the cold chain and the fleet at the site; stop them all at the end."""
    chain = ColdChain(api, cold, site=site, mqtt_url=mqtt_url, workdir=workdir)
    with (
        chain,
        Fleet(
            api, fleet, site=site, mqtt_url=mqtt_url, workdir=workdir, cold=chain, announce=out
        ) as trucks,
    ):
        trucks.start_dispatcher()
        watch = Watch(api, out)
        watch.start()
        try:
            yield Outdoors(chain, trucks)
        finally:
            watch.stop()
