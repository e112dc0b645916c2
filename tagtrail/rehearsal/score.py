"""Score what the cloud concluded about a day against the scenario's ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from firmware_sim.scenario.day_truth import DayTruth

Key = tuple[str, str]  # (document, EPC or SSCC)


@dataclass
class Tally:
    """Lines compared: how many, how many right, and a few wrong ones to look at."""

    total: int = 0
    right: int = 0
    wrong: list[str] = field(default_factory=list)

    def add(self, ok: bool, what: str) -> None:
        """Count one comparison."""
        self.total += 1
        self.right += ok
        if not ok and len(self.wrong) < 20:
            self.wrong.append(what)

    @property
    def share(self) -> float:
        """Share right."""
        return self.right / self.total if self.total else 1.0

    def line(self, name: str) -> str:
        """One line for people."""
        return f"{name}: {self.right}/{self.total} right ({self.share:.2%})"


@dataclass
class DayScore:
    """Receipt lines, shipment lines and stock, each compared with the truth."""

    receipts: Tally
    shipments: Tally
    stock: Tally

    def summary(self) -> str:
        """Three lines for people."""
        parts = (("receipt lines", self.receipts), ("shipment lines", self.shipments))
        lines = [t.line(name) for name, t in (*parts, ("stock (EPC at location)", self.stock))]
        return "\n".join(lines)


def score_day(api: httpx.Client, truth: DayTruth) -> DayScore:
    """Fetch receipts, verifications and stock from the API and compare them with the truth."""
    return DayScore(_receipts(api, truth), _shipments(api, truth), _stock(api, truth))


def _pages(api: httpx.Client, url: str, **params: Any) -> Iterator[dict[str, Any]]:
    offset = 0
    while True:
        page = api.get(url, params={**params, "limit": 500, "offset": offset}).json()
        yield from page["items"]
        if page.get("next_offset") is None:
            return
        offset = page["next_offset"]


def _receipts(api: httpx.Client, truth: DayTruth) -> Tally:
    asn_number = {a["id"]: a["number"] for a in _pages(api, "/api/asns")}
    seen: dict[Key, tuple[str, str | None]] = {}
    for receipt in _pages(api, "/api/receipts"):
        document = asn_number.get(receipt["asn_id"], "(no ASN)")
        for line in api.get(f"/api/receipts/{receipt['id']}").json()["lines"]:
            if line["sscc"] is not None:
                seen[(document, "sscc:" + line["sscc"])] = (line["status"], None)
            else:
                seen[(document, line["epc"])] = (line["status"], line["disposition"])
    tally = Tally()
    for expected in truth.receipts:
        for t in expected.lines:
            key = (expected.asn, "sscc:" + t.sscc) if t.kind == "sscc" else (expected.asn, t.epc)
            want = (t.status, None) if t.kind == "sscc" else (t.status, t.disposition)
            got = seen.pop(key, None)
            tally.add(got == want, f"{key}: {got} (truth {want})")
    for key, got in seen.items():
        tally.add(False, f"{key}: {got} (not in the truth)")
    return tally


def _shipments(api: httpx.Client, truth: DayTruth) -> Tally:
    states: dict[Key, str] = {}
    for shipment in _pages(api, "/api/shipments"):
        found = api.get(f"/api/shipments/{shipment['id']}/verification").json()
        states.update(_states(shipment, found))
    tally = Tally()
    for check in truth.shipments:
        for line in check.lines:
            key = (check.shipment, line.epc)
            got = states.pop(key, "(not verified)")
            tally.add(got == line.status, f"{key}: {got} (truth {line.status})")
    for key, got in states.items():
        tally.add(False, f"{key}: {got} (not in the truth)")
    return tally


def _states(shipment: dict[str, Any], found: dict[str, Any]) -> dict[Key, str]:
    number = shipment["number"]
    flags = found.get("discrepancies") or {}
    missing = set(flags.get("missing", []))
    out: dict[Key, str] = {}
    if found.get("verified_at") is None:
        return out
    for line in shipment["lines"]:
        if line["epc"]:
            out[(number, line["epc"])] = "missing" if line["epc"] in missing else "verified"
    for status in ("extra", "wrong_item"):
        out.update({(number, epc): status for epc in flags.get(status, [])})
    return out


def _stock(api: httpx.Client, truth: DayTruth) -> Tally:
    where: dict[str, list[str]] = {}
    types = ["storage", "quarantine", "receiving_dock", "shipping_dock", "transit"]
    for row in _pages(api, "/api/stock", by_key="true", type=types):
        if row["stock_key"] and row["qty"] > 0:
            where.setdefault(row["stock_key"], []).append(row["location_code"])
    tally = Tally()
    for line in truth.stock:
        got = where.pop(line.epc, [])
        want = [line.location] if line.location else []
        tally.add(got == want, f"{line.epc}: at {got} (truth {want})")
    for epc, got in where.items():
        tally.add(False, f"{epc}: at {got} (not ours in the truth)")
    return tally
