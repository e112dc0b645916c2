"""Configuration of one serial temperature/humidity sensor."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
Quantity = Literal["t", "rh"]


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
    poll_command: str = Field(
        "SEND",
        pattern=r"^[ -~]{1,32}$",
        description="command sent (with a carriage return) to ask for one reading",
    )
    interval_s: float = Field(60.0, gt=0, description="aggregation interval of reported samples")
    quantities: tuple[Quantity, ...] = Field(
        ("rh", "t"), min_length=1, description="fields every reading line must carry: rh, t"
    )
    checksum: Literal["auto", "cs2"] = Field(
        "auto",
        description="auto: verify a trailing CS2 checksum when a line has one; cs2: require it",
    )
    temp_min: float = Field(-40.0, ge=-90.0, description="lowest valid temperature, °C")
    temp_max: float = Field(60.0, le=150.0, description="highest valid temperature, °C")
    stuck_after: int = Field(
        60, ge=0, description="identical readings in a row that flag a stuck probe; 0 = off"
    )
    silence_s: float = Field(
        60.0, gt=0, description="reopen the port after this long without a byte from it"
    )
    queue_max: int = Field(10_000, ge=10, description="bound on readings waiting to be drained")
    reconnect_min_s: float = Field(0.5, gt=0, description="first reopen delay, seconds")
    reconnect_max_s: float = Field(30.0, gt=0, description="reopen delay cap, seconds")

    @model_validator(mode="after")
    def _consistent(self) -> SensorConfig:
        if self.temp_min >= self.temp_max:
            raise ValueError("temp_min must be below temp_max")
        if len(set(self.quantities)) != len(self.quantities):
            raise ValueError("quantities must not repeat")
        if self.mode == "polled" and self.silence_s <= self.poll_interval_s:
            raise ValueError("silence_s must exceed poll_interval_s in polled mode")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must not be below reconnect_min_s")
        return self
