"""Receipts, shipments and alerts pages in headless Chromium, on a dock day made by the ingest."""

from __future__ import annotations

import httpx
from selenium.webdriver.common.by import By

from tagtrail.rehearsal.cloud_thread import CloudThread
from tests.cloud.ingest.world import case
from tests.cloud.web.dock import MISSING_EPCS, SHORT_EPCS, WRONG_EPC
from tests.cloud.web.ui import Ui

OFFLINE = ("tile.openstreetmap.org",)  # no internet here: base map tiles do not load


def test_receipts_list_then_lines_by_status(ui: Ui) -> None:
    ui.open("/receipts", "receipts")
    (row,) = ui.all("#receipts tr[data-receipt]")
    assert row.get_attribute("data-discrepant") == "yes"
    chips = ui.texts("#receipts tr[data-receipt] .chip")
    assert chips == ["short 5", "over 1", "unexpected 1", "duplicate 1", "matched 5"]
    assert "dc1/gw1/d1" in row.text
    assert "ASN-1" in row.text

    row.find_element(By.TAG_NAME, "a").click()
    ui.wait(lambda: ui.one("body").get_attribute("data-loaded") == "receipt", "receipt page")
    assert "ASN-1 (SUP)" in ui.one("#facts").text
    short = ui.one('details.group[data-status="short"]')
    assert short.get_attribute("open") is not None  # discrepancies open, matched folded
    epcs = [td.text for td in short.find_elements(By.CSS_SELECTOR, "tbody td.mono")]
    assert sorted(epcs) == sorted(SHORT_EPCS)
    unexpected = ui.one('details.group[data-status="unexpected"] tbody tr')
    assert case(7, "054321") in unexpected.text
    assert " B " in f" {unexpected.text} "  # the SKU, looked up from the item
    assert ui.one('details.group[data-status="matched"]').get_attribute("open") is None
    assert ui.console_errors() == []


def test_shipment_verification_shows_missing_and_wrong_then_confirms(
    ui: Ui, server: CloudThread
) -> None:
    ui.open("/shipments", "shipments")
    (row,) = ui.all("#shipments tr[data-shipment]")
    assert row.get_attribute("data-status") == "held"
    row.find_element(By.LINK_TEXT, "SH-1").click()
    ui.wait(lambda: ui.one("body").get_attribute("data-loaded") == "shipment", "shipment page")
    missing = ui.texts('.discrepancy[data-kind="missing"] li')
    assert sorted(missing) == sorted(MISSING_EPCS)
    assert ui.texts('.discrepancy[data-kind="wrong_item"] li') == [WRONG_EPC]
    assert ui.one("#verdict").text == "Discrepancies found."
    verdicts = {tr.get_attribute("data-verdict") for tr in ui.all("#scans tbody tr")}
    assert "wrong_item" in verdicts

    ui.one("#confirm").click()
    ui.wait(lambda: not ui.all("#confirm"), "the confirm button to go")
    ui.wait(lambda: "shipped" in ui.one("#facts").text, "the shipment to show as shipped")
    shipment = httpx.get(f"{server.url}/api/shipments/{row_id(ui)}").json()
    assert shipment["status"] == "shipped"
    assert ui.console_errors() == []


def row_id(ui: Ui) -> str:
    """The shipment id of the page being shown."""
    return str(ui.one("body").get_attribute("data-id"))


def test_alerts_acknowledged_and_cleared_by_name(ui: Ui, server: CloudThread) -> None:
    ui.open("/alerts", "alerts")
    kinds = {row.get_attribute("data-kind") for row in ui.all("#alerts tr[data-alert]")}
    assert kinds == {"receipt_discrepancy", "shipment_wrong_item", "shipment_missing"}
    row = ui.one('#alerts tr[data-kind="receipt_discrepancy"]')
    alert_id = row.get_attribute("data-alert")

    row.find_element(By.CSS_SELECTOR, 'button[data-action="acknowledge"]').click()
    ui.wait(lambda: "Enter your name" in ui.one("#error").text, "the name to be asked for")
    ui.one("#name").send_keys("Dana")
    row.find_element(By.CSS_SELECTOR, 'button[data-action="acknowledge"]').click()
    selector = f'#alerts tr[data-alert="{alert_id}"]'
    ui.wait(lambda: not ui.all(selector), "the alert to leave the open list")

    ui.one('#tabs button[data-status="acknowledged"]').click()
    ui.wait(lambda: ui.all(selector), "the alert under acknowledged")
    assert "ack. Dana" in ui.one(selector).text
    ui.one(f'{selector} button[data-action="clear"]').click()
    ui.wait(lambda: not ui.all(selector), "the alert to leave the acknowledged list")

    ui.one('#tabs button[data-status="cleared"]').click()
    ui.wait(lambda: ui.all(selector), "the alert under cleared")
    alert = next(
        a
        for a in httpx.get(f"{server.url}/api/alerts", params={"status": "cleared"}).json()["items"]
        if str(a["id"]) == alert_id
    )
    assert (alert["acknowledged_by"], alert["cleared_by"]) == ("Dana", "Dana")
    assert ui.console_errors() == []


def test_every_page_has_the_navigation_and_no_script_errors(ui: Ui) -> None:
    pages = [("/", "map"), ("/receipts", "receipts"), ("/shipments", "shipments")]
    pages += [("/alerts", "alerts")]
    for path, loaded in pages:
        ui.open(path, loaded)
        links = [a.get_attribute("href") for a in ui.all(".topbar nav a")]
        assert [link.removeprefix(ui.base_url) for link in links if link] == [
            "/", "/receipts", "/shipments", "/alerts"
        ]  # fmt: skip
        current = ui.one('.topbar nav a[aria-current="page"]').get_attribute("href")
        assert current == ui.base_url + path
        ui.wait(lambda: ui.one("#live").get_attribute("data-state") == "open", "the live stream")
        assert ui.console_errors(ignore=OFFLINE) == []
