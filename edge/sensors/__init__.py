"""Serial temperature/humidity probes: driver, validation and interval aggregation."""
