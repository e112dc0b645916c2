"""Page routes of the web UI: one HTML shell per page; the page's script fetches the API."""

from __future__ import annotations

import functools
import html
from pathlib import Path
from string import Template

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from cloud.api.deps import SettingsDep
from cloud.settings import CloudSettings

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
STATIC_PATH = "/static"

# (path, label) of the navigation; the map is where a user lands.
NAV: tuple[tuple[str, str], ...] = (
    ("/", "Map"),
    ("/receipts", "Receipts"),
    ("/shipments", "Shipments"),
    ("/alerts", "Alerts"),
)

router = APIRouter(include_in_schema=False)


@functools.cache
def _template(name: str) -> str:
    """A file of templates/, read once."""
    return (TEMPLATES / f"{name}.html").read_text(encoding="utf-8")


def _nav(active: str) -> str:
    """The navigation links, the current section marked."""
    links = []
    for path, label in NAV:
        current = ' aria-current="page"' if path == active else ""
        links.append(f'<a href="{path}"{current}>{html.escape(label)}</a>')
    return "\n      ".join(links)


def _data(values: dict[str, str]) -> str:
    """data-* attributes of the body: how the page's script finds its configuration."""
    return " ".join(f'data-{key}="{html.escape(value)}"' for key, value in values.items())


def render(
    page: str, title: str, section: str, settings: CloudSettings, **data: str
) -> HTMLResponse:
    """The layout around templates/<page>.html, running static/js/<page>.js."""
    body = Template(_template("layout")).substitute(
        title=html.escape(title),
        static=STATIC_PATH,
        nav=_nav(section),
        main=_template(page),
        script=f"{STATIC_PATH}/js/{page}.js",
        data=_data({"page": page, **data, **_map_config(settings)}),
    )
    return HTMLResponse(body, headers={"Cache-Control": "no-cache"})


def _map_config(settings: CloudSettings) -> dict[str, str]:
    """Base map tiles: where from (empty: none) and whose they are."""
    return {"tile-url": settings.map_tile_url, "tile-attribution": settings.map_tile_attribution}


@router.get("/", response_class=HTMLResponse)
def map_page(settings: SettingsDep) -> HTMLResponse:
    """The live map of shipments in transit."""
    return render("map", "Shipments in transit", "/", settings)


@router.get("/receipts", response_class=HTMLResponse)
def receipts_page(settings: SettingsDep) -> HTMLResponse:
    """Goods receipts at the dock doors."""
    return render("receipts", "Receipts", "/receipts", settings)


@router.get("/receipts/{receipt_id}", response_class=HTMLResponse)
def receipt_page(settings: SettingsDep, receipt_id: int) -> HTMLResponse:
    """One receipt: its lines by status."""
    return render("receipt", f"Receipt {receipt_id}", "/receipts", settings, id=str(receipt_id))


@router.get("/shipments", response_class=HTMLResponse)
def shipments_page(settings: SettingsDep) -> HTMLResponse:
    """Outbound shipments and their status."""
    return render("shipments", "Shipments", "/shipments", settings)


@router.get("/shipments/{shipment_id}", response_class=HTMLResponse)
def shipment_page(settings: SettingsDep, shipment_id: int) -> HTMLResponse:
    """One shipment: its loading verified against the pick list."""
    title = f"Shipment {shipment_id}"
    return render("shipment", title, "/shipments", settings, id=str(shipment_id))


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(settings: SettingsDep) -> HTMLResponse:
    """Alerts to acknowledge and clear."""
    return render("alerts", "Alerts", "/alerts", settings)


def install(app: FastAPI) -> None:
    """Serve the pages and their static files (scripts, styles, vendored Leaflet)."""
    app.include_router(router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="static")
