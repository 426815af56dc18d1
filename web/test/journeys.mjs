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
// Each step is announced on stdout: the Go test treats a long silence as a hang, not the total time.
const step = (name) => { result.step = name; console.log(`STEP ${name}`); };
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
  const w = { loggedIn: false, allowHTTP: () => false, bytes: 0, requests: 0, owned: new Map(), kinds: {}, plain: new Set(), urls: new Map() };
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // The browser logs every failed fetch as a console error; the 401 of
    // /api/v1/me before the login is the page asking whether anyone is logged in.
    if (!w.loggedIn) return;
    if (/status of (401|503)/.test(m.text()) && w.allowHTTP()) return;
    if (w.allowConsole && w.allowConsole(m.text())) return;
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
      const n = sizes.responseBodySize + sizes.responseHeadersSize;
      w.bytes += n;
      // What the first view's bytes are: by kind of file, the text answers sent without gzip,
      // and the same URL asked for twice.
      const kind = (url.pathname.match(/^\/(vendor|fonts|basemap|tiles|api|styles|ogc)\//) || [null, 'own'])[1];
      const k = w.kinds[kind] || (w.kinds[kind] = { requests: 0, bytes: 0 });
      k.requests++;
      k.bytes += n;
      const type = resp.headers()['content-type'] || '';
      if (st === 200 && sizes.responseBodySize > 1024 && /json|javascript|css|html|svg/.test(type) && !/gzip|br|zstd/.test(resp.headers()['content-encoding'] || '')) {
        w.plain.add(`${url.pathname} (${sizes.responseBodySize} B)`);
      }
      const key = `${req.method()} ${url.pathname}${url.search}`;
      w.urls.set(key, (w.urls.get(key) || 0) + 1);
    } catch { /* page closed */ }
    if (st === 200 && /^\/(js\/.*\.js|[a-z]+\.css)$/.test(url.pathname)) {
      try {
        w.owned.set(url.pathname, gzipSync(await resp.body()).length);
      } catch { /* cached */ }
    }
  });
  return w;
}

// LAGESBILD_WEB_DIR (development only): the page's own files (index.html, js/, *.css) from
// that directory instead of the binary's embedded copy, to iterate without a rebuild.
const webDir = env.LAGESBILD_WEB_DIR;
const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html' };

async function guard(ctx) {
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname !== '127.0.0.1' && u.protocol !== 'data:' && u.protocol !== 'blob:') {
      result.offsite++;
      return route.abort();
    }
    if (webDir && /^\/(js\/[a-z]+\.js|[a-z]+\.css|index\.html|)$/.test(u.pathname)) {
      const file = u.pathname === '/' ? 'index.html' : u.pathname.slice(1);
      return route.fulfill({ status: 200, contentType: TYPES[file.slice(file.lastIndexOf('.'))], body: readFileSync(`${webDir}/${file}`) });
    }
    return route.continue();
  });
}

async function newContext(opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'sv-SE', timezoneId: 'Europe/Stockholm', ...opts });
  await guard(ctx);
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
  return { n: ids.size, sum: fs.reduce((s, f) => s + (Number(f.properties.total) || 0), 0),
    atLeast: [...new Map(fs.map((f) => [f.properties.cell, Number(f.properties.total ?? f.properties.total_min) || 0])).values()].reduce((a, b) => a + b, 0), sig: [...ids].sort().join() + fs.map((f) => f.properties.total).join() };
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

const apiText = (page, path) => page.evaluate(async (p) => {
  const r = await fetch(p);
  return { status: r.status, type: r.headers.get('content-type') || '', text: await r.text() };
}, path);
// within: every bbox [w, s, e, n] lies inside the map's current bounds.
const within = (page, boxes) => lb(page, (bs) => {
  const b = window.lagesbild.map.getBounds();
  const eps = 1e-3;
  return bs.every((x) => x[0] >= b.getWest() - eps && x[1] >= b.getSouth() - eps && x[2] <= b.getEast() + eps && x[3] <= b.getNorth() + eps);
}, boxes);
const screenPoint = (page, lngLat) => lb(page, (ll) => {
  const m = window.lagesbild.map;
  const p = m.project(ll);
  const r = m.getCanvas().getBoundingClientRect();
  return { x: r.left + p.x, y: r.top + p.y };
}, lngLat);

