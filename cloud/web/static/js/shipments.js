// Shipments page: outbound loads with their status; each links to its verification.

import { getPage } from "./api.js";
import { byId, chip, fill, h, showError, when } from "./dom.js";
import { debounce, live } from "./live.js";

const state = { shown: 0, next: 0 };

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

function render(page, append) {
  const body = document.querySelector("#shipments tbody");
  const rows = page.items.map(row);
  if (append) body.append(...rows);
  else fill(body, rows);
  state.shown = (append ? state.shown : 0) + page.items.length;
  state.next = page.next_offset;
  byId("empty").hidden = body.children.length > 0;
  byId("more").hidden = page.next_offset === null;
  document.body.dataset.loaded = "shipments";
}

async function load(append = false) {
  try {
    const params = { status: byId("status").value };
    const offset = append ? state.next : 0;
    const limit = append ? 100 : Math.max(100, state.shown);
    render(await getPage("/api/shipments", params, offset, limit), append);
    showError(null);
  } catch (error) {
    showError(error);
  }
}

byId("status").value = new URLSearchParams(location.search).get("status") || "";
byId("status").addEventListener("change", () => load());
byId("more").addEventListener("click", () => load(true));
const refresh = debounce(() => load());
live({ events: ["shipment.verified", "transit"], onEvent: refresh, refresh, everyMs: 30000 });
load();
