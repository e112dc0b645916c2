"""`tagtrail cloud`: options, migrate and import."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from cloud.cli import settings_from
from cloud.settings import CloudSettings
from cloud.store import migrate
from cloud.store.engine import make_engine
from cloud.store.models import Item
from tagtrail.cli import build_parser, main
from tests.cloud.conftest import Database


def test_serve_options_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGTRAIL_HTTP_PORT", "7000")
    monkeypatch.setenv("TAGTRAIL_MQTT_URL", "mqtt://broker.env:1883")
    args = build_parser().parse_args(["cloud", "--port", "9001", "--db", "sqlite:///x.sqlite"])
    settings: CloudSettings = settings_from(args)
    assert (settings.http_port, settings.db_url) == (9001, "sqlite:///x.sqlite")
    assert settings.mqtt_url == "mqtt://broker.env:1883"
    assert args.handler.__name__ == "serve"


def test_migrate_brings_an_empty_database_to_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    assert main(["cloud", "migrate", "--db", url]) == 0
    assert "database at revision" in capsys.readouterr().out
    engine = make_engine(CloudSettings(_env_file=None, db_url=url))
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_import_reports_rows_and_exit_codes(
    database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,gtin\nA,\nB,123\n", encoding="utf-8")
    assert main(["cloud", "import", "items", str(bad), "--db", database.url]) == 1
    assert "row 3, column gtin: GTIN must be 8, 12, 13 or 14 digits" in capsys.readouterr().err
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 0
    assert main(["cloud", "--db", database.url, "import", "items", str(bad), "--partial"]) == 1
    assert "items: 1 created from 2 rows" in capsys.readouterr().out
    good = tmp_path / "good.csv"
    good.write_text("sku\nC\n", encoding="utf-8")
    assert main(["cloud", "import", "items", str(good), "--db", database.url]) == 0
    assert main(["cloud", "import", "items", str(tmp_path / "none.csv")]) == 2