// shot saves a screenshot of the journey with the side bar scrolled to its top, or (with
// show, a selector) to that element.
async function shot(page, name, show = null) {
  await page.evaluate((sel) => {
    const s = document.getElementById('sidebar');
    if (s) s.scrollTop = 0;
    const e = sel && document.querySelector(sel);
    if (e) e.scrollIntoView({ block: 'center' });
    if (document.scrollingElement) document.scrollingElement.scrollTop = 0; // the side bar only, not the page
  }, show);
  await page.screenshot({ path: `${shots}/${name}.png` });
  // A value the code failed to fill in shows as the word null, undefined or NaN.
  const leaked = await page.evaluate(() => (document.body.innerText.match(/\b(null|undefined|NaN)\b/g) || []));
  check(`${name}: no null, undefined or NaN shown`, leaked.length === 0, JSON.stringify(leaked));
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
  await waitTable(page);
  result.bench.loginToTableMs = Date.now() - tClick;
  result.bench.firstViewBytes = w.bytes;
  result.bench.firstViewRequests = w.requests;
  result.bench.firstViewByKind = structuredClone(w.kinds);
  result.bench.firstViewUncompressed = [...w.plain];
  result.bench.firstViewRepeated = [...w.urls].filter(([, n]) => n > 1).map(([u, n]) => `${u} ×${n}`);

  await shot(page, 'analyst-sweden');
  const stubTable = await isStub(page, '/js/table.js');
  const stubPanel = await isStub(page, '/js/panel.js');
  check('header shows the demo badge', await lb(page, () => !document.getElementById('demo-badge').hidden));
  check('the map shows the synthetic-data note', await lb(page, () => !document.getElementById('synthetic-note').hidden &&
    document.getElementById('synthetic-note').textContent.includes('Syntetiska')));

  step('facts from the server');
  // One class palette: the page's class colours and labels are the style's metadata, and no
  // module of the page holds a copy of a class colour.
  const style = await api(page, '/styles/lagesbild.json');
  const palette = style.body.metadata['lagesbild:classes'];
  const cssVars = await lb(page, (keys) => keys.map((k) => getComputedStyle(document.documentElement).getPropertyValue(`--lb-class-${k}`).trim().toLowerCase()),
    palette.map((c) => c.class));
  check('the page\'s class colours are the style\'s palette', palette.length >= 3 && palette.every((c, i) => cssVars[i] === c.fill.toLowerCase()),
    `${JSON.stringify(cssVars)} vs ${JSON.stringify(palette.map((c) => c.fill))}`);
  const legendRows = await lb(page, () => [...document.querySelectorAll('#legend li[data-class]')].map((li) => [li.dataset.class, li.querySelector('.legend-label').textContent]));
  check('the class legend is the style\'s palette, labels included', JSON.stringify(legendRows) === JSON.stringify(palette.map((c) => [c.class, c.label])),
    JSON.stringify(legendRows));
  const modules = await lb(page, () => [...new Set(performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
    .filter((x) => /^\/(js\/.*\.js|[a-z]+\.css)$/.test(x)))]);
  const copies = [];
  for (const m of modules) {
    const text = (await apiText(page, m)).text.toLowerCase();
    for (const c of palette) for (const col of [c.fill, c.line]) if (text.includes(col.toLowerCase())) copies.push(`${m}: ${col}`);
    for (const c of palette) if (text.includes(`'${c.label.toLowerCase()}'`)) copies.push(`${m}: '${c.label}'`);
  }
  // Everyone: an offline basemap from the project's own files and labels with local fonts.
  const bm = await lb(page, () => {
    const m = window.lagesbild.map;
    const st = m.getStyle();
    const fetched = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname);
    const src = (id) => {
      if (!st.sources[id]) return '';
      const file = `/basemap/${{ land: 'countries', lakes: 'lakes', places: 'places' }[id]}.geojson`;
      const d = m.getSource(id).serialize().data;
      const url = typeof d === 'string' ? d : d && typeof d.url === 'string' ? d.url : null;
      if (url) return new URL(url, location.href).pathname;
      // MapLibre may hold the parsed data: then the file must have been fetched from the service.
      return fetched.includes(file) || (d && d.type === 'FeatureCollection') ? file : '';
    };
    return { glyphs: st.glyphs || null, faces: Object.keys(m.style.stylesheet['font-faces'] || {}), land: src('land'), lakes: src('lakes'), places: src('places'),
      drawn: m.queryRenderedFeatures({ layers: ['land'] }).length };
  });
  check('offline basemap from the service\'s own files, labels from local fonts (no glyph server)', !bm.glyphs && bm.faces.length >= 2 &&
    bm.land === '/basemap/countries.geojson' && bm.lakes === '/basemap/lakes.geojson' && bm.places === '/basemap/places.geojson' && bm.drawn > 0, JSON.stringify(bm));
  check('no JS or CSS file of the page holds a copy of the class palette', modules.length >= 10 && copies.length === 0, `${modules.length} files; ${copies.join(', ')}`);

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
  await page.waitForFunction(() => window.lagesbild.set === '2025' && window.lagesbild.ready && window.lagesbild.changes &&
    window.lagesbild.changes.prevYear === 2023, null, { timeout: TIMEOUT });
  // 2025 against 2023 by the cross-year identity: an area is the same when its area_key is, or
  // when the API names the 2023 key as its predecessor (renumbered); a new key split off a 2023
  // area is a split part, not a new area; a 2023 key that lives on under another is not removed.
  const [a25, a23] = [(await api(page, '/api/v1/areas?set=2025')).body.features, (await api(page, '/api/v1/areas?set=2023')).body.features];
  const prev23 = new Map(a23.map((f) => [f.properties.area_key, f.properties]));
  const keys25 = new Set(a25.map((f) => f.properties.area_key));
  const want25 = { entered: [], split: [], changed: [], left: [] };
  const followed = new Set();
  let renumbered = 0;
  for (const { properties: p } of a25) {
    const links = p.predecessors || [];
    links.forEach((l) => followed.add(l.area_key));
    const same = prev23.get(p.area_key) || links.filter((l) => l.kind !== 'split').map((l) => prev23.get(l.area_key)).find(Boolean);
    if (!prev23.has(p.area_key) && same) renumbered++;
    if (same) {
      if (same.class !== p.class) want25.changed.push(p.id);
    } else if (links.some((l) => l.kind === 'split' && prev23.has(l.area_key))) want25.split.push(p.id);
    else want25.entered.push(p.id);
  }
  for (const { properties: p } of a23) if (!keys25.has(p.area_key) && !followed.has(p.area_key)) want25.left.push(p.id);
  const got25 = await lb(page, () => window.lagesbild.changes);
  const sorted = (x) => JSON.stringify([...(x || [])].sort());
  check('list 2025: the API names the 2025 splits and the renumbering', want25.split.length > 0 && renumbered > 0, JSON.stringify({ ...want25, renumbered }));
  check('list 2025 against 2023: entered, split, changed class and left follow the cross-year identity',
    ['entered', 'split', 'changed', 'left'].every((k) => sorted(got25[k]) === sorted(want25[k])), `page ${JSON.stringify(got25)} vs ${JSON.stringify(want25)}`);
  const dom25 = await lb(page, () => {
    const h = document.querySelector('#set-changes .changes-summary');
    const n = (k) => document.querySelectorAll(`#set-changes details[data-change="${k}"] li`).length;
    return { summary: { ...h.dataset }, lists: { entered: n('entered'), split: n('split'), changed: n('changed'), left: n('left') } };
  });
  check('list 2025: the side bar lists the same changes', ['entered', 'split', 'changed', 'left'].every((k) =>
    Number(dom25.summary[k]) === want25[k].length && dom25.lists[k] === want25[k].length), JSON.stringify(dom25));
  // "Visa förändringar": the outlines on the map mark the same areas, the removed ones dashed.
  await page.check('#show-changes');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('changes') === '1', null, { timeout: TIMEOUT });
  await waitIdle(page);
  const marked = await lb(page, () => {
    const m = window.lagesbild.map;
    const by = {};
    for (const f of m.getSource('areas').serialize().data.features) if (f.properties.change) (by[f.properties.change] ||= []).push(f.properties.id);
    const drawn = m.queryRenderedFeatures({ layers: ['areas-change'] }).length;
    return { vis: m.getLayoutProperty('areas-change', 'visibility'), left: m.getLayoutProperty('areas-left', 'visibility'), by, drawn,
      leftN: m.getSource('areas-left').serialize().data.features.length };
  });
  check('list 2025: "Visa förändringar" outlines the entered, split and changed areas on the map and dashes the removed',
    marked.vis === 'visible' && marked.left === 'visible' && ['entered', 'split', 'changed'].every((k) => sorted(marked.by[k]) === sorted(want25[k])) &&
    marked.drawn > 0 && marked.leftN === want25.left.length, JSON.stringify(marked));
  await shot(page, 'analyst-list-changes');
  await page.uncheck('#show-changes');

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
  // Playback over 12 months: ▶ shows the first month, then the next (the H3 tiles ask for that
  // month only, the cells change); "Spela upp" steps by itself until paused; "Hela perioden"
  // goes back to the whole period.
  await page.selectOption('#period-preset', '12m');
  await page.waitForFunction(() => window.lagesbild.state.preset === '12m', null, { timeout: TIMEOUT });
  await waitIdle(page);
  const whole = await cellSum(page);
  const p12 = await lb(page, () => window.lagesbild.period);
  const h3Query = () => lb(page, () => {
    const q = new URL(window.lagesbild.map.getSource('h3').serialize().tiles[0].replace('{z}/{x}/{y}', '0/0/0')).searchParams;
    return { from: q.get('from'), to: q.get('to'), month: window.lagesbild.state.month, label: document.getElementById('month-label').textContent };
  });
  const lastDay = (m) => new Date(Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)), 0)).toISOString().slice(0, 10);
  const nextMonth = (m) => new Date(Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)), 1)).toISOString().slice(0, 7);
  const m1 = p12.from.slice(0, 7);
  const m2 = nextMonth(m1);
  await page.click('#month-next');
  await page.waitForFunction((m) => window.lagesbild.state.month === m, m1, { timeout: TIMEOUT });
  await waitIdle(page);
  const q1 = await h3Query();
  const one = await cellSum(page);
  check('playback ▶: the first month of the period, in the H3 tiles and the label', q1.from === p12.from && q1.to === lastDay(m1) && /1 av 1[23]/.test(q1.label),
    JSON.stringify(q1));
  check('playback: one month draws other cells, with no more incidents than the whole period', one.sig !== whole.sig && one.atLeast <= whole.atLeast,
    `month ${one.n} cells ${one.atLeast}, period ${whole.n} cells ${whole.atLeast}`);
  await page.click('#month-next');
  await page.waitForFunction((m) => window.lagesbild.state.month === m, m2, { timeout: TIMEOUT });
  const q2 = await h3Query();
  check('playback ▶ again: the next month', q2.from === `${m2}-01` && q2.to === lastDay(m2) && /2 av/.test(q2.label), JSON.stringify(q2));
  await page.click('#play-button');
  await page.waitForFunction((m) => window.lagesbild.state.month > m, m2, { timeout: TIMEOUT, polling: 100 });
  const playing = await lb(page, () => document.getElementById('play-button').getAttribute('aria-pressed'));
  await page.click('#play-button');
  const paused = await lb(page, () => ({ pressed: document.getElementById('play-button').getAttribute('aria-pressed'), month: window.lagesbild.state.month }));
  await page.waitForTimeout(2000);
  const still = await lb(page, () => window.lagesbild.state.month);
  check('"Spela upp" animates month by month and "Pausa" stops it', playing === 'true' && paused.pressed === 'false' && still === paused.month,
    JSON.stringify({ playing, paused, still }));
  await page.click('#month-clear');
  await page.waitForFunction(() => window.lagesbild.state.month === null, null, { timeout: TIMEOUT });
  const q0 = await h3Query();
  check('"Hela perioden" shows the whole period again', q0.from === p12.from && q0.to === p12.to && !new URLSearchParams(await lb(page, () => location.search)).has('month'),
    JSON.stringify(q0));
  await page.evaluate(() => window.lagesbild.map.fitBounds([[10.9, 55.3], [24.2, 69.1]], { animate: false }));
  await waitTable(page);

  step('choropleth');
  // Colour by an indicator: a choropleth with a legend.
  for (const key of ['count', 'rate', 'smoothed', 'change', 'trend', 'score']) {
    await page.selectOption('#color-by', key);
    const ch = await lb(page, () => ({ color: window.lagesbild.color, items: document.querySelectorAll('#legend li').length,
      title: (document.querySelector('#legend .legend-title') || {}).textContent,
      fill: JSON.stringify(window.lagesbild.map.getPaintProperty('areas-fill', 'fill-color')).slice(0, 12) }));
    check(`colour by ${key}: a choropleth with a legend and class breaks`, ch.color === key && ch.items >= 3 && Boolean(ch.title) && ch.fill.startsWith('["match"'),
      JSON.stringify(ch));
  }
  await page.selectOption('#color-by', 'class');

  step('borders');
  // Kommun, län and police-region borders with their labels (the region layer is off by default).
  await page.check('input[data-layer="polisregioner"]');
  await waitIdle(page);
  const borderCount = () => lb(page, () => {
    const m = window.lagesbild.map;
    const n = (id) => m.queryRenderedFeatures({ layers: [id] }).length;
    return { kommun: n('kommun-line'), lan: n('lan-line'), region: n('region-line'), regionLabels: n('label-region'), lanLabels: n('label-lan'), kommunLabels: n('label-kommun') };
  });
  const national = await borderCount(); // the region names at national scale, län and kommun names from zoom 6 and 7
  await page.evaluate(() => window.lagesbild.map.jumpTo({ center: [15.6, 58.4], zoom: 7.3 }));
  await waitIdle(page);
  const regional = await borderCount();
  check('kommun, län and police-region borders with labels', national.kommun > 0 && national.lan > 0 && national.region > 0 && national.regionLabels > 0 &&
    regional.lanLabels > 0 && regional.kommunLabels > 0, JSON.stringify({ national, regional }));
  await page.evaluate(() => window.lagesbild.map.fitBounds([[10.9, 55.3], [24.2, 69.1]], { animate: false }));
  await page.uncheck('input[data-layer="polisregioner"]');

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
    // Every indicator column: shown from "Kolumner", sorted by its header, missing values last.
    await page.evaluate(() => { document.querySelector('#area-table [data-action="all-columns"]').click(); });
    const sortKeys = await lb(page, () => [...document.querySelectorAll('#area-table th[data-sort-key]')].map((th) => th.dataset.sortKey)
      .filter((k) => k !== 'name' && k !== 'rank'));
    const unsorted = [];
    for (const k of sortKeys) {
      await page.click(`#area-table th[data-sort-key="${k}"] button`);
      const col = await lb(page, (key) => ({ dir: document.querySelector(`#area-table th[data-sort-key="${key}"]`).getAttribute('aria-sort'),
        values: [...document.querySelectorAll(`#area-table tr[data-area-id] [data-col="${key}"]`)].map((td) => td.dataset.value) }), k);
      const nums = col.values.map((v) => (v === '' || v === undefined || Number.isNaN(Number(v)) ? null : Number(v)));
      const present = nums.filter((v) => v !== null);
      const lastPresent = nums.map((v) => v !== null).lastIndexOf(true);
      const ordered = present.every((v, i) => i === 0 || (col.dir === 'ascending' ? v >= present[i - 1] : v <= present[i - 1]));
      if (!['ascending', 'descending'].includes(col.dir) || !ordered || nums.slice(0, lastPresent).includes(null) || present.length < 2) unsorted.push(`${k} (${col.dir})`);
    }
    check('the table sorts by every indicator, missing values last', sortKeys.length >= 10 && unsorted.length === 0, `${sortKeys.length} columns; not sorted: ${unsorted}`);
    await page.evaluate(() => { document.querySelector('#area-table [data-action="default-columns"]').click(); });
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
    await waitTable(page);
    // Each area's contributions to its score, as the API's ranking gives them (the CSV link
    // carries the table's query), and both CSV downloads.
    await page.waitForFunction(() => document.getElementById('area-table').dataset.ready === 'true' &&
      document.getElementById('table-csv').getAttribute('href').includes('weights='), null, { timeout: TIMEOUT });
    const csvHref = await lb(page, () => document.getElementById('table-csv').getAttribute('href'));
    const rankAPI = await api(page, csvHref.replace(/format=csv&?/, '').replace(/[?&]$/, ''));
    await page.click('#area-table tr[data-area-id] .lb-expand');
    const contrib = await lb(page, () => {
      const tr = document.querySelector('#area-table tr[data-area-id]');
      const d = document.querySelector(`#area-table tr[data-detail-for="${CSS.escape(tr.dataset.areaId)}"]`);
      return { id: tr.dataset.areaId, parts: d ? Object.fromEntries([...d.querySelectorAll('td[data-contribution]')].map((td) => [td.dataset.contribution, td.dataset.value])) : null };
    });
    const ranked = rankAPI.body && (rankAPI.body.areas || []).find((a) => a.area.id === contrib.id);
    const apiParts = (ranked && ranked.contributions) || {};
    check('an area\'s contributions to its score are shown as the API computes them', rankAPI.status === 200 && contrib.parts && Object.keys(contrib.parts).length >= 3 &&
      Object.entries(contrib.parts).every(([k, v]) => (v === '' ? !Number.isFinite(apiParts[k]) : Math.abs(Number(v) - apiParts[k]) < 1e-9)),
      `${JSON.stringify(contrib)} vs ${JSON.stringify(apiParts)} (${csvHref})`);
    for (const id of ['table-csv', 'table-csv-summaries']) {
      const href = await lb(page, (x) => document.getElementById(x).getAttribute('href'), id);
      const csv = await apiText(page, href);
      check(`${id}: a CSV download of the table's query`, csv.status === 200 && /text\/csv/.test(csv.type) && csv.text.split('\n').length > 10, `${href}: ${csv.status} ${csv.type}`);
    }
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
  const pv = await lb(page, () => {
    const P = document.getElementById('area-panel');
    const cardsBy = Object.fromEntries([...P.querySelectorAll('.lb-card[data-indicator]')].map((c) => [c.dataset.indicator, {
      value: c.dataset.value, detail: (c.querySelector('.lb-card-detail') || {}).textContent || '',
      mark: (c.querySelector('.lb-card-mark') || {}).textContent || '' }]));
    const plot = P.querySelector('.lb-chart-plot');
    return {
      cards: cardsBy,
      chart: plot ? plot.getAttribute('aria-label') : null, canvas: Boolean(P.querySelector('.lb-chart-plot canvas')),
      lq: Object.fromEntries([...P.querySelectorAll('tr[data-group] td[data-indicator="location_quotient"]')].map((td) => [td.closest('tr').dataset.group, td.dataset.value])),
      agencies: [...P.querySelectorAll('li[data-agency]')].map((li) => li.dataset.agency).sort(),
      history: [...P.querySelectorAll('tr[data-year]')].map((tr) => Number(tr.dataset.year)),
      current: (P.querySelector('tr[data-year][aria-current="true"]') || { dataset: {} }).dataset.year,
      report: (P.querySelector('a[data-action="report"]') || { getAttribute: () => null }).getAttribute('href'),
      synthetic: Boolean(P.querySelector('.lb-synthetic')),
    };
  });
  const sb = sum.body;
  const t = sb.total;
  // Confidence intervals: every card whose indicator has an interval shows it.
  const withCI = ['rate_per_1000', 'smoothed_rate_per_1000', 'rate_ratio_rest_of_kommun'].filter((k) => t[k] && !t[k].suppressed && Number.isFinite(t[k].lower));
  check('panel: the rates carry their 95 % confidence intervals', withCI.every((k) => pv.cards[k] && pv.cards[k].detail.includes('95 % KI')),
    `${withCI}: ${JSON.stringify(withCI.map((k) => pv.cards[k]))}`);
  // Significance of the change and of the trend, as the API tests them.
  const sigText = (sig) => (sig === true ? 'Statistiskt säkerställd' : sig === false ? 'Inte statistiskt säkerställd' : 'Signifikans kan inte prövas');
  check('panel: the change against the comparison period with its significance', t.change.suppressed || pv.cards.change_percent.mark.startsWith(sigText(t.change.significant)),
    `${JSON.stringify(pv.cards.change_percent)}, API significant ${t.change.significant}`);
  check('panel: the trend with the Mann–Kendall test\'s verdict', t.trend.suppressed || pv.cards.sen_slope_per_month.mark.startsWith(sigText(t.trend.significant)),
    JSON.stringify(pv.cards.sen_slope_per_month));
  // Estimated and suppressed values are marked, with the reason.
  const marksOK = Object.entries(pv.cards).every(([, c]) => c.value !== 'suppressed' || c.mark.length > 10);
  check('panel: an estimated population is marked "Uppskattat", every withheld value says why', marksOK &&
    (!sb.population || !sb.population.estimated || pv.cards.population.mark.startsWith('Uppskattat')), JSON.stringify(pv.cards));
  check('panel: the monthly trend chart is drawn and states the trend test\'s result', pv.canvas && pv.chart &&
    (t.trend.suppressed ? pv.chart.includes('Ingen trendanalys') : pv.chart.includes(`Mann–Kendall över ${t.trend.months} månader`) &&
      pv.chart.includes(t.trend.significant ? 'statistiskt säkerställd' : 'ingen statistiskt säkerställd trend')), pv.chart);
  const lqWant = Object.fromEntries((sb.groups || []).map((g) => [g.group, g.location_quotient && !g.location_quotient.suppressed ? String(g.location_quotient.value) : 'suppressed']));
  check('panel: the group mix shows the API\'s location quotients', Object.keys(lqWant).length > 0 && JSON.stringify(pv.lq) === JSON.stringify(lqWant),
    `${JSON.stringify(pv.lq)} vs ${JSON.stringify(lqWant)}`);
  check('panel: the agencies present are the API\'s', JSON.stringify(pv.agencies) === JSON.stringify(((sb.presence && sb.presence.agencies) || []).map((a) => a.code).sort()),
    JSON.stringify(pv.agencies));
  const histWant = (sb.classification_history || []).map((h) => h.year).sort((a, b) => a - b);
  check('panel: the classification history across all lists, the current list marked', histWant.length > 1 &&
    JSON.stringify(pv.history) === JSON.stringify(histWant) && pv.current === '2025', `${pv.history} vs ${histWant}, current ${pv.current}`);
  check('panel: the synthetic-data mark', pv.synthetic === Boolean(sb.provenance && sb.provenance.synthetic));
  const report = await apiText(page, pv.report || '/missing');
  check('panel: the report button opens the printable area report of the same period', pv.report === `/api/v1/areas/${first}/report?from=${period.from}&to=${period.to}` &&
    report.status === 200 && /text\/html/.test(report.type) && report.text.includes(sb.area.name), `${pv.report}: ${report.status} ${report.type}`);
  // Hot spots: the API's hot cells are drawn on the map.
  const hotWant = ((sb.hot_spots && sb.hot_spots.cells && sb.hot_spots.cells.features) || []).map((f) => f.properties.h3).sort();
  await waitIdle(page);
  const hotGot = await lb(page, () => {
    const m = window.lagesbild.map;
    return { src: [...new Set(m.querySourceFeatures('hotspots').map((f) => f.properties.h3))].sort(), drawn: m.queryRenderedFeatures({ layers: ['hotspots-fill'] }).length };
  });
  check('panel: the hot spots are drawn on the map', JSON.stringify(hotGot.src) === JSON.stringify(hotWant) && (hotWant.length === 0 || hotGot.drawn > 0),
    `${hotWant.length} hot cells from the API, ${hotGot.src.length} in the layer, ${hotGot.drawn} drawn`);
  if (hotWant.length === 0) result.skipped.push(`hot spots drawn: ${first} has no hot cell in the demo data`);
  // Hover: the area under the pointer is named.
  const firstFeature = (await api(page, `/api/v1/areas/${first}`)).body;
  const pt = await screenPoint(page, firstFeature.properties.label_point);
  await page.mouse.move(pt.x - 3, pt.y - 3);
  await page.mouse.move(pt.x, pt.y);
  await page.waitForSelector('.hover-popup', { timeout: 10000 });
  const tip = await page.textContent('.hover-popup');
  check('hovering an area shows its name, class and kommun', tip.includes(firstFeature.properties.name) && tip.includes(firstFeature.properties.class_label), tip);
  // A click on the map opens the area under the pointer.
  await page.evaluate(() => document.querySelector('[data-action="close"]').click());
  await page.waitForFunction(() => window.lagesbild.state.area === null, null, { timeout: TIMEOUT });
  await page.mouse.click(pt.x, pt.y);
  await waitPanel(page, first);
  check('a click on an area opens its panel', await lb(page, (id) => window.lagesbild.state.area === id, first));
  await page.mouse.move(5, 300);
  await waitIdle(page);
  await shot(page, 'analyst-area');

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
  // The agencies' observations: off by default (no request), fetched when switched on.
  const obsBefore = await lb(page, () => performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/observations')).length);
  await page.check('input[data-layer="observationer"]');
  await page.waitForFunction(() => window.lagesbild.map.getSource('observationer').serialize().data.features.length > 0 &&
    window.lagesbild.map.getLayoutProperty('observationer', 'visibility') === 'visible', null, { timeout: TIMEOUT, polling: 200 });
  check('observations: no request until the layer is on, then the records the API returns', obsBefore === 0);
  await page.uncheck('input[data-layer="observationer"]');

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
  await page.click('#month-next'); // the playback month is part of the view
  await page.waitForFunction(() => /color=count/.test(location.search) && /period=3m/.test(location.search) && /narvaro/.test(location.search) &&
    /month=/.test(location.search), null, { timeout: TIMEOUT }); // the URL is written debounced
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
  for (const k of ['set', 'preset', 'compare', 'color', 'area', 'month']) {
    check(`shared URL restores ${k}`, viewA.s[k] === viewB.s[k], `${viewA.s[k]} vs ${viewB.s[k]}`);
  }
  check('shared URL restores the layers', JSON.stringify(viewA.s.layers) === JSON.stringify(viewB.s.layers));
  check('shared URL restores the filters (category groups, agencies) and the H3 and presence tiles', JSON.stringify([viewA.s.groups, viewA.s.agencies]) ===
    JSON.stringify([viewB.s.groups, viewB.s.agencies]) && (await lb(page, () => [window.lagesbild.h3Tiles, window.lagesbild.narvaroTiles].join())) ===
    (await lb(page2, () => [window.lagesbild.h3Tiles, window.lagesbild.narvaroTiles].join())));
  // Weights: the sliders and the ranking's request carry the shared weights.
  await waitTable(page2);
  const sliders = (pg) => lb(pg, () => Object.fromEntries([...document.querySelectorAll('input[type="range"][data-weight]')].map((i) => [i.dataset.weight, i.value])));
  const [slA, slB] = [await sliders(page), await sliders(page2)];
  check('shared URL restores the weights', viewB.s.weights === viewA.s.weights && JSON.stringify(slA) === JSON.stringify(slB) &&
    (await lb(page2, () => decodeURIComponent(document.getElementById('table-csv').getAttribute('href')))).includes(`weights=${viewA.s.weights}`),
    `${viewA.s.weights} vs ${viewB.s.weights}; sliders ${JSON.stringify(slA)} vs ${JSON.stringify(slB)}`);
  check('shared URL restores the position', Math.abs(viewA.z - viewB.z) < 0.05 && Math.abs(viewA.c.lng - viewB.c.lng) < 0.01 && Math.abs(viewA.c.lat - viewB.c.lat) < 0.01,
    `${JSON.stringify(viewA)} vs ${JSON.stringify(viewB)}`);
  await shot(page2, 'shared-url');
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
  const rinkeby = await lb(page2, () => document.getElementById('area-panel').dataset.areaId);
  check('search by area name opens the area', (await api(page2, `/api/v1/areas/${rinkeby}`)).body.properties.name === 'Rinkeby');
  await waitPanel(page2, rinkeby);

  step('print');
  // Print styles: the map and the open area, no controls.
  await page2.emulateMedia({ media: 'print' });
  const pr = await lb(page2, () => {
    const shown = (e) => Boolean(e) && getComputedStyle(e).display !== 'none';
    return { sidebar: shown(document.getElementById('sidebar')), search: shown(document.querySelector('.search')), tabs: shown(document.querySelector('.tabs')),
      map: Math.round(document.querySelector('.map-wrap').getBoundingClientRect().height), panel: shown(document.getElementById('area-panel')),
      footer: shown(document.querySelector('#area-panel .lb-panel-footer')), values: shown(document.querySelector('#area-panel .lb-chart-values')),
      badge: shown(document.getElementById('demo-badge')) };
  });
  check('print: the map, the open area and the synthetic badge; no side bar, search, tabs or buttons', !pr.sidebar && !pr.search && !pr.tabs && pr.map > 200 &&
    pr.panel && !pr.footer && pr.values && pr.badge, JSON.stringify(pr));
  await page2.pdf({ path: `${shots}/print-area.pdf`, format: 'A4', printBackground: true }).catch(() => {});
  await page2.emulateMedia({ media: 'screen' });

  step('search');
  // A kommun: the map moves to it. A lokalpolisområde: the map fits its areas.
  const labelsFC = (await api(page2, '/styles/labels.geojson')).body;
  const pick = async (text, kind) => {
    await page2.fill('#search', '');
    await page2.locator('#search').focus();
    await page2.keyboard.type(text);
    await page2.waitForSelector(`#search-results li[data-kind="${kind}"]`, { timeout: TIMEOUT });
    await page2.click(`#search-results li[data-kind="${kind}"]`);
    await page2.waitForFunction(() => !window.lagesbild.map.isMoving(), null, { timeout: TIMEOUT, polling: 200 });
    await page2.waitForTimeout(300);
    await page2.waitForFunction(() => !window.lagesbild.map.isMoving(), null, { timeout: TIMEOUT, polling: 200 });
  };
  await pick('Botkyrka', 'kommun');
  const bk = labelsFC.features.find((f) => f.properties.kind === 'kommun' && f.properties.namn === 'Botkyrka');
  const at = await lb(page2, () => ({ c: window.lagesbild.map.getCenter(), z: window.lagesbild.map.getZoom() }));
  check('search by kommun name moves the map to the kommun', bk && Math.abs(at.c.lng - bk.geometry.coordinates[0]) < 0.02 &&
    Math.abs(at.c.lat - bk.geometry.coordinates[1]) < 0.02 && at.z >= 9.5, JSON.stringify(at));
  await pick('Järva', 'lpo');
  const jarva = (await api(page2, '/api/v1/areas?set=2025')).body.features.filter((f) => f.properties.lpo_namn === 'Järva');
  check('search by lokalpolisområde name fits the map to its areas', jarva.length > 1 && (await within(page2, jarva.map((f) => f.bbox))) &&
    (await lb(page2, () => window.lagesbild.map.getZoom())) > 10, `${jarva.length} areas`);

  step('keyboard');
  // The table by keyboard: a row takes focus, Enter opens its area, Esc closes it; the tabs
  // follow the arrow keys.
  await page2.click('#tab-table');
  await waitTable(page2);
  const row = await lb(page2, () => document.querySelector('#area-table tr[data-area-id]').dataset.areaId);
  await page2.focus(`#area-table tr[data-area-id="${row}"]`);
  await page2.keyboard.press('Enter');
  await waitPanel(page2, row);
  check('Enter on a table row opens its area', await lb(page2, (id) => window.lagesbild.state.area === id && document.getElementById('tab-panel').getAttribute('aria-selected') === 'true', row));
  await page2.focus('#tab-panel');
  await page2.keyboard.press('ArrowLeft');
  check('the arrow keys move between the tabs', await lb(page2, () => document.activeElement.id === 'tab-table' && !document.getElementById('area-table').hidden));
  await page2.keyboard.press('Escape');
  await page2.waitForFunction(() => window.lagesbild.state.area === null, null, { timeout: TIMEOUT });
  check('Esc closes the area', await lb(page2, () => !document.getElementById('area-panel').dataset.areaId));
  await page2.locator('#map').focus();
  const z0 = await lb(page2, () => window.lagesbild.map.getZoom());
  await page2.focus('.maplibregl-canvas');
  await page2.keyboard.press('+');
  await page2.waitForFunction((z) => window.lagesbild.map.getZoom() > z + 0.5, z0, { timeout: TIMEOUT });
  check('the map zooms with the keyboard', true);
  const owned = new Map([...w.owned, ...w2.owned]);
  result.bench.ownJsCssGzipBytes = [...owned.values()].reduce((a, b) => a + b, 0);
  result.bench.ownFiles = owned.size;
  await ctx.close();

  step('tablet');
  // ---- tablet: 820×1180 ------------------------------------------------------------
  const tctx = await newContext({ viewport: { width: 820, height: 1180 }, hasTouch: true });
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
  await shot(tpage, 'tablet');
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
  await shot(tpage, 'tablet-drawer');
  await tctx.close();

  step('regional');
  // ---- regional analyst: opens on the region's areas, sees nothing outside it ---------------
  if (!env.LAGESBILD_REGIONAL_USER) {
    result.skipped.push('the regional analyst (LAGESBILD_REGIONAL_USER not set)');
  } else {
    const rctx = await newContext();
    const rpage = await rctx.newPage();
    const rw = watch(rpage, 'regional');
    await login(rpage, rw, env.LAGESBILD_REGIONAL_USER, env.LAGESBILD_REGIONAL_PASSWORD);
    await waitTable(rpage);
    await waitIdle(rpage);
    const ra = (await api(rpage, '/api/v1/areas?set=2025')).body.features;
    const raIds = ra.map((f) => f.id).sort();
    check('regional: the API returns only the region\'s areas', ra.length > 0 && ra.every((f) => f.properties.region_kod === env.LAGESBILD_REGIONAL_REGION));
    check('regional: the map shows the region\'s areas and no others', JSON.stringify(await renderedAreas(rpage)) === JSON.stringify(raIds));
    const rz = await lb(rpage, () => window.lagesbild.map.getZoom());
    check('regional: opens on the region (zoomed to its areas, not Sweden)', rz > 6 && (await within(rpage, ra.map((f) => f.bbox))), `zoom ${rz}`);
    check('regional: the table lists the region\'s areas', JSON.stringify((await tableRows(rpage)).sort()) === JSON.stringify(raIds));
    const scopeText = await rpage.textContent('#session-scope');
    check('regional: the header names the scope with the API\'s region name', scopeText.includes(ra[0].properties.region_namn), scopeText);
    await shot(rpage, 'regional');

    step('observations');
    // The agencies' observations as the regional analyst (the police of Stockholm) sees them:
    // the records shared under the demo's samverkansbeslut, filtered by each agency's vocabulary,
    // and a record's popup naming owner, category, time and basis.
    const obsAPI = (await api(rpage, '/api/v1/observations?format=geojson&kind=record&limit=10000')).body.features
      .filter((f) => f.geometry && f.geometry.type === 'Point');
    await rpage.check('input[data-layer="observationer"]');
    await rpage.waitForFunction((n) => window.lagesbild.map.getSource('observationer').serialize().data.features.length === n &&
      document.querySelector('.observationer-ctrl'), obsAPI.length, { timeout: TIMEOUT, polling: 200 });
    const agenciesAPI = [...new Set(obsAPI.map((f) => f.properties.agency))].sort();
    const ctrl = await lb(rpage, () => [...document.querySelectorAll('.observationer-ctrl fieldset')].map((fs) => ({
      agency: fs.querySelector('legend input').id.replace(/^obs-/, ''),
      basis: fs.querySelector('.obs-basis').textContent,
      categories: [...fs.querySelectorAll('.obs-category input')].map((i) => i.id).sort(),
    })));
    check('observations: the layer holds the records the API returns, one vocabulary per agency in the control',
      obsAPI.length > 0 && JSON.stringify(ctrl.map((c) => c.agency).sort()) === JSON.stringify(agenciesAPI) &&
      ctrl.every((c) => c.basis.length > 0 && c.categories.length === new Set(obsAPI.filter((f) => f.properties.agency === c.agency).map((f) => f.properties.category)).size),
      `${obsAPI.length} records; agencies ${agenciesAPI}; control ${JSON.stringify(ctrl)}`);
    // Zoom to the busiest kommun's records (the layer starts at zoom 11).
    const byKommun = new Map();
    for (const f of obsAPI) byKommun.set(f.properties.kommun_code, [...(byKommun.get(f.properties.kommun_code) || []), f]);
    const busiest = [...byKommun.values()].sort((a, b) => b.length - a.length)[0];
    const mid = busiest[Math.floor(busiest.length / 2)].geometry.coordinates;
    await lb(rpage, (c) => window.lagesbild.map.jumpTo({ center: c, zoom: 13 }), mid);
    await waitIdle(rpage);
    const obsRendered = () => lb(rpage, () => window.lagesbild.map.queryRenderedFeatures({ layers: ['observationer'] })
      .map((f) => `${f.properties.agency}/${f.properties.category}`));
    const o0 = await obsRendered();
    check('observations: records are drawn from zoom 11', o0.length > 0, `${o0.length} rendered`);
    const shownAgencies = [...new Set(o0.map((k) => k.split('/')[0]))];
    const off = shownAgencies[0];
    await rpage.uncheck(`#obs-${off}`);
    await waitIdle(rpage);
    const o1 = await obsRendered();
    check(`observations: switching off ${off} in the control hides its records, the others stay`,
      o1.every((k) => !k.startsWith(`${off}/`)) && o1.length === o0.filter((k) => !k.startsWith(`${off}/`)).length, `${o0.length} → ${o1.length}`);
    await rpage.check(`#obs-${off}`);
    const oneCat = o0[0];
    const [ca, cc] = oneCat.split('/');
    await rpage.uncheck(`#obs-${ca}-${cc}`);
    await waitIdle(rpage);
    const o2 = await obsRendered();
    check('observations: one category of an agency\'s vocabulary filters the layer', o2.every((k) => k !== oneCat) &&
      o2.length === o0.filter((k) => k !== oneCat).length && (await lb(rpage, (id) => document.getElementById(id).indeterminate || !document.getElementById(id).checked, `obs-${ca}`)),
      `${o0.length} → ${o2.length} without ${oneCat}`);
    await rpage.check(`#obs-${ca}-${cc}`);
    await waitIdle(rpage);
    // A click on a record opens its popup (the control is moved aside first: it lies over the map).
    await lb(rpage, () => { document.querySelector('.observationer-ctrl').open = false; });
    const target = await lb(rpage, () => {
      const m = window.lagesbild.map;
      const fs = m.queryRenderedFeatures({ layers: ['observationer'] });
      const w = m.getCanvas().clientWidth;
      const f = fs[0];
      // Move the record right of the control so that its popup is not under it.
      m.easeTo({ center: f.geometry.coordinates, offset: [Math.round(w * 0.2), 40], duration: 0 });
      return { props: f.properties, ll: f.geometry.coordinates };
    });
    await waitIdle(rpage);
    const pt = await screenPoint(rpage, target.ll);
    await rpage.mouse.click(pt.x, pt.y);
    await rpage.waitForSelector('.obs-popup', { timeout: TIMEOUT });
    const popup = await rpage.textContent('.obs-popup');
    const rec = obsAPI.find((f) => String(f.id) === String(target.props.id)) || { properties: target.props };
    check('observations: a click on a record names owner, category, time and basis',
      popup.includes(rec.properties.agency_name) && popup.includes(rec.properties.category_label) && popup.includes(rec.properties.basis) && /\d{4}-\d{2}-\d{2}/.test(popup), popup);
    await lb(rpage, () => { document.querySelector('.observationer-ctrl').open = true; });
    await shot(rpage, 'observations');
    await rpage.click('.obs-popup ~ .maplibregl-popup-close-button').catch(() => {});
    await rpage.uncheck('input[data-layer="observationer"]');
    check('observations: the control goes with the layer', await lb(rpage, () => !document.querySelector('.observationer-ctrl')));

    step('emerging hot spots');
    // The emerging hot-spot tiles (issue 12): colours and Swedish labels from the style, the
    // cells those of the API's analysis of the region.
    const rstyle = (await api(rpage, '/styles/lagesbild.json')).body;
    const epal = rstyle.metadata['lagesbild:emerging'] || [];
    const eleg = await lb(rpage, () => ({ hidden: document.getElementById('emerging-legend').hidden,
      items: [...document.querySelectorAll('#emerging-legend li')].map((li) => [li.dataset.category, li.querySelector('.legend-label').textContent, getComputedStyle(li.querySelector('.swatch')).backgroundColor]) }));
    const rgb = (hex) => `rgb(${parseInt(hex.slice(1, 3), 16)}, ${parseInt(hex.slice(3, 5), 16)}, ${parseInt(hex.slice(5, 7), 16)})`;
    check('emerging: the legend is the style\'s palette with its Swedish labels, hidden while the layer is off',
      eleg.hidden && epal.length === 16 && JSON.stringify(eleg.items) === JSON.stringify(epal.map((c) => [c.category, c.label, rgb(c.colour)])), JSON.stringify(eleg));
    const styleFill = JSON.stringify(rstyle.layers.find((l) => l.id === 'emerging-fill').paint['fill-color']);
    await rpage.check('input[data-layer="emerging"]');
    await rpage.uncheck('input[data-layer="h3"]');
    await lb(rpage, () => window.lagesbild.map.jumpTo({ center: [17.95, 59.36], zoom: 9.3 }));
    await rpage.waitForFunction(() => {
      const m = window.lagesbild.map;
      return m.loaded() && m.isSourceLoaded('emerging') && m.queryRenderedFeatures({ layers: ['emerging-fill'] }).length > 0;
    }, null, { timeout: TIMEOUT, polling: 500 });
    const eAPI = new Map((await api(rpage, `/api/v1/emerging-hot-spots?region=${env.LAGESBILD_REGIONAL_REGION}&format=geojson`)).body.features
      .map((f) => [`${f.properties.cell}/${f.properties.kommun_code}`, f.properties.category]));
    // A cell on a kommun border is in each kommun's grid: keyed by cell and kommun.
    const eGot = await lb(rpage, () => {
      const m = window.lagesbild.map;
      return { fill: JSON.stringify(m.getPaintProperty('emerging-fill', 'fill-color')), legend: !document.getElementById('emerging-legend').hidden,
        cells: [...new Map(m.queryRenderedFeatures({ layers: ['emerging-fill'] }).map((f) => [`${f.properties.cell}/${f.properties.kommun_code}`, f.properties.category])).entries()] };
    });
    const eBad = eGot.cells.filter(([c, cat]) => eAPI.get(c) !== cat);
    check('emerging: the layer draws the API\'s cells and categories in the style\'s colours, with its legend',
      eGot.cells.length > 0 && eBad.length === 0 && eGot.fill === styleFill && eGot.legend, `${eGot.cells.length} drawn, ${eAPI.size} from the API, ${eBad.length} differ: ${JSON.stringify(eBad.slice(0, 3))}`);
    const ecell = await lb(rpage, () => {
      const m = window.lagesbild.map;
      const centre = (f) => {
        const ring = f.geometry.coordinates[0];
        return ring.slice(0, -1).reduce((a, p) => [a[0] + p[0] / (ring.length - 1), a[1] + p[1] / (ring.length - 1)], [0, 0]);
      };
      const w = m.getCanvas().clientWidth;
      const f = m.queryRenderedFeatures({ layers: ['emerging-fill'] }).filter((x) => x.geometry.type === 'Polygon').find((x) => {
        const p = m.project(centre(x));
        return p.x > 20 && p.x < w - 60 && p.y > 20 && !m.queryRenderedFeatures(p, { layers: ['areas-fill', 'areas-point', 'narvaro-office'] }).length;
      });
      return f ? { c: centre(f), category: f.properties.category } : null;
    });
    if (ecell) {
      const ep = await screenPoint(rpage, ecell.c);
      await rpage.mouse.move(ep.x, ep.y);
      await rpage.waitForSelector('.hover-popup', { timeout: TIMEOUT });
      const etip = await rpage.textContent('.hover-popup');
      const elabel = epal.find((c) => c.category === ecell.category).label;
      check('emerging: hovering a cell names its category in Swedish and its trend test', etip.includes(elabel) && etip.includes('Mann–Kendall'), etip);
    }
    await rpage.mouse.move(5, 5);
    await shot(rpage, 'emerging', '#emerging-legend');
    await rctx.close();
  }

  step('agency analyst');
  // An analyst of another agency (role myndighet) lands on the map with the public geography
  // (borders, the police's published areas) and the observations it may see, and the page asks
  // for nothing the role may not read: no incidents, cells, presence, summaries (no 403).
  if (!env.LAGESBILD_AGENCY_USER) {
    result.skipped.push('the agency analyst (LAGESBILD_AGENCY_USER not set)');
  } else {
    const actx = await newContext();
    const apage = await actx.newPage();
    const aw = watch(apage, 'agency');
    await login(apage, aw, env.LAGESBILD_AGENCY_USER, env.LAGESBILD_AGENCY_PASSWORD);
    await lb(apage, () => window.lagesbild.map.jumpTo({ center: [17.91, 59.395], zoom: 12.2 }));
    await waitIdle(apage);
    await apage.waitForSelector('.observationer-ctrl', { timeout: TIMEOUT });
    const aview = await lb(apage, () => {
      const m = window.lagesbild.map;
      const vis = (id) => Boolean(m.getLayer(id)) && m.getLayoutProperty(id, 'visibility') !== 'none';
      return {
        layers: [...document.querySelectorAll('input[data-layer]')].filter((i) => !i.closest('label').hidden).map((i) => i.dataset.layer).sort(),
        on: ['omraden-line', 'kommun-line', 'lan-line', 'observationer'].filter(vis),
        police: Object.keys(m.getStyle().sources).filter((s) => ['h3', 'narvaro', 'emerging'].includes(s)),
        areas: m.queryRenderedFeatures({ layers: ['omraden-line'] }).length,
        names: [...new Set(m.queryRenderedFeatures({ layers: ['omraden-label'] }).map((f) => f.properties.name))],
        obs: m.queryRenderedFeatures({ layers: ['observationer'] }).map((f) => f.properties),
        asked: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
          .filter((x) => x.startsWith('/api/') || x.startsWith('/tiles') || x.startsWith('/styles')),
        side: getComputedStyle(document.getElementById('side')).display,
        mapRight: Math.round(document.getElementById('map').getBoundingClientRect().right),
        width: window.innerWidth,
        legend: [...document.querySelectorAll('#legend li')].map((li) => li.dataset.class),
        colorBy: document.getElementById('color-by').hidden,
      };
    });
    check('agency analyst: no empty table column (the map reaches the right edge), the class legend, no indicator choice',
      aview.side === 'none' && aview.mapRight >= aview.width - 2 && aview.legend.length >= 2 && aview.colorBy,
      JSON.stringify({ side: aview.side, mapRight: aview.mapRight, width: aview.width, legend: aview.legend, colorBy: aview.colorBy }));
    const apolice = aview.asked.filter((x) => /^\/tiles\/(h3|narvaro|emerging|handelser)|^\/api\/v1\/(areas|area-sets|period|summaries|priority|regions)/.test(x));
    check('agency analyst: the map opens with borders, area outlines and the observations, and the layer panel offers only those',
      JSON.stringify(aview.layers) === JSON.stringify(['kommuner', 'lan', 'observationer', 'omraden', 'polisregioner']) &&
      aview.on.length === 4 && aview.police.length === 0 && aview.areas > 0, JSON.stringify({ ...aview, obs: aview.obs.length, asked: undefined }));
    check('agency analyst: the areas are named on the map (from their tiles: no area list)',
      aview.names.length > 0 && aview.names.every((n) => typeof n === 'string' && n.length > 1), JSON.stringify(aview.names));
    check('agency analyst: own and shared records drawn, each naming its owner and basis; no police data asked for (no 403)',
      aview.obs.length > 0 && aview.obs.every((p) => p.agency && p.basis) && apolice.length === 0, `${aview.obs.length} records; asked ${apolice}`);
    const aobs = await apage.evaluate(() => {
      const m = window.lagesbild.map;
      const f = m.queryRenderedFeatures({ layers: ['observationer'] })[0];
      const p = m.project(f.geometry.coordinates);
      const r = m.getCanvas().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y, agency: f.properties.agency_name || f.properties.agency, basis: f.properties.basis };
    });
    await apage.mouse.click(aobs.x, aobs.y);
    await apage.waitForSelector('.obs-popup', { timeout: TIMEOUT });
    const apop = await apage.textContent('.obs-popup');
    check('agency analyst: a record\'s popup names its owner and the decision it is shared under', apop.includes(aobs.agency) && apop.includes(aobs.basis), apop);
    await shot(apage, 'agency');
    await actx.close();
  }

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
  check('LPO: the map holds all own areas', await within(lpage, own.body.features.map((f) => f.bbox)));
  const firstOwn = [...own.body.features].sort((a, b) => a.properties.name.localeCompare(b.properties.name, 'sv'))[0].id;
  check('LPO: the first area (by name) is the one open', (await lb(lpage, () => document.getElementById('area-panel').dataset.areaId)) === firstOwn);
  await shot(lpage, 'lpo');
  await lpage.click('#tab-overview');
  await lpage.waitForFunction((n) => document.querySelectorAll('#overview .lb-ov-card[data-area-id]').length === n &&
    document.querySelectorAll('#overview .lb-ov-card canvas, #overview .lb-ov-card svg').length > 0, ownIds.length, { timeout: TIMEOUT });
  const ov = await lb(lpage, () => {
    const cards = [...document.querySelectorAll('#overview .lb-ov-card[data-area-id]')];
    return { ids: cards.map((c) => c.dataset.areaId).sort(), tops: cards.map((c) => Math.round(c.getBoundingClientRect().top)),
      counts: Object.fromEntries(cards.map((c) => [c.dataset.areaId, (c.querySelector('[data-indicator="count"]') || { dataset: {} }).dataset.value])) };
  });
  check('LPO: the overview compares the own areas side by side', JSON.stringify(ov.ids) === JSON.stringify(ownIds) && ov.tops.length > 1 && ov.tops[0] === ov.tops[1],
    JSON.stringify(ov));
  const lperiod = await lb(lpage, () => window.lagesbild.period);
  const lsum = await api(lpage, `/api/v1/areas/${ownIds[0]}/summary?from=${lperiod.from}&to=${lperiod.to}`);
  const lc = lsum.body.total.count;
  check('LPO: the overview\'s numbers are the API\'s', ov.counts[ownIds[0]] === (lc.suppressed ? 'suppressed' : String(lc.value)), `${ov.counts[ownIds[0]]} vs ${JSON.stringify(lc)}`);
  await shot(lpage, 'lpo-overview');
  await axe(lpage, 'lpo');
  await lctx.close();

  step('operator basemap');
  // LAGESBILD_BASEMAP_STYLE puts the service's layers over an operator's basemap (the server
  // side: TestBasemapStyle). Here the page gets such a style — no offline land, lakes or place
  // names, the operator's own first layer — and still draws the areas and the cells.
  const bctx = await newContext();
  await bctx.route('**/styles/lagesbild.json', async (route) => {
    const resp = await route.fetch();
    const st = await resp.json();
    const offline = new Set(['land', 'lan-fill', 'lakes']);
    st.layers = [{ id: 'operator-background', type: 'background', paint: { 'background-color': '#ece6da' } },
      ...st.layers.filter((l) => l.type !== 'background' && !offline.has(l.id) && !l.id.startsWith('label-place-'))];
    for (const id of Object.keys(st.sources)) if (!st.layers.some((l) => l.source === id)) delete st.sources[id];
    await route.fulfill({ response: resp, json: st });
  });
  const bpage = await bctx.newPage();
  const bw = watch(bpage, 'operator basemap');
  await login(bpage, bw, env.LAGESBILD_NATIONAL_USER, env.LAGESBILD_NATIONAL_PASSWORD);
  await waitCells(bpage);
  await waitIdle(bpage);
  const bIds = (await api(bpage, '/api/v1/areas?set=2025')).body.features.map((f) => f.id).sort();
  const bLayers = await lb(bpage, () => window.lagesbild.map.getStyle().layers.map((l) => l.id));
  check('an operator\'s basemap: its layer first, no offline land, the areas and cells drawn over it', bLayers[0] === 'operator-background' &&
    !bLayers.includes('land') && JSON.stringify(await renderedAreas(bpage)) === JSON.stringify(bIds), `${bLayers.slice(0, 4)}`);
  await bctx.close();

  step('loading, empty and error states');
  // While the first answers are under way the page says so in Swedish; a list year with no
  // areas in the caller's scope says so instead of an empty map and table; a summary the server
  // fails to give leaves a Swedish message and a retry button in the panel, not a blank panel.
  // The delays and the empty or failing answers are Playwright routes of 127.0.0.1 requests.
  const sctx = await newContext();
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await sctx.route('**/api/v1/area-sets', async (route) => { await held; await route.fallback(); });
  const spage = await sctx.newPage();
  const sw = watch(spage, 'states');
  await spage.goto(base, { waitUntil: 'domcontentloaded' });
  await spage.waitForSelector('#login-form', { state: 'visible', timeout: TIMEOUT });
  await spage.fill('#login-username', env.LAGESBILD_NATIONAL_USER);
  await spage.fill('#login-password', env.LAGESBILD_NATIONAL_PASSWORD);
  sw.loggedIn = true;
  await spage.click('#login-submit');
  await spage.waitForSelector('#loading', { state: 'visible', timeout: TIMEOUT });
  const sload = await lb(spage, () => ({ text: document.getElementById('loading').textContent, busy: document.body.classList.contains('loading') }));
  check('states: while the data loads the page says so in Swedish', /^Laddar kartan/.test(sload.text) && sload.busy, JSON.stringify(sload));
  await shot(spage, 'loading');
  release();
  await waitReady(spage);
  await waitTable(spage);
  check('states: the loading note goes when the data is there', await lb(spage, () => document.getElementById('loading').hidden && !document.body.classList.contains('loading')));

  // A list year with none of the caller's areas (an LPO chief's list of a year before the
  // area existed): the API's answer is an empty collection.
  const emptyYear = await lb(spage, () => [...document.querySelectorAll('#set-select option')].map((o) => o.value).find((v) => v !== window.lagesbild.set));
  await sctx.route(`**/api/v1/areas?set=${emptyYear}`, (route) => route.fulfill({ status: 200, contentType: 'application/geo+json', body: JSON.stringify({ type: 'FeatureCollection', features: [] }) }));
  // The summaries and the ranking of that year then hold no area either: the server's own
  // answers with their area lists emptied (period, notes and weights as the server gives them).
  const ofEmptyYear = (path) => (url) => url.pathname === path && url.searchParams.get('set') === emptyYear;
  const emptied = async (route) => {
    const resp = await route.fetch();
    const json = await resp.json();
    json.areas = [];
    await route.fulfill({ response: resp, json });
  };
  await sctx.route(ofEmptyYear('/api/v1/summaries'), emptied);
  await sctx.route(ofEmptyYear('/api/v1/priority'), emptied);
  await spage.selectOption('#set-select', emptyYear);
  await spage.waitForFunction((y) => window.lagesbild.set === y && !document.getElementById('empty').hidden, emptyYear, { timeout: TIMEOUT });
  await waitTable(spage);
  const sempty = await lb(spage, () => ({ note: document.getElementById('empty').textContent, shown: !document.getElementById('empty').hidden }));
  check('states: a list year with no areas in scope says so on the map', sempty.shown && sempty.note.includes(`inga områden i ${emptyYear} års lista`), JSON.stringify(sempty));
  const stable = await lb(spage, () => ({ rows: document.querySelectorAll('#area-table tr[data-area-id]').length, note: (document.querySelector('#area-table td.lb-empty') || {}).textContent }));
  check('states: the table of that year lists no area and says so', stable.rows === 0 && stable.note === 'Inga områden i urvalet.', JSON.stringify(stable));
  await shot(spage, 'empty');
  await sctx.unroute(`**/api/v1/areas?set=${emptyYear}`);
  await sctx.unroute(ofEmptyYear('/api/v1/summaries'));
  await sctx.unroute(ofEmptyYear('/api/v1/priority'));

  // A failing summary: HTTP 500 from the server for the area panel.
  const sset = await lb(spage, () => [...document.querySelectorAll('#set-select option')].map((o) => o.value).sort().pop());
  await spage.selectOption('#set-select', sset);
  await spage.waitForFunction((y) => window.lagesbild.set === y && window.lagesbild.ready && document.getElementById('empty').hidden, sset, { timeout: TIMEOUT });
  const sarea = (await api(spage, `/api/v1/areas?set=${sset}`)).body.features[0].id;
  sw.allowHTTP = (st, u) => st === 500 && u && /\/summary$/.test(u.pathname);
  sw.allowConsole = (text) => /status of 500/.test(text);
  await sctx.route('**/api/v1/areas/*/summary*', (route) => route.fulfill({ status: 500, contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'internal', message: 'internal error' } }) }));
  await lb(spage, (id) => window.lagesbild.selectArea(id), sarea);
  await waitPanel(spage, sarea);
  const serr = await lb(spage, () => {
    const p = document.getElementById('area-panel');
    const a = p.querySelector('[role=alert]');
    return { text: a ? a.textContent : '', retry: Boolean(p.querySelector('.lb-error-state button')) };
  });
  check('states: a failing summary leaves a Swedish message and a retry in the panel', serr.text.includes('Ett fel uppstod hos servern') && serr.retry, JSON.stringify(serr));
  await sctx.unroute('**/api/v1/areas/*/summary*');
  await spage.click('#area-panel .lb-error-state button');
  await spage.waitForFunction(() => { const p = document.getElementById('area-panel'); return p.dataset.ready === 'true' && !p.dataset.error; }, null, { timeout: TIMEOUT });
  check('states: the retry fetches the summary again', await lb(spage, () => !document.querySelector('#area-panel [role=alert]')));
  await sctx.close();

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
    await shot(outagePage, 'outage');
  }
  await octx.close();
  result.ok = result.problems.length === 0 && result.offsite === 0;
  if (result.offsite) result.problems.push(`${result.offsite} requests off 127.0.0.1`);
} catch (err) {
  result.problems.unshift(`${result.step || 'login'}: ${err.message.split('\n')[0]}`);
  if (outagePage) await shot(outagePage, 'failure').catch(() => {});
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
