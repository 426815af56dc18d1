// Opens web/offline/index.html from file:// in headless Chromium (/usr/bin/chromium, driven by
// playwright-core), picks the PMTiles archive given as the first argument in the file input, and
// checks that the page shows the export's scope, date and synthetic badge and that MapLibre
// renders features from the archive, with not one request to anything but file:, blob: and
// data: URLs (no server). Playwright gives the browser a fresh profile. Exit status 1 on any failure.
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const archive = process.argv[2];
if (!archive) { console.error('usage: node offline.mjs FILE.pmtiles'); process.exit(2); }
const page0 = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'offline', 'index.html')).href;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
let failed = false;
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); failed ||= !ok; };
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const remote = [];
  const errors = [];
  page.on('request', (r) => { if (!/^(file|blob|data):/.test(r.url())) remote.push(r.url()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(page0);
  await page.setInputFiles('#file', archive);
  await page.waitForFunction(() => ['rendered', 'error'].includes(document.body.dataset.state), null, { timeout: 60000 });
  const got = await page.evaluate(() => ({
    state: document.body.dataset.state, error: document.getElementById('error').textContent,
    scope: document.getElementById('scope').textContent, exported: document.getElementById('exported').textContent,
    period: document.getElementById('period').textContent, synthetic: !document.getElementById('synthetic').hidden,
    features: window.offlineFeatures,
  }));
  console.log(JSON.stringify(got));
  check(got.state === 'rendered', `the archive opens (${got.error})`);
  check(/lokalpolisområde|polisregion|hela landet/.test(got.scope) && /\(.+\)/.test(got.scope), `scope shown: ${got.scope}`);
  check(/20[0-9]{2}/.test(got.exported), `export date shown: ${got.exported}`);
  check(/^[0-9]{4}-[0-9]{2}-[0-9]{2} – [0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(got.period), `period shown: ${got.period}`);
  check(got.synthetic, 'the synthetic-data badge is shown');
  check(got.features > 0, `MapLibre renders ${got.features} features from the archive`);
  check(remote.length === 0, `requests to a server: ${remote.length} ${remote.slice(0, 3).join(' ')}`);
  check(errors.length === 0, `page errors: ${errors.join('; ')}`);
  if (process.argv[3]) await page.screenshot({ path: process.argv[3] }); // optional: where to save a screenshot
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
