// Lägesbild – the map page. main.js wires the modules together:
//   api.js      API client, session expiry (401) and outage (503) handling
//   state.js    the URL state (shareable links) and the period presets
//   map.js      the MapLibre map built from the service's own style
//   layers.js   the areas on the map: class or indicator colours, list changes
//   controls.js legends, filters and the list comparison in the side bar
//   search.js   search by area, kommun or lokalpolisområde
//   session.js  the login form, the header's user, role and scope, logout
//   hover.js    hover popups and clicks on the map
//   playback.js the H3 layer month by month
//   shell.js    the right column's tabs and the side bar drawer
//   panel.js, table.js, overview.js, chart.js, format.js: the area panel, the
//               ranking table and the LPO overview (see web/README.md)
//
// Test contract: window.lagesbild (see web/README.md).
import { api, ApiError, onSessionExpired, onUnavailable, stats } from './api.js';
import { state, save, periodOf, comparisonOf, monthsOf, monthRange, PRESET_LABELS } from './state.js';
import { createMap, setLayerGroup, setChangesVisible, tileURL, waitForIdle, SWEDEN_BOUNDS } from './map.js';
import { INDICATORS, labelPoints, boundsOf, diffLists, markChanges, indicatorValues, choropleth } from './layers.js';
import { fillColorSelect, renderClassLegend, renderChoroplethLegend, renderH3Legend, renderEmergingLegend, renderGroups, renderAgencies, renderChanges } from './controls.js';
import { createSearch } from './search.js';
import { createAreaPanel, setClassLabels } from './panel.js';
import { createSession } from './session.js';
import { wireHover } from './hover.js';
import { createPlayback } from './playback.js';
import { createTabs, createDrawer } from './shell.js';
import { createAreaTable } from './table.js';
import { createOverview } from './overview.js';
import { errorText } from './format.js';
import { addObservations, showObservations, resetObservations } from './observations.js';

const AREAS_FIT = { padding: 48, maxZoom: 12.5 };

const $ = (id) => document.getElementById(id);
const els = {
  map: $('map'), select: $('set-select'), setInfo: $('set-info'), approx: $('approx-note'), error: $('error'),
  loading: $('loading'), empty: $('empty'), outage: $('outage'), outageRetry: $('outage-retry'),
  demoBadge: $('demo-badge'), syntheticNote: $('synthetic-note'), preset: $('period-preset'),
  custom: $('period-custom'), from: $('period-from'), to: $('period-to'), compare: $('compare-select'),
  periodInfo: $('period-info'), showChanges: $('show-changes'), changes: $('set-changes'), colorBy: $('color-by'),
  legend: $('legend'), groups: $('group-filter'), h3Legend: $('h3-legend'), emergingLegend: $('emerging-legend'), agency: $('agency-select'),
  presenceLegend: $('presence-legend'), play: $('play-button'), prev: $('month-prev'), next: $('month-next'),
  monthClear: $('month-clear'), monthLabel: $('month-label'), search: $('search'), searchResults: $('search-results'),
};
const shell = createTabs();
els.tabs = shell.tabs;
els.panes = shell.panes;
const showTab = shell.show;

// The test contract.
const pub = {
  map: null, ready: false, error: null, set: null, areaCount: 0, session: null, outage: false,
  period: null, anchor: null, h3Tiles: null, narvaroTiles: null, changes: null, color: 'class',
  tableReady: false, tableQuery: null, stats, state,
  selectArea: (id) => selectArea(id, { zoom: true }),
};
window.lagesbild = pub;

let me = null;
let generation = 0;
let style = null;
let areaSets = [];
let areas = { type: 'FeatureCollection', features: [] };
let labels = { type: 'FeatureCollection', features: [] };
let tableData = null;
let panel = null;
let table = null;
let overview = null;
let search = null;
let selected = null;
const view = { bounds: SWEDEN_BOUNDS, fit: { padding: 16 }, userMoved: Boolean(state.view) };

// ---- messages ---------------------------------------------------------------

