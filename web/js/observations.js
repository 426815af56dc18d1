// The agencies' observations as a small map layer (issue 15): the records the caller may see,
// from /api/v1/observations as GeoJSON (the service applies the samverkansbeslut and logs every
// read of another agency's data), drawn as circles coloured by owning agency from zoom 11.
// Records of sensitive categories never come (they count only in totals); indicators per area
// are in the area panel's summary, not here.

const COLORS = ['match', ['get', 'agency'],
  'skv', '#1b7837', 'fk', '#2166ac', 'mv', '#b2182b', 'kfm', '#762a83', 'kvv', '#e08214', 'pm', '#4d4d4d',
  '#8c8c8c'];

// addObservations adds the layer once the map is loaded; roles that read no observations
// (admin, gis) get none. Failures leave the map as it was.
export async function addObservations(map, role, { from, to } = {}) {
  if (!map || role === 'admin' || role === 'gis') return;
  const q = new URLSearchParams({ format: 'geojson', kind: 'record', limit: '10000' });
  if (from) q.set('from', from);
  if (to) q.set('to', to);
  let data;
  try {
    const res = await fetch(`/api/v1/observations?${q}`, { credentials: 'same-origin', headers: { Accept: 'application/geo+json' } });
    if (!res.ok) return;
    data = await res.json();
  } catch {
    return;
  }
  const fc = { type: 'FeatureCollection', features: (data.features || []).filter((f) => f.geometry && f.geometry.type === 'Point') };
  if (map.getSource('observationer')) {
    map.getSource('observationer').setData(fc);
    return;
  }
  map.addSource('observationer', { type: 'geojson', data: fc });
  map.addLayer({
    id: 'observationer', type: 'circle', source: 'observationer', minzoom: 11,
    paint: { 'circle-radius': 4, 'circle-color': COLORS, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1, 'circle-opacity': 0.85 },
  });
}
