// Lägesbild – the map page. Shows the police's list of vulnerable areas
// (utsatta områden) for one list year, coloured by class, over kommun and län
// borders. Runs fully offline: MapLibre GL JS is vendored, the style has no
// basemap tiles, no glyphs and no sprites, and all data comes from the
// service's own GeoJSON endpoints.
//
// Test contract: window.lagesbild = { map, ready, error, set, areaCount }.
// ready becomes true once the map has gone idle after the areas of the chosen
// list were loaded; error holds a message as soon as anything fails.

// Imported by relative path rather than through an import map: an inline
// <script type="importmap"> counts as inline script under the page's CSP
// (script-src 'self') and would be blocked.
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';

const API = {
  areaSets: '/api/v1/area-sets',
  areas: (year) => `/api/v1/areas?set=${encodeURIComponent(year)}`,
  kommuner: '/api/v1/kommuner',
  lan: '/api/v1/lan',
};

// Sweden, roughly: [west, south, east, north].
const SWEDEN_BOUNDS = [[10.9, 55.3], [24.2, 69.1]];

// Years whose boundaries are approximated from later police lists. The API's
// geometry_official flag wins; this is only the fallback when it is missing.
const APPROXIMATED_YEARS = new Set([2015, 2017, 2019]);

// Class colours: fill and a darker outline. Keep in sync with style.css.
const CLASSES = {
  // rank: drawing order, the most severe class on top.
  sarskilt_utsatt: { label: 'Särskilt utsatt område', fill: '#c8102e', line: '#7f0a1d', rank: 3 },
  risk: { label: 'Riskområde', fill: '#f07d00', line: '#9a5000', rank: 2 },
  utsatt: { label: 'Utsatt område', fill: '#f2c500', line: '#8c7200', rank: 1 },
};
const UNKNOWN_CLASS = { fill: '#777777', line: '#444444', rank: 0 };

// Layers that represent an area; clicks and the smoke test query these.
const AREA_LAYERS = ['areas-fill', 'areas-point'];

const EMPTY = { type: 'FeatureCollection', features: [] };

const state = {
  map: null,
  ready: false,
  error: null,
  set: null,
  areaCount: 0,
};
window.lagesbild = state;

const els = {
  select: document.getElementById('set-select'),
  setInfo: document.getElementById('set-info'),
  approx: document.getElementById('approx-note'),
  error: document.getElementById('error'),
  legend: document.querySelector('.legend'),
};

let areaSets = [];
let loadToken = 0;
// Resolves once the kommun and län borders are in the map; the first ready
// waits for it so that the page is complete when tests look at it.
let bordersReady = Promise.resolve();
let popup = null;

// ---- errors -----------------------------------------------------------------

function showError(message) {
  // Keep the first error for the test contract but show the latest one.
  if (!state.error) state.error = message;
  els.error.textContent = message;
  els.error.hidden = false;
}

window.addEventListener('error', (ev) => {
  showError(`Ett oväntat fel inträffade: ${ev.message || ev.error || 'okänt fel'}`);
});
window.addEventListener('unhandledrejection', (ev) => {
  const reason = ev.reason && ev.reason.message ? ev.reason.message : String(ev.reason);
  showError(`Ett oväntat fel inträffade: ${reason}`);
});

class FetchError extends Error {}

// fetchJSON fetches a URL and returns its JSON body. what is a Swedish noun
// phrase used in the error message ("listorna", "områdena", ...).
async function fetchJSON(url, what) {
  let resp;
  try {
    resp = await fetch(url, { headers: { Accept: 'application/json, application/geo+json' } });
  } catch (err) {
    throw new FetchError(`Kunde inte hämta ${what}: nätverksfel (${err.message}).`);
  }
  let body = null;
  try {
    body = await resp.json();
  } catch {
    body = null;
  }
  if (!resp.ok) {
    const detail = body && body.error && body.error.message ? body.error.message : `HTTP ${resp.status}`;
    throw new FetchError(`Kunde inte hämta ${what}: ${detail}`);
  }
  if (body === null) {
    throw new FetchError(`Kunde inte hämta ${what}: svaret var inte giltig JSON.`);
  }
  return body;
}

function asFeatureCollection(body, what) {
  if (!body || body.type !== 'FeatureCollection' || !Array.isArray(body.features)) {
    throw new FetchError(`Kunde inte hämta ${what}: svaret var inte en GeoJSON FeatureCollection.`);
  }
  return body;
}

// ---- geometry helpers ----------------------------------------------------------