function showError(message) {
  if (!pub.error) pub.error = message;
  els.error.textContent = message;
  els.error.hidden = false;
}
function clearError() {
  els.error.hidden = true;
  els.error.textContent = '';
}
function setLoading(text) {
  els.loading.hidden = !text;
  els.loading.textContent = text || '';
  document.body.classList.toggle('loading', Boolean(text));
}

// failed reports a failure of session gen; 401 and 503 have their own flows.
function failed(gen, err) {
  if (gen !== generation) return;
  if (err instanceof ApiError && (err.status === 401 || err.status === 503)) return;
  // In plain Swedish: the API's own message (English, for developers) only in the console.
  if (err && err.message) console.warn('lagesbild:', err.message);
  const msg = err instanceof ApiError ? errorText(err, 'kartans uppgifter') : 'Kartan kunde inte laddas. Ladda om sidan och försök igen.';
  showError(msg);
}

window.addEventListener('error', (ev) => showError(`Ett oväntat fel inträffade: ${ev.message || 'okänt fel'}`));
window.addEventListener('unhandledrejection', (ev) => {
  const r = ev.reason;
  if (r instanceof ApiError && (r.status === 401 || r.status === 503)) return;
  showError(`Ett oväntat fel inträffade: ${r && r.message ? r.message : String(r)}`);
});

onSessionExpired(() => session.expired());
let retryTimer = null;
onUnavailable(() => {
  pub.outage = true;
  els.outage.hidden = false;
  setLoading('');
  clearTimeout(retryTimer);
  retryTimer = setTimeout(retryOutage, 15000);
}, () => {
  if (!pub.outage) return;
  pub.outage = false;
  els.outage.hidden = true;
});
async function retryOutage() {
  try {
    await api.get('/api/v1/me');
    if (me) reloadAll();
  } catch {
    // still down: onUnavailable set the next retry
  }
}
els.outageRetry.addEventListener('click', retryOutage);

// ---- period -----------------------------------------------------------------

function currentPeriod() {
  if (!pub.anchor) return null;
  const p = periodOf(state.preset, pub.anchor, state);
  const c = comparisonOf(p, state.compare);
  return { from: p.from, to: p.to, compare: state.compare, compareFrom: c.from, compareTo: c.to };
}

const fmtDay = (s) => new Date(`${s}T12:00:00Z`).toLocaleDateString('sv-SE', { day: 'numeric', month: 'short', year: 'numeric' });
const fmtMonth = (m) => new Date(`${m}-15T12:00:00Z`).toLocaleDateString('sv-SE', { month: 'long', year: 'numeric' });

function showPeriod() {
  const p = pub.period;
  els.preset.value = state.preset;
  els.compare.value = state.compare;
  els.custom.hidden = state.preset !== 'custom';
  if (!p) {
    els.periodInfo.textContent = 'Perioden bestäms av senaste data …';
    return;
  }
  els.from.value = p.from;
  els.to.value = p.to;
  els.periodInfo.textContent = `${PRESET_LABELS[state.preset]}: ${fmtDay(p.from)} – ${fmtDay(p.to)}. Jämförs med ${fmtDay(p.compareFrom)} – ${fmtDay(p.compareTo)}.`;
}

// ---- map layers ---------------------------------------------------------------

function applyLayers() {
  const map = pub.map;
  if (!map || !map.getLayer('areas-fill')) return;
  if (map.getLayer('lan-fill')) map.setLayoutProperty('lan-fill', 'visibility', 'visible');
  for (const [k, on] of Object.entries(state.layers)) setLayerGroup(map, k, on);
  setChangesVisible(map, state.changes, state.layers.omraden);
  els.emergingLegend.hidden = !state.layers.emerging;
  if (me) showObservations(map, state.layers.observationer, me.role);
  // With the incident cells on, the areas turn lighter so that the cells show through.
  const sel = ['boolean', ['feature-state', 'selected'], false];
  map.setPaintProperty('areas-fill', 'fill-opacity', state.layers.h3 ? ['case', sel, 0.4, 0.22] : ['case', sel, 0.75, 0.55]);
  for (const input of document.querySelectorAll('input[data-layer]')) input.checked = Boolean(state.layers[input.dataset.layer]);
}

