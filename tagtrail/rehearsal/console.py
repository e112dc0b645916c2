"""What a person watching a rehearsal sees: receipts and shipments as the cloud posts them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx

Print = Callable[[str], None]


def receipt_line(receipt: dict[str, Any], asn: str, door: str) -> str:
    """One line per posted goods receipt."""
    summary = ", ".join(f"{n} {status}" for status, n in sorted(receipt["summary"].items()))
    return f"  receipt {receipt['id']:>3}  {asn:<10} {door:<24} {summary}"


def shipment_line(shipment: dict[str, Any], found: dict[str, Any]) -> str:
    """One line per verified shipment."""
    flags = found.get("discrepancies") or {}
    counts = {k: len(v) for k, v in flags.items() if v}
    detail = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items())) or "clean"
    expected = sum(1 for line in shipment["lines"] if line["epc"])
    door = shipment.get("door") or "-"
    head = f"  shipment {shipment['number']:<8} {door:<24} {found['status']:<8}"
    return f"{head} {expected} cases; {detail}"


class Progress:
    """Polls the API and prints each receipt and verified shipment once."""

    def __init__(self, api: httpx.Client, out: Print = print, every_s: float = 3.0) -> None:
        self.api = api
        self.out = out
        self.every_s = every_s
        self._seen_receipts: set[int] = set()
        self._seen_shipments: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self) -> None:
        """Poll once more and stop."""
        self._stop.set()
        self._thread.join(30)
        self.poll()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.poll()
            except httpx.HTTPError as exc:
                self.out(f"  (API not answering: {exc})")

    def poll(self) -> None:
        """Print what is new since the last poll."""
        asns = {
            a["id"]: a for a in self.api.get("/api/asns", params={"limit": 500}).json()["items"]
        }
        for receipt in reversed(
            self.api.get("/api/receipts", params={"limit": 500}).json()["items"]
        ):
            if receipt["id"] not in self._seen_receipts:
                self._seen_receipts.add(receipt["id"])
                asn = asns.get(receipt["asn_id"], {})
                self.out(
                    receipt_line(
                        receipt, asn.get("number", "(no ASN)"), asn.get("door") or "(by content)"
                    )
                )
        for shipment in self.api.get("/api/shipments", params={"limit": 500}).json()["items"]:
            if shipment["id"] in self._seen_shipments or shipment["status"] in {
                "planned",
                "loading",
            }:
                continue
            self._seen_shipments.add(shipment["id"])
            found = self.api.get(f"/api/shipments/{shipment['id']}/verification").json()
            self.out(shipment_line(shipment, found))


def stock_report(api: httpx.Client) -> list[str]:
    """Cases per location type at the end of the day."""
    totals: dict[str, int] = {}
    types = ["storage", "quarantine", "receiving_dock", "shipping_dock", "transit"]
    offset: int | None = 0
    while offset is not None:
        page = api.get("/api/stock", params={"type": types, "limit": 500, "offset": offset}).json()
        for row in page["items"]:
            totals[row["location_type"]] = totals.get(row["location_type"], 0) + row["qty"]
        offset = page.get("next_offset")
    return [f"  {kind:<15} {qty:>6} cases" for kind, qty in sorted(totals.items())]
