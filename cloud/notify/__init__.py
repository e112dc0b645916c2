"""Alert notifications: every alert change (opened, acknowledged, escalated, cleared) leaves the
outbox table for a signed webhook and the site's MQTT alert topic, delivered by a background
component with bounded queues, retries and backoff."""
