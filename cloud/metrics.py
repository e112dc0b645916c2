"""Prometheus metrics in a registry owned by one app (several apps may live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The service's own metrics; other components register theirs on `registry`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "tagtrail_http_requests",
            "HTTP requests handled, by method, route template and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "tagtrail_http_request_seconds",
            "HTTP request handling time, by route template",
            ["route"],
            registry=self.registry,
        )
        self.moves_posted = Counter(
            "tagtrail_ledger_moves_posted", "Ledger moves written", registry=self.registry
        )
        self.bus_dropped = Counter(
            "tagtrail_event_bus_dropped",
            "Live-stream messages dropped because a subscriber was too slow",
            registry=self.registry,
        )
        self.bus_subscribers = Gauge(
            "tagtrail_event_bus_subscribers",
            "Current live-stream subscribers",
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The text exposition format of every metric in the registry."""
        return generate_latest(self.registry)
