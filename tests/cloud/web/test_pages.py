"""Page routes and static files of the web UI, in-process: everything served locally."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud.app import create_app
from cloud.web import NAV
from cloud.web.pages import STATIC
from tests.cloud.api.client import ApiClient, running
from tests.cloud.web.dock import settings

PAGES = {
    "/": "map",
    "/receipts": "receipts",
    "/receipts/7": "receipt",
    "/shipments": "shipments",
    "/shipments/3": "shipment",
    "/alerts": "alerts",
}
REFERENCE = re.compile(r'(?:src|href)="([^"]*)"')
IMPORT = re.compile(r'^import .* from "([^"]+)";$', re.MULTILINE)


@pytest.fixture
def web(sqlite_template: Path, tmp_path: Path) -> Iterator[ApiClient]:
    """The app in-process on an empty database; tile settings as the test's environment."""
    db = tmp_path / "cloud.sqlite"
    shutil.copyfile(sqlite_template, db)
    with running(create_app(settings(db, migrate_on_startup=False), components=[])) as client:
        yield client


def test_every_page_is_html_with_its_script_and_the_navigation(web: ApiClient) -> None:
    for path, page in PAGES.items():
        response = web.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert f'<script type="module" src="/static/js/{page}.js"></script>' in response.text
        assert f'data-page="{page}"' in response.text
        for link, _ in NAV:
            assert f'<a href="{link}"' in response.text
    assert 'data-id="7"' in web.get("/receipts/7").text


def test_pages_reference_only_files_the_service_serves(web: ApiClient) -> None:
    for path in PAGES:
        for ref in REFERENCE.findall(web.get(path).text):
            assert ref.startswith("/") or ref == "data:,", f"{path} refers to {ref}"
            if ref.startswith("/static/"):
                assert web.get(ref).status_code == 200, ref


def test_scripts_import_only_local_modules_that_exist() -> None:
    scripts = sorted((STATIC / "js").glob("*.js"))
    assert scripts
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), script.name
        for target in IMPORT.findall(text):
            assert target.startswith("./") or target.startswith("../"), (script.name, target)
            assert (script.parent / target).resolve().is_file(), (script.name, target)


def test_leaflet_is_vendored_with_its_licence(web: ApiClient) -> None:
    leaflet = web.get("/static/vendor/leaflet/leaflet-src.esm.js")
    assert leaflet.status_code == 200
    assert "Leaflet 1.9.4" in leaflet.text[:200]
    assert "BSD 2-Clause License" in (STATIC / "vendor" / "leaflet" / "LICENSE").read_text()
    for image in ("marker-icon.png", "layers.png"):
        png = web.get(f"/static/vendor/leaflet/images/{image}")
        assert png.content.startswith(b"\x89PNG"), image


def test_the_tile_server_is_a_setting(sqlite_template: Path, tmp_path: Path) -> None:
    db = tmp_path / "cloud.sqlite"
    shutil.copyfile(sqlite_template, db)
    own = "https://tiles.example.net/{z}/{x}/{y}.png?key=a&b=c"
    cases = {own: 'data-tile-url="https://tiles.example.net/{z}/{x}/{y}.png?key=a&amp;b=c"'}
    cases[""] = 'data-tile-url=""'
    for url, expected in cases.items():
        app = create_app(settings(db, migrate_on_startup=False, map_tile_url=url), components=[])
        with running(app) as client:
            assert expected in client.get("/").text


def test_default_tiles_are_openstreetmap_with_attribution(web: ApiClient) -> None:
    page = web.get("/").text
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in page
    attribution = re.search(r'data-tile-attribution="([^"]*)"', page)
    assert attribution is not None
    assert "OpenStreetMap" in attribution.group(1)
