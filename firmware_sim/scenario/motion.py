"""Pallet movements as two-segment paths at constant speed, and tag poses on a moving load."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from firmware_sim.scenario.physics import FloatArray

IntArray = npt.NDArray[np.int64]
CROSS, LANE, PARKED = 0, 1, 2


@dataclass(frozen=True)
class Motions:
    """One row per pallet movement: P0 -> P1 -> P2 at speed from t0; speed 0 = parked at P0."""

    pallet: IntArray
    kind: IntArray  # CROSS, LANE or PARKED
    door: IntArray  # door crossed, -1 if none
    direction: IntArray  # +1 in, -1 out, 0 none
    t0_us: IntArray  # time at P0
    t_end_us: IntArray  # time the pallet leaves the model
    speed: FloatArray  # m/s
    p0: FloatArray  # (M, 3)
    p1: FloatArray
    u1: FloatArray  # heading of the first segment (or of the parked load)
    u2: FloatArray  # heading of the second segment
    len1: FloatArray  # metres

    def __len__(self) -> int:
        return len(self.pallet)

    def pose(self, m: IntArray, t_us: IntArray) -> tuple[FloatArray, FloatArray]:
        """Load centre (n,3) and heading (n,3) of motions m at times t_us."""
        s = self.speed[m] * (t_us - self.t0_us[m]) * 1e-6
        on2 = s > self.len1[m]
        s1 = np.minimum(s, self.len1[m])[:, None]
        s2 = np.maximum(s - self.len1[m], 0.0)[:, None]
        centre = np.where(on2[:, None], self.p1[m] + s2 * self.u2[m], self.p0[m] + s1 * self.u1[m])
        heading = np.where(on2[:, None], self.u2[m], self.u1[m])
        return centre, heading


def concat(parts: list[Motions]) -> Motions:
    """Join motion tables."""
    fields = Motions.__dataclass_fields__
    return Motions(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in fields})


def place_on_load(offset: FloatArray, centre: FloatArray, heading: FloatArray) -> FloatArray:
    """World position of points given in the load frame (forward, left, up)."""
    world: FloatArray = rotate_to_world(offset, heading)
    world += centre
    return world


def rotate_to_world(vec: FloatArray, heading: FloatArray) -> FloatArray:
    """Vectors given in the load frame (forward, left, up), turned to world axes (loads stay
    level: heading is horizontal)."""
    hx, hy = heading[:, 0], heading[:, 1]
    fwd, left = vec[:, 0], vec[:, 1]
    world = np.empty_like(vec)
    world[:, 0] = fwd * hx - left * hy
    world[:, 1] = fwd * hy + left * hx
    world[:, 2] = vec[:, 2]
    return world


def crossing_time_us(motions: Motions, m: IntArray, offset: FloatArray) -> IntArray:
    """True time each tag (load-frame offset) on crossing motion m passes the wall plane y = 0."""
    u = motions.u1[m]
    first = np.abs(u[:, 1]) > 0.5  # which segment runs through the door
    u = np.where(first[:, None], u, motions.u2[m])
    start_y = np.where(first, motions.p0[m, 1], motions.p1[m, 1])
    start_s = np.where(first, 0.0, motions.len1[m])
    tag_y0 = start_y + offset[:, 0] * u[:, 1] + offset[:, 1] * u[:, 0]
    s = start_s - tag_y0 / u[:, 1]
    t: IntArray = motions.t0_us[m] + np.round(s / motions.speed[m] * 1e6).astype(np.int64)
    return t


def along_paths(
    *,
    pallet: IntArray,
    kind: int,
    door: IntArray,
    direction: IntArray,
    t0_us: IntArray,
    speed: FloatArray,
    points: tuple[FloatArray, FloatArray, FloatArray],
) -> Motions:
    """Movements along paths P0 -> P1 -> P2 (each (M, 3)) at constant speed from t0_us."""
    p0, p1, p2 = points
    d1, d2 = p1 - p0, p2 - p1
    len1 = np.linalg.norm(d1, axis=1)
    len2 = np.linalg.norm(d2, axis=1)
    return Motions(
        pallet=pallet,
        kind=np.full(len(pallet), kind, dtype=np.int64),
        door=door,
        direction=direction,
        t0_us=t0_us,
        t_end_us=t0_us + np.round((len1 + len2) / speed * 1e6).astype(np.int64),
        speed=speed,
        p0=p0,
        p1=p1,
        u1=d1 / np.maximum(len1, 1e-9)[:, None],
        u2=d2 / np.maximum(len2, 1e-9)[:, None],
        len1=len1,
    )
