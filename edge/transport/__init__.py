"""MQTT transport: drains the outbox to the broker with QoS 1, birth and last will."""

from edge.transport.health import TransportStats
from edge.transport.publisher import Publisher

__all__ = ["Publisher", "TransportStats"]
