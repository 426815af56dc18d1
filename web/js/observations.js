// The agencies' observations as a map layer (issue 15), switched on in the layer list
// ("Myndigheternas observationer", off by default): the records the caller may see, from
// /api/v1/observations as GeoJSON (the service applies the samverkansbeslut and logs every read
// of another agency's data, so the page asks only once the layer is on), drawn from zoom 11 as
// circles in the owning agency's colour from the style's metadata (lagesbild:agencies). While
// the layer is on, a control lists each agency's vocabulary with checkboxes and the basis its
// records are shown under ("Egen myndighet" or the decision); a click on a record shows its
// owner, category, time and basis. Records of sensitive categories never come (they count only
// in totals); indicators per area are in the area panel's summary, not here.

import { maplibregl } from './map.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
const LAYER = 'observationer';
export const OBSERVATION_MINZOOM = 11;

let colours = new Map(); // agency code → colour, from the style
let loaded = null; // the role the records were fetched for
let control = null; // the vocabulary control while the layer is shown
let vocabs = []; // the vocabularies of the records fetched

// vocabularies groups the features by owning agency: its name, the categories present (with
// the vocabulary's labels) and the bases it is shown under.
export function vocabularies(features, categories = []) {
  const labels = new Map(categories.map((c) => [`${c.agency}/${c.code}`, c.label]));
  const out = new Map();
  for (const f of features) {
    const p = f.properties || {};
    if (!p.agency) continue;
    let v = out.get(p.agency);
    if (!v) {
      v = { agency: p.agency, name: p.agency_name || p.agency, categories: new Map(), bases: new Set(), synthetic: false };
      out.set(p.agency, v);
    }
    v.categories.set(p.category, p.category_label || labels.get(`${p.agency}/${p.category}`) || p.category);
    if (p.basis) v.bases.add(p.basis);
    v.synthetic = v.synthetic || p.synthetic === true;
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name, 'sv'));
}

