// Lägesbild – the map page. Shows the police's list of vulnerable areas
// (utsatta områden) for one list year, coloured by class, over kommun and län
// borders. Runs fully offline: MapLibre GL JS is vendored, the style has no
// basemap tiles, no glyphs and no sprites, and all data comes from the
// service's own GeoJSON endpoints.
//
// The data needs a login: the page asks GET /api/v1/me first and shows a login
// form on 401; nothing else is fetched (and the map is not even created) until
// a session exists. A 401 from any later fetch means that the session has
// expired and brings the login form back. The server scopes every response to
// the user's role, so the page only decides where to look: a lokal or regional
// user's map opens on the areas the server returned.
//
// Test contract: window.lagesbild = { map, ready, error, set, areaCount,
// session }. ready becomes true once the map has gone idle after the areas of
// the chosen list were loaded; error holds a message as soon as anything
// fails; session is null while logged out.

// Imported by relative path rather than through an import map: an inline
// <script type="importmap"> counts as inline script under the page's CSP
// (script-src 'self') and would be blocked.
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';

const API = {
  me: '/api/v1/me',
  session: '/api/v1/session',
  areaSets: '/api/v1/area-sets',
  areas: (year) => `/api/v1/areas?set=${encodeURIComponent(year)}`,
  kommuner: '/api/v1/kommuner',
  lan: '/api/v1/lan',
};

// Sweden, roughly: [west, south, east, north].
const SWEDEN_BOUNDS = [[10.9, 55.3], [24.2, 69.1]];
// How the map frames all of Sweden, and how it frames a scoped user's areas
// (maxZoom keeps a single small area from filling the screen).
const SWEDEN_FIT = { padding: 16 };
const AREAS_FIT = { padding: 48, maxZoom: 13 };

// Swedish labels of the roles in GET /api/v1/me.
const ROLE_LABELS = {
  nationell: 'Nationell analytiker',
  regional: 'Regional analytiker (samverkansråd)',
  lokal: 'Lokalpolisområdeschef',
  gis: 'GIS-token',
  admin: 'Administratör',
};

// Polisen's region codes (REGIONKOD), for the scope shown in the header.
const REGION_NAMES = {
  5100: 'Nord',
  5200: 'Mitt',
  5300: 'Stockholm',
  5400: 'Öst',
  5500: 'Väst',
  5600: 'Syd',
  5700: 'Bergslagen',
};

// Messages of the login form (web/test/smoke.mjs checks badLogin).
const MSG = {
  badLogin: 'Fel användarnamn eller lösenord.',
  tooMany: 'För många försök – vänta en stund.',
  expired: 'Sessionen har gått ut – logga in igen.',
  loggedOut: 'Du är utloggad.',
  missing: 'Fyll i användarnamn och lösenord.',
};

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
  // null while logged out, else { subject, role, scope, demo } from /api/v1/me.
  session: null,
};
window.lagesbild = state;

const byId = (id) => document.getElementById(id);
const els = {
  map: byId('map'),
  select: byId('set-select'),
  setInfo: byId('set-info'),
  approx: byId('approx-note'),
  error: byId('error'),
  legend: document.querySelector('.legend'),
  // Shown only while logged in.
  needsLogin: document.querySelectorAll('[data-needs-login]'),
  login: byId('login'),
  loginForm: byId('login-form'),
  username: byId('login-username'),
  password: byId('login-password'),
  loginSubmit: byId('login-submit'),
  loginError: byId('login-error'),
  loginInfo: byId('login-info'),
  sessionUser: byId('session-user'),
  sessionRole: byId('session-role'),
  sessionScope: byId('session-scope'),
  demoBadge: byId('demo-badge'),
  logout: byId('logout-button'),
};

// The /api/v1/me body while logged in (it holds the CSRF token), else null.
let me = null;
// Bumped at every login and logout: work started for an earlier session
// checks it and drops its results.
let generation = 0;
// lpo_kod → lpo_namn from the loaded areas, to name the user's scope.
let lpoNames = {};

