// The map's data layer over the transit API (cloud/api/transit.py): shipments bound to
// vehicles (trip status, last position, ETA, contents, alert counts), vehicles, geofences and
// each trip's track, normalised for the map and the panel.

import { getAll, getJSON } from "./api.js";

export const ENDPOINTS = {
  shipments: "/api/transit/shipments",
  vehicles: "/api/transit/vehicles",
  geofences: "/api/transit/geofences/geojson",
  track: (shipmentId) => `/api/transit/shipments/${shipmentId}/track`,
};

// Live-stream topics: `position` {vehicle, at, lat, lon, speed_mps, heading_deg, shipments}
// moves a marker at once; `transit` (status, ETA, alerts of a trip) and a verified loading
// reload the lists.
export const POSITION_EVENT = "position";
export const RELOAD_EVENTS = ["transit", "shipment.verified"];

// {lat, lon, at, speed_mps} of a position (or a position notice); null without one.
export function toFix(raw) {
  if (!raw || typeof raw.lat !== "number" || typeof raw.lon !== "number") return null;
  return { lat: raw.lat, lon: raw.lon, at: raw.at ?? null, speed_mps: raw.speed_mps ?? null };
}

// [lon, lat] positions (GeoJSON order) -> [lat, lon] (Leaflet order).
export function latLngs(positions) {
  return (positions || []).map(([lon, lat]) => [lat, lon]);
}

// A shipment in transit (TransitOut) as the map shows it.
export function toShipment(raw) {
  return {
    id: raw.shipment_id,
    number: raw.number,
    status: raw.status,
    shipmentStatus: raw.shipment_status,
    vehicle: raw.vehicle,
    origin: raw.origin_site,
    destination: raw.destination_site,
    dueAt: raw.due_at,
    eta: raw.eta,
    remainingM: raw.eta_detail ? raw.eta_detail.remaining_m : null,
    contents: raw.contents.map((line) => ({ sku: line.sku, qty: line.qty })),
    qty: raw.qty,
    alerts: { transit: raw.alerts.transit, condition: raw.alerts.condition },
    fix: toFix(raw.last_position),
    route: latLngs(raw.route),
  };
}

// A vehicle (VehicleOut): its code, last position and the shipments it carries.
export function toVehicle(raw) {
  return {
    code: raw.code,
    name: raw.name,
    fix: toFix(raw.last_position),
    shipments: raw.shipments,
  };
}

// Everything the map draws except tracks: shipments, vehicles, geofences (GeoJSON).
export async function loadTransit() {
  const [shipments, vehicles, geofences] = await Promise.all([
    getAll(ENDPOINTS.shipments),
    getAll(ENDPOINTS.vehicles),
    getJSON(ENDPOINTS.geofences),
  ]);
  return {
    shipments: shipments.map(toShipment),
    vehicles: vehicles.map(toVehicle),
    geofences,
  };
}

// A trip's track: a GeoJSON FeatureCollection (LineString with fix times, stop Points).
export function loadTrack(shipmentId) {
  return getJSON(ENDPOINTS.track(shipmentId), { format: "geojson" });
}

// The track line ([lat, lon] points) and stops ({at, properties}) of a track collection.
export function trackParts(collection) {
  const parts = { line: [], stops: [] };
  for (const feature of collection.features || []) {
    const { geometry, properties } = feature;
    if (geometry.type === "LineString") parts.line.push(...latLngs(geometry.coordinates));
    if (geometry.type === "Point") {
      const [lon, lat] = geometry.coordinates;
      parts.stops.push({ at: [lat, lon], properties: properties || {} });
    }
  }
  return parts;
}
