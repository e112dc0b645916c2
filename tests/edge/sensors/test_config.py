"""Sensor config: defaults, consistency checks, and a gateway YAML with sensors only."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from edge.config import ConfigError, parse_config
from edge.sensors.config import SensorConfig


def test_defaults_describe_a_continuous_hmp_style_probe() -> None:
    config = SensorConfig(name="cold-1", port="/dev/ttyUSB0")
    assert (config.mode, config.interval_s, config.checksum) == ("continuous", 60.0, "auto")
    assert config.quantities == ("rh", "t")
    assert (config.temp_min, config.temp_max) == (-40.0, 60.0)
    assert all(f.description for f in SensorConfig.model_fields.values())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"temp_min": 10.0, "temp_max": 5.0}, "temp_min must be below temp_max"),
        ({"quantities": ("t", "t")}, "quantities must not repeat"),
        ({"quantities": ()}, "at least 1"),
        ({"mode": "polled", "poll_interval_s": 90.0}, "silence_s must exceed poll_interval_s"),
        ({"reconnect_min_s": 5.0, "reconnect_max_s": 1.0}, "reconnect_max_s"),
        ({"poll_command": "SEND\r"}, "pattern"),
        ({"temp_max": 200.0}, "less than or equal to 150"),
        ({"baud": 9600}, "Extra inputs are not permitted"),
    ],
)
def test_inconsistent_settings_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SensorConfig.model_validate({"name": "s", "port": "/dev/ttyS0", **fields})


def test_a_gateway_of_sensors_only() -> None:
    config = parse_config(
        """
site: dc1
gateway: cold-store
sensors:
  - {name: cold-1, port: /dev/ttyUSB0, interval_s: 60}
  - {name: reefer-7, port: /dev/ttyUSB1, mode: polled, poll_interval_s: 10, checksum: cs2}
"""
    )
    assert [s.name for s in config.sensors] == ["cold-1", "reefer-7"]
    assert config.readers == ()


def test_a_bad_sensor_key_names_its_line() -> None:
    with pytest.raises(ConfigError, match=r":5: sensors\.0\.checksum"):
        parse_config(
            """
site: dc1
gateway: g
sensors:
  - {name: s1, port: /dev/ttyUSB0, checksum: crc16}
"""
        )
