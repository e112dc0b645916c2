"""`tagtrail track FILE.nmea`: a GPS receiver's log as a track, in GeoJSON or GPX 1.1.

The log goes through the vehicle gateway's own GPS pipeline (the same filters and reporting
policy, set by the same options), so the track is what a gateway would have sent. What was
rejected, and why, is reported on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge.gps.config import GpsConfig
    from protocol.messages import PositionFix

GPX_NS = "http://www.topografix.com/GPX/1/1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
TPX_NS = "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"  # speed and course
CHUNK_BYTES = 1 << 16


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `track` subcommand."""
    p = commands.add_parser(
        "track",
        help="turn a GPS receiver log (NMEA) into a GeoJSON or GPX track",
        description=(
            "Read an NMEA 0183 log, filter and thin its fixes as a vehicle gateway does, and"
            " print the track as GeoJSON (a LineString feature) or GPX 1.1. Rejected fixes and"
            " bad lines are counted per reason on stderr."
        ),
    )
    p.add_argument("file", type=Path, help="NMEA log ('#' lines are comments)")
    p.add_argument("--format", choices=["geojson", "gpx"], default="geojson", help="output")
    p.add_argument("--out", "-o", type=Path, help="write the track here (default stdout)")
    p.add_argument("--device", help="device name in the track (default from the file name)")
    p.add_argument("--every-s", type=float, help="report at least this often (gateway: 30)")
    p.add_argument("--every-m", type=float, help="or after moving this far (gateway: 200)")
    p.add_argument("--turn-deg", type=float, help="or on a turn this sharp (gateway: 30)")
    p.add_argument("--max-speed", type=float, help="faster fixes are jumps, m/s (gateway: 60)")
    p.set_defaults(handler=_run, default_log_level="WARNING")


@dataclass
class Track:
    """The reported fixes of one log and what was counted on the way."""

    device: str
    source: str
    fixes: list[PositionFix] = field(default_factory=list)
    lines: Counter[str] = field(default_factory=Counter)  # used, other, comment, bad reasons
    rejected: Counter[str] = field(default_factory=Counter)
    epochs: int = 0
    accepted: int = 0


def read_track(path: Path, config: GpsConfig, *, now_ms: int | None = None) -> Track:
    """Run a log through the GPS pipeline; fixes after now_ms (default: now) are future."""
    from edge.gps.pipeline import GpsPipeline

    pipeline = GpsPipeline(config, "track")
    now = int(time.time() * 1000) if now_ms is None else now_ms
    track = Track(device=config.name, source=path.name)
    with path.open("rb") as log:
        while chunk := log.read(CHUNK_BYTES):
            track.fixes += pipeline.feed(chunk, now)
    track.fixes += pipeline.finish(now)
    track.lines = Counter(pipeline.decoder.counts)
    track.rejected = Counter(pipeline.rejected)
    track.epochs, track.accepted = pipeline.epochs_total, pipeline.filter.accepted
    return track


def length_m(fixes: list[PositionFix]) -> float:
    """Length of the track along its fixes (geodesics on WGS 84)."""
    from edge.gps.filters import GEOD

    if len(fixes) < 2:
        return 0.0
    return float(GEOD.line_length([f.lon for f in fixes], [f.lat for f in fixes]))


def to_geojson(track: Track) -> dict[str, Any]:
    """The track as a GeoJSON Feature: a LineString with per-point times and speeds."""
    fixes = track.fixes
    coordinates = [[f.lon, f.lat] for f in fixes]
    geometry: dict[str, Any] | None = None
    if len(fixes) >= 2:
        geometry = {"type": "LineString", "coordinates": coordinates}
    elif fixes:
        geometry = {"type": "Point", "coordinates": coordinates[0]}
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "device": track.device,
            "source": track.source,
            "start": _iso(fixes[0].time_ms) if fixes else None,
            "end": _iso(fixes[-1].time_ms) if fixes else None,
            "fixes": len(fixes),
            "length_m": round(length_m(fixes), 1),
            "coordTimes": [_iso(f.time_ms) for f in fixes],
            "speed_mps": [f.speed_mps for f in fixes],
            "heading_deg": [f.heading_deg for f in fixes],
            "rejected": dict(sorted(track.rejected.items())),
            "bad_lines": dict(sorted(_bad(track).items())),
        },
    }


