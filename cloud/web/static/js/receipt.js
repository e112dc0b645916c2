// One receipt: header facts, the summary, then its lines grouped by status.

import { getJSON, getOptional } from "./api.js";
import { RECEIPT_STATUSES as STATUS_ORDER, byId, chip, fill, h, showError, when } from "./dom.js";

const HINTS = {
  short: "expected on the ASN, not received",
  over: "more received than expected",
  unexpected: "not on the ASN",
  duplicate: "an EPC already in stock elsewhere (a cloned tag?)",
  matched: "received as announced",
};
const receiptId = document.body.dataset.id;

async function itemNames(lines) {
  const ids = [...new Set(lines.map((line) => line.item_id).filter((id) => id !== null))];
  const items = await Promise.all(ids.map((id) => getOptional(`/api/items/${id}`)));
  return new Map(items.filter(Boolean).map((item) => [item.id, item.sku]));
}

function lineRow(line, skus) {
  return h(
    "tr",
    { dataset: { status: line.status } },
    h("td", { class: "mono" }, line.epc || line.sscc || "—"),
    h("td", {}, line.item_id === null ? "—" : skus.get(line.item_id) || `item ${line.item_id}`),
    h("td", { class: "num" }, line.expected_qty),
    h("td", { class: "num" }, line.received_qty),
    h("td", {}, line.disposition || "—"),
    h("td", {}, line.evidence),
  );
}

function table(lines, skus) {
  const head = ["EPC / SSCC", "SKU", "Expected", "Received", "Disposition", "Evidence"];
  return h(
    "table",
    { class: "grid" },
    h("thead", {}, h("tr", {}, head.map((text) => h("th", {}, text)))),
    h("tbody", {}, lines.map((line) => lineRow(line, skus))),
  );
}

function group(status, lines, skus) {
  const title = [chip(status, lines.length), " ", HINTS[status] || ""];
  const section = h(
    "details",
    { class: "group", dataset: { status }, open: status !== "matched" },
    h("summary", {}, title),
    table(lines, skus),
  );
  return section;
}

function groups(receipt, skus) {
  const cases = receipt.lines.filter((line) => line.sscc === null);
  const pallets = receipt.lines.filter((line) => line.sscc !== null);
  const statuses = [...new Set([...STATUS_ORDER, ...cases.map((line) => line.status)])];
  const sections = statuses
    .map((status) => [status, cases.filter((line) => line.status === status)])
    .filter(([, lines]) => lines.length > 0)
    .map(([status, lines]) => group(status, lines, skus));
  if (pallets.length) {
    sections.push(
      h(
        "details",
        { class: "group", dataset: { status: "pallets" } },
        h("summary", {}, `Pallets (${pallets.length})`),
        table(pallets, skus),
      ),
    );
  }
  return sections;
}

function facts(receipt, asn) {
  const pairs = [
    ["Door", receipt.door],
    ["ASN", asn ? `${asn.number} (${asn.supplier || "no supplier"})` : receipt.asn_id || "—"],
    ["Posted", when(receipt.posted_at)],
    ["Receiving session", receipt.session_id],
  ];
  return pairs.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]);
}

async function load() {
  try {
    const receipt = await getJSON(`/api/receipts/${receiptId}`);
    const asn = receipt.asn_id === null ? null : await getOptional(`/api/asns/${receipt.asn_id}`);
    const skus = await itemNames(receipt.lines);
    fill(byId("heading"), `Receipt #${receipt.id}`);
    fill(byId("facts"), facts(receipt, asn));
    const order = STATUS_ORDER.filter((status) => receipt.summary[status]);
    fill(byId("summary"), order.map((status) => chip(status, receipt.summary[status])));
    fill(byId("groups"), groups(receipt, skus));
    document.body.dataset.loaded = "receipt";
  } catch (error) {
    showError(error);
  }
}

load();
