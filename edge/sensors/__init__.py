"""Serial temperature/humidity probes: driver, validation and interval aggregation.

The line protocol and the driver are described in firmware_sim/sensors/README.md.
"""
