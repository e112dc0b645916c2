"""Track export: GeoJSON (RFC 7946) and GPX 1.1."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from cloud.domain.transit.geo import Fix
from cloud.domain.transit.report import Stop

GPX_NS = "http://www.topografix.com/GPX/1/1"


def iso(t: float) -> str:
    """Epoch seconds as an ISO 8601 UTC instant."""
    return datetime.fromtimestamp(t, tz=UTC).isoformat().replace("+00:00", "Z")


def geojson(
    fixes: Sequence[Fix], properties: dict[str, Any], stops: Sequence[Stop] = ()
) -> dict[str, Any]:
    """A FeatureCollection: the track as a LineString with its fix times, and its stops."""
    track = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[f.lon, f.lat] for f in fixes]},
        "properties": properties | {"kind": "track", "times": [iso(f.t) for f in fixes]},
    }
    return {"type": "FeatureCollection", "features": [track, *(_stop(s) for s in stops)]}


def _stop(stop: Stop) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [stop.lon, stop.lat]},
        "properties": {
            "kind": "stop", "start": iso(stop.start_t), "end": iso(stop.end_t),
            "minutes": round((stop.end_t - stop.start_t) / 60, 1),
        },
    }  # fmt: skip


def gpx(fixes: Sequence[Fix], name: str) -> str:
    """A GPX 1.1 document with one track of one segment."""
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", {"version": "1.1", "creator": "tagtrail"})
    track = ET.SubElement(root, f"{{{GPX_NS}}}trk")
    ET.SubElement(track, f"{{{GPX_NS}}}name").text = name
    segment = ET.SubElement(track, f"{{{GPX_NS}}}trkseg")
    for fix in fixes:
        point = ET.SubElement(segment, f"{{{GPX_NS}}}trkpt", _position(fix))
        ET.SubElement(point, f"{{{GPX_NS}}}time").text = iso(fix.t)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _position(fix: Fix) -> dict[str, str]:
    return {"lat": f"{fix.lat:.7f}", "lon": f"{fix.lon:.7f}"}