// ringArea returns the signed planar area of a linear ring (lon/lat degrees).
function ringArea(ring) {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    a += (ring[j][0] * ring[i][1]) - (ring[i][0] * ring[j][1]);
  }
  return a / 2;
}

// ringCentroid returns the planar centroid of a ring, or its vertex mean for
// degenerate rings.
function ringCentroid(ring) {
  const a = ringArea(ring);
  if (Math.abs(a) < 1e-12) {
    let x = 0;
    let y = 0;
    for (const p of ring) {
      x += p[0];
      y += p[1];
    }
    return [x / ring.length, y / ring.length];
  }
  let cx = 0;
  let cy = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = (ring[j][0] * ring[i][1]) - (ring[i][0] * ring[j][1]);
    cx += (ring[j][0] + ring[i][0]) * f;
    cy += (ring[j][1] + ring[i][1]) * f;
  }
  return [cx / (6 * a), cy / (6 * a)];
}

// representativePoint gives one point per area (centroid of the largest
// polygon's outer ring), used to draw the areas as dots at national scale
// where the polygons themselves are only a few pixels wide.
function representativePoint(geometry) {
  if (!geometry) return null;
  let polygons;
  if (geometry.type === 'Polygon') polygons = [geometry.coordinates];
  else if (geometry.type === 'MultiPolygon') polygons = geometry.coordinates;
  else if (geometry.type === 'Point') return geometry.coordinates;
  else return null;
  let best = null;
  let bestArea = -1;
  for (const poly of polygons) {
    if (!poly || !poly[0] || poly[0].length < 3) continue;
    const a = Math.abs(ringArea(poly[0]));
    if (a > bestArea) {
      bestArea = a;
      best = poly[0];
    }
  }
  return best ? ringCentroid(best) : null;
}

function areaPoints(fc) {
  const features = [];
  for (const f of fc.features) {
    const p = representativePoint(f.geometry);
    if (!p || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) continue;
    features.push({ type: 'Feature', properties: f.properties || {}, geometry: { type: 'Point', coordinates: p } });
  }
  return { type: 'FeatureCollection', features };
}

// ---- map --------------------------------------------------------------------

function classMatch(key) {
  const expr = ['match', ['get', 'class']];
  for (const [cls, c] of Object.entries(CLASSES)) expr.push(cls, c[key]);
  expr.push(UNKNOWN_CLASS[key]);
  return expr;
}

function mapStyle() {
  return {
    version: 8,
    name: 'Lägesbild',
    // No glyphs, no sprite, no tiles: everything renders offline.
    sources: {
      lan: { type: 'geojson', data: EMPTY },
      kommuner: { type: 'geojson', data: EMPTY },
      areas: { type: 'geojson', data: EMPTY, tolerance: 0.2 },
      'area-points': { type: 'geojson', data: EMPTY },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#dbe5ec' } },
      { id: 'lan-fill', type: 'fill', source: 'lan', paint: { 'fill-color': '#fbfaf6' } },
      {
        id: 'kommun-line',
        type: 'line',
        source: 'kommuner',
        paint: {
          'line-color': '#a3acb5',
          'line-width': ['interpolate', ['linear'], ['zoom'], 4, 0.3, 8, 0.8, 12, 1.2],
        },
      },
      {
        id: 'lan-line',
        type: 'line',
        source: 'lan',
        layout: { 'line-join': 'round' },
        paint: {
          'line-color': '#46505a',
          'line-width': ['interpolate', ['linear'], ['zoom'], 4, 0.9, 8, 1.6, 12, 2.5],
        },
      },
      {
        id: 'areas-fill',
        type: 'fill',
        source: 'areas',
        layout: { 'fill-sort-key': classMatch('rank') },
        paint: { 'fill-color': classMatch('fill'), 'fill-opacity': 0.55 },
      },
      {
        id: 'areas-outline',
        type: 'line',
        source: 'areas',
        layout: { 'line-join': 'round', 'line-sort-key': classMatch('rank') },
        paint: {
          'line-color': classMatch('line'),
          'line-width': ['interpolate', ['linear'], ['zoom'], 6, 0.6, 12, 2],
        },
      },
      {
        // Dots at national and regional scale; they fade out once the
        // polygons are big enough to see and click.
        id: 'areas-point',
        type: 'circle',
        source: 'area-points',
        maxzoom: 11,
        layout: { 'circle-sort-key': classMatch('rank') },
        paint: {
          'circle-color': classMatch('fill'),
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 4, 4.5, 8, 6, 10, 6.5],
          'circle-stroke-color': '#ffffff',
          'circle-stroke-width': 1,
          'circle-opacity': ['interpolate', ['linear'], ['zoom'], 9, 0.95, 11, 0],
          'circle-stroke-opacity': ['interpolate', ['linear'], ['zoom'], 9, 1, 11, 0],
        },
      },
    ],
  };
}

