"""Configuration of one serial temperature/humidity sensor."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]


class SensorConfig(BaseModel):
    """A probe on a serial port (RS-232/USB), read continuously or polled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name = Field(description="sensor name, unique within the gateway")
    port: str = Field(description="serial device, e.g. /dev/ttyUSB0")
    baudrate: int = Field(9600, gt=0, description="line speed")
    mode: Literal["continuous", "polled"] = Field(
        "continuous", description="the probe talks by itself, or answers a poll command"
    )
    poll_interval_s: float = Field(10.0, gt=0, description="time between polls (polled mode)")
    interval_s: float = Field(60.0, gt=0, description="aggregation interval of reported samples")
    reconnect_min_s: float = Field(0.5, gt=0, description="first reopen delay, seconds")
    reconnect_max_s: float = Field(30.0, gt=0, description="reopen delay cap, seconds")
