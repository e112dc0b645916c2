// Receipts page: goods receipts, newest first, with their case lines counted by status.

import { getOptional, getPage } from "./api.js";
import { RECEIPT_STATUSES as STATUS_ORDER, byId, chip, h, when } from "./dom.js";
import { debounce, live } from "./live.js";
import { pagedTable } from "./paged.js";

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

async function fetchPage(offset, limit) {
  const page = await getPage("/api/receipts", {}, offset, limit);
  await learnAsns(page.items);
  return page;
}

const load = pagedTable("#receipts tbody", "receipts", fetchPage, (items) =>
  items.filter((r) => !onlyDiscrepancies() || discrepant(r)).map(row),
);

byId("only-discrepancies").addEventListener("change", () => load());
const refresh = debounce(() => load());
live({ events: ["receipt.posted"], onEvent: refresh, refresh, everyMs: 30000 });
load();
