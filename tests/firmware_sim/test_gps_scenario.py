"""GPS scenarios: deterministic, physically plausible, well-formed NMEA, truth that adds up."""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
import re
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from firmware_sim.gps.drive import DriveParams, geometry
from firmware_sim.gps.faults import FaultRates
from firmware_sim.gps.routes import ROAD_KMH, ROUTES
from firmware_sim.gps.scenario import GpsScenario, build_gps, write_log, write_truth

GEOD = Geod(ellps="WGS84")
SENTENCE = re.compile(rb"^\$([A-Z]{5}),([^*]*)\*([0-9A-F]{2})\r$")


@pytest.fixture(scope="module")
def long_haul() -> GpsScenario:
    return build_gps("hamburg-hannover", 7)


@pytest.fixture(scope="module")
def clean_ruhr() -> GpsScenario:
    return build_gps("duisburg-dortmund", 3, faults=FaultRates.none())


def test_same_seed_same_scenario_other_seed_other_drive() -> None:
    a, b = build_gps("hamburg-port-shuttle", 5), build_gps("hamburg-port-shuttle", 5)
    c = build_gps("hamburg-port-shuttle", 6)
    assert a.epochs == b.epochs
    assert a.truth.document() == b.truth.document()
    assert a.epochs != c.epochs
    assert a.truth.destination.arrival_ms != c.truth.destination.arrival_ms


def test_routes_join_named_sites_tens_of_km_apart() -> None:
    for route in ROUTES.values():
        assert route.origin.name
        assert route.destination.name
        names = [w.name for w in route.waypoints if w.name]
        assert len(names) == len(set(names))
        assert geometry(route).length_m > 10_000
    assert geometry(ROUTES["hamburg-hannover"]).length_m > 150_000
    assert any(w.tunnel for w in ROUTES["hamburg-hannover"].waypoints)
    assert any(w.dwell_s for w in ROUTES["hamburg-hannover"].waypoints)


def test_every_sentence_is_well_formed_at_one_hertz_of_utc(clean_ruhr: GpsScenario) -> None:
    start = clean_ruhr.start
    for k, data in enumerate(clean_ruhr.epochs):
        lines = data.split(b"\n")
        assert lines[-1] == b""
        kinds = []
        for text in lines[:-1]:
            match = SENTENCE.match(text)
            assert match is not None, text
            body = text[1 : text.index(b"*")]
            assert functools.reduce(operator.xor, body, 0) == int(match[3], 16)
            kinds.append(match[1])
        assert kinds == [b"GNRMC", b"GNVTG", b"GNGGA"]
        when = start + dt.timedelta(seconds=k)
        rmc_fields = lines[0].split(b",")
        assert rmc_fields[1] == when.strftime("%H%M%S.00").encode()
        assert rmc_fields[9] == when.strftime("%d%m%y").encode()


def test_the_truck_drives_like_a_truck(long_haul: GpsScenario) -> None:
    truth, params = long_haul.truth, DriveParams()
    speed = truth.speed_mps
    assert speed.max() <= ROAD_KMH["highway"] * 1.02 / 3.6 + 0.01
    acceleration = np.diff(speed)  # per second
    assert acceleration.max() <= params.accel_mps2 + 1e-6
    assert acceleration.min() >= -params.brake_mps2 - 1e-6
    moving = speed > 1.0
    assert 60.0 < speed[moving].mean() * 3.6 < 90.0  # mostly motorway
    assert (speed[moving] < 40 / 3.6).any()  # but streets, corners and slowdowns too


def test_positions_follow_the_speed(long_haul: GpsScenario) -> None:
    truth = long_haul.truth
    _, _, step = GEOD.inv(truth.lon[:-1], truth.lat[:-1], truth.lon[1:], truth.lat[1:])
    travelled = (truth.speed_mps[:-1] + truth.speed_mps[1:]) / 2.0
    assert np.abs(np.asarray(step) - travelled).max() < 3.0  # corners cut a little
    assert float(np.sum(step)) == pytest.approx(truth.length_m, rel=0.002)


