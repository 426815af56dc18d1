// The agencies' observations on the map (issue 15): the records the caller may see, from
// /api/v1/observations as GeoJSON (the service applies the samverkansbeslut and logs every read
// of another agency's data), as one circle layer per agency's vocabulary from zoom 11, with a
// small control to switch agencies and their categories on and off. Each agency's entry says on
// what basis its records are shown ("Egen myndighet" or the decision), and a click on a record
// shows its owner, category, time and basis. Records of sensitive categories never come (they
// count only in totals); indicators per area are in the area panel's summary, not here.

const COLORS = {
  skv: '#1b7837', fk: '#2166ac', mv: '#b2182b', kfm: '#762a83', kvv: '#e08214', pm: '#4d4d4d',
  tv: '#01665e', ebm: '#8c510a', am: '#c51b7d', af: '#35978f', kbv: '#4393c3', ubm: '#7f3b08', sapo: '#543005',
};
const OTHER = '#8c8c8c';
const SOURCE = 'observationer';
const MIN_ZOOM = 11;

const layerId = (agency) => `observationer-${agency}`;

// filterOf is the MapLibre filter of one agency's layer: its records in the chosen categories.
function filterOf(agency, categories) {
  return ['all', ['==', ['get', 'agency'], agency], ['in', ['get', 'category'], ['literal', [...categories]]]];
}

