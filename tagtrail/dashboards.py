"""`tagtrail dashboards provision`: the InfluxDB datasource and the dashboards into a Grafana.

Idempotent: the datasource, the folder and each dashboard have fixed UIDs, so a second run
updates what the first created. The dashboards query InfluxQL, which InfluxDB 2 answers
through its v1 query API for every bucket (a "virtual" DBRP mapping: database = bucket name).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DATASOURCE_UID = "tagtrail-influxdb"  # every panel and variable refers to it
DATASOURCE_NAME = "tagtrail InfluxDB"
FOLDER_UID = "tagtrail"
FOLDER_TITLE = "tagtrail"
DEFAULT_INFLUX_URL = "http://127.0.0.1:8086"


@dataclass(frozen=True)
class Target:
    """What to provision, and where the datasource points."""

    datasource_url: str
    influx_token: str
    bucket: str
    directory: Path
    folder: str = FOLDER_TITLE


def default_directory() -> Path:
    """The dashboards beside the source tree, else ./dashboards (the container's /app)."""
    beside = Path(__file__).resolve().parents[1] / "dashboards"
    return beside if beside.is_dir() else Path.cwd() / "dashboards"


def datasource(target: Target) -> dict[str, Any]:
    """Grafana's datasource model: InfluxQL over InfluxDB 2's v1 API, token in a header."""
    return {
        "uid": DATASOURCE_UID,
        "name": DATASOURCE_NAME,
        "type": "influxdb",
        "access": "proxy",
        "url": target.datasource_url,
        "database": target.bucket,
        "isDefault": False,
        "jsonData": {
            "version": "InfluxQL",
            "dbName": target.bucket,
            "httpMode": "GET",
            "httpHeaderName1": "Authorization",
            "timeInterval": "10s",
        },
        "secureJsonData": {"httpHeaderValue1": f"Token {target.influx_token}"},
    }


def load_dashboards(directory: Path) -> list[dict[str, Any]]:
    """Every dashboard JSON in the directory (not below it), in name order."""
    files = sorted(directory.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no dashboard JSON in {directory}")
    boards = []
    for path in files:
        board = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(board, dict) or not board.get("uid"):
            raise ValueError(f"{path}: not a dashboard with a uid")
        boards.append(board)
    return boards


def provision(api: Any, target: Target, say: Callable[[str], None] = print) -> None:
    """Create or update the datasource, the folder and every dashboard."""
    from grafana_client.client import GrafanaClientError

    body = datasource(target)
    try:
        api.datasource.get_datasource_by_uid(DATASOURCE_UID)
    except GrafanaClientError as exc:
        if exc.status_code != 404:
            raise
        api.datasource.create_datasource(body)
        say(f"datasource {DATASOURCE_UID}: created ({target.datasource_url})")
    else:
        api.datasource.update_datasource_by_uid(DATASOURCE_UID, body)
        say(f"datasource {DATASOURCE_UID}: updated ({target.datasource_url})")
    _folder(api, target.folder, say)
    for board in load_dashboards(target.directory):
        payload = {
            "dashboard": {**board, "id": None},  # matched by uid, so a rerun overwrites it
            "folderUid": FOLDER_UID,
            "overwrite": True,
            "message": "provisioned by tagtrail dashboards provision",
        }
        result = api.dashboard.update_dashboard(payload)
        say(f"dashboard {board['uid']}: {result.get('status', 'saved')} {result.get('url', '')}")


def _folder(api: Any, title: str, say: Callable[[str], None]) -> None:
    from grafana_client.client import GrafanaClientError

    try:
        api.folder.get_folder(FOLDER_UID)
    except GrafanaClientError as exc:
        if exc.status_code != 404:
            raise
        api.folder.create_folder(title, uid=FOLDER_UID)
        say(f"folder {FOLDER_UID}: created")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `tagtrail dashboards provision`."""
    parser = commands.add_parser(
        "dashboards", help="Grafana dashboards of the time series", description=__doc__
    )
    sub = parser.add_subparsers(dest="dashboards_command", metavar="SUBCOMMAND", required=True)
    run = sub.add_parser("provision", help="create or update the datasource and dashboards")
    run.add_argument("--url", required=True, help="Grafana URL, e.g. http://localhost:3000")
    auth = run.add_mutually_exclusive_group()
    auth.add_argument("--token", help="service account token (env GRAFANA_TOKEN)")
    auth.add_argument("--user", help="user for basic auth; password from env GRAFANA_PASSWORD")
    run.add_argument(
        "--datasource-url",
        help="InfluxDB URL as Grafana reaches it (env TAGTRAIL_INFLUX_URL, "
        f"default {DEFAULT_INFLUX_URL})",
    )
    run.add_argument("--influx-token", help="InfluxDB read token (env TAGTRAIL_INFLUX_TOKEN)")
    run.add_argument("--bucket", help="InfluxDB bucket (env TAGTRAIL_INFLUX_BUCKET, tagtrail)")
    run.add_argument("--dir", type=Path, help="dashboard JSON directory (default dashboards/)")
    run.add_argument("--timeout", type=float, default=10.0, help="HTTP timeout, seconds")
    run.set_defaults(handler=provision_command)


def provision_command(args: argparse.Namespace) -> int:
    """Handler of `tagtrail dashboards provision`."""
    from grafana_client.api import GrafanaApi
    from grafana_client.client import GrafanaException

    credential = _credential(args)
    env = os.environ
    target = Target(
        datasource_url=args.datasource_url or env.get("TAGTRAIL_INFLUX_URL", DEFAULT_INFLUX_URL),
        influx_token=args.influx_token or env.get("TAGTRAIL_INFLUX_TOKEN", ""),
        bucket=args.bucket or env.get("TAGTRAIL_INFLUX_BUCKET", "tagtrail"),
        directory=args.dir or default_directory(),
    )
    if not target.influx_token:
        log.warning("no InfluxDB token (--influx-token, TAGTRAIL_INFLUX_TOKEN): queries will fail")
    api = GrafanaApi.from_url(args.url, credential=credential, timeout=args.timeout)
    try:
        provision(api, target)
    except (GrafanaException, OSError, ValueError) as exc:
        log.error("provisioning %s failed: %s", args.url, exc)  # noqa: TRY400 (no traceback)
        return 1
    return 0


def _credential(args: argparse.Namespace) -> str | tuple[str, str] | None:
    if args.user:
        return (args.user, os.environ.get("GRAFANA_PASSWORD", ""))
    token: str | None = args.token or os.environ.get("GRAFANA_TOKEN")
    return token
