// Small DOM helpers shared by the pages: building elements, formatting times and statuses.

// Receipt line statuses, discrepancies first.
export const RECEIPT_STATUSES = ["short", "over", "unexpected", "duplicate", "matched"];

// h("a", {href: "/x", class: "y", onclick: fn}, "text", child) -> an element.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

// Replace everything inside el with children.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function byId(id) {
  return document.getElementById(id);
}

function pad(n) {
  return String(n).padStart(2, "0");
}

// An ISO time as local "YYYY-MM-DD HH:MM:SS"; a dash when there is none.
export function when(iso) {
  if (!iso) return "—";
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return String(iso);
  const date = `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
  return `${date} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
}

// "in 12 min", "3 h ago": a time relative to now, for ETAs and last fixes.
export function relative(iso, now = Date.now()) {
  if (!iso) return "";
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const size = Math.abs(seconds);
  let text;
  if (size < 60) text = `${size} s`;
  else if (size < 3600) text = `${Math.round(size / 60)} min`;
  else if (size < 86400) text = `${(size / 3600).toFixed(1)} h`;
  else text = `${(size / 86400).toFixed(1)} d`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

// A status word as a coloured chip ("short 5").
export function chip(status, count = null) {
  const text = count === null ? status : `${status} ${count}`;
  return h("span", { class: `chip chip-${status}`, dataset: { status } }, text);
}

// Show an error message in the page's #error paragraph (or hide it with null).
export function showError(error) {
  const el = byId("error");
  if (!el) return;
  el.hidden = !error;
  el.textContent = error ? String(error.message || error) : "";
}
