// Receipts page: goods receipts, newest first, with their case lines counted by status.

import { getPage } from "./api.js";
import { RECEIPT_STATUSES as STATUS_ORDER, byId, chip, fill, h, showError, when } from "./dom.js";
import { debounce, live } from "./live.js";

const state = { shown: 0, next: 0 };

function discrepant(receipt) {
  return Object.entries(receipt.summary).some(([status, n]) => status !== "matched" && n > 0);
}

function summaryChips(summary) {
  const known = STATUS_ORDER.filter((status) => summary[status]);
  const other = Object.keys(summary).filter((status) => !STATUS_ORDER.includes(status));
  return [...known, ...other].map((status) => chip(status, summary[status]));
}

function row(receipt) {
  const link = `/receipts/${receipt.id}`;
  return h(
    "tr",
    { dataset: { receipt: receipt.id, discrepant: discrepant(receipt) ? "yes" : "no" } },
    h("td", {}, h("a", { href: link }, `#${receipt.id}`)),
    h("td", {}, receipt.door),
    h("td", {}, receipt.asn_id === null ? "—" : `ASN ${receipt.asn_id}`),
    h("td", {}, when(receipt.posted_at)),
    h("td", { class: "chips" }, summaryChips(receipt.summary)),
  );
}

function onlyDiscrepancies() {
  return byId("only-discrepancies").checked;
}

function render(page, append) {
  const body = document.querySelector("#receipts tbody");
  const rows = page.items.filter((r) => !onlyDiscrepancies() || discrepant(r)).map(row);
  if (append) body.append(...rows);
  else fill(body, rows);
  state.shown = (append ? state.shown : 0) + page.items.length;
  state.next = page.next_offset;
  byId("empty").hidden = body.children.length > 0;
  byId("more").hidden = page.next_offset === null;
  document.body.dataset.loaded = "receipts";
}

async function load(append = false) {
  try {
    const offset = append ? state.next : 0;
    const limit = append ? 100 : Math.max(100, state.shown);
    render(await getPage("/api/receipts", {}, offset, limit), append);
    showError(null);
  } catch (error) {
    showError(error);
  }
}

byId("only-discrepancies").addEventListener("change", () => load());
byId("more").addEventListener("click", () => load(true));
const refresh = debounce(() => load());
live({ events: ["receipt.posted"], onEvent: refresh, refresh, everyMs: 30000 });
load();