// applyFilters points the incident and presence tiles at the period (or the
// playback month), the category groups and the agency.
function applyFilters() {
  const map = pub.map;
  const p = pub.period;
  if (!map || !p || !map.getSource('h3')) return;
  const months = monthsOf(p);
  if (state.month && !months.includes(state.month)) state.month = null;
  const range = state.month ? monthRange(state.month, p) : p;
  const h3 = tileURL('h3', { from: range.from, to: range.to, category: state.groups });
  const nv = tileURL('narvaro', { from: p.from, to: p.to, agency: state.agencies });
  if (h3 !== pub.h3Tiles) {
    pub.h3Tiles = h3;
    map.getSource('h3').setTiles([h3]);
  }
  if (nv !== pub.narvaroTiles) {
    pub.narvaroTiles = nv;
    map.getSource('narvaro').setTiles([nv]);
  }
  els.monthLabel.textContent = state.month
    ? `Visar ${fmtMonth(state.month)} (${months.indexOf(state.month) + 1} av ${months.length}).`
    : `Visar hela perioden (${months.length} månader).`;
  els.monthClear.hidden = !state.month;
  applyLayers();
}

function applyColor() {
  const map = pub.map;
  if (!map || !map.getLayer('areas-fill')) return;
  const key = INDICATORS[state.color] ? state.color : 'class';
  pub.color = key;
  els.colorBy.value = key;
  const classFill = style.layers.find((l) => l.id === 'omraden-fill').paint['fill-color'];
  if (key === 'class' || !tableData) {
    map.setPaintProperty('areas-fill', 'fill-color', classFill);
    map.setPaintProperty('areas-point', 'circle-color', classFill);
    const counts = {};
    for (const f of areas.features) counts[f.properties.class] = (counts[f.properties.class] || 0) + 1;
    renderClassLegend(els.legend, style.metadata['lagesbild:classes'], counts, state.set);
    if (key !== 'class') els.legend.appendChild(Object.assign(document.createElement('p'), { className: 'hint', textContent: 'Indikatorerna laddas …' }));
    return;
  }
  const ch = choropleth(key, indicatorValues(key, tableData));
  map.setPaintProperty('areas-fill', 'fill-color', ch.expr);
  map.setPaintProperty('areas-point', 'circle-color', ch.expr);
  renderChoroplethLegend(els.legend, key, ch);
}

// ---- areas ------------------------------------------------------------------

function setInfo(set, n) {
  const parts = [];
  if (set && set.published) parts.push(`publicerad ${set.published}`);
  if (n !== null) parts.push(`${n} områden i ditt urval`);
  els.setInfo.textContent = parts.join(' · ');
}