def test_stops_arrivals_and_the_rest_stop(long_haul: GpsScenario) -> None:
    truth = long_haul.truth
    arrivals = [a.arrival_ms for a in truth.arrivals]
    assert arrivals == sorted(arrivals)
    assert truth.arrivals[0].name == "DC Hamburg-Bahrenfeld"
    rest = next(a for a in truth.arrivals if a.name == "Rest area Allertal")
    assert rest.departure_ms - rest.arrival_ms == pytest.approx(900_000, abs=2000)
    standing = truth.speed_mps[truth.index(rest.arrival_ms) + 1 : truth.index(rest.departure_ms)]
    assert standing.max() == 0.0
    end = truth.destination
    assert end.name == "DC Lehrte"
    assert truth.time_ms[-1] - end.arrival_ms == pytest.approx(60_000, abs=1000)
    lat, lon = truth.position(end.arrival_ms)
    there = ROUTES["hamburg-hannover"].destination
    assert GEOD.inv(lon, lat, there.lon, there.lat)[2] < 1.0
    assert {cause for _, _, cause in truth.stops} >= {"departure", "destination"}


def test_no_fix_while_acquiring_and_in_the_tunnel(long_haul: GpsScenario) -> None:
    truth = long_haul.truth
    causes = [cause for _, _, cause in truth.gaps]
    assert causes[0] == "acquisition"
    assert any(c.startswith("tunnel") for c in causes)
    north = next(a for a in truth.arrivals if a.name == "Elbtunnel north portal")
    south = next(a for a in truth.arrivals if a.name == "Elbtunnel south portal")
    inside = slice(truth.index(north.arrival_ms) + 1, truth.index(south.arrival_ms) + 1)
    assert not truth.fix[inside].any()
    assert truth.fix.sum() + (~truth.fix).sum() == len(truth.time_ms)
    tunnel_rmc = long_haul.epochs[truth.index(north.arrival_ms) + 5].split(b"\r\n")[0]
    assert tunnel_rmc.split(b",")[2] == b"V"


def test_receiver_error_is_a_few_metres(clean_ruhr: GpsScenario) -> None:
    truth = clean_ruhr.truth
    errors = []
    for k, data in enumerate(clean_ruhr.epochs):
        fields = data.split(b"\r\n")[2].split(b",")  # GGA
        if fields[6] == b"0":
            continue
        lat = _degrees(fields[2], fields[3])
        lon = _degrees(fields[4], fields[5])
        errors.append(GEOD.inv(lon, lat, truth.lon[k], truth.lat[k])[2])
    rms = float(np.sqrt(np.mean(np.square(errors))))
    assert 1.5 < rms < 5.0  # two components of about 2 m each
    assert max(errors) < 15.0


def _degrees(value: bytes, hemisphere: bytes) -> float:
    text = value.decode()
    dot = text.index(".")
    degrees = float(text[: dot - 2]) + float(text[dot - 2 :]) / 60.0
    return -degrees if hemisphere in (b"S", b"W") else degrees


def test_faults_are_injected_and_recorded(long_haul: GpsScenario) -> None:
    faults = long_haul.truth.faults
    assert set(faults) == {"bad_checksum", "partial", "garbage", "spike", "zero", "duplicate"}
    assert sum(len(v) for v in faults.values()) > 20
    clean = build_gps("hamburg-hannover", 7, faults=FaultRates.none())
    assert sum(len(v) for v in clean.truth.faults.values()) == 0
    changed = [
        int(long_haul.truth.time_ms[k])
        for k, (a, b) in enumerate(zip(long_haul.epochs, clean.epochs, strict=True))
        if a != b
    ]
    assert changed == sorted(t for times in faults.values() for t in times)


def test_log_and_truth_files(long_haul: GpsScenario, tmp_path: Path) -> None:
    log = write_log(long_haul, tmp_path / "drive.nmea")
    truth = json.loads(write_truth(long_haul, tmp_path / "truth.json").read_text())
    text = log.read_bytes()
    assert text.startswith(b"# Name: tagtrail emulated receiver\n")
    assert text.endswith(long_haul.nmea())
    assert truth["route"] == "hamburg-hannover"
    assert len(truth["trajectory"]) == len(long_haul.epochs)
    assert truth["fields"] == ["time_ms", "lat", "lon", "speed_mps", "heading_deg", "fix"]
    assert truth["arrivals"][-1]["name"] == "DC Lehrte"
