"""Day scenario: determinism, staged deviations, truth consistency, timing and the documents."""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from firmware_sim.scenario import registry
from firmware_sim.scenario.day import (
    RECEIVING_GATEWAY,
    SHIPPING_GATEWAY,
    DayConfig,
    DayScenario,
    Deviations,
    build_day,
)
from firmware_sim.scenario.day_plan import QUARANTINE, STORAGE, DayPlan, transit_location
from firmware_sim.scenario.day_truth import DayTruth, gtin_of
from firmware_sim.scenario.gateway_config import gateway_config_for
from firmware_sim.scenario.types import Crossing
from protocol.epc import is_sgtin, is_sscc

SEED = 3
SMALL = DayConfig(
    receiving_doors=3, shipping_doors=2, pallets_per_truck=(2, 3), cases_per_pallet=(6, 10)
)


@pytest.fixture(scope="module")
def day() -> DayScenario:
    """The default day, built once."""
    return build_day(DayConfig(), SEED)


def _crossings_by_epc(day: DayScenario) -> dict[str, Crossing]:
    return {c.epc: c for c in day.scenario.truth.crossings}


def test_registered_day_is_the_default_day(day: DayScenario) -> None:
    scenario = registry.build("day", SEED)
    assert scenario.name == "day"
    assert scenario.epcs == day.scenario.epcs
    assert np.array_equal(scenario.reads, day.scenario.reads)
    assert scenario.meta["plan"] == day.plan
    assert scenario.meta["day_truth"] == day.truth


def test_same_seed_same_day_other_seed_other_day() -> None:
    a, b, c = build_day(SMALL, 11), build_day(SMALL, 11), build_day(SMALL, 12)
    assert a.plan.to_json() == b.plan.to_json()
    assert a.truth == b.truth
    assert np.array_equal(a.scenario.reads, b.scenario.reads)
    assert a.plan.opening_stock != c.plan.opening_stock
    assert len(a.scenario.reads) != len(c.scenario.reads)


def test_plays_in_four_to_five_minutes(day: DayScenario) -> None:
    assert 240.0 <= day.duration_s <= 300.0
    last_crossing = max(c.time_us for c in day.scenario.truth.crossings)
    # The last door goes quiet for longer than a session needs before the scenario ends.
    assert (day.scenario.end_us - last_crossing) / 1e6 > day.plan.quiet_s


def test_default_size(day: DayScenario) -> None:
    plan = day.plan
    assert len(plan.asns) == 20
    assert len(plan.shipments) == 20
    assert len(day.scenario.readers) == 20
    for asn in plan.asns:
        assert 4 <= len(asn.pallets) <= 6
        assert all(15 <= len(p.cases) <= 35 for p in asn.pallets)
    assert all(4 <= len(s.pallets) <= 6 for s in plan.shipments)
    doors = Counter(s.door for s in plan.shipments)
    assert set(doors.values()) == {2}
    assert len(doors) == 10


def test_every_deviation_kind_occurs(day: DayScenario) -> None:
    counts = day.truth.counts()
    for outcome in (
        "matched", "short", "over", "unexpected", "duplicate",
        "sscc_matched", "sscc_short", "sscc_over", "sscc_unexpected",
        "verified", "missing", "extra", "wrong_item",
    ):  # fmt: skip
        assert counts.get(outcome, 0) > 0, outcome
    over = {ln.disposition for r in day.truth.receipts for ln in r.lines if ln.status == "over"}
    assert over == {"storage", "quarantine"}  # within and beyond the tolerance
    staged = day.deviations
    assert {k: len(v) for k, v in staged.items()} == {
        "duplicate_case": 2,
        "extra_case": 2,
        "missing_case": 2,
        "missing_pallet": 1,
        "over_case": 2,
        "over_pallet": 1,
        "short_pallet": 2,
        "unexpected_case": 1,
        "unexpected_pallet": 1,
        "wrong_item_case": 2,
    }


