"""The wall-clock side of transit alarms: silent devices and trips past their due time.

Event-time evaluation only runs when fixes arrive; a device that falls silent sends none. This
background component looks at every tracked trip every `transit_check_s` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.container import ServiceContainer
from cloud.domain.transit.trip import TripState, TripTracker, clock_alarms
from cloud.domain.transit.vocab import TRACKED_TRIPS
from cloud.services import transit
from cloud.services.transit import Notice
from cloud.services.transit_fences import fence_index
from cloud.store.models import Trip, utcnow

logger = logging.getLogger(__name__)


def check_clock(session: Session, now: datetime) -> list[Notice]:
    """Raise the wall-clock alarms of every tracked trip; return live notices of new alerts."""
    query = select(Trip).where(Trip.status.in_([s.value for s in TRACKED_TRIPS]))
    notices: list[Notice] = []
    index = fence_index(session)
    for trip in session.scalars(query.order_by(Trip.id).with_for_update(skip_locked=True)):
        state = TripState.from_json(trip.state) if trip.state else None
        tracker = TripTracker(transit.plan_of(trip, index), transit.rules_of(trip), state)
        transit.sync_status(trip)
        raised = transit.alert(session, trip, clock_alarms(tracker, now.timestamp()))
        trip.state = tracker.state.to_json()
        if raised:
            notices.append(transit.transit_notice(trip, [], raised))
    return notices


class TransitWatch:
    """Background component running check_clock periodically."""

    name = "transit-watch"

    def __init__(self, container: ServiceContainer) -> None:
        self.container = container
        self._task: asyncio.Task[None] | None = None
        self._work: asyncio.Future[list[Notice]] | None = None  # a check running on a thread
        self.checks = 0

    async def start(self) -> None:
        """Start the periodic check."""
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop checking (a check running on a thread finishes first)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._work is not None:
            await asyncio.gather(self._work, return_exceptions=True)

    def health(self) -> dict[str, int]:
        """Checks done so far."""
        return {"checks": self.checks}

    def check(self, now: datetime | None = None) -> list[Notice]:
        """One check in its own transaction."""
        with self.container.transaction() as session:
            return check_clock(session, now or utcnow())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.container.settings.transit_check_s)
            self._work = asyncio.ensure_future(asyncio.to_thread(self.check))
            try:
                notices = await asyncio.shield(self._work)
            except Exception:
                # A failed round (database restart, say) must not end the watch.
                logger.exception("transit check failed; retrying next round")
                continue
            self.checks += 1
            for topic, data in notices:
                self.container.bus.publish(topic, data)


def transit_watch(container: ServiceContainer) -> TransitWatch:
    """Component factory for `create_app`."""
    return TransitWatch(container)
