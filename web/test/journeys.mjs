// Browser journeys of the map page in headless Chromium (Debian's, driven by
// playwright-core), run by TestBrowserJourneys in cmd/lagesbild against a
// service with demo data:
//
//   node web/test/journeys.mjs BASE_URL SCREENSHOT_DIR
//   env: LAGESBILD_NATIONAL_USER/PASSWORD, LAGESBILD_LOKAL_USER/PASSWORD,
//        LAGESBILD_LOKAL_LPO (the lokal user's LPO code)
//
// One browser, several pages. Every request that leaves 127.0.0.1 is blocked
// and counted (must be 0); console errors after the login and HTTP 4xx/5xx
// during the journeys fail the run. Journeys: the analyst (list year, H3
// category and period filters, table sort, weights, area panel against the
// API), the LPO chief (only own areas), the shareable URL, axe-core, and last
// the outage: the script prints "STOP_DB" and waits for "STOPPED" on stdin
// while the Go test stops the database, then expects the outage banner.
//
// The table and panel checks run when web/js/table.js and panel.js are the
// real modules; against the marked development stubs they are reported as
// skipped (stub) instead.
//
// The last line printed is one JSON object: {ok, checks, skipped, bench, …}.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error('usage: node journeys.mjs BASE_URL SCREENSHOT_DIR');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const env = process.env;
const TIMEOUT = 90000;
const origin = new URL(base).origin;
const axeSource = readFileSync(fileURLToPath(new URL('../node_modules/axe-core/axe.min.js', import.meta.url)), 'utf8');

const result = { ok: false, checks: [], skipped: [], offsite: 0, bench: {}, problems: [] };
const step = (name) => { result.step = name; };
const check = (name, cond, detail = '') => {
  result.checks.push(name);
  if (!cond) throw new Error(`${name}${detail ? `: ${detail}` : ''}`);
};

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});

// Per page: problems (console errors after the login, page errors, HTTP
// errors outside the allowed ones) and the bytes fetched.
function watch(page, label) {
  const w = { loggedIn: false, allowHTTP: () => false, bytes: 0, requests: 0, owned: new Map() };
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // The browser logs every failed fetch as a console error; the 401 of
    // /api/v1/me before the login is the page asking whether anyone is logged in.
    if (!w.loggedIn) return;
    if (/status of (401|503)/.test(m.text()) && w.allowHTTP()) return;
    result.problems.push(`${label}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => result.problems.push(`${label}: page error: ${e.message}`));
  page.on('requestfinished', async (req) => {
    let resp;
    try {
      resp = await req.response();
    } catch {
      return; // the page was closed
    }
    if (!resp) return;
    const url = new URL(req.url());
    const st = resp.status();
    const preLogin = !w.loggedIn && st === 401 && (url.pathname === '/api/v1/me' || url.pathname === '/api/v1/session');
    if (st >= 400 && !preLogin && !w.allowHTTP(st, url)) result.problems.push(`${label}: HTTP ${st} ${url.pathname}${url.search}`);
    w.requests++;
    try {
      const sizes = await req.sizes();
      w.bytes += sizes.responseBodySize + sizes.responseHeadersSize;
    } catch { /* page closed */ }
    if (st === 200 && /^\/(js\/.*\.js|[a-z]+\.css)$/.test(url.pathname)) {
      try {
        w.owned.set(url.pathname, gzipSync(await resp.body()).length);
      } catch { /* cached */ }
    }
  });
  return w;
}

async function newContext() {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'sv-SE', timezoneId: 'Europe/Stockholm' });
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname !== '127.0.0.1' && u.protocol !== 'data:' && u.protocol !== 'blob:') {
      result.offsite++;
      return route.abort();
    }
    return route.continue();
  });
  return ctx;
}

const lb = (page, fn, arg) => page.evaluate(fn, arg);
const api = (page, path) => page.evaluate(async (p) => {
  const r = await fetch(p, { headers: { Accept: 'application/json' } });
  return { status: r.status, body: await r.json().catch(() => null) };
}, path);

async function login(page, w, user, password) {
  await page.goto(base, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#login-form', { state: 'visible', timeout: TIMEOUT });
  await page.fill('#login-username', user);
  await page.fill('#login-password', password);
  const t0 = Date.now();
  w.loggedIn = true;
  await page.click('#login-submit');
  await waitReady(page);
  return t0;
}

async function waitReady(page) {
  await page.waitForFunction(() => window.lagesbild && (window.lagesbild.ready || window.lagesbild.error), null, { timeout: TIMEOUT, polling: 100 });
  const err = await lb(page, () => window.lagesbild.error);
  if (err) throw new Error(`page error: ${err}`);
}

// waitIdle waits for the map to go idle (tiles loaded and drawn).
const waitIdle = (page) => page.evaluate(() => new Promise((resolve) => {
  const m = window.lagesbild.map;
  const done = () => (m.loaded() ? resolve() : m.once('idle', done));
  m.once('idle', done);
  m.triggerRepaint();
}));

const renderedAreas = (page) => lb(page, () => {
  const ids = new Set(window.lagesbild.map.queryRenderedFeatures({ layers: ['areas-fill', 'areas-point'] }).map((f) => f.properties.id));
  return [...ids].sort();
});
const cellSum = (page) => lb(page, () => {
  const fs = window.lagesbild.map.queryRenderedFeatures({ layers: ['h3-fill'] });
  const ids = new Set(fs.map((f) => f.properties.cell));
  return { n: ids.size, sum: fs.reduce((s, f) => s + (Number(f.properties.total) || 0), 0), sig: [...ids].sort().join() + fs.map((f) => f.properties.total).join() };
});
const waitCells = (page) => page.waitForFunction(() => {
  const m = window.lagesbild.map;
  return m.loaded() && m.queryRenderedFeatures({ layers: ['h3-fill'] }).length > 0;
}, null, { timeout: TIMEOUT, polling: 200 });

async function isStub(page, file) {
  const text = await page.evaluate(async (f) => (await fetch(f)).text(), file);
  return text.includes('STUB (engineer i11a)');
}

const tableRows = (page) => lb(page, () => [...document.querySelectorAll('#area-table tr[data-area-id]')].map((tr) => tr.dataset.areaId));

async function axe(page, label) {
  await page.evaluate(axeSource);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(`axe ${label}: no serious or critical violations`, bad.length === 0,
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`).join('; '));
}