async function loadSet(year, gen) {
  const map = pub.map;
  pub.ready = false;
  pub.set = String(year);
  state.set = String(year);
  save();
  els.select.value = String(year);
  const set = areaSets.find((s) => String(s.year) === String(year));
  els.approx.hidden = !(set && set.geometry_official === false);
  setInfo(set, null);
  setLoading(`Laddar ${year} års lista …`);
  const years = areaSets.map((s) => s.year).sort((a, b) => a - b);
  const prevYear = years.filter((y) => y < Number(year)).pop() || null;
  const curP = api.get(`/api/v1/areas?set=${year}`);
  const prevP = prevYear ? api.get(`/api/v1/areas?set=${prevYear}`) : Promise.resolve(null);
  prevP.catch(() => {});
  const fc = await curP;
  if (gen !== generation || pub.set !== String(year)) return;
  areas = fc;
  pub.areaCount = 0;
  map.getSource('areas').setData(fc);
  map.getSource('area-points').setData(labelPoints(fc));
  setInfo(set, fc.features.length);
  els.empty.hidden = fc.features.length > 0;
  els.empty.textContent = fc.features.length ? '' : `Det finns inga områden i ${year} års lista inom ditt urval.`;
  if (fc.features.some((f) => f.properties.geometry_official === false)) els.approx.hidden = false;
  session.nameScope(fc);
  hideTwinPlaces(map, fc).catch(() => {});
  search.setIndex(fc.features, labels.features.filter((f) => f.properties.kind === 'kommun'));
  if (scopedView() && !view.userMoved) {
    const b = boundsOf(fc.features);
    if (b) {
      view.bounds = b;
      view.fit = AREAS_FIT;
      map.fitBounds(b, { ...AREAS_FIT, animate: false });
    }
  }
  applyColor();
  renderChanges(els.changes, null, prevYear, (id) => selectArea(id, { zoom: true }));
  prevP.then((prev) => {
    if (gen !== generation || pub.set !== String(year) || !prev) return;
    const diff = diffLists(fc, prev);
    pub.changes = { prevYear, entered: diff.entered.map((f) => f.properties.id), left: diff.left.map((f) => f.properties.id),
      changed: diff.changed.map((c) => c.area.properties.id), split: diff.split.map((c) => c.area.properties.id) };
    map.getSource('areas').setData(markChanges(fc, diff));
    map.getSource('areas-left').setData({ type: 'FeatureCollection', features: diff.left });
    renderChanges(els.changes, diff, prevYear, (id) => selectArea(id, { zoom: true }));
  }).catch((err) => failed(gen, err));
  if (!prevYear) pub.changes = { prevYear: null, entered: [], left: [], changed: [], split: [] };

  const tableP = loadTable(gen);
  await waitForIdle(map, 'areas', 'area-points');
  if (gen !== generation || pub.set !== String(year)) return;
  pub.areaCount = fc.features.length;
  setLoading('');
  pub.ready = true;
  if (!initialOpened) {
    initialOpened = true;
    openInitialArea();
  }
  await tableP;
}

// hideTwinPlaces leaves out the names that would show twice: a basemap place
// (GeoNames) that an area of the list (Alby, Fittja) or a kommun label (Täby,
// Huddinge) already writes, and a kommun label where a city of the same name is
// written (Stockholm, Huddinge: the city's label stands where the town is).
let cityNames = null;
async function hideTwinPlaces(map, fc) {
  const src = style.sources && style.sources.places;
  if (!cityNames && src && typeof src.data === 'string') {
    try {
      const places = await (await fetch(src.data, { credentials: 'same-origin' })).json();
      cityNames = places.features.filter((f) => f.properties.rank === 1).map((f) => f.properties.name);
    } catch {
      cityNames = [];
    }
  }
  const areaNames = fc.features.map((f) => f.properties.name);
  const kommunNames = labels.features.filter((f) => f.properties.kind === 'kommun').map((f) => f.properties.namn);
  const without = (id, prop, names) => {
    const base = style.layers.find((x) => x.id === id);
    if (base && map.getLayer(id)) map.setFilter(id, ['all', base.filter || true, ['!', ['in', ['get', prop], ['literal', [...new Set(names)]]]]]);
  };
  for (const l of map.getStyle().layers) {
    if (l.id.startsWith('label-place-')) without(l.id, 'name', l.id === 'label-place-1' ? areaNames : [...areaNames, ...kommunNames]);
  }
  if (cityNames && cityNames.length) without('label-kommun', 'namn', cityNames);
}

// loadTable (re)loads the side table. Loads overlap (a preset, then a custom
// day, then the other day): only the latest one marks the table ready, and
// pub.tableQuery says what that one asked for, so that a test (or anything
// else) waiting for the table never reads a superseded answer.
let tableSeq = 0;
async function loadTable(gen) {
  const seq = ++tableSeq;
  pub.tableReady = false;
  pub.tableQuery = null;
  const p = pub.period;
  const q = { set: state.set, from: p ? p.from : undefined, to: p ? p.to : undefined };
  const opts = { ...q };
  if (state.profile) opts.profile = state.profile;
  else if (state.weights) opts.weights = state.weights;
  try {
    await table.load(opts);
  } catch (err) {
    failed(gen, err);
    return;
  }
  if (gen !== generation || seq !== tableSeq) return;
  pub.tableQuery = q;
  pub.tableReady = true;
}