let areaSets = [];
let loadToken = 0;
// Resolves once the kommun and län borders are in the map; the first ready
// waits for it so that the page is complete when tests look at it.
let bordersReady = Promise.resolve();
// Resolves once the map's style has loaded (the map is made once, at the
// first login, and kept across logins).
let mapLoaded = null;
let popup = null;
// Where the map returns on resize until the user moves it: all of Sweden, or
// a scoped user's areas.
const view = { bounds: SWEDEN_BOUNDS, fit: SWEDEN_FIT, userMoved: false };

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
  if (ev.reason instanceof AuthError) {
    loadFailed(generation, ev.reason);
    return;
  }
  const reason = ev.reason && ev.reason.message ? ev.reason.message : String(ev.reason);
  showError(`Ett oväntat fel inträffade: ${reason}`);
});

// UNAVAILABLE is shown for a 503 (the server sends Retry-After): nothing is
// wrong with the login, so the user is not asked to log in again.
const UNAVAILABLE = 'tjänsten är tillfälligt otillgänglig, försök igen om en stund';

class FetchError extends Error {}
// AuthError is a 401 from a data request: the session has expired.
class AuthError extends FetchError {}

// readJSON returns a response's JSON body, or null if it has none.
async function readJSON(resp) {
  try {
    return await resp.json();
  } catch {
    return null;
  }
}

// errorDetail is the message of an API error body: {"error":"..."} (auth
// endpoints) or {"error":{"message":"..."}} (data endpoints).
function errorDetail(body, status) {
  // 503: the database is down or the server is busy; a session is not lost.
  if (status === 503) return UNAVAILABLE;
  const e = body && body.error;
  if (typeof e === 'string' && e) return e;
  if (e && typeof e.message === 'string' && e.message) return e.message;
  return `HTTP ${status}`;
}

// csrfHeaders returns the header that every state-changing request (POST,
// PUT, PATCH, DELETE) made with the session cookie must carry.
function csrfHeaders() {
  return me && me.csrf_token ? { 'X-CSRF-Token': me.csrf_token } : {};
}

