// URL state: everything a shared link restores — position, list year,
// layers, colouring, filters, period, comparison, playback month and the open
// area — kept in the page's query string (history.replaceState, so the back
// button is not flooded).

// Layers the user can switch on and off, with their default.
export const LAYER_DEFAULTS = {
  omraden: true, h3: true, narvaro: false, emerging: false, observationer: false, kommuner: true, lan: true, polisregioner: false, labels: true,
};

export const PRESETS = ['28d', '3m', 'ytd', '12m', 'custom'];

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^\d{4}-\d{2}$/;
const LIST = /^[a-z0-9_]{1,40}(,[a-z0-9_]{1,40})*$/;
const WEIGHTS = /^[a-z_]{1,40}:\d{1,3}(\.\d{1,4})?(,[a-z_]{1,40}:\d{1,3}(\.\d{1,4})?){0,15}$/;
const PROFILE = /^[a-z0-9][a-z0-9_-]{0,62}$/; // as the API's profile names

// parse reads the state from a query string; unknown or malformed values fall
// back to the defaults (a shared link never breaks the page).
export function parse(search) {
  const q = new URLSearchParams(search);
  const s = {
    set: /^\d{4}$/.test(q.get('set') || '') ? q.get('set') : null,
    view: null,
    layers: { ...LAYER_DEFAULTS },
    color: q.get('color') || 'class',
    groups: LIST.test(q.get('cat') || '') ? q.get('cat').split(',') : [],
    agencies: LIST.test(q.get('agency') || '') ? q.get('agency').split(',') : [],
    preset: PRESETS.includes(q.get('period')) ? q.get('period') : '12m',
    from: DATE.test(q.get('from') || '') ? q.get('from') : null,
    to: DATE.test(q.get('to') || '') ? q.get('to') : null,
    compare: q.get('compare') === 'yoy' ? 'yoy' : 'prev',
    month: MONTH.test(q.get('month') || '') ? q.get('month') : null,
    area: /^\d{4}-(SO|UOP)\d{1,9}$/.test(q.get('area') || '') ? q.get('area') : null,
    changes: q.get('changes') === '1',
    // The ranking's weights ("violent_rate:0.4,trend:0.2", the API's form) or a saved profile.
    weights: WEIGHTS.test(q.get('weights') || '') ? q.get('weights') : null,
    profile: PROFILE.test(q.get('profile') || '') ? q.get('profile') : null,
  };
  if (s.profile) s.weights = null;
  const v = (q.get('map') || '').split('/').map(Number);
  if (v.length === 3 && v.every(Number.isFinite) && v[0] >= 2 && v[0] <= 18) {
    s.view = { zoom: v[0], lat: v[1], lon: v[2] };
  }
  if (LIST.test(q.get('layers') || '')) {
    const on = new Set(q.get('layers').split(','));
    for (const k of Object.keys(s.layers)) s.layers[k] = on.has(k);
  }
  if (s.preset === 'custom' && (!s.from || !s.to || s.to < s.from)) s.preset = '12m';
  return s;
}

// serialize writes the state as a query string (defaults left out).
export function serialize(s) {
  const q = new URLSearchParams();
  if (s.set) q.set('set', s.set);
  if (s.view) q.set('map', `${s.view.zoom.toFixed(2)}/${s.view.lat.toFixed(5)}/${s.view.lon.toFixed(5)}`);
  const on = Object.keys(s.layers).filter((k) => s.layers[k]);
  if (Object.keys(s.layers).some((k) => s.layers[k] !== LAYER_DEFAULTS[k])) q.set('layers', on.join(','));
  if (s.color && s.color !== 'class') q.set('color', s.color);
  if (s.groups.length) q.set('cat', s.groups.join(','));
  if (s.agencies.length) q.set('agency', s.agencies.join(','));
  if (s.preset !== '12m') q.set('period', s.preset);
  if (s.preset === 'custom') {
    q.set('from', s.from);
    q.set('to', s.to);
  }
  if (s.compare !== 'prev') q.set('compare', s.compare);
  if (s.month) q.set('month', s.month);
  if (s.area) q.set('area', s.area);
  if (s.changes) q.set('changes', '1');
  if (s.profile) q.set('profile', s.profile);
  else if (s.weights) q.set('weights', s.weights);
  return q.toString();
}

export const state = parse(window.location.search);

let timer = null;
// save writes the state into the address bar (debounced: map moves fire often).
export function save() {
  clearTimeout(timer);
  timer = setTimeout(() => {
    const q = serialize(state);
    const url = `${window.location.pathname}${q ? `?${q}` : ''}${window.location.hash}`;
    window.history.replaceState(null, '', url);
  }, 150);
}

// ---- periods -----------------------------------------------------------------

const iso = (d) => d.toISOString().slice(0, 10);
const day = (s) => new Date(`${s}T00:00:00Z`);
const addDays = (s, n) => {
  const d = day(s);
  d.setUTCDate(d.getUTCDate() + n);
  return iso(d);
};
const addMonths = (s, n) => {
  const d = day(s);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), last));
  return iso(target);
};

// periodOf resolves a preset to {from, to} (inclusive days) ending at anchor,
// the newest day with data (the service's default period ends there too).
export function periodOf(preset, anchor, custom = {}) {
  switch (preset) {
    case '28d': return { from: addDays(anchor, -27), to: anchor };
    case '3m': return { from: addDays(addMonths(anchor, -3), 1), to: anchor };
    case 'ytd': return { from: `${anchor.slice(0, 4)}-01-01`, to: anchor };
    case 'custom': return { from: custom.from, to: custom.to };
    default: return { from: addDays(addMonths(anchor, -12), 1), to: anchor };
  }
}

// comparisonOf is the period compared with: the one just before, or the same
// days a year earlier.
export function comparisonOf(p, compare) {
  if (compare === 'yoy') return { from: addMonths(p.from, -12), to: addMonths(p.to, -12) };
  const days = Math.round((day(p.to) - day(p.from)) / 864e5) + 1;
  return { from: addDays(p.from, -days), to: addDays(p.from, -1) };
}

// monthsOf lists the months (YYYY-MM) a period touches, for the playback.
export function monthsOf(p) {
  const out = [];
  let m = p.from.slice(0, 7);
  while (m <= p.to.slice(0, 7) && out.length < 240) {
    out.push(m);
    m = addMonths(`${m}-01`, 1).slice(0, 7);
  }
  return out;
}

// monthRange is one month clipped to the period.
export function monthRange(month, p) {
  const first = `${month}-01`;
  const last = addDays(addMonths(first, 1), -1);
  return { from: first < p.from ? p.from : first, to: last > p.to ? p.to : last };
}

export const PRESET_LABELS = {
  '28d': 'Senaste 28 dagarna',
  '3m': 'Senaste 3 månaderna',
  ytd: 'Hittills i år',
  '12m': 'Senaste 12 månaderna',
  custom: 'Eget intervall',
};
