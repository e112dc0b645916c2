"""Fixtures of the web UI tests: headless Chromium through Selenium, a real cloud server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

from tagtrail.rehearsal.cloud_thread import CloudThread
from tests.cloud.web.dock import make_dock_day, settings
from tests.cloud.web.ui import Ui
from tests.support.services import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Headless, and nothing of its own on the network: this closed network refuses Chromium's
# background connections, which would otherwise stall it.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that drive Chromium carry the `browser` marker."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """Headless Chromium with a fresh profile, driven by the system chromedriver."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: install the Debian packages chromium and "
            "chromium-driver (scripts/bootstrap --test does)"
        )
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()  # before the server stops: closes the page's event stream


@pytest.fixture
def dock_db(sqlite_template: Path, tmp_path: Path) -> Path:
    """A migrated SQLite file holding a dock day (a receipt, a held shipment, alerts)."""
    db = tmp_path / "cloud.sqlite"
    shutil.copyfile(sqlite_template, db)
    make_dock_day(db)
    return db


@pytest.fixture
def server(dock_db: Path) -> Iterator[CloudThread]:
    """The cloud service over HTTP on a free port, on the dock day's database, no ingest."""
    with CloudThread(settings(dock_db, http_port=free_port())) as thread:
        yield thread


@pytest.fixture
def ui(server: CloudThread, browser: WebDriver) -> Ui:
    """Chromium on the dock day's server (the browser closes before the server stops)."""
    return Ui(browser, server.url)
