"""The MQTT topic tree: every topic and subscription filter is built here and nowhere else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ROOT = "tagtrail"
VERSION_SEGMENT = "v1"
CLOUD_SEGMENT = "_cloud"  # never a gateway id (those start with a letter or digit)
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Kind(StrEnum):
    """What a message on a gateway topic carries."""

    PORTAL = "portal"
    PRESENCE = "presence"
    CONDITION = "condition"
    POSITION = "position"
    HEALTH = "health"
    STATUS = "status"
    ALERT = "alert"


class TopicError(ValueError):
    """A topic or topic segment that does not fit the tree."""


def check_segment(name: str, value: str) -> str:
    """Return value if it is a valid site or gateway id, else raise TopicError naming it."""
    if not _SEGMENT.match(value):
        raise TopicError(
            f"{name} {value!r} is not a valid id: use 1-64 letters, digits, '_', '.', '-', "
            "starting with a letter or digit"
        )
    return value


@dataclass(frozen=True, slots=True)
class GatewayTopic:
    """A parsed gateway topic."""

    site: str
    gateway: str
    kind: Kind

    def __str__(self) -> str:
        return gateway_topic(self.site, self.gateway, self.kind)


def gateway_topic(site: str, gateway: str, kind: Kind) -> str:
    """Topic for one gateway's messages of one kind."""
    check_segment("site", site)
    check_segment("gateway", gateway)
    return f"{ROOT}/{VERSION_SEGMENT}/{site}/{gateway}/{kind.value}"


def status_topic(site: str, gateway: str) -> str:
    """Retained availability topic (birth and last will) of one gateway."""
    return gateway_topic(site, gateway, Kind.STATUS)


def site_alert_topic(site: str) -> str:
    """Topic the cloud publishes a site's alerts on."""
    check_segment("site", site)
    return f"{ROOT}/{VERSION_SEGMENT}/{site}/{CLOUD_SEGMENT}/{Kind.ALERT.value}"


def from_cloud(topic: str) -> bool:
    """Whether topic is one the cloud itself publishes on (its consumer skips those)."""
    parts = topic.split("/")
    return len(parts) == 5 and parts[0] == ROOT and parts[3] == CLOUD_SEGMENT


def subscription(kind: Kind | None = None, site: str | None = None) -> str:
    """Subscription filter for one kind (or all) across all gateways of one site (or all)."""
    site_part = check_segment("site", site) if site else "+"
    kind_part = kind.value if kind else "+"
    return f"{ROOT}/{VERSION_SEGMENT}/{site_part}/+/{kind_part}"


def shared_subscription(group: str, topic_filter: str) -> str:
    """MQTT 5 shared subscription so that several workers split one stream."""
    check_segment("group", group)
    return f"$share/{group}/{topic_filter}"


def parse(topic: str) -> GatewayTopic:
    """Parse a gateway topic; raise TopicError with the reason if it is not one."""
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != ROOT:
        raise TopicError(f"topic {topic!r} is not {ROOT}/<version>/<site>/<gateway>/<kind>")
    if parts[1] != VERSION_SEGMENT:
        raise TopicError(f"topic {topic!r} has unsupported version segment {parts[1]!r}")
    try:
        kind = Kind(parts[4])
    except ValueError:
        raise TopicError(f"topic {topic!r} has unknown kind {parts[4]!r}") from None
    return GatewayTopic(check_segment("site", parts[2]), check_segment("gateway", parts[3]), kind)
