"""Pure domain logic: events and current state in, decisions out; no MQTT, HTTP or SQL here."""