// vocabularies groups the features by owning agency: its name, the categories present (with
// the vocabulary's labels) and the bases it is shown under.
function vocabularies(features, categories) {
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

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'style') Object.assign(e.style, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

// ObservationControl is the map control listing each agency's vocabulary with checkboxes.
class ObservationControl {
  constructor(map, vocabs) {
    this.map = map;
    this.vocabs = vocabs;
    this.chosen = new Map(vocabs.map((v) => [v.agency, new Set(v.categories.keys())]));
  }

  onAdd() {
    const box = el('details', { className: 'maplibregl-ctrl maplibregl-ctrl-group observationer-ctrl',
      style: { background: '#fff', padding: '4px 8px', maxWidth: '18rem', maxHeight: '50vh', overflowY: 'auto', font: '12px/1.4 sans-serif' } });
    box.append(el('summary', { style: { cursor: 'pointer', fontWeight: '600' } }, 'Myndigheternas observationer'));
    box.append(el('p', { style: { margin: '4px 0', color: '#444' } },
      `Syns från zoomnivå ${MIN_ZOOM}. Andra myndigheters uppgifter visas bara enligt ett gällande samverkansbeslut; varje läsning loggas.`));
    for (const v of this.vocabs) {
      const fs = el('fieldset', { style: { border: '0', borderTop: '1px solid #ddd', margin: '4px 0 0', padding: '4px 0 0' } });
      const all = el('input', { type: 'checkbox', checked: true, id: `obs-${v.agency}` });
      const swatch = el('span', { 'aria-hidden': 'true',
        style: { display: 'inline-block', width: '10px', height: '10px', borderRadius: '50%', background: COLORS[v.agency] || OTHER, margin: '0 4px' } });
      fs.append(el('legend', { style: { padding: '0' } },
        el('label', { htmlFor: all.id }, all, swatch, v.name, v.synthetic ? el('em', {}, ' (syntetiska)') : null)));
      fs.append(el('div', { style: { color: '#444', marginLeft: '1.2rem' } }, [...v.bases].join('; ')));
      const boxes = [];
      for (const [code, label] of [...v.categories].sort((a, b) => a[1].localeCompare(b[1], 'sv'))) {
        const cb = el('input', { type: 'checkbox', checked: true, id: `obs-${v.agency}-${code}` });
        cb.addEventListener('change', () => {
          const set = this.chosen.get(v.agency);
          if (cb.checked) set.add(code);
          else set.delete(code);
          all.checked = set.size > 0;
          all.indeterminate = set.size > 0 && set.size < v.categories.size;
          this.apply(v.agency);
        });
        boxes.push(cb);
        fs.append(el('div', { style: { marginLeft: '1.2rem' } }, el('label', { htmlFor: cb.id }, cb, ' ', label)));
      }
      all.addEventListener('change', () => {
        const set = this.chosen.get(v.agency);
        set.clear();
        for (const cb of boxes) cb.checked = all.checked;
        if (all.checked) for (const code of v.categories.keys()) set.add(code);
        all.indeterminate = false;
        this.apply(v.agency);
      });
      box.append(fs);
    }
    this.container = box;
    return box;
  }

  onRemove() {
    this.container?.remove();
  }

  apply(agency) {
    const id = layerId(agency);
    if (!this.map.getLayer(id)) return;
    const set = this.chosen.get(agency);
    this.map.setLayoutProperty(id, 'visibility', set.size ? 'visible' : 'none');
    this.map.setFilter(id, filterOf(agency, set));
  }
}

// popupContent describes one record: owner, category, time and basis.
function popupContent(p) {
  const time = p.observed_at ? new Date(p.observed_at).toLocaleString('sv-SE', { timeZone: 'Europe/Stockholm' }) : '';
  return el('div', { style: { font: '12px/1.4 sans-serif' } },
    el('strong', {}, p.category_label || p.category || ''),
    el('div', {}, p.agency_name || p.agency || ''),
    el('div', {}, time),
    el('div', { style: { color: '#444' } }, p.basis || ''),
    p.synthetic === true ? el('div', {}, el('em', {}, 'Syntetisk uppgift')) : null);
}

let control = null;

// addObservations adds the layers once the map is loaded; roles that read no observations
// (admin, gis) get none. Failures leave the map as it was.
export async function addObservations(map, role, { from, to } = {}) {
  if (!map || role === 'admin' || role === 'gis') return;
  const q = new URLSearchParams({ format: 'geojson', kind: 'record', limit: '10000' });
  if (from) q.set('from', from);
  if (to) q.set('to', to);
  let data;
  let categories = [];
  try {
    const opts = { credentials: 'same-origin', headers: { Accept: 'application/geo+json, application/json' } };
    const [res, cres] = await Promise.all([fetch(`/api/v1/observations?${q}`, opts), fetch('/api/v1/observation-categories', opts)]);
    if (!res.ok) return;
    data = await res.json();
    if (cres.ok) categories = (await cres.json()).categories || [];
  } catch {
    return;
  }
  const fc = { type: 'FeatureCollection', features: (data.features || []).filter((f) => f.geometry && f.geometry.type === 'Point') };
  const vocabs = vocabularies(fc.features, categories);
  if (map.getSource(SOURCE)) map.getSource(SOURCE).setData(fc);
  else map.addSource(SOURCE, { type: 'geojson', data: fc });
  for (const v of vocabs) {
    const id = layerId(v.agency);
    if (map.getLayer(id)) continue;
    map.addLayer({
      id, type: 'circle', source: SOURCE, minzoom: MIN_ZOOM, filter: filterOf(v.agency, v.categories.keys()),
      metadata: { 'lagesbild:agency': v.agency, 'lagesbild:bases': [...v.bases] },
      paint: { 'circle-radius': 4, 'circle-color': COLORS[v.agency] || OTHER, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1, 'circle-opacity': 0.85 },
    });
    map.on('click', id, (e) => {
      const f = e.features && e.features[0];
      const Popup = globalThis.maplibregl && globalThis.maplibregl.Popup;
      if (!f || !Popup) return;
      new Popup({ closeButton: true }).setLngLat(f.geometry.coordinates).setDOMContent(popupContent(f.properties || {})).addTo(map);
    });
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
  if (control) map.removeControl(control);
  control = null;
  if (vocabs.length) {
    control = new ObservationControl(map, vocabs);
    map.addControl(control, 'top-left');
  }
}

// Exported for the component tests.
export { vocabularies, filterOf };