let outagePage = null;
try {
  // ---- analyst journey --------------------------------------------------------
  const ctx = await newContext();
  const page = await ctx.newPage();
  const w = watch(page, 'analyst');
  const tClick = await login(page, w, env.LAGESBILD_NATIONAL_USER, env.LAGESBILD_NATIONAL_PASSWORD);
  await waitCells(page);
  result.bench.loginToMapColdMs = Date.now() - tClick;
  await page.waitForFunction(() => window.lagesbild.tableReady, null, { timeout: TIMEOUT });
  result.bench.loginToTableMs = Date.now() - tClick;
  result.bench.firstViewBytes = w.bytes;
  result.bench.firstViewRequests = w.requests;

  await page.screenshot({ path: `${shots}/analyst-sweden.png` });
  const stubTable = await isStub(page, '/js/table.js');
  const stubPanel = await isStub(page, '/js/panel.js');
  check('header shows the demo badge', await lb(page, () => !document.getElementById('demo-badge').hidden));

  step('list year');
  // List year → the rendered areas are the API's.
  await page.selectOption('#set-select', '2019');
  await page.waitForFunction(() => window.lagesbild.set === '2019' && window.lagesbild.ready, null, { timeout: TIMEOUT });
  await waitIdle(page);
  const api2019 = await api(page, '/api/v1/areas?set=2019');
  const ids2019 = api2019.body.features.map((f) => f.id).sort();
  const r2019 = await renderedAreas(page);
  check('list 2019: the areas rendered are the API\'s', JSON.stringify(r2019) === JSON.stringify(ids2019), `${r2019.length} rendered, ${ids2019.length} from the API`);
  const changes = await lb(page, () => window.lagesbild.changes);
  check('list 2019: the comparison with 2017 is shown', changes && changes.prevYear === 2017 &&
    (await lb(page, () => document.querySelector('#set-changes .changes-summary') !== null)));
  await page.selectOption('#set-select', '2025');
  await page.waitForFunction(() => window.lagesbild.set === '2025' && window.lagesbild.ready, null, { timeout: TIMEOUT });

  step('h3 filters');
  // The H3 layer follows the category filter and the period.
  await page.evaluate(() => window.lagesbild.map.jumpTo({ center: [17.2, 59.4], zoom: 6.5 }));
  await waitCells(page);
  await waitIdle(page);
  const all = await cellSum(page);
  const firstGroup = await lb(page, () => document.querySelector('input[data-group]').dataset.group);
  await page.check(`input[data-group="${firstGroup}"]`);
  await page.waitForFunction((g) => (window.lagesbild.h3Tiles || '').includes(`category=${g}`), firstGroup, { timeout: TIMEOUT });
  await waitIdle(page);
  const filtered = await cellSum(page);
  check('category filter changes the H3 layer', filtered.sig !== all.sig, `all ${all.n} cells ${all.sum}, ${firstGroup} ${filtered.n} cells ${filtered.sum}`);
  await page.uncheck(`input[data-group="${firstGroup}"]`);
  await page.selectOption('#period-preset', '28d');
  await page.waitForFunction(() => window.lagesbild.state.preset === '28d' && (window.lagesbild.h3Tiles || '').includes('from='), null, { timeout: TIMEOUT });
  await waitIdle(page);
  const short = await cellSum(page);
  const p28 = await lb(page, () => window.lagesbild.period);
  check('period 28 days changes the H3 layer', short.sig !== all.sig && p28.from < p28.to, `12 months ${all.n} cells ${all.sum}, 28 days ${short.n} cells ${short.sum}`);
  step('playback');
  // Playback: one month.
  await page.click('#month-next');
  await page.waitForFunction(() => Boolean(window.lagesbild.state.month), null, { timeout: TIMEOUT });
  await page.click('#month-clear');
  await page.selectOption('#period-preset', '12m');
  await page.evaluate(() => window.lagesbild.map.fitBounds([[10.9, 55.3], [24.2, 69.1]], { animate: false }));
  await page.waitForFunction(() => window.lagesbild.tableReady, null, { timeout: TIMEOUT });

  step('choropleth');
  // Colour by an indicator: a choropleth with a legend.
  await page.selectOption('#color-by', 'rate');
  check('colour by rate shows class breaks', await lb(page, () => window.lagesbild.color === 'rate' && document.querySelectorAll('#legend li').length >= 2));
  await page.selectOption('#color-by', 'class');

  step('table');
  // Table: sort, weights, then the panel against the API.
  if (stubTable) {
    result.skipped.push('table sort and weights (web/js/table.js is the development stub)');
  } else {
    const before = await tableRows(page);
    const key = await lb(page, () => document.querySelector('#area-table th[data-sort-key]:not([data-sort-key="rank"])').dataset.sortKey);
    await page.click(`#area-table th[data-sort-key="${key}"] button, #area-table th[data-sort-key="${key}"]`);
    await page.waitForFunction((b) => {
      const rows = [...document.querySelectorAll('#area-table tr[data-area-id]')].map((tr) => tr.dataset.areaId);
      return rows.join() !== b.join();
    }, before, { timeout: TIMEOUT });
    const sortState = await lb(page, (k) => document.querySelector(`#area-table th[data-sort-key="${k}"]`).getAttribute('aria-sort'), key);
    check('sorting the table changes the order', sortState === 'ascending' || sortState === 'descending', `${key}: aria-sort ${sortState}`);
    const rankOrder = async () => lb(page, () => [...document.querySelectorAll('#area-table tr[data-area-id]')]
      .map((tr) => [tr.dataset.areaId, Number(tr.querySelector('td[data-col="rank"]').textContent)])
      .sort((a, b) => a[1] - b[1]).map((x) => x[0]));
    const rank0 = await rankOrder();
    const slider = await page.$('#area-table input[type="range"][data-weight], input[type="range"][data-weight]');
    await slider.evaluate((el) => {
      el.value = String(Number(el.value) > Number(el.min || 0) ? el.min || 0 : el.max || 1);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.waitForFunction(async (r0) => {
      const rows = [...document.querySelectorAll('#area-table tr[data-area-id]')]
        .map((tr) => [tr.dataset.areaId, Number(tr.querySelector('td[data-col="rank"]').textContent)])
        .sort((a, b) => a[1] - b[1]).map((x) => x[0]);
      return rows.join() !== r0.join();
    }, rank0, { timeout: TIMEOUT, polling: 200 });
    check('changing a weight moves the ranking', true);
  }

  step('panel');
  const first = (await api(page, '/api/v1/areas?set=2025')).body.features[0].id;
  const t0 = Date.now();
  await page.evaluate((id) => window.lagesbild.selectArea(id), first);
  await page.waitForFunction((id) => {
    const p = document.getElementById('area-panel');
    return p.dataset.areaId === id && p.dataset.ready === 'true';
  }, first, { timeout: TIMEOUT, polling: 50 });
  result.bench.openAreaPanelMs = Date.now() - t0;
  const period = await lb(page, () => window.lagesbild.period);
  const sum = await api(page, `/api/v1/areas/${first}/summary?from=${period.from}&to=${period.to}`);
  check('area summary from the API', sum.status === 200);
  // The summary cards (web/js/README.md lists KEY → summary JSON).
  const cards = await lb(page, () => [...document.querySelectorAll('#area-panel .lb-card[data-indicator], #area-panel > [data-indicator]')]
    .map((c) => [c.dataset.indicator, c.dataset.value]));
  const apiValue = (key) => {
    const b = sum.body;
    const t = b.total || {};
    const paths = {
      count: t.count, previous_count: t.previous_count, population: b.population,
      rate_per_1000: t.rate_per_1000, smoothed_rate_per_1000: t.smoothed_rate_per_1000,
      rate_ratio_rest_of_kommun: t.rate_ratio_rest_of_kommun,
      change_percent: t.change && t.change.percent, sen_slope_per_month: t.trend && t.trend.sen_slope_per_month,
      hotspot_share_95: b.hot_spots && b.hot_spots.share_95,
    };
    if (!(key in paths)) return undefined;
    const ind = paths[key];
    if (ind === null || ind === undefined) return null;
    if (typeof ind === 'object' && 'value' in ind) return ind.suppressed ? 'suppressed' : ind.value;
    if (typeof ind === 'object' && 'suppressed' in ind && ind.suppressed) return 'suppressed';
    return ind;
  };
  let matched = 0;
  const mismatched = [];
  for (const [key, value] of cards) {
    const want = apiValue(key);
    if (want === undefined) continue;
    matched++;
    const same = want === 'suppressed' || want === null ? value === 'suppressed' || value === '' || value === 'null' : Math.abs(Number(value) - want) < 1e-9;
    if (!same) mismatched.push(`${key}: panel ${value}, API ${want}`);
  }
  check('panel numbers equal the API summary', matched > 0 && mismatched.length === 0, `${matched} compared; ${mismatched.join('; ')}`);
  if (stubPanel) result.skipped.push('the full area panel (web/js/panel.js is the development stub; only the count card was compared)');
  await waitIdle(page);
  await page.screenshot({ path: `${shots}/analyst-area.png` });

  step('shared url');
  // Shareable URL: the same view in a new page.
  await page.check('input[data-layer="narvaro"]');
  await page.selectOption('#period-preset', '3m');
  await page.selectOption('#color-by', 'count');
  await page.waitForFunction(() => /color=count/.test(location.search) && /period=3m/.test(location.search) && /narvaro/.test(location.search),
    null, { timeout: TIMEOUT }); // the URL is written debounced
  const shared = page.url();
  const viewA = await lb(page, () => ({ s: window.lagesbild.state, c: window.lagesbild.map.getCenter(), z: window.lagesbild.map.getZoom() }));
  const page2 = await ctx.newPage();
  const w2 = watch(page2, 'shared-url');
  w2.loggedIn = true;
  const tWarm = Date.now();
  await page2.goto(shared);
  await waitReady(page2);
  await waitCells(page2);
  result.bench.reloadToMapWarmMs = Date.now() - tWarm;
  await page2.waitForFunction((id) => document.getElementById('area-panel').dataset.areaId === id, first, { timeout: TIMEOUT });
  const viewB = await lb(page2, () => ({ s: window.lagesbild.state, c: window.lagesbild.map.getCenter(), z: window.lagesbild.map.getZoom() }));
  for (const k of ['set', 'preset', 'compare', 'color', 'area']) {
    check(`shared URL restores ${k}`, viewA.s[k] === viewB.s[k], `${viewA.s[k]} vs ${viewB.s[k]}`);
  }
  check('shared URL restores the layers', JSON.stringify(viewA.s.layers) === JSON.stringify(viewB.s.layers));
  check('shared URL restores the position', Math.abs(viewA.z - viewB.z) < 0.05 && Math.abs(viewA.c.lng - viewB.c.lng) < 0.01 && Math.abs(viewA.c.lat - viewB.c.lat) < 0.01,
    `${JSON.stringify(viewA)} vs ${JSON.stringify(viewB)}`);
  await page2.screenshot({ path: `${shots}/shared-url.png` });
  await axe(page2, 'analyst');
  step('keyboard');
  // Keyboard: "/" focuses the search; a hit opens the area.
  await page2.keyboard.press('Escape');
  await page2.locator('#map').focus();
  await page2.keyboard.press('/');
  check('"/" focuses the search', await lb(page2, () => document.activeElement && document.activeElement.id === 'search'));
  await page2.keyboard.type('Rinkeby');
  await page2.keyboard.press('Enter');
  await page2.waitForFunction(() => /SO|UOP/.test(document.getElementById('area-panel').dataset.areaId || '') &&
    window.lagesbild.state.area !== null, null, { timeout: TIMEOUT });
  const owned = new Map([...w.owned, ...w2.owned]);
  result.bench.ownJsCssGzipBytes = [...owned.values()].reduce((a, b) => a + b, 0);
  result.bench.ownFiles = owned.size;
  await ctx.close();

  step('lpo');
  // ---- LPO journey -----------------------------------------------------------------
  const lctx = await newContext();
  const lpage = await lctx.newPage();
  const lw = watch(lpage, 'lpo');
  await login(lpage, lw, env.LAGESBILD_LOKAL_USER, env.LAGESBILD_LOKAL_PASSWORD);
  const own = await api(lpage, '/api/v1/areas?set=2025');
  const ownIds = own.body.features.map((f) => f.id).sort();
  check('LPO: the API returns only own areas', own.body.features.length > 0 && own.body.features.every((f) => f.properties.lpo_kod === env.LAGESBILD_LOKAL_LPO));
  await waitIdle(lpage);
  const lr = await renderedAreas(lpage);
  check('LPO: only own areas rendered', lr.length > 0 && lr.every((id) => ownIds.includes(id)), `${lr} vs ${ownIds}`);
  const lview = await lb(lpage, () => ({ z: window.lagesbild.map.getZoom(), labels: window.lagesbild.map.queryRenderedFeatures({ layers: ['areas-label'] }).length }));
  check('LPO: lands zoomed in on own areas with names', lview.z >= 10 && lview.labels > 0, JSON.stringify(lview));
  await lpage.waitForFunction(() => document.getElementById('area-panel').dataset.ready === 'true', null, { timeout: TIMEOUT });
  check('LPO: the first area\'s panel is open', ownIds.includes(await lb(lpage, () => document.getElementById('area-panel').dataset.areaId)));
  await lpage.waitForFunction(() => window.lagesbild.tableReady, null, { timeout: TIMEOUT });
  const lrows = await tableRows(lpage);
  check('LPO: only own areas listed', lrows.length > 0 && lrows.every((id) => ownIds.includes(id)), `${lrows}`);
  check('LPO: the overview is offered', await lb(lpage, () => !document.getElementById('tab-overview').hidden));
  await lpage.screenshot({ path: `${shots}/lpo.png` });
  await lpage.click('#tab-overview');
  await lpage.screenshot({ path: `${shots}/lpo-overview.png` });
  await axe(lpage, 'lpo');
  await lctx.close();

  step('outage');
  // ---- outage (last: the Go test stops the database) ---------------------------
  const octx = await newContext();
  outagePage = await octx.newPage();
  const ow = watch(outagePage, 'outage');
  await login(outagePage, ow, env.LAGESBILD_NATIONAL_USER, env.LAGESBILD_NATIONAL_PASSWORD);
  await outagePage.waitForFunction(() => window.lagesbild.tableReady, null, { timeout: TIMEOUT });
  if (result.problems.length === 0 && !env.LAGESBILD_SKIP_OUTAGE) {
    console.log('STOP_DB');
    const rl = createInterface({ input: process.stdin });
    await new Promise((resolve) => rl.once('line', resolve));
    rl.close();
    ow.allowHTTP = (st) => st === undefined || st === 503;
    await outagePage.selectOption('#set-select', '2023');
    await outagePage.waitForFunction(() => window.lagesbild.outage === true, null, { timeout: TIMEOUT });
    const o = await lb(outagePage, () => ({
      banner: !document.getElementById('outage').hidden && document.getElementById('outage').textContent,
      login: !document.getElementById('login').hidden,
    }));
    check('outage: the banner says the service is temporarily unavailable', Boolean(o.banner) && o.banner.includes('tillfälligt otillgänglig'));
    check('outage: the login form is not shown', !o.login);
    await outagePage.screenshot({ path: `${shots}/outage.png` });
  }
  await octx.close();
  result.ok = result.problems.length === 0 && result.offsite === 0;
  if (result.offsite) result.problems.push(`${result.offsite} requests off 127.0.0.1`);
} catch (err) {
  result.problems.unshift(`${result.step || 'login'}: ${err.message.split('\n')[0]}`);
  if (outagePage) await outagePage.screenshot({ path: `${shots}/failure.png` }).catch(() => {});
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
