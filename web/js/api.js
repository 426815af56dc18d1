// API client and session. Every module talks to the service through `api`
// (web/js/panel.js, table.js and overview.js too): JSON in and out, the
// session cookie, the CSRF header on state-changing requests, and one
// translation of failures into ApiError {status, code, message}.
//
// Two failures are the page's business, not the caller's: a 401 means the
// session has expired (main.js shows the login form again) and a 503 means
// the database is down (a banner "Tjänsten är tillfälligt otillgänglig", never
// the login form). Handlers for both are set with onSessionExpired and
// onUnavailable; the error is thrown to the caller as well.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

const handlers = { expired: () => {}, unavailable: () => {}, available: () => {} };

export function onSessionExpired(fn) { handlers.expired = fn; }
export function onUnavailable(fn, backFn) {
  handlers.unavailable = fn;
  if (backFn) handlers.available = backFn;
}

// Counters for the browser test and the benchmarks.
export const stats = { requests: 0, failures: 0 };

async function readBody(resp) {
  const text = await resp.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// errorOf builds the ApiError of a failed response: the API's bodies are
// {"error":{"code","message"}} (data) or {"error":"…"} (login).
function errorOf(status, body) {
  const e = body && typeof body === 'object' ? body.error : null;
  let code = `http_${status}`;
  let message = `HTTP ${status}`;
  if (typeof e === 'string' && e) message = e;
  else if (e && typeof e === 'object') {
    if (e.code) code = String(e.code);
    if (e.message) message = String(e.message);
  }
  if (status === 503) message = 'Tjänsten är tillfälligt otillgänglig. Försök igen om en stund.';
  return new ApiError(status, code, message);
}

async function request(method, path, { body, accept = 'application/json', raw = false } = {}) {
  const headers = { Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && api.csrf) headers['X-CSRF-Token'] = api.csrf;
  stats.requests++;
  let resp;
  try {
    resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: method === 'GET' ? 'default' : 'no-store',
    });
  } catch (err) {
    stats.failures++;
    throw new ApiError(0, 'network', `Kunde inte nå servern (${err.message}).`);
  }
  if (!resp.ok) {
    stats.failures++;
    const err = errorOf(resp.status, await readBody(resp));
    if (resp.status === 401) handlers.expired(err);
    if (resp.status === 503) handlers.unavailable(err);
    throw err;
  }
  handlers.available();
  if (raw) return resp.text();
  if (resp.status === 204) return null;
  return readBody(resp);
}

export const api = {
  // csrf is the token of GET /api/v1/me, sent as X-CSRF-Token on POST, PUT,
  // PATCH and DELETE; main.js sets it at login.
  csrf: '',
  get(path) { return request('GET', path); },
  getText(path, accept = 'text/plain, text/csv, text/html') { return request('GET', path, { accept, raw: true }); },
  send(method, path, body) { return request(method, path, { body }); },
};

// qs builds a query string from an object, leaving out empty values.
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    u.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}
