// Builds web/basemap/countries.geojson, the offline land layer under the map,
// from Natural Earth 1:10m admin-0 countries as the npm package world-atlas
// ships them (TopoJSON), clipped to northern Europe around Sweden.
//
//   cd web && npm ci && node scripts/build-basemap.mjs
//
// The output is committed (the service embeds it); run this only to update it.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { feature } from 'topojson-client';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
// [west, south, east, north]: Sweden with its neighbours' coasts in view.
const BBOX = [0, 52.5, 36, 72.5];

const topo = JSON.parse(readFileSync(here('../node_modules/world-atlas/countries-10m.json'), 'utf8'));
const world = feature(topo, topo.objects.countries);

// clipRing clips a ring to BBOX (Sutherland–Hodgman; the window is convex).
function clipRing(ring) {
  const [w, s, e, n] = BBOX;
  const edges = [
    [(p) => p[0] >= w, (a, b) => [w, a[1] + ((b[1] - a[1]) * (w - a[0])) / (b[0] - a[0])]],
    [(p) => p[0] <= e, (a, b) => [e, a[1] + ((b[1] - a[1]) * (e - a[0])) / (b[0] - a[0])]],
    [(p) => p[1] >= s, (a, b) => [a[0] + ((b[0] - a[0]) * (s - a[1])) / (b[1] - a[1]), s]],
    [(p) => p[1] <= n, (a, b) => [a[0] + ((b[0] - a[0]) * (n - a[1])) / (b[1] - a[1]), n]],
  ];
  let out = ring;
  for (const [inside, cut] of edges) {
    const input = out;
    out = [];
    for (let i = 0; i < input.length; i++) {
      const cur = input[i];
      const prev = input[(i + input.length - 1) % input.length];
      if (inside(cur)) {
        if (!inside(prev)) out.push(cut(prev, cur));
        out.push(cur);
      } else if (inside(prev)) {
        out.push(cut(prev, cur));
      }
    }
    if (out.length === 0) return null;
  }
  const r = [];
  for (const p of out) {
    const q = [Math.round(p[0] * 1e3) / 1e3, Math.round(p[1] * 1e3) / 1e3];
    const last = r[r.length - 1];
    if (!last || last[0] !== q[0] || last[1] !== q[1]) r.push(q);
  }
  if (r.length < 3) return null;
  if (r[0][0] !== r[r.length - 1][0] || r[0][1] !== r[r.length - 1][1]) r.push(r[0]);
  return r.length >= 4 ? r : null;
}

const features = [];
for (const f of world.features) {
  if (!f.geometry) continue;
  const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  const kept = [];
  for (const poly of polys) {
    const outer = clipRing(poly[0]);
    if (!outer) continue;
    kept.push([outer, ...poly.slice(1).map(clipRing).filter(Boolean)]);
  }
  if (kept.length === 0) continue;
  features.push({
    type: 'Feature',
    properties: { name: f.properties.name, iso_n3: f.id },
    geometry: { type: 'MultiPolygon', coordinates: kept },
  });
}
const fc = {
  type: 'FeatureCollection',
  name: 'countries',
  attribution: 'Made with Natural Earth (public domain), via the npm package world-atlas 2.0.2 (ISC)',
  features,
};
writeFileSync(here('../basemap/countries.geojson'), JSON.stringify(fc));
console.log(`${features.length} countries → basemap/countries.geojson`);
