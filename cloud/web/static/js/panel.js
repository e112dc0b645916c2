// What the map says about a shipment: the side-panel entry and the marker's popup.

import { chip, h, relative, when } from "./dom.js";

export function contentsText(contents) {
  if (!contents.length) return "—";
  return contents.map((line) => `${line.sku} × ${line.qty}`).join(", ");
}

function alertsChip(count) {
  return count > 0 ? chip("alerts", count) : null;
}

function fixText(fix) {
  if (!fix) return h("span", { class: "nofix" }, "no position yet");
  const speed = fix.speed_mps === null ? "" : `, ${Math.round(fix.speed_mps * 3.6)} km/h`;
  const at = fix.at ? ` ${relative(fix.at)}` : "";
  return `${fix.lat.toFixed(5)}, ${fix.lon.toFixed(5)}${speed}${at}`;
}

function etaText(eta) {
  return eta ? `${when(eta)} (${relative(eta)})` : "—";
}

// The panel entry of a shipment (the caller handles clicks).
export function panelItem(shipment, selected) {
  return h(
    "li",
    {
      dataset: { shipment: shipment.id, alerts: shipment.alerts },
      "aria-selected": String(selected),
      tabindex: 0,
    },
    h(
      "div",
      { class: "title" },
      h("span", {}, shipment.number),
      h("span", { class: "chips" }, chip(shipment.status), alertsChip(shipment.alerts)),
    ),
    h("div", { class: "row" }, "Vehicle: ", shipment.vehicle || "—"),
    h("div", { class: "row eta" }, "ETA: ", etaText(shipment.eta)),
    h("div", { class: "row contents" }, "Contents: ", contentsText(shipment.contents)),
    h("div", { class: "row fix" }, "Last fix: ", fixText(shipment.fix)),
  );
}

function alertsLink(count) {
  return count > 0 ? h("a", { href: "/alerts" }, String(count)) : "none";
}

// The popup of a shipment's marker.
export function popupContent(shipment) {
  const facts = [
    ["Status", chip(shipment.status)],
    ["Vehicle", shipment.vehicle || "—"],
    ["Customer", shipment.customer || "—"],
    ["ETA", etaText(shipment.eta)],
    ["Condition alerts", alertsLink(shipment.alerts)],
    ["Last fix", fixText(shipment.fix)],
  ];
  const contents = shipment.contents.length
    ? h("ul", {}, shipment.contents.map((line) => h("li", {}, `${line.sku} × ${line.qty}`)))
    : h("p", { class: "muted" }, "no contents known");
  return h(
    "div",
    { class: "popup", dataset: { shipment: shipment.id } },
    h("strong", {}, h("a", { href: `/shipments/${shipment.id}` }, `Shipment ${shipment.number}`)),
    h("dl", {}, facts.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
    h("div", {}, "Contents:"),
    contents,
  );
}
