"""Parameters of the day scenario: doors, trucks, shipments, goods and the deviations to stage."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from firmware_sim.scenario.airtime import AirTime
from firmware_sim.scenario.dock import DEFAULT_START_US, ClockModel, DockConfig, TagModel
from firmware_sim.scenario.dock_layout import DoorGeometry
from firmware_sim.scenario.physics import RadioModel
from firmware_sim.scenario.traffic import Traffic

IntRange = tuple[int, int]
Range = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Deviations:
    """How many of each physical deviation to stage, and the share of dead case tags."""

    short_pallets: int = 2  # inbound: an announced pallet left off the truck
    over_cases: int = 2  # inbound: an extra case of an announced item on an announced pallet
    over_pallets: int = 1  # inbound: an extra pallet of announced items
    unexpected_pallets: int = 1  # inbound: a pallet of an item not on the ASN or PO
    unexpected_cases: int = 1  # inbound: a case of an item not on the ASN on an announced pallet
    duplicate_cases: int = 2  # inbound: a case whose tag clones an EPC in opening stock
    missing_pallets: int = 1  # outbound: a picked pallet left staged at the door
    missing_cases: int = 2  # outbound: an expected case loaded onto another shipment's truck
    wrong_item_cases: int = 2  # outbound: a case of an item not on the shipment loaded
    extra_cases: int = 2  # outbound: another case of an item on the shipment loaded
    dead_case_fraction: float = 0.005  # of ordinary case tags on the trucks: never answer


def _forklift() -> Traffic:
    # Trip geometry only: timing comes from DayConfig; one staged and a few lane loads.
    return Traffic(parked_pallets=1, lane_pallets=4)


@dataclass(frozen=True, slots=True)
class DayConfig:
    """All parameters of the day scenario; the defaults play in about four and a half minutes."""

    site: str = "DC1"
    receiving_doors: int = 10  # dock1.. receive, the next doors ship (one row, one reader each)
    shipping_doors: int = 10
    trucks_per_door: int = 2
    shipments_per_door: int = 2
    pallets_per_truck: IntRange = (4, 6)
    cases_per_pallet: IntRange = (15, 35)
    items_per_pallet_max: int = 3
    pallet_interval_s: Range = (12.0, 16.0)  # forklift: next pallet through the door
    first_trip_s: Range = (1.0, 10.0)  # when each door's first truck starts
    truck_gap_s: float = 60.0  # door idle between trucks (last trip done to next trip start)
    quiet_s: float = 20.0  # recommended receiving-session quiet period (exported in the plan)
    tail_s: float = 25.0  # after the last trip, so the last sessions go quiet in the scenario
    over_tolerance_pct: float = 10.0
    n_items: int = 40
    n_suppliers: int = 8
    n_customers: int = 6
    reserve_cases_per_item: int = 12  # in storage beyond what the shipments pick
    appointment_share: float = 0.5  # ASNs with a door appointment; the rest match by content
    deviations: Deviations = field(default_factory=Deviations)
    forklift: Traffic = field(default_factory=_forklift)
    geometry: DoorGeometry = field(default_factory=DoorGeometry)  # n_doors is set from above
    radio: RadioModel = field(default_factory=RadioModel)
    airtime: AirTime = field(default_factory=AirTime)
    tags: TagModel = field(default_factory=TagModel)  # unreadable_fraction unused: see deviations
    clock: ClockModel = field(default_factory=ClockModel)
    missed_read_rate: float = 0.05
    start_us: int = DEFAULT_START_US

    @property
    def n_doors(self) -> int:
        """Doors in the row."""
        return self.receiving_doors + self.shipping_doors

    def dock_config(self, duration_s: float) -> DockConfig:
        """The dock-physics configuration the day is observed with."""
        return DockConfig(
            geometry=dataclasses.replace(self.geometry, n_doors=self.n_doors),
            radio=self.radio,
            airtime=self.airtime,
            traffic=dataclasses.replace(self.forklift, duration_s=duration_s),
            tags=self.tags,
            clock=self.clock,
            missed_read_rate=self.missed_read_rate,
            start_us=self.start_us,
        )

    def check(self) -> None:
        """Raise ValueError if the configuration cannot be staged."""
        if self.receiving_doors < 1 or self.shipping_doors < 1:
            raise ValueError("the day needs at least one receiving and one shipping door")
        if self.trucks_per_door < 1 or self.shipments_per_door < 1:
            raise ValueError("every door needs at least one truck or shipment")
        if self.pallets_per_truck[0] < 2 or self.cases_per_pallet[0] < 2:
            raise ValueError("trucks need 2+ pallets and pallets 2+ cases to stage deviations")
        if self.truck_gap_s <= self.quiet_s:
            raise ValueError("truck_gap_s must exceed quiet_s or sessions of two trucks merge")
        if self.n_items < 2 * self.n_suppliers:
            raise ValueError("need at least two items per supplier")
        if not 0.0 <= self.appointment_share <= 1.0:
            raise ValueError("appointment_share must be in [0, 1]")
        if not 0.0 <= self.deviations.dead_case_fraction < 0.5:
            raise ValueError("dead_case_fraction must be in [0, 0.5)")