function createMap() {
  const map = new maplibregl.Map({
    container: 'map',
    style: mapStyle(),
    bounds: SWEDEN_BOUNDS,
    fitBoundsOptions: { padding: 16 },
    minZoom: 2,
    maxZoom: 17,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    renderWorldCopies: false,
    attributionControl: false,
    locale: {
      'Map.Title': 'Karta',
      'NavigationControl.ZoomIn': 'Zooma in',
      'NavigationControl.ZoomOut': 'Zooma ut',
      'NavigationControl.ResetBearing': 'Återställ norr',
      'Popup.Close': 'Stäng',
      'ScaleControl.Meters': 'm',
      'ScaleControl.Kilometers': 'km',
    },
  });
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');

  // Until the user moves the map, keep all of Sweden in view when the
  // container changes size (window resize, header wrapping).
  let userMoved = false;
  map.on('movestart', (ev) => {
    if (ev.originalEvent) userMoved = true;
  });
  map.on('resize', () => {
    if (!userMoved) map.fitBounds(SWEDEN_BOUNDS, { padding: 16, animate: false });
  });

  map.on('error', (ev) => {
    const msg = ev && ev.error && ev.error.message ? ev.error.message : 'okänt fel';
    showError(`Kartfel: ${msg}`);
  });

  for (const layer of AREA_LAYERS) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  map.on('click', (ev) => {
    const layers = AREA_LAYERS.filter((id) => map.getLayer(id));
    const features = map.queryRenderedFeatures(ev.point, { layers });
    if (features.length === 0) return;
    // Prefer the polygon over its dot when both are hit.
    const f = features.find((x) => x.layer.id === 'areas-fill') || features[0];
    showPopup(map, ev.lngLat, f.properties || {});
  });
  return map;
}

function dash(v) {
  return v === null || v === undefined || v === '' ? '–' : String(v);
}

function showPopup(map, lngLat, p) {
  const root = document.createElement('div');
  root.className = 'area-popup';

  const h = document.createElement('h2');
  h.textContent = dash(p.name);
  root.appendChild(h);

  const cls = document.createElement('p');
  cls.className = 'area-class';
  const sw = document.createElement('span');
  sw.className = 'swatch';
  sw.dataset.class = p.class || '';
  sw.setAttribute('aria-hidden', 'true');
  cls.appendChild(sw);
  cls.appendChild(document.createTextNode(p.class_label || (CLASSES[p.class] && CLASSES[p.class].label) || dash(p.class)));
  root.appendChild(cls);

  const dl = document.createElement('dl');
  const rows = [
    ['Kommun', p.kommun_namn ? `${p.kommun_namn}${p.kommun_kod ? ` (${p.kommun_kod})` : ''}` : dash(p.kommun_kod)],
    ['Lokalpolisområde', p.lpo_namn ? `${p.lpo_namn}${p.lpo_kod ? ` (${p.lpo_kod})` : ''}` : dash(p.lpo_kod)],
  ];
  // Optional extras, shown only when the API provides them.
  if (p.polisomrade_namn) rows.push(['Polisområde', p.polisomrade_namn]);
  rows.push(['Polisregion', dash(p.region_namn)]);
  if (p.ort) rows.push(['Ort', p.ort]);
  rows.push(['Områdes-id', dash(p.id)]);
  if (p.geometry_official === false || p.geometry_official === 'false') {
    rows.push(['Gräns', 'Approximerad']);
  }
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
  root.appendChild(dl);

  if (popup) popup.remove();
  popup = new maplibregl.Popup({ maxWidth: '320px', focusAfterOpen: false })
    .setLngLat(lngLat)
    .setDOMContent(root)
    .addTo(map);
}

// waitForIdle resolves once the map has gone idle with the given sources
// loaded.
async function waitForIdle(map, ...sourceIds) {
  for (let i = 0; i < 50; i++) {
    const idle = map.once('idle');
    map.triggerRepaint();
    await idle;
    if (sourceIds.every((id) => map.isSourceLoaded(id)) && map.loaded()) return;
  }
  throw new Error(`kartdata (${sourceIds.join(', ')}) blev aldrig klara`);
}

// ---- UI ---------------------------------------------------------------------

function isApproximated(set) {
  if (!set) return false;
  if (typeof set.geometry_official === 'boolean') return !set.geometry_official;
  return APPROXIMATED_YEARS.has(Number(set.year));
}

