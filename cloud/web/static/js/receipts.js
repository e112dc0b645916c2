// Receipts page: goods receipts, newest first, with their case lines counted by status.

import { getOptional, getPage } from "./api.js";
import { RECEIPT_STATUSES as STATUS_ORDER, byId, chip, fill, h, showError, when } from "./dom.js";
import { debounce, live } from "./live.js";

const state = { shown: 0, next: 0 };
const asnNumbers = new Map(); // ASN id -> number, fetched once per ASN

async function learnAsns(receipts) {
  const ids = [...new Set(receipts.map((r) => r.asn_id))];
  const unknown = ids.filter((id) => id !== null && !asnNumbers.has(id));
  const asns = await Promise.all(unknown.map((id) => getOptional(`/api/asns/${id}`)));
  unknown.forEach((id, i) => asnNumbers.set(id, asns[i] ? asns[i].number : `ASN ${id}`));
}

function asnText(id) {
  return id === null ? "—" : asnNumbers.get(id) || `ASN ${id}`;
}

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
    h("td", {}, asnText(receipt.asn_id)),
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
    const page = await getPage("/api/receipts", {}, offset, limit);
    await learnAsns(page.items);
    render(page, append);
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
