// The live map: a marker per vehicle, each shipment's track and planned route, geofences,
// and a side panel of shipments in transit. Position notices on the event stream move markers
// and extend tracks at once; transit notices reload the lists, as does a refresh every 30 s.
// Without a reachable tile server the base map stays blank and everything else still draws.

import * as L from "../vendor/leaflet/leaflet-src.esm.js";
import { byId, fill, showError, when } from "./dom.js";
import { debounce, live } from "./live.js";
import { alertCount, panelItem, vehiclePopup } from "./panel.js";
import * as transit from "./transit.js";

const config = document.body.dataset;
const START = { center: [50.0, 10.0], zoom: 5 };
const TRACK = { color: "#1f6feb", weight: 3, opacity: 0.85 };
const ROUTE = { color: "#5f6b7a", weight: 2, opacity: 0.7, dashArray: "4 6" };
const STOP = { radius: 5, color: "#b35900", fillColor: "#fca311", fillOpacity: 0.9 };
const FENCE = { color: "#7b2cbf", weight: 2, fillOpacity: 0.08, dashArray: "6 4" };

const map = L.map("map").setView(START.center, START.zoom);
const layers = {
  geofences: L.featureGroup().addTo(map),
  routes: L.featureGroup().addTo(map),
  tracks: L.featureGroup().addTo(map),
  vehicles: L.featureGroup().addTo(map),
};
const state = {
  shipments: new Map(), // id -> {shipment, track: featureGroup, line: polyline, route}
  vehicles: new Map(), // code -> {vehicle, marker}
  selected: null, // shipment id
  fitted: false,
};

function baseMap() {
  if (!config.tileUrl) return;
  const tiles = L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 });
  tiles.on("tileerror", () => (document.body.dataset.tiles = "unreachable"));
  tiles.on("tileload", () => (document.body.dataset.tiles = "loaded"));
  tiles.addTo(map);
}

function controls() {
  const overlays = {
    Geofences: layers.geofences,
    "Planned routes": layers.routes,
    Tracks: layers.tracks,
    Vehicles: layers.vehicles,
  };
  L.control.layers(null, overlays).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
}

// ---- vehicles ------------------------------------------------------------------------------

function shipmentsOf(code) {
  return [...state.shipments.values()]
    .map((entry) => entry.shipment)
    .filter((shipment) => shipment.vehicle === code);
}

function icon(vehicle) {
  const carried = shipmentsOf(vehicle.code);
  const classes = ["vehicle-marker"];
  if (!carried.length) classes.push("idle");
  if (carried.some((shipment) => alertCount(shipment) > 0)) classes.push("has-alerts");
  if (carried.some((shipment) => shipment.id === state.selected)) classes.push("selected");
  const tag = document.createElement("span");
  tag.className = "tag";
  tag.textContent = vehicle.code;
  return L.divIcon({
    className: classes.join(" "),
    html: `<span class="pin"></span>${tag.outerHTML}`,
    iconSize: [22, 22],
    iconAnchor: [11, 11],
    popupAnchor: [0, -12],
  });
}

// The marker's element carries its vehicle and position (for people inspecting it, and tests).
function tagElement(entry) {
  const el = entry.marker && entry.marker.getElement();
  if (!el) return;
  el.dataset.vehicle = entry.vehicle.code;
  el.dataset.lat = String(entry.vehicle.fix.lat);
  el.dataset.lon = String(entry.vehicle.fix.lon);
}

function popup(entry) {
  return vehiclePopup(entry.vehicle, shipmentsOf(entry.vehicle.code));
}

function placeVehicle(entry) {
  const { vehicle } = entry;
  if (!vehicle.fix) return;
  const at = [vehicle.fix.lat, vehicle.fix.lon];
  if (!entry.marker) {
    entry.marker = L.marker(at, { icon: icon(vehicle), title: vehicle.code, riseOnHover: true });
    entry.marker.bindPopup(() => popup(entry), { minWidth: 240, maxHeight: 360 });
    entry.marker.on("add", () => tagElement(entry));
    entry.marker.addTo(layers.vehicles);
  } else {
    entry.marker.setLatLng(at);
    entry.marker.setIcon(icon(vehicle));
    if (entry.marker.isPopupOpen()) entry.marker.setPopupContent(popup(entry));
  }
  tagElement(entry);
}

function syncVehicles(vehicles) {
  const seen = new Set(vehicles.map((vehicle) => vehicle.code));
  for (const vehicle of vehicles) {
    const entry = state.vehicles.get(vehicle.code) || { vehicle, marker: null };
    entry.vehicle = vehicle;
    state.vehicles.set(vehicle.code, entry);
    placeVehicle(entry);
  }
  for (const [code, entry] of state.vehicles) {
    if (seen.has(code)) continue;
    if (entry.marker) layers.vehicles.removeLayer(entry.marker);
    state.vehicles.delete(code);
  }
}

// ---- shipments: tracks and planned routes --------------------------------------------------

function stopLabel(properties) {
  const minutes = properties.minutes === undefined ? "" : ` ${properties.minutes} min`;
  return `stop${minutes} from ${when(properties.start)}`;
}

