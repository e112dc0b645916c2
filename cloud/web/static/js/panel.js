// What the map says in words: a shipment's entry in the side panel, a vehicle's popup.

import { chip, h, relative, when } from "./dom.js";

export function contentsText(contents) {
  if (!contents.length) return "—";
  return contents.map((line) => `${line.sku} × ${line.qty}`).join(", ");
}

export function alertCount(shipment) {
  return shipment.alerts.transit + shipment.alerts.condition;
}

function alertsChip(shipment) {
  const count = alertCount(shipment);
  return count > 0 ? chip("alerts", count) : null;
}

function alertsText(shipment) {
  const { condition, transit } = shipment.alerts;
  if (!condition && !transit) return "none";
  return h("a", { href: "/alerts" }, `${condition} condition, ${transit} transit`);
}

export function fixText(fix) {
  if (!fix) return h("span", { class: "nofix" }, "no position yet");
  const speed = fix.speed_mps === null ? "" : `, ${Math.round(fix.speed_mps * 3.6)} km/h`;
  const at = fix.at ? `, ${when(fix.at)} (${relative(fix.at)})` : "";
  return `${fix.lat.toFixed(5)}, ${fix.lon.toFixed(5)}${speed}${at}`;
}

function etaText(shipment) {
  if (!shipment.eta) return "—";
  const left = shipment.remainingM ? `, ${(shipment.remainingM / 1000).toFixed(1)} km to go` : "";
  return `${when(shipment.eta)} (${relative(shipment.eta)}${left})`;
}

function rows(pairs) {
  return pairs.map(([label, value]) => h("div", { class: "row" }, `${label}: `, value));
}

// The panel entry of a shipment (the caller handles clicks).
export function panelItem(shipment, selected) {
  return h(
    "li",
    {
      dataset: { shipment: shipment.id, vehicle: shipment.vehicle, alerts: alertCount(shipment) },
      "aria-selected": String(selected),
      tabindex: 0,
    },
    h(
      "div",
      { class: "title" },
      h("a", { href: `/shipments/${shipment.id}` }, shipment.number),
      h("span", { class: "chips" }, chip(shipment.status), alertsChip(shipment)),
    ),
    rows([
      ["Vehicle", shipment.vehicle],
      ["To", shipment.destination || "—"],
      ["ETA", etaText(shipment)],
      ["Contents", contentsText(shipment.contents)],
      ["Condition alerts", String(shipment.alerts.condition)],
      ["Last fix", fixText(shipment.fix)],
    ]),
  );
}

function shipmentPopup(shipment) {
  const facts = [
    ["Status", chip(shipment.status)],
    ["From", shipment.origin || "—"],
    ["To", shipment.destination || "—"],
    ["Due", when(shipment.dueAt)],
    ["ETA", etaText(shipment)],
    ["Alerts", alertsText(shipment)],
  ];
  const contents = shipment.contents.length
    ? h("ul", {}, shipment.contents.map((line) => h("li", {}, `${line.sku} × ${line.qty}`)))
    : h("p", { class: "muted" }, "nothing in its transit location");
  return h(
    "section",
    { dataset: { shipment: shipment.id } },
    h("strong", {}, h("a", { href: `/shipments/${shipment.id}` }, `Shipment ${shipment.number}`)),
    h("dl", {}, facts.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
    h("div", {}, "Contents:"),
    contents,
  );
}

// The popup of a vehicle's marker: where it is and every shipment it carries.
export function vehiclePopup(vehicle, shipments) {
  const title = vehicle.name ? `${vehicle.code} (${vehicle.name})` : vehicle.code;
  return h(
    "div",
    { class: "popup", dataset: { vehicle: vehicle.code } },
    h("strong", {}, `Vehicle ${title}`),
    h("div", { class: "muted" }, fixText(vehicle.fix)),
    shipments.length ? shipments.map(shipmentPopup) : h("p", { class: "muted" }, "no shipment"),
  );
}
