"""Kernel parameters: the portal and presence configs in kernel units (µs, weights, codes)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge.config import PortalConfig, PresenceConfig
from edge.kernels.jit import N_WEIGHTS, NEVER, QUANT, RSSI_MIN, SLOT_FREE_DB, UNSET

__all__ = [
    "NEVER",
    "N_WEIGHTS",
    "QUANT",
    "REPORT_MODES",
    "RSSI_MAX",
    "RSSI_MIN",
    "SLOT_FREE_DB",
    "UNSET",
    "KernelParams",
    "params_from_config",
    "rssi_index",
]

# RSSI is quantised to QUANT steps per dB from RSSI_MIN to look up read weights (the same
# table in kernel and reference keeps their floating point identical). UNSET: smoothed RSSI
# of a zone slot without a reading yet. A slot that decayed to within SLOT_FREE_DB of
# absent_rssi can be forgotten. NEVER: a time before everything. These constants, and the
# P_* / F_* indexes of the parameter arrays, are defined with the kernels.
RSSI_MAX = 20.0

REPORT_MODES = {"none": 0, "changes": 1, "current": 2}


@dataclass(frozen=True)
class KernelParams:
    """Everything the kernels decide with; times in µs."""

    cycle_us: int = 1_000_000
    depart_us: int = 5_000_000
    hold_us: int = 2_000_000
    parked_us: int = 60_000_000
    alpha: float = 0.3
    absent_rssi: float = -100.0
    hysteresis_db: float = 6.0
    zone_slots: int = 4
    report: int = 0
    quiet_us: int = 1_500_000
    max_pass_us: int = 30_000_000
    min_peak_rssi: float = -80.0
    margin_db: float = 3.0
    min_reads: int = 2
    peak_db: float = 3.0

    def __post_init__(self) -> None:
        if self.depart_us < 2 * self.cycle_us:
            raise ValueError("depart must be at least two cycles")
        if self.quiet_us > self.depart_us:
            raise ValueError("a pass must end (quiet) before the tag departs")
        if not 0 < self.cycle_us < (1 << 31):
            raise ValueError("cycle must be positive and below 2**31 µs")

    @property
    def margin_factor(self) -> float:
        """Evidence ratio that the margin in dB means, given the peak weighting."""
        return float(2.0 ** (self.margin_db / self.peak_db))

    def weights(self) -> npt.NDArray[np.float64]:
        """Read weight by quantised RSSI: doubles every peak_db dB."""
        rssi = RSSI_MIN + np.arange(N_WEIGHTS, dtype=np.float64) / QUANT
        table: npt.NDArray[np.float64] = np.exp2(rssi / self.peak_db)
        return table

    def int_array(self) -> npt.NDArray[np.int64]:
        """The integer parameters in P_* order."""
        values = (
            self.cycle_us,
            self.depart_us,
            self.hold_us,
            self.parked_us,
            self.quiet_us,
            self.max_pass_us,
            self.min_reads,
            self.report,
        )
        return np.array(values, dtype=np.int64)

    def float_array(self) -> npt.NDArray[np.float64]:
        """The float parameters in F_* order."""
        values = (
            self.alpha,
            self.absent_rssi,
            self.hysteresis_db,
            self.min_peak_rssi,
            self.margin_factor,
        )
        return np.array(values, dtype=np.float64)


def params_from_config(portal: PortalConfig, presence: PresenceConfig) -> KernelParams:
    """Kernel parameters for a gateway's portal and presence rules."""
    return KernelParams(
        cycle_us=presence.cycle_ms * 1000,
        depart_us=presence.depart_ms * 1000,
        hold_us=presence.moved_hold_ms * 1000,
        parked_us=presence.parked_after_ms * 1000,
        alpha=presence.smoothing,
        absent_rssi=presence.absent_rssi,
        hysteresis_db=presence.moved_hysteresis_db,
        zone_slots=presence.zone_slots,
        report=REPORT_MODES[presence.report],
        quiet_us=portal.quiet_ms * 1000,
        max_pass_us=portal.max_pass_ms * 1000,
        min_peak_rssi=portal.min_peak_rssi,
        margin_db=portal.cross_read_margin_db,
        min_reads=portal.min_reads,
        peak_db=portal.peak_db,
    )


def rssi_index(rssi: float) -> int:
    """Index of an RSSI in the weight table (round half up, clamped)."""
    q = math.floor((float(rssi) - RSSI_MIN) * QUANT + 0.5)
    return min(max(q, 0), N_WEIGHTS - 1)