function drawTrack(entry, collection) {
  if (entry.track) layers.tracks.removeLayer(entry.track);
  const { line, stops } = transit.trackParts(collection);
  entry.track = L.featureGroup();
  entry.line = L.polyline(line, TRACK).addTo(entry.track);
  for (const stop of stops) {
    L.circleMarker(stop.at, STOP).bindTooltip(stopLabel(stop.properties)).addTo(entry.track);
  }
  entry.track.bindTooltip(`track of ${entry.shipment.number}`, { sticky: true });
  entry.track.addTo(layers.tracks);
}

function drawRoute(entry) {
  if (entry.route) layers.routes.removeLayer(entry.route);
  entry.route = null;
  if (entry.shipment.route.length < 2) return;
  entry.route = L.polyline(entry.shipment.route, ROUTE).addTo(layers.routes);
  entry.route.bindTooltip(`planned route of ${entry.shipment.number}`, { sticky: true });
}

async function loadTrack(entry) {
  try {
    drawTrack(entry, await transit.loadTrack(entry.shipment.id));
  } catch (error) {
    showError(error);
  }
}

function forget(entry) {
  if (entry.track) layers.tracks.removeLayer(entry.track);
  if (entry.route) layers.routes.removeLayer(entry.route);
}

async function syncShipments(shipments) {
  const seen = new Set(shipments.map((shipment) => shipment.id));
  for (const shipment of shipments) {
    const entry = state.shipments.get(shipment.id) || { shipment, track: null, line: null };
    entry.shipment = shipment;
    state.shipments.set(shipment.id, entry);
    drawRoute(entry);
  }
  for (const [id, entry] of state.shipments) {
    if (seen.has(id)) continue;
    forget(entry);
    state.shipments.delete(id);
  }
  await Promise.all([...state.shipments.values()].map(loadTrack));
}

// ---- geofences -----------------------------------------------------------------------------

function drawGeofences(collection) {
  layers.geofences.clearLayers();
  L.geoJSON(collection, {
    style: () => FENCE,
    onEachFeature: (feature, layer) => {
      const { name, code, site } = feature.properties;
      const label = `${name || code}${site ? ` (site ${site})` : ""}`;
      layer.bindTooltip(label);
    },
  }).addTo(layers.geofences);
}

// ---- panel and selection -------------------------------------------------------------------

function renderPanel() {
  const entries = [...state.shipments.values()];
  const items = entries.map(({ shipment }) => {
    const item = panelItem(shipment, state.selected === shipment.id);
    item.addEventListener("click", (event) => {
      if (event.target.closest("a")) return; // the shipment link opens its page
      select(shipment.id);
    });
    item.addEventListener("keydown", (event) => event.key === "Enter" && select(shipment.id));
    return item;
  });
  fill(byId("transit-list"), items);
  const vehicles = new Set(entries.map(({ shipment }) => shipment.vehicle)).size;
  const text = `${entries.length} shipments on ${vehicles} vehicles`;
  fill(byId("map-status"), entries.length ? text : "No shipment in transit.");
}

function select(id) {
  state.selected = id;
  state.vehicles.forEach(placeVehicle);
  renderPanel();
  const entry = state.shipments.get(id);
  const vehicle = entry && state.vehicles.get(entry.shipment.vehicle);
  if (!vehicle || !vehicle.marker) return;
  map.setView(vehicle.marker.getLatLng(), Math.max(map.getZoom(), 10));
  vehicle.marker.openPopup();
}

function fitOnce() {
  if (state.fitted) return;
  const all = [layers.vehicles, layers.tracks, layers.routes, layers.geofences];
  const bounds = L.featureGroup(all).getBounds();
  if (!bounds.isValid()) return;
  map.fitBounds(bounds, { padding: [40, 40], maxZoom: 13 });
  state.fitted = true;
}

// ---- loading and live updates --------------------------------------------------------------

async function reload() {
  try {
    const { shipments, vehicles, geofences } = await transit.loadTransit();
    await syncShipments(shipments);
    syncVehicles(vehicles);
    drawGeofences(geofences);
    renderPanel();
    fitOnce();
    document.body.dataset.loaded = "map";
    showError(null);
  } catch (error) {
    showError(error);
  }
}

const scheduleReload = debounce(reload, 500);

function onPosition(notice) {
  const fix = transit.toFix(notice);
  const entry = state.vehicles.get(notice.vehicle);
  if (!fix || !entry) return scheduleReload(); // a vehicle not shown yet
  entry.vehicle = { ...entry.vehicle, fix };
  for (const shipment of state.shipments.values()) {
    if (!notice.shipments.includes(shipment.shipment.number)) continue;
    shipment.shipment = { ...shipment.shipment, fix };
    if (shipment.line) shipment.line.addLatLng([fix.lat, fix.lon]);
  }
  placeVehicle(entry);
  renderPanel();
  fitOnce();
}

baseMap();
controls();
live({
  events: [transit.POSITION_EVENT, ...transit.RELOAD_EVENTS],
  onEvent: (name, data) => (name === transit.POSITION_EVENT ? onPosition(data) : scheduleReload()),
  refresh: scheduleReload,
  everyMs: 30000,
});
reload();
