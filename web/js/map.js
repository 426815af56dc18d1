// The map: built from the service's own MapLibre style (/styles/lagesbild.json:
// offline basemap or the operator's, borders, incident cells, presence, label
// layers, the class palette in its metadata), with the police areas of the
// chosen list added as GeoJSON so that the page can colour them by an
// indicator, mark what changed against the previous list and label them.
import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import { CHANGE_COLOURS } from './layers.js';

export const SWEDEN_BOUNDS = [[10.9, 55.3], [24.2, 69.1]];
const EMPTY = { type: 'FeatureCollection', features: [] };

// Layers that stand for an area; clicks and the tests query these.
export const AREA_LAYERS = ['areas-fill', 'areas-point'];

// The switchable layer groups and the map layers in each.
export const LAYER_GROUPS = {
  omraden: ['areas-fill', 'areas-outline', 'areas-point', 'areas-change', 'areas-left', 'omraden-fill', 'omraden-line', 'omraden-label'],
  h3: ['h3-fill', 'h3-atleast'],
  narvaro: ['narvaro-operation', 'narvaro-office'],
  emerging: ['emerging-fill'],
  observationer: ['observationer'],
  kommuner: ['kommun-line', 'label-kommun'],
  lan: ['lan-line', 'label-lan'],
  polisregioner: ['region-line', 'label-region'],
  labels: ['areas-label'],
};

const layerOf = (style, id) => style.layers.find((l) => l.id === id);

// pageStyle adapts the service's style for the page: the omraden tiles give
// way to the GeoJSON areas, and the filtered tile sources (h3, narvaro) get
// tile URLs of their own once the period is known.
function pageStyle(style, origin) {
  const st = structuredClone(style);
  const areaFill = layerOf(st, 'omraden-fill');
  const areaLine = layerOf(st, 'omraden-line');
  const kommunLabel = layerOf(st, 'label-kommun');
  // A style without the police's layers (an agency analyst's) keeps the areas as tiles: the
  // page loads no area list for it.
  const police = Boolean(st.sources.h3);
  if (police) {
    st.layers = st.layers.filter((l) => l.source !== 'omraden');
    delete st.sources.omraden;
  } else {
    areaFill.paint['fill-opacity'] = 0.25;
  }
  for (const id of ['h3', 'narvaro']) {
    if (st.sources[id]) st.sources[id] = { type: 'vector', tiles: [`${origin}/tiles/${id}/{z}/{x}/{y}.mvt`], minzoom: 0, maxzoom: 16 };
  }
  if (st.sources.emerging) st.sources.emerging = { type: 'vector', tiles: [`${origin}/tiles/emerging/{z}/{x}/{y}.mvt`], minzoom: 5, maxzoom: 16 };
  for (const id of ['kommuner', 'lan', 'polisregioner']) {
    st.sources[id] = { type: 'vector', tiles: [`${origin}/tiles/${id}/{z}/{x}/{y}.mvt`], minzoom: 0, maxzoom: 16 };
  }
  for (const l of st.layers) {
    if (l.source === 'h3' || l.source === 'narvaro') l.layout = { ...(l.layout || {}), visibility: 'none' };
  }
  st.sources.areas = { type: 'geojson', data: EMPTY, promoteId: 'id', tolerance: 0.2 };
  st.sources['area-points'] = { type: 'geojson', data: EMPTY, promoteId: 'id' };
  st.sources['areas-left'] = { type: 'geojson', data: EMPTY };
  st.sources.hotspots = { type: 'geojson', data: EMPTY };
  const fill = areaFill.paint['fill-color'];
  const line = areaLine.paint['line-color'];
  const sortKey = areaFill.layout && areaFill.layout['fill-sort-key'];
  const font = (kommunLabel && kommunLabel.layout['text-font']) || ['Noto Sans Regular'];
  const semibold = [String(font[0]).replace('Regular', 'SemiBold')];
  const mine = [
    { id: 'areas-left', type: 'line', source: 'areas-left', layout: { visibility: 'none' },
      paint: { 'line-color': CHANGE_COLOURS.left, 'line-width': 2, 'line-dasharray': [2, 1.5] } },
    { id: 'areas-fill', type: 'fill', source: 'areas', layout: sortKey ? { 'fill-sort-key': sortKey } : {},
      paint: { 'fill-color': fill, 'fill-opacity': ['case', ['boolean', ['feature-state', 'selected'], false], 0.75, 0.55] } },
    { id: 'areas-outline', type: 'line', source: 'areas', layout: { 'line-join': 'round' },
      paint: { 'line-color': ['case', ['boolean', ['feature-state', 'selected'], false], '#0b1f33', line],
        'line-width': ['interpolate', ['linear'], ['zoom'],
          6, ['case', ['boolean', ['feature-state', 'selected'], false], 3, 0.6],
          12, ['case', ['boolean', ['feature-state', 'selected'], false], 4, 2]] } },
    { id: 'areas-change', type: 'line', source: 'areas', filter: ['has', 'change'], layout: { visibility: 'none' },
      paint: { 'line-color': ['match', ['get', 'change'], 'entered', CHANGE_COLOURS.entered, 'split', CHANGE_COLOURS.split,
        'changed', CHANGE_COLOURS.changed, '#000000'],
        'line-width': 3, 'line-offset': -1.5 } },
    { id: 'hotspots-fill', type: 'fill', source: 'hotspots',
      paint: { 'fill-color': '#d7301f', 'fill-opacity': 0.35 } },
    { id: 'hotspots-line', type: 'line', source: 'hotspots',
      paint: { 'line-color': '#7f0000', 'line-width': 1.5 } },
    { id: 'areas-point', type: 'circle', source: 'area-points', maxzoom: 11,
      paint: {
        'circle-color': fill,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 4, 4.5, 8, 6, 10, 6.5],
        'circle-stroke-color': ['case', ['boolean', ['feature-state', 'selected'], false], '#0b1f33', '#ffffff'],
        'circle-stroke-width': ['case', ['boolean', ['feature-state', 'selected'], false], 2.5, 1],
        'circle-opacity': ['interpolate', ['linear'], ['zoom'], 9, 0.95, 11, 0],
        'circle-stroke-opacity': ['interpolate', ['linear'], ['zoom'], 9, 1, 11, 0],
      } },
    { id: 'areas-label', type: 'symbol', source: 'area-points', minzoom: 9,
      layout: { 'text-field': ['get', 'name'], 'text-font': semibold, 'text-size': ['interpolate', ['linear'], ['zoom'], 9, 11, 14, 14],
        'text-max-width': 9, 'text-offset': [0, 0], 'text-allow-overlap': false, 'symbol-sort-key': ['get', 'rank'] },
      paint: { 'text-color': '#1b1f24', 'text-halo-color': 'rgba(255,255,255,0.95)', 'text-halo-width': 1.6 } },
  ];
  if (!police) {
    // An agency analyst has no area list, so the names come from the areas' own tiles: one
    // label per polygon, from the zoom where the areas are large enough to read.
    mine.push({ id: 'omraden-label', type: 'symbol', source: 'omraden', 'source-layer': 'omraden', minzoom: 10,
      layout: { 'text-field': ['get', 'name'], 'text-font': semibold, 'text-size': ['interpolate', ['linear'], ['zoom'], 10, 11, 14, 14],
        'text-max-width': 9, 'text-allow-overlap': false },
      paint: { 'text-color': '#1b1f24', 'text-halo-color': 'rgba(255,255,255,0.95)', 'text-halo-width': 1.6 } });
  }
  // The areas go over the operations and under the offices and labels.
  const at = st.layers.findIndex((l) => l.id === 'narvaro-office');
  st.layers.splice(at < 0 ? st.layers.length : at, 0, ...mine.filter((l) => l.type !== 'symbol'));
  st.layers.push(...mine.filter((l) => l.type === 'symbol'));
  return st;
}