// fetchJSON fetches a URL and returns its JSON body. what is a Swedish noun
// phrase used in the error message ("listorna", "områdena", ...). A 401
// throws an AuthError.
async function fetchJSON(url, what) {
  let resp;
  try {
    resp = await fetch(url, {
      headers: { Accept: 'application/json, application/geo+json' },
      credentials: 'same-origin',
    });
  } catch (err) {
    throw new FetchError(`Kunde inte hämta ${what}: nätverksfel (${err.message}).`);
  }
  const body = await readJSON(resp);
  if (resp.status === 401) throw new AuthError(`Kunde inte hämta ${what}: inte inloggad.`);
  if (resp.status === 403) {
    const role = me ? ROLE_LABELS[me.role] || me.role : '';
    throw new FetchError(`Din roll${role ? ` (${role})` : ''} har inte tillgång till ${what}.`);
  }
  if (!resp.ok) {
    throw new FetchError(`Kunde inte hämta ${what}: ${errorDetail(body, resp.status)}`);
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

// featureBounds returns [[west, south], [east, north]] around every
// coordinate of the collection's geometries, or null if it has none.
function featureBounds(fc) {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  const visit = (c) => {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number') {
      if (!Number.isFinite(c[0]) || !Number.isFinite(c[1])) return;
      w = Math.min(w, c[0]);
      e = Math.max(e, c[0]);
      s = Math.min(s, c[1]);
      n = Math.max(n, c[1]);
      return;
    }
    for (const x of c) visit(x);
  };
  for (const f of fc.features) {
    if (f && f.geometry) visit(f.geometry.coordinates);
  }
  return w <= e && s <= n ? [[w, s], [e, n]] : null;
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
  mapLoaded = new Promise((resolve) => { map.once('load', resolve); });

  // Until the user moves the map, keep all of Sweden (or the user's areas)
  // in view when the container changes size (window resize, header wrapping).
  map.on('movestart', (ev) => {
    if (ev.originalEvent) view.userMoved = true;
  });
  map.on('resize', () => {
    if (!view.userMoved) map.fitBounds(view.bounds, { ...view.fit, animate: false });
  });

  map.on('error', (ev) => {
    // A 401 on a source the map fetches itself (tiles): the session expired.
    if (ev && ev.error && ev.error.status === 401) {
      loadFailed(generation, new AuthError('inte inloggad'));
      return;
    }
    if (ev && ev.error && ev.error.status === 503) {
      showError(`Kartan kunde inte hämtas helt: ${UNAVAILABLE}.`);
      return;
    }
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

// loadSet shows the areas of one list year. gen is the session it runs for.
async function loadSet(map, year, gen) {
  const token = ++loadToken;
  const stale = () => token !== loadToken || gen !== generation;
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
  if (stale()) return; // a newer choice or another session superseded this one

  map.getSource('areas').setData(fc);
  map.getSource('area-points').setData(areaPoints(fc));
  updateLegend(fc, year);
  setInfoText(set, fc.features.length);
  if (fc.features.some((f) => f.properties && f.properties.geometry_official === false)) {
    els.approx.hidden = false;
  }
  nameScope(fc);
  // The server returned only the areas of the user's scope: open the map on
  // them (unless the user has already moved it).
  if (scopedView() && !view.userMoved) {
    const bounds = featureBounds(fc);
    if (bounds) {
      view.bounds = bounds;
      view.fit = AREAS_FIT;
      map.fitBounds(bounds, { ...AREAS_FIT, animate: false });
    }
  }

  await bordersReady;
  await waitForIdle(map, 'areas', 'area-points', 'lan', 'kommuner');
  if (stale()) return;
  state.areaCount = fc.features.length;
  document.body.classList.remove('loading');
  state.ready = true;
}

// loadAll loads the lists, the borders and the chosen list for session gen,
// creating the map at the first login.
async function loadAll(gen) {
  let map = state.map;
  if (!map) {
    try {
      map = createMap();
    } catch (err) {
      showError(`Kartan kunde inte visas (kräver WebGL 2): ${err.message}`);
      return;
    }
    state.map = map;
  }

  const setsP = fetchJSON(API.areaSets, 'listorna');
  const lanP = fetchJSON(API.lan, 'länsgränserna').then((b) => asFeatureCollection(b, 'länsgränserna'));
  const kommunP = fetchJSON(API.kommuner, 'kommungränserna').then((b) => asFeatureCollection(b, 'kommungränserna'));
  // Their failures are reported through bordersReady below; these keep an
  // early failure (before the map has loaded) from counting as unhandled.
  lanP.catch(() => {});
  kommunP.catch(() => {});

  // Borders are independent of the list; show them as soon as they arrive.
  const setBorder = (source) => (fc) => {
    if (gen === generation) map.getSource(source).setData(fc);
  };
  bordersReady = mapLoaded.then(() => Promise.all([lanP.then(setBorder('lan')), kommunP.then(setBorder('kommuner'))]));
  bordersReady.catch((err) => loadFailed(gen, err));

  const body = await setsP;
  if (gen !== generation) return;
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

  await mapLoaded;
  if (gen !== generation) return;
  await loadSet(map, chosen, gen);
}

// loadFailed reports a failed load of session gen: a 401 means that the
// session has expired; failures of an ended session are dropped.
function loadFailed(gen, err) {
  if (gen !== generation) return;
  if (err instanceof AuthError) {
    sessionExpired();
    return;
  }
  showError(err instanceof FetchError ? err.message : `Kartan kunde inte laddas: ${err.message}`);
}

els.select.addEventListener('change', () => {
  if (!me || !state.map) return;
  const gen = generation;
  const year = els.select.value;
  setURLParam(year);
  loadSet(state.map, year, gen).catch((err) => loadFailed(gen, err));
});

// ---- login and session ----------------------------------------------------------

// scopedView reports whether the map should open on the user's areas rather
// than on all of Sweden.
function scopedView() {
  if (!me || me.role === 'nationell' || me.role === 'admin') return false;
  return me.role === 'lokal' || me.role === 'regional' || listOf(me.lpos).length > 0 || listOf(me.regions).length > 0;
}

function listOf(v) {
  return Array.isArray(v) ? v.map(String) : [];
}

// scopeLabel describes what the user may see, e.g. "Lokalpolisområde 540210"
// or "Polisregion Öst (5400)".
function scopeLabel(m) {
  const parts = [];
  const regions = listOf(m.regions);
  const lpos = listOf(m.lpos);
  if (regions.length > 0) {
    const names = regions.map((r) => (REGION_NAMES[r] ? `${REGION_NAMES[r]} (${r})` : r));
    parts.push(`${regions.length === 1 ? 'Polisregion' : 'Polisregionerna'} ${names.join(', ')}`);
  }
  if (lpos.length > 0) {
    const names = lpos.map((c) => (lpoNames[c] ? `${lpoNames[c]} (${c})` : c));
    parts.push(`${lpos.length === 1 ? 'Lokalpolisområde' : 'Lokalpolisområdena'} ${names.join(', ')}`);
  }
  if (parts.length > 0) return parts.join('; ');
  if (m.role === 'nationell') return 'Hela landet';
  if (m.role === 'admin') return 'Administration';
  return m.scope ? String(m.scope) : '–';
}

// nameScope adds the names of the user's lokalpolisområden, as the loaded
// areas give them, to the scope in the header.
function nameScope(fc) {
  if (!me || listOf(me.lpos).length === 0) return;
  for (const f of fc.features) {
    const p = f.properties || {};
    if (p.lpo_kod && p.lpo_namn) lpoNames[String(p.lpo_kod)] = String(p.lpo_namn);
  }
  els.sessionScope.textContent = scopeLabel(me);
}

function validMe(body) {
  return Boolean(body) && typeof body.subject === 'string' && typeof body.role === 'string';
}

// announce sets the text of a live region. It is emptied first and filled a
// moment later so that screen readers announce a repeated message again.
const announceTimers = new Map();
function announce(el, text) {
  clearTimeout(announceTimers.get(el));
  el.textContent = '';
  if (text) announceTimers.set(el, setTimeout(() => { el.textContent = text; }, 50));
}

function markInvalid(username, password) {
  for (const [el, bad] of [[els.username, username], [els.password, password]]) {
    if (bad) el.setAttribute('aria-invalid', 'true');
    else el.removeAttribute('aria-invalid');
  }
}

// showLogin shows the login form over the map, with an error (role=alert) or
// an informational message, and puts the focus in the first field to fill.
function showLogin({ error = '', info = '' } = {}) {
  for (const el of els.needsLogin) el.hidden = true;
  els.map.inert = true;
  els.login.hidden = false;
  els.password.value = '';
  markInvalid(false, false);
  setLoginBusy(false);
  announce(els.loginError, error);
  announce(els.loginInfo, info);
  (els.username.value ? els.password : els.username).focus();
}

function setLoginBusy(busy) {
  els.loginSubmit.disabled = busy;
  els.loginForm.setAttribute('aria-busy', String(busy));
}

// startSession shows who is logged in and loads the map's data. After a
// login through the form, the focus moves from the vanished form to the map.
function startSession(body, { focusMap = false } = {}) {
  me = body;
  const gen = ++generation;
  lpoNames = {};
  state.session = { subject: body.subject, role: body.role, scope: body.scope || '', demo: body.demo === true };
  els.sessionUser.textContent = body.subject;
  els.sessionRole.textContent = ROLE_LABELS[body.role] || body.role;
  els.sessionScope.textContent = scopeLabel(body);
  els.demoBadge.hidden = body.demo !== true;

  els.login.hidden = true;
  els.password.value = '';
  announce(els.loginError, '');
  announce(els.loginInfo, '');
  els.map.inert = false;
  for (const el of els.needsLogin) el.hidden = false;

  loadAll(gen).catch((err) => loadFailed(gen, err));
  if (focusMap && state.map) state.map.getCanvas().focus({ preventScroll: true });
}

// endSession forgets the session and everything loaded for it, so that the
// next user (maybe with another scope) starts from an empty map.
function endSession() {
  me = null;
  generation++;
  loadToken++;
  lpoNames = {};
  areaSets = [];
  bordersReady = Promise.resolve();
  Object.assign(state, { ready: false, error: null, set: null, areaCount: 0, session: null });
  els.error.hidden = true;
  els.error.textContent = '';
  els.approx.hidden = true;
  document.body.classList.remove('loading');
  if (popup) {
    popup.remove();
    popup = null;
  }
  els.select.textContent = '';
  els.select.append(new Option('Laddar …', ''));
  els.select.disabled = true;
  els.setInfo.textContent = '';
  for (const li of els.legend.querySelectorAll('li[data-class]')) {
    li.classList.remove('absent');
    li.querySelector('.legend-count').textContent = '';
    const absent = li.querySelector('.legend-absent');
    if (absent) absent.textContent = '';
  }
  els.sessionUser.textContent = '';
  els.sessionRole.textContent = '';
  els.sessionScope.textContent = '';
  els.demoBadge.hidden = true;

  Object.assign(view, { bounds: SWEDEN_BOUNDS, fit: SWEDEN_FIT, userMoved: false });
  const map = state.map;
  if (map) {
    for (const id of ['areas', 'area-points', 'lan', 'kommuner']) {
      const src = map.getSource(id);
      if (src) src.setData(EMPTY);
    }
    map.fitBounds(SWEDEN_BOUNDS, { ...SWEDEN_FIT, animate: false });
  }
}

function sessionExpired() {
  if (!me) return;
  endSession();
  showLogin({ error: MSG.expired });
}

async function submitLogin(ev) {
  ev.preventDefault();
  if (els.loginSubmit.disabled) return;
  const username = els.username.value.trim();
  const password = els.password.value;
  announce(els.loginInfo, '');
  announce(els.loginError, '');
  if (!username || !password) {
    markInvalid(!username, !password);
    announce(els.loginError, MSG.missing);
    (username ? els.password : els.username).focus();
    return;
  }
  markInvalid(false, false);
  setLoginBusy(true);
  let resp;
  let body;
  try {
    resp = await fetch(API.session, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username, password }),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    body = await readJSON(resp);
  } catch (err) {
    setLoginBusy(false);
    announce(els.loginError, `Kunde inte nå servern (${err.message}). Försök igen.`);
    els.password.focus();
    return;
  }
  setLoginBusy(false);
  if (resp.ok && validMe(body)) {
    startSession(body, { focusMap: true });
    return;
  }
  let msg;
  if (resp.status === 401) {
    msg = MSG.badLogin;
    markInvalid(true, true);
  } else if (resp.status === 429) {
    msg = MSG.tooMany;
  } else if (resp.ok) {
    msg = 'Inloggningen misslyckades: servern svarade oväntat.';
  } else {
    msg = `Inloggningen misslyckades: ${errorDetail(body, resp.status)}`;
  }
  els.password.value = '';
  announce(els.loginError, msg);
  els.password.focus();
}

async function logout() {
  if (!me) return;
  els.logout.disabled = true;
  let resp;
  try {
    resp = await fetch(API.session, {
      method: 'DELETE',
      headers: { Accept: 'application/json', ...csrfHeaders() },
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (err) {
    showError(`Kunde inte logga ut: nätverksfel (${err.message}).`);
    return;
  } finally {
    els.logout.disabled = false;
  }
  // 401: the session had already ended, which is what the user wanted.
  if (resp.ok || resp.status === 401) {
    els.username.value = '';
    endSession();
    showLogin({ info: MSG.loggedOut });
    return;
  }
  showError(`Kunde inte logga ut: ${errorDetail(await readJSON(resp), resp.status)}`);
}

// checkSession asks who is logged in: a session starts the map, a 401 shows
// the login form.
async function checkSession() {
  let resp;
  let body;
  try {
    resp = await fetch(API.me, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    body = await readJSON(resp);
  } catch (err) {
    showError(`Kunde inte kontrollera inloggningen: nätverksfel (${err.message}).`);
    return;
  }
  if (resp.status === 401) {
    showLogin();
  } else if (!resp.ok) {
    showError(`Kunde inte kontrollera inloggningen: ${errorDetail(body, resp.status)}`);
  } else if (!validMe(body)) {
    showError('Kunde inte kontrollera inloggningen: svaret var ogiltigt.');
  } else {
    startSession(body);
  }
}

els.loginForm.addEventListener('submit', submitLogin);
els.username.addEventListener('input', () => els.username.removeAttribute('aria-invalid'));
els.password.addEventListener('input', () => els.password.removeAttribute('aria-invalid'));
els.logout.addEventListener('click', logout);

checkSession().catch((err) => showError(`Ett oväntat fel inträffade: ${err.message}`));
