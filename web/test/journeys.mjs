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

// waitTable waits until the side table has rendered the answer to the latest
// load, and (with want) that load asked for want's period: the page's
// tableQuery is set only by the latest of overlapping loads.
const waitTable = (page, want = null) => page.waitForFunction((w) => {
  const L = window.lagesbild;
  const q = L.tableQuery;
  const c = document.getElementById('area-table');
  return L.tableReady && q && c.dataset.ready === 'true' && c.querySelector('.lb-table-status') &&
    (!w || (q.from === w.from && q.to === w.to));
}, want, { timeout: TIMEOUT, polling: 100 });
// waitPanel waits until the area panel shows area id for period "from/to/compare".
const waitPanel = (page, id, period) => page.waitForFunction(([a, p]) => {
  const el = document.getElementById('area-panel');
  return el.dataset.areaId === a && el.dataset.ready === 'true' && (!p || el.dataset.period === p);
}, [id, period], { timeout: TIMEOUT, polling: 100 });

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
  await waitTable(page);
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
  // Cells with a suppressed group: no total, at most a lower bound ≥ 6 (the groups shown plus
  // one), never a number below 5; the legend explains the dashed "at least" cells.
  const atLeast = await lb(page, () => {
    const fs = window.lagesbild.map.queryRenderedFeatures({ layers: ['h3-fill'] }).map((f) => f.properties);
    return { sup: fs.filter((p) => p.suppressed).length, min: fs.filter((p) => p.total_min !== undefined && p.total === undefined).length,
      bad: fs.filter((p) => p.suppressed && (p.total !== undefined || (p.total_min !== undefined && p.total_min < 6))).length,
      legend: document.getElementById('h3-legend').textContent };
  });
  check('H3: a cell with a suppressed group shows no total, only a lower bound of 6 or more, explained in the legend',
    atLeast.bad === 0 && /minst så många/.test(atLeast.legend), JSON.stringify({ ...atLeast, legend: undefined }));
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
  await waitTable(page);

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

  step('presence');
  // Agency presence: the layer renders offices and operations from the narvaro tiles; the
  // agency filter narrows the tiles and what is rendered to that agency's.
  const presence = (pg) => lb(pg, () => {
    const m = window.lagesbild.map;
    const fs = m.queryRenderedFeatures({ layers: ['narvaro-office', 'narvaro-operation'] });
    const offices = fs.filter((f) => f.layer.id === 'narvaro-office');
    return { n: fs.length, operations: fs.length - offices.length, offices: offices.length,
      agencies: offices.map((f) => f.properties.agency), sources: [...new Set(fs.map((f) => f.source))] };
  });
  await page.evaluate(() => window.lagesbild.map.jumpTo({ center: [17.9, 59.4], zoom: 8 }));
  await page.check('input[data-layer="narvaro"]');
  await page.waitForFunction(() => {
    const m = window.lagesbild.map;
    return m.loaded() && m.getLayoutProperty('narvaro-office', 'visibility') !== 'none' &&
      m.queryRenderedFeatures({ layers: ['narvaro-office', 'narvaro-operation'] }).length > 0;
  }, null, { timeout: TIMEOUT, polling: 200 });
  await waitIdle(page);
  const pAll = await presence(page);
  check('presence layer renders offices and operations from the narvaro tiles', pAll.offices > 0 && pAll.operations > 0 &&
    pAll.sources.join() === 'narvaro' && (await lb(page, () => (window.lagesbild.narvaroTiles || '').includes('/tiles/narvaro/'))), JSON.stringify({ ...pAll, agencies: undefined }));
  const counts = {};
  for (const a of pAll.agencies) counts[a] = (counts[a] || 0) + 1;
  const options = await lb(page, () => [...document.querySelectorAll('#agency-select option')].map((o) => o.value).filter(Boolean));
  const agency = options.filter((a) => counts[a] > 0 && counts[a] < pAll.offices).sort((a, b) => counts[a] - counts[b])[0];
  check('presence: the agency filter offers the agencies rendered', Boolean(agency), `rendered ${JSON.stringify(counts)}, offered ${options}`);
  await page.selectOption('#agency-select', agency);
  await page.waitForFunction((a) => {
    const src = window.lagesbild.map.getSource('narvaro').serialize().tiles[0];
    return new URL(src.replace('{z}/{x}/{y}', '0/0/0')).searchParams.get('agency') === a && new URLSearchParams(location.search).get('agency') === a;
  }, agency, { timeout: TIMEOUT });
  await page.waitForFunction((n) => {
    const m = window.lagesbild.map;
    return m.loaded() && m.queryRenderedFeatures({ layers: ['narvaro-office'] }).length < n;
  }, pAll.offices, { timeout: TIMEOUT, polling: 200 });
  await waitIdle(page);
  const pOne = await presence(page);
  check('presence: the agency filter renders only that agency\'s offices', pOne.offices === counts[agency] && pOne.agencies.every((a) => a === agency),
    `${agency}: ${pOne.offices} rendered of ${pAll.offices}, ${counts[agency]} expected`);
  await page.selectOption('#agency-select', '');
  await page.waitForFunction(() => !new URLSearchParams(location.search).has('agency'), null, { timeout: TIMEOUT });

  step('period presets');
  // Each preset sets the period of the URL, the period line, the table (the API's answer) and
  // the H3 source's tile query.
  const anchor = await lb(page, () => window.lagesbild.anchor);
  const shiftDays = (s, n) => { const d = new Date(`${s}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + n); return d.toISOString().slice(0, 10); };
  const shiftMonths = (s, n) => {
    const d = new Date(`${s}T00:00:00Z`);
    const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
    t.setUTCDate(Math.min(d.getUTCDate(), new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate()));
    return t.toISOString().slice(0, 10);
  };
  const custom = { from: shiftDays(anchor, -59), to: shiftDays(anchor, -10) };
  const expected = {
    '3m': { from: shiftDays(shiftMonths(anchor, -3), 1), to: anchor, label: 'Senaste 3 månaderna' },
    ytd: { from: `${anchor.slice(0, 4)}-01-01`, to: anchor, label: 'Hittills i år' },
    custom: { ...custom, label: 'Eget intervall' },
  };
  for (const preset of ['3m', 'ytd', 'custom']) {
    const want = expected[preset];
    await page.selectOption('#period-preset', preset);
    if (preset === 'custom') {
      check('eget intervall shows the from and to fields', await lb(page, () => !document.getElementById('period-custom').hidden));
      await page.fill('#period-from', want.from);
      await page.fill('#period-to', want.to);
    }
    await page.waitForFunction((w) => {
      const p = window.lagesbild.period;
      const src = window.lagesbild.map.getSource('h3').serialize().tiles[0];
      const q = new URL(src.replace('{z}/{x}/{y}', '0/0/0')).searchParams;
      return p && p.from === w.from && p.to === w.to && q.get('from') === w.from && q.get('to') === w.to;
    }, want, { timeout: TIMEOUT, polling: 100 });
    await waitTable(page, want);
    // The URL is written debounced.
    await page.waitForFunction((pr) => new URLSearchParams(location.search).get('period') === pr, preset, { timeout: TIMEOUT });
    const seen = await lb(page, () => ({
      search: location.search,
      info: document.getElementById('period-info').textContent,
      table: (document.querySelector('#area-table .lb-table-status') || {}).textContent || '',
      h3: window.lagesbild.h3Tiles,
    }));
    const q = new URLSearchParams(seen.search);
    const day = (s) => new Intl.DateTimeFormat('sv-SE', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${s}T00:00:00Z`));
    const urlOK = q.get('period') === preset && (preset !== 'custom' || (q.get('from') === want.from && q.get('to') === want.to));
    check(`period ${preset}: URL, period line, table and H3 tiles use ${want.from}–${want.to}`,
      urlOK && seen.info.startsWith(want.label) && seen.table.includes(`${day(want.from)}–${day(want.to)}`),
      `url ${seen.search}; info "${seen.info}"; table "${seen.table}"; h3 ${seen.h3}`);
  }

  step('same period last year');
  // Compared with the same period last year (custom period, shorter than 12 months): the
  // panel's card equals the summary's CompStat comparison of its own period.
  await page.selectOption('#compare-select', 'yoy');
  await waitPanel(page, first, `${custom.from}/${custom.to}/year`);
  await page.waitForFunction(() => new URLSearchParams(location.search).get('compare') === 'yoy', null, { timeout: TIMEOUT });
  check('the panel compares with the same period last year', await lb(page, () => Boolean(document.querySelector('#area-panel [data-indicator="year_ago_count"]'))));
  const ysum = await api(page, `/api/v1/areas/${first}/summary?from=${custom.from}&to=${custom.to}`);
  const yc = (ysum.body.comparisons || []).find((c) => c.preset === 'period');
  check('summary has the comparison of its period with last year', ysum.status === 200 && yc && yc.total && yc.total.same_period_last_year);
  const ly = yc.total.same_period_last_year;
  const ycard = await lb(page, () => {
    const c = document.querySelector('#area-panel [data-indicator="year_ago_count"]');
    const v = c.querySelector('[data-verdict]');
    return { value: c.dataset.value, verdict: v ? v.dataset.verdict : null, text: c.textContent };
  });
  const lyWant = ly.count && !ly.count.suppressed && ly.count.value !== undefined ? String(ly.count.value) : 'suppressed';
  check('"Samma period i fjol" equals the summary\'s same_period_last_year', ycard.value === lyWant &&
    (lyWant === 'suppressed' || ly.suppressed || !ly.verdict || ycard.verdict === ly.verdict) && ycard.text.includes('Samma period i fjol'),
    `panel ${JSON.stringify(ycard)}, API count ${JSON.stringify(ly.count)} verdict ${ly.verdict}`);
  await page.selectOption('#compare-select', 'prev');
  await page.selectOption('#period-preset', '12m');
  await waitTable(page, await lb(page, () => window.lagesbild.period));

  step('shared url');
  // Shareable URL: the same view in a new page.
  await page.check('input[data-layer="narvaro"]');
  await page.selectOption('#period-preset', '3m');
  await page.selectOption('#color-by', 'count');
  await page.waitForFunction(() => /color=count/.test(location.search) && /period=3m/.test(location.search) && /narvaro/.test(location.search),
    null, { timeout: TIMEOUT }); // the URL is written debounced
  // The weight moved in the table step is in the link.
  check('the moved weight is in the URL', await lb(page, () => /(^|,)[a-z_]+:/.test(new URLSearchParams(location.search).get('weights') || '')),
    await lb(page, () => location.search));
  const shared = page.url();
  // A national weight profile, saved as an analyst would, for the profile link below.
  const saved = await page.evaluate(async () => {
    const me = await (await fetch('/api/v1/me')).json();
    const r = await fetch('/api/v1/priority/profiles/vald-forst', { method: 'PUT',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
      body: JSON.stringify({ description: 'Våldsbrott först', weights: { violent_rate: 0.7, trend: 0.3 } }) });
    return r.status;
  });
  check('a national weight profile can be saved', saved === 204, `PUT: ${saved}`);
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
  // Weights: the sliders and the ranking's request carry the shared weights.
  await waitTable(page2);
  const sliders = (pg) => lb(pg, () => Object.fromEntries([...document.querySelectorAll('input[type="range"][data-weight]')].map((i) => [i.dataset.weight, i.value])));
  const [slA, slB] = [await sliders(page), await sliders(page2)];
  check('shared URL restores the weights', viewB.s.weights === viewA.s.weights && JSON.stringify(slA) === JSON.stringify(slB) &&
    (await lb(page2, () => decodeURIComponent(document.getElementById('table-csv').getAttribute('href')))).includes(`weights=${viewA.s.weights}`),
    `${viewA.s.weights} vs ${viewB.s.weights}; sliders ${JSON.stringify(slA)} vs ${JSON.stringify(slB)}`);
  check('shared URL restores the position', Math.abs(viewA.z - viewB.z) < 0.05 && Math.abs(viewA.c.lng - viewB.c.lng) < 0.01 && Math.abs(viewA.c.lat - viewB.c.lat) < 0.01,
    `${JSON.stringify(viewA)} vs ${JSON.stringify(viewB)}`);
  await page2.screenshot({ path: `${shots}/shared-url.png` });
  await axe(page2, 'analyst');
  // A saved profile: chosen, it replaces the weights in the URL and a reload restores it.
  const profile = await lb(page2, () => [...document.querySelectorAll('#profile-select option')].map((o) => o.value).find(Boolean) || null);
  if (!profile) {
    result.skipped.push('shared URL with a saved profile (the demo has none)');
  } else {
    await page2.click('#tab-table');
    await page2.evaluate(() => { document.querySelector('#area-table details.lb-weights').open = true; });
    await page2.selectOption('#profile-select', profile);
    await page2.waitForFunction((pr) => {
      const q = new URLSearchParams(location.search);
      return q.get('profile') === pr && !q.has('weights');
    }, profile, { timeout: TIMEOUT });
    await page2.reload();
    await waitReady(page2);
    await waitTable(page2);
    const restored = await lb(page2, () => ({ value: document.getElementById('profile-select').value,
      csv: decodeURIComponent(document.getElementById('table-csv').getAttribute('href')) }));
    check('shared URL restores the saved profile', restored.value === profile && restored.csv.includes(`profile=${profile}`), JSON.stringify(restored));
  }
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

  step('tablet');
  // ---- tablet: 820×1180 ------------------------------------------------------------
  const tctx = await browser.newContext({ viewport: { width: 820, height: 1180 }, locale: 'sv-SE', timezoneId: 'Europe/Stockholm', hasTouch: true });
  await tctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname !== '127.0.0.1' && u.protocol !== 'data:' && u.protocol !== 'blob:') {
      result.offsite++;
      return route.abort();
    }
    return route.continue();
  });
  const tpage = await tctx.newPage();
  const tw = watch(tpage, 'tablet');
  await login(tpage, tw, env.LAGESBILD_NATIONAL_USER, env.LAGESBILD_NATIONAL_PASSWORD);
  await waitTable(tpage);
  await waitIdle(tpage);
  const tAreas = await renderedAreas(tpage);
  check('tablet: the map shows areas', tAreas.length > 0, `${tAreas.length} rendered`);
  const scroll = () => lb(tpage, () => {
    const cw = document.documentElement.clientWidth;
    const clipped = (e) => {
      for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) if (getComputedStyle(p).overflowX !== 'visible') return true;
      return false;
    };
    const wide = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > cw + 1 && (!clipped(e) || getComputedStyle(e).position === 'absolute'))
      .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${[...e.classList].join('.')}:${Math.round(e.getBoundingClientRect().right)}`);
    return { sw: document.documentElement.scrollWidth, cw, wide };
  });
  await tpage.screenshot({ path: `${shots}/tablet.png` });
  let sc = await scroll();
  check('tablet: no horizontal scroll', sc.sw <= sc.cw, JSON.stringify(sc));
  // The side drawer: Tab to its toggle, open it with Enter, Tab into it.
  // From the start of the tab order (the skip link, the first focusable element).
  await tpage.focus('a.skip-link');
  let onToggle = false;
  for (let i = 0; i < 40 && !onToggle; i++) {
    await tpage.keyboard.press('Tab');
    onToggle = await lb(tpage, () => document.activeElement && document.activeElement.id === 'sidebar-toggle');
  }
  check('tablet: the drawer toggle is reachable with Tab', onToggle);
  const closed = await lb(tpage, () => ({ expanded: document.getElementById('sidebar-toggle').getAttribute('aria-expanded'),
    shown: getComputedStyle(document.getElementById('sidebar')).display !== 'none' }));
  check('tablet: the closed drawer\'s toggle says aria-expanded="false"', !closed.shown && closed.expanded === 'false', JSON.stringify(closed));
  await tpage.keyboard.press('Enter');
  const drawer = await lb(tpage, () => {
    const s = document.getElementById('sidebar');
    const r = s.getBoundingClientRect();
    return { shown: getComputedStyle(s).display !== 'none' && r.width > 0, expanded: document.getElementById('sidebar-toggle').getAttribute('aria-expanded') };
  });
  check('tablet: Enter opens the drawer', drawer.shown && drawer.expanded === 'true', JSON.stringify(drawer));
  let inDrawer = false;
  for (let i = 0; i < 40 && !inDrawer; i++) {
    await tpage.keyboard.press('Tab');
    inDrawer = await lb(tpage, () => Boolean(document.activeElement && document.activeElement.closest('#sidebar')));
  }
  check('tablet: the drawer\'s controls are reachable with Tab', inDrawer);
  sc = await scroll();
  check('tablet: no horizontal scroll with the drawer open', sc.sw <= sc.cw, JSON.stringify(sc));
  await waitIdle(tpage);
  await tpage.screenshot({ path: `${shots}/tablet.png` });
  await tctx.close();

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
  await waitTable(lpage);
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
  await waitTable(outagePage);
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