def test_dead_case_tags_are_never_read_and_still_count(day: DayScenario) -> None:
    s = day.scenario
    dead = day.physical.dead
    assert len(dead) >= 10
    assert all(is_sgtin(e) for e in dead)  # never a pallet's SSCC tag
    index = {e: i for i, e in enumerate(s.epcs)}
    read = set(np.unique(s.reads["tag"]).tolist())
    assert not any(index[e] in read for e in dead)
    assert dead <= s.truth.unreadable
    received = {ln.epc: ln.status for r in day.truth.receipts for ln in r.lines}
    shipped = {ln.epc: ln.status for sh in day.truth.shipments for ln in sh.lines}
    assert any(received.get(e) == "matched" for e in dead)
    assert any(shipped.get(e) == "verified" for e in dead)
    # Every live tag that crossed a door was read there (the physics lets the truth be found).
    assert s.truth.unreadable - dead == frozenset()


def test_receipt_lines_partition_the_asn(day: DayScenario) -> None:
    by_asn = {r.asn: r for r in day.truth.receipts}
    assert set(by_asn) == {a.number for a in day.plan.asns}
    for asn in day.plan.asns:
        lines = by_asn[asn.number].lines
        epc_lines = Counter(ln.epc for ln in lines if ln.kind == "epc")
        assert max(epc_lines.values()) == 1
        assert set(asn.epcs) <= set(epc_lines)
        expected_status = {ln.status for ln in lines if ln.kind == "epc" and ln.epc in asn.epcs}
        assert expected_status <= {"matched", "short", "duplicate"}
        sscc_lines = Counter(ln.sscc for ln in lines if ln.kind == "sscc")
        assert max(sscc_lines.values()) == 1
        assert {p.sscc for p in asn.pallets} <= set(sscc_lines)


def test_shipment_lines_partition_the_pick_list(day: DayScenario) -> None:
    by_number = {s.shipment: s for s in day.truth.shipments}
    for shipment in day.plan.shipments:
        lines = by_number[shipment.number].lines
        assert max(Counter(ln.epc for ln in lines).values()) == 1
        expected = {ln.epc for ln in shipment.lines}
        status = {ln.epc: ln.status for ln in lines}
        assert {status[e] for e in expected} <= {"verified", "missing"}
        assert {s for e, s in status.items() if e not in expected} <= {"extra", "wrong_item"}
        on_order = set(shipment.quantities())
        for ln in lines:
            if ln.status in ("extra", "wrong_item"):
                assert (ln.gtin in on_order) == (ln.status == "extra")


def test_stock_accounts_for_every_case_once(day: DayScenario) -> None:
    truth, plan = day.truth, day.plan
    epcs = [s.epc for s in truth.stock]
    assert len(epcs) == len(set(epcs))
    known = {e.epc for e in plan.opening_stock} | {e for a in plan.asns for e in a.epcs}
    known |= {ln.epc for r in truth.receipts for ln in r.lines if ln.kind == "epc"}
    known |= {ln.epc for s in truth.shipments for ln in s.lines}
    assert set(epcs) == known
    assert all(gtin_of(s.epc) == s.gtin for s in truth.stock)
    balances = Counter({(b.gtin, b.location): b.qty for b in truth.balances})
    assert balances == Counter((s.gtin, s.location) for s in truth.stock if s.location)
    short = {
        ln.epc
        for r in truth.receipts
        for ln in r.lines
        if ln.kind == "epc" and ln.status == "short"
    }
    assert {s.epc for s in truth.stock if s.location is None} == short - {
        e.epc for e in plan.opening_stock
    }


def test_transit_holds_exactly_what_left_through_each_shipment_door(day: DayScenario) -> None:
    located = defaultdict(set)
    for s in day.truth.stock:
        located[s.location].add(s.epc)
    for shipment in day.plan.shipments:
        left = {
            c.epc
            for c in day.scenario.truth.crossings
            if c.direction == "out"
            and c.door == shipment.door
            and c.time_us in shipment.window
            and is_sgtin(c.epc)
        }
        assert left
        assert located[transit_location(shipment.number)] == left


def test_received_stock_is_what_crossed_in(day: DayScenario) -> None:
    opening = {e.epc for e in day.plan.opening_stock}
    crossed_in = {
        c.epc for c in day.scenario.truth.crossings if c.direction == "in" and is_sgtin(c.epc)
    }
    kept = {s.epc for s in day.truth.stock if s.location in (STORAGE, QUARANTINE)}
    assert kept - opening == crossed_in - opening
    # Cloned tags crossed in; the originals stay put in storage.
    duplicates = {ln.epc for r in day.truth.receipts for ln in r.lines if ln.status == "duplicate"}
    assert duplicates
    assert duplicates <= crossed_in & opening
    assert all(s.location == STORAGE for s in day.truth.stock if s.epc in duplicates)


