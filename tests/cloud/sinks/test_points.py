"""Line protocol of wire events: escaping, field types, absent readings, portal timestamps."""

from __future__ import annotations

from cloud.sinks.points import NS_PER_MS, SCHEMA, line, to_lines
from protocol.ids import make_event_id
from protocol.messages import PresenceEvent, PresenceState
from protocol.topics import Kind
from tests.cloud.sinks.events import condition, crossing, fix, recent_ms, report, topic

T = 1_700_000_000_000


def test_line_escapes_and_types() -> None:
    text = line("my m,x", {"z": "a b", "a": "c=d,e"}, {"f 1": 2.5, "n": 3, "ok": True}, 7)
    assert text == r"my\ m\,x,a=c\=d\,e,z=a\ b f\ 1=2.5,n=3i,ok=1i 7"


def test_line_without_fields_is_empty() -> None:
    assert line("m", {"a": "b"}, {"x": None}, 1) == ""


def test_condition_leaves_absent_humidity_out() -> None:
    [text] = to_lines(topic(Kind.CONDITION), [condition("probe-1", T, 4.5)])
    assert text == (
        "condition,gateway=gw1,sensor=probe-1,site=dc1 "
        f"temp_min=3.5,temp_max=5.5,temp_mean=4.5,count=12i,bad=1i {T * NS_PER_MS}"
    )


def test_position_fields() -> None:
    [text] = to_lines(topic(Kind.POSITION), [fix("gps", T, 52.5, 13.25, 22.0)])
    assert text.startswith("position,device=gps,gateway=gw1,site=dc1 lat=52.5,lon=13.25,speed=22.0")
    assert "satellites=9i" in text


def test_health_has_a_gateway_point_and_one_per_reader() -> None:
    lines = to_lines(topic(Kind.HEALTH), [report(T, 3, {"r1": 120.5, "r2": 0.0})])
    assert [text.split(" ")[0] for text in lines] == [
        "gateway,gateway=gw1,site=dc1",
        "reader,gateway=gw1,reader=r1,site=dc1",
        "reader,gateway=gw1,reader=r2,site=dc1",
    ]
    assert "outbox_depth=3i" in lines[0]
    assert "reads_per_s=120.5" in lines[1]
    assert "connected=1i" in lines[1]


def test_portal_points_in_one_millisecond_stay_apart_and_repeat_identically() -> None:
    events = [crossing(n, "d1", "in", T) for n in range(50)]
    stamps = [int(text.rsplit(" ", 1)[1]) for text in to_lines(topic(Kind.PORTAL), events)]
    assert len(set(stamps)) == 50
    assert all(T * NS_PER_MS <= s < (T + 1) * NS_PER_MS for s in stamps)
    assert to_lines(topic(Kind.PORTAL), events) == to_lines(topic(Kind.PORTAL), events)


def test_kinds_without_a_measurement_write_nothing() -> None:
    presence = PresenceEvent(
        id=make_event_id("x"), epc="3034AAAA", state=PresenceState.ARRIVED, zone="z", time_ms=T
    )
    assert to_lines(topic(Kind.PRESENCE), [presence]) == []


def test_every_field_written_is_in_the_schema() -> None:
    at = recent_ms()
    written = to_lines(topic(Kind.CONDITION), [condition("s", at, 4.0, 60.0)])
    written += to_lines(topic(Kind.POSITION), [fix("g", at, 1.0, 2.0, 3.0)])
    written += to_lines(topic(Kind.PORTAL), [crossing(1, "d1", "out", at)])
    written += to_lines(topic(Kind.HEALTH), [report(at, 0, {"r": 1.0})])
    for text in written:
        series, fields, _ = text.split(" ")
        measurement, *tags = series.split(",")
        tag_keys, field_keys = SCHEMA[measurement]
        assert {t.split("=")[0] for t in tags} == set(tag_keys)
        assert {f.split("=")[0] for f in fields.split(",")} == set(field_keys)
