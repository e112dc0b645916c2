"""What each truck and trailer carries, documented and physically, deviations included.

Inbound trucks bring new cases from one supplier each; outbound trailers are loaded with cases
picked from opening stock. Each pallet keeps two lists: `planned` (its document's packing list)
and `actual` (the cases physically on it); deviations are staged by changing one or the other.
Tags taking part in a deviation are kept alive (a dead one could not be told apart).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from firmware_sim.scenario.day_config import DayConfig
from firmware_sim.scenario.day_goods import Catalogue, Labeller, build_catalogue


@dataclass
class Load:
    """One pallet: its SSCC tag, its documented and its physical cases."""

    sscc_epc: str
    planned: list[str]  # on the document's packing list (empty if the pallet is undocumented)
    actual: list[str]  # physically on the pallet
    announced: bool  # listed on its trip's document
    present: bool = True  # physically travels with its trip
    door: int = -1  # where a load that stays behind stands


@dataclass
class Trip:
    """One truck (inbound, an ASN) or trailer (outbound, a shipment) at one door."""

    number: str
    partner: int  # supplier or customer index
    door: int  # index in the row of doors
    inbound: bool
    loads: list[Load]

    def planned(self) -> list[str]:
        """Cases on the trip's document."""
        return [c for load in self.loads if load.announced for c in load.planned]

    def on_board(self) -> list[Load]:
        """Announced loads that physically travel."""
        return [load for load in self.loads if load.announced and load.present]


@dataclass
class Staging:
    """The staged day: trips, stock in storage and the loads that never cross a door."""

    config: DayConfig
    catalogue: Catalogue
    labeller: Labeller
    trips: list[Trip]
    opening: list[str]  # case EPCs in storage before the day
    reserve: dict[int, list[str]]  # opening stock not picked, free to take, per product
    standing: list[Load] = field(default_factory=list)  # staged at a door all day
    lanes: list[Load] = field(default_factory=list)  # driven along the dock
    special: set[str] = field(default_factory=set)  # tags taking part in a deviation
    log: dict[str, list[str]] = field(default_factory=dict)  # deviation kind -> trip numbers

    def products(self, cases: list[str]) -> set[int]:
        """Products of some cases."""
        return {self.labeller.product_of[c] for c in cases}

    def take(self, product: int) -> str:
        """A case of a product from reserve stock (labelled into opening stock if none left)."""
        if self.reserve.get(product):
            return self.reserve[product].pop()
        case = self.labeller.cases(product, 1)[0]
        self.opening.append(case)
        return case

    def note(self, kind: str, trip: Trip) -> None:
        """Record where a deviation was staged."""
        self.log.setdefault(kind, []).append(trip.number)


def stage_day(rng: np.random.Generator, config: DayConfig) -> Staging:
    """Catalogue, trucks, shipments, opening stock and every configured deviation."""
    catalogue = build_catalogue(rng, config.n_items, config.n_suppliers, config.n_customers)
    labeller = Labeller(rng, catalogue)
    staging = Staging(config, catalogue, labeller, [], [], {})
    staging.trips += _inbound_trips(rng, config, staging)
    staging.trips += _outbound_trips(rng, config, staging)
    for product in range(len(catalogue.products)):
        cases = labeller.cases(product, config.reserve_cases_per_item)
        staging.opening += cases
        staging.reserve[product] = cases[::-1]
    _stage_inbound_deviations(rng, config, staging)
    _stage_outbound_deviations(rng, config, staging)
    _storage_loads(rng, config, staging)
    for trip in staging.trips:
        rng.shuffle(trip.loads)  # the order pallets come off or go on the truck
    return staging


def _pallet_cases(
    rng: np.random.Generator, config: DayConfig, products: list[int], pick: Callable[[int], str]
) -> list[str]:
    # A pallet of a few products, its cases grouped by product as a picker would stack them.
    k = min(int(rng.integers(1, config.items_per_pallet_max + 1)), len(products))
    chosen = rng.choice(products, size=k, replace=False)
    n = int(rng.integers(config.cases_per_pallet[0], config.cases_per_pallet[1] + 1))
    which = np.sort(rng.choice(chosen, size=n))
    return [pick(int(p)) for p in which]


def _n_pallets(rng: np.random.Generator, config: DayConfig) -> int:
    return int(rng.integers(config.pallets_per_truck[0], config.pallets_per_truck[1] + 1))


