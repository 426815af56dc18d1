#!/usr/bin/env node
// The components against a running service instead of fixtures: serves web/test/components.html
// and the modules (js/, panel.css, vendor/uplot/) from web/ *on the service's origin* (through
// Playwright routes, so they need not be embedded yet), logs in, and checks that the table
// lists what /api/v1/summaries returns, that every area's panel shows the API's numbers, and
// that no request fails (no 4xx/5xx: the components ask for nothing the user may not see).
//
//   LAGESBILD_USER=demo-lokal LAGESBILD_PASSWORD=… node web/test/components-live.mjs http://127.0.0.1:8080 [shots]
import { readFile, mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const webRoot = path.resolve(here, '..');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json' };
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const base = (process.argv[2] || '').replace(/\/$/, '');
const shots = process.argv[3] ? path.resolve(process.argv[3]) : null;
const user = process.env.LAGESBILD_USER;
const password = process.env.LAGESBILD_PASSWORD;
if (!base || !user || !password) {
  process.stderr.write('usage: LAGESBILD_USER=… LAGESBILD_PASSWORD=… node web/test/components-live.mjs BASEURL [shots]\n');
  process.exit(2);
}

const failures = [];
const check = (c, what) => { if (!c) failures.push(what); };

const profile = await mkdtemp(path.join(tmpdir(), 'lagesbild-live-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS, headless: true,
  viewport: { width: 1440, height: 1000 }, locale: 'sv-SE',
});
const out = { ok: false, user };
try {
  const bad = [];
  let offHost = 0;
  await ctx.route('**/*', async (route) => {
    const u = new URL(route.request().url());
    if (u.hostname !== '127.0.0.1') { offHost++; return route.abort(); }
    if (/^\/(test\/components(-page\.js|\.html|\.css)|js\/[a-z]+\.js|panel\.css|vendor\/uplot\/)/.test(u.pathname)) {
      const body = await readFile(path.join(webRoot, u.pathname));
      return route.fulfill({ status: 200, body, contentType: TYPES[path.extname(u.pathname)] || 'application/octet-stream' });
    }
    return route.continue();
  });
  const page = await ctx.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) bad.push(`${r.status()} ${r.url()}`); });
  const login = await ctx.request.post(`${base}/api/v1/session`, { data: { username: user, password } });
  check(login.ok(), `login ${login.status()}`);
  await page.goto(`${base}/test/components.html?live=1`);
  await page.waitForFunction(() => window.fx && window.fx.booted, null, { timeout: 120_000 });
  const summaries = await (await ctx.request.get(`${base}/api/v1/summaries?set=2025`)).json();
  const rows = await page.$$eval('#area-table tr[data-area-id]', (t) => t.map((x) => x.dataset.areaId).sort());
  check(JSON.stringify(rows) === JSON.stringify(summaries.areas.map((a) => a.area.id).sort()), `table ${rows.length} rows, API ${summaries.areas.length}`);
  out.areas = rows.length;
  let opened = 0;
  for (const id of rows.slice(0, 6)) {
    await page.click(`#area-table tr[data-area-id="${id}"]`);
    await page.waitForFunction((a) => document.querySelector('#area-panel').dataset.areaId === a && document.querySelector('#area-panel').dataset.ready === 'true', id, { timeout: 60_000 });
    const sm = await (await ctx.request.get(`${base}/api/v1/areas/${id}/summary`)).json();
    const v = Object.fromEntries(await page.$$eval('#area-panel .lb-card[data-indicator]', (c) => c.map((x) => [x.dataset.indicator, x.dataset.value])));
    const want = (i) => (i.suppressed || i.value === null ? 'suppressed' : String(i.value));
    check(v.count === want(sm.total.count), `${id}: count ${v.count} vs ${want(sm.total.count)}`);
    check(v.rate_per_1000 === want(sm.total.rate_per_1000), `${id}: rate ${v.rate_per_1000}`);
    check(v.change_percent === want(sm.total.change.percent), `${id}: change ${v.change_percent}`);
    check(v.sen_slope_per_month === want(sm.total.trend.sen_slope_per_month), `${id}: slope ${v.sen_slope_per_month}`);
    opened++;
  }
  out.panelsChecked = opened;
  const over = await page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= w) return null;
    const out = [];
    for (const e of document.querySelectorAll('#area-panel *, #area-table *, #overview *')) {
      const r = e.getBoundingClientRect();
      if (r.right > w + 1 && r.width > 0 && !e.closest('.lb-table-scroll')) out.push(`${e.tagName}.${e.className} ${Math.round(r.right)}`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, width: w, culprits: out.slice(0, 5) };
  });
  check(over === null, `the page scrolls sideways: ${JSON.stringify(over)}`);
  if (shots) {
    await mkdir(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, `live-${user}.png`), fullPage: true });
  }
  check(bad.length === 0, `HTTP errors: ${bad.slice(0, 5)}`);
  check(errors.length === 0, `console errors: ${errors.slice(0, 3)}`);
  check(offHost === 0, `${offHost} requests off 127.0.0.1`);
} finally {
  await ctx.close();
  await rm(profile, { recursive: true, force: true });
}
out.ok = failures.length === 0;
if (!out.ok) out.failures = failures;
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(out.ok ? 0 : 1);
