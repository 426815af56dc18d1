// The component test page: mounts panel, table and overview with a fake api that answers from
// the captured fixtures (fixtures/index.json maps "subject path?query" to a file). Every call
// is recorded in window.fx.calls; a path without a fixture is answered like the server would
// answer an unknown area (404), except /api/v1/priority with other weights, which gets the
// default ranking and is counted in window.fx.fallbacks.
import { createAreaPanel, setClassLabels } from '../js/panel.js';
import { createAreaTable } from '../js/table.js';
import { createOverview } from '../js/overview.js';

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

const params = new URLSearchParams(location.search);
// ?live=1: the real API of the origin (test/components-live.mjs serves this page from the
// running service), with the session the test logged in with.
const live = params.get('live') === '1';
const index = live ? { requests: {}, from: params.get('from') || undefined, to: params.get('to') || undefined }
  : await (await fetch('fixtures/index.json')).json();
// The class labels, as the page takes them from the style's metadata (lagesbild:classes).
setClassLabels(live ? (await (await fetch('/styles/lagesbild.json')).json()).metadata['lagesbild:classes']
  : await (await fetch('fixtures/classes.json')).json());
const fx = { calls: [], fallbacks: [], selected: [], zooms: [], closed: 0, hotspots: [], data: [], errors: [] };
window.fx = fx;
window.addEventListener('error', (e) => fx.errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => fx.errors.push(String(e.reason && e.reason.message)));

// norm makes "path?b=1&a=x:y" and "path?a=x%3Ay&b=1" the same key.
function norm(path) {
  const u = new URL(path, location.origin);
  const q = [...u.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${u.pathname}?${new URLSearchParams(q)}`;
}
const byKey = new Map(Object.entries(index.requests).map(([k, f]) => {
  const i = k.indexOf(' ');
  return [`${k.slice(0, i)} ${norm(k.slice(i + 1))}`, f];
}));

function lookup(subject, path) {
  return byKey.get(`${subject} ${norm(path)}`);
}

function makeApi(subject) {
  return {
    async get(path) {
      fx.calls.push(path);
      let file = lookup(subject, path);
      if (!file && path.startsWith('/api/v1/priority?')) {
        fx.fallbacks.push(path);
        const u = new URL(path, location.origin);
        u.searchParams.delete('weights');
        u.searchParams.delete('profile');
        file = lookup(subject, `${u.pathname}?${u.searchParams}`);
      }
      if (params.get('fail') && path.includes(params.get('fail'))) throw new ApiError(500, 'internal', 'internal error');
      if (!file) throw new ApiError(404, 'not_found', `no fixture for ${path}`);
      const r = await fetch(`fixtures/${file}`);
      return r.json();
    },
    async getText(path) { throw new ApiError(404, 'not_found', `no text fixture for ${path}`); },
    async send(method, path) { throw new ApiError(405, 'method', `${method} ${path} not faked`); },
  };
}

function liveApi() {
  return {
    async get(path) {
      fx.calls.push(path);
      const r = await fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      if (!r.ok) {
        let body = null;
        try { body = await r.json(); } catch { /* not JSON */ }
        const e = body && body.error;
        throw new ApiError(r.status, (e && e.code) || `http_${r.status}`, (e && e.message) || `HTTP ${r.status}`);
      }
      return r.json();
    },
    async getText(path) { return (await fetch(path)).text(); },
    async send(method, path) { throw new ApiError(405, 'method', `${method} ${path} not used here`); },
  };
}

const period = { from: index.from, to: index.to, compare: 'previous' };
const regional = live ? liveApi() : makeApi('demo-regional');
const lokal = live ? regional : makeApi('demo-lokal');

const panel = createAreaPanel(document.querySelector('#area-panel'), {
  api: regional,
  onClose: () => { fx.closed++; panel.clear(); },
  onShowHotspots: (fc) => fx.hotspots.push(fc),
  onZoomTo: (bounds, info) => fx.zooms.push({ bounds, areaId: info && info.areaId }),
});
const table = createAreaTable(document.querySelector('#area-table'), {
  api: regional,
  onSelect: (id) => { fx.selected.push(id); panel.show(id, period); },
  onData: (d) => fx.data.push({ n: d.summaries.areas.length, ranks: d.priority.areas.map((a) => a.area.id) }),
});
const overview = createOverview(document.querySelector('#overview'), {
  api: lokal,
  onSelect: (id) => { fx.selected.push(id); panel.show(id, period); },
});

fx.panel = panel;
fx.table = table;
fx.overview = overview;
fx.period = period;
fx.lokalAreas = async () => (live ? await regional.get('/api/v1/areas?set=2025')
  : await (await fetch(`fixtures/${lookup('demo-lokal', '/api/v1/areas?set=2025')}`)).json()).features;

await Promise.all([
  table.load({ set: 2025, from: period.from, to: period.to }),
  overview.load(await fx.lokalAreas(), period),
]);
fx.booted = true;