def _inbound_trips(rng: np.random.Generator, config: DayConfig, staging: Staging) -> list[Trip]:
    cat, lab = staging.catalogue, staging.labeller
    trips: list[Trip] = []
    for door in range(config.receiving_doors):
        for _ in range(config.trucks_per_door):
            supplier = int(rng.integers(len(cat.suppliers)))
            prefix = cat.suppliers[supplier].company_prefix or cat.own_prefix
            loads = []
            for _ in range(_n_pallets(rng, config)):
                cases = _pallet_cases(
                    rng, config, cat.products_of(supplier), lambda p: lab.cases(p, 1)[0]
                )
                loads.append(Load(lab.pallet(prefix), cases, list(cases), announced=True))
            trips.append(Trip(f"ASN-{len(trips) + 1:04d}", supplier, door, True, loads))
    return trips


def _outbound_trips(rng: np.random.Generator, config: DayConfig, staging: Staging) -> list[Trip]:
    cat, lab = staging.catalogue, staging.labeller
    everything = list(range(len(cat.products)))

    def pick(product: int) -> str:
        case = lab.cases(product, 1)[0]
        staging.opening.append(case)
        return case

    trips: list[Trip] = []
    for k in range(config.shipping_doors * config.shipments_per_door):
        door = config.receiving_doors + k // config.shipments_per_door
        customer = int(rng.integers(len(cat.customers)))
        loads = []
        for _ in range(_n_pallets(rng, config)):
            cases = _pallet_cases(rng, config, everything, pick)
            loads.append(Load(lab.pallet(cat.own_prefix), cases, list(cases), announced=True))
        trips.append(Trip(f"SO-{k + 1:04d}", customer, door, False, loads))
    return trips


def _cycle(rng: np.random.Generator, trips: list[Trip]) -> Iterator[Trip]:
    # Deviations go to distinct trips for as long as there are trips left.
    while True:
        for i in rng.permutation(len(trips)).tolist():
            yield trips[i]


Stager = Callable[[np.random.Generator, Staging, Trip], bool]


def _place(
    rng: np.random.Generator, staging: Staging, trips: Iterator[Trip], todo: tuple[str, int, Stager]
) -> None:
    kind, count, stage = todo
    for _ in range(count):
        for attempt, trip in enumerate(trips):
            if stage(rng, staging, trip):
                staging.note(kind, trip)
                break
            if attempt > 4 * len(staging.trips):
                raise ValueError(f"cannot stage {count} {kind}: trips too small")


def _stage_inbound_deviations(rng: np.random.Generator, config: DayConfig, st: Staging) -> None:
    dev = config.deviations
    trips = _cycle(rng, [t for t in st.trips if t.inbound])
    for todo in (
        ("short_pallet", dev.short_pallets, _short_pallet),
        ("over_case", dev.over_cases, _over_case),
        ("over_pallet", dev.over_pallets, _over_pallet),
        ("unexpected_pallet", dev.unexpected_pallets, _unexpected_pallet),
        ("unexpected_case", dev.unexpected_cases, _unexpected_case),
        ("duplicate_case", dev.duplicate_cases, _duplicate_case),
    ):
        _place(rng, st, trips, todo)


def _stage_outbound_deviations(rng: np.random.Generator, config: DayConfig, st: Staging) -> None:
    dev = config.deviations
    trips = _cycle(rng, [t for t in st.trips if not t.inbound])
    for todo in (
        ("missing_pallet", dev.missing_pallets, _missing_pallet),
        ("missing_case", dev.missing_cases, _missing_case),
        ("wrong_item_case", dev.wrong_item_cases, _wrong_item_case),
        ("extra_case", dev.extra_cases, _extra_case),
    ):
        _place(rng, st, trips, todo)


def _onto(rng: np.random.Generator, st: Staging, trip: Trip, case: str) -> None:
    # One more case physically on one of the trip's announced pallets.
    board = trip.on_board()
    board[int(rng.integers(len(board)))].actual.append(case)
    st.special.add(case)


def _short_pallet(rng: np.random.Generator, st: Staging, trip: Trip) -> bool:
    board = trip.on_board()
    if len(board) < 2:
        return False
    board[int(rng.integers(len(board)))].present = False
    return True


def _over_case(rng: np.random.Generator, st: Staging, trip: Trip) -> bool:
    # The item with most cases announced, so one more stays within a tolerance of a few percent.
    planned = [st.labeller.product_of[c] for c in trip.planned()]
    product = max(set(planned), key=lambda p: (planned.count(p), -p))
    _onto(rng, st, trip, st.labeller.cases(product, 1)[0])
    return True


def _over_pallet(rng: np.random.Generator, st: Staging, trip: Trip) -> bool:
    # A full pallet of the announced item with fewest cases: far beyond any small tolerance.
    planned = [st.labeller.product_of[c] for c in trip.planned()]
    product = min(set(planned), key=lambda p: (planned.count(p), p))
    lo, hi = st.config.cases_per_pallet
    _extra_load(st, trip, st.labeller.cases(product, int(rng.integers(lo, hi + 1))))
    return True