// onTableData gets every load of the table: the indicators for the
// choropleth, and at the first load the newest day with data, which the
// period presets end at.
let firstData = true;
let initialOpened = false;
function onTableData(data) {
  tableData = data;
  if (firstData) {
    firstData = false;
    if (overview && me && me.role === 'lokal') overview.load(areas.features, panelPeriod()).catch((err) => failed(generation, err));
  }
  applyColor();
}

function openInitialArea() {
  const want = state.area && areas.features.find((f) => f.properties.id === state.area);
  if (want) {
    selectArea(want.properties.id, { zoom: !state.view });
    return;
  }
  if (me && me.role === 'lokal' && areas.features.length) {
    const first = [...areas.features].sort((a, b) => a.properties.name.localeCompare(b.properties.name, 'sv'))[0];
    selectArea(first.properties.id, { zoom: false });
  }
}

function setSelected(id) {
  const map = pub.map;
  for (const src of ['areas', 'area-points']) {
    if (selected) map.setFeatureState({ source: src, id: selected }, { selected: false });
    if (id) map.setFeatureState({ source: src, id }, { selected: true });
  }
  selected = id;
}

// selectArea opens an area's panel (from a click, a table row, a search hit,
// a shared link).
function selectArea(id, { zoom = false } = {}) {
  const f = areas.features.find((x) => x.properties.id === id);
  if (!f) return;
  state.area = id;
  save();
  setSelected(id);
  if (table) table.highlight(id);
  showTab('panel');
  if (zoom && f.bbox) pub.map.fitBounds([[f.bbox[0], f.bbox[1]], [f.bbox[2], f.bbox[3]]], { padding: 120, maxZoom: 12.5, duration: 600 });
  pub.map.getSource('hotspots').setData({ type: 'FeatureCollection', features: [] });
  if (pub.period) panel.show(id, panelPeriod()).catch((err) => failed(generation, err));
}

// panelPeriod is the period as the panel and the overview take it.
function panelPeriod() {
  const p = pub.period;
  return { from: p.from, to: p.to, compare: p.compare === 'yoy' ? 'year' : 'previous' };
}

function closeArea() {
  state.area = null;
  save();
  setSelected(null);
  if (panel) panel.clear();
  pub.map.getSource('hotspots').setData({ type: 'FeatureCollection', features: [] });
  showTab('table');
}

// ---- the map ------------------------------------------------------------------

function wireMap(map) {
  wireHover(map, { onSelect: (id) => selectArea(id) });
  map.on('movestart', (ev) => {
    if (ev.originalEvent) view.userMoved = true;
  });
  map.on('moveend', () => {
    const c = map.getCenter();
    state.view = { zoom: map.getZoom(), lat: c.lat, lon: c.lng };
    save();
  });
  map.on('resize', () => {
    if (!view.userMoved) map.fitBounds(view.bounds, { ...view.fit, animate: false });
  });
}

function onMapError(err) {
  if (err && err.status === 401) {
    session.expired();
    return;
  }
  if (err && err.status === 503) {
    pub.outage = true;
    els.outage.hidden = false;
    return;
  }
  if (err && err.message) console.warn('lagesbild: map:', err.message);
  showError(err && err.status === 400
    ? 'Kartan kunde inte rita ett lager här (för många händelser i utsnittet): zooma in eller välj en brottsgrupp.'
    : 'Kartan kunde inte hämta alla kartbitar. Kontrollera anslutningen och försök igen.');
}

// ---- loading ------------------------------------------------------------------

// The layers an agency analyst (role myndighet) may see: the public geography and the
// observations; the rest of the panel (period, list, incidents, presence, the area table) is
// the police's data and stays hidden, so that the page asks for nothing it would be refused.
const AGENCY_LAYERS = ['omraden', 'observationer', 'kommuner', 'lan', 'polisregioner'];
const POLICE_CARDS = ['period-title', 'list-title', 'h3-title', 'presence-title'];

