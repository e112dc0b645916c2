// The live map: a marker per shipment in transit, its track, geofences, and a side panel.
// Position notices on the event stream move markers at once; the list reloads on transit
// notices and every 30 s in any case. Without a reachable tile server the base map is blank
// and everything else still draws.

import * as L from "../vendor/leaflet/leaflet-src.esm.js";
import { byId, fill, showError, when } from "./dom.js";
import { debounce, live } from "./live.js";
import { panelItem, popupContent } from "./panel.js";
import * as transit from "./transit.js";

const config = document.body.dataset;
const START = { center: [50.0, 10.0], zoom: 5 };
const TRACK_STYLE = { color: "#1f6feb", weight: 3, opacity: 0.8 };
const GEOFENCE_STYLE = { color: "#7b2cbf", weight: 2, fillOpacity: 0.08, dashArray: "6 4" };

const map = L.map("map", { zoomControl: true }).setView(START.center, START.zoom);
const layers = {
  geofences: L.featureGroup().addTo(map),
  tracks: L.featureGroup().addTo(map),
  markers: L.featureGroup().addTo(map),
};
const state = { entries: new Map(), selected: null, fitted: false, transitApi: null };

function baseMap() {
  if (!config.tileUrl) return;
  const tiles = L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 });
  tiles.on("tileerror", () => (document.body.dataset.tiles = "unreachable"));
  tiles.on("tileload", () => (document.body.dataset.tiles = "loaded"));
  tiles.addTo(map);
}

function controls() {
  const overlays = { Geofences: layers.geofences, Tracks: layers.tracks, Shipments: layers.markers };
  L.control.layers(null, overlays, { collapsed: true }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
}

// ---- markers -------------------------------------------------------------------------------

function icon(shipment, selected) {
  const classes = ["vehicle-marker"];
  if (shipment.alerts > 0) classes.push("has-alerts");
  if (selected) classes.push("selected");
  const tag = document.createElement("span");
  tag.className = "tag";
  tag.textContent = shipment.number;
  return L.divIcon({
    className: classes.join(" "),
    html: `<span class="pin"></span>${tag.outerHTML}`,
    iconSize: [22, 22],
    iconAnchor: [11, 11],
    popupAnchor: [0, -12],
  });
}

// Mirror the marker's data on its element (for people inspecting the page, and for tests).
function tagElement(entry) {
  const el = entry.marker && entry.marker.getElement();
  if (!el) return;
  el.dataset.shipment = entry.shipment.id;
  el.dataset.number = entry.shipment.number;
  el.dataset.lat = String(entry.shipment.fix.lat);
  el.dataset.lon = String(entry.shipment.fix.lon);
}

function placeMarker(entry) {
  const { shipment } = entry;
  if (!shipment.fix) return;
  const at = [shipment.fix.lat, shipment.fix.lon];
  const selected = state.selected === shipment.id;
  if (!entry.marker) {
    entry.marker = L.marker(at, { icon: icon(shipment, selected), title: shipment.number });
    entry.marker.bindPopup(() => popupContent(entry.shipment), { minWidth: 220 });
    entry.marker.on("click", () => select(shipment.id, false));
    entry.marker.on("add", () => tagElement(entry));
    entry.marker.addTo(layers.markers);
  } else {
    entry.marker.setLatLng(at);
    entry.marker.setIcon(icon(shipment, selected));
    if (entry.marker.isPopupOpen()) entry.marker.setPopupContent(popupContent(shipment));
  }
  tagElement(entry);
}

// ---- tracks --------------------------------------------------------------------------------

// GeoJSON (geometry, feature or collection) -> lines of [lat, lon] and stop points.
function trackParts(geojson, parts = { lines: [], stops: [] }) {
  if (!geojson) return parts;
  if (geojson.type === "FeatureCollection") geojson.features.forEach((f) => trackParts(f, parts));
  else if (geojson.type === "Feature") trackParts({ ...geojson.geometry, properties: geojson.properties }, parts);
  else if (geojson.type === "LineString") parts.lines.push(geojson.coordinates.map(([lon, lat]) => [lat, lon]));
  else if (geojson.type === "MultiLineString") {
    geojson.coordinates.forEach((line) => parts.lines.push(line.map(([lon, lat]) => [lat, lon])));
  } else if (geojson.type === "Point") {
    const [lon, lat] = geojson.coordinates;
    parts.stops.push({ at: [lat, lon], properties: geojson.properties || {} });
  }
  return parts;
}

function stopLabel(properties) {
  if (properties.name) return properties.name;
  const minutes = properties.minutes === undefined ? "" : `${properties.minutes} min `;
  return `stop ${minutes}from ${when(properties.start)}`;
}

function drawTrack(entry, geojson) {
  if (entry.track) layers.tracks.removeLayer(entry.track);
  const parts = trackParts(geojson);
  const group = L.featureGroup();
  entry.line = L.polyline(parts.lines, TRACK_STYLE).addTo(group);
  for (const stop of parts.stops) {
    const label = stopLabel(stop.properties);
    L.circleMarker(stop.at, { radius: 5, color: "#fca311", fillOpacity: 0.9 }).bindTooltip(label).addTo(group);
  }
  entry.track = group.addTo(layers.tracks);
}

function extendTrack(entry, fix) {
  if (!entry.line) drawTrack(entry, null);
  const lines = entry.line.getLatLngs();
  const last = Array.isArray(lines[0]) ? lines[lines.length - 1] : lines;
  last.push(L.latLng(fix.lat, fix.lon));
  entry.line.redraw();
}

async function loadTracks(entries) {
  if (!state.transitApi) return;
  await Promise.all(
    entries.map(async (entry) => drawTrack(entry, await transit.loadTrack(entry.shipment.id).catch(() => null))),
  );
}

// ---- geofences -----------------------------------------------------------------------------

function drawGeofences(features) {
  layers.geofences.clearLayers();
  L.geoJSON(features, {
    style: () => GEOFENCE_STYLE,
    pointToLayer: (feature, at) => L.circle(at, { radius: feature.properties.radius_m || 50, ...GEOFENCE_STYLE }),
    onEachFeature: (feature, layer) => layer.bindTooltip(feature.properties.name || "geofence"),
  }).addTo(layers.geofences);
}

// ---- panel and selection -------------------------------------------------------------------

function renderPanel() {
  const entries = [...state.entries.values()];
  const items = entries.map((entry) => {
    const item = panelItem(entry.shipment, state.selected === entry.shipment.id);
    item.addEventListener("click", () => select(entry.shipment.id, true));
    item.addEventListener("keydown", (event) => event.key === "Enter" && select(entry.shipment.id, true));
    return item;
  });
  fill(byId("transit-list"), items);
  const located = entries.filter((entry) => entry.shipment.fix).length;
  let status = `${entries.length} in transit, ${located} with a position`;
  if (state.transitApi === false) status += " (transit tracking not available on this server)";
  fill(byId("map-status"), entries.length ? status : "No shipment in transit.");
}

function select(id, fly) {
  state.selected = id;
  state.entries.forEach((entry) => entry.shipment.fix && placeMarker(entry));
  renderPanel();
  const entry = state.entries.get(id);
  if (!entry || !entry.marker) return;
  if (fly) map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 10));
  entry.marker.openPopup();
}

