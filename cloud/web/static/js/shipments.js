// Shipments page: outbound loads with their status; each links to its verification.

import { getPage } from "./api.js";
import { byId, chip, h, when } from "./dom.js";
import { debounce, live } from "./live.js";
import { pagedTable } from "./paged.js";

function row(shipment) {
  return h(
    "tr",
    { dataset: { shipment: shipment.id, status: shipment.status } },
    h("td", {}, h("a", { href: `/shipments/${shipment.id}` }, shipment.number)),
    h("td", {}, shipment.customer || "—"),
    h("td", {}, shipment.carrier || "—"),
    h("td", {}, shipment.door || "—"),
    h("td", {}, chip(shipment.status)),
    h("td", {}, when(shipment.planned_at)),
    h("td", {}, when(shipment.shipped_at)),
    h("td", { class: "num" }, shipment.lines.length),
  );
}

const load = pagedTable(
  "#shipments tbody",
  "shipments",
  (offset, limit) => getPage("/api/shipments", { status: byId("status").value }, offset, limit),
  (items) => items.map(row),
);

byId("status").value = new URLSearchParams(location.search).get("status") || "";
byId("status").addEventListener("change", () => load());
const refresh = debounce(() => load());
live({ events: ["shipment.verified", "transit"], onEvent: refresh, refresh, everyMs: 30000 });
load();
