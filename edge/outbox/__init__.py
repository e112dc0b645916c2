"""Durable outbox: events wait in SQLite until the broker acknowledged them."""

from edge.outbox.store import Event, Outbox, OutboxStats, PendingEvent

__all__ = ["Event", "Outbox", "OutboxStats", "PendingEvent"]