def test_quarantine_holds_unexpected_and_untolerated_over(day: DayScenario) -> None:
    lines = [ln for r in day.truth.receipts for ln in r.lines if ln.kind == "epc"]
    quarantined = {s.epc for s in day.truth.stock if s.location == QUARANTINE}
    assert quarantined == {ln.epc for ln in lines if ln.disposition == "quarantine"}
    assert {ln.status for ln in lines if ln.disposition == "quarantine"} == {"over", "unexpected"}


def test_standing_and_lane_loads_are_never_received_or_shipped(day: DayScenario) -> None:
    truth = day.scenario.truth
    bystanders = truth.parked | truth.cross_read_only
    assert truth.parked
    assert truth.cross_read_only
    crossing = {c.epc for c in truth.crossings}
    assert not bystanders & crossing
    outcomes: dict[str, str] = {ln.epc: ln.status for r in day.truth.receipts for ln in r.lines}
    outcomes |= {ln.epc: ln.status for s in day.truth.shipments for ln in s.lines}
    # The staged pallet a trailer left without is read all day: its cases are missing.
    assert {outcomes[e] for e in bystanders if e in outcomes} == {"missing"}
    where = {s.epc: s.location for s in day.truth.stock}
    assert {where[e] for e in bystanders if e in where} == {STORAGE}


def _trip_tags(day: DayScenario) -> dict[str, list[int]]:
    crossing = _crossings_by_epc(day)
    return {
        trip.document: [crossing[t].time_us for p in trip.pallets for t in p]
        for trip in day.physical.trips
    }


def test_trips_at_one_door_are_a_gap_apart(day: DayScenario) -> None:
    times = _trip_tags(day)
    by_door: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for trip in day.physical.trips:
        by_door[trip.door].append((min(times[trip.document]), max(times[trip.document])))
    assert len(by_door) == 20
    gap_us = day.config.truck_gap_s * 1e6
    for spans in by_door.values():
        spans.sort()
        assert len(spans) == 2
        for (_, last), (first, _) in itertools.pairwise(spans):
            assert first - last >= gap_us
            assert first - last > day.plan.quiet_s * 1e6


def test_pallets_come_through_a_door_every_dozen_seconds_or_so(day: DayScenario) -> None:
    crossing = _crossings_by_epc(day)
    intervals = []
    for trip in day.physical.trips:
        t = sorted(crossing[p[0]].time_us for p in trip.pallets)
        intervals += np.diff(t).tolist()
    assert 10e6 < np.median(intervals) < 20e6


def test_windows_frame_their_trips_and_do_not_overlap(day: DayScenario) -> None:
    times = _trip_tags(day)
    windows = [
        (a.appointment.door, a.appointment.window, a.number) for a in day.plan.asns if a.appointment
    ]
    assert 0.4 * len(day.plan.asns) <= len(windows) <= 0.6 * len(day.plan.asns)
    doors = {r.asn: r.door for r in day.truth.receipts}
    windows += [(s.door, s.window, s.number) for s in day.plan.shipments]
    for door, window, number in windows:
        assert doors.get(number, door) == door
        assert all(t in window for t in times[number])
    for door in {w[0] for w in windows}:
        spans = sorted((w[1].start_us, w[1].end_us) for w in windows if w[0] == door)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_documents_hang_together(day: DayScenario) -> None:
    plan = day.plan
    gtins = {i.gtin for i in plan.items}
    assert all(i.unit == "EA" and float(i.unit_cost) > 0 for i in plan.items)
    suppliers = {p.code for p in plan.partners if p.kind == "supplier"}
    customers = {p.code for p in plan.partners if p.kind == "customer"}
    pos = {po.number: po for po in plan.purchase_orders}
    for asn in plan.asns:
        assert asn.supplier in suppliers
        assert pos[asn.po].supplier == asn.supplier
        assert {ln.gtin: ln.qty for ln in pos[asn.po].lines} == asn.quantities()
        assert all(is_sscc(p.epc) for p in asn.pallets)
        assert all(gtin_of(c.epc) == c.gtin for p in asn.pallets for c in p.cases)
    stock = {e.epc for e in plan.opening_stock}
    for shipment in plan.shipments:
        assert shipment.customer in customers
        assert {ln.epc for ln in shipment.lines} <= stock
        assert {ln.sscc for ln in shipment.lines} == {p.sscc for p in shipment.pallets}
    assert {e.gtin for e in plan.opening_stock} <= gtins
    assert {g for a in plan.asns for g in a.quantities()} <= gtins
    assert {e.location for e in plan.opening_stock} == {STORAGE}


