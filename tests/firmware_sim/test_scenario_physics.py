"""The radio, air-time, motion and layout pieces of the dock model, one at a time."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_sim.scenario.airtime import AirTime, build_schedule
from firmware_sim.scenario.dock_layout import INSIDE, OUTSIDE, DoorGeometry, build_layout
from firmware_sim.scenario.motion import CROSS, along_paths, crossing_time_us, place_on_load
from firmware_sim.scenario.physics import (
    RadioModel,
    antenna_gain_db,
    dipole_gain_db,
    nominal_rssi,
    path_loss_db,
    quantise,
    read_probability,
)

RADIO = RadioModel()
angles = st.floats(min_value=0.0, max_value=180.0)


@given(angles, angles)
def test_antenna_pattern_falls_off_axis_to_its_floors(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    gains = antenna_gain_db(np.cos(np.radians([lo, hi])), RADIO)
    assert gains[0] >= gains[1]
    assert RADIO.back_lobe_db <= gains[1] <= 0.0


def test_antenna_half_power_at_half_the_beamwidth() -> None:
    gain = antenna_gain_db(np.cos(np.radians([RADIO.beamwidth_deg / 2])), RADIO)
    assert float(gain[0]) == -3.0


@given(st.floats(min_value=-1.0, max_value=1.0))
def test_dipole_pattern_is_bounded(cos_psi: float) -> None:
    gain = float(dipole_gain_db(np.array([cos_psi]), RADIO)[0])
    assert RADIO.dipole_null_floor_db - 1e-9 <= gain <= 0.0


@given(st.floats(min_value=0.3, max_value=50.0), st.floats(min_value=0.3, max_value=50.0))
def test_path_loss_grows_with_distance(d1: float, d2: float) -> None:
    near, far = sorted((d1, d2))
    loss = path_loss_db(np.array([near, far]), RADIO)
    assert loss[0] <= loss[1]
    assert math.isclose(loss[1] - loss[0], 22.0 * math.log10(far / near), abs_tol=1e-9)


@given(st.floats(min_value=-120.0, max_value=0.0), st.floats(min_value=-120.0, max_value=0.0))
def test_read_probability_is_monotone_and_half_at_sensitivity(r1: float, r2: float) -> None:
    lo, hi = sorted((r1, r2))
    p = read_probability(np.array([lo, hi, RADIO.sensitivity_dbm]), RADIO)
    assert 0.0 <= p[0] <= p[1] <= 1.0
    assert p[2] == 0.5


def test_read_probability_falls_off_within_a_few_db_of_sensitivity() -> None:
    p = read_probability(np.array([-74.0, -86.0]), RADIO)
    assert p[0] > 0.99
    assert p[1] < 0.01


def test_link_budget_at_one_metre() -> None:
    # An average-oriented tag 1 m in front of the antenna: about -36 dBm, as portals report.
    rssi = nominal_rssi(
        np.array([[1.0, 0.0, 0.0]]), None, np.zeros((1, 3)), np.array([[1.0, 0.0, 0.0]]), RADIO
    )
    assert -40.0 < float(rssi[0]) < -32.0
    assert math.isclose(float(rssi[0]), RADIO.rssi_at_1m_dbm - 6.0)


@given(st.floats(min_value=-100.0, max_value=-20.0))
def test_quantise_to_whole_dbm(rssi: float) -> None:
    (q,) = quantise(np.array([rssi]), RADIO)
    assert q == round(rssi)


def test_layout_four_antennas_per_door_facing_their_side() -> None:
    layout = build_layout(DoorGeometry(n_doors=3))
    assert layout.n_antennas == 12
    for a in range(layout.n_antennas):
        outward = layout.ant_side[a] == OUTSIDE
        assert (layout.ant_xyz[a, 1] < 0) == outward
        assert (layout.boresight[a, 1] < 0) == outward
        assert layout.zone(a).endswith("-out" if outward else "-in")
    assert sorted(layout.ant_port[layout.ant_door == 1].tolist()) == [1, 2, 3, 4]
    assert set(layout.ant_side[layout.ant_port >= 3].tolist()) == {INSIDE}


def test_walls_and_trailers_shield_but_openings_do_not() -> None:
    layout = build_layout(DoorGeometry(n_doors=2))
    outside_left_of_door2 = np.flatnonzero((layout.ant_door == 1) & (layout.ant_port == 1))
    ant = np.repeat(outside_left_of_door2, 3)
    tags = np.array(
        [
            [4.0, -3.0, 1.0],  # in door 2's own trailer: clear
            [0.0, -3.0, 1.0],  # in door 1's trailer: its metal side is in the way
            [0.0, 3.0, 1.0],  # inside, behind the wall between the doors
        ]
    )
    loss = layout.wall_loss(tags, ant, RADIO)
    assert loss.tolist() == [0.0, RADIO.trailer_loss_db, RADIO.wall_loss_db]


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=200))
def test_rounds_share_air_time(n_out: int, n_in: int) -> None:
    timing = AirTime()
    occupancy = np.tile(np.array([[n_out], [n_out], [n_in], [n_in]], dtype=float), (1, 50))
    schedule = build_schedule(occupancy, timing, 0, 0.5)
    starts = []
    for antenna in range(4):
        start, length = schedule.rounds(antenna, 0, 5_000_000)
        assert np.all(
            length == timing.round_overhead_us + timing.per_tag_us * occupancy[antenna, 0]
        )
        starts.append(np.stack([start, start + length], axis=1))
    spans = np.concatenate(starts)
    spans = spans[np.argsort(spans[:, 0])]
    assert np.all(spans[1:, 0] >= spans[:-1, 1] - 1)  # one antenna at a time
    cycle_us = sum(
        timing.round_overhead_us + timing.per_tag_us * n for n in (n_out, n_out, n_in, n_in)
    )
    assert abs(len(spans) / 4 - 5_000_000 / cycle_us) <= 2


@settings(deadline=None)
@given(
    st.floats(min_value=-0.6, max_value=0.6),
    st.floats(min_value=-0.5, max_value=0.5),
    st.floats(min_value=1.5, max_value=3.0),
    st.booleans(),
)
def test_crossing_time_is_when_the_tag_meets_the_wall(
    forward: float, left: float, speed: float, inward: bool
) -> None:
    trailer = np.array([[0.1, -10.0, 0.0]])
    turn = np.array([[0.1, 5.0, 0.0]])
    aisle = np.array([[15.0, 5.0, 0.0]])
    p0, p2 = (trailer, aisle) if inward else (aisle, trailer)
    motions = along_paths(
        pallet=np.array([0]),
        kind=CROSS,
        door=np.array([0]),
        direction=np.array([1 if inward else -1]),
        t0_us=np.array([1_000_000]),
        speed=np.array([speed]),
        points=(p0, turn, p2),
    )
    offset = np.array([[forward, left, 1.0]])
    m = np.array([0])
    t = crossing_time_us(motions, m, offset)
    centre, heading = motions.pose(m, t)
    tag = place_on_load(offset, centre, heading)
    assert abs(tag[0, 1]) < speed * 1e-6 + 1e-9
