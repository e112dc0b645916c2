// Live updates: the service's event stream (SSE), with a periodic refresh as a fallback.
//
// live({events, onEvent, refresh, everyMs}) listens for the named events (topics such as
// "receipt.posted"), calls refresh() after a reconnect or a `dropped` notice (events were
// missed) and every everyMs in any case. The #live badge in the top bar shows the state.

const STREAM = "/api/events/stream";

function badge(state) {
  const el = document.getElementById("live");
  document.body.dataset.live = state;
  if (!el) return;
  el.dataset.state = state;
  el.textContent = state === "open" ? "live" : state;
}

// Run fn at most once per waitMs, the last call winning (bursts of events, one fetch).
export function debounce(fn, waitMs = 300) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), waitMs);
  };
}

export function live({ events, onEvent = () => {}, refresh = () => {}, everyMs = 30000 }) {
  const query = new URLSearchParams();
  for (const name of events) query.append("topic", name);
  const source = new EventSource(`${STREAM}?${query}`);
  let opened = false;
  source.addEventListener("open", () => {
    if (opened) refresh(); // a reconnect: what happened meanwhile is not in the stream
    opened = true;
    badge("open");
  });
  source.addEventListener("error", () => badge("reconnecting"));
  source.addEventListener("dropped", () => refresh());
  for (const name of events) {
    source.addEventListener(name, (message) => onEvent(name, JSON.parse(message.data)));
  }
  const timer = setInterval(() => refresh(), everyMs);
  window.addEventListener("pagehide", () => {
    clearInterval(timer);
    source.close();
  });
  return source;
}
