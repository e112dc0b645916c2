"""Service settings: defaults, environment variables, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from cloud.settings import DEVELOPMENT_SECRET, CloudSettings

GOOD_SECRET = "s" * 40


def test_development_defaults_are_usable() -> None:
    settings = CloudSettings(_env_file=None)
    assert settings.environment == "development"
    assert settings.is_sqlite
    assert settings.secret_key.get_secret_value() == DEVELOPMENT_SECRET
    assert settings.receiving_quiet_s == 10.0


@pytest.mark.parametrize("environment", ["production", "test"])
def test_default_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="TAGTRAIL_SECRET_KEY"):
        CloudSettings(_env_file=None, environment=environment)


def test_short_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        CloudSettings(_env_file=None, environment="production", secret_key="short")


def test_environment_variables_and_env_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TAGTRAIL_HTTP_PORT=9001\nTAGTRAIL_MQTT_GROUP=workers\n")
    monkeypatch.setenv("TAGTRAIL_ENVIRONMENT", "production")
    monkeypatch.setenv("TAGTRAIL_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("TAGTRAIL_DB_URL", "postgresql+psycopg://u@db/tagtrail")
    settings = CloudSettings(_env_file=env_file)
    assert (settings.http_port, settings.mqtt_group) == (9001, "workers")
    assert not settings.is_sqlite


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("db_url", "mysql://x/y", "sqlite:/// or postgresql"),
        ("mqtt_url", "http://broker", "mqtt://host:port"),
        ("mqtt_group", "has/slash", "not a valid id"),
        ("receiving_quiet_s", 0, "greater than 0"),
        ("over_receipt_tolerance_pct", 150, "less than or equal to 100"),
        ("surprise", 1, "Extra inputs are not permitted"),
    ],
)
def test_bad_values_are_refused_naming_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        CloudSettings.model_validate({field: value})
    assert field in str(caught.value)


def test_every_field_is_described() -> None:
    assert all(f.description for f in CloudSettings.model_fields.values())