function populateSelect(sets, chosen) {
  els.select.textContent = '';
  // Newest first in the list.
  for (const s of [...sets].sort((a, b) => b.year - a.year)) {
    const opt = document.createElement('option');
    opt.value = String(s.year);
    opt.textContent = s.label || String(s.year);
    els.select.appendChild(opt);
  }
  els.select.value = chosen;
  els.select.disabled = false;
}

function updateLegend(fc, year) {
  const counts = {};
  for (const f of fc.features) {
    const c = f.properties && f.properties.class;
    counts[c] = (counts[c] || 0) + 1;
  }
  for (const li of els.legend.querySelectorAll('li[data-class]')) {
    const cls = li.dataset.class;
    const n = counts[cls] || 0;
    li.querySelector('.legend-count').textContent = `(${n})`;
    const absent = li.querySelector('.legend-absent');
    li.classList.toggle('absent', n === 0);
    if (absent) absent.textContent = n === 0 ? `finns inte i ${year} års lista` : '';
  }
}

function setInfoText(set, count) {
  const parts = [];
  if (set && set.published) parts.push(`publicerad ${set.published}`);
  if (count !== null) parts.push(`${count} områden`);
  els.setInfo.textContent = parts.join(' · ');
}

function setURLParam(year) {
  const url = new URL(window.location.href);
  url.searchParams.set('set', year);
  window.history.replaceState(null, '', url);
}

async function loadSet(map, year) {
  const token = ++loadToken;
  const set = areaSets.find((s) => String(s.year) === String(year));
  state.ready = false;
  state.set = String(year);
  state.areaCount = 0;
  els.approx.hidden = !isApproximated(set);
  els.select.value = String(year);
  setInfoText(set, null);
  if (popup) {
    popup.remove();
    popup = null;
  }
  document.body.classList.add('loading');

  const fc = asFeatureCollection(await fetchJSON(API.areas(year), `områdena för ${year}`), `områdena för ${year}`);
  if (token !== loadToken) return; // a newer choice superseded this one

  map.getSource('areas').setData(fc);
  map.getSource('area-points').setData(areaPoints(fc));
  updateLegend(fc, year);
  setInfoText(set, fc.features.length);
  if (fc.features.some((f) => f.properties && f.properties.geometry_official === false)) {
    els.approx.hidden = false;
  }

  await bordersReady;
  await waitForIdle(map, 'areas', 'area-points', 'lan', 'kommuner');
  if (token !== loadToken) return;
  state.areaCount = fc.features.length;
  document.body.classList.remove('loading');
  state.ready = true;
}

async function main() {
  let map;
  try {
    map = createMap();
  } catch (err) {
    showError(`Kartan kunde inte visas (kräver WebGL 2): ${err.message}`);
    return;
  }
  state.map = map;

  const mapLoaded = map.loaded() ? Promise.resolve() : map.once('load');
  const setsP = fetchJSON(API.areaSets, 'listorna');
  const lanP = fetchJSON(API.lan, 'länsgränserna').then((b) => asFeatureCollection(b, 'länsgränserna'));
  const kommunP = fetchJSON(API.kommuner, 'kommungränserna').then((b) => asFeatureCollection(b, 'kommungränserna'));
  // Their failures are reported through bordersReady below; these keep an
  // early failure (before the map has loaded) from counting as unhandled.
  lanP.catch(() => {});
  kommunP.catch(() => {});

  // Borders are independent of the list; show them as soon as they arrive.
  bordersReady = mapLoaded.then(() => Promise.all([
    lanP.then((fc) => { map.getSource('lan').setData(fc); }),
    kommunP.then((fc) => { map.getSource('kommuner').setData(fc); }),
  ]));
  bordersReady.catch((err) => showError(err.message));

  const body = await setsP;
  areaSets = Array.isArray(body && body.area_sets) ? body.area_sets : [];
  if (areaSets.length === 0) throw new FetchError('Det finns inga listor att visa.');

  const newest = String(Math.max(...areaSets.map((s) => Number(s.year))));
  const requested = new URL(window.location.href).searchParams.get('set');
  let chosen = newest;
  if (requested) {
    if (areaSets.some((s) => String(s.year) === requested)) chosen = requested;
    else showError(`Listan ${requested} finns inte. Visar ${newest}.`);
  }
  populateSelect(areaSets, chosen);

  els.select.addEventListener('change', () => {
    const year = els.select.value;
    setURLParam(year);
    loadSet(map, year).catch((err) => showError(err.message));
  });

  await mapLoaded;
  await loadSet(map, chosen);
}

main().catch((err) => showError(err instanceof FetchError ? err.message : `Kartan kunde inte laddas: ${err.message}`));
