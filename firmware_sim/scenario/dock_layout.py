"""Geometry of a row of dock doors: door openings, the wall between them and portal antennas.

Coordinates in metres: x runs along the dock wall, the wall is the plane y = 0 with the
dock/trailer side at y < 0 (outside) and the warehouse at y > 0 (inside); z is height.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from firmware_sim.scenario.physics import FloatArray, RadioModel
from firmware_sim.scenario.types import AntennaPlacement, ReaderSpec

IntArray = npt.NDArray[np.int64]
OUTSIDE, INSIDE = 0, 1


@dataclass(frozen=True, slots=True)
class DoorGeometry:
    """Door row and antenna mounting: 2 antennas per side on the jambs, aimed across the door."""

    n_doors: int = 4
    spacing_m: float = 4.0
    door_width_m: float = 2.75
    antenna_height_m: float = 2.0
    antenna_setback_m: float = 0.25  # off the wall face, towards its own side
    aim_distance_m: float = 2.5  # boresight meets the door axis this far from the wall
    aim_height_m: float = 1.0
    trailer_width_m: float = 2.6  # a trailer is docked at every door
    trailer_mouth_m: float = 1.0  # its open rear end this far out from the wall (leveler, seal)


@dataclass(frozen=True)
class DockLayout:
    """Antenna positions and boresights (one row per antenna) with their door, side and reader."""

    geometry: DoorGeometry
    doors: tuple[str, ...]
    door_x: FloatArray
    ant_xyz: FloatArray  # (A, 3)
    boresight: FloatArray  # (A, 3) unit vectors
    ant_door: IntArray  # door index of each antenna
    ant_side: IntArray  # OUTSIDE or INSIDE
    ant_port: IntArray  # reader antenna port, 1-based

    @property
    def n_antennas(self) -> int:
        """Number of antennas over all readers."""
        return len(self.ant_door)

    def reader_name(self, door: int) -> str:
        """Name of the reader of one door."""
        return f"rdr-{self.doors[door]}"

    def zone(self, antenna: int) -> str:
        """Zone name of one antenna: <door>-out or <door>-in."""
        suffix = "out" if self.ant_side[antenna] == OUTSIDE else "in"
        return f"{self.doors[self.ant_door[antenna]]}-{suffix}"

    def placements(self) -> tuple[AntennaPlacement, ...]:
        """The scenario's antenna layout."""
        return tuple(
            AntennaPlacement(
                reader=self.reader_name(int(self.ant_door[a])),
                antenna=int(self.ant_port[a]),
                zone=self.zone(a),
                door=self.doors[self.ant_door[a]],
                side="outside" if self.ant_side[a] == OUTSIDE else "inside",
            )
            for a in range(self.n_antennas)
        )

    def reader_specs(self, skew_us: IntArray) -> tuple[ReaderSpec, ...]:
        """One reader per door with its antenna ports and clock offset."""
        return tuple(
            ReaderSpec(
                name=self.reader_name(d),
                antennas=tuple(int(p) for p in self.ant_port[self.ant_door == d]),
                clock_skew_us=int(skew_us[d]),
            )
            for d in range(len(self.doors))
        )

    def wall_loss(self, tag_xyz: FloatArray, ant: IntArray, model: RadioModel) -> FloatArray:
        """One-way loss of rays from tags to antennas through the dock wall or a trailer wall."""
        a_xyz = self.ant_xyz[ant]
        g = self.geometry
        wall = ~self._through_opening(tag_xyz, a_xyz, 0.0, g.door_width_m / 2)
        # A tag in a trailer is boxed in: only rays leaving by that trailer's open end are clear.
        mouth = -g.trailer_mouth_m
        trailer = self._nearest_door(tag_xyz[:, 0])
        in_trailer = (tag_xyz[:, 1] < mouth) & (
            np.abs(tag_xyz[:, 0] - self.door_x[trailer]) <= g.trailer_width_m / 2
        )
        walled = in_trailer & ~self._through_opening(
            tag_xyz, a_xyz, mouth, g.trailer_width_m / 2, trailer
        )
        loss: FloatArray = np.where(wall, model.wall_loss_db, 0.0) + np.where(
            walled, model.trailer_loss_db, 0.0
        )
        return loss

    def _through_opening(
        self,
        p: FloatArray,
        q: FloatArray,
        plane_y: float,
        half_width: float,
        door: IntArray | None = None,
    ) -> npt.NDArray[np.bool_]:
        # Rays that do not cross the plane y = plane_y, or cross it within an opening (of the
        # given doors, else of any door).
        py, qy = p[:, 1] - plane_y, q[:, 1] - plane_y
        crosses = (py * qy) < 0
        frac = np.where(crosses, py / np.where(crosses, py - qy, 1.0), 0.0)
        x0 = p[:, 0] + (q[:, 0] - p[:, 0]) * frac
        at = self._nearest_door(x0) if door is None else door
        ok: npt.NDArray[np.bool_] = ~crosses | (np.abs(x0 - self.door_x[at]) <= half_width)
        return ok

    def _nearest_door(self, x: FloatArray) -> IntArray:
        nearest = np.clip(np.round(x / self.geometry.spacing_m), 0, len(self.doors) - 1)
        return nearest.astype(np.int64)


def build_layout(geometry: DoorGeometry) -> DockLayout:
    """Place 4 antennas per door: ports 1-2 outside (left, right jamb), 3-4 inside."""
    g = geometry
    doors = tuple(f"dock{d + 1}" for d in range(g.n_doors))
    door_x = np.arange(g.n_doors, dtype=np.float64) * g.spacing_m
    jamb = g.door_width_m / 2 + 0.15
    rows = []
    for d in range(g.n_doors):
        for side, sign in ((OUTSIDE, -1.0), (INSIDE, 1.0)):
            for k, dx in enumerate((-jamb, jamb)):
                pos = np.array([door_x[d] + dx, sign * g.antenna_setback_m, g.antenna_height_m])
                aim = np.array([door_x[d], sign * g.aim_distance_m, g.aim_height_m])
                rows.append(
                    (d, side, 1 + 2 * side + k, pos, (aim - pos) / np.linalg.norm(aim - pos))
                )
    return DockLayout(
        geometry=g,
        doors=doors,
        door_x=door_x,
        ant_xyz=np.array([r[3] for r in rows]),
        boresight=np.array([r[4] for r in rows]),
        ant_door=np.array([r[0] for r in rows], dtype=np.int64),
        ant_side=np.array([r[1] for r in rows], dtype=np.int64),
        ant_port=np.array([r[2] for r in rows], dtype=np.int64),
    )