def to_gpx(track: Track) -> bytes:
    """The track as a GPX 1.1 document (speed and course in Garmin's TrackPointExtension)."""
    ET.register_namespace("", GPX_NS)
    ET.register_namespace("gpxtpx", TPX_NS)
    ET.register_namespace("xsi", XSI_NS)
    root = ET.Element(_g("gpx"), {"version": "1.1", "creator": "tagtrail track"})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{GPX_NS} {GPX_NS}/gpx.xsd")
    metadata = ET.SubElement(root, _g("metadata"))
    ET.SubElement(metadata, _g("name")).text = f"{track.device} ({track.source})"
    if track.fixes:
        ET.SubElement(metadata, _g("time")).text = _iso(track.fixes[0].time_ms)
    trk = ET.SubElement(root, _g("trk"))
    ET.SubElement(trk, _g("name")).text = track.device
    segment = ET.SubElement(trk, _g("trkseg"))
    for fix in track.fixes:
        _trkpt(segment, fix)
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def _trkpt(segment: ET.Element, fix: PositionFix) -> None:
    point = ET.SubElement(segment, _g("trkpt"), {"lat": f"{fix.lat:.7f}", "lon": f"{fix.lon:.7f}"})
    ET.SubElement(point, _g("time")).text = _iso(fix.time_ms)
    if fix.satellites is not None:
        ET.SubElement(point, _g("sat")).text = str(fix.satellites)
    if fix.hdop is not None:
        ET.SubElement(point, _g("hdop")).text = f"{fix.hdop:g}"
    if fix.speed_mps is None and fix.heading_deg is None:
        return
    extension = ET.SubElement(ET.SubElement(point, _g("extensions")), _t("TrackPointExtension"))
    if fix.speed_mps is not None:
        ET.SubElement(extension, _t("speed")).text = f"{fix.speed_mps:g}"
    if fix.heading_deg is not None:
        ET.SubElement(extension, _t("course")).text = f"{fix.heading_deg:g}"


def summary(track: Track) -> str:
    """One paragraph for stderr: lines, bad lines and rejected fixes per reason."""
    bad = _bad(track)
    return (
        f"{track.source}: {track.lines['used'] + track.lines['other']} sentences"
        f" ({track.lines['used']} used), {bad.total()} bad lines{_reasons(bad)};"
        f" {track.epochs} fixes: {track.accepted} accepted,"
        f" {track.rejected.total()} rejected{_reasons(track.rejected)};"
        f" {len(track.fixes)} reported, {length_m(track.fixes) / 1000:.1f} km"
    )


def _run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    try:
        config = _config(args)
        track = read_track(args.file, config)
    except ValidationError as exc:
        return _fail(f"bad option: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", 2)
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror or exc}", 2)
    if args.format == "gpx":
        output = to_gpx(track)
    else:
        output = (json.dumps(to_geojson(track), separators=(",", ":")) + "\n").encode()
    try:
        _write(output, args.out)
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc.strerror or exc}", 1)
    print(summary(track), file=sys.stderr)
    return 0


def _config(args: argparse.Namespace) -> GpsConfig:
    from edge.gps.config import GpsConfig

    options = {
        "report_every_s": args.every_s,
        "report_every_m": args.every_m,
        "heading_change_deg": args.turn_deg,
        "max_speed_mps": args.max_speed,
    }
    chosen = {key: value for key, value in options.items() if value is not None}
    device = args.device or _device_name(args.file)
    return GpsConfig(name=device, port=str(args.file), **chosen)


def _device_name(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.:-]+", "-", path.stem).strip("-_.:")[:64]
    return name or "gps"


def _write(output: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(output)
        sys.stdout.flush()
    else:
        out.write_bytes(output)


def _fail(message: str, code: int) -> int:
    print(f"tagtrail track: error: {message}", file=sys.stderr)
    return code


def _bad(track: Track) -> Counter[str]:
    from edge.gps.nmea import BAD_REASONS

    return Counter({r: track.lines[r] for r in BAD_REASONS if track.lines[r]})


def _reasons(counts: Counter[str]) -> str:
    if not counts:
        return ""
    return " (" + ", ".join(f"{k} {v}" for k, v in counts.most_common()) + ")"


def _iso(time_ms: int) -> str:
    when = dt.datetime.fromtimestamp(time_ms / 1000, tz=dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _g(tag: str) -> str:
    return f"{{{GPX_NS}}}{tag}"


def _t(tag: str) -> str:
    return f"{{{TPX_NS}}}{tag}"
