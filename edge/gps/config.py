"""Configuration of a vehicle gateway's GPS receiver."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]


class GpsConfig(BaseModel):
    """An NMEA 0183 receiver on a serial port and how often its fixes are reported."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name = Field(description="receiver name (the vehicle's device id)")
    port: str = Field(description="serial device, e.g. /dev/ttyACM0")
    baudrate: int = Field(9600, gt=0, description="line speed")
    report_every_s: float = Field(30.0, gt=0, description="report at least this often")
    report_every_m: float = Field(200.0, gt=0, description="or after moving this far")
    heading_change_deg: float = Field(30.0, gt=0, description="or on a turn this sharp")
    max_speed_mps: float = Field(60.0, gt=0, description="fixes implying more are jumps")
    reconnect_min_s: float = Field(0.5, gt=0, description="first reopen delay, seconds")
    reconnect_max_s: float = Field(30.0, gt=0, description="reopen delay cap, seconds")
    min_turn_speed_mps: float = Field(
        2.0, ge=0, description="the turn rule needs this speed (a standing course is noise)"
    )
    future_tolerance_s: float = Field(
        10.0, ge=0, description="fixes later than the gateway clock plus this are refused"
    )
    jump_reanchor: int = Field(
        5,
        ge=2,
        description="this many consecutive jumps that agree with each other are the truth",
    )
    idle_close_s: float = Field(
        0.5, gt=0, description="silence that ends a receiver's epoch (its fix is decided)"
    )
    queue_max: int = Field(10_000, ge=10, description="decided fixes held for the gateway")

    @model_validator(mode="after")
    def _delays(self) -> GpsConfig:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must not be below reconnect_min_s")
        return self
