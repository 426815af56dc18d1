// The side table of the areas in scope: the key indicators of GET /api/v1/summaries joined with
// the joint prioritisation of GET /api/v1/priority, sortable by every column, with weight
// sliders, saved weight profiles and each area's contributions to its score.
//
//   const table = createAreaTable(document.querySelector('#area-table'), { api, onSelect, onData });
//   await table.load({ set: 2025, region: '5300', from: '2025-01-01', to: '2025-12-31' });
//   table.highlight('2025-SO9');
//
// load() options: set (list year), region (police region code, optional), from, to (days,
// optional: the API's default period), profile (a saved profile's name) or weights ({component:
// weight} or the API's "violent_rate:0.4,…" string). Moving a slider reloads the ranking (not
// the summaries) with weights=, debounced; choosing a profile reloads it with profile=.
//
// Test contract: rows tr[data-area-id] (Enter or click → onSelect(areaId)); sortable headers
// th[data-sort-key] with a button inside and aria-sort; rank cells td[data-col=rank]; sliders
// input[type=range][data-weight=COMPONENT]; #profile-select; #table-csv (the ranking as CSV,
// same query) and #table-csv-summaries (the indicators as CSV); the container's data-ready is
// "false" while loading and "true" after; onData({summaries, priority}) after each load;
// onWeights({profile, weights}) when the user moves a slider, picks a profile or resets (profile
// '' and weights null: the defaults), so that the page can put them into the shareable URL.

import * as fmt from './format.js';
import { classBadge } from './panel.js';

const el = fmt.el;

// The prioritisation components in the API's order, with Swedish labels and colours of the
// contribution bars.
export const COMPONENTS = [
  { key: 'violent_rate', label: 'Våldsbrott per 1 000', short: 'Våld', color: '#8c2d3a' },
  { key: 'hotspot_share', label: 'Andel heta celler', short: 'Hot spots', color: '#c46a2b' },
  { key: 'trend', label: 'Trend', short: 'Trend', color: '#4f7a52' },
  { key: 'change', label: 'Förändring', short: 'Förändr.', color: '#2f6f8f' },
  { key: 'presence_gap', label: 'Närvarounderskott', short: 'Närvaro', color: '#6b5b95' },
];

// Columns: key (data-sort-key), header, how to read the sort value and the cell from a joined
// row {area, row (summary), pri (priority area)}.
const ind = (get) => (r) => { const i = get(r); return fmt.isSuppressed(i) ? null : i.value; };
const COLUMNS = [
  { key: 'rank', label: 'Rang', num: true, value: (r) => (r.pri && r.pri.rank > 0 ? r.pri.rank : null), defaultDir: 'ascending' },
  { key: 'name', label: 'Område', text: true, value: (r) => r.area.name, defaultDir: 'ascending' },
  { key: 'score', label: 'Poäng', num: true, value: (r) => (r.pri && fmt.isNum(r.pri.score) ? r.pri.score : null) },
  { key: 'count', label: 'Händelser', title: 'Alla händelser under perioden', num: true, value: ind((r) => r.row && r.row.count), ind: (r) => r.row && r.row.count, decimals: 0 },
  { key: 'rate_per_1000', label: 'Per 1 000', title: 'Händelser per 1 000 invånare', num: true, value: ind((r) => r.row && r.row.rate_per_1000), ind: (r) => r.row && r.row.rate_per_1000, decimals: 1 },
  { key: 'smoothed_rate_per_1000', label: 'Utjämnad', title: 'Utjämnad takt per 1 000 (empirisk Bayes)', num: true, value: ind((r) => r.row && r.row.smoothed_rate_per_1000), ind: (r) => r.row && r.row.smoothed_rate_per_1000, decimals: 1 },
  { key: 'violent_smoothed_rate_per_1000', label: 'Våld / 1 000', title: 'Våldsbrott, utjämnad takt per 1 000', num: true, value: ind((r) => r.row && r.row.violent_smoothed_rate_per_1000), ind: (r) => r.row && r.row.violent_smoothed_rate_per_1000, decimals: 1 },
  { key: 'rate_ratio_rest_of_kommun', label: 'Mot kommunen', title: 'Kvot mot övriga kommunen (1 = lika)', num: true, value: ind((r) => r.row && r.row.rate_ratio_rest_of_kommun), ind: (r) => r.row && r.row.rate_ratio_rest_of_kommun, decimals: 2 },
  { key: 'change_percent', label: 'Förändr.', title: 'Förändring mot föregående period, procent', num: true, value: ind((r) => r.row && r.row.change_percent), ind: (r) => r.row && r.row.change_percent, pct: true },
  { key: 'trend', label: 'Trend', title: 'Sen-lutning, händelser per månad (* = signifikant)', num: true, value: ind((r) => r.row && r.row.trend && r.row.trend.sen_slope_per_month), trend: true },
  { key: 'hotspot_share_95', label: 'Heta celler', title: 'Andel heta H3-celler (Gi*, 95 %)', num: true, value: (r) => (r.row && fmt.isNum(r.row.hotspot_share_95) ? r.row.hotspot_share_95 : null), share: true },
  { key: 'presence_hours_per_week_per_1000', label: 'Närvaro', title: 'Myndighetsnärvaro, timmar per vecka och 1 000 invånare', num: true, value: ind((r) => r.row && r.row.presence_hours_per_week_per_1000), ind: (r) => r.row && r.row.presence_hours_per_week_per_1000, decimals: 1 },
  { key: 'population', label: 'Folkmängd', num: true, value: (r) => (r.row && r.row.population && fmt.isNum(r.row.population.value) ? r.row.population.value : null), pop: true },
];

