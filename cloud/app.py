"""The cloud service as a FastAPI app; its lifespan owns engine, ledger, bus and components."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI

from cloud import web
from cloud.api import (
    catalog,
    conditions,
    deadletters,
    events,
    imports,
    operations,
    orders,
    places,
    stock,
    system,
    transit,
)
from cloud.api.errors import install_error_handlers
from cloud.api.middleware import MetricsMiddleware
from cloud.container import BackgroundComponent, ComponentFactory, ServiceContainer
from cloud.events import EventBus
from cloud.ledger.ledger import Ledger
from cloud.metrics import Metrics
from cloud.settings import CloudSettings
from cloud.sinks import sinks_from
from cloud.store import migrate
from cloud.store.engine import make_engine, make_session_factory, read_only
from tagtrail import __version__

log = logging.getLogger(__name__)

ROUTERS: tuple[APIRouter, ...] = (
    catalog.items,
    catalog.partners,
    places.sites,
    places.locations,
    places.gateways,
    places.read_points,
    orders.purchase_orders,
    orders.asns,
    orders.shipments_router,
    stock.router,
    deadletters.router,
    imports.router,
    events.router,
    system.router,
    *operations.ROUTERS,
    *conditions.ROUTERS,
    *transit.ROUTERS,
)
TAGS = [
    {"name": "items", "description": "Products, identified by SKU and GTIN."},
    {"name": "partners", "description": "Suppliers, customers and carriers."},
    {"name": "sites", "description": "Places with gateways; the site segment of MQTT topics."},
    {"name": "locations", "description": "The location tree stock moves through."},
    {"name": "gateways", "description": "Edge gateways, their availability and health."},
    {"name": "read points", "description": "Doors of gateways and the docks behind them."},
    {"name": "purchase orders", "description": "What was ordered from suppliers."},
    {"name": "ASNs", "description": "Announced deliveries: pallets (SSCC) and contents."},
    {"name": "shipments", "description": "Outbound loads and their expected EPCs."},
    {"name": "stock", "description": "Stock on hand, in transit, EPC history, moves."},
    {"name": "dead letters", "description": "Input the ingest could not use."},
    {"name": "import", "description": "CSV import with row-level errors."},
    {"name": "events", "description": "Live event stream (Server-Sent Events)."},
    {"name": "system", "description": "Health, readiness, metrics."},
    {"name": "receiving", "description": "Receiving sessions at doors and their goods receipts."},
    {"name": "alerts", "description": "Alerts: open, acknowledged by whom, cleared."},
    {"name": "tags", "description": "What is known about individual tags."},
    {"name": "conditions", "description": "Sensors, condition history, MKT, excursions."},
    {"name": "alert rules", "description": "Condition alert rules (YAML file or API)."},
    {"name": "transit", "description": "Vehicles, geofences, shipments in transit, tracks."},
]


def default_components(settings: CloudSettings) -> list[ComponentFactory]:
    """Background components `tagtrail cloud` runs: the MQTT ingest unless switched off, the
    transit watch (silent vehicles, late trips), the condition watch (rules file, silent
    sensors) and the alert notifier (webhook, MQTT)."""
    from cloud.ingest import mqtt_ingest
    from cloud.notify.notifier import alert_notifier
    from cloud.services.condition_check import condition_watch
    from cloud.services.transit_watch import transit_watch

    ingest = [mqtt_ingest] if settings.ingest_enabled else []
    return [*ingest, transit_watch, condition_watch, alert_notifier]


@asynccontextmanager
async def running_service(
    settings: CloudSettings, metrics: Metrics, components: Sequence[ComponentFactory] = ()
) -> AsyncIterator[ServiceContainer]:
    """Open everything the service needs, start the components, and close it all afterwards."""
    engine = make_engine(settings)
    try:
        if settings.migrate_on_startup:
            await anyio.to_thread.run_sync(migrate.upgrade, engine)
        bus = EventBus(settings.event_bus_buffer, on_drop=metrics.bus_dropped.inc)
        metrics.bus_subscribers.set_function(lambda: bus.subscribers)
        container = ServiceContainer(
            settings=settings,
            engine=engine,
            session_factory=make_session_factory(engine),
            reader_factory=make_session_factory(read_only(engine)),
            ledger=Ledger(on_posted=metrics.moves_posted.inc),
            bus=bus,
            metrics=metrics,
        )
        for sink in sinks_from(settings):  # before the ingest, which takes container.sinks
            container.sinks.append(sink)
            if isinstance(sink, BackgroundComponent):
                container.add_background(sink)  # started first, so stopped (flushed) last
        for factory in components:
            container.add_background(factory(container))
        await container.start()
        try:
            yield container
        finally:
            await container.stop()
            bus.close()
    finally:
        engine.dispose()


def create_app(
    settings: CloudSettings, components: Sequence[ComponentFactory] | None = None
) -> FastAPI:
    """The HTTP app; components=None runs default_components(settings), [] runs none."""
    metrics = Metrics()  # per app, so that tests can build several apps in one process
    factories = default_components(settings) if components is None else list(components)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with running_service(settings, metrics, factories) as container:
            log.info("cloud service ready (%s)", settings.environment)
            yield {"container": container}

    app = FastAPI(
        title="tagtrail cloud",
        version=__version__,
        summary="Master data, stock ledger and live events of the tagtrail cloud service.",
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    for router in ROUTERS:
        app.include_router(router)
    web.install(app)  # the web UI: pages at /, /receipts, /shipments, /alerts; /static
    return app