// filterOf is the layer's MapLibre filter: the records whose agency/category pair is chosen.
export function filterOf(chosen) {
  return ['in', ['concat', ['get', 'agency'], '/', ['get', 'category']], ['literal', [...chosen]]];
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

// VocabularyControl lists each agency's vocabulary with checkboxes that filter the layer.
class VocabularyControl {
  constructor(map, list) {
    this.map = map;
    this.list = list;
    this.chosen = new Set(list.flatMap((v) => [...v.categories.keys()].map((c) => `${v.agency}/${c}`)));
  }

  onAdd() {
    const box = el('details', { className: 'maplibregl-ctrl maplibregl-ctrl-group observationer-ctrl', open: true });
    box.append(el('summary', {}, 'Myndigheternas observationer'));
    box.append(el('p', {}, `Syns från zoomnivå ${OBSERVATION_MINZOOM}. Andra myndigheters uppgifter visas bara enligt ett gällande samverkansbeslut; varje läsning loggas.`));
    for (const v of this.list) {
      const fs = el('fieldset', {});
      const all = el('input', { type: 'checkbox', checked: true, id: `obs-${v.agency}` });
      const swatch = el('span', { className: 'obs-swatch', 'aria-hidden': 'true' });
      swatch.style.background = colours.get(v.agency) || '#8c8c8c';
      fs.append(el('legend', {}, el('label', { htmlFor: all.id }, all, swatch, v.name, v.synthetic ? el('em', {}, ' (syntetiska)') : null)));
      fs.append(el('div', { className: 'obs-basis' }, [...v.bases].join('; ')));
      const boxes = [];
      for (const [code, label] of [...v.categories].sort((a, b) => String(a[1]).localeCompare(String(b[1]), 'sv'))) {
        const key = `${v.agency}/${code}`;
        const cb = el('input', { type: 'checkbox', checked: true, id: `obs-${v.agency}-${code}` });
        cb.addEventListener('change', () => {
          if (cb.checked) this.chosen.add(key);
          else this.chosen.delete(key);
          const n = boxes.filter((b) => b.checked).length;
          all.checked = n > 0;
          all.indeterminate = n > 0 && n < boxes.length;
          this.apply();
        });
        boxes.push(cb);
        fs.append(el('div', { className: 'obs-category' }, el('label', { htmlFor: cb.id }, cb, ' ', label)));
      }
      all.addEventListener('change', () => {
        for (const cb of boxes) {
          cb.checked = all.checked;
          cb.dispatchEvent(new Event('change'));
        }
      });
      box.append(fs);
    }
    this.container = box;
    return box;
  }

  onRemove() {
    this.container?.remove();
  }

  apply() {
    if (this.map.getLayer(LAYER)) this.map.setFilter(LAYER, filterOf(this.chosen));
  }
}

// popupContent describes one record: owner, category, time and basis.
function popupContent(p) {
  const time = p.observed_at ? new Date(p.observed_at).toLocaleString('sv-SE', { timeZone: 'Europe/Stockholm' }) : '';
  return el('div', { className: 'obs-popup' },
    el('strong', {}, p.category_label || p.category || ''),
    el('div', {}, p.agency_name || p.agency || ''),
    el('div', {}, time),
    el('div', {}, p.basis || ''),
    p.synthetic === true ? el('div', {}, el('em', {}, 'Syntetisk uppgift')) : null);
}

// addObservations adds the (empty, hidden) layer once the map is loaded; agencies are the
// style's {code, colour, name}.
export function addObservations(map, agencies) {
  if (!map || map.getSource(LAYER)) return;
  colours = new Map((agencies || []).map((a) => [a.code, a.colour]));
  const colour = ['match', ['get', 'agency']];
  for (const a of agencies || []) colour.push(a.code, a.colour);
  colour.push('#8c8c8c');
  map.addSource(LAYER, { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: LAYER, type: 'circle', source: LAYER, minzoom: OBSERVATION_MINZOOM, layout: { visibility: 'none' },
    paint: { 'circle-radius': 3.5, 'circle-color': colour.length > 3 ? colour : '#8c8c8c', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1, 'circle-opacity': 0.85 },
  });
  map.on('click', LAYER, (e) => {
    const f = e.features && e.features[0];
    if (!f) return;
    new maplibregl.Popup({ closeButton: true, className: 'obs-popup-box', maxWidth: '300px' }).setLngLat(f.geometry.coordinates).setDOMContent(popupContent(f.properties || {})).addTo(map);
  });
  map.on('mouseenter', LAYER, () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', LAYER, () => { map.getCanvas().style.cursor = ''; });
}

function showControl(map, on) {
  if (control && (!on || !vocabs.length)) {
    map.removeControl(control);
    control = null;
  }
  if (on && !control && vocabs.length) {
    control = new VocabularyControl(map, vocabs);
    map.addControl(control, 'top-left');
  }
}

// showObservations shows or hides the layer; the first time it is shown for a session it
// fetches the records and their vocabularies. Roles that read no observations (admin, gis)
// get none; a failure leaves the layer empty.
export async function showObservations(map, on, role) {
  if (!map || !map.getLayer(LAYER)) return;
  map.setLayoutProperty(LAYER, 'visibility', on ? 'visible' : 'none');
  if (!on || loaded === role || role === 'admin' || role === 'gis') {
    showControl(map, on);
    return;
  }
  loaded = role;
  const q = new URLSearchParams({ format: 'geojson', kind: 'record', limit: '10000' });
  const opts = { credentials: 'same-origin', headers: { Accept: 'application/geo+json, application/json' } };
  try {
    const [res, cres] = await Promise.all([fetch(`/api/v1/observations?${q}`, opts), fetch('/api/v1/observation-categories', opts)]);
    if (!res.ok) return;
    const data = await res.json();
    const categories = cres.ok ? (await cres.json()).categories || [] : [];
    const features = (data.features || []).filter((f) => f.geometry && f.geometry.type === 'Point');
    vocabs = vocabularies(features, categories);
    map.getSource(LAYER).setData({ type: 'FeatureCollection', features });
    map.setFilter(LAYER, null);
    showControl(map, map.getLayoutProperty(LAYER, 'visibility') === 'visible');
  } catch {
    loaded = null;
  }
}

// resetObservations empties the layer at the end of a session.
export function resetObservations(map) {
  loaded = null;
  vocabs = [];
  if (!map) return;
  showControl(map, false);
  if (map.getSource(LAYER)) map.getSource(LAYER).setData(EMPTY);
}
