"""Cloud service configuration: environment variables (TAGTRAIL_*) and an optional .env file."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from protocol.topics import TopicError, check_segment

# Only good enough for a developer's laptop; every other environment must set its own.
DEVELOPMENT_SECRET = "tagtrail-development-secret-do-not-use"  # noqa: S105
MIN_SECRET_LENGTH = 32

Environment = Literal["development", "production", "test"]


class CloudSettings(BaseSettings):
    """Everything the cloud service reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="TAGTRAIL_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        frozen=True,
    )

    environment: Environment = Field(
        "development", description="deployment kind; only development accepts default secrets"
    )
    db_url: str = Field(
        "sqlite:///var/tagtrail-cloud.sqlite",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    db_echo: bool = Field(False, description="log every SQL statement (debugging only)")
    db_pool_size: int = Field(5, ge=1, le=200, description="PostgreSQL connection pool size")
    db_busy_timeout_ms: int = Field(
        5000, ge=0, description="SQLite: how long a writer waits for the lock, milliseconds"
    )
    migrate_on_startup: bool = Field(
        True, description="run Alembic `upgrade head` when the service starts"
    )
    mqtt_url: str = Field("mqtt://127.0.0.1:1883", description="broker URL, mqtt://host:port")
    mqtt_group: str = Field(
        "tagtrail-cloud", description="MQTT 5 shared-subscription group the workers join"
    )
    mqtt_client_id: str | None = Field(
        None, description="MQTT client id; default tagtrail-cloud-<random> per worker"
    )
    http_host: str = Field("127.0.0.1", description="address the HTTP API listens on")
    http_port: int = Field(8000, ge=1, le=65535, description="TCP port of the HTTP API")
    secret_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET),
        description="key for signing webhooks and tokens; must be set outside development",
    )
    receiving_quiet_s: float = Field(
        10.0, gt=0, description="seconds without reads after which a receiving session closes"
    )
    over_receipt_tolerance_pct: float = Field(
        0.0, ge=0, le=100, description="received quantity above ordered accepted, percent"
    )
    shipping_quiet_s: float = Field(
        10.0, gt=0, description="seconds without reads after which a loading is verified"
    )
    shipment_auto_confirm: Literal["clean", "always", "never"] = Field(
        "clean",
        description="ship a verified loading at once: when clean, always, or never (by hand)",
    )
    watermark_grace_s: float = Field(
        0.0,
        ge=0,
        description="how far behind a gateway's reported watermark (decided_until) to stay, "
        "for gateways whose clocks jump",
    )
    close_settle_s: float = Field(
        0.5,
        ge=0,
        description="a quiet door closes once quiet this long in wall time too (lets workers "
        "sharing a subscription finish messages sent before the watermark)",
    )
    ingest_enabled: bool = Field(True, description="consume gateway messages from MQTT")
    ingest_sites: list[str] = Field(
        default=[], description="sites whose gateways this service consumes (empty: all)"
    )
    ingest_batch: int = Field(200, ge=1, le=5000, description="MQTT messages per transaction")
    ingest_inflight: int = Field(
        1000, ge=1, le=65535, description="unacknowledged MQTT messages the broker may send"
    )
    ingest_tick_s: float = Field(1.0, gt=0, description="how often quiet doors are closed")
    dead_letter_max_payload: int = Field(
        65536, ge=256, description="bytes of a rejected payload kept in the dead-letter table"
    )
    event_bus_buffer: int = Field(
        1000, ge=1, description="messages buffered per live-stream subscriber before dropping"
    )
    sse_keepalive_s: float = Field(
        15.0, gt=0, description="seconds between keep-alive comments on the live event stream"
    )
    page_max_limit: int = Field(500, ge=1, description="largest page size the API returns")
    import_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="largest CSV file the import endpoint accepts"
    )
    # Time-series copies for the Grafana dashboards (cloud/sinks/influx.py); off by default,
    # the SQL store keeps the history either way.
    influx_enabled: bool = Field(
        False, description="copy condition, position, portal and health events to InfluxDB"
    )
    influx_url: str = Field(
        "http://127.0.0.1:8086",
        pattern=r"^https?://[^/\s]+",
        description="InfluxDB 2 URL (any server of its v2 write API)",
    )
    influx_token: SecretStr = Field(SecretStr(""), description="InfluxDB API token (write)")
    influx_org: str = Field("tagtrail", min_length=1, description="InfluxDB organisation")
    influx_bucket: str = Field(
        "tagtrail", min_length=1, description="InfluxDB bucket the points go to"
    )
    influx_batch_size: int = Field(1000, ge=1, le=5000, description="points per write request")
    influx_flush_s: float = Field(
        1.0, gt=0, description="longest a point waits for its batch to fill, seconds"
    )
    influx_queue_max: int = Field(
        100_000, ge=1, description="points held while InfluxDB is away; the oldest go beyond"
    )
    influx_retry_max_s: float = Field(
        30.0, gt=0, description="longest pause between retries of a failed write, seconds"
    )
    influx_timeout_s: float = Field(10.0, gt=0, description="HTTP timeout of one write, seconds")

    # Web UI map (cloud/web): base map tiles; tracks, markers and geofences draw without them.
    map_tile_url: str = Field(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="tile URL template of the web UI's map ({z}/{x}/{y}, optional {s}); "
        "empty: no base map",
    )
    map_tile_attribution: str = Field(
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        description="credit shown for the tiles (HTML)",
    )

    # In-transit tracking (cloud/services/transit*.py): defaults a trip takes when it is bound.
    transit_dwell_s: float = Field(
        60.0, ge=0, description="seconds in (out of) a new geofence before an enter (exit) counts"
    )
    transit_stop_radius_m: float = Field(
        100.0, gt=0, description="fixes this close to where a vehicle stopped are the same stop"
    )
    transit_stop_alert_min: float = Field(
        30.0, gt=0, description="a stop outside every geofence longer than this alerts, minutes"
    )
    transit_off_route_m: float = Field(
        500.0, gt=0, description="further than this from the planned route is off route, metres"
    )
    transit_off_route_min: float = Field(
        10.0, gt=0, description="off route for longer than this alerts, minutes"
    )
    transit_offline_min: float = Field(
        15.0, gt=0, description="no fix for this long while under way alerts, minutes"
    )
    transit_late_grace_min: float = Field(
        15.0, ge=0, description="not arrived (or expected) this long after the due time alerts"
    )
    transit_speed_window_min: float = Field(
        20.0, gt=0, description="the ETA assumes the moving speed of this last stretch, minutes"
    )
    transit_default_speed_kmh: float = Field(
        60.0, gt=0, description="speed the ETA assumes before a vehicle has driven, km/h"
    )
    transit_detour_factor: float = Field(
        1.0, ge=1.0, description="road over great-circle distance, for trips without a route"
    )
    transit_min_stop_min: float = Field(
        3.0, gt=0, description="trips-and-stops report: shorter standstills are no stops, minutes"
    )
    transit_check_s: float = Field(
        30.0, gt=0, description="how often trips are checked for silent devices and lateness"
    )

    # Condition monitoring (cloud/services/conditions*.py) and alert notifications (cloud/notify).
    conditions_rules_file: str | None = Field(
        None,
        description="YAML file of condition alert rules loaded at startup; its rules replace "
        "those of an earlier load, rules made through the API stay",
    )
    conditions_check_s: float = Field(
        60.0, gt=0, description="how often the periodic check looks for silent sensors, seconds"
    )
    notify_webhook_url: str | None = Field(
        None, description="URL alert changes are POSTed to, signed with secret_key; none: off"
    )
    notify_mqtt: bool = Field(
        True, description="publish alert changes on each site's alert topic (mqtt_url)"
    )
    notify_queue: int = Field(
        1000, ge=1, description="alert changes held in memory per channel; the outbox keeps more"
    )
    notify_retries: int = Field(
        6, ge=0, description="retries of a failed delivery before it is given up (and logged)"
    )
    notify_backoff_s: float = Field(
        1.0, gt=0, description="first pause before a retry, doubled each time, seconds"
    )
    notify_backoff_max_s: float = Field(60.0, gt=0, description="longest pause between retries")
    notify_timeout_s: float = Field(10.0, gt=0, description="HTTP timeout of one webhook call")
    notify_poll_s: float = Field(
        1.0, gt=0, description="how often the notifier looks for new alert changes, seconds"
    )
    notify_lease_s: float = Field(
        300.0, gt=0, description="a change claimed by a worker that vanished is retried after"
    )

    @field_validator("db_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"mqtt", "mqtts", "tcp"} or not parts.hostname:
            raise ValueError("must look like mqtt://host:port")
        return value

    @field_validator("mqtt_group")
    @classmethod
    def _mqtt_group(cls, value: str) -> str:
        try:
            return check_segment("mqtt_group", value)
        except TopicError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _secret(self) -> CloudSettings:
        if self.environment == "development":
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET:
            raise ValueError(
                f"secret_key: the built-in development secret is refused in {self.environment}; "
                "set TAGTRAIL_SECRET_KEY"
            )
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"secret_key: use at least {MIN_SECRET_LENGTH} characters")
        return self

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is SQLite (single node) rather than PostgreSQL."""
        return self.db_url.startswith("sqlite")