export function createMap(container, style, { view, onError }) {
  const origin = window.location.origin;
  const opts = {
    container,
    style: pageStyle(style, origin),
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
  };
  if (view) Object.assign(opts, { center: [view.lon, view.lat], zoom: view.zoom });
  else Object.assign(opts, { bounds: SWEDEN_BOUNDS, fitBoundsOptions: { padding: 16 } });
  const map = new maplibregl.Map(opts);
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.addControl(new maplibregl.AttributionControl({
    compact: true,
    customAttribution: 'Polismyndigheten, SCB, Natural Earth',
  }), 'bottom-right');
  map.on('error', (ev) => onError(ev && ev.error ? ev.error : new Error('okänt kartfel')));
  map.getCanvas().setAttribute('aria-label', 'Karta. Piltangenter flyttar, + och − zoomar.');
  return map;
}

// setLayerGroup shows or hides a group of layers.
export function setLayerGroup(map, group, on) {
  for (const id of LAYER_GROUPS[group] || []) {
    if (!map.getLayer(id)) continue;
    if (!on) {
      map.setLayoutProperty(id, 'visibility', 'none');
      continue;
    }
    // The change outlines only show while the comparison is on.
    if ((id === 'areas-change' || id === 'areas-left') && !map.__showChanges) continue;
    map.setLayoutProperty(id, 'visibility', 'visible');
  }
}

export function setChangesVisible(map, on, omradenOn) {
  map.__showChanges = on;
  for (const id of ['areas-change', 'areas-left']) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on && omradenOn ? 'visible' : 'none');
  }
}

// tileURL is a filtered layer's tile template.
export function tileURL(layer, params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    u.set(k, Array.isArray(v) ? v.join(',') : v);
  }
  const q = u.toString();
  return `${window.location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt${q ? `?${q}` : ''}`;
}

// waitForIdle resolves once the map has gone idle with the given sources loaded.
export async function waitForIdle(map, ...sourceIds) {
  for (let i = 0; i < 60; i++) {
    const idle = map.once('idle');
    map.triggerRepaint();
    await idle;
    if (sourceIds.every((id) => !map.getSource(id) || map.isSourceLoaded(id)) && map.loaded()) return;
  }
  throw new Error(`kartdata (${sourceIds.join(', ')}) blev aldrig klara`);
}

export { maplibregl };
