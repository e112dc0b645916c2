"""MQTT ingest: validate gateway messages, dead-letter bad ones, apply each event exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloud.container import ServiceContainer
    from cloud.ingest.consumer import MqttIngest
    from cloud.ingest.handler import IngestRules
    from cloud.settings import CloudSettings


def rules_from(settings: CloudSettings) -> IngestRules:
    """The domain rules the settings ask for."""
    from cloud.ingest.handler import IngestRules
    from cloud.services.inbound import ReceivingRules
    from cloud.services.outbound import ShippingRules

    return IngestRules(
        receiving=ReceivingRules(
            quiet=timedelta(seconds=settings.receiving_quiet_s),
            tolerance_pct=settings.over_receipt_tolerance_pct,
        ),
        shipping=ShippingRules(
            quiet=timedelta(seconds=settings.shipping_quiet_s),
            auto_confirm=settings.shipment_auto_confirm,
        ),
        watermark_grace=timedelta(seconds=settings.watermark_grace_s),
        dead_letter_max=settings.dead_letter_max_payload,
        settle=timedelta(seconds=settings.close_settle_s),
    )


def mqtt_ingest(container: ServiceContainer) -> MqttIngest:
    """Component factory: the MQTT consumer with its handler, for `create_app`."""
    from cloud.ingest.consumer import MqttIngest
    from cloud.ingest.handler import IngestHandler

    handler = IngestHandler(container, rules_from(container.settings))
    return MqttIngest(container.settings, handler, container.bus, container.sinks)