function showPoliceParts(on) {
  for (const id of POLICE_CARDS) {
    const card = document.querySelector(`[aria-labelledby="${id}"]`);
    if (card) card.hidden = !on;
  }
  for (const input of document.querySelectorAll('input[data-layer]')) {
    input.closest('label').hidden = !on && !AGENCY_LAYERS.includes(input.dataset.layer);
  }
  // The areas are coloured by class only: the indicators are the police's summaries.
  els.colorBy.hidden = !on;
  document.querySelector('label[for="color-by"]').hidden = !on;
  document.body.classList.toggle('agency', !on);
  if (on) els.search.placeholder = searchPlaceholder;
}

// ensureMap creates the map from the service's style once a session, with the label points and
// the agencies' observations layer (observations.js).
async function ensureMap(meta) {
  if (pub.map) return;
  const s = structuredClone(style);
  if (s.sources.labels) s.sources.labels.data = labels;
  pub.map = createMap(els.map, s, { view: state.view, onError: onMapError });
  wireMap(pub.map);
  await new Promise((resolve) => pub.map.once('load', resolve));
  addObservations(pub.map, meta['lagesbild:agencies']);
}

async function loadAgency(gen) {
  setLoading('Laddar kartan …');
  const [st, lbl] = await Promise.all([api.get('/styles/lagesbild.json'), api.get('/styles/labels.geojson')]);
  if (gen !== generation) return;
  style = st;
  labels = lbl;
  const meta = style.metadata || {};
  setClassLabels(meta['lagesbild:classes']);
  showPoliceParts(false);
  renderClassLegend(els.legend, meta['lagesbild:classes'] || [], null);
  // No area list to search: the kommun names only.
  search.setIndex([], labels.features.filter((f) => f.properties.kind === 'kommun'));
  els.search.placeholder = 'Sök kommun (/)';
  document.getElementById('side').hidden = true;
  Object.assign(state.layers, { omraden: true, observationer: true, kommuner: true, lan: true, h3: false, narvaro: false, emerging: false, labels: false });
  await ensureMap(meta);
  if (gen !== generation) return;
  applyLayers();
  setLoading('');
  pub.ready = true;
}

async function loadAll(gen) {
  if (me && me.role === 'myndighet') return loadAgency(gen);
  showPoliceParts(true);
  setLoading('Laddar kartan …');
  const [st, sets, lbl, period] = await Promise.all([
    api.get('/styles/lagesbild.json'), api.get('/api/v1/area-sets'), api.get('/styles/labels.geojson'),
    api.get('/api/v1/period'),
  ]);
  if (gen !== generation) return;
  // The presets end at the newest day with data (the service's default period).
  pub.anchor = (period && period.to) || new Date().toISOString().slice(0, 10);
  pub.period = currentPeriod();
  style = st;
  labels = lbl;
  areaSets = (sets && sets.area_sets) || [];
  if (!areaSets.length) {
    setLoading('');
    els.empty.hidden = false;
    els.empty.textContent = 'Det finns inga polislistor att visa ännu.';
    return;
  }
  const meta = style.metadata || {};
  // One palette: the panel's and table's class badges take the style's colours.
  for (const c of meta['lagesbild:classes'] || []) document.documentElement.style.setProperty(`--lb-class-${c.class}`, c.fill);
  setClassLabels(meta['lagesbild:classes']);
  renderH3Legend(els.h3Legend, meta['lagesbild:h3_steps'] || [], meta['lagesbild:h3_suppressed']);
  renderEmergingLegend(els.emergingLegend, meta['lagesbild:emerging'] || []);
  pub.emergingLabels = Object.fromEntries((meta['lagesbild:emerging'] || []).map((c) => [c.category, c.label]));
  renderGroups(els.groups, meta['lagesbild:category_groups'] || [], state.groups, (groups) => {
    state.groups = groups;
    save();
    applyFilters();
  });
  renderAgencies(els.agency, els.presenceLegend, meta['lagesbild:agencies'] || [], state.agencies);
  fillColorSelect(els.colorBy, state.color);

  await ensureMap(meta);
  applyLayers();
  if (gen !== generation) return;
  panel = createAreaPanel(els.panes.panel, {
    api,
    onClose: closeArea,
    onShowHotspots: (fc) => pub.map.getSource('hotspots').setData(fc || { type: 'FeatureCollection', features: [] }),
    onZoomTo: (b) => {
      if (Array.isArray(b) && b.length === 4) pub.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 60, maxZoom: 15 });
      else if (selected) selectArea(selected, { zoom: true });
    },
  });
  table = createAreaTable(els.panes.table, {
    api, onSelect: (id) => selectArea(id, { zoom: true }), onData: onTableData,
    onWeights: ({ profile, weights }) => {
      state.profile = profile || null;
      state.weights = profile ? null : weights;
      save();
    },
  });
  els.tabs.overview.hidden = me.role !== 'lokal';
  if (me.role === 'lokal') overview = createOverview(els.panes.overview, { api, onSelect: (id) => selectArea(id, { zoom: true }) });

  const newest = String(Math.max(...areaSets.map((s) => Number(s.year))));
  let chosen = newest;
  if (state.set && state.set !== newest) {
    if (areaSets.some((s) => String(s.year) === state.set)) chosen = state.set;
    else showError(`Listan ${state.set} finns inte. Visar ${newest}.`);
  }
  els.select.replaceChildren(...[...areaSets].sort((a, b) => b.year - a.year).map((s) => new Option(s.label || String(s.year), String(s.year))));
  els.select.value = chosen;
  els.select.disabled = false;
  showPeriod();
  applyFilters();
  await loadSet(chosen, gen);
}