def _unexpected_product(rng: np.random.Generator, st: Staging, trip: Trip) -> int:
    # Another of the supplier's items if it has one not announced, else anyone's.
    announced = st.products(trip.planned())
    own = [p for p in st.catalogue.products_of(trip.partner) if p not in announced]
    pool = own or [p for p in range(len(st.catalogue.products)) if p not in announced]
    return int(pool[int(rng.integers(len(pool)))])


def _unexpected_pallet(rng: np.random.Generator, st: Staging, trip: Trip) -> bool:
    product = _unexpected_product(rng, st, trip)
    lo, hi = st.config.cases_per_pallet
    _extra_load(st, trip, st.labeller.cases(product, int(rng.integers(lo, hi + 1))))
    return True


def _unexpected_case(rng: np.random.Generator, st: Staging, trip: Trip) -> bool:
    _onto(rng, st, trip, st.labeller.cases(_unexpected_product(rng, st, trip), 1)[0])
    return True


def _duplicate_case(rng: np.random.Generator, st: Staging, trip: Trip) -> bool:
    # A tag printed with the EPC of a case already in storage; the original is never moved.
    stocked = [p for p, cases in st.reserve.items() if cases]
    if not stocked:
        return False
    original = st.reserve[stocked[int(rng.integers(len(stocked)))]].pop()
    _onto(rng, st, trip, original)
    return True


def _extra_load(st: Staging, trip: Trip, cases: list[str]) -> None:
    prefix = st.catalogue.suppliers[trip.partner].company_prefix or st.catalogue.own_prefix
    trip.loads.append(Load(st.labeller.pallet(prefix), [], cases, announced=False))
    st.special.update(cases)


def _missing_pallet(rng: np.random.Generator, st: Staging, trip: Trip) -> bool:
    # Picked and staged inside the door, but the trailer leaves without it.
    board = trip.on_board()
    if len(board) < 2:
        return False
    load = board[int(rng.integers(len(board)))]
    load.present, load.door = False, trip.door
    st.standing.append(load)
    return True


def _missing_case(rng: np.random.Generator, st: Staging, trip: Trip) -> bool:
    # Loaded onto another door's trailer: read leaving there, so never taken for a dead tag.
    others = [t for t in st.trips if not t.inbound and t.door != trip.door]
    board = trip.on_board()
    load = board[int(rng.integers(len(board)))]
    movable = [c for c in load.actual if c in load.planned and c not in st.special]
    if not others or len(movable) < 2:
        return False
    case = movable[int(rng.integers(len(movable)))]
    load.actual.remove(case)
    _onto(rng, st, others[int(rng.integers(len(others)))], case)
    return True


def _wrong_item_case(rng: np.random.Generator, st: Staging, trip: Trip) -> bool:
    on_order = st.products(trip.planned())
    pool = [p for p in range(len(st.catalogue.products)) if p not in on_order]
    if not pool:
        return False
    _onto(rng, st, trip, st.take(pool[int(rng.integers(len(pool)))]))
    return True


def _extra_case(rng: np.random.Generator, st: Staging, trip: Trip) -> bool:
    on_order = sorted(st.products(trip.planned()))
    _onto(rng, st, trip, st.take(on_order[int(rng.integers(len(on_order)))]))
    return True


def _storage_loads(rng: np.random.Generator, config: DayConfig, st: Staging) -> None:
    # Pallets of stored goods: some staged near a door all day, some driven along the dock.
    everything = list(range(len(st.catalogue.products)))

    def label(product: int) -> str:
        case = st.labeller.cases(product, 1)[0]
        st.opening.append(case)
        return case

    def load() -> Load:
        cases = _pallet_cases(rng, config, everything, label)
        return Load(st.labeller.pallet(st.catalogue.own_prefix), [], cases, announced=False)

    for _ in range(config.forklift.parked_pallets):
        parked = load()
        parked.door = int(rng.integers(config.n_doors))
        st.standing.append(parked)
    st.lanes += [load() for _ in range(config.forklift.lane_pallets)]


def dead_cases(rng: np.random.Generator, st: Staging, fraction: float) -> set[str]:
    """Ordinary documented case tags on the trips, a fraction of each direction, that are dead."""
    dead: set[str] = set()
    for inbound in (True, False):
        eligible = [
            c
            for trip in st.trips
            if trip.inbound == inbound
            for load in trip.on_board()
            for c in load.actual
            if c not in st.special and c in set(load.planned)
        ]
        k = round(fraction * len(eligible))
        dead.update(eligible[i] for i in rng.choice(len(eligible), size=k, replace=False).tolist())
    return dead