const DEBOUNCE_MS = 350;

// Columns always shown, and the indicator columns shown until the user picks others in
// "Kolumner" (the side table is narrow; every indicator can be shown and sorted by).
const FIXED = new Set(['rank', 'name', 'score']);
export const DEFAULT_COLUMNS = ['count', 'rate_per_1000', 'change_percent', 'trend'];

function weightsParam(w) {
  return COMPONENTS.filter((c) => fmt.isNum(w[c.key])).map((c) => `${c.key}:${+w[c.key].toFixed(4)}`).join(',');
}

function parseWeights(v) {
  if (!v) return null;
  if (typeof v === 'object') return { ...v };
  const w = {};
  for (const part of String(v).split(',')) {
    const [k, n] = part.split(':');
    if (k && n !== undefined && Number.isFinite(+n)) w[k.trim()] = +n;
  }
  return w;
}

let uid = 0;

export function createAreaTable(container, { api, onSelect, onData, onWeights } = {}) {
  if (!container) throw new Error('createAreaTable: no container');
  if (!api || typeof api.get !== 'function') throw new Error('createAreaTable: api.get is required');
  const id = `lbt${++uid}`;
  container.classList.add('lb-area-table');
  const state = {
    opts: null,
    summaries: null,
    priority: null,
    profiles: null,
    defaultWeights: null,
    weights: null, // the weights shown on the sliders
    profile: '', // the chosen profile ('' = own weights)
    custom: false, // the weights were set here or given to load(): send weights=
    sort: { key: 'rank', dir: 'ascending' },
    expanded: new Set(),
    highlighted: null,
    columns: new Set([...FIXED, ...DEFAULT_COLUMNS]),
    token: 0,
    timer: null,
  };

  // Static skeleton: controls, status, table.
  const profileSelect = el('select', { id: 'profile-select', class: 'lb-select' });
  const sliders = el('div', { class: 'lb-sliders', role: 'group', 'aria-labelledby': `${id}-wtitle` });
  const weightSum = el('span', { class: 'lb-weight-sum', 'aria-live': 'polite' });
  const resetBtn = el('button', { type: 'button', class: 'lb-btn lb-btn-link', onclick: () => resetWeights() }, 'Återställ standardvikter');
  const csv = el('a', { id: 'table-csv', class: 'lb-btn lb-btn-secondary', href: '#', download: 'prioritering.csv' }, 'Ladda ned rangordning (CSV)');
  const csvSum = el('a', { id: 'table-csv-summaries', class: 'lb-btn lb-btn-link', href: '#', download: 'nyckeltal.csv' }, 'Nyckeltal (CSV)');
  const status = el('p', { class: 'lb-table-status', role: 'status', 'aria-live': 'polite' });
  const notes = el('div', { class: 'lb-table-notes' });
  const thead = el('thead');
  const tbody = el('tbody');
  const table = el('table', { class: 'lb-table lb-rank-table', 'aria-describedby': `${id}-caption` },
    el('caption', { id: `${id}-caption`, class: 'visually-hidden' }, 'Områden i urvalet med prioriteringsrang och nyckeltal. Sortera med kolumnrubrikerna; välj en rad för att öppna områdespanelen.'),
    thead, tbody);
  const weightsBrief = el('span', { class: 'lb-weights-brief' });
  const controls = el('details', { class: 'lb-weights' },
    el('summary', { id: `${id}-wtitle` }, 'Prioritering: viktning ', weightsBrief),
    el('div', { class: 'lb-weights-body' },
      el('div', { class: 'lb-field' }, el('label', { for: 'profile-select' }, 'Sparad profil'), profileSelect),
      sliders,
      el('div', { class: 'lb-weights-foot' }, weightSum, resetBtn)));
  const colCount = el('span', { class: 'lb-col-count' });
  const colBoxes = el('div', { class: 'lb-col-boxes', role: 'group', 'aria-label': 'Kolumner att visa' });
  const allBtn = el('button', { type: 'button', class: 'lb-btn lb-btn-link', dataset: { action: 'all-columns' }, onclick: () => setColumns(COLUMNS.map((c) => c.key)) }, 'Visa alla');
  const fewBtn = el('button', { type: 'button', class: 'lb-btn lb-btn-link', dataset: { action: 'default-columns' }, onclick: () => setColumns([...FIXED, ...DEFAULT_COLUMNS]) }, 'Standard');
  const chooser = el('details', { class: 'lb-columns' },
    el('summary', {}, 'Kolumner ', colCount),
    el('div', { class: 'lb-columns-body' }, colBoxes, el('div', { class: 'lb-columns-foot' }, allBtn, fewBtn)));
  for (const c of COLUMNS) {
    if (FIXED.has(c.key)) continue;
    const box = el('input', { type: 'checkbox', id: `${id}-c-${c.key}`, dataset: { column: c.key } });
    box.addEventListener('change', () => {
      if (box.checked) state.columns.add(c.key); else state.columns.delete(c.key);
      paintColumns();
      if (state.summaries || state.priority) render();
    });
    colBoxes.append(el('label', { class: 'lb-col-box', for: `${id}-c-${c.key}`, title: c.title || null }, box, c.title || c.label));
  }
  function setColumns(keys) {
    state.columns = new Set([...FIXED, ...keys]);
    paintColumns();
    if (state.summaries || state.priority) render();
  }
  function paintColumns() {
    for (const box of colBoxes.querySelectorAll('input[data-column]')) box.checked = state.columns.has(box.dataset.column);
    colCount.textContent = `(${state.columns.size - FIXED.size} av ${COLUMNS.length - FIXED.size} nyckeltal)`;
  }
  paintColumns();
  const visible = () => COLUMNS.filter((c) => state.columns.has(c.key));

  container.replaceChildren(
    controls,
    el('div', { class: 'lb-table-bar' }, status, el('div', { class: 'lb-table-links' }, chooser, csv, csvSum)),
    fmt.scrollBox('Områdestabell', table, 'lb-rank-scroll'),
    notes);
  container.dataset.ready = 'false';

  const sliderInputs = {};
  for (const c of COMPONENTS) {
    const input = el('input', { type: 'range', min: '0', max: '100', step: '5', value: '0', id: `${id}-w-${c.key}`, dataset: { weight: c.key }, 'aria-describedby': `${id}-wv-${c.key}` });
    const out = el('output', { id: `${id}-wv-${c.key}`, for: `${id}-w-${c.key}`, class: 'lb-weight-value' });
    input.addEventListener('input', () => {
      state.weights[c.key] = +input.value / 100;
      state.profile = '';
      state.custom = true;
      profileSelect.value = '';
      paintWeights();
      tellWeights();
      scheduleRanking();
    });
    sliderInputs[c.key] = { input, out };
    sliders.append(el('div', { class: 'lb-slider' },
      el('label', { for: `${id}-w-${c.key}` }, el('span', { class: 'lb-swatch', style: `background:${c.color}`, 'aria-hidden': 'true' }), c.label),
      input, out));
  }
  profileSelect.addEventListener('change', () => {
    state.profile = profileSelect.value;
    state.custom = false;
    if (state.profile) {
      const p = (state.profiles || []).find((x) => x.name === state.profile);
      if (p) state.weights = { ...zeroWeights(), ...p.weights };
    }
    paintWeights();
    tellWeights();
    reloadRanking();
  });

  function tellWeights() {
    if (!onWeights) return;
    if (state.profile) onWeights({ profile: state.profile, weights: null });
    else onWeights({ profile: '', weights: state.custom ? weightsParam(state.weights) : null });
  }

  function zeroWeights() { return Object.fromEntries(COMPONENTS.map((c) => [c.key, 0])); }

  function paintWeights() {
    const w = state.weights || zeroWeights();
    const sum = COMPONENTS.reduce((s, c) => s + (w[c.key] || 0), 0);
    for (const c of COMPONENTS) {
      const { input, out } = sliderInputs[c.key];
      const v = Math.round((w[c.key] || 0) * 100);
      if (+input.value !== v) input.value = String(v);
      const shareTxt = sum > 0 ? fmt.percent(((w[c.key] || 0) / sum) * 100, 0) : fmt.DASH;
      out.textContent = shareTxt;
      input.setAttribute('aria-valuetext', `${v} (andel ${shareTxt})`);
    }
    weightsBrief.textContent = state.profile ? `(profil ${state.profile})`
      : sum > 0 ? `(${COMPONENTS.filter((c) => w[c.key] > 0).map((c) => `${c.short} ${fmt.percent(((w[c.key] || 0) / sum) * 100, 0)}`).join(' · ')})` : '';
    weightSum.textContent = sum > 0 ? 'Vikterna räknas om till andelar av poängen.' : 'Minst en vikt måste vara större än noll.';
    weightSum.classList.toggle('lb-warn', !(sum > 0));
  }

  function resetWeights() {
    state.profile = '';
    state.custom = false;
    profileSelect.value = '';
    state.weights = { ...zeroWeights(), ...(state.defaultWeights || {}) };
    paintWeights();
    tellWeights();
    reloadRanking();
  }

  function baseQuery(o) {
    const q = new URLSearchParams();
    if (o.set !== undefined && o.set !== null && o.set !== '') q.set('set', String(o.set));
    if (o.region) q.set('region', o.region);
    if (o.from) q.set('from', o.from);
    if (o.to) q.set('to', o.to);
    return q;
  }

  function priorityQuery(format) {
    const q = baseQuery(state.opts);
    if (state.profile) q.set('profile', state.profile);
    else if (state.custom && state.weights && COMPONENTS.some((c) => state.weights[c.key] > 0)) q.set('weights', weightsParam(state.weights));
    if (format) q.set('format', format);
    return `/api/v1/priority?${q}`;
  }

  function updateLinks() {
    csv.href = priorityQuery('csv');
    const q = baseQuery(state.opts);
    q.set('format', 'csv');
    csvSum.href = `/api/v1/summaries?${q}`;
  }

  async function loadProfiles() {
    if (state.profiles) return;
    try {
      const r = await api.get('/api/v1/priority/profiles');
      state.profiles = r.profiles || [];
      state.defaultWeights = r.default || null;
    } catch (err) {
      if (err && err.status === 401) throw err;
      state.profiles = [];
    }
    profileSelect.replaceChildren(
      el('option', { value: '' }, 'Egen viktning'),
      ...state.profiles.map((p) => el('option', { value: p.name }, p.description ? `${p.name} – ${p.description}` : p.name)));
  }

  async function load(opts = {}) {
    const my = ++state.token;
    clearTimeout(state.timer);
    state.opts = { ...opts };
    container.dataset.ready = 'false';
    container.setAttribute('aria-busy', 'true');
    setStatus('Hämtar områden …');
    try {
      await loadProfiles();
      const known = opts.profile && state.profiles.some((x) => x.name === opts.profile);
      if (opts.profile && !known) {
        // A shared link's profile this user cannot see (or one deleted since): the defaults.
        state.profile = '';
        state.custom = false;
        state.weights = { ...zeroWeights(), ...(state.defaultWeights || {}) };
        tellWeights();
      } else if (opts.profile) {
        state.profile = opts.profile;
        state.custom = false;
        const p = state.profiles.find((x) => x.name === opts.profile);
        if (p) state.weights = { ...zeroWeights(), ...p.weights };
      } else if (opts.weights) {
        state.profile = '';
        state.custom = true;
        state.weights = { ...zeroWeights(), ...parseWeights(opts.weights) };
      } else if (!state.weights) {
        state.profile = '';
        state.custom = false;
        state.weights = { ...zeroWeights(), ...(state.defaultWeights || {}) };
      }
      profileSelect.value = state.profile;
      paintWeights();
      updateLinks();
      const q = baseQuery(opts);
      const [summaries, priority] = await Promise.all([
        api.get(`/api/v1/summaries?${q}`),
        api.get(priorityQuery()),
      ]);
      if (my !== state.token) return;
      state.summaries = summaries;
      state.priority = priority;
      adoptPriorityWeights(priority);
      render();
      if (onData) onData({ summaries, priority });
    } catch (err) {
      if (my !== state.token) return;
      showError(err);
    } finally {
      if (my === state.token) {
        container.dataset.ready = 'true';
        container.removeAttribute('aria-busy');
      }
    }
  }

  function adoptPriorityWeights(priority) {
    if (priority && priority.weights && !state.custom) {
      state.weights = { ...zeroWeights(), ...priority.weights };
      paintWeights();
    }
  }

  function scheduleRanking() {
    clearTimeout(state.timer);
    state.timer = setTimeout(reloadRanking, DEBOUNCE_MS);
  }

  async function reloadRanking() {
    clearTimeout(state.timer);
    if (!state.opts) return;
    if (!COMPONENTS.some((c) => state.weights[c.key] > 0)) return; // the API refuses all-zero weights
    const my = ++state.token;
    container.dataset.ready = 'false';
    container.setAttribute('aria-busy', 'true');
    updateLinks();
    setStatus('Räknar om rangordningen …');
    try {
      const priority = await api.get(priorityQuery());
      if (my !== state.token) return;
      state.priority = priority;
      adoptPriorityWeights(priority);
      render();
      if (onData) onData({ summaries: state.summaries, priority });
    } catch (err) {
      if (my !== state.token) return;
      showError(err);
    } finally {
      if (my === state.token) {
        container.dataset.ready = 'true';
        container.removeAttribute('aria-busy');
      }
    }
  }

  function setStatus(text, cls) {
    status.textContent = text;
    status.className = `lb-table-status${cls ? ` ${cls}` : ''}`;
  }

  function showError(err) {
    const msg = fmt.errorText(err, 'områdestabellen');
    container.dataset.error = msg;
    setStatus('');
    tbody.replaceChildren(el('tr', { class: 'lb-error-row' }, el('td', { colspan: String(COLUMNS.length + 1) },
      el('div', { class: 'lb-error-state', role: 'alert' }, el('p', { class: 'lb-error-title' }, msg),
        el('button', { type: 'button', class: 'lb-btn', onclick: () => (state.opts ? load(state.opts) : null) }, 'Försök igen')))));
  }

  // rows joins the summaries and the ranking by area id.
  function rows() {
    const byId = new Map();
    for (const r of (state.summaries && state.summaries.areas) || []) byId.set(r.area.id, { area: r.area, row: r, pri: null });
    for (const p of (state.priority && state.priority.areas) || []) {
      const x = byId.get(p.area.id);
      if (x) x.pri = p;
      else byId.set(p.area.id, { area: p.area, row: null, pri: p });
    }
    return [...byId.values()];
  }

  function sorted(list) {
    const col = COLUMNS.find((c) => c.key === state.sort.key) || COLUMNS[0];
    const dir = state.sort.dir === 'ascending' ? 1 : -1;
    const coll = new Intl.Collator('sv-SE');
    return list.slice().sort((a, b) => {
      const va = col.value(a);
      const vb = col.value(b);
      // Missing values last in either direction.
      if (va === null || va === undefined) return vb === null || vb === undefined ? coll.compare(a.area.name, b.area.name) : 1;
      if (vb === null || vb === undefined) return -1;
      const c = col.text ? coll.compare(va, vb) : va - vb;
      return c !== 0 ? c * dir : coll.compare(a.area.name, b.area.name);
    });
  }

  function renderHead() {
    thead.replaceChildren(el('tr', {},
      visible().map((c) => {
        const active = state.sort.key === c.key;
        const th = el('th', {
          scope: 'col',
          class: `${c.num ? 'lb-num' : ''}${active ? ' lb-sorted' : ''}`,
          dataset: { sortKey: c.key },
          'aria-sort': active ? state.sort.dir : 'none',
        }, el('button', {
          type: 'button',
          class: 'lb-sort',
          title: c.title || null,
          onclick: () => {
            if (state.sort.key === c.key) state.sort.dir = state.sort.dir === 'ascending' ? 'descending' : 'ascending';
            else state.sort = { key: c.key, dir: c.defaultDir || 'descending' };
            render();
            const again = thead.querySelector(`th[data-sort-key="${c.key}"] button`);
            if (again) again.focus();
          },
        }, c.label, el('span', { class: 'lb-sort-icon', 'aria-hidden': 'true' }, active ? (state.sort.dir === 'ascending' ? '▲' : '▼') : '↕')));
        return th;
      }),
      el('th', { scope: 'col', class: 'lb-col-expand' }, el('span', { class: 'visually-hidden' }, 'Bidrag'))));
  }

  function cell(c, r) {
    if (c.key === 'rank') {
      const rank = c.value(r);
      if (rank === null) {
        const why = r.pri && r.pri.reasons ? [...new Set(Object.values(r.pri.reasons))].join('; ') : 'ingår inte i rangordningen';
        return el('td', { class: 'lb-num lb-rank lb-muted', dataset: { col: 'rank', value: '' }, title: `Ej rangordnat: ${why}` }, fmt.DASH, el('span', { class: 'visually-hidden' }, ` ej rangordnat: ${why}`));
      }
      return el('td', { class: 'lb-num lb-rank', dataset: { col: 'rank', value: rank } }, String(rank));
    }
    if (c.key === 'name') {
      return el('th', { scope: 'row', class: 'lb-area-cell', dataset: { col: 'name' } },
        el('span', { class: 'lb-area-name' }, r.area.name),
        el('span', { class: 'lb-area-sub' }, classBadge(r.area.class), r.area.kommun_name ? el('span', { class: 'lb-area-kommun' }, r.area.kommun_name) : null));
    }
    if (c.key === 'score') return scoreCell(r);
    if (c.ind) {
      const i = c.ind(r);
      if (fmt.isSuppressed(i)) return el('td', { class: 'lb-num lb-muted', dataset: { col: c.key, value: 'suppressed' }, title: (i && i.reason) || fmt.DEFAULT_SUPPRESSED }, fmt.DASH, el('span', { class: 'visually-hidden' }, ` skyddat: ${(i && i.reason) || fmt.DEFAULT_SUPPRESSED}`));
      const text = c.pct ? fmt.percent(i.value, 0, { sign: true }) : fmt.number(i.value, c.decimals);
      const ci = fmt.isNum(i.lower) && fmt.isNum(i.upper) ? `95 % KI ${fmt.number(i.lower, c.decimals ?? 0)}–${fmt.number(i.upper, c.decimals ?? 0)}` : null;
      return el('td', { class: 'lb-num', dataset: { col: c.key, value: String(i.value) }, title: ci }, text);
    }
    if (c.trend) {
      const t = r.row && r.row.trend;
      const s = t && t.sen_slope_per_month;
      if (!t || t.suppressed || fmt.isSuppressed(s)) return el('td', { class: 'lb-num lb-muted', dataset: { col: c.key, value: 'suppressed' }, title: (t && (t.reason || (s && s.reason))) || '' }, fmt.DASH);
      return el('td', { class: 'lb-num', dataset: { col: c.key, value: String(s.value) }, title: `${fmt.pValue(t.p)}` },
        fmt.signed(s.value, 1), t.significant ? el('abbr', { class: 'lb-sig-star', title: 'statistiskt säkerställd' }, '*') : null);
    }
    if (c.share) {
      const v = c.value(r);
      return el('td', { class: `lb-num${v === null ? ' lb-muted' : ''}`, dataset: { col: c.key, value: v === null ? 'suppressed' : String(v) } }, v === null ? fmt.DASH : fmt.share(v));
    }
    if (c.pop) {
      const p = r.row && r.row.population;
      const v = c.value(r);
      return el('td', { class: `lb-num${v === null ? ' lb-muted' : ''}`, dataset: { col: c.key, value: v === null ? 'suppressed' : String(v) }, title: p && p.estimated ? 'uppskattad' : null },
        v === null ? fmt.DASH : fmt.integer(v), p && p.estimated ? el('abbr', { class: 'lb-est-mark', title: `uppskattad${p.reason ? `: ${p.reason}` : ''}` }, 'u') : null);
    }
    return el('td', {}, fmt.DASH);
  }

  function scoreCell(r) {
    const p = r.pri;
    if (!p || !fmt.isNum(p.score)) return el('td', { class: 'lb-num lb-muted', dataset: { col: 'score', value: 'suppressed' } }, fmt.DASH);
    const segs = COMPONENTS.map((c) => {
      const v = (p.contributions && p.contributions[c.key]) || 0;
      return v > 0 ? el('span', { class: 'lb-seg', style: `width:${(v * 100).toFixed(2)}%;background:${c.color}`, title: `${c.label}: ${fmt.number(v, 3)}` }) : null;
    });
    return el('td', { class: 'lb-num lb-score', dataset: { col: 'score', value: String(p.score) } },
      el('div', { class: 'lb-score-wrap' },
        el('span', { class: 'lb-score-bar', 'aria-hidden': 'true' }, segs),
        el('span', { class: 'lb-score-num' }, fmt.number(p.score, 2))));
  }

  function detailRow(r) {
    const p = r.pri;
    const weights = (state.priority && state.priority.weights) || {};
    const body = !p ? el('p', { class: 'lb-muted' }, 'Området ingår inte i rangordningen.')
      : el('table', { class: 'lb-table lb-contrib' },
        el('caption', { class: 'visually-hidden' }, `Bidrag till poängen för ${r.area.name}`),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Komponent'), el('th', { scope: 'col', class: 'lb-num' }, 'Värde'), el('th', { scope: 'col', class: 'lb-num' }, 'Normaliserat'), el('th', { scope: 'col', class: 'lb-num' }, 'Vikt'), el('th', { scope: 'col', class: 'lb-num' }, 'Bidrag'))),
        el('tbody', {}, COMPONENTS.map((c) => {
          const raw = p.indicators ? p.indicators[c.key] : null;
          const norm = p.components ? p.components[c.key] : null;
          const con = p.contributions ? p.contributions[c.key] : null;
          const reason = p.reasons && p.reasons[c.key];
          return el('tr', { dataset: { component: c.key } },
            el('th', { scope: 'row' }, el('span', { class: 'lb-swatch', style: `background:${c.color}`, 'aria-hidden': 'true' }), c.label, reason ? el('span', { class: 'lb-row-note' }, reason) : null),
            el('td', { class: 'lb-num' }, fmt.isNum(raw) ? fmt.number(raw, 2) : fmt.DASH),
            el('td', { class: 'lb-num' }, fmt.isNum(norm) ? fmt.number(norm, 2) : fmt.DASH),
            el('td', { class: 'lb-num' }, fmt.number(weights[c.key] || 0, 2)),
            el('td', { class: 'lb-num', dataset: { contribution: c.key, value: fmt.isNum(con) ? String(con) : '' } }, fmt.isNum(con) ? fmt.number(con, 3) : !weights[c.key] ? '0' : fmt.DASH));
        })));
    return el('tr', { class: 'lb-detail-row', id: `${id}-d-${cssId(r.area.id)}`, dataset: { detailFor: r.area.id } },
      el('td', { colspan: String(visible().length + 1) }, el('div', { class: 'lb-detail-inner' }, body)));
  }

  function render() {
    if (!state.columns.has(state.sort.key)) state.sort = { key: 'rank', dir: 'ascending' };
    renderHead();
    const list = sorted(rows());
    const frag = document.createDocumentFragment();
    for (const r of list) {
      const aid = r.area.id;
      const open = state.expanded.has(aid);
      const detailId = `${id}-d-${cssId(aid)}`;
      const tr = el('tr', {
        tabindex: '0',
        class: `lb-row${state.highlighted === aid ? ' lb-selected' : ''}`,
        dataset: { areaId: aid },
        'aria-selected': state.highlighted === aid ? 'true' : 'false',
      });
      tr.append(...visible().map((c) => cell(c, r)));
      tr.append(el('td', { class: 'lb-col-expand' }, el('button', {
        type: 'button',
        class: 'lb-expand',
        'aria-expanded': open ? 'true' : 'false',
        'aria-controls': open ? detailId : null,
        'aria-label': `${open ? 'Dölj' : 'Visa'} bidrag till poängen för ${r.area.name}`,
        onclick: (e) => {
          e.stopPropagation();
          if (state.expanded.has(aid)) state.expanded.delete(aid); else state.expanded.add(aid);
          render();
          const b = tbody.querySelector(`tr[data-area-id="${CSS.escape(aid)}"] .lb-expand`);
          if (b) b.focus();
        },
      }, open ? '−' : '+')));
      tr.addEventListener('click', () => select(aid));
      tr.addEventListener('keydown', (e) => {
        if (e.target !== tr) return;
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(aid); }
        if (e.key === 'ArrowDown' && tr.nextElementSibling) { e.preventDefault(); nextRow(tr, 1); }
        if (e.key === 'ArrowUp') { e.preventDefault(); nextRow(tr, -1); }
      });
      frag.append(tr);
      if (open) frag.append(detailRow(r));
    }
    if (!list.length) {
      frag.append(el('tr', {}, el('td', { colspan: String(visible().length + 1), class: 'lb-empty' }, 'Inga områden i urvalet.')));
    }
    tbody.replaceChildren(frag);
    delete container.dataset.error;
    const pr = state.priority;
    const period = (pr && pr.period) || (state.summaries && state.summaries.period);
    const wtxt = pr && pr.profile ? `profil ${pr.profile}` : 'egen viktning';
    setStatus(`${fmt.integer(list.length)} områden · ${fmt.period(period)} · ${wtxt}${pr && pr.normalization ? ` · normalisering ${pr.normalization === 'percent_rank' ? 'percentilrang' : pr.normalization}` : ''}`);
    const n = [...new Set([...((state.summaries && state.summaries.notes) || []), ...((pr && pr.notes) || [])])];
    const synthetic = ((state.summaries && state.summaries.areas) || []).some((r) => r.synthetic);
    // replaceChildren writes a null out as the text "null": the parts left out are filtered.
    notes.replaceChildren(...[
      synthetic ? el('p', { class: 'lb-synthetic' }, 'Syntetiska demodata – beskriver inga verkliga händelser.') : null,
      n.length ? el('ul', { class: 'lb-note-list' }, n.map((t) => el('li', {}, t))) : null,
      el('p', { class: 'lb-hint' }, '– = skyddat eller kan inte skattas (håll muspekaren över för orsaken). u = uppskattad folkmängd. * = statistiskt säkerställd.'),
    ].filter(Boolean));
  }

  function nextRow(tr, step) {
    let n = step > 0 ? tr.nextElementSibling : tr.previousElementSibling;
    while (n && !n.dataset.areaId) n = step > 0 ? n.nextElementSibling : n.previousElementSibling;
    if (n) n.focus();
  }

  function select(aid) {
    highlight(aid);
    if (onSelect) onSelect(aid);
  }

  function highlight(aid) {
    state.highlighted = aid || null;
    for (const tr of tbody.querySelectorAll('tr[data-area-id]')) {
      const on = tr.dataset.areaId === aid;
      tr.classList.toggle('lb-selected', on);
      tr.setAttribute('aria-selected', on ? 'true' : 'false');
      if (on && typeof tr.scrollIntoView === 'function') tr.scrollIntoView({ block: 'nearest' });
    }
  }

  return {
    load,
    highlight,
    get data() { return { summaries: state.summaries, priority: state.priority }; },
    get weights() { return { ...(state.weights || {}) }; },
    get profile() { return state.profile; },
  };
}

function cssId(s) {
  return String(s).replace(/[^A-Za-z0-9_-]/g, '_');
}