function reloadAll() {
  const gen = generation;
  clearError();
  if (!pub.map) {
    loadAll(gen).catch((err) => failed(gen, err));
    return;
  }
  if (me && me.role === 'myndighet') return; // no area list: its areas are tiles
  loadSet(state.set, gen).catch((err) => failed(gen, err));
}

// ---- controls -----------------------------------------------------------------

els.select.addEventListener('change', () => {
  if (!me || !pub.map) return;
  const gen = generation;
  closeArea();
  loadSet(els.select.value, gen).catch((err) => failed(gen, err));
});
els.showChanges.checked = state.changes;
els.showChanges.addEventListener('change', () => {
  state.changes = els.showChanges.checked;
  save();
  applyLayers();
});
for (const input of document.querySelectorAll('input[data-layer]')) {
  input.checked = Boolean(state.layers[input.dataset.layer]);
  input.addEventListener('change', () => {
    state.layers[input.dataset.layer] = input.checked;
    save();
    applyLayers();
  });
}
els.colorBy.addEventListener('change', () => {
  state.color = els.colorBy.value;
  save();
  applyColor();
});
els.agency.addEventListener('change', () => {
  state.agencies = els.agency.value ? [els.agency.value] : [];
  if (state.agencies.length) state.layers.narvaro = true;
  save();
  applyFilters();
});

function periodChanged() {
  pub.period = currentPeriod();
  save();
  showPeriod();
  applyFilters();
  if (!me || !table) return;
  loadTable(generation);
  if (panel && panel.areaId) panel.show(panel.areaId, panelPeriod()).catch((err) => failed(generation, err));
  if (overview && me && me.role === 'lokal') overview.load(areas.features, panelPeriod()).catch((err) => failed(generation, err));
}
els.preset.addEventListener('change', () => {
  state.preset = els.preset.value;
  if (state.preset === 'custom' && pub.period) {
    state.from = state.from || pub.period.from;
    state.to = state.to || pub.period.to;
  }
  state.month = null;
  periodChanged();
});
for (const input of [els.from, els.to]) {
  input.addEventListener('change', () => {
    if (!els.from.value || !els.to.value || els.to.value < els.from.value) {
      els.periodInfo.textContent = 'Ange ett giltigt intervall: från-datum före till-datum.';
      return;
    }
    state.preset = 'custom';
    state.from = els.from.value;
    state.to = els.to.value;
    periodChanged();
  });
}
els.compare.addEventListener('change', () => {
  state.compare = els.compare.value;
  periodChanged();
});

