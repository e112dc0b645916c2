// Alerts page: open alerts first; acknowledge or clear them under your name.

import { getPage, postJSON } from "./api.js";
import { byId, chip, h, showError, when } from "./dom.js";
import { debounce, live } from "./live.js";
import { pagedTable } from "./paged.js";

const NAME_KEY = "tagtrail.name";
const state = { status: "open" };

function who() {
  return byId("name").value.trim();
}

async function act(alert, action) {
  const by = who();
  if (!by) {
    showError("Enter your name first: it is recorded with the alert.");
    byId("name").focus();
    return;
  }
  try {
    await postJSON(`/api/alerts/${alert.id}/${action}`, { by });
    showError(null);
    await load();
  } catch (error) {
    showError(error);
  }
}

function button(alert, action, label) {
  const onclick = () => act(alert, action);
  return h("button", { type: "button", dataset: { action }, onclick }, label);
}

function statusCell(alert) {
  const lines = [chip(alert.status)];
  if (alert.acknowledged_by) {
    const text = `ack. ${alert.acknowledged_by}, ${when(alert.acknowledged_at)}`;
    lines.push(h("div", { class: "muted" }, text));
  }
  if (alert.cleared_by) {
    const text = `cleared ${alert.cleared_by}, ${when(alert.cleared_at)}`;
    lines.push(h("div", { class: "muted" }, text));
  }
  return lines;
}

function row(alert) {
  const buttons = [];
  if (alert.status === "open") buttons.push(button(alert, "acknowledge", "Acknowledge"));
  if (alert.status !== "cleared") buttons.push(button(alert, "clear", "Clear"));
  return h(
    "tr",
    { dataset: { alert: alert.id, status: alert.status, kind: alert.kind } },
    h("td", {}, chip(alert.severity)),
    h("td", {}, alert.kind),
    h("td", { class: "mono" }, alert.subject),
    h("td", {}, alert.message),
    h("td", {}, when(alert.created_at)),
    h("td", {}, statusCell(alert)),
    h("td", { class: "actions" }, buttons),
  );
}

const load = pagedTable(
  "#alerts tbody",
  "alerts",
  (offset, limit) => getPage("/api/alerts", { status: state.status }, offset, limit),
  (items) => items.map(row),
);

function selectTab(button) {
  for (const tab of byId("tabs").querySelectorAll("button")) {
    tab.setAttribute("aria-selected", String(tab === button));
  }
  state.status = button.dataset.status;
  load();
}

byId("name").value = localStorage.getItem(NAME_KEY) || "";
byId("name").addEventListener("input", () => localStorage.setItem(NAME_KEY, who()));
byId("who").addEventListener("submit", (event) => event.preventDefault());
for (const tab of byId("tabs").querySelectorAll("button")) {
  tab.addEventListener("click", () => selectTab(tab));
}
const refresh = debounce(() => load());
const topics = ["receipt.posted", "shipment.verified", "transit", "alert"];
live({ events: topics, onEvent: refresh, refresh, everyMs: 15000 });
load();
