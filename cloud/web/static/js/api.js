// The JSON API of the cloud service: GET and POST with the service's error envelope.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function url(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) query.append(key, one);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

async function parse(response) {
  const body = await response.json().catch(() => null);
  if (response.ok) return body;
  const error = body && body.error;
  const message = error ? error.message : `${response.status} ${response.statusText}`;
  throw new ApiError(response.status, error ? error.code : "http", message);
}

export async function getJSON(path, params = {}) {
  const response = await fetch(url(path, params), { headers: { Accept: "application/json" } });
  return parse(response);
}

export async function postJSON(path, body = undefined) {
  const response = await fetch(path, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return parse(response);
}

// One page of a list endpoint: {items, total, limit, offset, next_offset}.
export function getPage(path, params = {}, offset = 0, limit = 100) {
  return getJSON(path, { ...params, offset, limit });
}

// Every item of a list endpoint, page by page (stops after `max` items).
export async function getAll(path, params = {}, max = 5000) {
  const items = [];
  let offset = 0;
  while (offset !== null && items.length < max) {
    const page = await getPage(path, params, offset, 500);
    items.push(...page.items);
    offset = page.next_offset;
  }
  return items;
}

// GET that answers null for 404 (an endpoint or a thing that is not there).
export async function getOptional(path, params = {}) {
  try {
    return await getJSON(path, params);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
    throw error;
  }
}
