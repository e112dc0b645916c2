"""The air at a probe, second by second: a cold room, a dock area, a reefer trailer.

Lumped first-order models, enough to look and behave like the real thing to alert rules:

- refrigerated spaces (cold room, reefer) leak heat toward their ambient, a thermostat runs the
  compressor between setpoint ± band/2 and pulls the air toward the evaporator temperature, an
  open door mixes in outside air, a defrost stops the compressor and heats the coil, and an
  injected compressor failure leaves the air to ramp toward ambient until repaired;
- the dock follows the outside air quickly while its doors stand open and slowly when shut,
  with heating that keeps it above a floor.

Humidity is carried as dew point: it relaxes toward a target that depends on what is happening
(drying on the coil, moisture from the goods, outside air at a door, meltwater at a defrost) and
never exceeds the air temperature (condensation); RH follows from the Magnus formula.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
DAY_S = 86_400.0
_A, _B = 17.62, 243.12  # Magnus coefficients over water


@dataclass(frozen=True, slots=True)
class Episode:
    """Something that happened over an interval of scenario time (door, defrost, failure...)."""

    kind: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Climate:
    """True air temperature (°C) and relative humidity (%) at one probe on a fixed time step."""

    step_s: float
    temp: Array
    rh: Array
    episodes: tuple[Episode, ...]

    def at(self, t_s: float) -> tuple[float, float]:
        """True values at scenario time t_s (the step containing it)."""
        i = min(max(int(t_s / self.step_s), 0), len(self.temp) - 1)
        return float(self.temp[i]), float(self.rh[i])


@dataclass(frozen=True)
class Chamber:
    """A refrigerated space and its surroundings."""

    setpoint: float = 4.0
    band: float = 1.0
    evap_temp: float = -8.0
    cool_tau_s: float = 1800.0
    leak_tau_s: float = 8 * 3600.0
    door_tau_s: float = 900.0
    defrost_every_s: float = 6 * 3600.0
    defrost_s: float = 1200.0
    defrost_heat: float = 0.0015  # °C/s added by the coil heaters
    ambient_mean: float = 16.0
    ambient_amp: float = 2.0
    sun_load: float = 0.0  # extra °C of ambient in the afternoon sun
    outside_dew: float = 7.0
    moisture_gap: float = 1.5  # the goods keep the dew point this far below the air


COLD_ROOM = Chamber()
REEFER = Chamber(
    evap_temp=-6.0,
    cool_tau_s=1200.0,
    leak_tau_s=6 * 3600.0,
    door_tau_s=1200.0,
    defrost_every_s=4 * 3600.0,
    defrost_s=900.0,
    ambient_mean=20.0,
    ambient_amp=7.0,
    sun_load=4.0,
    outside_dew=12.0,
)


@dataclass(frozen=True)
class Dock:
    """A loading dock: outside air through open doors, heating that keeps it above a floor."""

    outside_mean: float = 12.0
    outside_amp: float = 6.0
    open_tau_s: float = 1200.0
    closed_tau_s: float = 4 * 3600.0
    heat_floor: float = 10.0
    heat_tau_s: float = 3 * 3600.0
    outside_dew: float = 6.0


def daily(t: Array, mean: float, amp: float, peak_h: float = 15.0) -> Array:
    """A daily cycle peaking at peak_h (scenario time 0 is midnight)."""
    out: Array = mean + amp * np.cos(2 * np.pi * (t / 3600.0 - peak_h) / 24.0)
    return out


def mask(t: Array, episodes: Sequence[Episode], kind: str) -> npt.NDArray[np.bool_]:
    """Which steps lie inside an episode of one kind."""
    inside = np.zeros(len(t), dtype=bool)
    for e in episodes:
        if e.kind == kind:
            inside |= (t >= e.start_s) & (t < e.end_s)
    return inside


def dew_walk(n: int, step_s: float, mean: float, rng: np.random.Generator) -> Array:
    """Outside dew point: a slow AR(1) wander (hours) around its mean."""
    keep = math.exp(-step_s / (6 * 3600.0))
    shocks = rng.normal(0.0, 2.0 * math.sqrt(1 - keep * keep), n)
    out = np.empty(n)
    x = 0.0
    for i, s in enumerate(shocks.tolist()):
        x = keep * x + s
        out[i] = x
    walked: Array = mean + out
    return walked


def rh_of(temp: Array, dew: Array) -> Array:
    """Relative humidity (%) from air temperature and dew point (Magnus)."""
    gap = _A * dew / (_B + dew) - _A * temp / (_B + temp)
    out: Array = np.clip(100.0 * np.exp(gap), 0.0, 100.0)
    return out


def chamber_climate(
    ch: Chamber, t: Array, episodes: Sequence[Episode], rng: np.random.Generator
) -> Climate:
    """Simulate a refrigerated space through its doors, defrosts and failures."""
    step = float(t[1] - t[0]) if len(t) > 1 else 1.0
    sun = ch.sun_load * np.clip(np.cos(2 * np.pi * (t / 3600.0 - 14.0) / 24.0), 0.0, None)
    ambient = daily(t, ch.ambient_mean, ch.ambient_amp) + sun
    outside_dew = dew_walk(len(t), step, ch.outside_dew, rng)
    flags = (mask(t, episodes, "door"), mask(t, episodes, "defrost"), mask(t, episodes, "failure"))
    temp, dew = _run_chamber(ch, step, ambient, outside_dew, flags)
    return Climate(step, temp, rh_of(temp, dew), tuple(episodes))


def _run_chamber(
    ch: Chamber,
    dt: float,
    ambient: Array,
    outside_dew: Array,
    flags: tuple[npt.NDArray[np.bool_], ...],
) -> tuple[Array, Array]:
    door, defrost, failed = (f.tolist() for f in flags)
    amb, odew = ambient.tolist(), outside_dew.tolist()
    n = len(amb)
    temp, dew = np.empty(n), np.empty(n)
    t_air, t_dew, on = ch.setpoint, ch.setpoint - ch.moisture_gap, False
    hi, lo = ch.setpoint + ch.band / 2, ch.setpoint - ch.band / 2
    for i in range(n):
        on = not (defrost[i] or failed[i]) and (t_air > hi or (on and t_air > lo))
        d = (amb[i] - t_air) / ch.leak_tau_s
        if on:
            d -= (t_air - ch.evap_temp) / ch.cool_tau_s
        if door[i]:
            d += (amb[i] - t_air) / ch.door_tau_s
        if defrost[i]:
            d += ch.defrost_heat
        t_air += d * dt
        t_dew = _dew_step(
            ch, t_air, t_dew, dt, door=door[i], defrost=defrost[i], on=on, outside=odew[i]
        )
        temp[i], dew[i] = t_air, t_dew
    return temp, dew


def _dew_step(
    ch: Chamber,
    t_air: float,
    t_dew: float,
    dt: float,
    *,
    door: bool,
    defrost: bool,
    on: bool,
    outside: float,
) -> float:
    if door:
        target, tau = outside, ch.door_tau_s
    elif defrost:
        target, tau = t_air, 900.0  # meltwater off the coil
    elif on:
        target, tau = ch.evap_temp + 2.0, 3600.0  # the coil dries the air
    else:
        target, tau = t_air - ch.moisture_gap, 3600.0
    t_dew += (target - t_dew) * dt / tau
    return min(t_dew, t_air - 0.1)


def dock_climate(
    dock: Dock, t: Array, episodes: Sequence[Episode], rng: np.random.Generator
) -> Climate:
    """Simulate a loading dock through its door openings."""
    step = float(t[1] - t[0]) if len(t) > 1 else 1.0
    outside = daily(t, dock.outside_mean, dock.outside_amp)
    outside_dew = np.minimum(dew_walk(len(t), step, dock.outside_dew, rng), outside - 0.5)
    door = mask(t, episodes, "door").tolist()
    out, odew = outside.tolist(), outside_dew.tolist()
    temp, dew = np.empty(len(t)), np.empty(len(t))
    t_air, t_dew = dock.heat_floor + 2.0, dock.outside_dew
    for i in range(len(t)):
        tau = dock.open_tau_s if door[i] else dock.closed_tau_s
        d = (out[i] - t_air) / tau
        if t_air < dock.heat_floor:
            d += (dock.heat_floor + 2.0 - t_air) / dock.heat_tau_s
        t_air += d * step
        t_dew = min(t_dew + (odew[i] - t_dew) * step / tau, t_air - 0.1)
        temp[i], dew[i] = t_air, t_dew
    return Climate(step, temp, rh_of(temp, dew), tuple(episodes))