function fitOnce() {
  if (state.fitted) return;
  const bounds = L.featureGroup([layers.markers, layers.geofences, layers.tracks]).getBounds();
  if (!bounds.isValid()) return;
  map.fitBounds(bounds, { padding: [40, 40], maxZoom: 13 });
  state.fitted = true;
}

// ---- loading and live updates --------------------------------------------------------------

function sync(shipments) {
  const seen = new Set();
  const added = [];
  for (const shipment of shipments) {
    seen.add(shipment.id);
    let entry = state.entries.get(shipment.id);
    if (!entry) {
      entry = { shipment, marker: null, track: null, line: null };
      state.entries.set(shipment.id, entry);
      added.push(entry);
    }
    entry.shipment = shipment;
    placeMarker(entry);
  }
  for (const [id, entry] of state.entries) {
    if (seen.has(id)) continue;
    if (entry.marker) layers.markers.removeLayer(entry.marker);
    if (entry.track) layers.tracks.removeLayer(entry.track);
    state.entries.delete(id);
  }
  return added;
}

async function reload() {
  try {
    const { shipments, transitApi } = await transit.loadShipments();
    state.transitApi = transitApi;
    sync(shipments);
    await loadTracks([...state.entries.values()]);
    if (transitApi) drawGeofences(await transit.loadGeofences());
    renderPanel();
    fitOnce();
    document.body.dataset.loaded = "map";
    showError(null);
  } catch (error) {
    showError(error);
  }
}

function onPosition(notice) {
  const fix = transit.toFix(notice);
  if (!fix) return;
  const moved = [...state.entries.values()].filter((entry) => transit.matchesFix(entry.shipment, notice));
  if (!moved.length) return scheduleReload(); // a vehicle we do not show yet
  for (const entry of moved) {
    entry.shipment = { ...entry.shipment, fix };
    placeMarker(entry);
    extendTrack(entry, fix);
  }
  renderPanel();
  fitOnce();
}

const scheduleReload = debounce(reload, 500);

baseMap();
controls();
live({
  events: [transit.POSITION_EVENT, ...transit.RELOAD_EVENTS],
  onEvent: (name, data) => (name === transit.POSITION_EVENT ? onPosition(data) : scheduleReload()),
  refresh: scheduleReload,
  everyMs: 30000,
});
reload();
