// The map's data layer: shipments in transit (last position, status, ETA, contents, condition
// alerts), their tracks, vehicles and geofences, normalised for the map and the panel.
//
// ENDPOINTS names the transit API. Where it is missing (404), shipments come from the
// shipments and in-transit stock endpoints: listed in the panel, without a position.

import { getAll, getOptional } from "./api.js";

export const ENDPOINTS = {
  shipments: "/api/transit/shipments",
  track: (id) => `/api/transit/shipments/${id}/track`,
  vehicles: "/api/transit/vehicles",
  geofences: "/api/transit/geofences",
};

// Live-stream topics the map listens to: fixes move markers, the rest reload the list.
export const POSITION_EVENT = "position";
export const RELOAD_EVENTS = ["transit", "shipment.verified"];

function number(value) {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}

// {lat, lon, at, speed_mps, heading_deg} from a fix-like object, or null without coordinates.
export function toFix(raw) {
  if (!raw) return null;
  const lat = number(raw.lat ?? raw.latitude);
  const lon = number(raw.lon ?? raw.lng ?? raw.longitude);
  if (lat === null || lon === null) return null;
  return {
    lat,
    lon,
    at: raw.at ?? raw.time ?? raw.fixed_at ?? raw.recorded_at ?? null,
    speed_mps: number(raw.speed_mps),
    heading_deg: number(raw.heading_deg),
  };
}

function contentsOf(raw) {
  return (raw.contents || []).map((line) => ({
    sku: line.sku ?? line.item ?? `item ${line.item_id}`,
    qty: number(line.qty ?? line.quantity) ?? 0,
  }));
}

// One shipment as the map shows it.
export function toShipment(raw) {
  const vehicle = raw.vehicle && typeof raw.vehicle === "object" ? raw.vehicle : null;
  return {
    id: raw.id ?? raw.shipment_id,
    number: raw.number ?? raw.shipment_number ?? String(raw.id),
    status: raw.transit_status ?? raw.status ?? "shipped",
    customer: raw.customer ?? null,
    carrier: raw.carrier ?? null,
    vehicle: vehicle ? vehicle.code ?? vehicle.name : raw.vehicle ?? null,
    eta: raw.eta ?? null,
    shippedAt: raw.shipped_at ?? null,
    contents: contentsOf(raw),
    alerts: number(raw.condition_alerts ?? raw.alert_count ?? raw.open_alerts) ?? 0,
    fix: toFix(raw.position ?? raw.last_position ?? raw.last_fix ?? null),
  };
}

// In-transit stock rows -> contents per shipment id ({sku, qty} summed by SKU).
function contentsByShipment(rows) {
  const found = new Map();
  for (const row of rows) {
    const skus = found.get(row.shipment_id) || new Map();
    skus.set(row.sku, (skus.get(row.sku) || 0) + row.qty);
    found.set(row.shipment_id, skus);
  }
  return found;
}

async function fallbackShipments() {
  const [shipped, stock] = await Promise.all([
    getAll("/api/shipments", { status: "shipped" }),
    getAll("/api/stock/in-transit"),
  ]);
  const contents = contentsByShipment(stock);
  return shipped.map((raw) => {
    const skus = contents.get(raw.id) || new Map();
    const lines = [...skus].map(([sku, qty]) => ({ sku, qty }));
    return toShipment({ ...raw, contents: lines });
  });
}

function itemsOf(body) {
  if (body === null) return null;
  if (Array.isArray(body)) return body;
  if (body.type === "FeatureCollection") return body.features;
  return body.items ?? [];
}

// Shipments in transit, and whether the transit API answered (false: fallback, no positions).
export async function loadShipments() {
  const body = await getOptional(ENDPOINTS.shipments);
  const items = itemsOf(body);
  if (items === null) return { shipments: await fallbackShipments(), transitApi: false };
  return { shipments: items.map(toShipment), transitApi: true };
}

// A shipment's track as GeoJSON (null when there is none).
export function loadTrack(id) {
  return getOptional(ENDPOINTS.track(id), { format: "geojson" });
}

// Geofences as GeoJSON features (a circle is a Point with properties.radius_m).
export async function loadGeofences() {
  const body = await getOptional(ENDPOINTS.geofences);
  return (itemsOf(body) || []).map(toFeature).filter(Boolean);
}

function toFeature(raw) {
  if (raw.type === "Feature") return raw;
  const properties = { name: raw.name ?? raw.code ?? "", kind: raw.kind ?? "", radius_m: raw.radius_m };
  if (raw.geometry) return { type: "Feature", geometry: raw.geometry, properties };
  if (raw.rings) return { type: "Feature", geometry: { type: "Polygon", coordinates: raw.rings }, properties };
  const centre = toFix(raw.center ?? raw.centre ?? raw);
  if (centre === null || !number(raw.radius_m)) return null;
  return { type: "Feature", geometry: { type: "Point", coordinates: [centre.lon, centre.lat] }, properties };
}

// Which shipments a live position notice moves: by shipment id or number, or by vehicle.
export function matchesFix(shipment, notice) {
  const ids = [notice.shipment_id, ...(notice.shipment_ids || [])].filter((x) => x != null);
  if (ids.includes(shipment.id)) return true;
  const numbers = [notice.shipment, ...(notice.shipments || [])].filter((x) => x != null);
  if (numbers.includes(shipment.number)) return true;
  const vehicle = notice.vehicle ?? notice.gateway ?? null;
  return vehicle !== null && vehicle === shipment.vehicle;
}
