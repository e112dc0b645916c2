// One shipment: what was loaded against its pick list (missing, extra, wrong) and every scan.

import { getJSON, postJSON } from "./api.js";
import { byId, chip, fill, h, showError, when } from "./dom.js";
import { debounce, live } from "./live.js";

const shipmentId = document.body.dataset.id;
const KINDS = [
  ["missing", "Missing", "on the pick list, not loaded"],
  ["extra", "Extra", "loaded, not on the pick list"],
  ["wrong_item", "Wrong item", "an item the shipment does not contain"],
  ["inferred", "Inferred", "not read, accepted through its pallet (dead tag)"],
];
const CONFIRMABLE = new Set(["loading", "held"]);

function facts(shipment, verification) {
  const pairs = [
    ["Status", chip(verification.status)],
    ["Customer", shipment.customer || "—"],
    ["Carrier", shipment.carrier || "—"],
    ["Door", shipment.door || "—"],
    ["Planned", when(shipment.planned_at)],
    ["Verified", when(verification.verified_at)],
    ["Shipped", when(shipment.shipped_at)],
    ["Delivered", when(shipment.delivered_at)],
    ["Lines", shipment.lines.length],
  ];
  return pairs.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]);
}

function discrepancy(key, title, hint, epcs) {
  return h(
    "div",
    { class: "discrepancy", dataset: { kind: key } },
    h("h3", {}, chip(key, epcs.length), " ", title, h("span", { class: "muted" }, ` — ${hint}`)),
    epcs.length ? h("ul", { class: "mono epcs" }, epcs.map((epc) => h("li", {}, epc))) : null,
  );
}

function verificationView(verification) {
  const found = verification.discrepancies;
  if (!found) {
    const text = "Not verified yet: the loading is not closed.";
    return h("p", { class: "muted", id: "not-verified" }, text);
  }
  const views = KINDS.map(([key, title, hint]) => discrepancy(key, title, hint, found[key] || []));
  const clean = KINDS.slice(0, 3).every(([key]) => !(found[key] || []).length);
  const verdict = clean ? "Clean: loaded as picked." : "Discrepancies found.";
  return [h("p", { id: "verdict", class: clean ? "ok" : "warn" }, verdict), views];
}

function scanRow(scan) {
  return h(
    "tr",
    { dataset: { verdict: scan.verdict } },
    h("td", { class: "mono" }, scan.epc),
    h("td", {}, scan.direction),
    h("td", {}, when(scan.scanned_at)),
    h("td", {}, chip(scan.verdict)),
  );
}

function actions(status) {
  if (!CONFIRMABLE.has(status)) return [];
  const label = "Confirm and ship what was loaded";
  return h("button", { type: "button", id: "confirm", onclick: confirm }, label);
}

async function confirm() {
  try {
    byId("confirm").disabled = true;
    await postJSON(`/api/shipments/${shipmentId}/confirm`);
    await load();
  } catch (error) {
    showError(error);
  }
}

async function load() {
  try {
    const [shipment, verification] = await Promise.all([
      getJSON(`/api/shipments/${shipmentId}`),
      getJSON(`/api/shipments/${shipmentId}/verification`),
    ]);
    fill(byId("heading"), `Shipment ${shipment.number}`);
    fill(byId("facts"), facts(shipment, verification));
    fill(byId("actions"), actions(verification.status));
    fill(byId("verification"), verificationView(verification));
    fill(document.querySelector("#scans tbody"), verification.scans.map(scanRow));
    byId("no-scans").hidden = verification.scans.length > 0;
    document.body.dataset.loaded = "shipment";
    showError(null);
  } catch (error) {
    showError(error);
  }
}

const refresh = debounce(() => load());
live({ events: ["shipment.verified", "transit"], onEvent: refresh, refresh, everyMs: 30000 });
load();
