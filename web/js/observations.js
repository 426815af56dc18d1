// The agencies' observations as a map layer (issue 15), switched on in the layer list
// ("Myndigheternas observationer", off by default): the records the caller may see, from
// /api/v1/observations as GeoJSON (the service applies the samverkansbeslut and logs every read
// of another agency's data, so the page asks only once the layer is on), drawn from zoom 11 as
// circles in the owning agency's colour from the style's metadata (lagesbild:agencies). Records
// of sensitive categories never come (they count only in totals); indicators per area are in
// the area panel's summary, not here.

const EMPTY = { type: 'FeatureCollection', features: [] };
export const OBSERVATION_MINZOOM = 11;

// addObservations adds the (empty, hidden) layer once the map is loaded; agencies are the
// style's {code, colour, name}.
export function addObservations(map, agencies) {
  if (!map || map.getSource('observationer')) return;
  const colour = ['match', ['get', 'agency']];
  for (const a of agencies || []) colour.push(a.code, a.colour);
  colour.push('#8c8c8c');
  map.addSource('observationer', { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'observationer', type: 'circle', source: 'observationer', minzoom: OBSERVATION_MINZOOM, layout: { visibility: 'none' },
    paint: { 'circle-radius': 3.5, 'circle-color': colour.length > 3 ? colour : '#8c8c8c', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1, 'circle-opacity': 0.85 },
  });
}

let loaded = null; // the role the records were fetched for

// showObservations shows or hides the layer; the first time it is shown for a session it
// fetches the records. Roles that read no observations (admin, gis) get none; a failure
// leaves the layer empty.
export async function showObservations(map, on, role) {
  if (!map || !map.getLayer('observationer')) return;
  map.setLayoutProperty('observationer', 'visibility', on ? 'visible' : 'none');
  if (!on || loaded === role || role === 'admin' || role === 'gis') return;
  loaded = role;
  const q = new URLSearchParams({ format: 'geojson', kind: 'record', limit: '10000' });
  try {
    const res = await fetch(`/api/v1/observations?${q}`, { credentials: 'same-origin', headers: { Accept: 'application/geo+json' } });
    if (!res.ok) return;
    const data = await res.json();
    map.getSource('observationer').setData({ type: 'FeatureCollection', features: (data.features || []).filter((f) => f.geometry && f.geometry.type === 'Point') });
  } catch {
    loaded = null;
  }
}

// resetObservations empties the layer at the end of a session.
export function resetObservations(map) {
  loaded = null;
  if (map && map.getSource('observationer')) map.getSource('observationer').setData(EMPTY);
}
