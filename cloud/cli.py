"""`tagtrail cloud`: run the service, migrate its database, import CSV files."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

KIND_NAMES = (
    "items",
    "partners",
    "sites",
    "locations",
    "gateways",
    "read_points",
    "purchase_orders",
    "asns",
    "shipments",
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `tagtrail cloud` and its subcommands."""
    cloud = commands.add_parser(
        "cloud", help="run the cloud service (API, ingest)", description=__doc__
    )
    _database_option(cloud, argparse.SUPPRESS)
    cloud.add_argument("--mqtt", dest="mqtt_url", help="broker URL (env TAGTRAIL_MQTT_URL)")
    cloud.add_argument("--host", dest="http_host", help="listen address (env TAGTRAIL_HTTP_HOST)")
    cloud.add_argument("--port", dest="http_port", type=int, help="HTTP port (TAGTRAIL_HTTP_PORT)")
    cloud.set_defaults(handler=serve)
    sub = cloud.add_subparsers(dest="cloud_command", metavar="SUBCOMMAND")
    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    _database_option(migrate, argparse.SUPPRESS)
    migrate.add_argument("--revision", default="head", help="upgrade target (default head)")
    migrate.set_defaults(handler=migrate_command)
    load = sub.add_parser("import", help="import a CSV file (header row first)")
    _database_option(load, argparse.SUPPRESS)
    load.add_argument("kind", choices=KIND_NAMES, help="what the file holds")
    load.add_argument("file", type=Path, help="CSV file, UTF-8")
    load.add_argument("--partial", action="store_true", help="keep good rows if some are bad")
    load.set_defaults(handler=import_command)


def _database_option(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--db", dest="db_url", default=default, help="database URL (env TAGTRAIL_DB_URL)"
    )


def settings_from(args: argparse.Namespace, **fixed: Any) -> Any:
    """CloudSettings from the environment, with the options given on the command line on top."""
    from cloud.settings import CloudSettings

    names = ("db_url", "mqtt_url", "http_host", "http_port")
    given = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    return CloudSettings(**given, **fixed)


def serve(args: argparse.Namespace) -> int:
    """Run the API (and background components) under uvicorn until interrupted."""
    import uvicorn

    from cloud.app import create_app

    settings = settings_from(args)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # keep the logging the tagtrail command set up
        timeout_graceful_shutdown=5,  # live streams never end by themselves
    )
    uvicorn.Server(config).run()
    return 0


def migrate_command(args: argparse.Namespace) -> int:
    """Upgrade the database schema (downgrades: alembic -c cloud/store/alembic.ini downgrade)."""
    from cloud.store import migrate
    from cloud.store.engine import make_engine

    engine = make_engine(settings_from(args))
    try:
        migrate.upgrade(engine, args.revision)
        print(f"database at revision {migrate.current_revision(engine)}")
    finally:
        engine.dispose()
    return 0


def import_command(args: argparse.Namespace) -> int:
    """Import one CSV file; print the rows that failed."""
    from cloud.masterdata.csvimport import CsvImportError, import_csv
    from cloud.masterdata.csvkinds import KINDS
    from cloud.store.engine import make_engine, make_session_factory

    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings_from(args))
    try:
        with make_session_factory(engine).begin() as session:
            result = import_csv(session, args.kind, KINDS[args.kind], text, partial=args.partial)
    except CsvImportError as exc:
        _print_problems(exc.message, exc.problems)
        return 1
    finally:
        engine.dispose()
    print(f"{args.kind}: {result.created} created from {result.rows} rows")
    _print_problems(f"{len(result.errors)} rows left out", result.errors)
    return 1 if result.errors else 0


def _print_problems(title: str, problems: Any) -> None:
    if not problems:
        return
    print(title, file=sys.stderr)
    for p in problems:
        column = f", column {p.column}" if p.column else ""
        print(f"  row {p.row}{column}: {p.message}", file=sys.stderr)