// Playback: the H3 layer month by month through the period.
const playback = createPlayback({ play: els.play, prev: els.prev, next: els.next, clear: els.monthClear }, {
  getPeriod: () => pub.period,
  getMonth: () => state.month,
  onMonth: (month) => {
    state.month = month;
    if (month) state.layers.h3 = true;
    save();
    applyFilters();
  },
});

createDrawer({ onResize: () => { if (pub.map) pub.map.resize(); } });

const searchPlaceholder = els.search.placeholder;
search = createSearch(els.search, els.searchResults, {
  onPick: (hit) => {
    const map = pub.map;
    if (hit.kind === 'area') selectArea(hit.id, { zoom: true });
    else if (hit.kind === 'lpo') {
      const b = boundsOf(hit.features);
      if (b) map.fitBounds(b, { padding: 60, maxZoom: 13 });
    } else if (hit.kind === 'kommun') map.flyTo({ center: hit.point, zoom: 10 });
    view.userMoved = true;
  },
});

document.addEventListener('keydown', (ev) => {
  const tag = ev.target && ev.target.tagName;
  const typing = tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA';
  if (ev.key === '/' && !typing && me) {
    ev.preventDefault();
    els.search.focus();
  } else if (ev.key === 'Escape' && !typing && state.area) {
    closeArea();
  }
});

// ---- session ------------------------------------------------------------------

function scopedView() {
  return Boolean(me) && (me.role === 'lokal' || me.role === 'regional');
}

function startSession(body, { focusMap = false } = {}) {
  me = body;
  const gen = ++generation;
  pub.session = { subject: body.subject, role: body.role, scope: body.scope || '', demo: body.demo === true };
  els.demoBadge.hidden = body.demo !== true;
  els.syntheticNote.hidden = body.demo !== true;
  document.body.classList.toggle('demo', body.demo === true);
  loadAll(gen).catch((err) => failed(gen, err));
  if (focusMap) els.map.focus({ preventScroll: true });
}

function endSession() {
  me = null;
  generation++;
  playback.stop();
  Object.assign(pub, { ready: false, error: null, set: null, areaCount: 0, session: null, anchor: null, period: null,
    h3Tiles: null, narvaroTiles: null, changes: null, tableReady: false, tableQuery: null });
  tableData = null;
  firstData = true;
  initialOpened = false;
  areas = { type: 'FeatureCollection', features: [] };
  clearError();
  setLoading('');
  if (panel) panel.clear();
  panel = null;
  table = null;
  overview = null;
  selected = null;
  for (const p of Object.values(els.panes)) p.replaceChildren();
  els.select.replaceChildren(new Option('Laddar …', ''));
  els.select.disabled = true;
  els.changes.replaceChildren();
  els.setInfo.textContent = '';
  els.demoBadge.hidden = true;
  els.syntheticNote.hidden = true;
  Object.assign(view, { bounds: SWEDEN_BOUNDS, fit: { padding: 16 }, userMoved: false });
  const map = pub.map;
  if (map) {
    for (const id of ['areas', 'area-points', 'areas-left', 'hotspots']) map.getSource(id).setData({ type: 'FeatureCollection', features: [] });
    resetObservations(map);
    // Logged out, the map asks for no tiles (they would answer 401).
    for (const l of map.getStyle().layers) {
      const src = l.source && map.getSource(l.source);
      if (src && src.type === 'vector') map.setLayoutProperty(l.id, 'visibility', 'none');
    }
    map.fitBounds(SWEDEN_BOUNDS, { padding: 16, animate: false });
    if (document.body.classList.contains('agency')) {
      // The agency analyst's map has no police layers: the next session builds its own.
      map.remove();
      pub.map = null;
    }
  }
}

const session = createSession({
  onStart: startSession,
  onEnd: endSession,
  onError: showError,
  onUnavailable: () => {
    pub.outage = true;
    els.outage.hidden = false;
    retryTimer = setTimeout(() => { window.location.reload(); }, 15000);
  },
});
showPeriod();
session.check().catch((err) => showError(`Ett oväntat fel inträffade: ${err.message}`));