def test_gateways_split_the_doors_by_role(day: DayScenario) -> None:
    plan, scenario = day.plan, day.scenario
    gateway_of = plan.gateway_of()
    assert set(gateway_of) == {r.name for r in scenario.readers}
    assert scenario.meta["gateway_of"] == gateway_of
    codes = {p.code for p in plan.locations}
    for point in plan.read_points:
        assert gateway_of[point.reader] == point.gateway
        wanted = RECEIVING_GATEWAY if point.role == "receiving" else SHIPPING_GATEWAY
        assert point.gateway == wanted
        assert point.location in codes
    receiving = {p.door for p in plan.read_points if p.role == "receiving"}
    assert {r.door for r in day.truth.receipts} <= receiving
    assert {s.door for s in plan.shipments}.isdisjoint(receiving)
    assert {STORAGE, QUARANTINE} <= codes
    # Each gateway's config lists only its own readers and their doors' zones.
    for gateway in (RECEIVING_GATEWAY, SHIPPING_GATEWAY):
        readers = plan.readers_of(gateway)
        config = gateway_config_for(scenario, site=plan.site, gateway=gateway, only=readers)
        assert {r.name for r in config.readers} == set(readers)
        assert len(readers) == 10
        doors = {p.door for p in plan.read_points if p.gateway == gateway}
        assert {z.door for z in config.zones} == doors


def test_documents_and_truth_survive_json(day: DayScenario, tmp_path: Path) -> None:
    assert DayPlan.from_json(day.plan.to_json()) == day.plan
    plan_file, truth_file = day.write(tmp_path / "day")
    assert DayPlan.from_json(plan_file.read_bytes()) == day.plan
    assert DayTruth.from_json(truth_file.read_text(encoding="utf-8")) == day.truth
    shape = json.loads(plan_file.read_bytes())
    assert shape["asns"][0]["pallets"][0]["cases"][0].keys() == {"epc", "gtin"}
    assert shape["shipments"][0]["lines"][0].keys() == {"epc", "gtin", "sscc"}


def test_without_deviations_everything_matches() -> None:
    none = Deviations(
        short_pallets=0,
        over_cases=0,
        over_pallets=0,
        unexpected_pallets=0,
        unexpected_cases=0,
        duplicate_cases=0,
        missing_pallets=0,
        missing_cases=0,
        wrong_item_cases=0,
        extra_cases=0,
        dead_case_fraction=0.0,
    )
    clean = build_day(dataclasses.replace(SMALL, deviations=none), 4)
    assert set(clean.truth.counts()) == {"matched", "sscc_matched", "verified"}
    assert not clean.physical.dead
    assert clean.deviations == {}


def test_more_deviations_when_asked() -> None:
    more = Deviations(short_pallets=3, duplicate_cases=4, extra_cases=5, dead_case_fraction=0.05)
    busy = build_day(dataclasses.replace(SMALL, deviations=more), 4)
    counts = busy.truth.counts()
    assert counts["sscc_short"] == 3
    assert counts["duplicate"] == 4
    assert counts["extra"] >= 5
    assert len(busy.physical.dead) >= 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"truck_gap_s": 15.0}, "sessions of two trucks merge"),
        ({"receiving_doors": 0}, "at least one receiving"),
        ({"pallets_per_truck": (1, 3)}, "2\\+ pallets"),
        ({"n_items": 5}, "two items per supplier"),
        ({"shipments_per_door": 0}, "at least one truck or shipment"),
        ({"appointment_share": 1.5}, "appointment_share"),
        ({"shipping_doors": 1, "receiving_doors": 1}, "cannot stage 2 missing_case"),
        ({"deviations": Deviations(dead_case_fraction=0.7)}, "dead_case_fraction"),
    ],
)
def test_impossible_configs_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_day(dataclasses.replace(DayConfig(), **change), 1)  # type: ignore[arg-type]
