// Opens web/offline/index.html from file:// in headless Chromium (/usr/bin/chromium, driven by
// playwright-core) the way a field user does from a USB stick: the folder and the PMTiles archive
// given as the first argument are copied to a fresh directory, the page is opened from there,
// the archive picked in the file input. It checks that the page shows the export's scope, date,
// period and synthetic badge and that MapLibre renders features from the archive, with not one
// request to a server: every request the page or its workers make must be file:, blob: or data:,
// and the browser's only route to the network is a local proxy that counts the connections it
// gets (none allowed; the script then checks the proxy does see a request it is sent). The
// browser runs in a fresh profile directory. Exit status 1 on any failure.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const archive = process.argv[2];
if (!archive) { console.error('usage: node offline.mjs FILE.pmtiles [SCREENSHOT.png]'); process.exit(2); }

// The "USB stick": a copy of web/offline and the archive, nothing else.
const stick = fs.mkdtempSync(path.join(os.tmpdir(), 'lagesbild-usb-'));
fs.cpSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'offline'), path.join(stick, 'lagesbild-offline'), { recursive: true });
const copied = path.join(stick, path.basename(archive));
fs.copyFileSync(archive, copied);
const page0 = pathToFileURL(path.join(stick, 'lagesbild-offline', 'index.html')).href;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lagesbild-chromium-'));

// Every connection the browser opens reaches this proxy, which refuses it and counts it.
// Chromium itself still calls a few of Google's browser services (component updates, network
// time, sign-in) whatever the flags say; those exact hosts are its own traffic, not the page's,
// and are listed but not counted. Anything else, the lagesbild server included, is counted.
const browserServices = new Set(['update.googleapis.com', 'clients1.google.com', 'clients2.google.com', 'accounts.google.com',
  'redirector.gvt1.com', 'edgedl.me.gvt1.com', 'safebrowsing.googleapis.com', 'optimizationguide-pa.googleapis.com']);
const proxied = [];
const browserOwn = [];
const proxy = net.createServer((sock) => {
  sock.once('data', (b) => {
    const line = b.toString('latin1').split('\r\n')[0];
    const m = /^[A-Z]+ (?:https?:\/\/)?([^/:\s]+)/.exec(line);
    (m && browserServices.has(m[1]) ? browserOwn : proxied).push(line.slice(0, 120));
    sock.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
  });
  sock.on('error', () => {});
});
await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));

const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  viewport: { width: 1200, height: 800 },
  locale: 'sv-SE',
  args: ['--headless', '--lang=sv-SE', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    `--proxy-server=http://127.0.0.1:${proxy.address().port}`, '--proxy-bypass-list=<-loopback>'],
});
let failed = false;
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); failed ||= !ok; };
try {
  const page = context.pages()[0] || await context.newPage();
  const remote = [];
  const errors = [];
  // The context's request event covers the page, its workers and service workers.
  context.on('request', (r) => { if (!/^(file|blob|data):/.test(r.url())) remote.push(r.url()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(page0);
  await page.setInputFiles('#file', copied);
  await page.waitForFunction(() => ['rendered', 'error'].includes(document.body.dataset.state), null, { timeout: 60000 });
  const got = await page.evaluate(() => ({
    state: document.body.dataset.state, error: document.getElementById('error').textContent,
    scope: document.getElementById('scope').textContent, exported: document.getElementById('exported').textContent,
    period: document.getElementById('period').textContent, synthetic: !document.getElementById('synthetic').hidden,
    features: window.offlineFeatures, href: location.href,
  }));
  console.log(JSON.stringify(got));
  check(got.href.startsWith('file://') && got.href.includes('lagesbild-usb-'), `opened from the copy on file:// (${got.href})`);
  check(got.state === 'rendered', `the archive opens (${got.error})`);
  check(/lokalpolisområde|polisregion|hela landet/.test(got.scope) && /\(.+\)/.test(got.scope), `scope shown: ${got.scope}`);
  check(/20[0-9]{2}/.test(got.exported), `export date shown: ${got.exported}`);
  check(/^[0-9]{4}-[0-9]{2}-[0-9]{2} – [0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(got.period), `period shown: ${got.period}`);
  check(got.synthetic, 'the synthetic-data badge is shown');
  check(got.features > 0, `MapLibre renders ${got.features} features from the archive`);
  // Pan and zoom so the map asks the archive for more tiles, still from the file.
  await page.evaluate(() => new Promise((resolve) => {
    const m = window.offlineMap;
    if (!m) { resolve(); return; }
    m.once('idle', resolve);
    m.zoomIn({ duration: 0 });
  }));
  await page.waitForTimeout(500);
  if (process.argv[3]) await page.screenshot({ path: process.argv[3] }); // optional: where to save a screenshot
  check(remote.length === 0, `requests that are not file:, blob: or data:: ${remote.length} ${remote.slice(0, 3).join(' ')}`);
  check(proxied.length === 0, `connections to the network: ${proxied.length} ${proxied.slice(0, 3).join(' | ')}`);
  console.log(`     (Chromium's own service calls, not counted: ${browserOwn.length})`);
  check(errors.length === 0, `page errors: ${errors.join('; ')}`);
  // The proxy bites: a request the page is made to send does reach it.
  await page.evaluate(() => fetch('http://lagesbild-server.invalid/tiles/omraden/0/0/0.mvt').catch(() => null));
  check(proxied.length === 1 && proxied[0].includes('lagesbild-server.invalid'), `a deliberate request reaches the counting proxy (${proxied.join(' | ')})`);
} finally {
  await context.close();
  proxy.close();
  fs.rmSync(profile, { recursive: true, force: true });
  fs.rmSync(stick, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
