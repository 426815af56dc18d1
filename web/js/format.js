// Swedish formatting of the numbers, intervals, percentages and dates the API publishes, and
// the marks for suppressed and estimated values. Every component formats through this module
// so that the page says "12,3 (9,8–15,1)" the same way everywhere.
//
// The API's indicators look like {value, lower, upper, suppressed, reason}: value is null when
// the number is suppressed (a count of 1–4, or one hidden to protect another) or withheld (too
// few events or residents), and reason then says why in Swedish.

const LOCALE = 'sv-SE';
const cache = new Map();

function nf(min, max, extra = {}) {
  const key = `${min}|${max}|${JSON.stringify(extra)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: min, maximumFractionDigits: max, ...extra });
    cache.set(key, f);
  }
  return f;
}

// The dash shown for a missing number (en dash, as in Swedish statistics).
export const DASH = '–';

// The reason shown when the API suppressed a value without saying why.
export const DEFAULT_SUPPRESSED = 'skyddat: färre än 5 händelser';

// isNum reports whether v is a finite number.
export function isNum(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

// decimalsFor picks a sensible number of decimals for a value of this size.
function decimalsFor(v) {
  const a = Math.abs(v);
  if (a >= 100) return 0;
  if (a >= 10) return 1;
  if (a >= 1) return 1;
  if (a === 0) return 0;
  return 2;
}

// number formats v with the given decimals (default: by size; integers without decimals).
// Null, undefined and NaN give the dash.
export function number(v, decimals) {
  if (!isNum(v)) return DASH;
  if (decimals === undefined) decimals = Number.isInteger(v) ? 0 : decimalsFor(v);
  return nf(decimals, decimals).format(v);
}

// integer formats a count: "1 234".
export function integer(v) {
  return isNum(v) ? nf(0, 0).format(Math.round(v)) : DASH;
}

// signed formats a difference with its sign: "+12", "−3,4" (true minus sign), "0".
export function signed(v, decimals) {
  if (!isNum(v)) return DASH;
  const s = number(Math.abs(v), decimals);
  if (v > 0) return `+${s}`;
  if (v < 0) return `−${s}`;
  return s;
}

// percent formats a percentage given in percent units (12.5 → "12,5 %").
export function percent(v, decimals = 1, { sign = false } = {}) {
  if (!isNum(v)) return DASH;
  const s = sign ? signed(v, decimals) : number(v, decimals);
  return `${s} %`;
}

// share formats a share 0–1 as a percentage (0.125 → "12,5 %").
export function share(v, decimals = 0) {
  return isNum(v) ? percent(v * 100, decimals) : DASH;
}

// interval formats "12,3 (9,8–15,1)"; with only a value, just the value.
export function interval(value, lower, upper, decimals) {
  if (!isNum(value)) return DASH;
  if (decimals === undefined) decimals = Number.isInteger(value) && (!isNum(lower) || Number.isInteger(lower)) ? 0 : decimalsFor(value);
  const v = number(value, decimals);
  if (!isNum(lower) || !isNum(upper)) return v;
  return `${v} (${number(lower, decimals)}–${number(upper, decimals)})`;
}

// suppressedText is the text shown instead of a suppressed or withheld value.
export function suppressedText(reason) {
  return `${DASH}, ${reason || DEFAULT_SUPPRESSED}`;
}

// isSuppressed reports whether an API indicator has no publishable value.
export function isSuppressed(ind) {
  return !ind || ind.suppressed === true || !isNum(ind.value);
}

// indicator formats an API indicator {value, lower, upper, suppressed, reason}: the value with
// its interval, or the suppressed text with the API's reason.
export function indicator(ind, decimals) {
  if (isSuppressed(ind)) return suppressedText(ind && ind.reason);
  return interval(ind.value, ind.lower, ind.upper, decimals);
}

// rawValue is what a [data-value] attribute carries: the API's number as JSON writes it, or
// "suppressed".
export function rawValue(ind) {
  if (isSuppressed(ind)) return 'suppressed';
  return String(ind.value);
}

// ESTIMATED is the mark shown next to an estimated value.
export const ESTIMATED = 'uppskattat';

// date formats "2025-03-01" as "1 mars 2025".
export function date(iso) {
  const d = parseDay(iso);
  if (!d) return iso ? String(iso) : DASH;
  return new Intl.DateTimeFormat(LOCALE, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(d);
}

// shortDate formats "2025-03-01" as "1 mars 2025" without the year when it is yearless=true.
export function shortDate(iso) {
  const d = parseDay(iso);
  if (!d) return iso ? String(iso) : DASH;
  return new Intl.DateTimeFormat(LOCALE, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(d);
}

// period formats {from, to} as "1 jan. 2025–31 dec. 2025".
export function period(p) {
  if (!p || !p.from || !p.to) return DASH;
  return `${shortDate(p.from)}–${shortDate(p.to)}`;
}

// month formats "2025-03" as "mars 2025" (long) or "mar 2025" (short).
export function month(ym, style = 'long') {
  const d = parseDay(`${ym}-01`);
  if (!d) return ym ? String(ym) : DASH;
  return new Intl.DateTimeFormat(LOCALE, { month: style, year: 'numeric', timeZone: 'UTC' }).format(d);
}

// parseDay reads "YYYY-MM-DD" as a UTC date, or null.
export function parseDay(iso) {
  if (typeof iso !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(iso)) return null;
  const d = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

// isoDay formats a Date as "YYYY-MM-DD" (UTC).
export function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

// shiftYear moves "YYYY-MM-DD" by n years (29 Feb becomes 28 Feb).
export function shiftYear(iso, n) {
  const d = parseDay(iso);
  if (!d) return iso;
  const y = d.getUTCFullYear() + n;
  const m = d.getUTCMonth();
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return isoDay(new Date(Date.UTC(y, m, Math.min(d.getUTCDate(), last))));
}

// pValue formats a p-value: "p = 0,03", "p < 0,001".
export function pValue(p) {
  if (!isNum(p)) return DASH;
  if (p < 0.001) return 'p < 0,001';
  return `p = ${number(p, p < 0.01 ? 3 : 2)}`;
}

// el creates an element: el('td', {class: 'x', dataset: {v: 1}}, 'text', child).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) { if (dv !== undefined && dv !== null) e.dataset[dk] = String(dv); }
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// errorText is the Swedish message for an error thrown by api.get (ApiError {status, code,
// message}) or by the network.
export function errorText(err, what = 'uppgifterna') {
  const status = err && err.status;
  if (status === 401) return 'Sessionen har gått ut – logga in igen.';
  if (status === 404) return `Hittade inte ${what}.`;
  if (status === 403) return `Du har inte behörighet att se ${what}.`;
  if (status === 400) return `Servern kunde inte tolka frågan om ${what}${err.message ? ` (${err.message})` : ''}.`;
  if (status === 503) return 'Tjänsten är tillfälligt otillgänglig. Försök igen om en stund.';
  if (status >= 500) return `Ett fel uppstod hos servern när ${what} hämtades. Försök igen.`;
  return `Kunde inte hämta ${what}. Kontrollera anslutningen och försök igen.`;
}

// scrollBox wraps a wide table in a horizontally scrollable region that keyboard users can
// reach (tabindex 0) and screen readers can name.
export function scrollBox(label, child, cls = '') {
  return el('div', { class: `lb-table-scroll${cls ? ` ${cls}` : ''}`, tabindex: '0', role: 'region', 'aria-label': label }, child);
}
