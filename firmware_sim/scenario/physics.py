"""UHF RFID radio model: monostatic link budget, antenna and tag patterns, read probability."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
SPEED_OF_LIGHT = 299_792_458.0


@dataclass(frozen=True, slots=True)
class RadioModel:
    """Link budget, antenna pattern, fading and read-probability parameters of a UHF portal."""

    tx_power_dbm: float = 30.0  # conducted, 1 W
    cable_loss_db: float = 1.0  # each way
    antenna_gain_dbi: float = 6.0  # circular patch
    beamwidth_deg: float = 65.0  # 3-dB beamwidth of the patch
    side_lobe_db: float = -17.0  # relative to boresight, off the main lobe
    back_lobe_db: float = -22.0  # front-to-back ratio
    back_lobe_from_deg: float = 110.0
    tag_gain_dbi: float = 2.15  # half-wave dipole, peak
    dipole_null_floor_db: float = -15.0  # labels are not ideal dipoles; their nulls fill in
    polarisation_loss_db: float = 3.0  # linear tag on a circular antenna, each way
    backscatter_loss_db: float = 5.0  # modulation efficiency of the tag reply
    frequency_hz: float = 915e6
    path_loss_exponent: float = 2.2  # one way, cluttered dock with floor reflection
    wall_loss_db: float = 12.0  # one way through the dock wall beside a door opening
    trailer_loss_db: float = 15.0  # one way out of a trailer through its metal side
    fading_sigma_db: float = 2.0  # per-read log-normal fading of a moving tag
    static_fading_sigma_db: float = 1.3  # of a still tag (the real parked tag's spread)
    multipath_sigma_db: float = 2.5  # fixed per tag and antenna: reflections, neighbouring cases
    sensitivity_dbm: float = -80.0  # RSSI at which half the inventory rounds read the tag
    sensitivity_width_db: float = 1.2  # logistic width of the fall-off near sensitivity
    rssi_resolution_db: float = 1.0  # LLRP PeakRSSI is whole dBm

    @property
    def rssi_at_1m_dbm(self) -> float:
        """Boresight RSSI of an ideally oriented tag at 1 m, before per-tag offsets."""
        fspl_1m = 20.0 * math.log10(4.0 * math.pi * self.frequency_hz / SPEED_OF_LIGHT)
        one_way = (
            self.antenna_gain_dbi
            + self.tag_gain_dbi
            - self.cable_loss_db
            - self.polarisation_loss_db
            - fspl_1m
        )
        return self.tx_power_dbm + 2.0 * one_way - self.backscatter_loss_db


def antenna_gain_db(cos_off_axis: FloatArray, model: RadioModel) -> FloatArray:
    """Relative one-way gain of the patch: parabolic main lobe over a side/back-lobe floor."""
    theta = np.degrees(np.arccos(np.clip(cos_off_axis, -1.0, 1.0)))
    main = -12.0 * (theta / model.beamwidth_deg) ** 2
    floor = np.where(theta < model.back_lobe_from_deg, model.side_lobe_db, model.back_lobe_db)
    gain: FloatArray = np.maximum(main, floor)
    return gain


def dipole_gain_db(cos_dipole: FloatArray, model: RadioModel) -> FloatArray:
    """Relative one-way gain of a tag dipole whose axis makes this cosine with the ray."""
    sin2 = 1.0 - cos_dipole**2
    floor = 10.0 ** (model.dipole_null_floor_db / 10.0)
    gain: FloatArray = 10.0 * np.log10(np.maximum(sin2, floor))
    return gain


def path_loss_db(distance_m: FloatArray, model: RadioModel) -> FloatArray:
    """Extra one-way loss over the 1 m reference (log-distance model)."""
    loss: FloatArray = 10.0 * model.path_loss_exponent * np.log10(np.maximum(distance_m, 0.3))
    return loss


def nominal_rssi(
    tag_xyz: FloatArray,
    dipole: FloatArray | None,
    ant_xyz: FloatArray,
    boresight: FloatArray,
    model: RadioModel,
) -> FloatArray:
    """Noise-free RSSI (dBm) of tags at tag_xyz (n,3) seen by antennas (n,3); no wall loss.

    dipole (n,3) holds unit tag axes; None means an average orientation (-3 dB each way).
    """
    ray = tag_xyz - ant_xyz
    dist = np.sqrt(np.einsum("ij,ij->i", ray, ray))
    unit = ray / np.maximum(dist, 1e-6)[:, None]
    ant = antenna_gain_db(np.einsum("ij,ij->i", unit, boresight), model)
    if dipole is None:
        tag = np.full_like(dist, -3.0)
    else:
        tag = dipole_gain_db(np.einsum("ij,ij->i", unit, dipole), model)
    rssi: FloatArray = model.rssi_at_1m_dbm + 2.0 * (ant + tag - path_loss_db(dist, model))
    return rssi


def read_probability(rssi_dbm: FloatArray, model: RadioModel) -> FloatArray:
    """Chance that an inventory round reads a tag whose reply arrives at this RSSI."""
    z = (rssi_dbm - model.sensitivity_dbm) / model.sensitivity_width_db
    prob: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
    return prob


def quantise(rssi_dbm: FloatArray, model: RadioModel) -> FloatArray:
    """Round RSSI to the reader's reporting resolution."""
    if model.rssi_resolution_db <= 0:
        return rssi_dbm
    step = model.rssi_resolution_db
    rounded: FloatArray = np.round(rssi_dbm / step) * step
    return rounded


_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def hashed_normal(keys: npt.NDArray[np.int64], salt: int) -> FloatArray:
    """Standard normal values fixed by (key, salt): the same key always gets the same value."""
    x = keys.astype(np.uint64) * _GOLDEN + np.uint64(salt & 0xFFFFFFFFFFFFFFFF)
    # splitmix64 finaliser; uint64 arrays wrap around by design.
    x = (x ^ (x >> np.uint64(30))) * _MIX1
    x = (x ^ (x >> np.uint64(27))) * _MIX2
    x ^= x >> np.uint64(31)
    u1 = ((x >> np.uint64(40)) + np.uint64(1)).astype(np.float64) / float(1 << 24)
    u2 = (x & np.uint64(0xFFFFFF)).astype(np.float64) / float(1 << 24)
    normal: FloatArray = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return normal
