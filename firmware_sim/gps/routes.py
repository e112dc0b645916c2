"""Routes between sites: polylines of road waypoints with road classes, tunnels and stops.

The waypoints follow real roads closely enough for a tracking system (they are hand-placed
along the motorways and streets named in the comments, not surveyed). Each waypoint's road
class, limit and tunnel flag describe the leg that starts there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Road = Literal["yard", "urban", "arterial", "ramp", "highway"]

# Truck speeds by road class, km/h (German limits for trucks over 7.5 t where they apply).
ROAD_KMH: dict[Road, float] = {
    "yard": 15.0,
    "urban": 50.0,
    "arterial": 60.0,
    "ramp": 50.0,
    "highway": 85.0,  # 80 posted; trucks run at their 85-89 km/h limiters
}


@dataclass(frozen=True, slots=True)
class Waypoint:
    """A point of the route; road, limit and tunnel describe the leg that starts here."""

    lat: float
    lon: float
    road: Road = "highway"
    name: str | None = None  # named places get true arrival times
    limit_kmh: float | None = None  # a posted limit below the road class's speed
    tunnel: bool = False
    dwell_s: float = 0.0  # the vehicle stops here this long (a rest stop)


@dataclass(frozen=True, slots=True)
class Route:
    """A drive from one site to another."""

    name: str
    description: str
    waypoints: tuple[Waypoint, ...]
    jams_per_100km: float = 1.5  # traffic slowdowns on highway legs
    lights_per_km: float = 1.5  # signalised junctions on urban and arterial legs

    @property
    def origin(self) -> Waypoint:
        """Where the drive starts."""
        return self.waypoints[0]

    @property
    def destination(self) -> Waypoint:
        """Where the drive ends."""
        return self.waypoints[-1]


W = Waypoint

# DC Hamburg-Bahrenfeld to DC Lehrte (east of Hannover): A7 through the Elbtunnel, across the
# Lüneburg Heath, a rest stop near the Aller, Kreuz Hannover-Ost, A2 to Lehrte. About 155 km.
HAMBURG_HANNOVER = Route(
    name="hamburg-hannover",
    description="DC Hamburg-Bahrenfeld to DC Lehrte by A7 (Elbtunnel) and A2, with a rest stop",
    waypoints=(
        W(53.57020, 9.89680, "yard", "DC Hamburg-Bahrenfeld"),
        W(53.56940, 9.90020, "urban", "Bahrenfeld gate"),
        W(53.56680, 9.90650, "urban"),
        W(53.56520, 9.91180, "ramp", "A7 Hamburg-Bahrenfeld"),
        W(53.56010, 9.91420, "highway"),
        W(53.55300, 9.91500, "highway", "Elbtunnel north portal", limit_kmh=60.0, tunnel=True),
        W(53.52450, 9.93220, "highway", "Elbtunnel south portal"),
        W(53.51200, 9.93680),
        W(53.48900, 9.94000),
        W(53.46200, 9.94800),
        W(53.43500, 9.96200),
        W(53.40500, 9.99000),
        W(53.38200, 10.02000),
        W(53.33000, 10.05000),
        W(53.26000, 10.06000),
        W(53.19000, 10.05500, name="A7 Egestorf"),
        W(53.13000, 10.02500),
        W(53.08000, 9.99000, name="A7 Bispingen"),
        W(53.03000, 9.93000),
        W(52.98500, 9.87500, name="A7 Soltau-Ost"),
        W(52.94000, 9.82000),
        W(52.90000, 9.77000),
        W(52.86000, 9.69000),
        W(52.83500, 9.63500, name="A7 Walsrode"),
        W(52.78000, 9.62000, "ramp"),
        W(52.77700, 9.62150, "yard", "Rest area Allertal", dwell_s=900.0),
        W(52.77400, 9.62350, "ramp"),
        W(52.77000, 9.62600),
        W(52.72000, 9.66000),
        W(52.66000, 9.69000),
        W(52.60000, 9.71000),
        W(52.55000, 9.72000, name="A7 Mellendorf"),
        W(52.49500, 9.75000),
        W(52.45500, 9.80000),
        W(52.43000, 9.86000, "ramp", "Kreuz Hannover-Ost"),
        W(52.42500, 9.87500),
        W(52.41500, 9.92000),
        W(52.40500, 9.96500, "ramp", "A2 Lehrte"),
        W(52.39900, 9.97200, "arterial"),
        W(52.39000, 9.98000, "urban"),
        W(52.38500, 9.98400, "yard", "Lehrte gate"),
        W(52.38350, 9.98700, "yard", "DC Lehrte"),
    ),
    jams_per_100km=1.2,
    lights_per_km=1.2,
)

# DC Duisburg-Rheinhausen to DC Dortmund-Ost along the A40 (Ruhrschnellweg, through the
# Essen city tunnel) and the B1 with its traffic lights. About 60 km of heavy traffic.
DUISBURG_DORTMUND = Route(
    name="duisburg-dortmund",
    description="DC Duisburg-Rheinhausen to DC Dortmund-Ost by A40 (Essen tunnel) and B1",
    waypoints=(
        W(51.38800, 6.70450, "yard", "DC Duisburg-Rheinhausen"),
        W(51.39050, 6.71000, "urban", "Rheinhausen gate"),
        W(51.39900, 6.71900, "arterial"),
        W(51.41200, 6.72300, "ramp", "A40 Duisburg-Homberg"),
        W(51.42100, 6.72900),
        W(51.43000, 6.74400, name="Rhine bridge Neuenkamp"),
        W(51.43400, 6.77000),
        W(51.43700, 6.80500, name="Kreuz Kaiserberg"),
        W(51.43300, 6.85000),
        W(51.43400, 6.90000, name="A40 Mülheim-Heißen"),
        W(51.44200, 6.95000),
        W(51.44700, 6.98500),
        W(51.45000, 7.00200, name="Essen tunnel west", limit_kmh=60.0, tunnel=True),
        W(51.45150, 7.01400, name="Essen tunnel east"),
        W(51.45800, 7.05000),
        W(51.46600, 7.08500, name="A40 Essen-Kray"),
        W(51.47800, 7.14000),
        W(51.48400, 7.19000),
        W(51.48600, 7.23000, name="A40 Bochum"),
        W(51.49000, 7.29000),
        W(51.49500, 7.34500),
        W(51.50200, 7.39000, "arterial", "Kreuz Dortmund-West"),
        W(51.50100, 7.43000, "arterial"),
        W(51.50000, 7.47000, "urban"),
        W(51.50600, 7.49500, "urban"),
        W(51.51300, 7.51200, "yard", "Dortmund-Ost gate"),
        W(51.51400, 7.51600, "yard", "DC Dortmund-Ost"),
    ),
    jams_per_100km=5.0,
    lights_per_km=1.5,
)

# A port shuttle in Hamburg: DC Billbrook to the container terminal Altenwerder over the
# Elbbrücken, through Veddel and Wilhelmsburg. About 15 km, mostly urban.
HAMBURG_PORT_SHUTTLE = Route(
    name="hamburg-port-shuttle",
    description="DC Hamburg-Billbrook to the Altenwerder terminal through Veddel, about 15 km",
    waypoints=(
        W(53.53300, 10.09200, "yard", "DC Hamburg-Billbrook"),
        W(53.53380, 10.08900, "urban", "Billbrook gate"),
        W(53.53500, 10.06000, "urban"),
        W(53.53500, 10.04000, "arterial"),
        W(53.53450, 10.02800, "arterial", "Elbbrücken"),
        W(53.52300, 10.01800, "arterial", "Veddel"),
        W(53.50800, 10.00800, "highway", limit_kmh=70.0),
        W(53.49000, 9.98500, "highway", "Wilhelmsburg-Süd", limit_kmh=70.0),
        W(53.48500, 9.96000, "urban"),
        W(53.49300, 9.94800, "urban"),
        W(53.49900, 9.93400, "yard", "Altenwerder gate"),
        W(53.50050, 9.93050, "yard", "Terminal Altenwerder"),
    ),
    jams_per_100km=3.0,
    lights_per_km=1.5,
)

ROUTES: dict[str, Route] = {
    r.name: r for r in (HAMBURG_HANNOVER, DUISBURG_DORTMUND, HAMBURG_PORT_SHUTTLE)
}


def route(name: str) -> Route:
    """A route by name; KeyError lists the known ones."""
    try:
        return ROUTES[name]
    except KeyError:
        raise KeyError(f"unknown route {name!r}; known: {', '.join(sorted(ROUTES))}") from None
